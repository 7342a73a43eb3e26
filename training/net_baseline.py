"""Policy networks trained in memory on the shared baseline split: the data-scale curve and the
plain CNN against the ResNet.

`go-engine train sl` streams a whole collection through shards; the benchmark report needs
many short trainings on exactly the positions of `training.baseline_data` (a training set cut
to 1,000 positions, 4,000, ... the whole set) measured on the same held-out positions. `fit_net`
trains a `PolicyValueNet` (policy and value heads, AGZ planes built in torch, a random board
symmetry per sample, SGD with Nesterov momentum and a cosine schedule) for a budget of steps
and/or CPU seconds, and `score_net` measures top-1/top-5 over every held-out position.

The time budget counts the process's CPU time (`time.process_time`), not wall time, so two
architectures given the same budget get the same compute even when other work shares the
machine; with one torch thread (the benchmarks set it) CPU time is compute time. On CUDA the
budget is wall time (the host mostly waits for the GPU there).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import torch
from torch.nn import functional

from training.baseline_data import Part
from training.nets import NetConfig, PolicyValueNet, count_parameters
from training.sl_data import DevicePositions, make_batch, symmetry_tables
from training.sl_train import evaluate_positions


@dataclass
class NetFitConfig:
    """One in-memory training run."""

    arch: str = "resnet"
    blocks: int = 2
    channels: int = 32
    batch_size: int = 128
    lr: float = 0.05
    weight_decay: float = 1e-4
    epochs: float = 20.0  # passes over the training positions (steps = epochs * P / batch)
    min_steps: int = 200
    max_steps: int = 3000
    cpu_seconds: float = 0.0  # 0: no time budget; else stop after this much CPU time
    value_weight: float = 0.25
    optimizer: str = "sgd"  # "sgd" (Nesterov momentum 0.9) or "adam"
    device: str = "cpu"
    seed: int = 0

    def net_config(self, board_size: int) -> NetConfig:
        return NetConfig(
            board_size=board_size, arch=self.arch, blocks=self.blocks, channels=self.channels
        )

    def steps_for(self, positions: int) -> int:
        if self.cpu_seconds > 0:
            return self.max_steps
        wanted = math.ceil(self.epochs * positions / self.batch_size)
        return min(self.max_steps, max(self.min_steps, wanted))


def describe(config: NetFitConfig, board_size: int) -> str:
    """A model name for the report: 'ResNet, 4 blocks x 48 (209k parameters)'."""
    net = PolicyValueNet(config.net_config(board_size))
    size = f"{count_parameters(net) / 1000:.0f}k parameters"
    if config.arch == "plain":
        return f"plain CNN, {config.blocks} layers x {config.channels} ({size})"
    blocks = "1 block" if config.blocks == 1 else f"{config.blocks} blocks"
    return f"ResNet, {blocks} x {config.channels} ({size})"


def fit_net(train: Part, config: NetFitConfig) -> tuple[PolicyValueNet, dict[str, float]]:
    """Train a fresh network on `train`'s positions; returns it (eval mode) and what the run
    did (steps, samples, CPU and wall seconds)."""
    torch.manual_seed(config.seed)
    device = torch.device(config.device)
    n = train.records.board_size
    net = PolicyValueNet(config.net_config(n)).to(device)
    data = DevicePositions(train.positions, train.records, device)
    if len(data) == 0:
        raise ValueError("no training positions")
    steps = config.steps_for(len(data))
    if config.optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.AdamW(
            net.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
    elif config.optimizer == "sgd":
        opt = torch.optim.SGD(
            net.parameters(),
            lr=config.lr,
            momentum=0.9,
            nesterov=True,
            weight_decay=config.weight_decay,
        )
    else:
        raise ValueError(f"unknown optimizer {config.optimizer!r} (sgd or adam)")
    tables = symmetry_tables(n, device)
    gen = torch.Generator(device="cpu").manual_seed(config.seed)
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    cpu0, wall0 = time.process_time(), time.perf_counter()
    budget0 = clock()
    net.train()
    done = 0
    for step in range(steps):
        if config.cpu_seconds > 0:
            used = clock() - budget0
            if used >= config.cpu_seconds:
                break
            frac = used / config.cpu_seconds
        else:
            frac = step / steps
        for g in opt.param_groups:
            g["lr"] = config.lr * 0.5 * (1.0 + math.cos(math.pi * frac))
        idx = torch.randint(len(data), (config.batch_size,), generator=gen).to(device)
        syms = torch.randint(8, (config.batch_size,), generator=gen)
        batch = make_batch(data, idx, tables, syms)
        logits, value = net(batch.planes)
        loss = functional.cross_entropy(logits, batch.policy)
        vloss = (
            ((value - batch.value) ** 2) * batch.value_mask
        ).sum() / batch.value_mask.sum().clamp(min=1.0)
        opt.zero_grad(set_to_none=True)
        (loss + config.value_weight * vloss).backward()
        opt.step()
        done += 1
    net.eval()
    return net, {
        "train_steps": float(done),
        "train_samples": float(done * config.batch_size),
        "train_cpu_seconds": time.process_time() - cpu0,
        "train_seconds": time.perf_counter() - wall0,
        "parameters": float(count_parameters(net)),
    }


@torch.inference_mode()
def score_net(net: PolicyValueNet, held_out: Part, device: str = "cpu") -> dict[str, float]:
    """Top-1/top-5 accuracy, policy loss and value MSE over every held-out position."""
    data = DevicePositions(held_out.positions, held_out.records, torch.device(device))
    return evaluate_positions(net, [data])


def config_dict(config: NetFitConfig) -> dict:
    return asdict(config)
