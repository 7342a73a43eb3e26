"""Configuration of self-play and of the generation loop: one dataclass per component, read
from a run's TOML file.

A RUN.toml has one table per component, each optional:

    [selfplay]   SelfPlayConfig: board, komi, search budgets, playout-cap randomization,
                 noise, temperature, resignation, games played together per worker
    [train]      TrainConfig (training.rl_train): batch size, learning rate, loss weights,
                 samples trained per new sample, replay window
    [loop]       LoopConfig: generations, games per generation, evaluation and gating,
                 GNU Go checks, workers, backend, device, the starting network

Unknown keys are an error that names the table and the key, so a typo never silently falls
back to a default.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from training.onnx_int8 import PRECISIONS
from training.rl_train import TrainConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass
class SelfPlayConfig:
    """How self-play games are played (AlphaGo Zero with KataGo's playout-cap randomization)."""

    board_size: int = 9
    komi: float = 7.5
    full_visits: int = 160  # a full search: its visit distribution becomes a training target
    cheap_visits: int = 32  # a cheap search: plays the move, is not trained on
    full_fraction: float = 0.25  # share of moves given a full search
    noise: bool = True  # Dirichlet noise at the root of full searches
    temperature_moves: int = 8  # moves sampled in proportion to visits (then the best)
    resign_threshold: float = -0.9  # starting threshold; the loop recalibrates it
    no_resign_fraction: float = 0.1  # games played out to calibrate the threshold
    resign_min_move: int = 10
    max_moves: int = 0  # a game stops here and is scored as it stands (0: 2*N*N)
    rollout_weight: float = 0.0  # lambda: leaf value (1 - lambda) * v + lambda * rollout result
    rollout: str = "light"  # the rollouts' policy when rollout_weight > 0: light, random or
    # weights (AlphaGo's trained fast rollout policy, the shipped weights)
    # Network arithmetic on the CPU: "float32", or "int8" (ONNX Runtime's quantized copy,
    # `training.onnx_int8`; about 1.6x the simulations a second of a 9x9 search)
    precision: str = "float32"
    parallel_games: int = 32  # games one worker advances together (one network call)
    batch_size: int = 8  # leaves per game per round
    max_nodes: int = 0  # tree capacity per game (0: room for two full searches)

    def __post_init__(self) -> None:
        if not 2 <= self.board_size <= 25:
            raise ValueError(f"board_size must lie in 2..25, not {self.board_size}")
        if self.full_visits < 1 or self.cheap_visits < 1:
            raise ValueError("full_visits and cheap_visits must be at least 1")
        if not 0.0 < self.full_fraction <= 1.0:
            raise ValueError(f"full_fraction must lie in (0, 1], not {self.full_fraction}")
        if not 0.0 <= self.no_resign_fraction <= 1.0:
            raise ValueError("no_resign_fraction must lie in [0, 1]")
        if self.parallel_games < 1:
            raise ValueError("parallel_games must be at least 1")
        if not 0.0 <= self.rollout_weight <= 1.0:
            raise ValueError(f"rollout_weight must lie in [0, 1], not {self.rollout_weight}")
        if self.rollout not in ("light", "random", "weights"):
            raise ValueError(
                f"rollout must be 'light', 'random' or 'weights', not {self.rollout!r}"
            )
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}"
            )

    @property
    def move_cap(self) -> int:
        return self.max_moves or 2 * self.board_size * self.board_size

    @property
    def tree_nodes(self) -> int:
        """Tree capacity per game: `max_nodes`, or room for two full searches (each expansion
        allocates a block of up to N*N+1 children), which bounds a worker's memory."""
        n2 = self.board_size * self.board_size + 1
        return max(1000, self.max_nodes or 2 * (self.full_visits + 1) * n2)


