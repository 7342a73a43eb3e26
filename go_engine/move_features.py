"""Dense hand-made features of candidate moves, for classical models (trees, linear models).

`rollout_features` scores AlphaGo's fast-rollout features by hashing whole patterns into weight
slots. Decision trees and one-hot linear models want the same information decoded, one column
per piece, so this module lists, for every candidate move of a position (exactly the
candidates of `rollout_features.position_features`: legal, not filling the mover's own eye,
simple ko), one int16 row of COLUMNS.

Pattern columns (PATTERN_COLUMNS: the rollout policy's features, decoded):

    nb_N .. nb_SE      the 8 neighbours of the point seen by the mover, in the order N S W E
                       NW NE SW SE: 0 empty, 1 own stone, 2 opponent stone, 3 off the board
    lib_N .. lib_E     liberties of the chain on each orthogonal neighbour: 0 no chain there,
                       1, 2, 3 (three or more)
    capture, save_atari, self_atari_one, self_atari_group, atari
                       the five rollout flags (0/1), see `rollout_features`
    diamond_place      place of the point in the 12-point diamond around the previous move
                       (`rollout_features.diamond_index`: 0..3 N S W E, 4..7 NW NE SW SE,
                       8..11 two points N S W E), -1 outside it or with no previous move
    resp_0 .. resp_11  the diamond around the previous move seen by the mover (0 empty, 1 own,
                       2 opponent, 3 off the board), in diamond order; -1 with no previous
                       move (first move, or the previous move was a pass)
    resp_libs          liberties (1, 2, 3+) of the previous move's chain; -1 with none

Positional extras (EXTRA_COLUMNS: not rollout features, the usual additions of hand-made sets):

    line               distance to the nearest edge plus one (1 = first line)
    dist_prev          Manhattan distance to the previous move, -1 with none
    dist_prev2         Manhattan distance to the move before it (the mover's own last move)
    move_number        moves of the record played before this one (the same for every
                       candidate of a position: useful to trees only through interactions)

The resp_* columns and move_number hold the same values for every candidate of a position (they
describe the previous move, or the game): a model can use them only in interactions with the
other columns (trees; the linear model's crossed block in training.classical).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.board import play
from go_engine.jit import JIT
from go_engine.rollout_features import _libs3, diamond_index, point_features
from go_engine.state import EMPTY, M_N, M_W, WALL, State

NEIGHBOUR_COLUMNS = tuple(f"nb_{d}" for d in ("N", "S", "W", "E", "NW", "NE", "SW", "SE"))
LIBERTY_COLUMNS = tuple(f"lib_{d}" for d in ("N", "S", "W", "E"))
FLAG_COLUMNS = ("capture", "save_atari", "self_atari_one", "self_atari_group", "atari")
RESPONSE_COLUMNS = tuple(f"resp_{k}" for k in range(12)) + ("resp_libs",)
PATTERN_COLUMNS = (
    NEIGHBOUR_COLUMNS + LIBERTY_COLUMNS + FLAG_COLUMNS + ("diamond_place",) + RESPONSE_COLUMNS
)
EXTRA_COLUMNS = ("line", "dist_prev", "dist_prev2", "move_number")
COLUMNS = PATTERN_COLUMNS + EXTRA_COLUMNS
N_COLUMNS = len(COLUMNS)

# Column positions (the order of COLUMNS).
C_NB = 0
C_LIB = C_NB + 8
C_FLAG = C_LIB + 4
C_PLACE = C_FLAG + 5
C_RESP = C_PLACE + 1
C_RESP_LIBS = C_RESP + 12
C_LINE = C_RESP_LIBS + 1
C_DIST = C_LINE + 1
C_DIST2 = C_DIST + 1
C_MOVE = C_DIST2 + 1

# Columns whose values are unordered codes (trees may split them as categories); the rest
# (flags, liberty counts, distances, move number) are ordered.
CATEGORICAL_COLUMNS = NEIGHBOUR_COLUMNS + ("diamond_place",) + RESPONSE_COLUMNS[:12]

# Value range of each column (inclusive; move_number is unbounded above, capped at 32767).
COLUMN_RANGES: dict[str, tuple[int, int]] = {
    **{c: (0, 3) for c in NEIGHBOUR_COLUMNS + LIBERTY_COLUMNS},
    **{c: (0, 1) for c in FLAG_COLUMNS},
    "diamond_place": (-1, 11),
    **{c: (-1, 3) for c in RESPONSE_COLUMNS},
    "line": (1, 13),
    "dist_prev": (-1, 48),
    "dist_prev2": (-1, 48),
    "move_number": (0, 32767),
}
assert len(COLUMN_RANGES) == N_COLUMNS


@njit(**JIT)
def _seen(v: int, c: int) -> int:
    """A board value seen by colour c: 0 empty, 1 own, 2 opponent, 3 off the board."""
    if v == EMPTY:
        return 0
    if v == WALL:
        return 3
    return 1 if v == c else 2


@njit(**JIT)
def _manhattan(p: int, q: int, w: int) -> int:
    return abs(p // w - q // w) + abs(p % w - q % w)


@njit(**JIT)
def position_rows(
    st: State,
    c: int,
    last: int,
    last2: int,
    move_number: int,
    acts: np.ndarray,
    rows: np.ndarray,
) -> int:
    """List colour c's candidate moves (actions into `acts`, in action order) and each one's
    dense row (`rows`, int16, N_COLUMNS wide); returns their number. `last` and `last2` are the
    padded points of the previous move and of the one before it, or -1 (none, or a pass)."""
    n = st.meta[M_N]
    w = st.meta[M_W]
    board = st.board
    size = board.shape[0]
    # The response part depends on the previous move only: computed once per position.
    resp = np.full(13, -1, np.int16)
    if last >= 0:
        k = 0
        for off in (-w, w, -1, 1, -w - 1, -w + 1, w - 1, w + 1, -2 * w, 2 * w, -2, 2):
            q = last + off
            resp[k] = _seen(int(board[q]), c) if 0 <= q < size else 3
            k += 1
        v = board[last]
        if v != EMPTY and v != WALL:
            nl, _, _ = _libs3(st, st.head[last])
            resp[12] = nl
    mv = min(move_number, 32767)
    k_out = 0
    for a in range(n * n):
        p = st.a2p[a]
        if board[p] != EMPTY:
            continue
        ok, _, flags = point_features(st, p, c)
        if not ok:
            continue
        acts[k_out] = a
        row = rows[k_out]
        j = 0
        for q in (p - w, p + w, p - 1, p + 1, p - w - 1, p - w + 1, p + w - 1, p + w + 1):
            row[C_NB + j] = _seen(int(board[q]), c)
            j += 1
        j = 0
        for q in (p - w, p + w, p - 1, p + 1):
            v = board[q]
            nl = 0
            if v != EMPTY and v != WALL:
                nl, _, _ = _libs3(st, st.head[q])
            row[C_LIB + j] = nl
            j += 1
        for i in range(5):
            row[C_FLAG + i] = (flags >> i) & 1
        row[C_PLACE] = diamond_index(p, last, w) if last >= 0 else -1
        for i in range(13):
            row[C_RESP + i] = resp[i]
        r = a // n
        col = a % n
        row[C_LINE] = min(min(r, col), min(n - 1 - r, n - 1 - col)) + 1
        row[C_DIST] = _manhattan(p, last, w) if last >= 0 else -1
        row[C_DIST2] = _manhattan(p, last2, w) if last2 >= 0 else -1
        row[C_MOVE] = mv
        k_out += 1
    return k_out


@njit(**JIT)
def extract_game(
    st: State, actions: np.ndarray, colours: np.ndarray, take: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Replay a game on `st` (changed in place, with `board.play`) and list, for each move i
    with take[i] that is not a pass and whose move is a candidate, every candidate's dense row
    (`position_rows`); the other positions are left out, as in `rollout_features.extract_game`.

    Returns (start, target, rows, acts, moves, error): position j's candidates are rows
    start[j]:start[j+1] of rows/acts, target[j] is the expert move's row among them and
    moves[j] the index i of its move in the game; error is -1, or the index of the first move
    `board.play` refused (the arrays then hold the positions before it).
    """
    n = st.meta[M_N]
    nn = n * n
    m = actions.shape[0]
    npos = 0
    for i in range(m):
        if take[i] and actions[i] != nn:
            npos += 1
    start = np.zeros(npos + 1, np.int64)
    target = np.zeros(npos, np.int32)
    moves = np.zeros(npos, np.int32)
    rows = np.empty((max(npos, 1) * nn, N_COLUMNS), np.int16)
    acts = np.empty(max(npos, 1) * nn, np.int32)
    j = 0
    used = 0
    last = -1
    last2 = -1
    error = -1
    for i in range(m):
        a = actions[i]
        c = colours[i]
        if take[i] and a != nn:
            k = position_rows(st, c, last, last2, i, acts[used:], rows[used:])
            t = -1
            for r in range(k):
                if acts[used + r] == a:
                    t = r
                    break
            if t >= 0:
                target[j] = t
                moves[j] = i
                used += k
                j += 1
                start[j] = used
        if play(st, a, c) < 0:
            error = i
            break
        last2 = last
        last = -1 if a == nn else st.a2p[a]
    return (
        start[: j + 1].copy(),
        target[:j].copy(),
        rows[:used].copy(),
        acts[:used].copy(),
        moves[:j].copy(),
        error,
    )
