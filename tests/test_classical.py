"""Dense move features (go_engine.move_features) and the classical models (training.classical).

Fixtures are made here: hand-drawn positions (tests/positions.py), random games with passes,
and the patterned archives of tests/game_fixtures.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from go_engine.board import copy_state, play
from go_engine.game import Game
from go_engine.move_features import COLUMNS, N_COLUMNS, extract_game, position_rows
from go_engine.rollout_features import extract_game as extract_hashed
from go_engine.rollout_features import position_features
from go_engine.rules import Rules
from go_engine.sgf_io import read_sgf, write_sgf
from go_engine.state import BLACK, WHITE
from go_engine_cli.main import main
from tests.game_fixtures import write_archive
from tests.positions import setup
from training.baseline_data import DataConfig, Part, load_split
from training.classical import (
    CandidateSet,
    ClassicalConfig,
    LinearSoftmax,
    Tally,
    evaluate,
    extract_part,
    fit_and_score,
    rank_hits,
)
from training.game_records import GameRecords, replay_positions

N = 9


def _random_moves(n: int, moves: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random game's actions and colours, with a few passes."""
    rng = np.random.default_rng(seed)
    g = Game(n, Rules.named("japanese"))
    acts, cols = [], []
    for _ in range(moves):
        legal = np.flatnonzero(g.legal_moves()[: n * n])
        a = int(rng.choice(legal)) if len(legal) and rng.random() > 0.05 else n * n
        cols.append(g.to_play)
        g.play(a)
        acts.append(a)
    return np.array(acts, np.int32), np.array(cols, np.int8)


def _row(rows: np.ndarray, acts: np.ndarray, k: int, action: int) -> dict[str, int]:
    hit = np.flatnonzero(acts[:k] == action)
    assert len(hit) == 1, f"action {action} is not a candidate"
    return {c: int(v) for c, v in zip(COLUMNS, rows[hit[0]], strict=True)}


# ----------------------------------------------------------------------------- features


def test_candidate_sets_equal_position_features() -> None:
    for seed in range(4):
        acts, cols = _random_moves(N, 110, seed)
        st = Game(N, Rules.named("japanese")).state
        take = np.ones(len(acts), np.bool_)
        s1, t1, _, a1, e1 = extract_hashed(copy_state(st), acts, cols, take)
        s2, t2, rows, a2, moves, e2 = extract_game(copy_state(st), acts, cols, take)
        assert e1 == e2 == -1
        assert np.array_equal(s1, s2) and np.array_equal(t1, t2) and np.array_equal(a1, a2)
        assert rows.shape == (len(a2), N_COLUMNS)
        assert np.array_equal(acts[moves], a2[s2[:-1] + t2])  # the expert moves
        assert np.all(rows[:, COLUMNS.index("move_number")] == np.repeat(moves, np.diff(s2)))
    # Position by position, both colours, with no previous move.
    st = Game(N, Rules.named("japanese")).state
    for a, c in zip(acts[:60], cols[:60], strict=True):
        for colour in (BLACK, WHITE):
            fa = np.zeros(N * N, np.int32)
            ff = np.zeros((N * N, 8), np.int32)
            ra = np.zeros(N * N, np.int32)
            rr = np.zeros((N * N, N_COLUMNS), np.int16)
            k1 = position_features(st, colour, -1, fa, ff)
            k2 = position_rows(st, colour, -1, -1, 0, ra, rr)
            assert k1 == k2 and np.array_equal(fa[:k1], ra[:k2])
        assert play(st, int(a), int(c)) >= 0


