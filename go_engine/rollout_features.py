"""AlphaGo's fast rollout policy in Numba: its features, an incremental rollout, an extractor.

The features follow Silver et al. (2016), Extended Data Table 4. A candidate move p of the
player c scores the sum of the weights of its active features; the rollout samples from the
softmax of these scores over the candidate moves (legal, not filling c's own eye, simple ko).

    non-response pattern  the 3x3 neighbourhood of p seen by c (empty / own / opponent / edge
                          for each of the 8 neighbours) and the liberty count (1, 2, 3+) of
                          each orthogonally adjacent chain, hashed into NR_SIZE slots
    response pattern      when p lies in the 12-point diamond around the previous move (the
                          points at Manhattan distance 1 or 2): the diamond seen by c, the
                          liberty count (1, 2, 3+) of the previous move's chain and p's place
                          in the diamond, hashed into RESP_SIZE slots
    neighbour             p's place in that diamond (12 slots; 0..7 are AlphaGo's eight
                          8-connected neighbours of the previous move, 8..11 two points away
                          in a straight line)
    capture               p captures a chain
    save atari            p extends a chain of c in atari to two or more liberties
    self-atari            p leaves its chain with one liberty (a lone stone / a group)
    atari                 p takes an opposing chain from two liberties to one

Liberties are exact distinct counts (capped at 3): read by walking the chain, or inside a
rollout from per-chain liberty records kept up to date move by move (REC_A below).

Weights layout (float32[N_WEIGHTS]): NR_OFF + non-response slot, RESP_OFF + response slot,
NEAR_OFF + diamond place, FLAG_OFF + F_* flag.

Speed (`weights_rollout`): the part of a score that does not depend on the previous move is
kept per point and colour as exp(score) in the caller's scratch, and after each move only the
points whose features can have changed are recomputed: the 3x3 neighbourhoods of the move and
of captured stones, and the liberties of the chains whose liberty count crossed 1, 2 or 3 (or
that touched captured stones). Sampling adds the response factors of the (at most 12) diamond
points and draws a row, then a point, from per-row sums, which are redone only for the rows
whose entries changed. `extract_game` lists the active feature indices of every candidate of
every position of a game, exactly the indices `move_logit` sums, for training.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.board import (
    _atari_liberty,
    _diagonals_allow_eye,
    _in_atari,
    _only_liberty_is,
    _place,
    play,
)
from go_engine.jit import HOT, INLINE, JIT
from go_engine.playout import _playout_ok
from go_engine.rng import rand_float
from go_engine.state import (
    BLACK,
    EMPTY,
    M_FAST,
    M_KO,
    M_KO_COLOR,
    M_N,
    M_PASSES,
    M_TO_PLAY,
    M_W,
    WALL,
    WHITE,
    State,
)

NR_BITS = 17
NR_SIZE = 1 << NR_BITS
RESP_BITS = 16
RESP_SIZE = 1 << RESP_BITS
N_NEAR = 12

F_CAPTURE = 0
F_SAVE = 1
F_SELF_ATARI_ONE = 2
F_SELF_ATARI = 3
F_ATARI = 4
N_FLAGS = 5
FLAG_NAMES = ("capture", "save atari", "self-atari (one stone)", "self-atari (group)", "atari")

NR_OFF = 0
RESP_OFF = NR_OFF + NR_SIZE
NEAR_OFF = RESP_OFF + RESP_SIZE
FLAG_OFF = NEAR_OFF + N_NEAR
N_WEIGHTS = FLAG_OFF + N_FLAGS
MAX_FEATURES = 1 + N_FLAGS + 2  # active features of one candidate at most

_NR_MUL = 2654435761
_RESP_MUL = 2246822519
_LOGIT_CLIP = 40.0


# ----------------------------------------------------------------------------- features

# Liberty records (rollouts only): while `weights_rollout` runs, st.epos[h] of every chain head
# h (an entry the board reads only at empty points) holds the chain's `_libs3` as
# n | a << REC_A | b << REC_B (a and b meaningful when n <= 2), so that a point's features cost
# four look-ups instead of walking up to four chains. The board's own data cannot give them:
# its pseudo-liberties tell one liberty from more, not two from three. The records are brought
# up to date after each move (the chains whose liberties changed: the new stone's, the
# opponent's next to it, and the mover's next to captured stones), and the epos entries of
# stones are set back to -1 when the rollout ends.
REC_A = 2
REC_B = 12
REC_MASK = 1023  # padded points fit in 10 bits (MAX_SIZE 25: 27 * 27 = 729)
REC_SEEN = 1 << 22  # the record was recomputed during this move
REC_CHANGED = 1 << 23  # ... and the chain's liberties must be refreshed


@njit(**INLINE)
def _libs3(st: State, h: int) -> tuple[int, int, int]:
    """(n, a, b): the distinct liberties of chain h counted up to 3, and the first two."""
    if _in_atari(st, h):
        return 1, _atari_liberty(st, h), -1
    board = st.board
    w = st.meta[M_W]
    n = 0
    a = -1
    b = -1
    s = h
    while True:
        for q in (s - 1, s + 1, s - w, s + w):
            if board[q] == EMPTY and q != a and q != b:
                if n == 0:
                    a = q
                elif n == 1:
                    b = q
                n += 1
                if n >= 3:
                    return 3, a, b
        s = st.nxt[s]
        if s == h:
            break
    return n, a, b


@njit(**INLINE)
def _lib_record(st: State, h: int) -> int:
    """Chain h's liberty record (see REC_A), computed by `_libs3`."""
    n, a, b = _libs3(st, h)
    return n | (max(a, 0) << REC_A) | (max(b, 0) << REC_B)


