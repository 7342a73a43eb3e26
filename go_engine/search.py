"""The PUCT search as Python objects: configuration, budgets, tree reuse, noise, batched runs.

`Search(evaluator, board_size, config)` owns one tree and its scratch buffers. `run(state,
visits=, seconds=)` searches from a position and returns a `SearchResult`; the compiled work
is in `go_engine.puct`. Between moves the tree is kept: when the next position continues the
game of the last one, the subtree of the moves played becomes the new root.

Leaves are collected in batches of `config.batch_size` (virtual loss keeps them apart) and the
evaluator is called once per batch. `run_many` searches several positions (several games)
with one evaluator call per round for all of them, which is how self-play fills a network's
batch. An evaluator with `network = False` never returns to Python inside a search.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from go_engine import features as feats
from go_engine import puct
from go_engine.board import copy_state
from go_engine.evaluator import Evaluator
from go_engine.playout import default_max_moves
from go_engine.rng import make_rng
from go_engine.search_result import SearchResult
from go_engine.state import M_N, State
from go_engine.tree import (
    EXPANDED,
    T_CAP,
    T_USED,
    TERMINAL,
    Tree,
    bytes_per_node,
    child_lines,
    clear,
    keep_subtree,
    moves_between,
    new_tree,
    principal_variation,
    reroot,
)

PLANES = {"none": 0, "agz": feats.AGZ_PLANES, "extended": feats.EXTENDED_PLANES}


@dataclass
class SearchConfig:
    """PUCT search settings."""

    batch_size: int = 8  # leaves per evaluator call
    # Tree capacity (nodes; about 47 bytes each, twice over for the reuse copy): bounds memory.
    # Each expansion takes N*N+1 nodes, so a 9x9 network search at 6,000 simulations a second
    # fills about 450,000 a second. A network search stops when the next batches might not
    # fit, rather than back up unexpanded leaves' stale values again and again.
    max_nodes: int = 2_000_000
    c_init: float = 1.25  # cpuct at the start (AlphaZero)
    c_base: float = 19652.0  # visits over which cpuct grows by c_log * log 2
    c_log: float = 1.0
    fpu_reduction: float = 0.25  # first-play urgency reduction below the root
    fpu_root: float = 0.0  # ... and at the root
    max_collisions: int = 0  # collisions with pending leaves before a batch is cut (0: batch)
    dirichlet_total: float = 10.83  # Dirichlet alpha times the number of legal moves
    noise_fraction: float = 0.25  # share of the root prior replaced by noise (when noise=True)
    reuse_tree: bool = True
    cache_entries: int = 16384  # evaluation cache slots (0 disables)
    rollout_max_moves: int = 0  # rollout move cap (0: 3*N*N + 20)
    ladder_nodes: int = feats.DEFAULT_LADDER_NODES  # extended planes' ladder reading budget
    max_depth: int = 0  # deepest path followed (0: 2*N*N + 64)
    # 2: a network search collects (and plays the rollouts of) the next batch of leaves while
    # the evaluator works on the last one, in a second thread; 1: one after the other. The
    # kernels release the GIL and so do the network runtimes, so this uses a second core.
    threads: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.threads not in (1, 2):
            raise ValueError(f"threads must be 1 or 2, not {self.threads}")
        if self.max_nodes < 1000:
            raise ValueError("max_nodes must be at least 1000")


class Search:
    """A PUCT searcher for one game on an N x N board."""

    def __init__(self, evaluator: Evaluator, size: int, config: SearchConfig | None = None):
        self.evaluator = evaluator
        self.size = int(size)
        self.config = config or SearchConfig()
        cfg = self.config
        if evaluator.features not in PLANES:
            raise ValueError(f"unknown feature set {evaluator.features!r}")
        n = self.size
        self.rollout_moves = cfg.rollout_max_moves or default_max_moves(n)
        self.tree: Tree = new_tree(cfg.max_nodes)
        self._spare: Tree = new_tree(cfg.max_nodes)
        batch_shape = (
            n,
            cfg.batch_size,
            PLANES[evaluator.features],
            cfg.max_depth or 2 * n * n + 64,
            self.rollout_moves,
        )
        self.batch = puct.new_batch(*batch_shape)
        # The overlapped search's second batch and its evaluation thread (made on first use).
        self.pipelined = cfg.threads > 1 and evaluator.network
        self._batch2 = puct.new_batch(*batch_shape) if self.pipelined else None
        self._pool: ThreadPoolExecutor | None = None
        self.cache = puct.new_cache(n, cfg.cache_entries if evaluator.network else 0)
        depth = feats.default_ladder_depth(n) if evaluator.features == "extended" else 1
        self.ws = feats.workspace(n, depth)
        self.rng = make_rng(cfg.seed)
        self.np_rng = np.random.default_rng(cfg.seed)
        self.cfg_vec = self._cfg_vector()
        self.weights = evaluator.rollout_policy.weights
        self._root: State | None = None  # position the tree's root stands for
        self._work: State | None = None
        self._rwork: State | None = None
        self._warm = False
        self._done = 0  # simulations completed in the current run
        self._full = False  # the current run stopped because the tree had no more room

    # -- set-up
    def _cfg_vector(self) -> np.ndarray:
        cfg, ev = self.config, self.evaluator
        v = np.zeros(puct.C_LEN, np.float64)
        v[puct.C_INIT] = cfg.c_init
        v[puct.C_BASE] = cfg.c_base
        v[puct.C_LOG] = cfg.c_log
        v[puct.C_FPU] = cfg.fpu_reduction
        v[puct.C_FPU_ROOT] = cfg.fpu_root
        v[puct.C_LAMBDA] = ev.rollout_weight
        v[puct.C_ROLLOUT_MODE] = ev.rollout_policy.code
        v[puct.C_ROLLOUT_MAX] = self.rollout_moves
        v[puct.C_NETWORK] = 1.0 if ev.network else 0.0
        v[puct.C_FEATURES] = puct.FEATURE_CODES[ev.features]
        v[puct.C_MAX_COLLISIONS] = cfg.max_collisions or cfg.batch_size
        v[puct.C_LADDER_NODES] = cfg.ladder_nodes
        return v

    @property
    def bytes_per_node(self) -> int:
        return bytes_per_node(self.tree)

    @property
    def nodes_used(self) -> int:
        return int(self.tree.meta[T_USED])

    def reset(self) -> None:
        """Forget the tree (a new game, or a position that does not continue the old one)."""
        clear(self.tree)
        self._root = None

    def _prepare(self, state: State) -> None:
        """Point the tree at `state`, keeping the subtree when the game went on from the last
        root; allocate scratch states of the right history capacity."""
        if int(state.meta[M_N]) != self.size:
            raise ValueError(f"this search is for {self.size}x{self.size}, not {state.meta[M_N]}")
        moves = None
        if self.config.reuse_tree and self._root is not None:
            moves = moves_between(self._root, state)
        self.tree, self._spare = keep_subtree(self.tree, self._spare, moves)
        if self.evaluator.network and self.nodes_used > int(self.tree.meta[T_CAP]) // 2:
            # A kept subtree that large would leave this move little room to think in.
            clear(self.tree)
        self._root = copy_state(state)
        if self._work is None or self._work.hist.shape[0] != state.hist.shape[0]:
            self._work = copy_state(state)
            self._rwork = copy_state(state)

    def _room(self, batches: int = 1) -> bool:
        """Whether `batches` more batches of leaves can be expanded (up to N*N+1 children
        each) without filling the tree. Only network searches are held to it: a full tree
        turns leaves into LEAF nodes, which a rollout-only search still plays a fresh
        rollout from on every visit, but a network search could only count their one stale
        evaluation again."""
        if not self.evaluator.network:
            return True
        need = batches * self.config.batch_size * (self.size * self.size + 1)
        return int(self.tree.meta[T_USED]) + need <= int(self.tree.meta[T_CAP])

    # -- the two halves of a round, for run() and run_many()
    def _collect(self, budget: int, batch: puct.Batch | None = None) -> int:
        k, done = puct.simulate(
            self.tree,
            self._root,
            self._work,
            self._rwork,
            self.cfg_vec,
            self.weights,
            self.rng,
            self.batch if batch is None else batch,
            self.cache,
            self.ws,
            budget,
            self.config.batch_size,
        )
        self._done += done
        return k

    def _apply(
        self, k: int, priors: np.ndarray, values: np.ndarray, batch: puct.Batch | None = None
    ) -> None:
        puct.apply(
            self.tree,
            self.batch if batch is None else batch,
            k,
            np.ascontiguousarray(priors, np.float32),
            np.ascontiguousarray(values, np.float32),
            self.cfg_vec,
            self.cache,
        )
        self._done += k

    def _abandon(self, k: int, batch: puct.Batch | None = None) -> None:
        puct.abandon(self.tree, self.batch if batch is None else batch, k)

    def _start(self, state: State, noise: bool, avoid: Sequence[int] = ()) -> None:
        """Point the tree at `state`, zero the counter, mix noise into the root priors and
        rule out the `avoid` moves at the root (expanding the root first if it is new)."""
        self._prepare(state)
        self._done = 0
        self._full = False
        if noise or avoid:
            if self.tree.status[0] != EXPANDED:
                self._round(1)
        if noise:
            self._add_noise()
        if avoid:
            self._avoid(avoid)

    def _avoid(self, actions: Sequence[int]) -> None:
        """Make each of the root's children in `actions` a certain loss with no prior, so
        that selection never takes it while another child is left, and take back what it had
        added to the root. Used for a pass that would end the game where the position is not
        won once dead stones are off: the tree scores a pass-pass ending by Tromp-Taylor,
        which counts dead stones as alive, so that child could otherwise take nearly every
        visit."""
        t = self.tree
        f, k = int(t.first[0]), int(t.nchild[0])
        if t.status[0] != EXPANDED:
            return
        for c in range(f, f + k):
            if int(t.move[c]) not in actions:
                continue
            # The root's sums hold its children's values from the other side's view.
            t.visits[0] -= int(t.visits[c]) - 1
            t.wsum[0] += float(t.wsum[c]) + 1.0
            t.wsq[0] -= float(t.wsq[c]) - 1.0
            t.visits[c], t.wsum[c], t.wsq[c], t.prior[c] = 1, -1.0, 1.0, 0.0
            if t.status[c] != EXPANDED:
                t.status[c], t.nnv[c] = TERMINAL, 1.0

    def _add_noise(self) -> None:
        t = self.tree
        f, k = int(t.first[0]), int(t.nchild[0])
        if t.status[0] != EXPANDED or k == 0:
            return
        alpha = self.config.dirichlet_total / k
        noise = self.np_rng.dirichlet(np.full(k, alpha))
        eps = self.config.noise_fraction
        t.prior[f : f + k] = (1 - eps) * t.prior[f : f + k] + eps * noise

    # -- searching
    def run(
        self,
        state: State,
        visits: int | None = None,
        seconds: float | None = None,
        noise: bool = False,
        avoid: Sequence[int] = (),
    ) -> SearchResult:
        """Search `state` for `visits` new simulations and/or `seconds` (whichever ends first;
        at least one of them must be given) and return the root's statistics. The `avoid`
        actions are ruled out at the root (`_avoid`)."""
        if visits is None and seconds is None:
            raise ValueError("give a visit budget, a time budget or both")
        if not self._warm:
            # The first call of each kernel loads it from Numba's cache (~0.5 s in all):
            # do that with empty budgets before the clock starts.
            self._prepare(state)
            self._collect(0)
            self._apply(0, np.zeros((0, 1), np.float32), np.zeros(0, np.float32))
            reroot(self._spare, self.tree, 0)
            clear(self._spare)
            self._warm = True
        start = time.perf_counter()
        deadline = None if seconds is None else start + seconds
        target = visits if visits is not None else 1 << 40
        self._start(state, noise, tuple(int(a) for a in avoid))
        if self.pipelined:
            self._run_overlapped(target, deadline)
            return self.result(time.perf_counter() - start)
        chunk = self.config.batch_size if self.evaluator.network else 64
        while self._done < target:
            if deadline is not None and time.perf_counter() >= deadline:
                break
            if not self._room():
                self._full = True
                break
            before = self._done
            self._round(min(chunk, target - self._done))
            if self._done == before and self.tree.status[0] != EXPANDED:
                break  # the root is terminal: nothing to search
            if not self.evaluator.network and deadline is not None:
                chunk = self._adapt(chunk, start, deadline)
        return self.result(time.perf_counter() - start)

    def _run_overlapped(self, target: int, deadline: float | None) -> None:
        """The search loop with two batches: while the evaluator thread works on one, this
        thread collects the other (the pending leaves' virtual losses steer it elsewhere),
        then applies the finished one. Stops like `run`'s loop, with no evaluation left
        pending."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="search-eval")
        batches = (self.batch, self._batch2)
        cur = 0
        pending: tuple[puct.Batch, int, Future] | None = None
        size = self.config.batch_size
        while True:
            in_flight = pending[1] if pending else 0
            stop = self._done + in_flight >= target or (
                deadline is not None and time.perf_counter() >= deadline
            )
            if not stop and not self._room(2):  # the pending batch and the next one
                self._full = stop = True
            k = 0
            if not stop:
                k = self._collect(min(size, target - self._done - in_flight), batches[cur])
            if pending is not None:
                batch, n, future = pending
                pending = None
                try:
                    priors, values = future.result()
                except BaseException:
                    self._abandon(n, batch)
                    self._abandon(k, batches[cur])
                    raise
                self._apply(n, priors, values, batch)
            if k:
                planes = batches[cur].planes[:k]
                pending = (batches[cur], k, self._pool.submit(self.evaluator.evaluate, planes))
                cur = 1 - cur
            elif in_flight == 0 and (stop or self.tree.status[0] != EXPANDED):
                break  # out of budget, or the root is terminal: nothing to search

    def _adapt(self, chunk: int, start: float, deadline: float) -> int:
        """Grow the compiled chunk until one takes about 1/50 of the time budget."""
        spent = time.perf_counter() - start
        if self._done > 0 and spent > 0:
            per = spent / self._done
            want = int((deadline - start) / 50 / per)
            return max(16, min(want, 1 << 16))
        return chunk

    def _round(self, budget: int) -> None:
        k = self._collect(budget)
        if k:
            try:
                priors, values = self.evaluator.evaluate(self.batch.planes[:k])
            except BaseException:
                self._abandon(k)
                raise
            self._apply(k, priors, values)

    def result(self, seconds: float = 0.0, lines: bool = True) -> SearchResult:
        """The root statistics as they stand; `lines` False leaves out the principal
        variations (self-play never reads them, and they cost a walk down the tree)."""
        t = self.tree
        f, k = int(t.first[0]), int(t.nchild[0])
        if t.status[0] != EXPANDED:
            k = 0
        sl = slice(f, f + k)
        stats = self.batch.stats
        return SearchResult.from_sums(
            t.move[sl],
            t.visits[sl],
            t.wsum[sl],
            t.wsq[sl],
            t.prior[sl],
            int(t.visits[0]),
            float(t.wsum[0]),
            simulations=self._done,
            seconds=seconds,
            pv=principal_variation(t) if lines else [],
            pvs=child_lines(t) if lines else [],
            extra={
                "nodes": self.nodes_used,
                "cache_hits": int(stats[puct.S_CACHE_HITS]),
                "collisions": int(stats[puct.S_COLLISIONS]),
                "tree_full": self._full,
            },
        )


def run_many(
    searches: Sequence[Search],
    states: Sequence[State],
    visits: int | Sequence[int],
    noise: bool | Sequence[bool] = False,
    lines: bool = True,
) -> list[SearchResult]:
    """Search each state with its own Search, all sharing one evaluator: every round collects
    a batch from each tree and makes a single evaluator call for all of them. `visits` and
    `noise` are one value for every search or one per search (self-play's playout-cap
    randomization gives each game its own budget). `lines` as in `Search.result`."""
    if not searches:
        return []
    evaluator = searches[0].evaluator
    if any(s.evaluator is not evaluator for s in searches):
        raise ValueError("run_many needs searches that share one evaluator")
    count = len(searches)
    budgets = [int(visits)] * count if isinstance(visits, int) else [int(v) for v in visits]
    noises = [bool(noise)] * count if isinstance(noise, bool) else [bool(x) for x in noise]
    if len(budgets) != count or len(noises) != count or len(states) != count:
        raise ValueError("run_many needs one state, budget and noise flag per search")
    start = time.perf_counter()
    for s, st, nz in zip(searches, states, noises, strict=True):
        s._start(st, nz)
    active = list(range(count))
    while active:
        counts = [
            searches[i]._collect(min(searches[i].config.batch_size, budgets[i] - searches[i]._done))
            for i in active
        ]
        if sum(counts):
            planes = np.concatenate(
                [searches[i].batch.planes[:k] for i, k in zip(active, counts, strict=True) if k]
            )
            try:
                priors, values = evaluator.evaluate(planes)
            except BaseException:
                for i, k in zip(active, counts, strict=True):
                    searches[i]._abandon(k)
                raise
            at = 0
            for i, k in zip(active, counts, strict=True):
                if k:
                    searches[i]._apply(k, priors[at : at + k], values[at : at + k])
                    at += k
        active = [
            i
            for i, k in zip(active, counts, strict=True)
            if searches[i]._done < budgets[i] and (k or searches[i].tree.status[0] == EXPANDED)
        ]
    elapsed = time.perf_counter() - start
    return [s.result(elapsed, lines) for s in searches]
