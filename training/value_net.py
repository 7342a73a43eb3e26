"""AlphaGo's value network: positions from policy self-play, one per game, and regression on
the games' results (its error beside Monte Carlo rollouts, the paper's Figure 2b, is in
`training.value_rollouts`).

Data (Silver et al. 2016, "Reinforcement learning of value networks"): each game draws a
move number U uniformly from 1..max_u; the SL policy plays moves 1..U-1, move U is a uniformly
random playable move, and the RL policy plays the rest to the end (both sampling from their
policies, never filling their own eyes, as `training.rl_policy` plays). The one position kept
per game is the one after move U, with the result for its player to move, so that positions
are never correlated within a game. Games that end before move U are dropped.

A data shard `data/chunk-NNNN.npz` (written atomically, one per `chunk_games` games, seeded by
its index, so generation resumes chunk by chunk) holds the positions' bit-packed AGZ planes,
their results, and the moves leading to each position (flat int16 actions with offsets), so a
position can be rebuilt as a `Game` for rollouts. Every (1 / val_fraction)-th position is held
out (positions come from independent games, so any fixed split is a split by game).

Training fits a `PolicyValueNet` (the RL network's shape, started from its weights, or from
`init`'s) by the value loss alone (`training.rl_train.RLTrainer` with empty policy targets);
with `head_only` the value head alone learns and the rest keeps `init`'s weights, which turns
the SL policy network into one network with both a policy and a value that mean something;
`checkpoints/value.safetensors` carries the held-out mean squared error in its metrics.
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from go_engine.features import agz_planes_batch
from go_engine.files import atomic_write
from go_engine.game import Game
from go_engine.rules import Rules
from go_engine.samples import Samples, pack_planes
from go_engine.state import BLACK
from training.checkpoint import load_checkpoint, save_checkpoint
from training.nets import PolicyValueNet
from training.rl_policy import load_agz_net, playable, policy_logits, sample_move
from training.rl_train import RLTrainer, TrainConfig
from training.torch_evaluator import select_device


@dataclass
class ValueConfig:
    """Settings of `go-engine train value`."""

    run: str = "runs/value"
    sl: str = ""  # the SL policy network (moves before U)
    rl: str = ""  # the RL policy network (moves after U); its weights start the value net
    board_size: int = 9
    komi: float = 7.5
    games: int = 20_000  # positions (one per game) to generate
    chunk_games: int = 500
    max_u: int = 0  # U is drawn from 1..max_u (0: N*N)
    val_fraction: float = 0.05
    steps: int = 2000
    batch_size: int = 256
    lr: float = 0.01
    # The network the value net starts from (empty: the RL network). With `head_only` only its
    # value head learns: the trunk and the policy head keep the starting weights, so a policy
    # network (the SL one) gains a value head and stays the policy it was, one network for a
    # search to take priors and values from.
    init: str = ""
    head_only: bool = False
    device: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        if not (self.sl and self.rl):
            raise ValueError("give the SL and RL policy networks (--sl, --rl)")
        if self.games < 1 or self.chunk_games < 1 or self.steps < 0:
            raise ValueError("games and chunk_games must be >= 1, steps >= 0")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError("val_fraction must lie in (0, 1)")


@dataclass
class ValuePositions:
    """Positions with their results and the moves that lead to them."""

    board_size: int
    komi: float
    planes: np.ndarray  # uint8[S, packed]
    value: np.ndarray  # float32[S]: result for the player to move
    moves: np.ndarray  # int16[sum of lengths]
    offsets: np.ndarray  # int64[S + 1]

    def __len__(self) -> int:
        return int(self.value.shape[0])

    def game(self, i: int) -> Game:
        """Position i as a Game (the moves replayed from the empty board)."""
        g = Game(self.board_size, Rules(komi=self.komi))
        for a in self.moves[self.offsets[i] : self.offsets[i + 1]]:
            g.play(int(a), g.to_play)
        return g

    def subset(self, keep: np.ndarray) -> ValuePositions:
        """The positions where `keep` (bool[S]) is true, in order."""
        idx = np.flatnonzero(keep)
        lengths = np.diff(self.offsets)[idx]
        moves = [self.moves[self.offsets[i] : self.offsets[i + 1]] for i in idx]
        return ValuePositions(
            self.board_size,
            self.komi,
            self.planes[idx],
            self.value[idx],
            np.concatenate(moves) if moves else np.zeros(0, np.int16),
            np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        )

    def as_samples(self) -> Samples:
        """The positions as training samples with only a value target."""
        s, n2 = len(self), self.board_size**2
        return Samples(
            self.board_size,
            self.planes,
            np.zeros((s, n2 + 1), np.float16),
            self.value.astype(np.int8),
            np.zeros((s, n2), np.int8),
            np.zeros(s, np.float32),
            np.zeros(s, bool),
            np.arange(s, dtype=np.int32),
        )


def write_positions(path: str | os.PathLike, p: ValuePositions) -> None:
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        meta=np.array(json.dumps({"board_size": p.board_size, "komi": p.komi})),
        planes=p.planes,
        value=p.value,
        moves=p.moves,
        offsets=p.offsets,
    )
    atomic_write(path, buf.getvalue())


def read_positions(path: str | os.PathLike) -> ValuePositions:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return ValuePositions(
                int(meta["board_size"]),
                float(meta["komi"]),
                z["planes"],
                z["value"],
                z["moves"],
                z["offsets"],
            )
    except (OSError, ValueError, KeyError, EOFError) as e:
        raise ValueError(f"{path}: not a readable value-position shard ({e})") from e


def concat_positions(parts: list[ValuePositions]) -> ValuePositions:
    lengths = np.concatenate([np.diff(p.offsets) for p in parts])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return ValuePositions(
        parts[0].board_size,
        parts[0].komi,
        np.concatenate([p.planes for p in parts]),
        np.concatenate([p.value for p in parts]),
        np.concatenate([p.moves for p in parts]),
        offsets,
    )


def value_games(
    sl: PolicyValueNet,
    rl: PolicyValueNet,
    games: int,
    board_size: int,
    komi: float,
    max_u: int,
    rng: np.random.Generator,
    device: torch.device,
) -> ValuePositions:
    """Play `games` games as the module docstring says; one position from each that reaches
    its move U."""
    n = board_size
    rules = Rules(komi=komi)
    boards = [Game(n, rules) for _ in range(games)]
    u = rng.integers(1, max_u + 1, games)
    kept: dict[int, tuple[np.ndarray, int, list[int]]] = {}  # game -> planes, colour, moves
    cap = 3 * n * n
    active = list(range(games))
    while active:
        # Which player makes move t+1 (t moves played): SL before U, random at U, RL after.
        groups: dict[str, list[int]] = {"sl": [], "random": [], "rl": []}
        for i in active:
            t = len(boards[i].moves) + 1
            groups["sl" if t < u[i] else "random" if t == u[i] else "rl"].append(i)
        for who, idx in groups.items():
            if not idx:
                continue
            if who != "random":
                x = np.empty((len(idx), 17, n, n), np.float32)
                agz_planes_batch([boards[i].state for i in idx], x)
                logits = policy_logits(sl if who == "sl" else rl, x, device)
            for row, i in enumerate(idx):
                g = boards[i]
                mask = playable(g, g.to_play)
                if who == "random":
                    a = int(rng.choice(np.flatnonzero(mask)))
                else:
                    a = sample_move(logits[row], mask, rng)
                g.play(a, g.to_play)
                if who == "random":
                    planes = np.empty((1, 17, n, n), np.float32)
                    agz_planes_batch([g.state], planes)
                    kept[i] = (planes[0], g.to_play, [m for m, _ in g.moves])
        active = [i for i in active if not boards[i].is_over() and len(boards[i].moves) < cap]
    order = sorted(kept)
    if not order:
        empty = np.zeros(0, np.float32)
        return ValuePositions(n, komi, np.zeros((0, 0), np.uint8), empty, np.zeros(0, np.int16),
                              np.zeros(1, np.int64))  # fmt: skip
    values, planes, moves, lengths = [], [], [], []
    for i in order:
        p, colour, line = kept[i]
        score = boards[i].area_score()
        black_won = 1.0 if score > 0 else -1.0 if score < 0 else 0.0
        values.append(black_won if colour == BLACK else -black_won)
        planes.append(p)
        moves.extend(line)
        lengths.append(len(line))
    return ValuePositions(
        n,
        komi,
        pack_planes(np.stack(planes)),
        np.asarray(values, np.float32),
        np.asarray(moves, np.int16),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
    )


def generate(config: ValueConfig, log=print) -> tuple[ValuePositions, ValuePositions]:
    """Make (or complete) the run's data chunks; (training positions, held-out positions)."""
    from tqdm import tqdm

    run = Path(config.run)
    (run / "data").mkdir(parents=True, exist_ok=True)
    device = select_device(config.device)
    n = config.board_size
    chunks = _chunk_count(config)
    todo = _missing_chunks(run, config)
    if todo:
        sl, rl = load_agz_net(config.sl, n, device), load_agz_net(config.rl, n, device)
        bar = tqdm(total=chunks, initial=chunks - len(todo), desc="positions", unit="chunk")
        for k in todo:
            count = min(config.chunk_games, config.games - k * config.chunk_games)
            rng = np.random.default_rng([config.seed, k])
            part = value_games(sl, rl, count, n, config.komi, config.max_u or n * n, rng, device)
            write_positions(_chunk_path(run, k), part)
            bar.update(1)
        bar.close()
    return _split(run, config)


