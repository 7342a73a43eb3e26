"""Compiled scoring: area (Tromp-Taylor) and territory scores, with optional dead stones.

Scores are from Black's point of view and include komi: positive means Black wins.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.jit import JIT
from go_engine.state import BLACK, EMPTY, M_CAPS_B, M_CAPS_W, M_N, M_W, WALL, WHITE, State


@njit(**JIT)
def _board_without_dead(st: State, dead: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Padded board with the `dead` stones (bool[N*N]) removed, and the dead counts (b, w)."""
    n = st.meta[M_N]
    board = st.board.copy()
    dead_b = 0
    dead_w = 0
    for a in range(n * n):
        if dead[a]:
            p = st.a2p[a]
            if board[p] == BLACK:
                dead_b += 1
            elif board[p] == WHITE:
                dead_w += 1
            board[p] = EMPTY
    return board, dead_b, dead_w


@njit(**JIT)
def _owners(board: np.ndarray, w: int) -> np.ndarray:
    """int8[P]: colour owning each point under area rules: stones, and empty regions that
    reach stones of only one colour; 0 for neutral points and the border."""
    pts = board.shape[0]
    owner = np.zeros(pts, dtype=np.int8)
    seen = np.zeros(pts, dtype=np.bool_)
    stack = np.empty(pts, dtype=np.int32)
    region = np.empty(pts, dtype=np.int32)
    for p in range(pts):
        v = board[p]
        if v == BLACK or v == WHITE:
            owner[p] = v
        elif v == EMPTY and not seen[p]:
            reach = 0  # bit 1: black, bit 2: white
            top = 0
            nreg = 0
            stack[top] = p
            top += 1
            seen[p] = True
            while top > 0:
                top -= 1
                s = stack[top]
                region[nreg] = s
                nreg += 1
                for q in (s - 1, s + 1, s - w, s + w):
                    u = board[q]
                    if u == EMPTY:
                        if not seen[q]:
                            seen[q] = True
                            stack[top] = q
                            top += 1
                    elif u != WALL:
                        reach |= u
            if reach == BLACK or reach == WHITE:
                for i in range(nreg):
                    owner[region[i]] = reach
    return owner


@njit(**JIT)
def area_score(st: State) -> float:
    """Tromp-Taylor area score, Black minus White minus komi, every stone counted alive."""
    owner = _owners(st.board, st.meta[M_W])
    b = 0
    wh = 0
    for p in range(owner.shape[0]):
        if owner[p] == BLACK:
            b += 1
        elif owner[p] == WHITE:
            wh += 1
    return b - wh - st.komi[0]


@njit(**JIT)
def area_score_dead(st: State, dead: np.ndarray) -> float:
    """Area score after removing the `dead` stones (bool[N*N])."""
    board, _, _ = _board_without_dead(st, dead)
    owner = _owners(board, st.meta[M_W])
    b = 0
    wh = 0
    for p in range(owner.shape[0]):
        if owner[p] == BLACK:
            b += 1
        elif owner[p] == WHITE:
            wh += 1
    return b - wh - st.komi[0]


@njit(**JIT)
def ownership(st: State, dead: np.ndarray) -> np.ndarray:
    """int8[N*N]: area owner of each point (BLACK, WHITE or 0) after removing `dead` stones."""
    board, _, _ = _board_without_dead(st, dead)
    owner = _owners(board, st.meta[M_W])
    n = st.meta[M_N]
    out = np.zeros(n * n, dtype=np.int8)
    for a in range(n * n):
        out[a] = owner[st.a2p[a]]
    return out


@njit(**JIT)
def territory_score(st: State, dead: np.ndarray) -> float:
    """Territory score: empty points surrounded by one colour plus prisoners (captures during
    the game and the `dead` stones), Black minus White minus komi. Empty regions touching both
    colours (dame, shared liberties of seki) count for nobody."""
    board, dead_b, dead_w = _board_without_dead(st, dead)
    owner = _owners(board, st.meta[M_W])
    tb = 0
    tw = 0
    for p in range(board.shape[0]):
        if board[p] == EMPTY:
            if owner[p] == BLACK:
                tb += 1
            elif owner[p] == WHITE:
                tw += 1
    black = tb + st.meta[M_CAPS_B] + dead_w
    white = tw + st.meta[M_CAPS_W] + dead_b
    return black - white - st.komi[0]
