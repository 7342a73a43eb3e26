"""Compiled PUCT kernels: select with virtual loss, collect a batch of leaves, expand, back up.

One call of `simulate` runs simulations from the root until `budget` have completed or
`batch` leaves wait for the network. Each simulation copies the root into a scratch state,
descends by PUCT, adding a virtual loss to every node on its path, and at an unevaluated leaf
either finishes at once (game over: exact Tromp-Taylor result; evaluation cache hit; no network:
uniform priors and, if lambda > 0, a rollout) or writes the leaf's feature planes and legal
moves into the batch and marks it PENDING. The Python side evaluates the whole batch in one
call and `apply` expands the leaves and backs their values up, taking the virtual losses off.

Selection at a node with N visits (in flight included) picks the child maximising

    Q(child) + c(N) * P(child) * sqrt(N) / (1 + n(child)),
    c(N) = c_init + c_log * log((N + c_base + 1) / c_base)          (AlphaZero's dynamic cpuct)

where a virtual loss counts as a visit that lost (value -1) and an unvisited child's Q is the
parent's value minus fpu * sqrt(prior mass of the visited children) (first-play urgency
reduction, as Leela Zero does).

Leaf value, AlphaGo style: (1 - lambda) * v_network + lambda * z_rollout, v and z for the
player to move at the leaf; lambda = 0 is AlphaGo Zero, lambda = 1 plain MCTS with rollouts.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from go_engine.board import MOVE_OK, copy_into, legality, play
from go_engine.features import Workspace, agz_fill, extended_fill
from go_engine.jit import HOT, JIT
from go_engine.playout import final_score
from go_engine.rollout_policy import result_for, rollout
from go_engine.scoring import area_score
from go_engine.state import M_HASH, M_KO, M_MOVE, M_N, M_PASSES, M_TO_PLAY, State
from go_engine.tree import (
    EXPANDED,
    LEAF,
    NEW,
    PENDING,
    T_CAP,
    T_USED,
    TERMINAL,
    Tree,
    init_child,
)

# Indices into the float64 configuration vector the kernels take.
C_INIT = 0
C_BASE = 1
C_LOG = 2
C_FPU = 3
C_FPU_ROOT = 4
C_LAMBDA = 5
C_ROLLOUT_MODE = 6
C_ROLLOUT_MAX = 7
C_NETWORK = 8
C_FEATURES = 9  # 0 none, 1 AlphaGo Zero planes, 2 extended planes
C_MAX_COLLISIONS = 10
C_LADDER_NODES = 11
C_LEN = 12

FEATURE_CODES = {"none": 0, "agz": 1, "extended": 2}

# Indices into Batch.stats (cumulative counters).
S_CACHE_HITS = 0
S_COLLISIONS = 1
S_TERMINAL = 2
S_LEN = 4


class Batch(NamedTuple):
    """Scratch and hand-over buffers of one tree's batch of leaves."""

    planes: np.ndarray  # float32[B, C, N, N]: inputs of the pending leaves
    legal: np.ndarray  # bool[B, N*N+1]: their legal moves
    paths: np.ndarray  # int32[B, D]: node indices from the root to each leaf
    plen: np.ndarray  # int32[B]: path lengths
    leaves: np.ndarray  # int32[B]: the pending leaf nodes
    keys: np.ndarray  # int64[B]: their evaluation-cache keys
    zvals: np.ndarray  # float32[B]: their rollout results (lambda > 0)
    moves: np.ndarray  # int32[L]: rollout move record
    cand: np.ndarray  # int32[N*N]: rollout scratch
    score: np.ndarray  # float64[N*N]: rollout scratch
    stats: np.ndarray  # int64[S_LEN]: counters


class Cache(NamedTuple):
    """Direct-mapped evaluation cache: network priors and value per position key."""

    keys: np.ndarray  # int64[C] (0 = empty)
    priors: np.ndarray  # float32[C, N*N+1]
    values: np.ndarray  # float32[C]


def new_batch(n: int, batch: int, planes: int, max_depth: int, rollout_moves: int) -> Batch:
    """Buffers for up to `batch` pending leaves of an N x N tree."""
    a = n * n + 1
    return Batch(
        planes=np.zeros((batch, max(planes, 1), n, n), np.float32),
        legal=np.zeros((batch, a), np.bool_),
        paths=np.zeros((batch, max_depth), np.int32),
        plen=np.zeros(batch, np.int32),
        leaves=np.zeros(batch, np.int32),
        keys=np.zeros(batch, np.int64),
        zvals=np.zeros(batch, np.float32),
        moves=np.zeros(max(rollout_moves, 1), np.int32),
        cand=np.zeros(n * n, np.int32),
        score=np.zeros(n * n, np.float64),
        stats=np.zeros(S_LEN, np.int64),
    )


def new_cache(n: int, entries: int) -> Cache:
    """A cache of `entries` slots (rounded up to a power of two; 0 disables it)."""
    size = 1
    while size < entries:
        size *= 2
    if entries <= 0:
        size = 1
    return Cache(
        keys=np.zeros(size, np.int64),
        priors=np.zeros((size, n * n + 1), np.float32),
        values=np.zeros(size, np.float32),
    )


