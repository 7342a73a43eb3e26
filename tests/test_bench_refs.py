"""Tests of the OpenSpiel reference measurements in go_engine_cli.bench_refs."""

import random

import numpy as np
import pytest

from go_engine_cli import bench_refs
from go_engine_cli.bench_refs import is_own_eye

pyspiel = pytest.importorskip("pyspiel")

B, W = 1, 2


def _board(size, black=(), white=()):
    board = np.zeros((size, size), dtype=np.int8)
    for r, c in black:
        board[r, c] = B
    for r, c in white:
        board[r, c] = W
    return board


def test_eye_corner():
    board = _board(5, black=[(0, 1), (1, 0)])
    assert is_own_eye(board, 0, 0, B)
    assert not is_own_eye(board, 0, 0, W)
    # A single opponent stone on the only diagonal makes a corner eye false.
    board[1, 1] = W
    assert not is_own_eye(board, 0, 0, B)
    # An own stone there is fine.
    board[1, 1] = B
    assert is_own_eye(board, 0, 0, B)


def test_eye_edge():
    board = _board(5, black=[(0, 1), (0, 3), (1, 2)])
    assert is_own_eye(board, 0, 2, B)
    board[1, 1] = W
    assert not is_own_eye(board, 0, 2, B)
    # An empty orthogonal neighbour means no eye.
    board = _board(5, black=[(0, 1), (1, 2)])
    assert not is_own_eye(board, 0, 2, B)


def test_eye_centre():
    board = _board(5, white=[(1, 2), (3, 2), (2, 1), (2, 3)])
    assert is_own_eye(board, 2, 2, W)
    assert not is_own_eye(board, 2, 2, B)
    # One opponent diagonal is tolerated in the centre, two are not.
    board[1, 1] = B
    assert is_own_eye(board, 2, 2, W)
    board[3, 3] = B
    assert not is_own_eye(board, 2, 2, W)
    # An occupied point is never an eye; one mixed orthogonal neighbour breaks it.
    board = _board(5, white=[(1, 2), (3, 2), (2, 1), (2, 3), (2, 2)])
    assert not is_own_eye(board, 2, 2, W)
    board = _board(5, white=[(1, 2), (3, 2), (2, 1)], black=[(2, 3)])
    assert not is_own_eye(board, 2, 2, W)


def test_string_board_matches_observation_tensor():
    """The fast string-indexed reads agree with the observation tensor and is_own_eye."""
    size = 5
    game = bench_refs._load_go(pyspiel, size, 7.5)
    offs, s_orth, s_diag = bench_refs._string_tables(game, size)
    rng = random.Random(3)
    state = game.new_initial_state()
    eyes = 0
    for _ in range(60):
        if state.is_terminal():
            break
        text = str(state)
        obs = np.array(state.observation_tensor()).reshape(4, size, size)
        board = (obs[0] + 2 * obs[1]).astype(np.int8)
        read = np.array([{"+": 0, "X": 1, "O": 2}[text[o]] for o in offs])
        assert (read.reshape(size, size) == board).all()
        player = state.current_player()
        own, opp = "XO"[player], "XO"[1 - player]
        for p in range(size * size):
            fast = bench_refs._is_eye(text, offs[p], s_orth[p], s_diag[p], "+", own, opp)
            assert fast == is_own_eye(board, p // size, p % size, player + 1)
            eyes += fast
        state.apply_action(rng.choice(state.legal_actions()))
    assert eyes > 0


def test_random_games_5x5():
    res = bench_refs.openspiel_random_games(size=5, seconds=0.2)
    assert res is not None
    assert res["size"] == 5
    assert res["games"] >= 1
    assert res["games_per_s"] > 0
    assert res["moves_per_s"] > 0
    assert res["impl"].startswith("open_spiel")


def test_mcts_sims_5x5():
    res = bench_refs.openspiel_mcts_sims_per_s(size=5, seconds=0.05, max_simulations=50)
    assert res is not None
    assert res["steps"] >= 1
    assert res["sims_per_s"] > 0
