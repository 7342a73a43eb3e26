"""Supervised learning of a policy/value network from expert games (AlphaGo's SL stage).

A run lives in one folder:

    RUN/shards/train-*.npz, val-*.npz   game records (`game_records`), split by game
    RUN/shards/manifest.json            sources, counts, skipped games by reason
    RUN/checkpoints/latest.ckpt         the newest checkpoint (weights, optimizer, cursor)
    RUN/checkpoints/step-NNNNNNN.ckpt   kept every `keep_every` steps
    RUN/metrics.csv                     one row per evaluation
    RUN/tensorboard/                    the same figures for TensorBoard (when installed)
    RUN/plots/loss.png, accuracy.png    redrawn at every evaluation (when matplotlib is)
    RUN/config.json                     the SLConfig of the run

`train_sl(config)` builds the shards when the folder has none, then trains from the latest
checkpoint if there is one: a killed run started again with the same command continues from its
last checkpoint, with the same data order. Loss: cross-entropy on the expert move plus
`value_weight` times the squared error of the value against the game's result (AlphaGo found
that value regression on whole expert games overfits; a small weight keeps it an auxiliary
target here). SGD with Nesterov momentum, linear warm-up then cosine decay over `steps`.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional
from tqdm import tqdm

from go_engine.files import atomic_write
from training.checkpoint import load_checkpoint, save_checkpoint
from training.game_records import ReadReport, iter_games, shard_paths, write_shards
from training.nets import FEATURE_PLANES, NetConfig, PolicyValueNet, count_parameters
from training.sl_data import (
    Cursor,
    DevicePositions,
    PositionStream,
    features,
    symmetry_tables,
    transform,
    validation_set,
)
from training.split import default_fraction, is_validation
from training.torch_evaluator import select_device

CHECKPOINT_NAME = "latest.ckpt"


@dataclass
class SLConfig:
    """Everything a supervised run needs; saved as RUN/config.json."""

    run: str = "runs/sl"
    data: list[str] = field(default_factory=list)
    board_size: int = 19
    val_fraction: float = -1.0  # < 0: training.split.default_fraction(board_size)
    games_per_shard: int = 1000
    arch: str = "resnet"
    features: str = "agz"  # input planes: "agz" (17, AlphaGo Zero) or "extended" (21)
    blocks: int = 6
    channels: int = 64
    steps: int = 10_000
    minutes: float = 0.0  # > 0: also stop after this much training time (the schedule follows)
    batch_size: int = 256
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup: float = 0.02  # share of the steps with a linear warm-up
    value_weight: float = 0.25
    eval_every: int = 500
    checkpoint_every: int = 500
    keep_every: int = 0  # also keep a numbered copy every so many steps (0: never)
    val_positions: int = 20_000
    shards_per_group: int = 4
    device: str = "auto"
    amp: bool = True  # bfloat16 autocast on CUDA
    seed: int = 0
    init: str = ""  # start a new run from these weights (same network shape)

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError("steps and batch_size must be positive")
        if not 0 <= self.value_weight:
            raise ValueError("value_weight must be >= 0")
        if self.val_fraction >= 1.0:
            raise ValueError("val_fraction must be below 1")
        if self.features not in FEATURE_PLANES:
            raise ValueError(f"features must be one of {sorted(FEATURE_PLANES)}")

    @property
    def fraction(self) -> float:
        return self.val_fraction if self.val_fraction >= 0 else default_fraction(self.board_size)

    def net_config(self) -> NetConfig:
        return NetConfig(
            board_size=self.board_size,
            in_planes=FEATURE_PLANES[self.features],
            blocks=self.blocks,
            channels=self.channels,
            arch=self.arch,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SLConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def prepare_shards(config: SLConfig, log=print) -> dict:
    """Build RUN/shards from config.data unless a finished manifest is already there."""
    folder = Path(config.run) / "shards"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        return json.loads(manifest.read_text())
    if not config.data:
        raise ValueError(f"{folder}: no shards yet and no --data to build them from")
    report = ReadReport()
    fraction = config.fraction
    log(f"reading games from {', '.join(config.data)} (validation share {fraction:.0%})")
    t0 = time.perf_counter()
    games = tqdm(
        iter_games(config.data, config.board_size, report), desc="games", unit=" games", delay=1
    )
    counts = write_shards(
        games,
        config.board_size,
        folder,
        lambda name: is_validation(name, fraction),
        config.games_per_shard,
    )
    doc = {
        "sources": [os.fspath(s) for s in config.data],
        "board_size": config.board_size,
        "val_fraction": fraction,
        "games": counts,
        "report": report.as_dict(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    atomic_write(manifest, json.dumps(doc, indent=2).encode())
    log(f"shards: {counts['train']} training and {counts['val']} validation games; {doc['report']}")
    return doc


def progress(config: SLConfig, step: int, seconds: float) -> float:
    """How far the run is, 0 to 1: steps done, or training time spent when `minutes` is set
    and that is further along (so a time-boxed run still ends its schedule)."""
    done = step / config.steps
    if config.minutes > 0:
        done = max(done, seconds / (60.0 * config.minutes))
    return min(1.0, done)


def lr_at(config: SLConfig, done: float) -> float:
    """Linear warm-up over the first `warmup` share of the run, then cosine decay to 0."""
    if done < config.warmup:
        return config.lr * max(done, 1e-3) / config.warmup
    t = (done - config.warmup) / max(1e-9, 1.0 - config.warmup)
    return config.lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))


@torch.no_grad()
def evaluate_positions(
    net: torch.nn.Module,
    parts: list[DevicePositions],
    batch_size: int = 512,
    symmetries: int = 1,
    channels_last: bool = False,
) -> dict[str, float]:
    """Policy loss, top-1 / top-5 accuracy and value MSE over positions (all, or each part's
    `subset`). `symmetries=8` evaluates every position under the eight board symmetries and
    averages the move probabilities (mapped back to the position's orientation) and the
    values: eight times the work for a steadier policy; 1 evaluates it once as it stands.
    `channels_last` passes the planes in that memory format (for a net converted to it)."""
    if symmetries not in (1, 8):
        raise ValueError(f"symmetries must be 1 or 8, not {symmetries}")
    was_training = net.training
    net.eval()
    n = loss = top1 = top5 = 0.0
    vse = vn = 0.0
    tables = None
    for part in parts:
        idx_all = getattr(part, "subset", None)
        if idx_all is None:
            idx_all = torch.arange(len(part), device=part.actions.device)
        if symmetries > 1 and tables is None:
            tables = symmetry_tables(part.n, part.actions.device)
        for s in range(0, idx_all.shape[0], batch_size):
            idx = idx_all[s : s + batch_size]
            x = features(part, idx)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            if tables is None:
                logits, value = net(x)
                logp = functional.log_softmax(logits.float(), dim=1)
                value = value.float()
            else:
                prob = value = 0.0
                for sym in range(symmetries):
                    out, v = net(transform(x, sym))
                    # new_of_old: the column of each original action in the turned output
                    prob = prob + functional.softmax(out.float(), dim=1)[:, tables[0, sym]]
                    value = value + v.float()
                logp = (prob / symmetries).clamp_min(1e-12).log()
                value = value / symmetries
            target = part.actions[idx]
            loss += float(functional.nll_loss(logp, target, reduction="sum"))
            best = logp.topk(5, dim=1).indices
            top1 += float((best[:, 0] == target).sum())
            top5 += float((best == target[:, None]).any(dim=1).sum())
            mask = part.value_mask[idx]
            vse += float((((value - part.value[idx]) ** 2) * mask).sum())
            vn += float(mask.sum())
            n += idx.shape[0]
    net.train(was_training)
    n = max(n, 1.0)
    return {
        "positions": n,
        "policy_loss": loss / n,
        "top1": top1 / n,
        "top5": top5 / n,
        "value_mse": vse / max(vn, 1.0),
    }


class _Logs:
    """metrics.csv, TensorBoard and plots of one run."""

    def __init__(self, run: Path) -> None:
        self.run = run
        self.csv = run / "metrics.csv"
        self.rows: list[dict[str, float]] = []
        if self.csv.is_file():
            with open(self.csv) as f:
                self.rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]
        self.tb = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(run / "tensorboard"))
        except ImportError:
            pass

    def add(self, row: dict[str, float]) -> None:
        self.rows = [r for r in self.rows if r["step"] < row["step"]] + [row]
        keys = list(row)
        lines = [",".join(keys)] + [",".join(f"{r.get(k, '')}" for k in keys) for r in self.rows]
        atomic_write(self.csv, ("\n".join(lines) + "\n").encode())
        if self.tb is not None:
            for k, v in row.items():
                if k != "step":
                    self.tb.add_scalar(k, v, int(row["step"]))
            self.tb.flush()
        self.plot()

    def plot(self) -> None:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return
        (self.run / "plots").mkdir(exist_ok=True)
        steps = [r["step"] for r in self.rows]
        for name, keys in (
            ("loss", ("train_policy_loss", "val_policy_loss", "val_value_mse")),
            ("accuracy", ("train_top1", "val_top1", "val_top5")),
        ):
            fig, ax = plt.subplots(figsize=(6, 4))
            for k in keys:
                ys = [r.get(k, float("nan")) for r in self.rows]
                ax.plot(steps, ys, label=k)
            ax.set_xlabel("step")
            ax.legend()
            ax.grid(alpha=0.3)
            fig.tight_layout()
            fig.savefig(self.run / "plots" / f"{name}.png", dpi=80)
            plt.close(fig)


def train_sl(config: SLConfig, log=print, on_step=None) -> dict[str, float]:
    """Run (or continue) the supervised run described by `config`; returns the last
    validation figures. `on_step(step)` is called after every step (after its checkpoint)."""
    run = Path(config.run)
    run.mkdir(parents=True, exist_ok=True)
    manifest = prepare_shards(config, log)
    atomic_write(run / "config.json", config.to_json().encode())
    folder = run / "shards"
    train_shards = shard_paths(folder, "train")
    val_shards = shard_paths(folder, "val")
    device = select_device(config.device)
    torch.manual_seed(config.seed)

    ckpt_dir = run / "checkpoints"
    latest = ckpt_dir / CHECKPOINT_NAME
    cursor = Cursor()
    step = 0
    samples = 0
    elapsed = 0.0
    if latest.is_file():
        ck = load_checkpoint(latest, device)
        if ck.net.config != config.net_config():
            raise ValueError(
                f"{latest}: the run's network {ck.net.config} differs from the requested "
                f"{config.net_config()}; use another --run folder"
            )
        net = ck.net
        step = ck.step
        state = json.loads(ck.info.get("sl_state", "{}"))
        cursor = Cursor(**state.get("cursor", {}))
        samples = int(state.get("samples", 0))
        elapsed = float(state.get("seconds", 0.0))
        log(f"resuming {latest} at step {step}")
    else:
        net = PolicyValueNet(config.net_config()).to(device)
        ck = None
        if config.init:
            start = load_checkpoint(config.init, device)
            if start.net.config != config.net_config():
                raise ValueError(f"{config.init}: network {start.net.config} is not the run's")
            net.load_state_dict(start.net.state_dict())
            log(f"starting from the weights of {config.init} (step {start.step})")
    net.train()
    opt = torch.optim.SGD(
        net.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=True,
        weight_decay=config.weight_decay,
    )
    if ck is not None and ck.optimizer is not None:
        opt.load_state_dict(ck.optimizer)
    log(
        f"{config.arch} {config.blocks}x{config.channels} ({count_parameters(net):,} parameters) "
        f"on {device}; {len(train_shards)} training shards"
    )

    stream = PositionStream(
        train_shards,
        config.batch_size,
        device,
        seed=config.seed,
        shards_per_group=config.shards_per_group,
        cursor=cursor,
        feature_set=config.features,
    )
    val = (
        validation_set(val_shards, device, config.val_positions, config.features)
        if val_shards
        else []
    )
    logs = _Logs(run)
    use_amp = config.amp and device.type == "cuda"

    def save(figures: dict[str, float]) -> None:
        state = {"cursor": stream.cursor.as_dict(), "samples": samples, "seconds": elapsed}
        info = {
            "sl_state": json.dumps(state),
            "command": "go-engine train sl",
            "config": json.dumps(asdict(config)),
            "data": json.dumps(manifest.get("sources", [])),
            "games": json.dumps(manifest.get("games", {})),
        }
        save_checkpoint(latest, net, step=step, metrics=figures, info=info, optimizer=opt)
        if config.keep_every and step % config.keep_every == 0:
            save_checkpoint(ckpt_dir / f"step-{step:07d}.ckpt", net, step=step, metrics=figures)

    ckpt_dir.mkdir(exist_ok=True)
    figures: dict[str, float] = {}
    run_loss = run_acc = run_n = 0.0
    t_last = time.perf_counter()
    bar = tqdm(total=config.steps, initial=step, desc="train sl", unit="step", delay=1)
    lr = config.lr
    batches = iter(stream)
    while progress(config, step, elapsed) < 1.0:
        batch = next(batches)
        lr = lr_at(config, progress(config, step, elapsed))
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
            logits, value = net(batch.planes)
        logits = logits.float()
        value = value.float()
        p_loss = functional.cross_entropy(logits, batch.policy)
        mask = batch.value_mask
        v_loss = (((value - batch.value) ** 2) * mask).sum() / mask.sum().clamp(min=1.0)
        loss = p_loss + config.value_weight * v_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        samples += batch.policy.shape[0]
        bar.update(1)
        # Accumulated on the device: no synchronisation per step.
        run_loss = run_loss + p_loss.detach()
        run_acc = run_acc + (logits.argmax(1) == batch.policy).float().mean()
        run_n += 1
        now = time.perf_counter()
        elapsed += now - t_last
        t_last = now
        last = progress(config, step, elapsed) >= 1.0
        if step % config.eval_every == 0 or last:
            figures = (
                {f"val_{k}": v for k, v in evaluate_positions(net, val).items()} if val else {}
            )
            row = {
                "step": float(step),
                "samples": float(samples),
                "seconds": round(elapsed, 1),
                "lr": lr,
                "train_policy_loss": float(run_loss) / max(run_n, 1),
                "train_top1": float(run_acc) / max(run_n, 1),
                **figures,
            }
            run_loss = run_acc = run_n = 0.0
            logs.add(row)
            bar.write(
                f"step {step}: train top-1 {row['train_top1']:.3f}"
                + (
                    f", val top-1 {figures['val_top1']:.3f} top-5 {figures['val_top5']:.3f} "
                    f"value MSE {figures['val_value_mse']:.3f}"
                    if figures
                    else ""
                )
            )
            t_last = time.perf_counter()
        if step % config.checkpoint_every == 0 or last:
            save(figures)
            t_last = time.perf_counter()
        if on_step is not None:
            on_step(step)
    bar.close()
    return figures
