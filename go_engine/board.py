"""Compiled board operations: legality, playing moves, captures, ko and superko, eyes.

Every function here is `@njit(cache=True, nogil=True)` and works on a `State` (see state.py).
Public functions take and return *actions* (0..N*N-1 points, N*N pass); the helpers prefixed
with an underscore work on padded points.

`play` keeps everything: Zobrist hash, history for superko, the boards for the feature planes.
`play_fast` is the playout path: the same board effects under simple ko only, without hashing
or history, for throwaway copies.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.jit import HOT, INLINE, JIT
from go_engine.rules import KO_POSITIONAL, KO_SIMPLE
from go_engine.state import (
    BLACK,
    EMPTY,
    HISTORY_PLANES,
    M_CAPS_B,
    M_CAPS_W,
    M_FAST,
    M_HASH,
    M_HIST_CAP,
    M_KO,
    M_KO_COLOR,
    M_KO_RULE,
    M_MOVE,
    M_N,
    M_NEMPTY,
    M_PASSES,
    M_SUICIDE,
    M_TO_PLAY,
    M_W,
    WALL,
    WHITE,
    State,
)

# Results of a move. Non-negative means legal.
MOVE_OK = 0
ILLEGAL_OCCUPIED = -1
ILLEGAL_SUICIDE = -2
ILLEGAL_KO = -3
ILLEGAL_SUPERKO = -4
ILLEGAL_OFF_BOARD = -5
MOVE_HISTORY_FULL = -6
ILLEGAL_BAD_COLOR = -7

REASONS = {
    ILLEGAL_OCCUPIED: "occupied",
    ILLEGAL_SUICIDE: "suicide",
    ILLEGAL_KO: "ko",
    ILLEGAL_SUPERKO: "superko",
    ILLEGAL_OFF_BOARD: "off board",
    MOVE_HISTORY_FULL: "history full",
    ILLEGAL_BAD_COLOR: "bad color",
}

# ----------------------------------------------------------------------------- state copies


@njit(**JIT)
def copy_state(st: State) -> State:
    """A deep copy of the mutable arrays; the constant tables are shared."""
    return State(
        st.board.copy(),
        st.head.copy(),
        st.nxt.copy(),
        st.size.copy(),
        st.libs.copy(),
        st.lsum.copy(),
        st.lsq.copy(),
        st.empties.copy(),
        st.epos.copy(),
        st.hist.copy(),
        st.hside.copy(),
        st.hmove.copy(),
        st.hcolor.copy(),
        st.past.copy(),
        st.meta.copy(),
        st.komi.copy(),
        st.a2p,
        st.p2a,
        st.zob,
    )


@njit(**HOT)
def copy_into(dst: State, src: State, planes: bool = True) -> None:
    """Overwrite `dst` with `src` (same board size) without allocating; the search's hot path.

    Only the used part of the history is copied; with `planes` False not the feature-plane
    ring (`past`) either, for copies that are never turned into network inputs (rollout
    search: 8*N*N bytes, a tenth of the copy).
    """
    for i in range(src.board.shape[0]):
        dst.board[i] = src.board[i]
        dst.head[i] = src.head[i]
        dst.nxt[i] = src.nxt[i]
        dst.size[i] = src.size[i]
        dst.libs[i] = src.libs[i]
        dst.lsum[i] = src.lsum[i]
        dst.lsq[i] = src.lsq[i]
        dst.epos[i] = src.epos[i]
    for i in range(src.empties.shape[0]):
        dst.empties[i] = src.empties[i]
    used = min(src.meta[M_MOVE] + 1, dst.hist.shape[0])
    for i in range(used):
        dst.hist[i] = src.hist[i]
        dst.hside[i] = src.hside[i]
        dst.hmove[i] = src.hmove[i]
        dst.hcolor[i] = src.hcolor[i]
    if planes:
        for k in range(src.past.shape[0]):
            for i in range(src.past.shape[1]):
                dst.past[k, i] = src.past[k, i]
    for i in range(src.meta.shape[0]):
        dst.meta[i] = src.meta[i]
    dst.meta[M_HIST_CAP] = dst.hist.shape[0]
    dst.komi[0] = src.komi[0]


# ----------------------------------------------------------------------------- small helpers


@njit(**INLINE)
def _only_liberty_is(st: State, h: int, p: int) -> bool:
    """True if every pseudo-liberty of the chain with head h is point p."""
    n = st.libs[h]
    return n > 0 and st.lsum[h] == n * p and st.lsq[h] == n * p * p


@njit(**INLINE)
def _in_atari(st: State, h: int) -> bool:
    """True if the chain with head h has exactly one distinct liberty."""
    n = st.libs[h]
    return n > 0 and st.lsum[h] * st.lsum[h] == n * st.lsq[h]


@njit(**INLINE)
def _atari_liberty(st: State, h: int) -> int:
    """The single liberty of a chain in atari (padded point)."""
    return st.lsum[h] // st.libs[h]


@njit(**INLINE)
def _empty_remove(st: State, p: int) -> None:
    i = st.epos[p]
    last = st.meta[M_NEMPTY] - 1
    q = st.empties[last]
    st.empties[i] = q
    st.epos[q] = i
    st.epos[p] = -1
    st.meta[M_NEMPTY] = last


@njit(**INLINE)
def _empty_add(st: State, p: int) -> None:
    k = st.meta[M_NEMPTY]
    st.empties[k] = p
    st.epos[p] = k
    st.meta[M_NEMPTY] = k + 1


@njit(**INLINE)
def _remove_chain(st: State, h: int, hashing: bool) -> int:
    """Remove the chain with head h from the board; returns the number of stones removed."""
    board = st.board
    w = st.meta[M_W]
    col = board[h]
    key = 0
    count = 0
    s = h
    while True:
        board[s] = EMPTY
        _empty_add(st, s)
        if hashing:
            key ^= st.zob[col, s]
        count += 1
        for q in (s - 1, s + 1, s - w, s + w):
            v = board[q]
            if (v == BLACK or v == WHITE) and st.head[q] != h:
                g = st.head[q]
                st.libs[g] += 1
                st.lsum[g] += s
                st.lsq[g] += s * s
        s = st.nxt[s]
        if s == h:
            break
    if hashing:
        st.meta[M_HASH] ^= key
    return count


@njit(**INLINE)
def _merge(st: State, a: int, b: int) -> int:
    """Merge chains with heads a and b (a != b); returns the surviving head."""
    if st.size[a] < st.size[b]:
        a, b = b, a
    s = b
    while True:
        st.head[s] = a
        s = st.nxt[s]
        if s == b:
            break
    na = st.nxt[a]
    st.nxt[a] = st.nxt[b]
    st.nxt[b] = na
    st.size[a] += st.size[b]
    st.libs[a] += st.libs[b]
    st.lsum[a] += st.lsum[b]
    st.lsq[a] += st.lsq[b]
    return a


@njit(**HOT)
def _chain_key(st: State, h: int) -> int:
    """XOR of the Zobrist keys of the chain's stones."""
    col = st.board[h]
    key = 0
    s = h
    while True:
        key ^= st.zob[col, s]
        s = st.nxt[s]
        if s == h:
            break
    return key


