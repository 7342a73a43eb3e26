"""Board-state layout: a NamedTuple of flat numpy arrays that the compiled functions take.

Points are stored on a padded board of width W = N + 2 whose border holds WALL, so a neighbour
is always p +- 1 or p +- W with no bounds test. Outside this module and `board.py` everything
speaks in *actions*: 0 .. N*N-1 for points in row-major order with row 0 at the top (the SGF
orientation), and N*N for pass.

Chains are circular linked lists (`nxt`) with a representative stone (`head`); per head the
chain keeps its size and its pseudo-liberties (count, sum and sum of squares of the liberty
points, one entry per stone-liberty adjacency). The sums make "no liberty" and "exactly one
liberty (atari), and which one" O(1) tests; the exact liberty count is `board.chain_liberties`.

The immutable tables (`a2p`, `p2a`, `zob`) are shared between copies; every other array is
copied by `copy_state`, which is all the search needs to branch a game.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from go_engine.rules import Rules

EMPTY = 0
BLACK = 1
WHITE = 2
WALL = 3

MIN_SIZE = 2
MAX_SIZE = 25
HISTORY_PLANES = 8  # boards kept for the AlphaGo Zero feature planes

# Indices into State.meta.
M_N = 0  # board size N
M_W = 1  # padded width N + 2
M_TO_PLAY = 2  # BLACK or WHITE
M_KO = 3  # padded point forbidden by simple ko, or -1
M_KO_COLOR = 4  # colour that may not play at M_KO
M_MOVE = 5  # number of moves played (passes included); index of the current history entry
M_PASSES = 6  # consecutive passes
M_CAPS_B = 7  # stones captured by Black
M_CAPS_W = 8  # stones captured by White
M_HASH = 9  # Zobrist hash of the stones on the board (positional)
M_SCORING = 10  # rules.SCORING_*
M_KO_RULE = 11  # rules.KO_*
M_SUICIDE = 12  # 1 if suicide is allowed
M_NEMPTY = 13  # number of entries in the empty-point list
M_HIST_CAP = 14  # capacity of the history arrays
M_FAST = 15  # 1 once play_fast has run: hash and history are no longer maintained
META_LEN = 16

ZOBRIST_SEED = 0x60_E0_51_7E


class State(NamedTuple):
    """One position and everything needed to continue the game from it."""

    board: np.ndarray  # int8[P]: EMPTY, BLACK, WHITE or WALL per padded point
    head: np.ndarray  # int32[P]: chain representative of each stone
    nxt: np.ndarray  # int32[P]: next stone of the same chain (circular)
    size: np.ndarray  # int32[P]: stones in the chain, valid at heads
    libs: np.ndarray  # int32[P]: pseudo-liberty count, valid at heads
    lsum: np.ndarray  # int64[P]: sum of pseudo-liberty points
    lsq: np.ndarray  # int64[P]: sum of squares of pseudo-liberty points
    empties: np.ndarray  # int32[N*N]: the empty points (first meta[M_NEMPTY] entries)
    epos: np.ndarray  # int32[P]: index of each empty point in `empties`
    hist: np.ndarray  # int64[H]: positional hash after each move (hist[0]: start position)
    hside: np.ndarray  # int8[H]: player to move after each move
    hmove: np.ndarray  # int32[H]: action that produced each entry (-1 for the start)
    hcolor: np.ndarray  # int8[H]: colour that played it
    past: np.ndarray  # int8[8, N*N]: board after move m in slot m % 8, action layout
    meta: np.ndarray  # int64[META_LEN]
    komi: np.ndarray  # float64[1]
    a2p: np.ndarray  # int32[N*N+1]: action -> padded point (pass -> -1); shared
    p2a: np.ndarray  # int32[P]: padded point -> action (-1 on the border); shared
    zob: np.ndarray  # int64[3, P]: Zobrist keys per colour and point; shared


_TABLES: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _tables(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if n not in _TABLES:
        w = n + 2
        a2p = np.full(n * n + 1, -1, dtype=np.int32)
        p2a = np.full(w * w, -1, dtype=np.int32)
        for r in range(n):
            for c in range(n):
                a = r * n + c
                p = (r + 1) * w + (c + 1)
                a2p[a] = p
                p2a[p] = a
        rng = np.random.Generator(np.random.PCG64(ZOBRIST_SEED + n))
        zob = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, (3, w * w), np.int64)
        zob[0] = 0
        for t in (a2p, p2a, zob):
            t.flags.writeable = False
        _TABLES[n] = (a2p, p2a, zob)
    return _TABLES[n]


def default_history_capacity(n: int) -> int:
    """Moves a new state can record before `board.play` reports MOVE_HISTORY_FULL."""
    return 4 * n * n + 64


def new_state(n: int, rules: Rules | None = None, history: int | None = None) -> State:
    """An empty N x N board with Black to move under `rules` (default: Rules())."""
    if not isinstance(n, int | np.integer) or not MIN_SIZE <= n <= MAX_SIZE:
        raise ValueError(f"board size must be an integer from {MIN_SIZE} to {MAX_SIZE}, not {n!r}")
    n = int(n)
    rules = rules or Rules()
    w = n + 2
    pts = w * w
    a2p, p2a, zob = _tables(n)
    cap = history or default_history_capacity(n)

    board = np.full(pts, WALL, dtype=np.int8)
    empties = np.zeros(n * n, dtype=np.int32)
    epos = np.full(pts, -1, dtype=np.int32)
    for a in range(n * n):
        p = a2p[a]
        board[p] = EMPTY
        empties[a] = p
        epos[p] = a

    meta = np.zeros(META_LEN, dtype=np.int64)
    meta[M_N] = n
    meta[M_W] = w
    meta[M_TO_PLAY] = BLACK
    meta[M_KO] = -1
    meta[M_SCORING] = rules.scoring_code
    meta[M_KO_RULE] = rules.ko_code
    meta[M_SUICIDE] = int(rules.suicide)
    meta[M_NEMPTY] = n * n
    meta[M_HIST_CAP] = cap

    hist = np.zeros(cap, dtype=np.int64)
    hside = np.zeros(cap, dtype=np.int8)
    hside[0] = BLACK
    hmove = np.full(cap, -1, dtype=np.int32)
    hcolor = np.zeros(cap, dtype=np.int8)
    return State(
        board=board,
        head=np.zeros(pts, dtype=np.int32),
        nxt=np.zeros(pts, dtype=np.int32),
        size=np.zeros(pts, dtype=np.int32),
        libs=np.zeros(pts, dtype=np.int32),
        lsum=np.zeros(pts, dtype=np.int64),
        lsq=np.zeros(pts, dtype=np.int64),
        empties=empties,
        epos=epos,
        hist=hist,
        hside=hside,
        hmove=hmove,
        hcolor=hcolor,
        past=np.zeros((HISTORY_PLANES, n * n), dtype=np.int8),
        meta=meta,
        komi=np.array([float(rules.komi)], dtype=np.float64),
        a2p=a2p,
        p2a=p2a,
        zob=zob,
    )


def grow_history(st: State, capacity: int) -> State:
    """A copy of `st` whose history arrays hold `capacity` entries (for very long games)."""
    used = int(st.meta[M_MOVE]) + 1
    if capacity < used:
        raise ValueError(f"capacity {capacity} is below the {used} entries in use")

    def grown(a: np.ndarray, fill: int) -> np.ndarray:
        out = np.full(capacity, fill, dtype=a.dtype)
        out[:used] = a[:used]
        return out

    meta = st.meta.copy()
    meta[M_HIST_CAP] = capacity
    return st._replace(
        board=st.board.copy(),
        head=st.head.copy(),
        nxt=st.nxt.copy(),
        size=st.size.copy(),
        libs=st.libs.copy(),
        lsum=st.lsum.copy(),
        lsq=st.lsq.copy(),
        empties=st.empties.copy(),
        epos=st.epos.copy(),
        hist=grown(st.hist, 0),
        hside=grown(st.hside, 0),
        hmove=grown(st.hmove, -1),
        hcolor=grown(st.hcolor, 0),
        past=st.past.copy(),
        meta=meta,
        komi=st.komi.copy(),
    )