@njit(**INLINE)
def _libs(st: State, h: int, memo: bool) -> tuple[int, int, int]:
    """`_libs3(st, h)`, read from the liberty records when `memo` (inside a rollout)."""
    if memo:
        r = st.epos[h]
        return r & 3, (r >> REC_A) & REC_MASK, (r >> REC_B) & REC_MASK
    return _libs3(st, h)


@njit(**INLINE)
def _same_libs(r: int, s: int) -> bool:
    """Two liberty records give every point the same features (equal counts, and equal
    liberty sets below three)."""
    n = r & 3
    if n != s & 3:
        return False
    if n >= 3:
        return True
    a = (r >> REC_A) & REC_MASK
    b = (r >> REC_B) & REC_MASK
    x = (s >> REC_A) & REC_MASK
    y = (s >> REC_B) & REC_MASK
    if n == 1:
        return a == x
    return (a == x and b == y) or (a == y and b == x)


@njit(**INLINE)
def _add_lib(x1: int, x2: int, n: int, q: int) -> tuple[int, int, int]:
    """Add point q to a set of distinct liberties tracked up to two (x1, x2, count)."""
    if n == 0:
        return q, x2, 1
    if n == 1 and q != x1:
        return x1, q, 2
    return x1, x2, n


@njit(**INLINE)
def _swap_colours(code: int, mask: int) -> int:
    """Exchange own (1) and opponent (2) in a code of 2-bit fields (`mask`: 0b0101...)."""
    m = (code ^ (code >> 1)) & mask
    return code ^ (m | (m << 1))


@njit(**INLINE)
def _nr_index(code: int) -> int:
    return NR_OFF + (((code * _NR_MUL) & 0xFFFFFFFF) >> (32 - NR_BITS))


@njit(**INLINE)
def _flags_of(capture: bool, save: bool, atari: bool, nl: int, joins: bool) -> int:
    f = 0
    if capture:
        f |= 1 << F_CAPTURE
    if save and nl >= 2:
        f |= 1 << F_SAVE
    if not capture and nl <= 1:
        f |= (1 << F_SELF_ATARI) if joins else (1 << F_SELF_ATARI_ONE)
    if atari:
        f |= 1 << F_ATARI
    return f


