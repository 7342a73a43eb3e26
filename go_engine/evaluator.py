"""The evaluator interface between the search and whatever judges positions, and the evaluators
that need no network.

An evaluator has four attributes and one method:

    features        "agz" (17 AlphaGo Zero planes), "extended" (21 planes) or "none"
    network         True if `evaluate` must be called; False means uniform priors and no
                    network value (the search then never leaves compiled code)
    rollout_weight  lambda in AlphaGo's leaf value (1 - lambda) * v + lambda * z, where z is
                    the result (+1 win, -1 loss, 0 jigo, for the player to move) of a fast
                    rollout that the search plays in Numba from the leaf
    rollout_policy  the RolloutPolicy those rollouts follow
    evaluate(planes) -> (priors, values)
                    planes: float32[B, C, N, N] as `go_engine.features` makes them;
                    priors: float32[B, N*N+1] (any non-negative weights over the actions; the
                    search keeps the legal ones and renormalises); values: float32[B] in
                    [-1, 1] for the player to move at each position.

`training` supplies the network evaluators (torch stays out of this package); this module has
the uniform one (tests, and timing of the tree alone), the pure rollout one and AlphaGo's
mixed one that wraps a network evaluator. `SymmetryEvaluator` adds the eight board symmetries
in front of any network evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from go_engine.rollout_policy import RolloutPolicy

FEATURE_SETS = ("none", "agz", "extended")


@runtime_checkable
class Evaluator(Protocol):
    """What the search needs from anything that judges positions."""

    features: str
    network: bool
    rollout_weight: float
    rollout_policy: RolloutPolicy

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Priors float32[B, N*N+1] and values float32[B] for planes float32[B, C, N, N]."""
        ...


