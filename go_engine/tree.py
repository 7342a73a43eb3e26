"""Search-tree storage: preallocated struct-of-arrays nodes, children in contiguous blocks.

Node 0 is the root. Expanding a node allocates all its children at once as one block
`first .. first + nchild - 1`, so the statistics a selection needs (visits, value sums,
priors, virtual losses) are contiguous slices of flat arrays: choosing a child is one pass
over a block, with no pointers to chase (minigo's layout, in Numba).

Values. `wsum[i]` adds up the values backed up through node i from the point of view of the
player who made the move into i, so a parent ranks its children by wsum / visits directly.
`nnv[i]` is the evaluation of the position at node i for the player to move there.

Capacity is fixed when the tree is made (`max_nodes`); when a block no longer fits, the node
becomes a LEAF that keeps backing up its evaluation. `reroot` keeps the subtree below the move
actually played, compacted to the front, for reuse on the next move.

The AMAF arrays (`amaf_n`, `amaf_w`) and the cached selection score (`score`) are only
allocated for the RAVE engine; PUCT trees get one-element placeholders.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from go_engine.jit import INLINE, JIT
from go_engine.state import M_HASH, M_MOVE, M_TO_PLAY, State

NEW = 0  # allocated, not yet evaluated
PENDING = 1  # waiting for the evaluator in the current batch
EXPANDED = 2  # has its children
TERMINAL = 3  # game over here: nnv is the exact result
LEAF = 4  # evaluated, but the tree was full: nnv is backed up on each visit

T_USED = 0
T_CAP = 1
T_META = 4


class Tree(NamedTuple):
    """Struct-of-arrays storage for up to `meta[T_CAP]` nodes."""

    visits: np.ndarray  # int32: completed visits
    wsum: np.ndarray  # float64: sum of values for the player who moved into the node
    wsq: np.ndarray  # float64: sum of squared values (for the lower confidence bound)
    prior: np.ndarray  # float32: policy prior of the move into the node
    vloss: np.ndarray  # int32: visits in flight (virtual losses)
    first: np.ndarray  # int32: index of the first child, -1 before expansion
    nchild: np.ndarray  # int32: number of children
    move: np.ndarray  # int16: action of the move into the node
    parent: np.ndarray  # int32: parent index, -1 at the root
    status: np.ndarray  # int8: NEW, PENDING, EXPANDED, TERMINAL or LEAF
    nnv: np.ndarray  # float32: evaluation for the player to move at the node
    amaf_n: np.ndarray  # int32: all-moves-as-first visits (RAVE trees only)
    amaf_w: np.ndarray  # float32: all-moves-as-first value sum (RAVE trees only)
    # float64: the RAVE engine's selection score of the node from its own statistics, kept up
    # to date whenever they change (`rave._rave_score`), so that choosing a child is a plain
    # argmax with no divisions (RAVE trees only)
    score: np.ndarray
    meta: np.ndarray  # int64[T_META]: nodes used, capacity


def new_tree(max_nodes: int, rave: bool = False) -> Tree:
    """An empty tree holding only a fresh root (unexpanded)."""
    if max_nodes < 2:
        raise ValueError(f"a tree needs room for at least 2 nodes, not {max_nodes}")
    m = int(max_nodes)
    r = m if rave else 1
    t = Tree(
        visits=np.zeros(m, np.int32),
        wsum=np.zeros(m, np.float64),
        wsq=np.zeros(m, np.float64),
        prior=np.zeros(m, np.float32),
        vloss=np.zeros(m, np.int32),
        first=np.full(m, -1, np.int32),
        nchild=np.zeros(m, np.int32),
        move=np.full(m, -1, np.int16),
        parent=np.full(m, -1, np.int32),
        status=np.zeros(m, np.int8),
        nnv=np.zeros(m, np.float32),
        amaf_n=np.zeros(r, np.int32),
        amaf_w=np.zeros(r, np.float32),
        score=np.zeros(r, np.float64),
        meta=np.zeros(T_META, np.int64),
    )
    t.meta[T_USED] = 1
    t.meta[T_CAP] = m
    t.prior[0] = 1.0
    return t


def bytes_per_node(tree: Tree) -> int:
    """Memory one node slot takes, summed over the per-node arrays."""
    cap = int(tree.meta[T_CAP])
    return sum(a.itemsize for a in tree[:-1] if a.shape[0] == cap)


def clear(tree: Tree) -> None:
    """Reset to a fresh root without reallocating."""
    _clear(tree)


@njit(**JIT)
def _clear(tree: Tree) -> None:
    used = tree.meta[T_USED]
    for i in range(used):
        _reset_node(tree, i)
    tree.meta[T_USED] = 1
    tree.prior[0] = 1.0


@njit(**JIT)
def _reset_node(tree: Tree, i: int) -> None:
    tree.visits[i] = 0
    tree.wsum[i] = 0.0
    tree.wsq[i] = 0.0
    tree.prior[i] = 0.0
    tree.vloss[i] = 0
    tree.first[i] = -1
    tree.nchild[i] = 0
    tree.move[i] = -1
    tree.parent[i] = -1
    tree.status[i] = NEW
    tree.nnv[i] = 0.0
    if tree.amaf_n.shape[0] > 1:
        tree.amaf_n[i] = 0
        tree.amaf_w[i] = 0.0
        tree.score[i] = 0.0


@njit(**INLINE)
def init_child(tree: Tree, j: int, move: int, parent: int, prior: float) -> None:
    """Fill slot j as a fresh NEW child of `parent` reached by `move`."""
    tree.visits[j] = 0
    tree.wsum[j] = 0.0
    tree.wsq[j] = 0.0
    tree.prior[j] = prior
    tree.vloss[j] = 0
    tree.first[j] = -1
    tree.nchild[j] = 0
    tree.move[j] = move
    tree.parent[j] = parent
    tree.status[j] = NEW
    tree.nnv[j] = 0.0
    if tree.amaf_n.shape[0] > 1:
        tree.amaf_n[j] = 0
        tree.amaf_w[j] = 0.0
        tree.score[j] = 0.0  # the caller sets the RAVE score (it depends on the settings)


@njit(**JIT)
def _copy_node(dst: Tree, j: int, src: Tree, i: int) -> None:
    dst.visits[j] = src.visits[i]
    dst.wsum[j] = src.wsum[i]
    dst.wsq[j] = src.wsq[i]
    dst.prior[j] = src.prior[i]
    dst.vloss[j] = 0
    dst.move[j] = src.move[i]
    dst.status[j] = src.status[i]
    dst.nnv[j] = src.nnv[i]
    if src.amaf_n.shape[0] > 1:
        dst.amaf_n[j] = src.amaf_n[i]
        dst.amaf_w[j] = src.amaf_w[i]
        dst.score[j] = src.score[i]


@njit(**JIT)
def reroot(dst: Tree, src: Tree, new_root: int) -> None:
    """Copy the subtree of `src` below `new_root` into the empty tree `dst` (same capacity),
    breadth first, so every block stays contiguous; `dst`'s root is the old `new_root`."""
    _clear(dst)
    _copy_node(dst, 0, src, new_root)
    dst.parent[0] = -1
    queue = np.empty(src.meta[T_USED], np.int32)  # src index of each dst node, in order
    queue[0] = new_root
    head = 0
    used = 1
    while head < used:
        i = queue[head]
        j = head
        head += 1
        f = src.first[i]
        k = src.nchild[i]
        if f < 0 or src.status[i] != EXPANDED:
            if dst.status[j] == PENDING:
                dst.status[j] = NEW
            dst.first[j] = -1
            dst.nchild[j] = 0
            continue
        dst.first[j] = used
        dst.nchild[j] = k
        for c in range(k):
            _copy_node(dst, used + c, src, f + c)
            dst.parent[used + c] = j
            queue[used + c] = f + c
        used += k
    dst.meta[T_USED] = used


