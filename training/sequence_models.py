"""What the two sequence baselines share: the move vocabulary, padded batches, the training
budget, top-k counting, the data they read, and one training run (`train_run`: split, model,
resume, fit; `finish_run`: final checkpoint, result record, loss plot).

Both models (`training.lstm_moves`, an LSTM that predicts the next move, and
`training.seq2seq_moves`, an encoder-decoder that writes the next k moves) read a game the way a
character-level language model reads text: one token per move, no board. The vocabulary of an
N x N board is

    0 .. N*N-1   the points (action layout, row-major from the top-left corner)
    N*N          pass
    N*N + 1      start of game (the first input of every sequence; never a target)

so a model's output layer has N*N + 1 classes (the moves) and its input embedding N*N + 2 rows.
Batches are padded on the right; padded targets hold `IGNORE` and are left out of the loss and
of every count. The data comes from `training.baseline_data` (the report's one split); a small
part of the training games (`dev_fraction`) is kept aside to choose the best weights, so the
held-out games are never looked at before the final measurement.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

IGNORE = -100  # target of padded positions (torch's cross-entropy default ignore_index)


def num_moves(board_size: int) -> int:
    """Output classes: every point and pass."""
    return board_size * board_size + 1


def start_token(board_size: int) -> int:
    return board_size * board_size + 1


def vocab_size(board_size: int) -> int:
    """Input tokens: the moves and the start token."""
    return board_size * board_size + 2


def pad_games(
    games: Sequence[np.ndarray], board_size: int, max_len: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(inputs, targets, lengths) of a batch of games, each cut to its first `max_len` moves
    (0: whole games). inputs[b] = [start, m0, m1, ...], targets[b] = [m0, m1, ...]: the input at
    step t has read the moves before move t. Padding: start tokens in, IGNORE out."""
    lengths = [len(g) if not max_len else min(len(g), max_len) for g in games]
    width = max(max(lengths, default=0), 1)
    inputs = np.full((len(games), width), start_token(board_size), np.int64)
    targets = np.full((len(games), width), IGNORE, np.int64)
    for b, (g, n) in enumerate(zip(games, lengths, strict=True)):
        targets[b, :n] = g[:n]
        inputs[b, 1:n] = g[: n - 1]
    return torch.from_numpy(inputs), torch.from_numpy(targets), torch.tensor(lengths)


