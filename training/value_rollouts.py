"""The value network beside Monte Carlo rollouts (AlphaGo's Figure 2b).

Each held-out position of a `train value` run is estimated by the mean result of k rollouts
played by one of five policies: uniform random, light (MoGo-style 3x3 shapes), AlphaGo's
trained fast rollout policy (`weights`), and the SL and RL policy networks sampling their
moves (never filling their own eyes, as the value data's games are played). Every estimator
plays the largest k once per position; the estimate at a smaller k is the mean of its first k
rollouts, so one set of rollouts gives the whole curve. Errors are mean squared errors against
the positions' results (+-1 for the player to move), overall and by the position's move
number, as the paper plots them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from go_engine.features import agz_planes_batch
from go_engine.rollout_outcomes import rollout_outcomes
from go_engine.rollout_policy import RolloutPolicy
from go_engine.state import BLACK
from training.nets import PolicyValueNet
from training.rl_policy import playable, policy_logits, sample_move
from training.value_net import ValuePositions


@dataclass
class RolloutEstimates:
    """Rollout results of one estimator: int8[P, K] for the player to move of each position."""

    name: str
    results: np.ndarray

    def mse(self, values: np.ndarray, k: int, rows: np.ndarray | None = None) -> float:
        """Mean squared error of the first-k-rollout means against `values` (over `rows`)."""
        est = self.results[:, :k].astype(np.float64).mean(axis=1)
        err = (est - values) ** 2
        return float(err[rows].mean() if rows is not None else err.mean())


def move_numbers(positions: ValuePositions) -> np.ndarray:
    """int[P]: the number of moves played before each position."""
    return np.diff(positions.offsets).astype(np.int64)


def numba_estimates(
    positions: ValuePositions, rollouts: int, policy: RolloutPolicy, seed: int = 0
) -> np.ndarray:
    """int8[P, rollouts]: results of the Numba rollout policy, for each position's mover."""
    out = np.zeros((len(positions), rollouts), np.int8)
    for i in range(len(positions)):
        g = positions.game(i)
        last = g.moves[-1][0] if g.moves else -1
        black = rollout_outcomes(g.state, rollouts, policy, seed + 7919 * i, last)
        out[i] = black if g.to_play == BLACK else -black
    return out


def network_estimates(
    positions: ValuePositions,
    rollouts: int,
    net: PolicyValueNet,
    device: torch.device,
    seed: int = 0,
    games_at_once: int = 1024,
    progress: bool = False,
) -> np.ndarray:
    """int8[P, rollouts]: results of games played out by a policy network sampling its moves,
    `games_at_once` games advancing together so that one network call serves them all."""
    n = positions.board_size
    out = np.zeros((len(positions), rollouts), np.int8)
    jobs = [(i, r) for i in range(len(positions)) for r in range(rollouts)]
    cap = 3 * n * n
    net.eval()
    starts = range(0, len(jobs), games_at_once)
    for start in tqdm(
        starts, desc="policy rollouts", unit="batch", disable=not progress, leave=False
    ):
        chunk = jobs[start : start + games_at_once]
        rng = np.random.default_rng([seed, start])
        roots = {i: positions.game(i) for i in {i for i, _ in chunk}}
        games = [roots[i].copy() for i, _ in chunk]
        movers = [roots[i].to_play for i, _ in chunk]
        active = [j for j, g in enumerate(games) if not g.is_over()]
        while active:
            planes = np.empty((len(active), 17, n, n), np.float32)
            agz_planes_batch([games[j].state for j in active], planes)
            logits = policy_logits(net, planes, device)
            for row, j in enumerate(active):
                g = games[j]
                g.play(sample_move(logits[row], playable(g, g.to_play), rng), g.to_play)
            active = [j for j in active if not games[j].is_over() and len(games[j].moves) < cap]
        for (i, r), g, mover in zip(chunk, games, movers, strict=True):
            score = g.area_score()
            black = 1 if score > 0 else -1 if score < 0 else 0
            out[i, r] = black if mover == BLACK else -black
    return out


def move_bins(moves: np.ndarray, board_size: int, bins: int = 4) -> list[tuple[int, int]]:
    """`bins` ranges of move numbers [lo, hi] of equal width up to N*N (the last one open)."""
    top = board_size * board_size
    edges = np.linspace(0, top, bins + 1).round().astype(int)
    ranges = [(int(edges[b]), int(edges[b + 1]) - 1) for b in range(bins)]
    ranges[-1] = (ranges[-1][0], max(int(moves.max(initial=0)), ranges[-1][1]))
    return ranges