def uniform_outputs(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal priors over every action and value 0 for each position in the batch."""
    b, n = planes.shape[0], planes.shape[-1]
    return np.full((b, n * n + 1), 1.0 / (n * n + 1), np.float32), np.zeros(b, np.float32)


@dataclass
class UniformEvaluator:
    """Equal priors and value 0. With features="none" the search runs entirely compiled (the
    cost of the tree alone); with "agz" it also builds planes and calls `evaluate` in Python,
    which times the batching path without a network."""

    features: str = "none"
    network: bool = False
    rollout_weight: float = 0.0
    rollout_policy: RolloutPolicy = field(default_factory=RolloutPolicy)

    def __post_init__(self) -> None:
        if self.features not in FEATURE_SETS:
            raise ValueError(f"features must be one of {FEATURE_SETS}, not {self.features!r}")
        self.network = self.features != "none"

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return uniform_outputs(planes)


@dataclass
class RolloutEvaluator:
    """Equal priors and the result of one fast rollout as the value: plain MCTS under PUCT."""

    rollout_policy: RolloutPolicy = field(default_factory=RolloutPolicy)
    features: str = "none"
    network: bool = False
    rollout_weight: float = 1.0

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return uniform_outputs(planes)


class _Wrapper:
    """Passes the feature set, the network flag, the device, the board size and evaluation
    through to `self.net`."""

    net: Evaluator

    @property
    def features(self) -> str:
        return self.net.features

    @property
    def device(self) -> object:
        # Where the wrapped network runs ("cpu" for one without a device), so a player can
        # size its batches for a GPU whatever wraps the network.
        return getattr(self.net, "device", "cpu")

    @property
    def board_size(self) -> int:
        return self.net.board_size

    @property
    def network(self) -> bool:
        return self.net.network

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.net.evaluate(planes)


class _PassThrough(_Wrapper):
    """A wrapper that keeps `net`'s rollout weight and rollout policy as well."""

    @property
    def rollout_weight(self) -> float:
        return self.net.rollout_weight

    @property
    def rollout_policy(self) -> RolloutPolicy:
        return self.net.rollout_policy


@dataclass
class MixedEvaluator(_Wrapper):
    """AlphaGo's leaf evaluation: priors from `net`, value (1 - lam) * v_net + lam * z_rollout.

    AlphaGo used lam = 0.5."""

    net: Evaluator
    lam: float = 0.5
    rollout_policy: RolloutPolicy = field(default_factory=RolloutPolicy)

    def __post_init__(self) -> None:
        if not 0.0 <= self.lam <= 1.0:
            raise ValueError(f"lambda must lie in [0, 1], not {self.lam}")

    @property
    def rollout_weight(self) -> float:
        return self.lam


@dataclass
class PairEvaluator(_PassThrough):
    """Priors from one network (`net`, AlphaGo's SL policy network) and values from another
    (`value`, its value network), both fed the same planes."""

    net: Evaluator
    value: Evaluator

    def __post_init__(self) -> None:
        if self.net.features != self.value.features:
            raise ValueError(
                f"the policy network reads {self.net.features!r} planes and the value network "
                f"{self.value.features!r}; they must read the same"
            )

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        priors, _ = self.net.evaluate(planes)
        _, values = self.value.evaluate(planes)
        return priors, values


@dataclass
class UniformPriors(_PassThrough):
    """`net`'s values with equal priors over the moves (the search masks illegal ones): a
    network search without its policy, as in AlphaGo's ablation."""

    net: Evaluator

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        priors, values = self.net.evaluate(planes)
        return np.full_like(priors, 1.0 / priors.shape[1]), values


# The eight symmetries of the square as (transpose, flip rows, flip columns).
SYMMETRIES = tuple((t, r, c) for t in (False, True) for r in (False, True) for c in (False, True))


def transform_planes(x: np.ndarray, sym: int) -> np.ndarray:
    """Apply symmetry `sym` (0..7) to the last two axes."""
    t, r, c = SYMMETRIES[sym]
    if t:
        x = np.swapaxes(x, -1, -2)
    if r:
        x = x[..., ::-1, :]
    if c:
        x = x[..., :, ::-1]
    return x


def inverse_transform_planes(x: np.ndarray, sym: int) -> np.ndarray:
    """Undo `transform_planes(x, sym)`."""
    t, r, c = SYMMETRIES[sym]
    if c:
        x = x[..., :, ::-1]
    if r:
        x = x[..., ::-1, :]
    if t:
        x = np.swapaxes(x, -1, -2)
    return x


@dataclass
class SymmetryEvaluator(_PassThrough):
    """Evaluates each position under a random board symmetry ("random", as AlphaGo Zero did in
    its search) or averages all eight ("average", eight times the work); policies are mapped
    back to the original orientation."""

    net: Evaluator
    mode: str = "random"
    seed: int = 0
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("random", "average"):
            raise ValueError(f"mode must be 'random' or 'average', not {self.mode!r}")
        self._rng = np.random.default_rng(self.seed)

    def _run(self, planes: np.ndarray, syms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b, n = planes.shape[0], planes.shape[-1]
        moved = np.empty_like(planes)
        for i in range(b):
            moved[i] = transform_planes(planes[i], int(syms[i]))
        priors, values = self.net.evaluate(moved)
        out = np.empty((b, n * n + 1), np.float32)
        for i in range(b):
            board = priors[i, : n * n].reshape(n, n)
            out[i, : n * n] = inverse_transform_planes(board, int(syms[i])).reshape(-1)
            out[i, n * n] = priors[i, n * n]
        return out, np.asarray(values, np.float32)

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = planes.shape[0]
        if self.mode == "random":
            return self._run(planes, self._rng.integers(0, 8, b))
        # One call of 8 * b positions (all eight symmetries of each), so the network sees one
        # larger batch rather than eight small ones.
        priors, values = self._run(np.repeat(planes, 8, axis=0), np.tile(np.arange(8), b))
        return (
            priors.reshape(b, 8, -1).mean(axis=1, dtype=np.float32),
            values.reshape(b, 8).mean(axis=1, dtype=np.float32),
        )