@njit(**INLINE)
def _point_both(st: State, p: int, memo: bool) -> tuple[bool, int, int, bool, int, int]:
    """Features of empty point p for Black and White, ignoring the ko rule:
    (ok_black, nr_black, flags_black, ok_white, nr_white, flags_white), where ok says p is a
    candidate (legal, not filling one's own eye), nr is the non-response slot and flags the
    F_* bits. `memo`: read liberties from the records (inside a rollout)."""
    board = st.board
    w = st.meta[M_W]
    raw = (
        int(board[p - w])
        | (int(board[p + w]) << 2)
        | (int(board[p - 1]) << 4)
        | (int(board[p + 1]) << 6)
        | (int(board[p - w - 1]) << 8)
        | (int(board[p - w + 1]) << 10)
        | (int(board[p + w - 1]) << 12)
        | (int(board[p + w + 1]) << 14)
    )
    libcode = 0
    shift = 0
    empty = False
    b1 = -1
    b2 = -1
    bn = 0
    w1 = -1
    w2 = -1
    wn = 0
    legal_b = False
    legal_w = False
    cap_b = False
    cap_w = False
    save_b = False
    save_w = False
    atari_b = False
    atari_w = False
    join_b = False
    join_w = False
    big_b = False
    big_w = False
    for q in (p - w, p + w, p - 1, p + 1):
        v = board[q]
        if v == EMPTY:
            empty = True
            b1, b2, bn = _add_lib(b1, b2, bn, q)
            w1, w2, wn = _add_lib(w1, w2, wn, q)
        elif v != WALL:
            n, a, b = _libs(st, st.head[q], memo)
            libcode |= n << shift
            if v == BLACK:
                join_b = True
                if n >= 2:
                    legal_b = True
                if n == 1:
                    save_b = True
                    cap_w = True
                elif n == 2:
                    atari_w = True
                if n >= 3:
                    big_b = True
                else:
                    if a != p:
                        b1, b2, bn = _add_lib(b1, b2, bn, a)
                    if n == 2 and b != p:
                        b1, b2, bn = _add_lib(b1, b2, bn, b)
            else:
                join_w = True
                if n >= 2:
                    legal_w = True
                if n == 1:
                    save_w = True
                    cap_b = True
                elif n == 2:
                    atari_b = True
                if n >= 3:
                    big_w = True
                else:
                    if a != p:
                        w1, w2, wn = _add_lib(w1, w2, wn, a)
                    if n == 2 and b != p:
                        w1, w2, wn = _add_lib(w1, w2, wn, b)
        shift += 2
    if empty:
        ok_b = True
        ok_w = True
    else:
        # No empty neighbour: legal only by capturing or joining a chain with another
        # liberty, and never into one's own eye (every neighbour own or edge).
        ok_b = legal_b or cap_b
        ok_w = legal_w or cap_w
        if ok_b and not join_w and _diagonals_allow_eye(st, p, WHITE):
            ok_b = False
        if ok_w and not join_b and _diagonals_allow_eye(st, p, BLACK):
            ok_w = False
    if big_b or cap_b:
        bn = min(bn + 2, 2) if big_b else min(bn + 1, 2)
    if big_w or cap_w:
        wn = min(wn + 2, 2) if big_w else min(wn + 1, 2)
    code_b = raw | (libcode << 16)
    code_w = _swap_colours(raw, 0x5555) | (libcode << 16)
    return (
        ok_b,
        _nr_index(code_b),
        _flags_of(cap_b, save_b, atari_b, bn, join_b),
        ok_w,
        _nr_index(code_w),
        _flags_of(cap_w, save_w, atari_w, wn, join_w),
    )


@njit(**INLINE)
def point_features(st: State, p: int, c: int) -> tuple[bool, int, int]:
    """(candidate, non-response slot, flags) of empty point p for colour c (simple ko too)."""
    ok_b, nr_b, fl_b, ok_w, nr_w, fl_w = _point_both(st, p, False)
    if p == st.meta[M_KO] and c == st.meta[M_KO_COLOR]:
        return False, 0, 0
    if c == BLACK:
        return ok_b, nr_b, fl_b
    return ok_w, nr_w, fl_w