# ----------------------------------------------------------------------------- legality


@njit(**INLINE)
def _check(st: State, p: int, c: int) -> int:
    """Legality of colour c at padded point p, without superko. Returns MOVE_OK or ILLEGAL_*.

    A legal suicide (rules allowing it) also returns MOVE_OK.
    """
    board = st.board
    if board[p] != EMPTY:
        return ILLEGAL_OCCUPIED
    if p == st.meta[M_KO] and c == st.meta[M_KO_COLOR]:
        return ILLEGAL_KO
    w = st.meta[M_W]
    opp = 3 - c
    for q in (p - 1, p + 1, p - w, p + w):
        v = board[q]
        if v == EMPTY:
            return MOVE_OK
        if v == c:
            if not _only_liberty_is(st, st.head[q], p):
                return MOVE_OK
        elif v == opp:
            if _only_liberty_is(st, st.head[q], p):
                return MOVE_OK
    if st.meta[M_SUICIDE] != 0:
        return MOVE_OK
    return ILLEGAL_SUICIDE


@njit(**HOT)
def _hash_after(st: State, p: int, c: int) -> int:
    """Positional hash after colour c plays at p (p must pass `_check`)."""
    w = st.meta[M_W]
    opp = 3 - c
    key = st.meta[M_HASH] ^ st.zob[c, p]
    h0 = -1
    h1 = -1
    h2 = -1
    alive = False  # the new stone's chain keeps a liberty (or captures)
    friends = 0
    for q in (p - 1, p + 1, p - w, p + w):
        v = st.board[q]
        if v == EMPTY:
            alive = True
        elif v == opp or v == c:
            h = st.head[q]
            if h == h0 or h == h1 or h == h2:
                continue
            if h0 < 0:
                h0 = h
            elif h1 < 0:
                h1 = h
            else:
                h2 = h
            if v == opp and _only_liberty_is(st, h, p):
                key ^= _chain_key(st, h)
                alive = True
            elif v == c:
                friends ^= _chain_key(st, h)
                if not _only_liberty_is(st, h, p):
                    alive = True
    if not alive:
        # Suicide: the stone and every friendly chain it joins leave the board.
        key ^= st.zob[c, p] ^ friends
    return key