def test_dense_features_of_a_hand_made_position() -> None:
    pos = setup(
        """
        . X . . d .
        X O a . . .
        . X . . . .
        . . . X . .
        . . X O b .
        . . . . . .
        """,
        to_play=BLACK,
    )
    st = pos.game.state
    n = 6
    last = int(st.a2p[4 * n + 3])  # White's previous move: the O at (4, 3)
    before = int(st.a2p[3 * n + 3])  # Black's move before it: the X at (3, 3)
    acts = np.zeros(n * n, np.int32)
    rows = np.zeros((n * n, N_COLUMNS), np.int16)
    k = position_rows(st, BLACK, last, before, 17, acts, rows)
    a = _row(rows, acts, k, pos.marks["a"])
    assert a["capture"] == 1 and a["atari"] == 0 and a["save_atari"] == 0
    assert (a["nb_W"], a["lib_W"]) == (2, 1)  # the White stone in atari
    assert (a["nb_NW"], a["nb_SW"], a["nb_N"], a["nb_E"]) == (1, 1, 0, 0)
    assert (a["lib_N"], a["lib_E"]) == (0, 0)
    assert a["diamond_place"] == -1 and a["dist_prev"] == 4 and a["line"] == 2
    b = _row(rows, acts, k, pos.marks["b"])
    assert b["atari"] == 1 and b["capture"] == 0
    assert (b["nb_W"], b["lib_W"]) == (2, 2)
    assert b["diamond_place"] == 3 and b["dist_prev"] == 1 and b["dist_prev2"] == 2
    assert b["move_number"] == 17
    # The response pattern: the diamond around the O at (4, 3) seen by Black.
    assert (b["resp_0"], b["resp_1"], b["resp_2"], b["resp_3"]) == (1, 0, 1, 0)
    assert b["resp_9"] == 3 and b["resp_libs"] == 2  # two below: off the board
    d = _row(rows, acts, k, pos.marks["d"])
    assert (d["nb_N"], d["nb_NW"], d["nb_NE"]) == (3, 3, 3) and d["line"] == 1
    assert d["capture"] == d["atari"] == 0
    # White sees the same stones the other way round.
    k = position_rows(st, WHITE, -1, -1, 0, acts, rows)
    assert 0 not in acts[:k]  # (0, 0) would be suicide for White
    a = _row(rows, acts, k, pos.marks["a"])
    assert (a["nb_W"], a["nb_NW"], a["save_atari"], a["self_atari_one"]) == (1, 2, 1, 0)
    assert a["resp_0"] == -1 and a["resp_libs"] == -1 and a["dist_prev"] == -1


# ----------------------------------------------------------------------------- evaluation


