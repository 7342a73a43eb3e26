"""Compiled random playouts: uniform among legal moves that do not fill one's own eye.

A playout runs on a throwaway copy with the fast path (simple ko, no hashing) and passes only
when no such move is left; two passes, or the move cap, end it. The result is the area score.
Suicide is never chosen, even where the rules allow it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.board import _check, _is_eye, _place, copy_into, copy_state
from go_engine.rng import rand_below
from go_engine.scoring import area_score
from go_engine.state import (
    M_FAST,
    M_KO,
    M_N,
    M_NEMPTY,
    M_PASSES,
    M_SUICIDE,
    M_TO_PLAY,
    State,
)

_JIT = {"cache": True, "nogil": True}
_HOT = {"cache": True, "nogil": True, "_nrt": False}  # see board.py


def default_max_moves(n: int) -> int:
    """Move cap of a playout: far beyond any natural end, it only stops ko cycles."""
    return 3 * n * n + 20


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _random_point(st: State, rng: np.ndarray, c: int) -> int:
    """Padded point of a uniformly random legal, non-eye-filling move of colour c, or -1.

    Candidates come from the empty-point list; a rejected one is swapped past the live range,
    so each draw is uniform over the points not yet tried.
    """
    k = st.meta[M_NEMPTY]
    empties = st.empties
    epos = st.epos
    while k > 0:
        i = rand_below(rng, k)
        p = empties[i]
        if not _is_eye(st, p, c) and _check(st, p, c) == 0:
            return p
        k -= 1
        q = empties[k]
        empties[i] = q
        epos[q] = i
        empties[k] = p
        epos[p] = k
    return -1


@njit(**_HOT)
def random_move(st: State, rng: np.ndarray) -> int:
    """A random playout move (action) for the player to move; pass when nothing is left."""
    suicide = st.meta[M_SUICIDE]
    st.meta[M_SUICIDE] = 0
    p = _random_point(st, rng, st.meta[M_TO_PLAY])
    st.meta[M_SUICIDE] = suicide
    if p < 0:
        return st.meta[M_N] * st.meta[M_N]
    return st.p2a[p]


@njit(**_HOT)
def playout_inplace(st: State, rng: np.ndarray, max_moves: int) -> int:
    """Play random moves on `st` itself until two passes or `max_moves`; returns the number of
    moves played (passes included). Leaves `st` in fast mode: hash and history are stale."""
    st.meta[M_FAST] = 1
    suicide = st.meta[M_SUICIDE]
    st.meta[M_SUICIDE] = 0
    moves = 0
    while st.meta[M_PASSES] < 2 and moves < max_moves:
        c = st.meta[M_TO_PLAY]
        p = _random_point(st, rng, c)
        if p < 0:
            st.meta[M_PASSES] += 1
            st.meta[M_KO] = -1
        else:
            st.meta[M_PASSES] = 0
            _place(st, p, c, False)
        st.meta[M_TO_PLAY] = 3 - c
        moves += 1
    st.meta[M_SUICIDE] = suicide
    return moves


@njit(**_JIT)
def playout(st: State, rng: np.ndarray, max_moves: int) -> float:
    """A random playout from a copy of `st`; returns the final area score for Black."""
    work = copy_state(st)
    playout_inplace(work, rng, max_moves)
    return area_score(work)


@njit(**_JIT)
def run_playouts(st: State, count: int, rng: np.ndarray, max_moves: int) -> tuple[int, int]:
    """`count` playouts from `st` into one reused scratch state (the benchmark loop).

    Returns (Black wins, total moves played)."""
    work = copy_state(st)
    wins = 0
    total = 0
    for _ in range(count):
        copy_into(work, st)
        total += playout_inplace(work, rng, max_moves)
        if area_score(work) > 0:
            wins += 1
    return wins, total
