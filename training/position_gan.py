"""A GAN of Go board positions: a generator of boards, a discriminator trained against the
positions of real games, and the measures that say how real the generated boards are.

Data. The boards of the training split (`training.baseline_data`, the board before each move,
absolute colours) as 3-channel one-hot planes (empty, black, white), N x N. Nothing else is given
to either network (no colour to move, no history): the GAN models the distribution of positions.

Generator. DCGAN-style and small: a latent vector z ~ N(0, I) goes through a linear layer to a
ceil(N/4)^2 grid, is upsampled (nearest neighbour, then a 3x3 convolution with batch norm and
ReLU) to ceil(N/2) and to N, refined by two more 3x3 convolutions at full size, and ends in a
1x1 convolution giving three logits per point. The board it emits is the per-point argmax, made
one-hot, with a straight-through gradient (the forward value is the hard one-hot board, the
backward pass is that of softmax(logits / temperature)). Why hard boards: a discriminator that
sees soft probabilities from the generator and exact one-hot planes from real games can win by
spotting non-integer values alone, and the generator's gradient then says nothing about Go;
with hard boards both sides are exactly one-hot and only the arrangement of the stones can tell
them apart. Why argmax without Gumbel noise: all randomness comes from z, so the boards measured
at the end (argmax boards) are exactly the distribution the discriminator was trained against,
and independent per-point sampling noise (which would scatter lone stones and make dead chains)
is avoided.

Discriminator. Convolutions (3x3, LeakyReLU 0.2): two at full size, two of stride 2, a
minibatch-standard-deviation channel (the spread of the features across the batch, a cheap and
well-known guard against the generator collapsing onto a few boards), a last convolution, and a
linear layer over the flattened map (so absolute position, e.g. corners against centre, is seen).
Every layer has spectral normalisation, which bounds the discriminator's slope and keeps the
game between the two networks stable without tuning.

Training. Non-saturating loss (the generator maximises log D(G(z))), one-sided label smoothing
(real target 0.9), Adam with betas (0.5, 0.999) and learning rate 2e-4 for both, as DCGAN. One
discriminator step and one generator step per batch. Budgets: total steps and/or minutes of this
run; the checkpoint (`module_checkpoint`, kind "gan", both networks in one file) is written at
the end and every `checkpoint_every` steps, with the Adam states beside it, so a run resumes
where it stopped.

Measures (`evaluate`). Generated boards against held-out real ones, counted by the flood fill of
this module (`board_stats`):

    legal share      a board is legal when no chain of either colour has zero liberties (a real
                     game position never has one: captures remove such chains, suicide is illegal)
    balance share    black minus white stones within the 1st..99th percentile of that difference
                     over the training positions (the exact bound depends on captures, which a
                     board alone does not show; the percentile range is what real games reach)
    statistics       mean and std of black stones, white stones, chains, liberties per chain
                     (pooled over all chains) and the share of a board's chains in atari; their
                     histograms, generated against real (NAME-stats.png) and sample boards
                     (NAME-samples.png)
    discriminator    its accuracy on held-out real boards against fresh generated ones
    two-sample test  a fresh small CNN trained briefly to separate generated boards from half the
                     held-out real boards, and its accuracy on the other half (0.5: it cannot tell)

plus references that put the figures in context: the same statistics on the real boards, and the
legal share of boards drawn point by point from the real per-point frequencies (what a model with
no notion of chains would reach).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numba import njit
from torch import nn
from torch.nn import functional
from torch.nn.utils import spectral_norm

from training.checkpoint import CheckpointError
from training.module_checkpoint import load_into, read_record, save_module
from training.torch_evaluator import select_device

KIND = "gan"
CHECKPOINT = "gan.safetensors"
OPTIM_STATE = "gan-optim.pt"


@dataclass
class GanConfig:
    """Shape of both networks and the settings of their training."""

    board_size: int = 9
    latent: int = 64
    g_channels: int = 64
    d_channels: int = 32
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    real_label: float = 0.9  # one-sided label smoothing
    temperature: float = 1.0  # softmax temperature of the straight-through gradient
    steps: int = 3000  # total steps (resumed runs count the earlier ones); 0: no step limit
    minutes: float = 0.0  # also stop after this much training time in this run; 0: no limit
    checkpoint_every: int = 1000
    device: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.board_size < 5:
            raise ValueError(f"board size {self.board_size} is too small for the GAN (>= 5)")
        if min(self.latent, self.g_channels, self.d_channels, self.batch_size) < 2:
            raise ValueError("latent, channels and batch size must be >= 2")
        if self.steps < 0 or self.minutes < 0:
            raise ValueError("steps and minutes must be >= 0")
        if self.steps == 0 and self.minutes == 0:
            raise ValueError("give a budget: steps > 0 or minutes > 0")
        if not 0.5 < self.real_label <= 1.0:
            raise ValueError("real_label must lie in (0.5, 1]")
        if self.temperature <= 0:
            raise ValueError("temperature must be > 0")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GanConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# ---------------------------------------------------------------------------------------------
# Chains and liberties of plain boards


@njit(cache=True)
def _chains(board: np.ndarray, n: int, label: np.ndarray, seen: np.ndarray, libs: np.ndarray):
    """Flood-fill the chains of one board (uint8[N*N]); libs[k] = liberties of chain k.

    `label` must be -1 everywhere and `seen` must hold no value >= 0 that a chain index of this
    call can take (the caller resets it); returns the number of chains."""
    stack = np.empty(n * n, np.int32)
    k = 0
    for p in range(n * n):
        c = board[p]
        if c == 0 or label[p] >= 0:
            continue
        label[p] = k
        stack[0] = p
        top = 1
        count = 0
        while top > 0:
            top -= 1
            q = stack[top]
            r = q // n
            col = q - r * n
            for d in range(4):
                if d == 0:
                    if r == 0:
                        continue
                    nb = q - n
                elif d == 1:
                    if r == n - 1:
                        continue
                    nb = q + n
                elif d == 2:
                    if col == 0:
                        continue
                    nb = q - 1
                else:
                    if col == n - 1:
                        continue
                    nb = q + 1
                v = board[nb]
                if v == 0:
                    # An empty point counts once per chain, however many stones touch it.
                    if seen[nb] != k:
                        seen[nb] = k
                        count += 1
                elif v == c and label[nb] < 0:
                    label[nb] = k
                    stack[top] = nb
                    top += 1
        libs[k] = count
        k += 1
    return k


@njit(cache=True)
def _batch_stats(boards: np.ndarray, n: int):
    b = boards.shape[0]
    per = np.zeros((b, 6), np.int32)  # black, white, chains, dead chains, atari chains, libs
    pooled = np.empty(b * n * n, np.int32)
    used = 0
    label = np.empty(n * n, np.int32)
    seen = np.empty(n * n, np.int32)
    libs = np.empty(n * n, np.int32)
    for i in range(b):
        board = boards[i]
        label[:] = -1
        seen[:] = -1
        k = _chains(board, n, label, seen, libs)
        for p in range(n * n):
            if board[p] == 1:
                per[i, 0] += 1
            elif board[p] == 2:
                per[i, 1] += 1
        per[i, 2] = k
        for j in range(k):
            if libs[j] == 0:
                per[i, 3] += 1
            elif libs[j] == 1:
                per[i, 4] += 1
            per[i, 5] += libs[j]
            pooled[used] = libs[j]
            used += 1
    return per, pooled[:used]


@dataclass
class BoardStats:
    """Per-board counts of a set of boards, and the liberties of all their chains."""

    black: np.ndarray  # int32[B]
    white: np.ndarray
    chains: np.ndarray
    dead: np.ndarray  # chains with no liberty
    atari: np.ndarray  # chains with exactly one liberty
    liberties: np.ndarray  # int32[all chains]: liberties of each chain, pooled

    def __len__(self) -> int:
        return len(self.black)

    @property
    def legal(self) -> np.ndarray:
        """bool[B]: no chain without liberties."""
        return self.dead == 0

    @property
    def difference(self) -> np.ndarray:
        """Black minus white stones per board."""
        return self.black - self.white

    @property
    def atari_share(self) -> np.ndarray:
        """float[B']: share of each board's chains in atari, boards with no chain left out."""
        has = self.chains > 0
        return self.atari[has] / self.chains[has]

    def summary(self) -> dict[str, tuple[float, float]]:
        """(mean, std) of each statistic."""
        out = {}
        for name, v in (
            ("black", self.black),
            ("white", self.white),
            ("stones", self.black + self.white),
            ("chains", self.chains),
            ("liberties", self.liberties),
            ("atari_share", self.atari_share),
        ):
            v = np.asarray(v, np.float64)
            out[name] = (float(v.mean()), float(v.std())) if len(v) else (math.nan, math.nan)
        return out


def board_stats(boards: np.ndarray, board_size: int) -> BoardStats:
    """Chains, liberties and stone counts of boards (uint8[B, N*N] or [B, N, N]; 0 empty,
    1 black, 2 white)."""
    n = int(board_size)
    b = np.ascontiguousarray(np.asarray(boards, np.uint8).reshape(-1, n * n))
    if b.size and b.max() > 2:
        raise ValueError("board values must be 0 (empty), 1 (black) or 2 (white)")
    per, pooled = _batch_stats(b, n)
    return BoardStats(per[:, 0], per[:, 1], per[:, 2], per[:, 3], per[:, 4], pooled)


def liberty_map(board: np.ndarray, board_size: int) -> np.ndarray:
    """int32[N*N]: liberties of the chain on each point (0 on empty points)."""
    n = int(board_size)
    b = np.ascontiguousarray(np.asarray(board, np.uint8).reshape(n * n))
    label = np.full(n * n, -1, np.int32)
    seen = np.full(n * n, -1, np.int32)
    libs = np.zeros(n * n, np.int32)
    _chains(b, n, label, seen, libs)
    return np.where(label >= 0, libs[np.maximum(label, 0)], 0).astype(np.int32)


def is_legal(board: np.ndarray, board_size: int) -> bool:
    """True when no chain of either colour on the board has zero liberties."""
    return bool(board_stats(np.asarray(board)[None], board_size).legal[0])


def balance_range(boards: np.ndarray, low: float = 1.0, high: float = 99.0) -> tuple[int, int]:
    """The `low`..`high` percentile range of black minus white stones over real boards."""
    b = np.asarray(boards)
    d = (b == 1).sum(axis=1).astype(np.int64) - (b == 2).sum(axis=1)
    return int(math.floor(np.percentile(d, low))), int(math.ceil(np.percentile(d, high)))


def wasserstein_1d(a: np.ndarray, b: np.ndarray) -> float:
    """Earth mover's distance between two samples of numbers (empirical distributions)."""
    a = np.sort(np.asarray(a, np.float64))
    b = np.sort(np.asarray(b, np.float64))
    if not len(a) or not len(b):
        return math.nan
    # Compare quantile functions on a common grid: exact for equal sizes, close otherwise.
    q = (np.arange(max(len(a), len(b))) + 0.5) / max(len(a), len(b))
    return float(np.abs(np.quantile(a, q) - np.quantile(b, q)).mean())


# ---------------------------------------------------------------------------------------------
# Networks


def one_hot(boards: np.ndarray | torch.Tensor, board_size: int, device=None) -> torch.Tensor:
    """uint8 boards [B, N*N] -> float one-hot planes [B, 3, N, N] (empty, black, white)."""
    t = torch.as_tensor(np.asarray(boards), device=device).long()
    n = board_size
    return functional.one_hot(t.view(-1, n, n), 3).permute(0, 3, 1, 2).float()


def planes_to_boards(planes: torch.Tensor) -> np.ndarray:
    """One-hot (or logit) planes [B, 3, N, N] -> uint8 boards [B, N*N] by argmax."""
    return planes.argmax(dim=1).flatten(1).to(torch.uint8).cpu().numpy()


class Generator(nn.Module):
    """z [B, latent] -> logits [B, 3, N, N] (see the module docstring)."""

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        n, ch = config.board_size, config.g_channels
        self.n = n
        self.sizes = ((n + 3) // 4, (n + 1) // 2, n)
        self.ch = ch
        s0 = self.sizes[0]
        self.project = nn.Sequential(
            nn.Linear(config.latent, ch * s0 * s0, bias=False),
            nn.BatchNorm1d(ch * s0 * s0),
            nn.ReLU(),
        )

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()
            )

        half = max(ch // 2, 8)
        self.up1 = block(ch, ch)
        self.up2 = block(ch, half)
        self.refine = nn.Sequential(block(half, half), block(half, half))
        self.out = nn.Conv2d(half, 3, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        s0, s1, s2 = self.sizes
        x = self.project(z).view(-1, self.ch, s0, s0)
        x = self.up1(functional.interpolate(x, size=(s1, s1), mode="nearest"))
        x = self.up2(functional.interpolate(x, size=(s2, s2), mode="nearest"))
        return self.out(self.refine(x))


def straight_through(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Hard one-hot boards forward, softmax(logits / temperature) gradients backward."""
    soft = torch.softmax(logits / temperature, dim=1)
    hard = functional.one_hot(logits.argmax(dim=1), 3).permute(0, 3, 1, 2).to(soft.dtype)
    # (soft - soft.detach()) is exactly zero forward, so the boards stay exactly one-hot.
    return hard + (soft - soft.detach())


class MinibatchStd(nn.Module):
    """Adds one channel: the mean over features of the standard deviation across the batch."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        std = x.std(dim=0, unbiased=False).mean() if x.shape[0] > 1 else x.new_zeros(())
        return torch.cat([x, std.expand(x.shape[0], 1, *x.shape[2:])], dim=1)


class Discriminator(nn.Module):
    """One-hot boards [B, 3, N, N] -> one logit per board (real > 0)."""

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        n, d = config.board_size, config.d_channels
        s1 = (n + 1) // 2
        s2 = (s1 + 1) // 2

        def conv(cin: int, cout: int, stride: int = 1) -> nn.Module:
            return spectral_norm(nn.Conv2d(cin, cout, 3, stride=stride, padding=1))

        act = nn.LeakyReLU(0.2)
        self.features = nn.Sequential(
            conv(3, d),
            act,
            conv(d, d),
            act,
            conv(d, 2 * d, 2),
            act,
            conv(2 * d, 2 * d, 2),
            act,
            MinibatchStd(),
            conv(2 * d + 1, 2 * d),
            act,
        )
        self.head = spectral_norm(nn.Linear(2 * d * s2 * s2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1)).squeeze(1)


class PositionGan(nn.Module):
    """Both networks in one module (one checkpoint file)."""

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        self.config = config
        self.generator = Generator(config)
        self.discriminator = Discriminator(config)

    @torch.no_grad()
    def sample(self, count: int, seed: int | None = None, batch: int = 500) -> np.ndarray:
        """`count` generated boards (uint8[count, N*N], argmax of the generator's logits)."""
        dev = next(self.parameters()).device
        gen = torch.Generator(device="cpu")
        if seed is not None:
            gen.manual_seed(seed)
        else:
            gen.seed()
        was = self.generator.training
        self.generator.eval()
        out = []
        for start in range(0, count, batch):
            m = min(batch, count - start)
            z = torch.randn(m, self.config.latent, generator=gen).to(dev)
            out.append(planes_to_boards(self.generator(z)))
        self.generator.train(was)
        n2 = self.config.board_size**2
        return np.concatenate(out) if out else np.zeros((0, n2), np.uint8)

    @torch.no_grad()
    def judge(self, boards: np.ndarray, batch: int = 500) -> np.ndarray:
        """The discriminator's probability that each board is real."""
        dev = next(self.parameters()).device
        was = self.discriminator.training
        self.discriminator.eval()
        out = []
        for start in range(0, len(boards), batch):
            x = one_hot(boards[start : start + batch], self.config.board_size, dev)
            out.append(torch.sigmoid(self.discriminator(x)).cpu().numpy())
        self.discriminator.train(was)
        return np.concatenate(out) if out else np.zeros(0, np.float32)


# ---------------------------------------------------------------------------------------------
# Training


@dataclass
class TrainState:
    """Where a training run stands (kept in the checkpoint's data)."""

    step: int = 0
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)


def save_gan(
    path: str | Path,
    gan: PositionGan,
    state: TrainState,
    metrics: dict[str, float] | None = None,
    info: dict[str, str] | None = None,
) -> None:
    save_module(
        path,
        gan,
        KIND,
        asdict(gan.config),
        metrics=metrics,
        info=info,
        data={"step": state.step, "seconds": state.seconds, "history": state.history},
    )


def load_gan(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[PositionGan, TrainState]:
    """A GAN checkpoint and the training state it was written at; errors name the file."""
    tensors, record = read_record(path, KIND)
    try:
        config = GanConfig.from_dict(record.config)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: bad GAN config ({e})") from e
    gan = PositionGan(config)
    load_into(path, gan, tensors)
    data = record.data
    state = TrainState(
        int(data.get("step", 0)), float(data.get("seconds", 0.0)), list(data.get("history", []))
    )
    return gan.to(select_device(device)), state


class GanTrainer:
    """Trains a `PositionGan` on real boards, step by step, within a budget; resumable."""

    def __init__(
        self,
        config: GanConfig,
        boards: np.ndarray,
        run: str | Path | None = None,
        resume: bool = True,
        log: Callable[[str], None] = print,
    ) -> None:
        if len(boards) == 0:
            raise ValueError("no training positions")
        self.config = config
        self.device = select_device(config.device)
        self.boards = torch.as_tensor(np.ascontiguousarray(boards, np.uint8))
        self.run = Path(run) if run is not None else None
        self.log = log
        self.state = TrainState()
        path = self.checkpoint_path
        if resume and path is not None and path.is_file():
            self.gan, self.state = load_gan(path, self.device)
            if self.gan.config.board_size != config.board_size:
                raise ValueError(
                    f"{path}: a {self.gan.config.board_size}x{self.gan.config.board_size} GAN, "
                    f"not {config.board_size}x{config.board_size} (use a new run folder)"
                )
            # The networks keep their shape; the budget and device are this run's.
            self.gan.config = GanConfig.from_dict(
                {
                    **asdict(self.gan.config),
                    "steps": config.steps,
                    "minutes": config.minutes,
                    "checkpoint_every": config.checkpoint_every,
                    "device": config.device,
                }
            )
            log(f"resuming {path} at step {self.state.step}")
        else:
            torch.manual_seed(config.seed)
            self.gan = PositionGan(config).to(self.device)
        c = self.gan.config
        self.opt_g = torch.optim.Adam(
            self.gan.generator.parameters(), lr=c.lr_g, betas=(c.beta1, c.beta2)
        )
        self.opt_d = torch.optim.Adam(
            self.gan.discriminator.parameters(), lr=c.lr_d, betas=(c.beta1, c.beta2)
        )
        optim = self.optim_path
        if self.state.step and optim is not None and optim.is_file():
            try:
                saved = torch.load(optim, map_location=self.device, weights_only=True)
                self.opt_g.load_state_dict(saved["g"])
                self.opt_d.load_state_dict(saved["d"])
            except (RuntimeError, KeyError, ValueError) as e:
                log(f"{optim}: optimiser state not usable ({e}); starting Adam afresh")
        # Batches differ between a run and its resumption, but each is reproducible.
        self.rng = torch.Generator().manual_seed(c.seed * 1_000_003 + self.state.step)

    @property
    def checkpoint_path(self) -> Path | None:
        return self.run / CHECKPOINT if self.run is not None else None

    @property
    def optim_path(self) -> Path | None:
        return self.run / OPTIM_STATE if self.run is not None else None

    def save(self, metrics: dict[str, float] | None = None, info: dict[str, str] | None = None):
        if self.run is None:
            return
        save_gan(self.checkpoint_path, self.gan, self.state, metrics, info)
        tmp = self.optim_path.with_suffix(".tmp")
        torch.save({"g": self.opt_g.state_dict(), "d": self.opt_d.state_dict()}, tmp)
        tmp.replace(self.optim_path)

    def step(self) -> dict[str, float]:
        """One discriminator step and one generator step."""
        c, g, d = self.gan.config, self.gan.generator, self.gan.discriminator
        idx = torch.randint(len(self.boards), (c.batch_size,), generator=self.rng)
        real = one_hot(self.boards[idx], c.board_size, self.device)
        z = torch.randn(c.batch_size, c.latent, generator=self.rng).to(self.device)
        fake = straight_through(g(z), c.temperature)

        d_real = d(real)
        d_fake = d(fake.detach())
        loss_d = functional.binary_cross_entropy_with_logits(
            d_real, torch.full_like(d_real, c.real_label)
        ) + functional.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        # Non-saturating generator loss: -log D(G(z)) rather than log(1 - D(G(z))).
        out = d(fake)
        loss_g = functional.binary_cross_entropy_with_logits(out, torch.ones_like(out))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.state.step += 1
        with torch.no_grad():
            acc = 0.5 * ((d_real > 0).float().mean() + (d_fake < 0).float().mean())
            stones = (fake[:, 0] < 0.5).float().sum(dim=(1, 2)).mean()
        return {
            "loss_d": float(loss_d.detach()),
            "loss_g": float(loss_g.detach()),
            "d_accuracy": float(acc),
            "stones": float(stones),
        }

    def train(self, progress: bool = True) -> TrainState:
        """Steps until `steps` (in total) or `minutes` (this call) is reached."""
        from tqdm import tqdm

        c = self.gan.config
        limit = c.minutes * 60.0 if c.minutes > 0 else math.inf
        todo = max(c.steps - self.state.step, 0) if c.steps > 0 else None
        if todo == 0:
            return self.state
        start = mark = time.perf_counter()
        window: list[dict[str, float]] = []
        bar = tqdm(total=todo, disable=not progress, desc="gan", unit="step", leave=False)
        last_save = self.state.step
        while True:
            if c.steps > 0 and self.state.step >= c.steps:
                break
            if time.perf_counter() - start >= limit:
                break
            window.append(self.step())
            bar.update(1)
            if len(window) == 100:
                row = {k: float(np.mean([w[k] for w in window])) for k in window[0]}
                row["step"] = self.state.step
                self.state.history.append(row)
                bar.set_postfix(
                    d=f"{row['loss_d']:.3f}",
                    g=f"{row['loss_g']:.3f}",
                    acc=f"{row['d_accuracy']:.2f}",
                )
                window = []
            if c.checkpoint_every and self.state.step - last_save >= c.checkpoint_every:
                now = time.perf_counter()
                self.state.seconds += now - mark
                mark = now
                self.save()
                last_save = self.state.step
        bar.close()
        self.state.seconds += time.perf_counter() - mark
        return self.state


# ---------------------------------------------------------------------------------------------
# Measures


class _Classifier(nn.Module):
    """The small CNN of the two-sample test."""

    def __init__(self, channels: int = 32) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Linear(4 * channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x)
        # Mean and max pooling: counts (mean) and the worst local shape (max) both matter.
        return self.head(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)).squeeze(1)


def two_sample_accuracy(
    real: np.ndarray,
    fake: np.ndarray,
    board_size: int,
    steps: int = 300,
    batch: int = 64,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> float:
    """Held-out accuracy of a fresh CNN trained to tell `fake` boards from `real` ones.

    Each set is split in halves: the classifier learns on the first halves (balanced batches)
    and is scored on the second halves, equally weighted (0.5: indistinguishable)."""
    dev = select_device(device)
    m = min(len(real), len(fake)) // 2
    if m < 2:
        raise ValueError("two-sample test needs at least 4 boards of each kind")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    real = real[rng.permutation(len(real))]
    fake = fake[rng.permutation(len(fake))]
    net = _Classifier().to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    tr_real, te_real = real[:m], real[m : 2 * m]
    tr_fake, te_fake = fake[:m], fake[m : 2 * m]
    half = max(batch // 2, 1)
    for _ in range(steps):
        i, j = rng.integers(m, size=half), rng.integers(m, size=half)
        x = one_hot(np.concatenate([tr_real[i], tr_fake[j]]), board_size, dev)
        y = torch.cat([torch.ones(half), torch.zeros(half)]).to(dev)
        loss = functional.binary_cross_entropy_with_logits(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    net.eval()

    def scores(boards: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return np.concatenate(
                [
                    net(one_hot(boards[s : s + 500], board_size, dev)).cpu().numpy()
                    for s in range(0, len(boards), 500)
                ]
            )

    pr, pf = scores(te_real), scores(te_fake)
    return float(0.5 * ((pr > 0).mean() + (pf <= 0).mean()))


def independent_boards(real: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """Boards drawn point by point from the per-point frequencies of `real` (no structure)."""
    real = np.asarray(real)
    freq = np.stack([(real == v).mean(axis=0) for v in range(3)], axis=1)  # [N*N, 3]
    cum = np.cumsum(freq, axis=1)
    u = np.random.default_rng(seed).random((count, real.shape[1], 1))
    return (u > cum[None, :, :2]).sum(axis=2).astype(np.uint8)


@dataclass
class Evaluation:
    """What `evaluate` measured, and the boards and statistics the plots need."""

    metrics: dict[str, float]
    generated: np.ndarray
    real: np.ndarray
    gen_stats: BoardStats
    real_stats: BoardStats
    balance: tuple[int, int]


def evaluate(
    gan: PositionGan,
    held_out: np.ndarray,
    train: np.ndarray,
    count: int = 2000,
    two_sample_steps: int = 300,
    seed: int = 12345,
) -> Evaluation:
    """Generated boards against held-out real ones (see the module docstring)."""
    n = gan.config.board_size
    rng = np.random.default_rng(seed)
    held_out = np.asarray(held_out, np.uint8)
    real = held_out[rng.choice(len(held_out), min(count, len(held_out)), replace=False)]
    generated = gan.sample(count, seed=seed)
    gs, rs = board_stats(generated, n), board_stats(real, n)
    lo, hi = balance_range(train)
    metrics: dict[str, float] = {
        "generated": len(generated),
        "real": len(real),
        "legal_share": float(gs.legal.mean()),
        "legal_share_real": float(rs.legal.mean()),
        "legal_share_independent": float(
            board_stats(independent_boards(train, count, seed), n).legal.mean()
        ),
        "balance_low": lo,
        "balance_high": hi,
        "balance_share": float(((gs.difference >= lo) & (gs.difference <= hi)).mean()),
        "balance_share_real": float(((rs.difference >= lo) & (rs.difference <= hi)).mean()),
        "legal_and_balanced_share": float(
            (gs.legal & (gs.difference >= lo) & (gs.difference <= hi)).mean()
        ),
        "distinct_share": len({b.tobytes() for b in generated}) / max(len(generated), 1),
    }
    # Memorisation: generated boards that are exactly some training position.
    seen = {t.tobytes() for t in np.asarray(train, np.uint8)}
    metrics["copied_share"] = float(np.mean([b.tobytes() in seen for b in generated]))
    for name, (g_mean, g_std) in gs.summary().items():
        r_mean, r_std = rs.summary()[name]
        metrics.update(
            {
                f"{name}_gen_mean": g_mean,
                f"{name}_gen_std": g_std,
                f"{name}_real_mean": r_mean,
                f"{name}_real_std": r_std,
            }
        )
    metrics["stones_w1"] = wasserstein_1d(gs.black + gs.white, rs.black + rs.white)
    # The discriminator at the end of training, on boards neither side trained on.
    fresh = gan.sample(len(real), seed=seed + 1)
    p_real, p_fake = gan.judge(real), gan.judge(fresh)
    metrics["disc_accuracy_real"] = float((p_real > 0.5).mean())
    metrics["disc_accuracy_fake"] = float((p_fake <= 0.5).mean())
    metrics["disc_accuracy"] = 0.5 * (metrics["disc_accuracy_real"] + metrics["disc_accuracy_fake"])
    if two_sample_steps > 0:
        other = gan.sample(len(real), seed=seed + 2)
        dev = next(gan.parameters()).device
        metrics["two_sample_accuracy"] = two_sample_accuracy(
            real, other, n, steps=two_sample_steps, seed=seed, device=dev
        )
    return Evaluation(metrics, generated, real, gs, rs, (lo, hi))


# ---------------------------------------------------------------------------------------------
# Figures


def plot_stats(ev: Evaluation, path: str | Path, title: str = "") -> None:
    """Histograms of the board statistics, generated against real."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g, r = ev.gen_stats, ev.real_stats
    panels = [
        ("black stones", g.black, r.black),
        ("white stones", g.white, r.white),
        ("black - white", g.difference, r.difference),
        ("chains", g.chains, r.chains),
        ("liberties per chain", g.liberties, r.liberties),
        ("share of chains in atari", g.atari_share, r.atari_share),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, (label, gv, rv) in zip(axes.flat, panels, strict=False):
        both = np.concatenate([np.asarray(gv, float), np.asarray(rv, float)])
        if not len(both):
            continue
        if label.startswith("share"):
            bins = np.linspace(0, 1, 21)
        else:
            lo, hi = math.floor(both.min()), math.ceil(both.max())
            step = max(1, math.ceil((hi - lo + 1) / 40))
            bins = np.arange(lo - 0.5, hi + step + 0.5, step)
        ax.hist(rv, bins=bins, density=True, alpha=0.55, label="real (held-out)", color="tab:blue")
        ax.hist(gv, bins=bins, density=True, alpha=0.55, label="generated", color="tab:orange")
        ax.set_title(label)
    axes.flat[0].legend()
    m = ev.metrics
    fig.suptitle(
        f"{title}  legal {m['legal_share']:.1%} (real {m['legal_share_real']:.1%}), "
        f"balance {m['balance_share']:.1%}, discriminator accuracy {m['disc_accuracy']:.2f}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _draw_board(ax, board: np.ndarray, n: int, illegal: bool) -> None:
    ax.set_facecolor("#dcb35c")
    for i in range(n):
        ax.plot([0, n - 1], [i, i], color="black", lw=0.4)
        ax.plot([i, i], [0, n - 1], color="black", lw=0.4)
    r, c = np.divmod(np.arange(n * n), n)
    size = 2200 / (n * n) * 3
    for colour, face in ((1, "black"), (2, "white")):
        on = board == colour
        ax.scatter(
            c[on], n - 1 - r[on], s=size, c=face, edgecolors="black", linewidths=0.4, zorder=3
        )
    ax.set_xlim(-0.8, n - 0.2)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if illegal:
        for s in ax.spines.values():
            s.set_edgecolor("red")
            s.set_linewidth(2.5)


def plot_samples(ev: Evaluation, path: str | Path, n: int, per_side: int = 8) -> None:
    """Generated boards (left, illegal ones framed red) next to real held-out ones (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = 4
    rows = max(1, math.ceil(per_side / cols))
    fig, axes = plt.subplots(rows, 2 * cols + 1, figsize=(2.2 * (2 * cols + 1), 2.3 * rows))
    axes = np.atleast_2d(axes)
    for k in range(rows * cols):
        i, j = divmod(k, cols)
        for side, boards, stats, off in (
            ("generated", ev.generated, ev.gen_stats, 0),
            ("real", ev.real, ev.real_stats, cols + 1),
        ):
            ax = axes[i, j + off]
            if k < min(per_side, len(boards)):
                _draw_board(ax, boards[k], n, not stats.legal[k])
                if i == 0 and j == 0:
                    ax.set_title(side, loc="left")
            else:
                ax.axis("off")
    for i in range(rows):
        axes[i, cols].axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
