"""Pure Monte Carlo tree search without a network: UCT with RAVE (all-moves-as-first), compiled.

The "rollout" engine: our first real opponent for GNU Go and the baseline for every network
player. One simulation descends the tree, plays a light rollout (`rollout_policy`) to the end
(or until one side leads by a share of the board in captures: a mercy rule, as in Fuego, which
decides it), and backs the result up both as ordinary statistics and as AMAF statistics: every
child of a node on the path whose move its player made first, at any later point of the
simulation, counts the result as if it had been played there (Gelly and Silver, 2007).

A child's score blends its own mean Q with its AMAF mean Q~:

    (1 - beta) Q + beta Q~ + c sqrt(ln N / (n + 1)),   beta = n~ / (n + n~ + n n~ / k)

(Silver's minimum-error schedule, k the equivalence parameter), where Q starts from `prior_n`
virtual visits at a heuristic prior value: even for most moves, higher for captures and atari
escapes, lower for self-ataris and for passing. Children are the legal moves that do not fill
one's own eye, plus pass; a node is expanded after `expand_visits` visits. Values are in
[-1, 1] for the player who made the move into the node, as in `go_engine.tree`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from go_engine.board import MOVE_OK, _is_eye, _only_liberty_is, _place, copy_into, legality
from go_engine.jit import HOT, INLINE
from go_engine.playout import final_score
from go_engine.rollout_policy import _escape_gains, mercy_winner, result_for, simple_rollout
from go_engine.scoring import area_score
from go_engine.state import (
    EMPTY,
    M_CAPS_B,
    M_CAPS_W,
    M_HASH,
    M_HIST_CAP,
    M_KO,
    M_MOVE,
    M_N,
    M_PASSES,
    M_TO_PLAY,
    M_W,
    WALL,
    State,
)
from go_engine.tree import EXPANDED, LEAF, NEW, T_CAP, T_USED, TERMINAL, Tree, init_child

# Indices into the float64 configuration vector.
R_EQUIV = 0
R_EXPLORE = 1
R_EXPAND = 2
R_PRIOR_N = 3
R_ROLLOUT_MODE = 4
R_ROLLOUT_MAX = 5
R_PRIOR_CAPTURE = 6
R_PRIOR_ESCAPE = 7
R_PRIOR_SELF_ATARI = 8
R_PRIOR_PASS = 9
R_MERCY = 10  # rollouts stop at this capture lead (0: off; rollout_policy.simple_rollout)
R_LEN = 11


@njit(**HOT)
def _move_prior(st: State, p: int, c: int, cfg: np.ndarray) -> float:
    """Heuristic prior value in [-1, 1] of colour c playing padded point p."""
    w = st.meta[M_W]
    board = st.board
    value = 0.0
    libs = 0  # empty neighbours: a rough count of the new chain's liberties
    for q in (p - 1, p + 1, p - w, p + w):
        v = board[q]
        if v == EMPTY:
            libs += 1
        elif v != WALL:
            h = st.head[q]
            if _only_liberty_is(st, h, p):
                if v == c:
                    if _escape_gains(st, p, c, h):
                        value = max(value, cfg[R_PRIOR_ESCAPE])
                else:
                    value = max(value, cfg[R_PRIOR_CAPTURE])
                    libs += 2
            elif v == c:
                libs += 2
    if value == 0.0 and libs <= 1:
        value = cfg[R_PRIOR_SELF_ATARI]
    return value


@njit(**HOT)
def _expand(tree: Tree, node: int, st: State, cfg: np.ndarray) -> None:
    """Children for the legal non-eye-filling moves and pass, with heuristic priors."""
    n = st.meta[M_N]
    nn = n * n
    c = st.meta[M_TO_PLAY]
    used = tree.meta[T_USED]
    j = used
    cap = tree.meta[T_CAP]
    for a in range(nn + 1):
        if j >= cap:
            tree.meta[T_USED] = used
            tree.status[node] = LEAF
            return
        if a < nn:
            p = st.a2p[a]
            if st.board[p] != EMPTY or _is_eye(st, p, c):
                continue
            if legality(st, a, c) != MOVE_OK:
                continue
            pri = _move_prior(st, p, c, cfg)
        else:
            pri = cfg[R_PRIOR_PASS]
        init_child(tree, j, a, node, pri)
        tree.score[j] = _rave_score(tree, j, cfg[R_PRIOR_N], cfg[R_EQUIV])
        j += 1
    tree.first[node] = used
    tree.nchild[node] = j - used
    tree.meta[T_USED] = j
    tree.status[node] = EXPANDED


@njit(**INLINE)
def _rave_score(tree: Tree, i: int, prior_n: float, equiv: float) -> float:
    """Node i's score from its own statistics: (1 - beta) Q + beta Q~ (the module docstring).

    Cached in `tree.score` and recomputed only when the statistics change (ordinary or AMAF
    backup, creation), so that a selection needs no division at all."""
    n = tree.visits[i]
    q = (tree.wsum[i] + prior_n * tree.prior[i]) / (n + prior_n)
    na = tree.amaf_n[i]
    if na > 0:
        beta = na / (n + na + n * na / equiv)
        return (1.0 - beta) * q + beta * (tree.amaf_w[i] / na)
    return q


@njit(**INLINE)
def _select(tree: Tree, node: int, cfg: np.ndarray) -> int:
    f = tree.first[node]
    k = tree.nchild[node]
    explore = cfg[R_EXPLORE]
    best = f
    best_score = -1e300
    if explore > 0.0:
        log_n = math.log(tree.visits[node] + 1.0)
        for i in range(f, f + k):
            s = tree.score[i] + explore * math.sqrt(log_n / (tree.visits[i] + 1.0))
            if s > best_score:
                best_score = s
                best = i
    else:
        for i in range(f, f + k):
            s = tree.score[i]
            if s > best_score:
                best_score = s
                best = i
    return best


@njit(**INLINE)
def _descend(st: State, a: int, c: int) -> None:
    """Play the tree move `a` for colour c (the player to move). It was legal, superko
    included, when its node was made from this same position and history, so unlike
    `board.play` this tests nothing and skips the feature planes; the hash and the history
    are kept for the superko tests of the expansions below. A full history plays nothing, as
    in `board.play`."""
    m = st.meta[M_MOVE]
    if m + 1 >= st.meta[M_HIST_CAP]:
        return
    n = st.meta[M_N]
    if a == n * n:
        st.meta[M_PASSES] += 1
        st.meta[M_KO] = -1
    else:
        st.meta[M_PASSES] = 0
        _place(st, st.a2p[a], c, True)
    st.meta[M_TO_PLAY] = 3 - c
    m += 1
    st.meta[M_MOVE] = m
    st.hist[m] = st.meta[M_HASH]
    st.hside[m] = 3 - c
    st.hmove[m] = a
    st.hcolor[m] = c


@njit(**HOT)
def simulate(
    tree: Tree,
    root: State,
    work: State,
    cfg: np.ndarray,
    weights: np.ndarray,
    rng: np.ndarray,
    path: np.ndarray,
    seq: np.ndarray,
    cand: np.ndarray,
    score: np.ndarray,
    stamp: np.ndarray,
    firstc: np.ndarray,
    budget: int,
) -> int:
    """Run `budget` simulations; returns how many ran (fewer only if the root is over).

    `path` int32[D], `seq` int32[D + rollout cap] and `stamp`/`firstc` int32/int8[N*N+1] are
    scratch; `stamp` must persist between calls (it holds simulation counters)."""
    nn = root.meta[M_N] * root.meta[M_N]
    expand_at = cfg[R_EXPAND]
    prior_n = cfg[R_PRIOR_N]
    equiv = cfg[R_EQUIV]
    max_moves = int(cfg[R_ROLLOUT_MAX])
    mode = int(cfg[R_ROLLOUT_MODE])
    mercy = int(cfg[R_MERCY])
    depth_cap = path.shape[0]
    root_color = root.meta[M_TO_PLAY]
    if tree.status[0] == NEW:
        if root.meta[M_PASSES] >= 2:
            tree.status[0] = TERMINAL
            tree.nnv[0] = result_for(area_score(root), root_color)
        else:
            _expand(tree, 0, root, cfg)
    if tree.status[0] != EXPANDED:
        return 0
    for _ in range(budget):
        copy_into(work, root, False)
        node = 0
        path[0] = 0
        d = 1
        nm = 0
        while tree.status[node] == EXPANDED and d < depth_cap:
            node = _select(tree, node, cfg)
            a = tree.move[node]
            _descend(work, a, work.meta[M_TO_PLAY])
            seq[nm] = a
            nm += 1
            path[d] = node
            d += 1
        status = tree.status[node]
        if status == TERMINAL:
            v = tree.nnv[node]
        else:
            if status == NEW and work.meta[M_PASSES] >= 2:
                tree.status[node] = TERMINAL
                v = result_for(area_score(work), work.meta[M_TO_PLAY])
                tree.nnv[node] = v
            else:
                if status == NEW and tree.visits[node] + 1 >= expand_at:
                    _expand(tree, node, work, cfg)
                color = work.meta[M_TO_PLAY]
                last = -1
                if nm > 0 and seq[nm - 1] < nn:
                    last = work.a2p[seq[nm - 1]]
                lead = work.meta[M_CAPS_B] - work.meta[M_CAPS_W]
                nm += simple_rollout(
                    work, rng, max_moves, mode, weights, last, seq[nm:], cand, mercy
                )
                winner = mercy_winner(work, lead, mercy)
                if winner == 0:
                    v = result_for(final_score(work), color)
                else:
                    v = 1.0 if winner == color else -1.0
        # Ordinary backup: v is for the player to move at the leaf.
        x = -v
        for j in range(d - 1, -1, -1):
            i = path[j]
            tree.visits[i] += 1
            tree.wsum[i] += x
            tree.wsq[i] += x * x
            tree.score[i] = _rave_score(tree, i, prior_n, equiv)
            x = -x
        # AMAF backup: walk the moves backwards so firstc[a] ends as the colour that played a
        # first from each tree depth on.
        stamp_id = stamp[nn + 1] + 1
        stamp[nn + 1] = stamp_id
        # Colour of seq[j]: root_color for even j (passes included, colours alternate).
        leaf_v_black = v if (d - 1) % 2 == 0 else -v  # for the player to move at the root...
        if root_color != 1:
            leaf_v_black = -leaf_v_black  # ...turned into Black's view
        for j in range(nm - 1, -1, -1):
            a = seq[j]
            col = root_color if j % 2 == 0 else 3 - root_color
            if a < nn:
                stamp[a] = stamp_id
                firstc[a] = col
            if j < d and tree.status[path[j]] == EXPANDED:
                parent = path[j]
                won = leaf_v_black if col == 1 else -leaf_v_black
                f = tree.first[parent]
                for ci in range(f, f + tree.nchild[parent]):
                    m = tree.move[ci]
                    if m < nn and stamp[m] == stamp_id and firstc[m] == col:
                        tree.amaf_n[ci] += 1
                        tree.amaf_w[ci] += won
                        tree.score[ci] = _rave_score(tree, ci, prior_n, equiv)
    return budget


def new_scratch(n: int, depth: int, rollout_moves: int) -> tuple[np.ndarray, ...]:
    """(path, seq, cand, score, stamp, firstc) for `simulate`."""
    nn = n * n
    return (
        np.zeros(depth, np.int32),
        np.zeros(depth + rollout_moves + 1, np.int32),
        np.zeros(nn, np.int32),
        np.zeros(nn, np.float64),
        np.zeros(nn + 2, np.int32),
        np.zeros(nn + 1, np.int8),
    )