@njit(**INLINE)
def _base_logit(weights: np.ndarray, nr: int, flags: int) -> float:
    s = float(weights[nr])
    if flags != 0:
        for i in range(N_FLAGS):
            if (flags >> i) & 1:
                s += weights[FLAG_OFF + i]
    return s


@njit(**INLINE)
def response_code(st: State, last: int, c: int, memo: bool) -> int:
    """The 12-point diamond around the previous move (padded point `last`) seen by c, 2 bits a
    point in the order of `diamond_index`, and its chain's liberty count (1, 2, 3+) above."""
    board = st.board
    w = st.meta[M_W]
    size = board.shape[0]
    code = 0
    shift = 0
    for off in (-w, w, -1, 1, -w - 1, -w + 1, w - 1, w + 1, -2 * w, 2 * w, -2, 2):
        q = last + off
        d = 3
        if 0 <= q < size:
            d = int(board[q])
        code |= d << shift
        shift += 2
    if c == WHITE:
        code = _swap_colours(code, 0x555555)
    v = board[last]
    n = 0
    if v == BLACK or v == WHITE:
        n, _, _ = _libs(st, st.head[last], memo)
    return code | (n << 24)


@njit(**INLINE)
def diamond_index(p: int, last: int, w: int) -> int:
    """Place of point p in the diamond around `last` (padded points, width w), or -1:
    0..3 N S W E, 4..7 NW NE SW SE, 8..11 two points N S W E."""
    dr = p // w - last // w
    dc = p % w - last % w
    if dr == -1:
        if dc == 0:
            return 0
        if dc == -1:
            return 4
        if dc == 1:
            return 5
    elif dr == 1:
        if dc == 0:
            return 1
        if dc == -1:
            return 6
        if dc == 1:
            return 7
    elif dr == 0:
        if dc == -1:
            return 2
        if dc == 1:
            return 3
        if dc == -2:
            return 10
        if dc == 2:
            return 11
    elif dc == 0:
        if dr == -2:
            return 8
        if dr == 2:
            return 9
    return -1


@njit(**INLINE)
def response_index(code: int, k: int) -> int:
    """Weight slot of the response pattern `code` for a candidate at diamond place k."""
    return RESP_OFF + (((((code << 4) | k) * _RESP_MUL) & 0xFFFFFFFF) >> (32 - RESP_BITS))


@njit(**INLINE)
def _response_logit(weights: np.ndarray, code: int, k: int) -> float:
    return weights[NEAR_OFF + k] + weights[response_index(code, k)]


@njit(**HOT)
def feature_logit(st: State, p: int, c: int, last: int, weights: np.ndarray) -> float:
    """The score of candidate p for colour c, the previous move at padded point `last` (or
    -1): the sum of the weights of its active features."""
    ok_b, nr_b, fl_b, ok_w, nr_w, fl_w = _point_both(st, p, False)
    if c == BLACK:
        s = _base_logit(weights, nr_b, fl_b)
    else:
        s = _base_logit(weights, nr_w, fl_w)
    if last >= 0:
        k = diamond_index(p, last, st.meta[M_W])
        if k >= 0:
            s += _response_logit(weights, response_code(st, last, c, False), k)
    return s


# ----------------------------------------------------------------------------- rollouts


@njit(**INLINE)
def _exp_clip(s: float) -> float:
    return np.exp(np.float32(min(max(s, -_LOGIT_CLIP), _LOGIT_CLIP)))


