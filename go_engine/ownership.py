"""Monte Carlo ownership: who ends up owning each point, and which stones are dead.

Many light rollouts from the position; a point's ownership is the mean final owner (+1 Black,
-1 White). A stone whose point the opponent owns in most rollouts is judged dead. The search
uses this to decide whether passing now would win once dead stones are removed; the GTP
engine uses it for `final_score` and `final_status_list`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.board import copy_into, copy_state
from go_engine.jit import JIT
from go_engine.playout import default_max_moves
from go_engine.rng import make_rng
from go_engine.rollout_policy import ROLLOUT_LIGHT, rollout
from go_engine.scoring import area_score_dead, ownership
from go_engine.shapes import shape_table
from go_engine.state import BLACK, M_N, M_PASSES, WHITE, State


@njit(**JIT)
def _ownership(
    st: State, playouts: int, rng: np.ndarray, max_moves: int, shapes: np.ndarray
) -> np.ndarray:
    n = st.meta[M_N]
    nn = n * n
    total = np.zeros(nn, np.float64)
    work = copy_state(st)
    moves = np.zeros(max_moves + 1, np.int32)
    cand = np.zeros(nn, np.int32)
    score = np.zeros(nn, np.float64)
    none = np.zeros(nn, np.bool_)
    for _ in range(playouts):
        copy_into(work, st)
        work.meta[M_PASSES] = 0  # the game may be over: play the position out regardless
        rollout(work, rng, max_moves, ROLLOUT_LIGHT, shapes, -1, moves, cand, score)
        owner = ownership(work, none)
        for a in range(nn):
            if owner[a] == BLACK:
                total[a] += 1.0
            elif owner[a] == WHITE:
                total[a] -= 1.0
    return total / max(playouts, 1)


def mc_ownership(st: State, playouts: int = 200, seed: int = 0) -> np.ndarray:
    """float64[N*N] in [-1, 1]: mean final owner of each point over `playouts` rollouts."""
    n = int(st.meta[M_N])
    return _ownership(st, playouts, make_rng(seed), default_max_moves(n), shape_table())


def dead_stones(st: State, own: np.ndarray, threshold: float = 0.3) -> np.ndarray:
    """bool[N*N]: stones whose point the opponent owns by more than `threshold` on average."""
    n = int(st.meta[M_N])
    board = st.board[st.a2p[: n * n]]
    black_dead = (board == BLACK) & (own < -threshold)
    white_dead = (board == WHITE) & (own > threshold)
    return black_dead | white_dead


def estimated_score(st: State, playouts: int = 200, seed: int = 0) -> tuple[float, np.ndarray]:
    """Area score for Black (komi included) after removing the stones that rollouts judge
    dead, and the dead-stone mask."""
    dead = dead_stones(st, mc_ownership(st, playouts, seed))
    return float(area_score_dead(st, dead)), dead
