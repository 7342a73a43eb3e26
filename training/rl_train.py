"""Training a policy-value network on self-play samples (AlphaGo Zero's learner).

`RLTrainer` owns the net and its optimizer and takes steps on batches drawn uniformly from a
replay window of `go_engine.samples.Samples`, each sample under one of the 8 board
symmetries drawn at random (one gather per batch, as in supervised learning). The loss is

    policy      cross-entropy against the search's visit distribution (mixed with a fixed
                anchor network's policy when `anchor_weight` > 0, see below)
    value       value_weight * (v - z)^2, z the game's result for the player to move
    ownership   ownership_weight * mean over points of (o - target)^2   (ownership head)
    score       score_weight * Huber(s - score / N)                     (score head)

The ownership and score terms count only samples whose game ended on the board (`final`).
The score head predicts the final area score for the player to move divided by the board
size N, so its targets stay within about +-N on any board. Weight decay is SGD's L2 term.

With `anchor` set, the policy target is (1 - w) * visits + w * softmax(anchor(planes)), w =
`anchor_weight`: distillation towards a fixed network (the run's generation 0 by default). The
loop's searches are small (a few hundred visits at most), so their visit distributions are
noisy targets; without the anchor the learner's policy drifts from a strong supervised start
while its value head learns, and play gets weaker (BENCHMARKS.md, issue 6).

With `supplement` set (a `go-engine train value` run folder), a `supplement_fraction` share of
every batch comes from that run's training positions: one position per game, each with its
game's result and no search target (the anchor's policy stands in). Self-play windows of a few
thousand games hold positions too correlated to teach the value head much; AlphaGo's value
data, one position from each of tens of thousands of games, keeps it honest while they grow.

`replay_window(total, config)` is KataGo's growing window: with c = window_min, the newest
c * (1 + beta * ((total / c) ** alpha - 1) / alpha) samples (all of them while total <= c),
capped at window_max, so early generations' weak games leave the window as data grows.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from go_engine.samples import Samples
from training.checkpoint import load_checkpoint, save_checkpoint
from training.nets import NetConfig, PolicyValueNet
from training.network_evaluator import usable_cores
from training.networks import shipped_network
from training.sl_data import symmetry_tables
from training.torch_evaluator import select_device


@dataclass
class TrainConfig:
    """Settings of the self-play learner."""

    batch_size: int = 256
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    samples_per_new_sample: float = 4.0  # training samples drawn per new self-play sample
    min_steps: int = 10  # at least this many steps per generation
    train_start: int = 0  # no training until this many samples exist (a first window that
    # a few generations' games cannot be memorised from)
    window_min: int = 20_000  # c of the replay window formula
    window_alpha: float = 0.75
    window_beta: float = 0.4
    window_max: int = 250_000  # bounds the memory the window takes
    value_weight: float = 1.0
    ownership_weight: float = 1.5
    score_weight: float = 0.05
    checkpoint_every: int = 200  # steps between checkpoints within a generation
    anchor: str = ""  # "init": the run's generation 0; or a checkpoint path; "" for none
    anchor_weight: float = 0.0  # the anchor's share of the policy target, in [0, 1]
    supplement: str = ""  # a `go-engine train value` run folder: its positions join the batches
    supplement_fraction: float = 0.0  # their share of each batch, in [0, 1)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.lr <= 0:
            raise ValueError("batch_size must be >= 1 and lr > 0")
        if self.window_min < 1 or self.window_max < self.window_min:
            raise ValueError("window_min must be >= 1 and window_max >= window_min")
        if self.samples_per_new_sample <= 0:
            raise ValueError("samples_per_new_sample must be positive")
        if not 0.0 <= self.anchor_weight <= 1.0:
            raise ValueError("anchor_weight must lie in [0, 1]")
        if not 0.0 <= self.supplement_fraction < 1.0:
            raise ValueError("supplement_fraction must lie in [0, 1)")
        if self.supplement_fraction > 0 and not self.supplement:
            raise ValueError("supplement_fraction > 0 needs a supplement (a value run folder)")
        if self.anchor_weight > 0 and not self.anchor:
            raise ValueError('anchor_weight > 0 needs an anchor ("init" or a checkpoint path)')


def replay_window(total: int, config: TrainConfig) -> int:
    """How many of the newest samples the learner draws from when `total` exist."""
    c = config.window_min
    if total <= c:
        return total
    a, b = config.window_alpha, config.window_beta
    size = c * (1.0 + b * ((total / c) ** a - 1.0) / a)
    return int(min(total, config.window_max, math.floor(size)))


def steps_for(new_samples: int, config: TrainConfig) -> int:
    """Training steps for a generation that added `new_samples` samples."""
    want = math.ceil(new_samples * config.samples_per_new_sample / config.batch_size)
    return max(config.min_steps, want)


class RLTrainer:
    """The net, its optimizer and the loss; `step(batch)` trains on one batch. `frozen` names
    top-level modules of the net (e.g. "stem", "tower") that keep their weights: they get no
    gradient, stay out of the optimizer, and run in eval mode during steps, so their batch
    norms neither learn nor move their running statistics. `anchor`, a fixed network, mixes
    its policy into the policy targets by `config.anchor_weight`."""

    def __init__(
        self,
        net: PolicyValueNet,
        config: TrainConfig,
        device: torch.device,
        frozen: tuple[str, ...] = (),
        anchor: PolicyValueNet | None = None,
    ) -> None:
        self.net = net.to(device)
        self.anchor = None if anchor is None else anchor.to(device).eval().requires_grad_(False)
        self.config = config
        self.device = device
        self.n = net.config.board_size
        self.tables = symmetry_tables(self.n, device)
        children = dict(net.named_children())
        unknown = sorted(set(frozen) - set(children))
        if unknown:
            raise ValueError(
                f"no such module(s) to freeze: {unknown}; the net has {sorted(children)}"
            )
        self.frozen = [children[name] for name in frozen]
        for module in self.frozen:
            module.requires_grad_(False)
        self.opt = torch.optim.SGD(
            [p for p in net.parameters() if p.requires_grad],
            lr=config.lr,
            momentum=config.momentum,
            nesterov=True,
            weight_decay=config.weight_decay,
        )

    def batch(self, samples: Samples, rows: np.ndarray, rng: np.random.Generator) -> dict:
        """Device tensors of `rows` of `samples`, each under a random symmetry."""
        dev = self.device
        n2 = self.n * self.n
        planes = torch.from_numpy(samples.unpacked_planes(rows)).to(dev)
        syms = torch.from_numpy(rng.integers(0, 8, len(rows))).to(dev)
        b, c = planes.shape[:2]
        src = self.tables[1, syms]  # [B, N*N+1]: the old index of each new one
        flat = planes.reshape(b, c, n2).gather(2, src[:, None, :n2].expand(b, c, n2))
        policy = torch.from_numpy(samples.policy[rows].astype(np.float32)).to(dev)
        owner = torch.from_numpy(samples.ownership[rows].astype(np.float32)).to(dev)
        planes = flat.view(b, c, self.n, self.n)
        policy = policy.gather(1, src)
        if self.anchor is not None and self.config.anchor_weight > 0:
            with torch.no_grad():
                prior = torch.softmax(self.anchor(planes)[0].float(), dim=1)
            w = self.config.anchor_weight
            # a sample without a search target (value-only data) takes the anchor's whole
            has = policy.sum(1, keepdim=True) > 0
            policy = torch.where(has, (1.0 - w) * policy + w * prior, prior)
        return {
            "planes": planes,
            "policy": policy,
            "value": torch.from_numpy(samples.value[rows].astype(np.float32)).to(dev),
            "ownership": owner.gather(1, src[:, :n2]),
            "score": torch.from_numpy(samples.score[rows] / self.n).to(dev),
            "final": torch.from_numpy(samples.final[rows]).to(dev),
        }

    def losses(self, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        cfg = self.config
        out = self.net.outputs(batch["planes"])
        policy = -(batch["policy"] * functional.log_softmax(out["policy"], dim=1)).sum(1).mean()
        value = functional.mse_loss(out["value"], batch["value"])
        total = policy + cfg.value_weight * value
        parts = {"policy_loss": policy.item(), "value_loss": value.item()}
        final = batch["final"].float()
        count = final.sum().clamp(min=1.0)
        if "ownership" in out:
            err = ((out["ownership"].flatten(1) - batch["ownership"]) ** 2).mean(1)
            own = (err * final).sum() / count
            total = total + cfg.ownership_weight * own
            parts["ownership_loss"] = own.item()
        if "score" in out:
            err = functional.huber_loss(out["score"], batch["score"], reduction="none")
            score = (err * final).sum() / count
            total = total + cfg.score_weight * score
            parts["score_loss"] = score.item()
        parts["loss"] = total.item()
        return total, parts

    def step(self, batch: dict) -> dict[str, float]:
        self.net.train()
        for module in self.frozen:
            module.eval()
        loss, parts = self.losses(batch)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return parts

    def optimizer_state(self) -> dict[str, Any]:
        return self.opt.state_dict()

    def load_optimizer(self, state: dict[str, Any] | None) -> None:
        if state is not None:
            self.opt.load_state_dict(state)


# ---------------------------------------------------------------------- the loop's learner

LATEST = "latest.safetensors"


def initial_network(
    board_size: int,
    init: str,
    blocks: int,
    channels: int,
    ownership_head: bool,
    score_head: bool,
    path: str | os.PathLike,
    log=print,
) -> None:
    """Write generation 0's network to `path`: the weights of `init` ("shipped" for the
    shipped network of the board size, or a checkpoint file) with the ownership / score heads
    added when asked for and missing (freshly initialised), or a fresh net of blocks x
    channels when `init` is empty."""
    if init:
        source = shipped_network(board_size) if init == "shipped" else Path(init)
        if source is None:
            raise ValueError(f"no shipped network for {board_size}x{board_size}")
        ck = load_checkpoint(source, expect_board_size=board_size, expect_features="agz")
        config = replace(
            ck.net.config,
            ownership_head=ck.net.config.ownership_head or ownership_head,
            score_head=ck.net.config.score_head or score_head,
        )
        net = PolicyValueNet(config)
        missing, unexpected = net.load_state_dict(ck.net.state_dict(), strict=False)
        if unexpected:
            raise ValueError(f"{source}: unexpected tensors {unexpected}")
        log(f"generation 0: {source} ({len(missing)} new head tensors)")
        data = {"init": str(source)}
    else:
        config = NetConfig(
            board_size=board_size,
            in_planes=17,
            blocks=blocks,
            channels=channels,
            ownership_head=ownership_head,
            score_head=score_head,
        )
        net = PolicyValueNet(config)
        log(f"generation 0: a fresh {blocks}x{channels} network")
        data = {"init": "random"}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(path, net, step=0, data=data, info={"generation": "0"})


def train_generation(
    run: str | os.PathLike,
    generation: int,
    window: Samples,
    new_samples: int,
    config: TrainConfig,
    device: str = "auto",
    seed: int = 0,
    log=print,
) -> dict[str, Any]:
    """Train the learner of run folder `run` on `window` for generation `generation` and write
    the candidate `checkpoints/gen-(generation+1).safetensors`.

    The learner continues from `checkpoints/latest.safetensors` (weights and optimizer; the
    starting network when there is none). It is saved every `checkpoint_every` steps with the
    step reached, so a killed run resumes at that step; a generation whose steps are all done
    only writes the candidate again."""
    from tqdm import tqdm

    run = Path(run)
    # torch's default is one thread per core of the machine, even on a pinned process
    torch.set_num_threads(usable_cores())
    ckdir = run / "checkpoints"
    latest = ckdir / LATEST
    candidate = ckdir / f"gen-{generation + 1:04d}.safetensors"
    dev = select_device(device)
    steps = steps_for(new_samples, config)
    done = 0
    if latest.exists():
        ck = load_checkpoint(latest, dev)
        if int(ck.info.get("generation", -1)) == generation:
            done = int(ck.info.get("gen_step", 0))
    else:
        ck = load_checkpoint(ckdir / "gen-0000.safetensors", dev)
    trainer = RLTrainer(ck.net, config, dev, anchor=_anchor(ckdir, config, dev))
    trainer.load_optimizer(ck.optimizer)
    total_step = ck.step
    rng = np.random.default_rng([seed, generation, done])
    if len(window) == 0:
        raise ValueError(f"{run}: generation {generation} has no samples to train on")
    if done:
        log(f"resuming training of generation {generation} at step {done} of {steps}")
    sums: dict[str, float] = {}
    count = 0
    start = time.perf_counter()
    trained = 0
    metrics_path = run / "metrics.csv"

    def save(path: Path, optimizer: bool, at: int, metrics: dict[str, float]) -> None:
        save_checkpoint(
            path,
            trainer.net,
            step=total_step,
            metrics=metrics,
            info={"generation": str(generation), "gen_step": str(at), "steps": str(steps)},
            optimizer=trainer.opt if optimizer else None,
            data={"window": len(window), "new_samples": new_samples},
        )

    bar = tqdm(total=steps, initial=done, desc="train", unit="step", leave=False)
    last: dict[str, float] = dict(ck.metrics) if done else {}  # the resumed step's figures
    extra = _supplement(config)
    n_extra = round(config.supplement_fraction * config.batch_size) if extra is not None else 0
    while done < steps:
        rows = rng.integers(0, len(window), min(config.batch_size - n_extra, len(window)))
        batch = trainer.batch(window, rows, rng)
        if n_extra:
            more = trainer.batch(extra, rng.integers(0, len(extra), n_extra), rng)
            batch = {key: torch.cat([batch[key], more[key]]) for key in batch}
        parts = trainer.step(batch)
        done += 1
        total_step += 1
        trained += len(batch["planes"])
        count += 1
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + v
        bar.update(1)
        if count == 20 or done == steps:
            last = {k: v / count for k, v in sums.items()}
            _append_metrics(metrics_path, {"generation": generation, "step": total_step, **last})
            sums, count = {}, 0
        if done % config.checkpoint_every == 0 or done == steps:
            save(latest, True, done, last)
    bar.close()
    seconds = time.perf_counter() - start
    save(candidate, False, steps, last)
    out: dict[str, Any] = {"train_steps": steps, "window": len(window)}
    if trained and seconds > 0:
        out["train_samples_per_second"] = round(trained / seconds, 1)
    out.update({k: round(v, 4) for k, v in last.items()})
    return out


def _anchor(ckdir: Path, config: TrainConfig, device: torch.device) -> PolicyValueNet | None:
    if config.anchor_weight <= 0:
        return None
    path = ckdir / "gen-0000.safetensors" if config.anchor == "init" else Path(config.anchor)
    # a missing or bad file raises CheckpointError naming it
    return load_checkpoint(path, device, expect_features="agz").net


def _supplement(config: TrainConfig) -> Samples | None:
    if config.supplement_fraction <= 0:
        return None
    from training.value_net import read_value_run  # value_net imports this module

    return read_value_run(config.supplement)[0].as_samples()


def _append_metrics(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with path.open("a", encoding="utf-8") as f:
        if new:
            f.write(",".join(row) + "\n")
        f.write(",".join(f"{v:.5g}" if isinstance(v, float) else str(v) for v in row.values()))
        f.write("\n")