@njit(**INLINE)
def _refresh(st: State, q: int, weights: np.ndarray, cache: np.ndarray, nn: int, memo: bool) -> int:
    """Recompute the cached exp(base score) of point q for both colours (0: no candidate);
    returns the bit of q's row (the row sums to redo)."""
    a = st.p2a[q]
    if st.board[q] != EMPTY:
        cache[a] = 0.0
        cache[nn + a] = 0.0
    else:
        ok_b, nr_b, fl_b, ok_w, nr_w, fl_w = _point_both(st, q, memo)
        cache[a] = _exp_clip(_base_logit(weights, nr_b, fl_b)) if ok_b else 0.0
        cache[nn + a] = _exp_clip(_base_logit(weights, nr_w, fl_w)) if ok_w else 0.0
    return 1 << (a // st.meta[M_N])


@njit(**HOT)
def fill_cache(st: State, weights: np.ndarray, cache: np.ndarray) -> None:
    """cache[(c - 1) * N*N + action] = exp(base score) of every point for both colours, from
    scratch (liberties counted by walking the chains: the reference the rollout's incremental
    cache must equal)."""
    nn = st.meta[M_N] * st.meta[M_N]
    for a in range(nn):
        _refresh(st, st.a2p[a], weights, cache, nn, False)


@njit(**HOT)
def start_records(st: State, weights: np.ndarray, cache: np.ndarray) -> None:
    """Start a rollout's incremental data: the liberty record of every chain (in st.epos, see
    REC_A) and the cache of `fill_cache` computed from them. `end_records` undoes the former."""
    board = st.board
    for p in range(board.shape[0]):
        v = board[p]
        if (v == BLACK or v == WHITE) and st.head[p] == p:
            st.epos[p] = _lib_record(st, p)
    nn = st.meta[M_N] * st.meta[M_N]
    for a in range(nn):
        _refresh(st, st.a2p[a], weights, cache, nn, True)


@njit(**HOT)
def end_records(st: State) -> None:
    """Give the stones' epos entries back to the board (-1)."""
    board = st.board
    for p in range(board.shape[0]):
        v = board[p]
        if v == BLACK or v == WHITE:
            st.epos[p] = -1


@njit(**HOT)
def records_ok(st: State) -> bool:
    """Every chain head's liberty record equals a recount (for the tests)."""
    board = st.board
    for p in range(board.shape[0]):
        v = board[p]
        if (v == BLACK or v == WHITE) and st.head[p] == p:
            r = st.epos[p]
            if r & (REC_SEEN | REC_CHANGED) or not _same_libs(r, _lib_record(st, p)):
                return False
    return True


@njit(**INLINE)
def _update_record(st: State, h: int) -> None:
    """Recount chain h's liberties (once a move: REC_SEEN), flagging REC_CHANGED when its
    liberties' features can have changed."""
    old = st.epos[h]
    if old & REC_SEEN:
        return
    r = _lib_record(st, h)
    if not _same_libs(old, r):
        r |= REC_CHANGED
    st.epos[h] = r | REC_SEEN


@njit(**INLINE)
def _flush_record(st: State, h: int, weights: np.ndarray, cache: np.ndarray, nn: int) -> int:
    """Clear chain h's REC_SEEN / REC_CHANGED and, if changed, refresh its liberties."""
    r = st.epos[h]
    if not r & REC_SEEN:
        return 0
    st.epos[h] = r & ~(REC_SEEN | REC_CHANGED)
    if not r & REC_CHANGED:
        return 0
    n = r & 3
    mask = 0
    if n <= 2:  # the record names them
        for i in range(n):
            q = (r >> (REC_A if i == 0 else REC_B)) & REC_MASK
            mask |= _refresh(st, q, weights, cache, nn, True)
        return mask
    board = st.board
    w = st.meta[M_W]
    s = h
    while True:
        for q in (s - 1, s + 1, s - w, s + w):
            if board[q] == EMPTY:
                mask |= _refresh(st, q, weights, cache, nn, True)
        s = st.nxt[s]
        if s == h:
            break
    return mask


@njit(**HOT)
def play_and_update(st: State, p: int, c: int, weights: np.ndarray, cache: np.ndarray) -> int:
    """Place c's stone at candidate p (simple ko, no hashing) and bring the liberty records
    and the cache up to date; returns the bit mask of the rows whose cache entries changed."""
    board = st.board
    w = st.meta[M_W]
    n = st.meta[M_N]
    nn = n * n
    opp = 3 - c
    h0 = -1
    h1 = -1
    h2 = -1
    h3 = -1
    own = False
    own_small = False
    for q in (p - 1, p + 1, p - w, p + w):
        v = board[q]
        if v == opp:
            h = st.head[q]
            if _only_liberty_is(st, h, p) and h != h0 and h != h1 and h != h2:
                if h0 < 0:
                    h0 = h
                elif h1 < 0:
                    h1 = h
                elif h2 < 0:
                    h2 = h
                else:
                    h3 = h
        elif v == c:
            own = True
            if st.epos[st.head[q]] & 3 <= 2:
                own_small = True
    _place(st, p, c, False)
    if board[p] != c:  # suicide (rules allowing it; rollouts never play it): start again
        start_records(st, weights, cache)
        return (1 << n) - 1
    # The records first (a refresh reads every neighbouring chain's record), then the points.
    hp = st.head[p]
    r = _lib_record(st, hp)
    if own and (own_small or r & 3 <= 2):  # liberties of merged chains with changed counts
        r |= REC_CHANGED
    st.epos[hp] = r | REC_SEEN
    for q in (p - 1, p + 1, p - w, p + w):
        if board[q] == opp:  # lost liberty p
            _update_record(st, st.head[q])
    for hc in (h0, h1, h2, h3):
        if hc < 0:
            continue
        s = hc
        while True:  # the removed stones keep their chain links
            for q in (s - 1, s + 1, s - w, s + w):
                if board[q] == c:  # gained liberty s
                    _update_record(st, st.head[q])
            s = st.nxt[s]
            if s == hc:
                break
    # The points: the 3x3 neighbourhoods of p and of every captured stone (p itself included,
    # now occupied), and the liberties of the chains whose records changed: p's chain and the
    # opponent's next to p, the mover's next to captured stones. One loop with one refresh
    # site, so the (large) inlined feature code is compiled twice, not a dozen times.
    mask = 0
    for k in range(5):
        start = p
        col = opp
        if k > 0:
            start = (h0, h1, h2, h3)[k - 1]
            col = c
            if start < 0:
                continue
        s = start
        while True:
            for q in (s, s - w, s + w, s - 1, s + 1, s - w - 1, s - w + 1, s + w - 1, s + w + 1):
                if q == s or board[q] == EMPTY:
                    mask |= _refresh(st, q, weights, cache, nn, True)
            for q in (s, s - 1, s + 1, s - w, s + w):
                if board[q] == col or (k == 0 and q == s):
                    mask |= _flush_record(st, st.head[q], weights, cache, nn)
            if k == 0:
                break
            s = st.nxt[s]
            if s == start:
                break
    return mask


@njit(**INLINE)
def _sum_rows(cache: np.ndarray, rows: np.ndarray, n: int, dirty: int) -> None:
    """rows[r] (Black) and rows[n + r] (White): the sums of the cache's row r, for the rows
    whose bit is set in `dirty`."""
    nn = n * n
    for r in range(n):
        if (dirty >> r) & 1:
            sb = 0.0
            sw = 0.0
            i0 = r * n
            for i in range(i0, i0 + n):
                sb += cache[i]
                sw += cache[nn + i]
            rows[r] = sb
            rows[n + r] = sw


@njit(**HOT)
def _sample(
    st: State,
    rng: np.ndarray,
    c: int,
    last: int,
    weights: np.ndarray,
    cache: np.ndarray,
    rows: np.ndarray,
) -> tuple[int, int]:
    """Draw a point from cache (colour c) times the response factors; -1 when all are zero.
    `rows` holds the row sums (`_sum_rows`). The response factors are added to the (at most
    five) rows of the diamond for the draw; their sums are saved in the free part of `rows`
    and put back afterwards, bit for bit, so no row has to be summed again. Boards too small
    for that scratch return the rows to redo as a bit mask (always 0 otherwise)."""
    board = st.board
    w = st.meta[M_W]
    n = st.meta[M_N]
    nn = n * n
    base = (c - 1) * nn
    rb = (c - 1) * n
    size = board.shape[0]
    saved = 2 * n  # rows[saved + i]: the sum of row lr - 2 + i before the factors
    factors = saved + 5  # rows[factors + k]: the factor of diamond place k
    restore = rows.shape[0] >= factors
    keep = rows.shape[0] >= factors + N_NEAR
    code = 0
    lr = -10
    lc = -10
    adj = 0
    if last >= 0:
        code = response_code(st, last, c, True)
        la = st.p2a[last]
        lr = la // n
        lc = la % n
        if restore:
            for i in range(5):
                r = lr - 2 + i
                if 0 <= r < n:
                    rows[saved + i] = rows[rb + r]
        k = 0
        for off in (-w, w, -1, 1, -w - 1, -w + 1, w - 1, w + 1, -2 * w, 2 * w, -2, 2):
            q = last + off
            if 0 <= q < size and board[q] == EMPTY:
                a = st.p2a[q]
                x = cache[base + a]
                if x > 0.0:
                    f = _exp_clip(_response_logit(weights, code, k))
                    if keep:
                        rows[factors + k] = f
                    r = a // n
                    rows[rb + r] += x * (f - 1.0)
                    adj |= 1 << r
            k += 1
    pick = _draw(st, rng, last, weights, cache, rows, code, base, rb, lr, lc, factors, keep)
    if restore and adj:
        for i in range(5):
            r = lr - 2 + i
            if 0 <= r < n:
                rows[rb + r] = rows[saved + i]
        adj = 0
    return pick, adj


@njit(**INLINE)
def _draw(
    st: State,
    rng: np.ndarray,
    last: int,
    weights: np.ndarray,
    cache: np.ndarray,
    rows: np.ndarray,
    code: int,
    base: int,
    rb: int,
    lr: int,
    lc: int,
    factors: int,
    keep: bool,
) -> int:
    """`_sample`'s draw once the rows hold the response factors: a row by its sum, then a
    point of it (-1 when every weight is zero)."""
    n = st.meta[M_N]
    w = st.meta[M_W]
    total = 0.0
    for r in range(n):
        total += rows[rb + r]
    if total <= 0.0:
        return -1
    u = rand_float(rng) * total
    row = -1
    for r in range(n):
        x = rows[rb + r]
        if x > 0.0:
            row = r
            if u < x:
                break
            u -= x
    if row < 0:
        return -1
    near = abs(row - lr) <= 2
    pick = -1
    i0 = base + row * n
    for col in range(n):
        x = float(cache[i0 + col])
        if x <= 0.0:
            continue
        if near and abs(col - lc) + abs(row - lr) <= 2:
            q = st.a2p[row * n + col]
            k = diamond_index(q, last, w)
            if k >= 0:
                if keep:
                    x *= rows[factors + k]
                else:
                    x *= _exp_clip(_response_logit(weights, code, k))
        pick = col
        if u < x:
            break
        u -= x
    if pick < 0:
        return -1
    return st.a2p[row * n + pick]


@njit(**HOT)
def weights_rollout(
    st: State,
    rng: np.ndarray,
    max_moves: int,
    weights: np.ndarray,
    last: int,
    moves: np.ndarray,
    cand: np.ndarray,
    score: np.ndarray,
) -> int:
    """`rollout_policy.rollout` for the weights policy: same contract (moves played into
    `moves`, their number returned, `st` left in fast mode); `score` (float64, N*N) holds the
    per-point cache of both colours, `cand` (int32, N*N) the row sums of both colours."""
    st.meta[M_FAST] = 1
    n = st.meta[M_N]
    nn = n * n
    cache = score[:nn].view(np.float32)
    rows = cand[:nn].view(np.float32)
    start_records(st, weights, cache)
    dirty = (1 << n) - 1
    cap = min(max_moves, moves.shape[0])
    count = 0
    while st.meta[M_PASSES] < 2 and count < cap:
        c = st.meta[M_TO_PLAY]
        base = (c - 1) * nn
        ko_a = -1
        ko_x = np.float32(0.0)
        while True:
            _sum_rows(cache, rows, n, dirty)
            p, dirty = _sample(st, rng, c, last, weights, cache, rows)
            if p < 0:
                break
            a = st.p2a[p]
            if p == st.meta[M_KO] and c == st.meta[M_KO_COLOR]:
                ko_a = a
                ko_x = cache[base + a]
                cache[base + a] = 0.0
                dirty |= 1 << (a // n)
                continue
            if _playout_ok(st, p, c):
                break
            cache[base + a] = 0.0  # never reached while the cache is exact
            dirty |= 1 << (a // n)
        if ko_a >= 0:
            cache[base + ko_a] = ko_x
            dirty |= 1 << (ko_a // n)
        if p < 0:
            st.meta[M_PASSES] += 1
            st.meta[M_KO] = -1
            moves[count] = nn
        else:
            st.meta[M_PASSES] = 0
            dirty |= play_and_update(st, p, c, weights, cache)
            moves[count] = st.p2a[p]
        last = p
        st.meta[M_TO_PLAY] = 3 - c
        count += 1
    end_records(st)
    return count


# ----------------------------------------------------------------------------- extraction


@njit(**HOT)
def position_features(st: State, c: int, last: int, acts: np.ndarray, feats: np.ndarray) -> int:
    """List colour c's candidate moves (actions into `acts`) and each one's active feature
    indices (rows of `feats`, MAX_FEATURES wide, padded with -1); returns their number.
    `last` is the padded point of the previous move or -1."""
    n = st.meta[M_N]
    w = st.meta[M_W]
    code = 0
    if last >= 0:
        code = response_code(st, last, c, False)
    k_out = 0
    for a in range(n * n):
        p = st.a2p[a]
        if st.board[p] != EMPTY:
            continue
        ok, nr, flags = point_features(st, p, c)
        if not ok:
            continue
        acts[k_out] = a
        j = 0
        feats[k_out, j] = nr
        j += 1
        for i in range(N_FLAGS):
            if (flags >> i) & 1:
                feats[k_out, j] = FLAG_OFF + i
                j += 1
        if last >= 0:
            k = diamond_index(p, last, w)
            if k >= 0:
                feats[k_out, j] = NEAR_OFF + k
                feats[k_out, j + 1] = response_index(code, k)
                j += 2
        while j < MAX_FEATURES:
            feats[k_out, j] = -1
            j += 1
        k_out += 1
    return k_out


@njit(**JIT)
def extract_game(
    st: State, actions: np.ndarray, colours: np.ndarray, take: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Replay a game on `st` (changed in place) and list, for each move i with take[i] that is
    not a pass and whose move is a candidate, every candidate's features (`position_features`).

    Returns (start, target, feats, acts, error): position j's candidates are rows
    start[j]:start[j+1] of feats/acts, and target[j] is the expert move's row among them;
    error is -1, or the index of the first move `board.play` refused (the arrays then hold
    the positions before it).
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
    feats = np.empty((max(npos, 1) * nn, MAX_FEATURES), np.int32)
    acts = np.empty(max(npos, 1) * nn, np.int32)
    j = 0
    rows = 0
    last = -1
    error = -1
    for i in range(m):
        a = actions[i]
        c = colours[i]
        if take[i] and a != nn:
            k = position_features(st, c, last, acts[rows:], feats[rows:])
            t = -1
            for r in range(k):
                if acts[rows + r] == a:
                    t = r
                    break
            if t >= 0:
                target[j] = t
                rows += k
                j += 1
                start[j] = rows
        if play(st, a, c) < 0:
            error = i
            break
        last = -1 if a == nn else st.a2p[a]
    return start[: j + 1].copy(), target[:j].copy(), feats[:rows].copy(), acts[:rows].copy(), error