def batches(
    games: Sequence[np.ndarray], batch_size: int, rng: np.random.Generator, pool: int = 16
) -> Iterator[list[np.ndarray]]:
    """Endless batches of games: shuffled, then sorted by length within pools of `pool`
    batches so that a batch pads little, and the batches of a pool shuffled again."""
    if not games:
        raise ValueError("no games to train on")
    while True:
        order = rng.permutation(len(games))
        for start in range(0, len(order), batch_size * pool):
            chunk = sorted(order[start : start + batch_size * pool], key=lambda i: len(games[i]))
            groups = [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
            for j in rng.permutation(len(groups)):
                yield [games[i] for i in groups[j]]


def split_dev(
    games: Sequence[np.ndarray], fraction: float, seed: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(train, dev): a seeded `fraction` of the training games kept aside to pick the best
    weights (at least one game when fraction > 0 and there are two games or more)."""
    games = [g for g in games if len(g)]
    if fraction <= 0 or len(games) < 2:
        return games, []
    n_dev = min(len(games) - 1, max(1, round(fraction * len(games))))
    order = np.random.default_rng(seed).permutation(len(games))
    dev = set(order[:n_dev].tolist())
    return [g for i, g in enumerate(games) if i not in dev], [games[i] for i in sorted(dev)]


def topk_hits(logits: torch.Tensor, targets: torch.Tensor, ks: Sequence[int]) -> dict[int, int]:
    """How many targets (IGNORE left out) are among the `k` highest logits, per k."""
    valid = targets != IGNORE
    logits, targets = logits[valid], targets[valid]
    if not len(targets):
        return {k: 0 for k in ks}
    top = logits.topk(min(max(ks), logits.shape[-1]), dim=-1).indices
    hit = top == targets[:, None]
    return {k: int(hit[:, :k].any(dim=1).sum()) for k in ks}


@dataclass
class Budget:
    """Stop after `steps` optimiser steps or `minutes` of wall time, whichever comes first
    (0: no limit of that kind; at least one must be set)."""

    steps: int = 0
    minutes: float = 0.0

    def __post_init__(self) -> None:
        if self.steps < 0 or self.minutes < 0:
            raise ValueError("steps and minutes must not be negative")
        if not self.steps and not self.minutes:
            raise ValueError("give a training budget: --steps or --minutes")
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def done(self, step: int) -> bool:
        if self.steps and step >= self.steps:
            return True
        return bool(self.minutes) and self.elapsed() >= 60.0 * self.minutes

    def fraction(self, step: int) -> float:
        """Share of the budget used (the larger of the two), for the learning-rate schedule."""
        parts = []
        if self.steps:
            parts.append(step / self.steps)
        if self.minutes:
            parts.append(self.elapsed() / (60.0 * self.minutes))
        return min(1.0, max(parts))


def cosine_lr(base: float, done: float, warmup: float = 0.02) -> float:
    """A short linear warm-up, then cosine decay to a tenth of `base`."""
    if done < warmup:
        return float(base * max(done / warmup, 0.05))
    x = (done - warmup) / max(1.0 - warmup, 1e-9)
    return float(base * (0.1 + 0.9 * 0.5 * (1.0 + np.cos(np.pi * min(x, 1.0)))))


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def default_name(family: str, board_size: int) -> str:
    """The result record's name, e.g. "lstm-9"."""
    return f"{family}-{board_size}"


@dataclass
class FitConfig:
    """The training loop shared by the sequence models."""

    batch: int = 32  # games per step
    lr: float = 2e-3  # Adam's peak learning rate (cosine decay over the budget)
    weight_decay: float = 0.0
    steps: int = 0  # 0: no step limit
    minutes: float = 5.0  # 0: no time limit
    max_len: int = 0  # training games are cut to their first max_len moves (0: whole games)
    dev_fraction: float = 0.05  # training games kept aside to choose the best weights
    eval_every: int = 50  # steps between two checks on the dev games
    checkpoint_minutes: float = 2.0  # how often a long run saves its best weights so far
    clip: float = 1.0  # gradient-norm clipping (0: none)
    seed: int = 0


# loss_fn(model, games) -> (mean loss over the batch's targets, number of targets)
LossFn = Callable[[torch.nn.Module, list[np.ndarray]], tuple[torch.Tensor, int]]


@dataclass
class FitResult:
    steps: int  # optimiser steps done in all (earlier runs of a resumed model included)
    seconds: float  # wall time of this run's training
    best_dev_loss: float  # NaN without dev games
    history: list[dict[str, float]] = field(default_factory=list)


def dev_loss(
    model: torch.nn.Module, loss_fn: LossFn, games: Sequence[np.ndarray], batch: int
) -> float:
    """Mean loss per target over `games` (no gradients; dropout off)."""
    if not games:
        return float("nan")
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(games)), key=lambda i: len(games[i]))
    with torch.no_grad():
        for i in range(0, len(order), batch):
            loss, n = loss_fn(model, [games[j] for j in order[i : i + batch]])
            total += float(loss) * n
            count += n
    model.train(was_training)
    return total / max(count, 1)