def leaf_evaluator(network: Any, config: SelfPlayConfig) -> Any:
    """The evaluator self-play and evaluation games search with: the network, mixed with
    rollouts (AlphaGo's leaf value) when `config.rollout_weight` > 0. Rollouts give a weak
    network's search a value that means something from the first generation on."""
    if config.rollout_weight <= 0.0:
        return network
    from go_engine.evaluator import MixedEvaluator
    from go_engine.rollout_policy import RolloutPolicy

    return MixedEvaluator(network, config.rollout_weight, RolloutPolicy.named(config.rollout))


@dataclass
class LoopConfig:
    """The generation loop: self-play, train, evaluate, promote."""

    generations: int = 10  # stop after this many (the run can be continued with a larger one)
    games_per_generation: int = 200
    init: str = ""  # starting network (e.g. the shipped sl9); empty: a fresh net
    blocks: int = 4  # shape of a fresh net (ignored with init)
    channels: int = 48
    ownership_head: bool = True
    score_head: bool = True
    eval_games: int = 40  # candidate against the best (0: no evaluation, always promote)
    eval_visits: int = 64
    eval_temperature_moves: int = 4  # opening moves sampled, so evaluation games differ
    gating: bool = False  # promote only a candidate that wins gate_threshold of the games
    gate_threshold: float = 0.55
    gnugo_every: int = 0  # every k generations play GNU Go (0: never)
    gnugo_levels: list[int] = field(default_factory=lambda: [1, 10])
    gnugo_games: int = 20
    gnugo_seconds: float = 1.0  # our search time per move against GNU Go
    workers: int = 0  # self-play worker processes (0: one per core)
    backend: str = "local"  # "local" processes or "ray" actors
    address: str = ""  # Ray cluster address ("auto", "ray://host:10001"); empty: local Ray
    device: str = "auto"  # training and (on CUDA) self-play device
    seed: int = 0

    def __post_init__(self) -> None:
        if self.generations < 0 or self.games_per_generation < 1:
            raise ValueError("generations must be >= 0 and games_per_generation >= 1")
        if self.backend not in ("local", "ray"):
            raise ValueError(f"backend must be 'local' or 'ray', not {self.backend!r}")
        if self.workers < 0:
            raise ValueError("workers must be >= 0")
        if self.eval_games < 0 or self.gnugo_games < 1:
            raise ValueError("eval_games must be >= 0 and gnugo_games >= 1")

    @property
    def worker_count(self) -> int:
        """`workers`, or one per core this process may use."""
        from training.network_evaluator import usable_cores

        return self.workers or usable_cores()


@dataclass
class RunConfig:
    """Everything a run needs; `run.toml` in the run folder holds it."""

    selfplay: SelfPlayConfig = field(default_factory=SelfPlayConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    loop: LoopConfig = field(default_factory=LoopConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "selfplay": asdict(self.selfplay),
            "train": asdict(self.train),
            "loop": asdict(self.loop),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> RunConfig:
        tables = {"selfplay": SelfPlayConfig, "train": TrainConfig, "loop": LoopConfig}
        unknown = sorted(set(data) - set(tables))
        if unknown:
            raise ValueError(f"{source}: unknown table(s) {unknown}; known: {sorted(tables)}")
        made = {}
        for name, kind in tables.items():
            table = data.get(name, {})
            if not isinstance(table, dict):
                raise ValueError(f"{source}: [{name}] must be a table")
            names = {f.name for f in fields(kind)}
            bad = sorted(set(table) - names)
            if bad:
                raise ValueError(f"{source}: unknown key(s) in [{name}]: {bad}")
            try:
                made[name] = kind(**table)
            except (TypeError, ValueError) as e:
                raise ValueError(f"{source}: [{name}]: {e}") from e
        return cls(**made)


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """The tables of a TOML file; errors name the file."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: not valid TOML ({e})") from e


def load_config(path: str | os.PathLike) -> RunConfig:
    """Read a RUN.toml; errors name the file."""
    return RunConfig.from_dict(read_toml(path), str(path))


def to_toml(config: RunConfig) -> str:
    """The TOML text of `config` (the run folder's copy)."""
    lines: list[str] = []
    for name, table in config.to_dict().items():
        lines.append(f"[{name}]")
        for key, value in table.items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
