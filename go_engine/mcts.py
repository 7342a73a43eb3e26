"""The pure MCTS engine (UCT with RAVE, light rollouts) as a Python object, root-parallel.

`MCTS(size, config).run(state, visits=, seconds=)` returns a `SearchResult` like the PUCT
search. With `threads = T` it grows T independent trees from the same root in T threads (the
compiled kernel releases the GIL) and adds their root statistics together: root parallelism,
which for rollout search scales about as well as sharing one tree and needs no locks
(Chaslot, Winands and van den Herik, 2008). Trees are kept between moves when the game goes on
from the last root.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from go_engine import rave
from go_engine.board import copy_state
from go_engine.playout import default_max_moves
from go_engine.rng import make_rng
from go_engine.rollout_policy import SIMPLE_MODES, RolloutPolicy
from go_engine.search_result import SearchResult
from go_engine.state import M_N, State
from go_engine.tree import (
    EXPANDED,
    T_USED,
    Tree,
    bytes_per_node,
    child_lines,
    clear,
    keep_subtree,
    moves_between,
    new_tree,
    principal_variation,
)


@dataclass
class MCTSConfig:
    """Settings of the pure MCTS (RAVE) engine."""

    threads: int = 1  # root-parallel trees, one thread each
    max_nodes: int = 1_000_000  # capacity of each tree
    equivalence: float = 1000.0  # RAVE k: visits at which own and AMAF statistics weigh equal
    explore: float = 0.0  # UCT exploration constant on top of RAVE (0: none)
    expand_visits: int = 8  # visits before a node gets children
    prior_visits: float = 10.0  # weight of the heuristic prior, in visits
    prior_capture: float = 0.5  # prior values in [-1, 1] (0 is even)
    prior_escape: float = 0.4
    prior_self_atari: float = -0.5
    prior_pass: float = -0.5
    rollout: str = "light"  # "light" or "random" (see go_engine.rollout_policy)
    rollout_max_moves: int = 0  # 0: 3*N*N + 20
    # A mercy rule: a rollout stops, decided, once one side has captured this share of the
    # board more than the other (0: play every rollout out). Fuego's stops at a stone
    # difference of 30% of the points. At 0.3 light rollouts from the empty 9x9 board are 9.5%
    # shorter and name the winner of the played-out game 99.96% of the time
    # (`go-engine bench rollout --mercy-check`).
    mercy: float = 0.3
    reuse_tree: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ValueError("threads must be at least 1")
        if self.max_nodes < 1000:
            raise ValueError("max_nodes must be at least 1000")
        if not 0.0 <= self.mercy <= 1.0:
            raise ValueError("mercy must be a share of the board between 0 and 1")
        if self.rollout not in SIMPLE_MODES:
            raise ValueError(f"pure MCTS plays light or random rollouts, not {self.rollout!r}")


class _Worker:
    """One tree with its scratch, searched by one thread."""

    def __init__(self, size: int, config: MCTSConfig, seed: int, rollout_moves: int) -> None:
        self.tree: Tree = new_tree(config.max_nodes, rave=True)
        self.spare: Tree = new_tree(config.max_nodes, rave=True)
        self.rng = make_rng(seed)
        self.scratch = rave.new_scratch(size, 2 * size * size + 64, rollout_moves)
        self.work: State | None = None

    def keep(self, actions: list[int] | None) -> None:
        self.tree, self.spare = keep_subtree(self.tree, self.spare, actions)

    def run(
        self,
        root: State,
        cfg: np.ndarray,
        weights: np.ndarray,
        visits: int,
        deadline: float | None,
    ) -> int:
        if self.work is None or self.work.hist.shape[0] != root.hist.shape[0]:
            self.work = copy_state(root)
        done = 0
        chunk = 32
        start = time.perf_counter()
        while done < visits:
            ran = rave.simulate(
                self.tree,
                root,
                self.work,
                cfg,
                weights,
                self.rng,
                *self.scratch,
                min(chunk, visits - done),
            )
            if ran == 0:
                break
            done += ran
            now = time.perf_counter()
            if deadline is not None:
                if now >= deadline:
                    break
                # Aim at ~100 chunks in the remaining time so the deadline is met closely.
                per = (now - start) / done
                chunk = max(16, min(int((deadline - now) / 100 / per) + 1, 1 << 16))
            else:
                chunk = min(chunk * 2, 4096)
        return done


class MCTS:
    """UCT-RAVE search with light rollouts over one or more root-parallel trees."""

    def __init__(self, size: int, config: MCTSConfig | None = None) -> None:
        self.size = int(size)
        self.config = config or MCTSConfig()
        cfg = self.config
        self.rollout_moves = cfg.rollout_max_moves or default_max_moves(self.size)
        self.policy = RolloutPolicy(cfg.rollout)
        self.workers = [
            _Worker(self.size, cfg, cfg.seed * 7919 + t, self.rollout_moves)
            for t in range(cfg.threads)
        ]
        self.cfg_vec = self._cfg_vector()
        self._root: State | None = None
        self._warm = False
        self._pool = ThreadPoolExecutor(cfg.threads) if cfg.threads > 1 else None

    def _cfg_vector(self) -> np.ndarray:
        c = self.config
        v = np.zeros(rave.R_LEN, np.float64)
        v[rave.R_EQUIV] = c.equivalence
        v[rave.R_EXPLORE] = c.explore
        v[rave.R_EXPAND] = c.expand_visits
        v[rave.R_PRIOR_N] = c.prior_visits
        v[rave.R_ROLLOUT_MODE] = self.policy.code
        v[rave.R_ROLLOUT_MAX] = self.rollout_moves
        v[rave.R_PRIOR_CAPTURE] = c.prior_capture
        v[rave.R_PRIOR_ESCAPE] = c.prior_escape
        v[rave.R_PRIOR_SELF_ATARI] = c.prior_self_atari
        v[rave.R_PRIOR_PASS] = c.prior_pass
        v[rave.R_MERCY] = round(c.mercy * self.size * self.size)
        return v

    @property
    def bytes_per_node(self) -> int:
        return bytes_per_node(self.workers[0].tree)

    @property
    def nodes_used(self) -> int:
        return sum(int(w.tree.meta[T_USED]) for w in self.workers)

    def reset(self) -> None:
        for w in self.workers:
            clear(w.tree)
        self._root = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def run(self, state: State, visits: int | None = None, seconds: float | None = None):
        """Search `state` for `visits` simulations in all (split over the threads) and/or
        `seconds`; returns the merged root statistics as a SearchResult."""
        if visits is None and seconds is None:
            raise ValueError("give a visit budget, a time budget or both")
        if int(state.meta[M_N]) != self.size:
            raise ValueError(f"this search is for {self.size}x{self.size}, not {state.meta[M_N]}")
        if not self._warm:
            # Loading the compiled kernel from Numba's cache takes ~0.5 s on the first call;
            # do it on a throwaway tree before the clock starts.
            w = _Worker(self.size, self.config, 0, self.rollout_moves)
            w.run(state, self.cfg_vec, self.policy.weights, 1, None)
            w.keep([int(w.tree.move[w.tree.first[0]])])  # loads child_of and reroot
            w.keep(None)  # and clear
            self._warm = True
        start = time.perf_counter()
        deadline = None if seconds is None else start + seconds
        actions = None
        if self.config.reuse_tree and self._root is not None:
            actions = moves_between(self._root, state)
        for w in self.workers:
            w.keep(actions)
        self._root = copy_state(state)
        total = visits if visits is not None else 1 << 40
        t = len(self.workers)
        shares = [total // t + (1 if i < total % t else 0) for i in range(t)]
        if self._pool is None:
            done = [
                self.workers[0].run(self._root, self.cfg_vec, self.policy.weights, total, deadline)
            ]
        else:
            roots = [copy_state(state) for _ in range(t)]
            futures = [
                self._pool.submit(w.run, r, self.cfg_vec, self.policy.weights, s, deadline)
                for w, r, s in zip(self.workers, roots, shares, strict=True)
            ]
            done = [f.result() for f in futures]
        return self.result(time.perf_counter() - start, sum(done))

    def result(self, seconds: float = 0.0, simulations: int = 0) -> SearchResult:
        """The root statistics of all trees added together by action."""
        a_count = self.size * self.size + 1
        n = np.zeros(a_count, np.int64)
        w = np.zeros(a_count)
        sq = np.zeros(a_count)
        prior = np.zeros(a_count)
        present = np.zeros(a_count, bool)
        root_n = 0
        root_w = 0.0
        for wk in self.workers:
            t = wk.tree
            root_n += int(t.visits[0])
            root_w += float(t.wsum[0])
            if t.status[0] != EXPANDED:
                continue
            f, k = int(t.first[0]), int(t.nchild[0])
            acts = t.move[f : f + k].astype(np.int64)
            present[acts] = True
            n[acts] += t.visits[f : f + k]
            w[acts] += t.wsum[f : f + k]
            sq[acts] += t.wsq[f : f + k]
            prior[acts] = t.prior[f : f + k]
        acts = np.flatnonzero(present)
        # The heuristic prior values (-1 .. 1, 0 even) as a distribution, for reports.
        weight = 1.0 + prior[acts]
        prior[acts] = weight / max(weight.sum(), 1e-9)
        best = self.workers[int(np.argmax([wk.tree.visits[0] for wk in self.workers]))]
        return SearchResult.from_sums(
            acts,
            n[acts],
            w[acts],
            sq[acts],
            prior[acts],
            root_n,
            root_w,
            simulations=simulations,
            seconds=seconds,
            pv=principal_variation(best.tree),
            pvs=_lines_by_action(best.tree, acts),
            extra={"nodes": self.nodes_used, "threads": len(self.workers)},
        )


def _lines_by_action(tree: Tree, actions: np.ndarray) -> list[list[int]]:
    """Each action's line from one tree, in the order of `actions` (just the move where that
    tree has no such child)."""
    lines = {line[0]: line for line in child_lines(tree)}
    return [lines.get(int(a), [int(a)]) for a in actions]
