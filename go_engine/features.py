"""Input planes for the neural networks, computed in Numba for one state or a batch of states.

All planes are float32 [C, N, N] in the action layout (row 0 at the top), seen from the player
to move (`meta[M_TO_PLAY]`), who is called "own" below; the other colour is the "opponent".

AlphaGo Zero planes (`agz_planes`, AGZ_PLANES = 17)
    0..7    own stones at times t, t-1, ..., t-7
    8..15   opponent stones at the same times
    16      ones if Black is to move, else zeros
"Own" is the player to move at time t for every history plane (the AGZ convention, so planes
0..7 and 8..15 swap roles from one move to the next). Time t-k is the board after move m-k
(m = meta[M_MOVE]); the past boards come from the ring `st.past`, and times before move 0 are
zero planes. Plane 0 is read from the live board.

Extended planes in the style of AlphaGo's SL-policy features (`extended_planes`,
EXTENDED_PLANES = 21). "Legal" means legal for the player to move, superko included.

    index  constant           plane
    0      F_OWN              own stones
    1      F_OPP              opponent stones
    2      F_EMPTY            empty points
    3      F_ONES             ones (the on-board mask)
    4      F_OWN_LIB1         own stones whose chain has exactly 1 liberty
    5      F_OWN_LIB2         own stones whose chain has exactly 2 liberties
    6      F_OWN_LIB3         own stones whose chain has 3 or more liberties
    7      F_OPP_LIB1         opponent stones whose chain has exactly 1 liberty
    8      F_OPP_LIB2         opponent stones whose chain has exactly 2 liberties
    9      F_OPP_LIB3         opponent stones whose chain has 3 or more liberties
    10     F_LEGAL            legal moves
    11     F_KO               the point simple ko forbids to the player to move
    12..15 F_LAST1..F_LAST4   the move played 1, 2, 3, 4 turns ago (nothing for a pass)
    16     F_CAPTURE          legal moves that capture at least one opponent stone
    17     F_SELF_ATARI       legal moves after which the mover's chain has exactly 1 liberty
                              (captures counted; a ko capture is therefore a self-atari)
    18     F_LADDER_CAPTURE   legal moves that win a ladder, see below
    19     F_LADDER_ESCAPE    legal moves that escape a ladder, see below
    20     F_BLACK            ones if Black is to move, else zeros

Ladders. `ladder_captured(st, action)` reads the chain at `action`, which must be in atari,
with its owner (the defender) to move. The defender's candidate moves are the extension at
its liberty and the capture of any attacking chain in atari that touches the chain. After a
defender move the chain escapes with 3+ liberties and dies with 1 (or none); with 2 the attacker
tries an atari on each of them in turn and the ladder works if either atari leaves the chain
dead (recursively). Reading uses simple ko only (no superko) and scratch copies, so the state is
never touched. It is bounded: `max_depth` defender moves (default 2*N, i.e. 4*N plies, more than
any ladder across the board needs) and `max_nodes` positions in all; a line cut off by either
bound counts as an escape, so "captured" is always a proof within simple-ko rules.

    F_LADDER_CAPTURE at a legal point p: (a) after the player to move plays p, some opponent
        chain next to p is in atari and `ladder_captured` says it dies with the opponent to
        move, or (b) p is the only liberty of an opponent chain in atari that would die in the
        ladder even if the opponent moved first (capturing it now is the ladder's end).
    F_LADDER_ESCAPE at a legal point p: p is the only liberty of an own chain in atari, and
        after extending at p the chain is not captured in the ladder (3+ liberties, or 2 with
        no working atari).

Fast-mode states (after `board.play_fast`) keep no history: their past boards and last moves are
stale, and their legal plane ignores superko, exactly as `board.legality` does.

Batches: `agz_planes_batch(states, out)` and `extended_planes_batch(states, out)` fill
out[B, C, N, N] for a sequence of same-size states. The states go to Numba as a tuple: on a
19x19 batch of 64 this was measured at about 0.5 us per state of passing cost, while building
a `numba.typed.List` from Python costs about 5 us per state (each `append` unboxes the State
through a compiled call). A tuple compiles one specialisation per batch length (cached on
disk); batches longer than `TUPLE_MAX` are cut into chunks to bound that. Numba code holding the
states itself should call `agz_fill` / `extended_fill` directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numba import njit

from go_engine.board import (
    MOVE_OK,
    _atari_liberty,
    _check,
    _in_atari,
    _only_liberty_is,
    _place,
    legality,
)
from go_engine.state import (
    BLACK,
    EMPTY,
    HISTORY_PLANES,
    M_KO,
    M_KO_COLOR,
    M_MOVE,
    M_N,
    M_TO_PLAY,
    M_W,
    META_LEN,
    WHITE,
    State,
)

_JIT = {"cache": True, "nogil": True}
_HOT = {"cache": True, "nogil": True, "_nrt": False}  # see board.py

AGZ_PLANES = 2 * HISTORY_PLANES + 1

F_OWN = 0
F_OPP = 1
F_EMPTY = 2
F_ONES = 3
F_OWN_LIB1 = 4
F_OWN_LIB2 = 5
F_OWN_LIB3 = 6
F_OPP_LIB1 = 7
F_OPP_LIB2 = 8
F_OPP_LIB3 = 9
F_LEGAL = 10
F_KO = 11
F_LAST1 = 12
F_LAST2 = 13
F_LAST3 = 14
F_LAST4 = 15
F_CAPTURE = 16
F_SELF_ATARI = 17
F_LADDER_CAPTURE = 18
F_LADDER_ESCAPE = 19
F_BLACK = 20
EXTENDED_PLANES = 21

DEFAULT_LADDER_NODES = 20_000  # positions per ladder read; real ladders need < 200
TUPLE_MAX = 64  # longest tuple of states handed to Numba at once (one compile per length)


def default_ladder_depth(n: int) -> int:
    """Defender moves a ladder read may take on an N x N board (4*N plies)."""
    return 2 * n


# ----------------------------------------------------------------------------- AlphaGo Zero


@njit(**_HOT)
def agz_fill(st: State, out: np.ndarray) -> None:
    """Write the 17 AlphaGo Zero planes of `st` into out[17, N, N] (float32, overwritten)."""
    n = st.meta[M_N]
    m = st.meta[M_MOVE]
    me = st.meta[M_TO_PLAY]
    opp = 3 - me
    for r in range(n):
        for c in range(n):
            v = st.board[st.a2p[r * n + c]]
            out[0, r, c] = 1.0 if v == me else 0.0
            out[HISTORY_PLANES, r, c] = 1.0 if v == opp else 0.0
    for k in range(1, HISTORY_PLANES):
        t = m - k
        if t < 0:
            for r in range(n):
                for c in range(n):
                    out[k, r, c] = 0.0
                    out[HISTORY_PLANES + k, r, c] = 0.0
        else:
            slot = t % HISTORY_PLANES
            for r in range(n):
                for c in range(n):
                    v = st.past[slot, r * n + c]
                    out[k, r, c] = 1.0 if v == me else 0.0
                    out[HISTORY_PLANES + k, r, c] = 1.0 if v == opp else 0.0
    colour = 1.0 if me == BLACK else 0.0
    for r in range(n):
        for c in range(n):
            out[2 * HISTORY_PLANES, r, c] = colour


@njit(**_JIT)
def agz_planes(st: State) -> np.ndarray:
    """float32[17, N, N]: the AlphaGo Zero input planes of `st` (see the module docstring)."""
    n = st.meta[M_N]
    out = np.empty((AGZ_PLANES, n, n), dtype=np.float32)
    agz_fill(st, out)
    return out


@njit(**_JIT)
def _agz_batch(states, out: np.ndarray) -> None:
    for b in range(len(states)):
        agz_fill(states[b], out[b])


# ----------------------------------------------------------------------------- ladder reading


class Workspace(NamedTuple):
    """Scratch memory of the extended planes and the ladder reader, for one board size.

    Row k of the [L, ...] arrays is one scratch position (the board part of a State), a
    "level"; L = 2 * D + 1 for ladder reads of D defender moves (see `_ladder_dead`).
    `mark`/`stamp` give "seen" sets that never need clearing.
    """

    board: np.ndarray  # int8[L, P]
    head: np.ndarray  # int32[L, P]
    nxt: np.ndarray  # int32[L, P]
    size: np.ndarray  # int32[L, P]
    libs: np.ndarray  # int32[L, P]
    lsum: np.ndarray  # int64[L, P]
    lsq: np.ndarray  # int64[L, P]
    empties: np.ndarray  # int32[L, N*N]
    epos: np.ndarray  # int32[L, P]
    meta: np.ndarray  # int64[L, META_LEN]
    mark: np.ndarray  # int64[P]: point seen when mark[p] == stamp[0]
    stamp: np.ndarray  # int64[1]
    budget: np.ndarray  # int64[1]: positions left to the current ladder read
    hkey: np.ndarray  # int64[P]: per chain head, the call stamp its cached values belong to
    hlibs: np.ndarray  # int32[P]: per chain head, exact liberties capped at 3
    hladder: np.ndarray  # int8[P]: per chain head, cached ladder result + 1 (0: unknown)
    fcand: np.ndarray  # int64[D, 8]: per ladder frame, the defender's candidate moves
    fnc: np.ndarray  # int64[D]: their number
    fci: np.ndarray  # int64[D]: the candidate being read
    fai: np.ndarray  # int64[D]: the attacker's atari being read (0 or 1)
    flib: np.ndarray  # int64[D, 2]: the two liberties after the current defence


@njit(**_JIT)
def workspace(n: int, max_depth: int) -> Workspace:
    """Scratch memory for N x N boards and ladder reads of up to `max_depth` defender moves."""
    w = n + 2
    pts = w * w
    levels = 2 * max_depth + 1
    # Levels are always loaded before they are read, so they need no initialisation.
    return Workspace(
        np.empty((levels, pts), dtype=np.int8),
        np.empty((levels, pts), dtype=np.int32),
        np.empty((levels, pts), dtype=np.int32),
        np.empty((levels, pts), dtype=np.int32),
        np.empty((levels, pts), dtype=np.int32),
        np.empty((levels, pts), dtype=np.int64),
        np.empty((levels, pts), dtype=np.int64),
        np.empty((levels, n * n), dtype=np.int32),
        np.empty((levels, pts), dtype=np.int32),
        np.empty((levels, META_LEN), dtype=np.int64),
        np.zeros(pts, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.full(pts, -1, dtype=np.int64),
        np.zeros(pts, dtype=np.int32),
        np.zeros(pts, dtype=np.int8),
        np.empty((max_depth, 8), dtype=np.int64),
        np.empty(max_depth, dtype=np.int64),
        np.empty(max_depth, dtype=np.int64),
        np.empty(max_depth, dtype=np.int64),
        np.empty((max_depth, 2), dtype=np.int64),
    )


@njit(**_JIT)
def _level(ws: Workspace, st0: State, k: int) -> State:
    """Level k of the workspace as a State; history and tables are shared with st0 (the fast
    path never writes them)."""
    return State(
        ws.board[k],
        ws.head[k],
        ws.nxt[k],
        ws.size[k],
        ws.libs[k],
        ws.lsum[k],
        ws.lsq[k],
        ws.empties[k],
        ws.epos[k],
        st0.hist,
        st0.hside,
        st0.hmove,
        st0.hcolor,
        st0.past,
        ws.meta[k],
        st0.komi,
        st0.a2p,
        st0.p2a,
        st0.zob,
    )


@njit(**_HOT)
def _load(ws: Workspace, k: int, st: State) -> None:
    """Copy the board part of `st` into level k."""
    for i in range(st.board.shape[0]):
        ws.board[k, i] = st.board[i]
        ws.head[k, i] = st.head[i]
        ws.nxt[k, i] = st.nxt[i]
        ws.size[k, i] = st.size[i]
        ws.libs[k, i] = st.libs[i]
        ws.lsum[k, i] = st.lsum[i]
        ws.lsq[k, i] = st.lsq[i]
        ws.epos[k, i] = st.epos[i]
    for i in range(st.empties.shape[0]):
        ws.empties[k, i] = st.empties[i]
    for i in range(st.meta.shape[0]):
        ws.meta[k, i] = st.meta[i]


@njit(**_HOT)
def _copy_level(ws: Workspace, dst: int, src: int) -> None:
    for i in range(ws.board.shape[1]):
        ws.board[dst, i] = ws.board[src, i]
        ws.head[dst, i] = ws.head[src, i]
        ws.nxt[dst, i] = ws.nxt[src, i]
        ws.size[dst, i] = ws.size[src, i]
        ws.libs[dst, i] = ws.libs[src, i]
        ws.lsum[dst, i] = ws.lsum[src, i]
        ws.lsq[dst, i] = ws.lsq[src, i]
        ws.epos[dst, i] = ws.epos[src, i]
    for i in range(ws.empties.shape[1]):
        ws.empties[dst, i] = ws.empties[src, i]
    for i in range(ws.meta.shape[1]):
        ws.meta[dst, i] = ws.meta[src, i]


@njit(**_HOT)
def _new_stamp(ws: Workspace) -> int:
    s = ws.stamp[0] + 1
    ws.stamp[0] = s
    return s


@njit(**_HOT)
def _chain_libs(st: State, h: int, cap: int, ws: Workspace, out2: np.ndarray) -> int:
    """Distinct liberties of chain h, counting stops at `cap`; the first two go to out2."""
    w = st.meta[M_W]
    stamp = _new_stamp(ws)
    count = 0
    s = h
    while True:
        for q in (s - 1, s + 1, s - w, s + w):
            if st.board[q] == EMPTY and ws.mark[q] != stamp:
                ws.mark[q] = stamp
                if count < 2:
                    out2[count] = q
                count += 1
                if count >= cap:
                    return count
        s = st.nxt[s]
        if s == h:
            break
    return count


@njit(**_HOT)
def _frame_init(ws: Workspace, s: State, d: int, root: int, atk: int, only: int) -> None:
    """Frame d: the defender's candidate moves in position s (chain at `root` in atari): the
    extension at its liberty and the liberties of attacking chains in atari that touch it, or
    only `only` when that is >= 0."""
    ws.fci[d] = -1
    if only >= 0:
        ws.fcand[d, 0] = only
        ws.fnc[d] = 1
        return
    w = s.meta[M_W]
    h = s.head[root]
    ws.fcand[d, 0] = _atari_liberty(s, h)
    nc = 1
    x = h
    while True:
        for q in (x - 1, x + 1, x - w, x + w):
            if s.board[q] == atk:
                g = s.head[q]
                if _in_atari(s, g):
                    lib = _atari_liberty(s, g)
                    dup = False
                    for i in range(nc):
                        if ws.fcand[d, i] == lib:
                            dup = True
                    if not dup and nc < ws.fcand.shape[1]:
                        ws.fcand[d, nc] = lib
                        nc += 1
        x = s.nxt[x]
        if x == h:
            break
    ws.fnc[d] = nc


@njit(**_JIT)
def _ladder_dead(ws: Workspace, st0: State, root: int, only: int, max_nodes: int) -> bool:
    """Level 0 holds a position with the chain at padded point `root` in atari and its owner
    (the defender) to move. True if every defence fails (the chain dies in the ladder); with
    `only` >= 0 the defender's first move must be there.

    Depth-first AND-OR search with an explicit stack: frame d is a defender-to-move position
    at level 2d, level 2d+1 holds it after the current defence and level 2d+2 after the
    attacker's current atari (which is frame d+1's position).
    """
    frames = ws.fnc.shape[0]
    s0 = _level(ws, st0, 0)
    dfd = s0.board[root]
    atk = 3 - dfd
    ws.budget[0] = max_nodes - 1
    _frame_init(ws, s0, 0, root, atk, only)
    d = 0
    next_atari = False  # which step of frame d comes next: a defence or an atari
    while True:
        k = 2 * d
        if not next_atari:
            ci = ws.fci[d] + 1
            ws.fci[d] = ci
            if ci >= ws.fnc[d]:
                dead = True  # every defence failed
            else:
                _copy_level(ws, k + 1, k)
                t = _level(ws, st0, k + 1)
                mv = ws.fcand[d, ci]
                if _check(t, mv, dfd) != MOVE_OK:
                    continue
                _place(t, mv, dfd, False)
                t.meta[M_TO_PLAY] = atk
                if t.board[root] != dfd:
                    continue  # a suicide the rules allowed
                nl = _chain_libs(t, t.head[root], 3, ws, ws.flib[d])
                if nl <= 1:
                    continue  # the attacker captures
                if nl == 2:
                    ws.fai[d] = -1
                    next_atari = True
                    continue
                dead = False
        else:
            ai = ws.fai[d] + 1
            ws.fai[d] = ai
            if ai >= 2:
                dead = False  # neither atari works: this defence escapes
            else:
                _copy_level(ws, k + 2, k + 1)
                u = _level(ws, st0, k + 2)
                lib = ws.flib[d, ai]
                if _check(u, lib, atk) != MOVE_OK:
                    continue
                _place(u, lib, atk, False)
                u.meta[M_TO_PLAY] = dfd
                if not _in_atari(u, u.head[root]):
                    continue
                if d + 1 >= frames or ws.budget[0] <= 0:
                    continue  # cut off: an unresolved line counts as an escape
                ws.budget[0] -= 1
                d += 1
                _frame_init(ws, u, d, root, atk, -1)
                next_atari = False
                continue
        # frame d is resolved: hand `dead` to the atari that led to it
        if d == 0:
            return dead
        d -= 1
        next_atari = not dead  # a dead chain means the atari works and the defence fails


@njit(**_JIT)
def _read_from_level0(ws: Workspace, st0: State, root: int, only: int, max_nodes: int) -> bool:
    """Ladder read of the chain at `root` in level 0 (defender to move)."""
    return _ladder_dead(ws, st0, root, only, max_nodes)


@njit(**_JIT)
def ladder_captured(st: State, action: int, max_depth: int = 0, max_nodes: int = 0) -> bool:
    """True if the chain at `action`, in atari with its owner to move, dies in a ladder.

    False for an empty point or a chain not in atari. `max_depth` (defender moves, 0: the
    default 2*N) and `max_nodes` (0: DEFAULT_LADDER_NODES) bound the read; see the module
    docstring for the rules of the read.
    """
    n = st.meta[M_N]
    if action < 0 or action >= n * n:
        return False
    p = st.a2p[action]
    v = st.board[p]
    if v != BLACK and v != WHITE or not _in_atari(st, st.head[p]):
        return False
    depth = max_depth if max_depth > 0 else 2 * n
    nodes = max_nodes if max_nodes > 0 else DEFAULT_LADDER_NODES
    ws = workspace(n, depth)
    _load(ws, 0, st)
    return _read_from_level0(ws, st, p, -1, nodes)


# ----------------------------------------------------------------------------- extended planes


@njit(**_HOT)
def _libs_after(st: State, p: int, c: int, ws: Workspace, cap: int) -> int:
    """Distinct liberties (counting stops at `cap`) of colour c's chain through p after c plays
    the legal point p: empty neighbours, the merged chains' liberties, captured stones that
    touch the new chain."""
    w = st.meta[M_W]
    board = st.board
    opp = 3 - c
    stamp = _new_stamp(ws)
    count = 0
    own0 = -1
    own1 = -1
    own2 = -1
    own3 = -1
    cap0 = -1
    cap1 = -1
    cap2 = -1
    cap3 = -1
    for q in (p - 1, p + 1, p - w, p + w):
        v = board[q]
        if v == EMPTY:
            if ws.mark[q] != stamp:
                ws.mark[q] = stamp
                count += 1
        elif v == c:
            g = st.head[q]
            if g != own0 and g != own1 and g != own2:
                if own0 < 0:
                    own0 = g
                elif own1 < 0:
                    own1 = g
                elif own2 < 0:
                    own2 = g
                else:
                    own3 = g
        elif v == opp:
            g = st.head[q]
            if _only_liberty_is(st, g, p) and g != cap0 and g != cap1 and g != cap2:
                if cap0 < 0:
                    cap0 = g
                elif cap1 < 0:
                    cap1 = g
                elif cap2 < 0:
                    cap2 = g
                else:
                    cap3 = g
    if count >= cap:
        return count
    ws.mark[p] = stamp  # p itself is no liberty of the merged chain
    for g in (own0, own1, own2, own3):
        if g < 0:
            continue
        s = g
        while True:
            for q in (s - 1, s + 1, s - w, s + w):
                if board[q] == EMPTY and ws.mark[q] != stamp:
                    ws.mark[q] = stamp
                    count += 1
                    if count >= cap:
                        return count
            s = st.nxt[s]
            if s == g:
                break
    for g in (cap0, cap1, cap2, cap3):
        if g < 0:
            continue
        s = g
        while True:
            for q in (s - 1, s + 1, s - w, s + w):
                touches = q == p
                if board[q] == c:
                    hq = st.head[q]
                    touches = hq == own0 or hq == own1 or hq == own2 or hq == own3
                if touches:
                    count += 1
                    if count >= cap:
                        return count
                    break
            s = st.nxt[s]
            if s == g:
                break
    return count


@njit(**_HOT)
def _head_libs(st: State, h: int, ws: Workspace, call: int, two: np.ndarray) -> int:
    """Exact liberties of chain h capped at 3, cached per head for this call."""
    if ws.hkey[h] != call:
        ws.hkey[h] = call
        ws.hlibs[h] = _chain_libs(st, h, 3, ws, two)
        ws.hladder[h] = 0
    return ws.hlibs[h]


@njit(**_JIT)
def extended_fill(st: State, out: np.ndarray, ws: Workspace, max_nodes: int) -> None:
    """Write the EXTENDED_PLANES planes of `st` into out[C, N, N] (float32, overwritten).

    `ws` comes from `workspace(N, depth)` and may be reused across calls and states of one size.
    """
    n = st.meta[M_N]
    me = st.meta[M_TO_PLAY]
    opp = 3 - me
    w = st.meta[M_W]
    board = st.board
    out[:] = 0.0
    call = _new_stamp(ws)
    two = np.empty(2, dtype=np.int64)
    for r in range(n):
        for c in range(n):
            p = st.a2p[r * n + c]
            v = board[p]
            out[F_ONES, r, c] = 1.0
            if v == EMPTY:
                out[F_EMPTY, r, c] = 1.0
                continue
            nl = _head_libs(st, st.head[p], ws, call, two)
            base = F_OWN_LIB1 if v == me else F_OPP_LIB1
            out[F_OWN if v == me else F_OPP, r, c] = 1.0
            out[base + min(nl, 3) - 1, r, c] = 1.0
    if me == BLACK:
        out[F_BLACK, :, :] = 1.0
    ko = st.meta[M_KO]
    if ko >= 0 and st.meta[M_KO_COLOR] == me:
        a = st.p2a[ko]
        out[F_KO, a // n, a % n] = 1.0
    m = st.meta[M_MOVE]
    for k in range(4):
        t = m - k
        if t < 1:
            break
        a = st.hmove[t]
        if 0 <= a < n * n:
            out[F_LAST1 + k, a // n, a % n] = 1.0

    for r in range(n):
        for c in range(n):
            a = r * n + c
            p = st.a2p[a]
            if board[p] != EMPTY or legality(st, a, me) != MOVE_OK:
                continue
            out[F_LEGAL, r, c] = 1.0
            if _libs_after(st, p, me, ws, 2) == 1:
                out[F_SELF_ATARI, r, c] = 1.0
            lad_cap = False
            lad_esc = False
            atari_two = False  # an opponent chain with exactly 2 liberties touches p
            for q in (p - 1, p + 1, p - w, p + w):
                v = board[q]
                if v != me and v != opp:
                    continue
                g = st.head[q]
                if v == opp:
                    if _only_liberty_is(st, g, p):
                        out[F_CAPTURE, r, c] = 1.0
                        if not lad_cap:
                            # hladder[g] was reset for this call when the planes above
                            # computed g's liberties
                            if ws.hladder[g] == 0:
                                _load(ws, 0, st)
                                dead = _read_from_level0(ws, st, g, -1, max_nodes)
                                ws.hladder[g] = 2 if dead else 1
                            lad_cap = ws.hladder[g] == 2
                    elif _head_libs(st, g, ws, call, two) == 2:
                        atari_two = True
                elif not lad_esc and _only_liberty_is(st, g, p):
                    _load(ws, 0, st)
                    lad_esc = not _read_from_level0(ws, st, g, p, max_nodes)
            if atari_two and not lad_cap:
                lad_cap = _atari_then_ladder(ws, st, p, me, max_nodes)
            if lad_cap:
                out[F_LADDER_CAPTURE, r, c] = 1.0
            if lad_esc:
                out[F_LADDER_ESCAPE, r, c] = 1.0


@njit(**_JIT)
def _atari_then_ladder(ws: Workspace, st: State, p: int, me: int, max_nodes: int) -> bool:
    """After `me` plays p, does some opponent chain next to p sit in atari and die in the
    ladder with the opponent to move?"""
    w = st.meta[M_W]
    opp = 3 - me
    _load(ws, 0, st)
    s = _level(ws, st, 0)
    _place(s, p, me, False)
    s.meta[M_TO_PLAY] = opp
    for q in (p - 1, p + 1, p - w, p + w):
        if s.board[q] == opp and _in_atari(s, s.head[q]):
            if _read_from_level0(ws, st, q, -1, max_nodes):
                return True
            # the read overwrote levels 1.., level 0 still holds the position after p
    return False


@njit(**_JIT)
def extended_planes(st: State, max_nodes: int = 0) -> np.ndarray:
    """float32[EXTENDED_PLANES, N, N]: the extended planes of `st` (see the module docstring).

    `max_nodes` bounds each ladder read (0: DEFAULT_LADDER_NODES)."""
    n = st.meta[M_N]
    out = np.empty((EXTENDED_PLANES, n, n), dtype=np.float32)
    ws = workspace(n, 2 * n)
    extended_fill(st, out, ws, max_nodes if max_nodes > 0 else DEFAULT_LADDER_NODES)
    return out


@njit(**_JIT)
def _extended_batch(states, out: np.ndarray, ws: Workspace, max_nodes: int) -> None:
    for b in range(len(states)):
        extended_fill(states[b], out[b], ws, max_nodes)


# ----------------------------------------------------------------------------- batches


def _check_batch(states: Sequence[State], out: np.ndarray, planes: int) -> int:
    if len(states) == 0:
        raise ValueError("empty batch")
    n = int(states[0].meta[M_N])
    want = (len(states), planes, n, n)
    if out.shape != want or out.dtype != np.float32 or not out.flags.c_contiguous:
        raise ValueError(
            f"out must be C-contiguous float32{list(want)}, not {out.dtype}{out.shape}"
        )
    for st in states:
        if int(st.meta[M_N]) != n:
            raise ValueError("all states of a batch must have the same board size")
    return n


def agz_planes_batch(states: Sequence[State], out: np.ndarray) -> None:
    """Fill out[B, 17, N, N] with the AlphaGo Zero planes of each of the B states."""
    _check_batch(states, out, AGZ_PLANES)
    for i in range(0, len(states), TUPLE_MAX):
        _agz_batch(tuple(states[i : i + TUPLE_MAX]), out[i : i + TUPLE_MAX])


def extended_planes_batch(
    states: Sequence[State], out: np.ndarray, max_nodes: int = 0, ws: Workspace | None = None
) -> None:
    """Fill out[B, EXTENDED_PLANES, N, N] with the extended planes of each of the B states.

    `ws` (from `workspace(N, default_ladder_depth(N))`) can be kept by a caller to save its
    allocation; one workspace must not be used by two threads at once.
    """
    n = _check_batch(states, out, EXTENDED_PLANES)
    if ws is None:
        ws = workspace(n, default_ladder_depth(n))
    nodes = max_nodes if max_nodes > 0 else DEFAULT_LADDER_NODES
    for i in range(0, len(states), TUPLE_MAX):
        _extended_batch(tuple(states[i : i + TUPLE_MAX]), out[i : i + TUPLE_MAX], ws, nodes)
