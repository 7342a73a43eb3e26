"""Results of many rollouts from one position: the Monte Carlo estimate of who wins.

AlphaGo's Figure 2b sets the value network's error beside the mean result of k rollouts from
each position. `rollout_outcomes` plays `playouts` rollouts of any of the Numba rollout
policies (random, light, the trained weights) from a position (with the pass count reset, so
a finished game is played out too) and scores each end position by area with every stone
alive (komi from the position), as a rollout's end has no dead stones left to judge.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.board import copy_into, copy_state
from go_engine.jit import JIT
from go_engine.playout import default_max_moves
from go_engine.rng import make_rng
from go_engine.rollout_policy import RolloutPolicy, rollout
from go_engine.scoring import area_score_dead
from go_engine.state import M_N, M_PASSES, State


@njit(**JIT)
def _outcomes(
    st: State,
    playouts: int,
    rng: np.ndarray,
    max_moves: int,
    mode: int,
    weights: np.ndarray,
    last: int,
) -> np.ndarray:
    n = st.meta[M_N]
    nn = n * n
    out = np.zeros(playouts, np.int8)
    work = copy_state(st)
    moves = np.zeros(max_moves + 1, np.int32)
    cand = np.zeros(nn, np.int32)
    score = np.zeros(nn, np.float64)
    none = np.zeros(nn, np.bool_)
    for r in range(playouts):
        copy_into(work, st)
        work.meta[M_PASSES] = 0
        rollout(work, rng, max_moves, mode, weights, last, moves, cand, score)
        black = area_score_dead(work, none)
        out[r] = 1 if black > 0 else -1 if black < 0 else 0
    return out


def rollout_outcomes(
    st: State,
    playouts: int,
    policy: RolloutPolicy,
    seed: int = 0,
    last_action: int = -1,
) -> np.ndarray:
    """int8[playouts]: +1 where Black won the rollout, -1 where White won, 0 for a draw.
    `last_action` is the move before the position (an action; -1 or a pass for none), which
    the trained policy's response features read."""
    n = int(st.meta[M_N])
    last = -1 if last_action < 0 or last_action >= n * n else int(st.a2p[last_action])
    rng = make_rng(seed)
    max_moves = default_max_moves(n)
    return _outcomes(st, playouts, rng, max_moves, policy.code, policy.weights, last)