def fit(
    model: torch.nn.Module,
    loss_fn: LossFn,
    train: Sequence[np.ndarray],
    dev: Sequence[np.ndarray],
    config: FitConfig,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    start_step: int = 0,
    save: Callable[[int, torch.optim.Optimizer], None] | None = None,
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> FitResult:
    """Train `model` with Adam until the budget ends, checking the dev games every
    `eval_every` steps and keeping the weights with the lowest dev loss (the last ones without
    dev games); `save(step, optimizer)` is called every `checkpoint_minutes` with the best
    weights loaded, so that an interrupted run can be resumed from them."""
    budget = Budget(config.steps, config.minutes)
    rng = np.random.default_rng(config.seed + start_step)
    if optimizer is None:
        optimizer = torch.optim.Adam(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
    stream = batches(list(train), config.batch, rng)
    best_loss, best_state = float("inf"), None
    history: list[dict[str, float]] = []
    step, run_loss, run_n = 0, 0.0, 0
    last_save = time.perf_counter()
    bar = tqdm(total=config.steps or None, desc="train", unit="step", disable=not progress)

    def check() -> None:
        nonlocal best_loss, best_state, run_loss, run_n
        d = dev_loss(model, loss_fn, dev, config.batch)
        row = {
            "step": float(start_step + step),
            "seconds": budget.elapsed(),
            "train_loss": run_loss / max(run_n, 1),
            "dev_loss": d,
        }
        history.append(row)
        run_loss, run_n = 0.0, 0
        if not dev or d < best_loss:
            best_loss = d if dev else float("nan")
            best_state = copy.deepcopy(model.state_dict())
        bar.set_postfix(train=f"{row['train_loss']:.3f}", dev=f"{d:.3f}")

    model.train()
    while not budget.done(step):
        set_lr(optimizer, cosine_lr(config.lr, budget.fraction(step)))
        loss, _ = loss_fn(
            model, [g[: config.max_len] if config.max_len else g for g in next(stream)]
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        optimizer.step()
        step += 1
        run_loss += float(loss.detach())
        run_n += 1
        bar.update(1)
        if step % config.eval_every == 0:
            check()
        if save is not None and time.perf_counter() - last_save > 60.0 * config.checkpoint_minutes:
            _with_state(model, best_state, save, start_step + step, optimizer)
            last_save = time.perf_counter()
    if run_n or best_state is None:
        check()
    bar.close()
    seconds = budget.elapsed()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    log(
        f"trained {step} steps in {seconds:.0f} s ({start_step + step} in all); "
        f"best dev loss {best_loss:.4f}"
    )
    return FitResult(start_step + step, seconds, best_loss if dev else float("nan"), history)


def _with_state(
    model: torch.nn.Module, state: dict | None, action: Callable[..., None], *args: Any
) -> None:
    """Run `action(*args)` with `state` loaded into `model`, then put the current weights
    back."""
    if state is None:
        action(*args)
        return
    current = copy.deepcopy(model.state_dict())
    model.load_state_dict(state)
    try:
        action(*args)
    finally:
        model.load_state_dict(current)


def plot_history(history: Sequence[dict[str, float]], path: Path, title: str) -> None:
    """Training and dev loss against steps, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [h["step"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(steps, [h["train_loss"] for h in history], label="training games")
    if any(np.isfinite(h["dev_loss"]) for h in history):
        ax.plot(steps, [h["dev_loss"] for h in history], label="dev games")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats per move)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def finite(metrics: dict[str, float]) -> dict[str, float | None]:
    """NaN and infinities as None (JSON null): a step no position reached has no figure."""
    return {k: (v if math.isfinite(v) else None) for k, v in metrics.items()}


def jsonable(config: Any) -> dict:
    """A (nested) config dataclass as plain JSON values."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=str))


def load_optimizer_state(path: Path) -> dict | None:
    """Adam's saved state for --resume (None when there is none); errors name the file."""
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several kinds for a damaged file
        raise RuntimeError(f"{path}: not an optimizer state ({e})") from e


# ----------------------------------------------------------------------------- one training run


@dataclass(frozen=True)
class Family:
    """What differs between the two sequence models' runs: names, classes and loss."""

    kind: str  # checkpoint kind and default record prefix
    checkpoint: str  # file name in the run folder
    optimizer: str  # Adam's state next to it, for --resume
    model_class: type
    config_class: type
    loss_on: Callable[..., tuple[torch.Tensor, int]]


def load_model(family: Family, path: str | Path, device: str = "cpu") -> tuple[Any, dict]:
    """(model, record) from a checkpoint of `family`; errors name the file."""
    from training.module_checkpoint import load_into, read_record
    from training.torch_evaluator import select_device

    state, record = read_record(path, family.kind)
    model = family.model_class(family.config_class(**record.config))
    load_into(path, model, state)
    return model.to(select_device(device)).eval(), dataclasses.asdict(record)


@dataclass
class Run:
    """A trained sequence model and what its training saw, for the family's measurements."""

    model: Any
    split: Any  # training.baseline_data.Split
    train: list[np.ndarray]
    dev: list[np.ndarray]
    result: FitResult
    device: torch.device
    checkpoint: Path
    save: Callable[..., None]
    optimizer: torch.optim.Optimizer
    parameters: int


def train_run(family: Family, config: Any, log: Callable[[str], None] = print) -> Run:
    """Read the split, build (or resume) the model and fit it; `config` is the family's run
    config (sources, board_size, model, fit, max_train_games, held_out_games, device, run,
    resume, progress)."""
    from training.baseline_data import DataConfig, load_split
    from training.module_checkpoint import save_module
    from training.torch_evaluator import select_device

    n = config.board_size
    if config.model.board_size != n:
        config.model = dataclasses.replace(config.model, board_size=n)
    torch.manual_seed(config.fit.seed)
    device = select_device(config.device)
    split = load_split(
        DataConfig(
            config.sources,
            n,
            max_train_games=config.max_train_games,
            held_out_games=config.held_out_games,
            seed=config.fit.seed,
        )
    )
    log(json.dumps(split.describe()))
    train, dev = split_dev(split.train.sequences(), config.fit.dev_fraction, config.fit.seed)
    run = Path(config.run)
    ckpt = run / family.checkpoint
    start_step, optimizer_state = 0, None
    if config.resume and ckpt.exists():
        model, record = load_model(family, ckpt, "cpu")
        if record["config"] != dataclasses.asdict(config.model):
            log(f"{ckpt}: resuming with the checkpoint's network {record['config']}")
            config.model = family.config_class(**record["config"])
        start_step = int(record["data"].get("steps", 0))
        optimizer_state = load_optimizer_state(run / family.optimizer)
        log(f"resuming {ckpt} after {start_step} steps")
    else:
        model = family.model_class(config.model)
    model.to(device)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.fit.lr, weight_decay=config.fit.weight_decay
    )
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    params = sum(p.numel() for p in model.parameters())
    log(f"{config.model.name}: {params} parameters on {device}; {len(train)} games, {len(dev)} dev")

    def save(steps: int, opt: torch.optim.Optimizer, metrics: dict | None = None) -> None:
        data = {"steps": steps, "run": jsonable(config), "split": split.describe()}
        config_dict = dataclasses.asdict(config.model)
        save_module(ckpt, model, family.kind, config_dict, metrics=metrics, data=data)
        torch.save(opt.state_dict(), run / family.optimizer)

    result = fit(
        model,
        family.loss_on,
        train,
        dev,
        config.fit,
        optimizer=optimizer,
        start_step=start_step,
        save=save,
        log=log,
        progress=config.progress,
    )
    return Run(model, split, train, dev, result, device, ckpt, save, optimizer, params)


def finish_run(
    family: Family,
    config: Any,
    run: Run,
    figures: dict[str, float],
    log: Callable[[str], None] = print,
    **record: Any,
) -> dict[str, float]:
    """Save the final checkpoint with its metrics, write the result record (plus `record`'s
    extra fields) and the loss plot; returns the metrics."""
    from training.results_store import write_result

    n = config.board_size
    metrics = {
        **figures,
        "train_positions": float(sum(len(g) for g in run.train)),
        "train_games": float(len(run.train)),
        "dev_games": float(len(run.dev)),
        "held_out_games": float(run.split.held_out.games),
        "train_seconds": run.result.seconds,
        "steps": float(run.result.steps),
        "parameters": float(run.parameters),
        "dev_loss": run.result.best_dev_loss,
        "chance_top1": 1.0 / num_moves(n),
    }
    run.save(run.result.steps, run.optimizer, metrics)
    name = config.name or default_name(family.kind, n)
    results = Path(config.results)
    path = write_result(
        name,
        "accuracy",
        config.model.name,
        n,
        finite(metrics),
        folder=results,
        config=jsonable(config),
        checkpoint=str(run.checkpoint),
        device=str(run.device),
        history=run.result.history,
        **record,
    )
    if run.result.history:
        title = f"{config.model.name}, {n}x{n}"
        plot_history(run.result.history, results / f"{name}.png", title)
    log(f"wrote {path}")
    return metrics