@njit(**HOT)
def _repeats(st: State, key: int, c: int) -> bool:
    """True if the position `key` (after colour c moves) breaks the superko rule in force."""
    rule = st.meta[M_KO_RULE]
    if rule == KO_SIMPLE:
        return False
    m = st.meta[M_MOVE]
    if rule == KO_POSITIONAL:
        for j in range(m + 1):
            if st.hist[j] == key:
                return True
        return False
    nxt_player = 3 - c
    for j in range(m + 1):
        if st.hist[j] == key and st.hside[j] == nxt_player:
            return True
    return False


@njit(**HOT)
def legality(st: State, action: int, color: int) -> int:
    """MOVE_OK if `color` may play `action` now, else the ILLEGAL_* reason. Pass is legal."""
    n = st.meta[M_N]
    if color != BLACK and color != WHITE:
        return ILLEGAL_BAD_COLOR
    if action == n * n:
        return MOVE_OK
    if action < 0 or action > n * n:
        return ILLEGAL_OFF_BOARD
    p = st.a2p[action]
    r = _check(st, p, color)
    if r != MOVE_OK:
        return r
    if st.meta[M_KO_RULE] != KO_SIMPLE and st.meta[M_FAST] == 0:
        if _repeats(st, _hash_after(st, p, color), color):
            return ILLEGAL_SUPERKO
    return MOVE_OK


@njit(**JIT)
def legal_mask(st: State, color: int) -> np.ndarray:
    """bool[N*N+1]: which actions `color` may play (pass always)."""
    n = st.meta[M_N]
    out = np.zeros(n * n + 1, dtype=np.bool_)
    for a in range(n * n):
        out[a] = legality(st, a, color) == MOVE_OK
    out[n * n] = True
    return out


# ----------------------------------------------------------------------------- playing


@njit(**INLINE)
def _place(st: State, p: int, c: int, hashing: bool) -> int:
    """Put a stone of colour c at legal point p, capture, merge; returns stones captured."""
    board = st.board
    w = st.meta[M_W]
    opp = 3 - c
    _empty_remove(st, p)
    board[p] = c
    st.head[p] = p
    st.nxt[p] = p
    st.size[p] = 1
    st.libs[p] = 0
    st.lsum[p] = 0
    st.lsq[p] = 0
    if hashing:
        st.meta[M_HASH] ^= st.zob[c, p]
    for q in (p - 1, p + 1, p - w, p + w):
        v = board[q]
        if v == EMPTY:
            st.libs[p] += 1
            st.lsum[p] += q
            st.lsq[p] += q * q
        elif v == BLACK or v == WHITE:
            h = st.head[q]
            st.libs[h] -= 1
            st.lsum[h] -= p
            st.lsq[h] -= p * p
    h = p
    for q in (p - 1, p + 1, p - w, p + w):
        if board[q] == c and st.head[q] != h:
            h = _merge(st, h, st.head[q])
    captured = 0
    ko = -1
    for q in (p - 1, p + 1, p - w, p + w):
        if board[q] == opp and st.libs[st.head[q]] == 0:
            captured += _remove_chain(st, st.head[q], hashing)
            ko = q
    h = st.head[p]
    if captured == 1 and st.size[h] == 1 and st.libs[h] == 1:
        st.meta[M_KO] = ko
        st.meta[M_KO_COLOR] = opp
    else:
        st.meta[M_KO] = -1
    if c == BLACK:
        st.meta[M_CAPS_B] += captured
    else:
        st.meta[M_CAPS_W] += captured
    if st.libs[h] == 0:
        # Suicide (only reached when the rules allow it): the opponent takes the chain.
        lost = _remove_chain(st, h, hashing)
        if c == BLACK:
            st.meta[M_CAPS_W] += lost
        else:
            st.meta[M_CAPS_B] += lost
    return captured


