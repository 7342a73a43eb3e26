"""Compiled random playouts: uniform among legal moves that do not fill one's own eye.

A playout runs on a throwaway copy with the fast path (simple ko, no hashing) and passes only
when no such move is left; two passes, or the move cap, end it. The result is the area score.
Suicide is never chosen, even where the rules allow it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.board import _diagonals_allow_eye, _only_liberty_is, _place, copy_into, copy_state
from go_engine.jit import HOT, INLINE, JIT
from go_engine.rng import rand_below
from go_engine.scoring import area_score
from go_engine.state import (
    BLACK,
    EMPTY,
    M_FAST,
    M_KO,
    M_KO_COLOR,
    M_N,
    M_NEMPTY,
    M_PASSES,
    M_TO_PLAY,
    M_W,
    WALL,
    WHITE,
    State,
)


def default_max_moves(n: int) -> int:
    """Move cap of a playout: far beyond any natural end, it only stops ko cycles."""
    return 3 * n * n + 20


@njit(**INLINE)
def _playout_ok(st: State, p: int, c: int) -> bool:
    """Empty point p is a legal, non-suicide move for colour c under simple ko that does not
    fill c's own single-point eye (board._is_eye's definition). One pass over the neighbours
    serves both tests."""
    if p == st.meta[M_KO] and c == st.meta[M_KO_COLOR]:
        return False
    board = st.board
    w = st.meta[M_W]
    opp = 3 - c
    legal = False
    surrounded = True  # every neighbour is c or the edge
    for q in (p - 1, p + 1, p - w, p + w):
        v = board[q]
        if v == EMPTY:
            return True  # a liberty, and not an eye
        if v == c:
            if not legal and not _only_liberty_is(st, st.head[q], p):
                legal = True
        elif v == opp:
            surrounded = False
            if not legal and _only_liberty_is(st, st.head[q], p):
                legal = True
    if surrounded and _diagonals_allow_eye(st, p, opp):
        return False  # c's own eye
    return legal


@njit(**INLINE)
def _self_atari(st: State, p: int, c: int) -> bool:
    """Colour c at p joins a chain of two or more stones that is then left with one liberty
    (and captures nothing). Liberties are estimated: p's empty neighbours plus one for each
    friendly chain with another liberty, which can overcount but never undercount."""
    board = st.board
    w = st.meta[M_W]
    libs = 0
    joins = False
    for q in (p - 1, p + 1, p - w, p + w):
        v = board[q]
        if v == EMPTY:
            libs += 1
        elif v == c:
            joins = True
            if not _only_liberty_is(st, st.head[q], p):
                libs += 1
        elif v != WALL and _only_liberty_is(st, st.head[q], p):
            return False  # a capture
    return joins and libs <= 1


@njit(**INLINE)
def _light_ok(st: State, p: int, c: int) -> bool:
    """`_playout_ok(st, p, c) and not _self_atari(st, p, c)` in one pass over the neighbours
    (the light rollouts test every candidate with both)."""
    if p == st.meta[M_KO] and c == st.meta[M_KO_COLOR]:
        return False
    board = st.board
    w = st.meta[M_W]
    opp = 3 - c
    empty = 0
    spare = 0  # friendly neighbours whose chain has a liberty besides p
    joins = False
    capture = False
    surrounded = True  # every neighbour is c or the edge
    for q in (p - 1, p + 1, p - w, p + w):
        v = board[q]
        if v == EMPTY:
            empty += 1
        elif v == c:
            joins = True
            if not _only_liberty_is(st, st.head[q], p):
                spare += 1
        elif v == opp:
            surrounded = False
            if _only_liberty_is(st, st.head[q], p):
                capture = True
    if empty == 0:
        if spare == 0 and not capture:
            return False  # suicide
        if surrounded and _diagonals_allow_eye(st, p, opp):
            return False  # c's own eye
    return capture or not joins or empty + spare > 1


@njit(**INLINE)
def _code_verdict(code: int, c: int) -> int:
    """What a 3x3 code (`rollout_policy._raw_pattern`: 2 bits a neighbour, the board's values,
    N, S, W, E then the diagonals) alone says of `_light_ok` for colour c at that empty point:
    1 when two or more neighbours are empty (a liberty for sure, and never the ko point, whose
    neighbours are all stones), 0 when the point is c's own eye (`board._is_eye`: the test
    rejects it whatever the chains), -1 when the chains must be looked at."""
    orth = code & 0xFF
    taken = (orth | (orth >> 1)) & 0x55  # one bit per non-empty neighbour
    rest = taken & (taken - 1)  # less its lowest bit
    if rest & (rest - 1) == 0:  # at most two non-empty
        return 1
    m = 0x55 << (c - 1)  # c's bit in every field: the field is c or the edge
    if orth & m != m:
        return -1
    d = (code >> 8) & 0xFF
    lo = d & 0x55
    hi = (d >> 1) & 0x55
    opp = (hi & ~lo) if c == BLACK else (lo & ~hi)  # diagonals holding the opponent
    if opp == 0 or (lo & hi == 0 and opp & (opp - 1) == 0):
        return 0
    return -1


@njit(**INLINE)
def _light_random_point(st: State, rng: np.ndarray, c: int) -> int:
    """`_random_point(st, rng, c, True)` for the light rollouts, which keep each empty point's
    3x3 code in its `size` entry: the same draws and the same answers, but `_code_verdict`
    settles most candidates (open points early, eyes late) without reading chains."""
    k = st.meta[M_NEMPTY]
    empties = st.empties
    epos = st.epos
    size = st.size
    while k > 0:
        i = rand_below(rng, k)
        p = empties[i]
        verdict = _code_verdict(size[p] & 0xFFFF, c)
        if verdict == 1 or (verdict < 0 and _light_ok(st, p, c)):
            return p
        k -= 1
        q = empties[k]
        empties[i] = q
        epos[q] = i
        empties[k] = p
        epos[p] = k
    return -1


@njit(**INLINE)
def _random_point(st: State, rng: np.ndarray, c: int, no_self_atari: bool = False) -> int:
    """Padded point of a uniformly random legal, non-eye-filling move of colour c, or -1;
    with `no_self_atari`, also skipping moves that leave a chain of 2+ stones in atari.

    Candidates come from the empty-point list; a rejected one is swapped past the live range,
    so each draw is uniform over the points not yet tried.
    """
    k = st.meta[M_NEMPTY]
    empties = st.empties
    epos = st.epos
    while k > 0:
        i = rand_below(rng, k)
        p = empties[i]
        if _light_ok(st, p, c) if no_self_atari else _playout_ok(st, p, c):
            return p
        k -= 1
        q = empties[k]
        empties[i] = q
        epos[q] = i
        empties[k] = p
        epos[p] = k
    return -1


@njit(**HOT)
def random_move(st: State, rng: np.ndarray) -> int:
    """A random playout move (action) for the player to move; pass when nothing is left."""
    p = _random_point(st, rng, st.meta[M_TO_PLAY])
    if p < 0:
        return st.meta[M_N] * st.meta[M_N]
    return st.p2a[p]


@njit(**HOT)
def playout_inplace(st: State, rng: np.ndarray, max_moves: int) -> int:
    """Play random moves on `st` itself until two passes or `max_moves`; returns the number of
    moves played (passes included). Leaves `st` in fast mode: hash and history are stale."""
    st.meta[M_FAST] = 1
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
    return moves


@njit(**HOT)
def _quick_area_score(st: State) -> float:
    """Area score when every empty point is a single point (as at the end of a playout):
    then its owner is the colour of its neighbours. NaN when some empty region is larger."""
    board = st.board
    w = st.meta[M_W]
    black = 0
    white = 0
    for p in range(board.shape[0]):
        v = board[p]
        if v == BLACK:
            black += 1
        elif v == WHITE:
            white += 1
        elif v == EMPTY:
            seen = 0
            for q in (p - 1, p + 1, p - w, p + w):
                u = board[q]
                if u == EMPTY:
                    return np.nan
                if u != WALL:
                    seen |= u
            if seen == BLACK:
                black += 1
            elif seen == WHITE:
                white += 1
    return black - white - st.komi[0]


@njit(**JIT)
def final_score(st: State) -> float:
    """Area score of a finished playout (fast path, exact fallback)."""
    s = _quick_area_score(st)
    if s != s:
        return area_score(st)
    return s


@njit(**JIT)
def playout(st: State, rng: np.ndarray, max_moves: int) -> float:
    """A random playout from a copy of `st`; returns the final area score for Black."""
    work = copy_state(st)
    playout_inplace(work, rng, max_moves)
    return final_score(work)


@njit(**JIT)
def run_playouts(st: State, count: int, rng: np.ndarray, max_moves: int) -> tuple[int, int]:
    """`count` playouts from `st` into one reused scratch state (the benchmark loop).

    Returns (Black wins, total moves played)."""
    work = copy_state(st)
    wins = 0
    total = 0
    for _ in range(count):
        copy_into(work, st)
        total += playout_inplace(work, rng, max_moves)
        if final_score(work) > 0:
            wins += 1
    return wins, total