def test_rank_hits_and_ties() -> None:
    scores = np.array([3.0, 1.0, 2.0, 5.0, 5.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    start = np.array([0, 3, 6, 13])
    target = np.array([0, 0, 3])  # best / tied for best with one / tied with all seven
    assert np.allclose(rank_hits(scores, start, target, 1), [1.0, 0.5, 1 / 7])
    assert np.allclose(rank_hits(scores, start, target, 5), [1.0, 1.0, 5 / 7])


def test_non_candidate_positions_count_as_misses() -> None:
    tally = Tally()
    cs = CandidateSet(
        np.zeros((4, N_COLUMNS), np.int16), np.array([0, 2, 4]), np.array([0, 1]), np.arange(2), 5
    )
    tally.add(np.array([1.0, 0.0, 1.0, 0.0]), cs)
    m = tally.metrics()
    assert m["top1"] == pytest.approx(1 / 5) and m["top1_candidates"] == pytest.approx(1 / 2)
    assert m["top5"] == pytest.approx(2 / 5) and m["top5_candidates"] == 1.0
    assert m["held_out_positions"] == 5 and m["candidate_positions"] == 2


def _part_with_passes() -> tuple[Part, int]:
    g = Game(N, Rules.named("japanese"))
    moves = [40, 41, 81, 49, 50, 81, 81]  # three passes among seven moves
    for a in moves:
        g.play(a)
    game = read_sgf(write_sgf(g), "passes.sgf")
    records = GameRecords.from_games(N, [("passes.sgf", game)])
    return Part(records, replay_positions(records)), len(moves)


def test_evaluate_counts_every_position() -> None:
    part, moves = _part_with_passes()

    class NextToLast:
        def score(self, rows: np.ndarray) -> np.ndarray:
            return -np.abs(rows[:, COLUMNS.index("dist_prev")] - 1).astype(float)

    m = evaluate({"near": NextToLast()}, part)["near"]
    assert m["held_out_positions"] == moves and m["candidate_positions"] == 4
    assert m["top1"] * moves == pytest.approx(m["top1_candidates"] * 4)
    assert m["top5"] <= 4 / moves


# ----------------------------------------------------------------------------- models


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_archive(tmp_path_factory.mktemp("classical") / "games.tar.gz", N, 40, 30)


def test_training_rows_keep_the_expert_first(archive: Path) -> None:
    split = load_split(DataConfig([str(archive)], N, max_train_games=6))
    full = extract_part(split.train)
    sampled = extract_part(split.train, negatives=4, seed=1)
    assert len(full) == len(sampled) and np.all(sampled.target == 0)
    assert np.all(sampled.sizes == np.minimum(full.sizes, 5))
    assert np.array_equal(
        sampled.rows[sampled.start[:-1]], full.rows[full.start[:-1] + full.target]
    )
    fewer = sampled.limit_negatives(2)
    assert np.all(fewer.sizes == np.minimum(full.sizes, 3))
    assert np.array_equal(fewer.rows[fewer.start[:-1]], sampled.rows[sampled.start[:-1]])


def test_fit_and_score_linear(archive: Path) -> None:
    split = load_split(DataConfig([str(archive)], N, max_train_games=15))
    m = fit_and_score("linear", split, ClassicalConfig(linear_epochs=3, device="cpu"))
    assert m["held_out_positions"] == len(split.held_out)
    assert m["train_positions"] == len(split.train)
    assert m["top1"] > 0.5  # chance is about 1/60
    with pytest.raises(ValueError, match="unknown model"):
        fit_and_score("svm", split)


def test_command_trains_saves_and_resumes(archive: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    run = tmp_path / "run"
    argv = [
        "train",
        "classical",
        "--data",
        str(archive),
        "--board",
        str(N),
        "--models",
        "linear,boosting,forest,rollout",
        "--results",
        str(results),
        "--run",
        str(run),
        "--boosting-rounds",
        "40",
        "--forest-trees",
        "20",
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    first = {}
    for name in ("linear", "boosting", "forest", "rollout"):
        record = json.loads((results / f"{name}-{N}.json").read_text())
        assert record["kind"] == "accuracy" and record["board_size"] == N
        m = record["metrics"]
        assert m["top1"] > 0.5, (name, m)  # every model learns the patterned habit
        assert m["top5"] >= m["top1"] and m["top1_candidates"] >= m["top1"]
        assert "line" in record["features"]["extra"]
        first[name] = m["top1"]
    assert (results / f"boosting-{N}-importance.png").exists()
    for f in ("linear.npz", "boosting.txt", "forest.joblib", "rollout.npz"):
        assert (run / f).exists()
    # Resume: the saved models are loaded, not retrained, and score the same.
    assert main([*argv, "--resume", "--no-plots"]) == 0
    for name, top1 in first.items():
        record = json.loads((results / f"{name}-{N}.json").read_text())
        assert record["metrics"]["top1"] == pytest.approx(top1)
    # The ablation: the same model on the rollout policy's columns alone.
    assert main([*argv, "--models", "linear", "--features", "pattern", "--no-plots"]) == 0
    record = json.loads((results / f"linear-pattern-{N}.json").read_text())
    assert record["feature_set"] == "pattern" and (run / "linear-pattern.npz").exists()
    assert record["metrics"]["top1"] > 0.5
    # Bad input names the file.
    (run / "linear.npz").write_bytes(b"not a model")
    assert main([*argv, "--resume", "--models", "linear"]) == 2
    assert main([*argv[:2], "--data", str(tmp_path / "missing.tar.gz")]) == 2
    with pytest.raises(ValueError, match="linear.npz"):
        LinearSoftmax.load(run / "linear.npz")