@njit(**HOT)
def _record(st: State, action: int, color: int) -> None:
    """Append the new position to the history and the feature-plane ring."""
    m = st.meta[M_MOVE] + 1
    st.meta[M_MOVE] = m
    st.hist[m] = st.meta[M_HASH]
    st.hside[m] = st.meta[M_TO_PLAY]
    st.hmove[m] = action
    st.hcolor[m] = color
    _snapshot(st)


@njit(**HOT)
def _snapshot(st: State) -> None:
    """Write the current board into ring slot move % HISTORY_PLANES (action layout)."""
    n = st.meta[M_N]
    slot = st.meta[M_MOVE] % HISTORY_PLANES
    for a in range(n * n):
        st.past[slot, a] = st.board[st.a2p[a]]


@njit(**HOT)
def play(st: State, action: int, color: int) -> int:
    """Play `action` for `color` (who need not be the player to move, as GTP allows).

    Returns MOVE_OK (or the number of captures, >= 0) on success; on an illegal move returns
    the ILLEGAL_* reason and leaves the state untouched. After the move the opponent of
    `color` is to play.
    """
    r = legality(st, action, color)
    if r != MOVE_OK:
        return r
    m = st.meta[M_MOVE]
    if m + 1 >= st.meta[M_HIST_CAP]:
        return MOVE_HISTORY_FULL
    n = st.meta[M_N]
    captured = 0
    if action == n * n:
        st.meta[M_PASSES] += 1
        st.meta[M_KO] = -1
    else:
        st.meta[M_PASSES] = 0
        captured = _place(st, st.a2p[action], color, True)
    st.meta[M_TO_PLAY] = 3 - color
    _record(st, action, color)
    return captured


@njit(**HOT)
def play_fast(st: State, action: int, color: int) -> int:
    """Playout move: legality under simple ko only, no hash or history; for throwaway copies."""
    n = st.meta[M_N]
    st.meta[M_FAST] = 1
    if action == n * n:
        st.meta[M_PASSES] += 1
        st.meta[M_KO] = -1
        st.meta[M_TO_PLAY] = 3 - color
        return MOVE_OK
    p = st.a2p[action]
    r = _check(st, p, color)
    if r != MOVE_OK:
        return r
    st.meta[M_PASSES] = 0
    captured = _place(st, p, color, False)
    st.meta[M_TO_PLAY] = 3 - color
    return captured


@njit(**HOT)
def set_stone(st: State, action: int, color: int) -> int:
    """Place a setup or handicap stone (SGF AB/AW) without a turn; the current history entry
    is rewritten, since the position before the setup is not part of the game.

    Returns MOVE_OK, ILLEGAL_OCCUPIED, ILLEGAL_OFF_BOARD, or ILLEGAL_SUICIDE if the stone would
    have no liberty and capture nothing (setup never captures).
    """
    n = st.meta[M_N]
    if action < 0 or action >= n * n:
        return ILLEGAL_OFF_BOARD
    if color != BLACK and color != WHITE:
        return ILLEGAL_BAD_COLOR
    p = st.a2p[action]
    if st.board[p] != EMPTY:
        return ILLEGAL_OCCUPIED
    w = st.meta[M_W]
    alive = False
    for q in (p - 1, p + 1, p - w, p + w):
        v = st.board[q]
        if v == EMPTY:
            alive = True
        elif v == color:
            if not _only_liberty_is(st, st.head[q], p):
                alive = True
        elif v != WALL and _only_liberty_is(st, st.head[q], p):
            return ILLEGAL_SUICIDE  # it would capture: not a valid setup
    if not alive:
        return ILLEGAL_SUICIDE
    _place(st, p, color, True)
    st.meta[M_KO] = -1
    m = st.meta[M_MOVE]
    st.hist[m] = st.meta[M_HASH]
    _snapshot(st)
    return MOVE_OK