# ----------------------------------------------------------------------------- tree updates


@njit(**HOT)
def _select(tree: Tree, node: int, cfg: np.ndarray, fpu: float) -> int:
    """The child of an expanded node with the highest PUCT score (virtual losses included)."""
    f = tree.first[node]
    k = tree.nchild[node]
    n_parent = tree.visits[node] + tree.vloss[node]
    c = cfg[C_INIT] + cfg[C_LOG] * math.log((n_parent + cfg[C_BASE] + 1.0) / cfg[C_BASE])
    explore = c * math.sqrt(max(n_parent, 1))
    parent_q = 0.0
    if tree.visits[node] > 0:
        parent_q = -tree.wsum[node] / tree.visits[node]
    mass = 0.0
    for i in range(f, f + k):
        if tree.visits[i] + tree.vloss[i] > 0:
            mass += tree.prior[i]
    q_unvisited = parent_q - fpu * math.sqrt(mass)
    best = f
    best_score = -1e300
    for i in range(f, f + k):
        n = tree.visits[i] + tree.vloss[i]
        q = q_unvisited
        if n > 0:
            q = (tree.wsum[i] - tree.vloss[i]) / n
        s = q + explore * tree.prior[i] / (1.0 + n)
        if s > best_score:
            best_score = s
            best = i
    return best


@njit(**HOT)
def _backup(tree: Tree, path: np.ndarray, d: int, value: float) -> None:
    """Add `value` (for the player to move at the leaf path[d-1]) up the path, alternating
    sides, and take off the virtual losses."""
    v = -value
    for j in range(d - 1, -1, -1):
        i = path[j]
        tree.visits[i] += 1
        tree.wsum[i] += v
        tree.wsq[i] += v * v
        tree.vloss[i] -= 1
        v = -v


@njit(**HOT)
def _revert(tree: Tree, path: np.ndarray, d: int) -> None:
    for j in range(d):
        tree.vloss[path[j]] -= 1


@njit(**HOT)
def _expand(tree: Tree, node: int, legal: np.ndarray, priors: np.ndarray, uniform: bool) -> None:
    """Give `node` one child per legal action with renormalised priors, or make it a LEAF
    when the block does not fit."""
    a_count = legal.shape[0]
    k = 0
    total = 0.0
    for a in range(a_count):
        if legal[a]:
            k += 1
            if not uniform:
                total += max(priors[a], 0.0)
    used = tree.meta[T_USED]
    if used + k > tree.meta[T_CAP]:
        tree.status[node] = LEAF
        return
    flat = uniform or total <= 0.0
    j = used
    for a in range(a_count):
        if legal[a]:
            init_child(tree, j, a, node, 1.0 / k if flat else max(priors[a], 0.0) / total)
            j += 1
    tree.first[node] = used
    tree.nchild[node] = k
    tree.meta[T_USED] = j
    tree.status[node] = EXPANDED


@njit(**HOT)
def _fill_legal(st: State, out: np.ndarray) -> None:
    nn = st.meta[M_N] * st.meta[M_N]
    c = st.meta[M_TO_PLAY]
    for a in range(nn):
        out[a] = legality(st, a, c) == MOVE_OK
    out[nn] = True


@njit(**HOT)
def cache_key(st: State) -> int:
    """Position key for the evaluation cache: stones, side to move, simple-ko point and the
    seven previous positions (the AlphaGo Zero planes see them). Never 0."""
    m = st.meta[M_MOVE]
    h = st.meta[M_HASH] ^ (st.meta[M_TO_PLAY] * 0x5BD1E995) ^ ((st.meta[M_KO] + 2) * 0x27D4EB2F)
    for j in range(1, 8):
        h = h * 0x100000001B3 + 0x9E3779B9
        if m - j >= 0:
            h ^= st.hist[m - j]
    return h if h != 0 else 1


@njit(**JIT)
def _terminal_value(st: State) -> float:
    return result_for(area_score(st), st.meta[M_TO_PLAY])


@njit(**JIT)
def _rollout_value(
    work: State, rwork: State, rng: np.ndarray, cfg: np.ndarray, weights: np.ndarray, b: Batch
) -> float:
    copy_into(rwork, work)
    last = -1
    m = work.meta[M_MOVE]
    if m > 0 and work.hmove[m] >= 0:
        last = work.a2p[work.hmove[m]]
    rollout(
        rwork,
        rng,
        int(cfg[C_ROLLOUT_MAX]),
        int(cfg[C_ROLLOUT_MODE]),
        weights,
        last,
        b.moves,
        b.cand,
        b.score,
    )
    return result_for(final_score(rwork), work.meta[M_TO_PLAY])