@njit(**JIT)
def child_of(tree: Tree, node: int, action: int) -> int:
    """Index of `node`'s child reached by `action`, or -1."""
    f = tree.first[node]
    for c in range(f, f + tree.nchild[node]):
        if tree.move[c] == action:
            return c
    return -1


def moves_between(old: State, new: State, limit: int = 8) -> list[int] | None:
    """The actions that lead from position `old` to `new` when `new` continues old's game by at
    most `limit` moves (same stones and side to move at old's move number), else None."""
    m0, m1 = int(old.meta[M_MOVE]), int(new.meta[M_MOVE])
    if m1 < m0 or m1 - m0 > limit or new.hist.shape[0] <= m1:
        return None
    if int(new.hist[m0]) != int(old.meta[M_HASH]) or new.hside[m0] != old.meta[M_TO_PLAY]:
        return None
    if m1 == m0 and int(new.meta[M_HASH]) != int(old.meta[M_HASH]):
        return None
    return [int(new.hmove[m]) for m in range(m0 + 1, m1 + 1)]


def follow(tree: Tree, actions: list[int]) -> int:
    """The node reached from the root by `actions`, or -1 where the tree does not go."""
    node = 0
    for a in actions:
        if tree.status[node] != EXPANDED:
            return -1
        node = child_of(tree, node, a)
        if node < 0:
            return -1
    return node


def keep_subtree(tree: Tree, spare: Tree, actions: list[int] | None) -> tuple[Tree, Tree]:
    """Tree reuse between moves: the subtree reached by `actions` becomes the root (copied
    into `spare`, which is returned as the new tree); with no such subtree (or `actions` None)
    the tree is cleared. Returns (tree, spare) to keep using."""
    node = -1 if actions is None else follow(tree, actions)
    if node < 0:
        clear(tree)
    elif node > 0:
        reroot(spare, tree, node)
        return spare, tree
    return tree, spare


def principal_variation(tree: Tree, node: int = 0, limit: int = 30) -> list[int]:
    """The most-visited line of actions below `node`."""
    out: list[int] = []
    while tree.status[node] == EXPANDED and len(out) < limit:
        f, k = int(tree.first[node]), int(tree.nchild[node])
        v = tree.visits[f : f + k]
        if k == 0 or v.max() == 0:
            break
        node = f + int(np.argmax(v))
        out.append(int(tree.move[node]))
    return out


def child_lines(tree: Tree, limit: int = 20) -> list[list[int]]:
    """For each child of the root, in block order: its move followed by its most-visited line."""
    if tree.status[0] != EXPANDED:
        return []
    f, k = int(tree.first[0]), int(tree.nchild[0])
    return [[int(tree.move[c])] + principal_variation(tree, c, limit - 1) for c in range(f, f + k)]