@njit(**HOT)
def set_to_play(st: State, color: int) -> None:
    """Set the player to move (after setup stones, or handicap: White moves first)."""
    st.meta[M_TO_PLAY] = color
    st.hside[st.meta[M_MOVE]] = color


# ----------------------------------------------------------------------------- queries


@njit(**HOT)
def is_eye(st: State, action: int, color: int) -> bool:
    """Single-point eye of `color` at `action`: an empty point whose four neighbours are all
    `color` (or the edge), with at most one opponent stone on its diagonals (none at the edge).
    Playouts never fill these."""
    return _is_eye(st, st.a2p[action], color)


@njit(**INLINE)
def _is_eye(st: State, p: int, c: int) -> bool:
    board = st.board
    w = st.meta[M_W]
    if board[p] != EMPTY:
        return False
    for q in (p - 1, p + 1, p - w, p + w):
        v = board[q]
        if v != c and v != WALL:
            return False
    return _diagonals_allow_eye(st, p, 3 - c)


@njit(**INLINE)
def _diagonals_allow_eye(st: State, p: int, opp: int) -> bool:
    """The diagonal half of the eye test: at most one `opp` stone on p's diagonals, none when
    p is on the edge (otherwise the eye is false)."""
    board = st.board
    w = st.meta[M_W]
    bad = 0
    edge = False
    for q in (p - w - 1, p - w + 1, p + w - 1, p + w + 1):
        v = board[q]
        if v == opp:
            bad += 1
        elif v == WALL:
            edge = True
    if edge:
        return bad == 0
    return bad < 2


@njit(**JIT)
def chain_liberties(st: State, action: int) -> int:
    """Exact number of distinct liberties of the chain at `action` (0 if the point is empty)."""
    p = st.a2p[action]
    if st.board[p] != BLACK and st.board[p] != WHITE:
        return 0
    return _exact_libs(st, st.head[p], np.zeros(st.board.shape[0], dtype=np.bool_))


@njit(**HOT)
def _exact_libs(st: State, h: int, mark: np.ndarray) -> int:
    """Distinct liberties of chain h; `mark` is scratch (all False) and is cleared again."""
    w = st.meta[M_W]
    count = 0
    s = h
    while True:
        for q in (s - 1, s + 1, s - w, s + w):
            if st.board[q] == EMPTY and not mark[q]:
                mark[q] = True
                count += 1
        s = st.nxt[s]
        if s == h:
            break
    s = h
    while True:
        for q in (s - 1, s + 1, s - w, s + w):
            mark[q] = False
        s = st.nxt[s]
        if s == h:
            break
    return count


@njit(**JIT)
def liberty_map(st: State) -> np.ndarray:
    """int32[N*N]: exact liberty count of the chain on each point, 0 on empty points."""
    n = st.meta[M_N]
    out = np.zeros(n * n, dtype=np.int32)
    per_head = np.full(st.board.shape[0], -1, dtype=np.int32)
    mark = np.zeros(st.board.shape[0], dtype=np.bool_)
    for a in range(n * n):
        p = st.a2p[a]
        v = st.board[p]
        if v == BLACK or v == WHITE:
            h = st.head[p]
            if per_head[h] < 0:
                per_head[h] = _exact_libs(st, h, mark)
            out[a] = per_head[h]
    return out


@njit(**JIT)
def board_colors(st: State) -> np.ndarray:
    """int8[N*N]: EMPTY / BLACK / WHITE per action."""
    n = st.meta[M_N]
    out = np.zeros(n * n, dtype=np.int8)
    for a in range(n * n):
        out[a] = st.board[st.a2p[a]]
    return out


@njit(**HOT)
def compute_hash(st: State) -> int:
    """Positional Zobrist hash recomputed from the stones (the incremental one must equal it)."""
    key = 0
    for p in range(st.board.shape[0]):
        v = st.board[p]
        if v == BLACK or v == WHITE:
            key ^= st.zob[v, p]
    return key


@njit(**HOT)
def is_game_over(st: State) -> bool:
    """Two consecutive passes end the game."""
    return st.meta[M_PASSES] >= 2