@njit(**JIT)
def simulate(
    tree: Tree,
    root: State,
    work: State,
    rwork: State,
    cfg: np.ndarray,
    weights: np.ndarray,
    rng: np.ndarray,
    b: Batch,
    cache: Cache,
    ws: Workspace,
    budget: int,
    batch: int,
) -> tuple[int, int]:
    """Run simulations until `budget` complete or `batch` leaves are pending (or too many
    collide with pending ones). Returns (pending leaves, simulations completed)."""
    lam = cfg[C_LAMBDA]
    network = cfg[C_NETWORK] != 0.0
    features = int(cfg[C_FEATURES])
    max_collisions = int(cfg[C_MAX_COLLISIONS])
    depth_cap = b.paths.shape[1]
    use_cache = cache.keys.shape[0] > 1
    cache_mask = cache.keys.shape[0] - 1
    hist_cap = work.hist.shape[0]
    k = 0
    done = 0
    collisions = 0
    while done + k < budget and k < batch:
        copy_into(work, root)
        path = b.paths[k]
        node = 0
        path[0] = 0
        d = 1
        tree.vloss[0] += 1
        failed = False
        while tree.status[node] == EXPANDED and d < depth_cap:
            child = _select(tree, node, cfg, cfg[C_FPU_ROOT] if node == 0 else cfg[C_FPU])
            if play(work, tree.move[child], work.meta[M_TO_PLAY]) < 0:
                failed = True  # cannot happen for legal children; guarded all the same
            node = child
            path[d] = node
            d += 1
            tree.vloss[node] += 1
            if failed:
                break
        status = tree.status[node]
        if failed:
            tree.status[node] = TERMINAL
            tree.nnv[node] = 1.0  # the move into it was illegal: its player loses
            _backup(tree, path, d, 1.0)
            done += 1
            continue
        if status == EXPANDED or status == TERMINAL or status == LEAF:
            v = tree.nnv[node]
            if status == LEAF and lam > 0.0 and not network:
                # The tree is full: a rollout-valued leaf gets a fresh rollout each visit.
                v = lam * _rollout_value(work, rwork, rng, cfg, weights, b)
            _backup(tree, path, d, v)
            done += 1
            continue
        if status == PENDING:
            _revert(tree, path, d)
            collisions += 1
            b.stats[S_COLLISIONS] += 1
            if collisions > max_collisions:
                break
            continue
        # A NEW node: game over, or evaluate it.
        if work.meta[M_PASSES] >= 2 or work.meta[M_MOVE] + 2 >= hist_cap:
            v = _terminal_value(work)
            tree.status[node] = TERMINAL
            tree.nnv[node] = v
            _backup(tree, path, d, v)
            b.stats[S_TERMINAL] += 1
            done += 1
            continue
        _fill_legal(work, b.legal[k])
        z = 0.0
        if lam > 0.0:
            z = _rollout_value(work, rwork, rng, cfg, weights, b)
        if not network:
            _expand(tree, node, b.legal[k], b.zvals, True)  # zvals: an unread placeholder
            v = lam * z
            tree.nnv[node] = v
            _backup(tree, path, d, v)
            done += 1
            continue
        key = cache_key(work)
        slot = key & cache_mask
        if use_cache and cache.keys[slot] == key:
            _expand(tree, node, b.legal[k], cache.priors[slot], False)
            v = (1.0 - lam) * cache.values[slot] + lam * z
            tree.nnv[node] = v
            _backup(tree, path, d, v)
            b.stats[S_CACHE_HITS] += 1
            done += 1
            continue
        if features == 1:
            agz_fill(work, b.planes[k])
        elif features == 2:
            extended_fill(work, b.planes[k], ws, int(cfg[C_LADDER_NODES]))
        tree.status[node] = PENDING
        b.plen[k] = d
        b.leaves[k] = node
        b.keys[k] = key
        b.zvals[k] = z
        k += 1
    return k, done


@njit(**JIT)
def apply(
    tree: Tree,
    b: Batch,
    k: int,
    priors: np.ndarray,
    values: np.ndarray,
    cfg: np.ndarray,
    cache: Cache,
) -> None:
    """Expand the k pending leaves with the evaluator's priors and back up their values."""
    lam = cfg[C_LAMBDA]
    use_cache = cache.keys.shape[0] > 1
    cache_mask = cache.keys.shape[0] - 1
    for i in range(k):
        node = b.leaves[i]
        _expand(tree, node, b.legal[i], priors[i], False)
        if use_cache:
            slot = b.keys[i] & cache_mask
            cache.keys[slot] = b.keys[i]
            cache.values[slot] = values[i]
            for a in range(priors.shape[1]):
                cache.priors[slot, a] = priors[i, a]
        v = (1.0 - lam) * values[i] + lam * b.zvals[i]
        tree.nnv[node] = v
        _backup(tree, b.paths[i], b.plen[i], v)


@njit(**JIT)
def abandon(tree: Tree, b: Batch, k: int) -> None:
    """Give up k pending leaves (the evaluator failed): back to NEW, virtual losses off."""
    for i in range(k):
        tree.status[b.leaves[i]] = NEW
        _revert(tree, b.paths[i], b.plen[i])