def _chunk_count(config: ValueConfig) -> int:
    return -(-config.games // config.chunk_games)


def _chunk_path(run: Path, k: int) -> Path:
    return run / "data" / f"chunk-{k:04d}.npz"


def _missing_chunks(run: Path, config: ValueConfig) -> list[int]:
    return [k for k in range(_chunk_count(config)) if not _chunk_path(run, k).exists()]


def _split(run: Path, config: ValueConfig) -> tuple[ValuePositions, ValuePositions]:
    """The run's positions, split as its training splits them (every k-th held out)."""
    parts = [read_positions(_chunk_path(run, k)) for k in range(_chunk_count(config))]
    everything = concat_positions([p for p in parts if len(p)])
    every = max(2, round(1 / config.val_fraction))
    held = np.arange(len(everything)) % every == every - 1
    if held.sum() == 0 or held.all():
        raise ValueError(f"{run}: too few positions for a held-out share; raise --games")
    return everything.subset(~held), everything.subset(held)


def read_value_run(run: str | os.PathLike) -> tuple[ValuePositions, ValuePositions]:
    """(training, held-out) positions of a finished `go-engine train value` run folder, read
    and never generated: the same split its own training used."""
    run = Path(run)
    meta = run / "config.json"
    if not meta.exists():
        raise ValueError(f"{run}: not a value run folder (no config.json)")
    config = ValueConfig(**json.loads(meta.read_text(encoding="utf-8")))
    missing = _missing_chunks(run, config)
    if missing:
        raise ValueError(
            f"{run}: data chunk {missing[0]:04d} is missing ({len(missing)} of "
            f"{_chunk_count(config)}); finish it with `go-engine train value` first"
        )
    return _split(run, config)


@torch.no_grad()
def value_errors(
    net: PolicyValueNet, positions: ValuePositions, device: torch.device
) -> np.ndarray:
    """float64[S]: the squared error of the net's value against each position's result."""
    net.eval()
    samples = positions.as_samples()
    err = np.zeros(len(samples), np.float64)
    for at in range(0, len(samples), 1024):
        rows = np.arange(at, min(len(samples), at + 1024))
        x = torch.from_numpy(samples.unpacked_planes(rows)).to(device)
        v = net(x)[1].float().cpu().numpy()
        err[rows] = (v - positions.value[rows]) ** 2
    return err


def value_mse(net: PolicyValueNet, positions: ValuePositions, device: torch.device) -> float:
    """Mean squared error of the net's value against the results of `positions`."""
    return float(value_errors(net, positions, device).mean()) if len(positions) else 0.0


def train_value(config: ValueConfig, log=print) -> dict[str, Any]:
    """Generate the data, then fit the value net; returns its held-out figures."""
    from tqdm import tqdm

    run = Path(config.run)
    run.mkdir(parents=True, exist_ok=True)
    atomic_write(run / "config.json", json.dumps(asdict(config), indent=1))
    train, held = generate(config, log)
    device = select_device(config.device)
    out = run / "checkpoints" / "value.safetensors"
    if out.exists():
        ck = load_checkpoint(out, device)
        if int(ck.info.get("steps_done", 0)) >= config.steps:
            return dict(ck.metrics)
    net = load_agz_net(config.init or config.rl, config.board_size, device)
    # head_only keeps every module but the value head's (value_conv, value_fc1, value_fc2)
    frozen: tuple[str, ...] = ()
    if config.head_only:
        frozen = tuple(n for n, _ in net.named_children() if not n.startswith("value_"))
    settings = TrainConfig(batch_size=config.batch_size, lr=config.lr)
    trainer = RLTrainer(net, settings, device, frozen=frozen)
    samples = train.as_samples()
    rng = np.random.default_rng(config.seed)
    before = value_mse(net, held, device)
    start = time.perf_counter()
    losses = []
    for _ in tqdm(range(config.steps), desc="value", unit="step", leave=False):
        rows = rng.integers(0, len(samples), min(config.batch_size, len(samples)))
        losses.append(trainer.step(trainer.batch(samples, rows, rng))["value_loss"])
    seconds = time.perf_counter() - start
    metrics = {
        "held_out_mse": value_mse(net, held, device),
        "held_out_mse_before": before,
        "train_mse_last": float(np.mean(losses[-50:])) if losses else float("nan"),
        "train_positions": float(len(train)),
        "held_out_positions": float(len(held)),
        "seconds": seconds,
    }
    out.parent.mkdir(exist_ok=True)
    save_checkpoint(
        out,
        net,
        step=config.steps,
        metrics=metrics,
        info={"steps_done": str(config.steps), "kind": "value network"},
        data={
            "sl": config.sl,
            "rl": config.rl,
            "games": config.games,
            "init": config.init or config.rl,
            "head_only": config.head_only,
        },
    )
    log(f"value network: held-out MSE {metrics['held_out_mse']:.4f} (before {before:.4f})")
    return metrics
