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
bound counts as an escape, so "captured" is always a proof within simple-ko rules. A ladder
that runs across a 19x19 board reads in about 20 us.

    F_LADDER_CAPTURE at a legal point p: (a) after the player to move plays p, some opponent
        chain next to p is in atari and `ladder_captured` says it dies with the opponent to
        move, or (b) p is the only liberty of an opponent chain in atari that would die in the
        ladder even if the opponent moved first (capturing it now is the ladder's end).
    F_LADDER_ESCAPE at a legal point p: p is the only liberty of an own chain in atari, and
        after extending at p the chain is not captured in the ladder (3+ liberties, or 2 with
        no working atari). Escapes by capturing a chaser elsewhere are not marked.

Fast-mode states (after `board.play_fast`) keep no history: their past boards and last moves are
stale, and their legal plane ignores superko, exactly as `board.legality` does.

Entry points. From Python: `agz_planes`, `extended_planes`, `ladder_captured` and the batch
versions. From compiled code: `agz_fill(st, out)`, `extended_fill(st, out, ws, max_nodes)` and
`ladder_read(ws, st, action, max_nodes)`, with a `Workspace` made once by `workspace(N, depth)`
(the ladder reader's scratch positions; one per thread). The Python entry points keep one per
thread and board size.

Batches: `agz_planes_batch(states, out)` and `extended_planes_batch(states, out)` fill
out[B, C, N, N] for a sequence of same-size states. Handing a State to compiled code costs
about 4 us (unboxing its 19 arrays), more than the AGZ planes themselves (1-2 us), so how the
batch crosses into Numba decides its speed. Measured on 64 19x19 states (us per state, planes
included): a tuple of States 7.6, and one compiled specialisation per batch length that took
100 s to compile for length 64; a `numba.typed.List` built per call 37 (each `append` unboxes
the State through a compiled call), or 5.5 if the caller keeps the list; a Python loop calling
`agz_fill` 8.6; the four arrays the planes need copied into stacked buffers in Python and one
compiled call, 3.5 on 9x9 and 5.5 on 19x19. The AGZ batch does the last; the extended batch
loops in Python (4 us of passing against 30-250 us of planes).

Compile time: `board`'s small kernels are inlined at every call site, and a call site of
`_place` costs seconds of compilation, so this module plays moves through one out-of-line
`board.play_fast` and keeps few compiled functions; constant arguments are NumPy scalars, as
numba compiles a separate specialisation for each literal int or bool.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numba import njit

from go_engine.board import (
    MOVE_OK,
    _atari_liberty,
    _check,
    _hash_after,
    _in_atari,
    _only_liberty_is,
    legality,
    play_fast,
)
from go_engine.jit import HOT
from go_engine.rules import KO_SIMPLE
from go_engine.state import (
    BLACK,
    EMPTY,
    HISTORY_PLANES,
    M_FAST,
    M_HASH,
    M_KO,
    M_KO_COLOR,
    M_KO_RULE,
    M_MOVE,
    M_N,
    M_TO_PLAY,
    M_W,
    META_LEN,
    WHITE,
    State,
)

# Every kernel here is free of allocation, and runs without reference counting (see jit.py).

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
CHECKPOINT = 4  # the ladder reader saves every 4th frame's position (see `_ladder_dead`)
SEEN_BITS = 4096  # size of the superko pre-filter; a power of two


def default_ladder_depth(n: int) -> int:
    """Defender moves a ladder read may take on an N x N board (4*N plies)."""
    return 2 * n


# ----------------------------------------------------------------------------- AlphaGo Zero


@njit(**HOT)
def _agz_core(
    board: np.ndarray, a2p: np.ndarray, past: np.ndarray, meta: np.ndarray, out: np.ndarray
) -> None:
    """The AGZ planes from the four State arrays they need (see `agz_planes_batch`)."""
    n = meta[M_N]
    m = meta[M_MOVE]
    me = meta[M_TO_PLAY]
    opp = 3 - me
    for r in range(n):
        for c in range(n):
            v = board[a2p[r * n + c]]
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
                    v = past[slot, r * n + c]
                    out[k, r, c] = 1.0 if v == me else 0.0
                    out[HISTORY_PLANES + k, r, c] = 1.0 if v == opp else 0.0
    colour = 1.0 if me == BLACK else 0.0
    for r in range(n):
        for c in range(n):
            out[2 * HISTORY_PLANES, r, c] = colour


@njit(**HOT)
def agz_fill(st: State, out: np.ndarray) -> None:
    """Write the 17 AlphaGo Zero planes of `st` into out[17, N, N] (float32, overwritten)."""
    _agz_core(st.board, st.a2p, st.past, st.meta, out)


def agz_planes(st: State) -> np.ndarray:
    """float32[17, N, N]: the AlphaGo Zero input planes of `st` (see the module docstring)."""
    n = int(st.meta[M_N])
    out = np.empty((AGZ_PLANES, n, n), dtype=np.float32)
    agz_fill(st, out)
    return out


@njit(**HOT)
def _agz_batch(
    boards: np.ndarray, a2p: np.ndarray, pasts: np.ndarray, metas: np.ndarray, out: np.ndarray
) -> None:
    for b in range(boards.shape[0]):
        _agz_core(boards[b], a2p, pasts[b], metas[b], out[b])


# ----------------------------------------------------------------------------- ladder reading

# Arguments handed to compiled calls as NumPy scalars: numba compiles a separate specialisation
# of the callee for each literal int, and these kernels are slow to compile.
_NO_MOVE = np.int64(-1)
_LEVEL0 = np.int64(0)


class Workspace(NamedTuple):
    """Scratch memory of the extended planes and the ladder reader, for one board size.

    Row k of the [L, ...] arrays is one saved position (the board part of a State), a
    "level"; L = D // CHECKPOINT + 3 for ladder reads of D defender moves (see
    `_ladder_dead`). Level 0 holds the position the planes are computed for, levels 1.. the
    ladder reader's checkpoints, and the last row is the position moves are played on
    (`_work_state`).
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
    mark: np.ndarray  # int64[P]: point seen when mark[p] == the current stamp
    stamp: np.ndarray  # int64[1]: last stamp handed out
    budget: np.ndarray  # int64[1]: positions left to the current ladder read
    hkey: np.ndarray  # int64[P]: per chain head, the call stamp its cached values belong to
    hlibs: np.ndarray  # int32[P]: per chain head, exact liberties capped at 3
    hladder: np.ndarray  # int8[P]: per chain head, cached ladder result + 1 (0: unknown)
    hpair: np.ndarray  # int64[P, 2]: per chain head with two liberties, the liberties
    fcand: np.ndarray  # int64[D, 8]: per ladder frame, the defender's candidate moves
    fnc: np.ndarray  # int64[D]: their number
    fci: np.ndarray  # int64[D]: the candidate being read
    fai: np.ndarray  # int64[D]: the attacker's atari being read (0 or 1)
    flib: np.ndarray  # int64[D, 2]: the two liberties after the current defence
    seen: np.ndarray  # bool[SEEN_BITS]: low bits of the history's hashes (a Bloom filter)


def workspace(n: int, max_depth: int) -> Workspace:
    """Scratch memory for N x N boards and ladder reads of up to `max_depth` defender moves
    (built in Python: compiled callers are handed one)."""
    if max_depth < 1:
        raise ValueError(f"max_depth must be at least 1, not {max_depth}")
    pts = (n + 2) * (n + 2)
    levels = max_depth // CHECKPOINT + 3
    # Levels are always written before they are read, so they need no initialisation.
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
        np.zeros((pts, 2), dtype=np.int64),
        np.empty((max_depth, 8), dtype=np.int64),
        np.empty(max_depth, dtype=np.int64),
        np.empty(max_depth, dtype=np.int64),
        np.empty(max_depth, dtype=np.int64),
        np.empty((max_depth, 2), dtype=np.int64),
        np.zeros(SEEN_BITS, dtype=np.bool_),
    )


@njit(**HOT)
def _work_state(ws: Workspace, st: State) -> State:
    """The workspace's last level as a State of st's size, the position the ladder reader plays
    on. History and tables are shared with `st`: the fast path never writes them."""
    if ws.board.shape[1] != st.board.shape[0]:
        raise ValueError("the workspace is for another board size")
    k = ws.board.shape[0] - 1
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
        st.hist,
        st.hside,
        st.hmove,
        st.hcolor,
        st.past,
        ws.meta[k],
        st.komi,
        st.a2p,
        st.p2a,
        st.zob,
    )


@njit(**HOT)
def _save(ws: Workspace, k: int, st: State) -> None:
    """Copy the board part of `st` (everything `_place` changes) into level k."""
    # One loop per array: LLVM turns each into a vectorised copy, a fused loop it leaves scalar.
    for i in range(st.board.shape[0]):
        ws.board[k, i] = st.board[i]
    for i in range(st.head.shape[0]):
        ws.head[k, i] = st.head[i]
    for i in range(st.nxt.shape[0]):
        ws.nxt[k, i] = st.nxt[i]
    for i in range(st.size.shape[0]):
        ws.size[k, i] = st.size[i]
    for i in range(st.libs.shape[0]):
        ws.libs[k, i] = st.libs[i]
    for i in range(st.lsum.shape[0]):
        ws.lsum[k, i] = st.lsum[i]
    for i in range(st.lsq.shape[0]):
        ws.lsq[k, i] = st.lsq[i]
    for i in range(st.epos.shape[0]):
        ws.epos[k, i] = st.epos[i]
    for i in range(st.empties.shape[0]):
        ws.empties[k, i] = st.empties[i]
    for i in range(st.meta.shape[0]):
        ws.meta[k, i] = st.meta[i]


@njit(**HOT)
def _restore(ws: Workspace, k: int, st: State) -> None:
    """Copy level k back into the board part of `st`."""
    for i in range(st.board.shape[0]):
        st.board[i] = ws.board[k, i]
    for i in range(st.head.shape[0]):
        st.head[i] = ws.head[k, i]
    for i in range(st.nxt.shape[0]):
        st.nxt[i] = ws.nxt[k, i]
    for i in range(st.size.shape[0]):
        st.size[i] = ws.size[k, i]
    for i in range(st.libs.shape[0]):
        st.libs[i] = ws.libs[k, i]
    for i in range(st.lsum.shape[0]):
        st.lsum[i] = ws.lsum[k, i]
    for i in range(st.lsq.shape[0]):
        st.lsq[i] = ws.lsq[k, i]
    for i in range(st.epos.shape[0]):
        st.epos[i] = ws.epos[k, i]
    for i in range(st.empties.shape[0]):
        st.empties[i] = ws.empties[k, i]
    for i in range(st.meta.shape[0]):
        st.meta[i] = ws.meta[k, i]


@njit(**HOT)
def _try_play(st: State, p: int, c: int) -> bool:
    """`board.play_fast` at padded point p: False (and the state untouched) if colour c may not
    play there under simple ko."""
    return play_fast(st, np.int64(st.p2a[p]), c) >= 0


@njit(**HOT)
def _chain_libs(st: State, h: int, cap: int, ws: Workspace, out2: np.ndarray) -> int:
    """Distinct liberties of chain h, counting stops at `cap`; the first two go to out2."""
    w = st.meta[M_W]
    stamp = ws.stamp[0] + 1  # a fresh stamp: no point is marked with it yet
    ws.stamp[0] = stamp
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


@njit(**HOT)
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


@njit(**HOT)
def _empty_neighbours(st: State, p: int) -> int:
    w = st.meta[M_W]
    count = 0
    for q in (p - 1, p + 1, p - w, p + w):
        if st.board[q] == EMPTY:
            count += 1
    return count


@njit(**HOT)
def _ladder_dead(
    ws: Workspace, work: State, base: int, pre: int, root: int, only: int, max_nodes: int
) -> bool:
    """Level `base` holds a position (with the attacker's move at `pre` played on it when
    that is >= 0) with the chain at padded point `root` in atari and its owner (the defender)
    to move, and `work` (`_work_state`) equals it. True if every defence fails (the chain
    dies in the ladder); with `only` >= 0 the defender's first move must be there.

    Depth-first AND-OR search with an explicit stack. Frame d is a defender-to-move position:
    its candidate defences, the one being read (fci), the two liberties left by it and the
    attacker's atari being read (fai). Positions are not copied per move: every CHECKPOINT-th
    frame's position is saved at level base + d // CHECKPOINT, and going back to a position
    restores the checkpoint before it and replays at most a few moves (a board copy costs
    about as much as 15 moves). Level `base` and those below it are left as they were.
    """
    frames = ws.fnc.shape[0]
    atk = 3 - work.board[root]
    dfd = 3 - atk
    ws.budget[0] = max_nodes - 1
    d = _LEVEL0
    _frame_init(ws, work, d, root, atk, only)
    at = 0  # what `work` holds: 2d for frame d's position, 2d+1 after its defence, -1 other
    next_atari = False  # which step of frame d comes next: a defence or an atari
    while True:
        if not next_atari:
            ci = ws.fci[d] + 1
            ws.fci[d] = ci
            done = ci >= ws.fnc[d]
            dead = True  # when done: every defence failed
        else:
            ai = ws.fai[d] + 1
            ws.fai[d] = ai
            done = ai >= 2
            dead = False  # when done: neither atari works, so this defence escapes
        if not done:
            need = 2 * d + 1 if next_atari else 2 * d
            if at != need:
                # restore the last checkpoint and replay the moves since
                c = d - d % CHECKPOINT
                _restore(ws, base + c // CHECKPOINT, work)
                if c == 0 and pre >= 0:
                    _try_play(work, pre, atk)
                for i in range(c, d):
                    _try_play(work, ws.fcand[i, ws.fci[i]], dfd)
                    _try_play(work, ws.flib[i, ws.fai[i]], atk)
                if next_atari:
                    _try_play(work, ws.fcand[d, ws.fci[d]], dfd)
                at = need
            if not next_atari:
                if not _try_play(work, ws.fcand[d, ci], dfd):
                    continue
                at = 2 * d + 1
                if work.board[root] != dfd:
                    continue  # a suicide the rules allowed
                nl = _chain_libs(work, work.head[root], 3, ws, ws.flib[d])
                if nl <= 1:
                    continue  # the attacker captures
                if nl == 2:
                    # Atari first where the defender is left the liberty with fewer empty
                    # neighbours: in a working ladder that is the atari that works.
                    if _empty_neighbours(work, ws.flib[d, 1]) > _empty_neighbours(
                        work, ws.flib[d, 0]
                    ):
                        x = ws.flib[d, 0]
                        ws.flib[d, 0] = ws.flib[d, 1]
                        ws.flib[d, 1] = x
                    ws.fai[d] = -1
                    next_atari = True
                    continue
                dead = False  # 3+ liberties: escaped
            else:
                if not _try_play(work, ws.flib[d, ai], atk):
                    continue
                at = -1
                if not _in_atari(work, work.head[root]):
                    continue
                if d + 1 >= frames or ws.budget[0] <= 0:
                    continue  # cut off: an unresolved line counts as an escape
                ws.budget[0] -= 1
                d += 1
                at = 2 * d
                _frame_init(ws, work, d, root, atk, _NO_MOVE)
                if d % CHECKPOINT == 0:
                    _save(ws, base + d // CHECKPOINT, work)
                next_atari = False
                continue
        # frame d is resolved: hand `dead` to the atari that led to it
        if d == 0:
            return dead
        d -= 1
        next_atari = not dead  # a dead chain means the atari works and the defence fails


@njit(**HOT)
def ladder_read(ws: Workspace, st: State, action: int, max_nodes: int) -> bool:
    """`ladder_captured` with a caller's workspace (from `workspace(N, depth)`), for compiled
    callers; `max_nodes` must be positive."""
    n = st.meta[M_N]
    if action < 0 or action >= n * n:
        return False
    p = np.int64(st.a2p[action])
    v = st.board[p]
    if (v != BLACK and v != WHITE) or not _in_atari(st, st.head[p]):
        return False
    work = _work_state(ws, st)
    _save(ws, _LEVEL0, st)
    _restore(ws, _LEVEL0, work)
    return _ladder_dead(ws, work, _LEVEL0, _NO_MOVE, p, _NO_MOVE, np.int64(max_nodes))


_LOCAL = threading.local()  # per thread: board size -> Workspace (a workspace is not shared)


def _thread_workspace(n: int) -> Workspace:
    """This thread's workspace for N x N boards at the default depth (allocating one costs
    more than the planes of a small board)."""
    cache = getattr(_LOCAL, "workspaces", None)
    if cache is None:
        cache = _LOCAL.workspaces = {}
    if n not in cache:
        cache[n] = workspace(n, default_ladder_depth(n))
    return cache[n]


def ladder_captured(st: State, action: int, max_depth: int = 0, max_nodes: int = 0) -> bool:
    """True if the chain at `action`, in atari with its owner to move, dies in a ladder.

    False for an empty point or a chain not in atari. `max_depth` (defender moves, 0: the
    default 2*N) and `max_nodes` (0: DEFAULT_LADDER_NODES) bound the read; see the module
    docstring for the rules of the read. `st` is not changed. Compiled code calls
    `ladder_read` with a workspace it keeps.
    """
    n = int(st.meta[M_N])
    ws = workspace(n, max_depth) if max_depth > 0 else _thread_workspace(n)
    return bool(ladder_read(ws, st, action, max_nodes if max_nodes > 0 else DEFAULT_LADDER_NODES))


# ----------------------------------------------------------------------------- extended planes


@njit(**HOT)
def _self_atari(st: State, p: int, c: int, ws: Workspace) -> bool:
    """Whether colour c's chain through p has exactly one liberty after c plays the legal point
    p. Its liberties: the empty neighbours of p, those of the chains it joins, and the captured
    stones that touch the new chain; counting stops at 2."""
    w = st.meta[M_W]
    board = st.board
    opp = 3 - c
    stamp = ws.stamp[0] + 1  # a fresh stamp: no point is marked with it yet
    ws.stamp[0] = stamp
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
    if count >= 2:
        return False
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
                    if count >= 2:
                        return False
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
                    if count >= 2:
                        return False
                    break
            s = st.nxt[s]
            if s == g:
                break
    return count == 1


@njit(**HOT)
def _head_libs(st: State, h: int, ws: Workspace, call: int) -> int:
    """Exact liberties of chain h capped at 3, cached per head for this call (whose stamp is
    `call`) with the first two of them; also resets the head's cached ladder result."""
    if ws.hkey[h] != call:
        ws.hkey[h] = call
        ws.hlibs[h] = _chain_libs(st, h, 3, ws, ws.hpair[h])
        ws.hladder[h] = 0
    return ws.hlibs[h]


@njit(**HOT)
def extended_fill(st: State, out: np.ndarray, ws: Workspace, max_nodes: int) -> None:
    """Write the EXTENDED_PLANES planes of `st` into out[C, N, N] (float32, overwritten).

    `ws` comes from `workspace(N, depth)` and may be reused across calls and states of one
    size, by one thread at a time; `max_nodes` bounds each ladder read.
    """
    n = st.meta[M_N]
    me = st.meta[M_TO_PLAY]
    opp = 3 - me
    w = st.meta[M_W]
    board = st.board
    nodes = np.int64(max_nodes)
    for k in range(EXTENDED_PLANES):
        for r in range(n):
            for c in range(n):
                out[k, r, c] = 0.0
    call = ws.stamp[0] + 1  # a fresh stamp keys this call's per-chain caches
    ws.stamp[0] = call
    work = _work_state(ws, st)
    for r in range(n):
        for c in range(n):
            p = st.a2p[r * n + c]
            v = board[p]
            out[F_ONES, r, c] = 1.0
            if v == EMPTY:
                out[F_EMPTY, r, c] = 1.0
                continue
            nl = _head_libs(st, st.head[p], ws, call)
            if v == me:
                out[F_OWN, r, c] = 1.0
                out[F_OWN_LIB1 + min(nl, 3) - 1, r, c] = 1.0
            else:
                out[F_OPP, r, c] = 1.0
                out[F_OPP_LIB1 + min(nl, 3) - 1, r, c] = 1.0
    if me == BLACK:
        for r in range(n):
            for c in range(n):
                out[F_BLACK, r, c] = 1.0
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

    # Legal moves: board.legality would scan the whole history for superko at every point.
    # The history's hashes go into a Bloom filter once instead, and only a move whose resulting
    # hash hits it gets the full test. (`_check` is inlined here: an out-of-line call that
    # passes the State costs more than the test.)
    _save(ws, _LEVEL0, st)
    superko = st.meta[M_KO_RULE] != KO_SIMPLE and st.meta[M_FAST] == 0
    if superko:
        for j in range(SEEN_BITS):
            ws.seen[j] = False
        for j in range(m + 1):
            ws.seen[st.hist[j] & (SEEN_BITS - 1)] = True
    for r in range(n):
        for c in range(n):
            a = r * n + c
            if board[st.a2p[a]] != EMPTY or _check(st, st.a2p[a], me) != MOVE_OK:
                continue
            if superko:
                p = st.a2p[a]
                # The common move captures nothing and has a liberty: its hash is one XOR.
                simple = False
                for q in (p - 1, p + 1, p - w, p + w):
                    if board[q] == EMPTY:
                        simple = True
                    elif board[q] == opp and _only_liberty_is(st, st.head[q], p):
                        simple = False
                        break
                key = st.meta[M_HASH] ^ st.zob[me, p] if simple else _hash_after(st, p, me)
                if ws.seen[key & (SEEN_BITS - 1)] and legality(st, a, me) != MOVE_OK:
                    continue
            out[F_LEGAL, r, c] = 1.0

    # Tactics of each legal move. Ladder reads start from level 0 (the position, or the
    # position after a candidate move) and leave it as it was.
    for r in range(n):
        for c in range(n):
            if out[F_LEGAL, r, c] == 0.0:
                continue
            p = np.int64(st.a2p[r * n + c])
            if _self_atari(st, p, me, ws):
                out[F_SELF_ATARI, r, c] = 1.0
            open_p = _empty_neighbours(st, p) >= 3  # extending here escapes at once
            lad_cap = False
            lad_esc = False
            two_libs = False  # p ataris an opponent chain that might not escape at once
            for q in (p - 1, p + 1, p - w, p + w):
                v = board[q]
                if v != me and v != opp:
                    continue
                g = st.head[q]
                if v == opp and _only_liberty_is(st, g, p):
                    # (b) capturing a chain that would die in the ladder anyway
                    out[F_CAPTURE, r, c] = 1.0
                    # hladder[g] was reset for this call with g's liberties above
                    if ws.hladder[g] == 0:
                        dead = False
                        if not open_p:
                            _restore(ws, _LEVEL0, work)
                            dead = _ladder_dead(ws, work, _LEVEL0, _NO_MOVE, q, _NO_MOVE, nodes)
                        ws.hladder[g] = 2 if dead else 1
                    lad_cap = lad_cap or ws.hladder[g] == 2
                elif v == opp and not two_libs and _head_libs(st, g, ws, call) == 2:
                    # After p the chain's one liberty is the other one; if that has 3+ empty
                    # neighbours besides p the chain escapes at once, and no reading is needed.
                    lib = ws.hpair[g, 0] if ws.hpair[g, 0] != p else ws.hpair[g, 1]
                    room = _empty_neighbours(st, lib)
                    if lib - 1 == p or lib + 1 == p or lib - w == p or lib + w == p:
                        room -= 1
                    two_libs = room < 3
                elif not lad_esc and _only_liberty_is(st, g, p):
                    if open_p:
                        lad_esc = True
                    else:
                        _restore(ws, _LEVEL0, work)
                        lad_esc = not _ladder_dead(ws, work, _LEVEL0, _NO_MOVE, q, p, nodes)
            if two_libs and not lad_cap:
                # (a) p puts a chain with two liberties in atari: does it die in the ladder?
                _restore(ws, _LEVEL0, work)
                _try_play(work, p, me)
                dirty = False  # `work` was used by a read since
                for q in (p - 1, p + 1, p - w, p + w):
                    if lad_cap:
                        break
                    if dirty:  # rarely: a second chain in atari
                        _restore(ws, _LEVEL0, work)
                        _try_play(work, p, me)
                    if work.board[q] != opp or not _in_atari(work, work.head[q]):
                        continue
                    # Extending to 3+ empty points escapes at once; most candidates stop here.
                    if _empty_neighbours(work, _atari_liberty(work, work.head[q])) >= 3:
                        continue
                    dirty = True
                    lad_cap = _ladder_dead(ws, work, _LEVEL0, p, q, _NO_MOVE, nodes)
            if lad_cap:
                out[F_LADDER_CAPTURE, r, c] = 1.0
            if lad_esc:
                out[F_LADDER_ESCAPE, r, c] = 1.0


def extended_planes(st: State, max_nodes: int = 0, ws: Workspace | None = None) -> np.ndarray:
    """float32[EXTENDED_PLANES, N, N]: the extended planes of `st` (see the module docstring).

    `max_nodes` bounds each ladder read (0: DEFAULT_LADDER_NODES); `ws` is a workspace to use
    instead of this thread's default one."""
    n = int(st.meta[M_N])
    out = np.empty((EXTENDED_PLANES, n, n), dtype=np.float32)
    if ws is None:
        ws = _thread_workspace(n)
    extended_fill(st, out, ws, max_nodes if max_nodes > 0 else DEFAULT_LADDER_NODES)
    return out


# ----------------------------------------------------------------------------- batches


def _check_batch(states: Sequence[State], out: np.ndarray, planes: int) -> int:
    if len(states) == 0:
        raise ValueError("empty batch")
    n = int(states[0].meta[M_N])
    want = (len(states), planes, n, n)
    if out.shape != want or out.dtype != np.float32 or not out.flags.c_contiguous:
        got = f"{out.dtype}{list(out.shape)}"
        raise ValueError(f"out must be C-contiguous float32{list(want)}, not {got}")
    for st in states:
        if int(st.meta[M_N]) != n:
            raise ValueError("all states of a batch must have the same board size")
    return n


def agz_planes_batch(states: Sequence[State], out: np.ndarray) -> None:
    """Fill out[B, 17, N, N] with the AlphaGo Zero planes of each of the B states.

    The arrays the planes need are gathered into stacked buffers in Python and the planes
    computed in one compiled call (see the module docstring for why).
    """
    n = _check_batch(states, out, AGZ_PLANES)
    count = len(states)
    boards = np.empty((count, (n + 2) * (n + 2)), dtype=np.int8)
    pasts = np.empty((count, HISTORY_PLANES, n * n), dtype=np.int8)
    metas = np.empty((count, META_LEN), dtype=np.int64)
    for i, st in enumerate(states):
        boards[i] = st.board
        pasts[i] = st.past
        metas[i] = st.meta
    _agz_batch(boards, states[0].a2p, pasts, metas, out)


def extended_planes_batch(
    states: Sequence[State], out: np.ndarray, max_nodes: int = 0, ws: Workspace | None = None
) -> None:
    """Fill out[B, EXTENDED_PLANES, N, N] with the extended planes of each of the B states.

    One compiled call per state: the planes cost 20-250 us, passing a state about 4 us.
    `ws` is a workspace to use instead of this thread's default one; one workspace must not be
    used by two threads at once.
    """
    n = _check_batch(states, out, EXTENDED_PLANES)
    if ws is None:
        ws = _thread_workspace(n)
    nodes = max_nodes if max_nodes > 0 else DEFAULT_LADDER_NODES
    for i, st in enumerate(states):
        extended_fill(st, out[i], ws, nodes)
