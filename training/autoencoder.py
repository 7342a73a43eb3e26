"""A deep autoencoder of board positions, measured against PCA at the same code size.

After Hinton and Salakhutdinov (2006, "Reducing the dimensionality of data with neural
networks"): a deep encoder squeezes a position into a few numbers (the code) and a mirrored
decoder rebuilds the position from them; their comparison with PCA at the same number of
dimensions is repeated here on Go positions, with the 2-D codes of held-out positions drawn
beside the first two principal components.

Input. The board before a move, from the mover's view: each point is empty, own stone or
opponent stone (so a position and its colour-swapped twin with the other side to move are the
same input). The network reads it one-hot (3 planes of N x N).

Model (`PositionAutoencoder`). A fully connected MLP, as in the paper: 3*N*N -> 512 -> 256
-> 128 -> code (linear) and the mirror image back to 3*N*N logits, one softmax over
{empty, own, opponent} per point, trained by cross-entropy with Adam. The paper's widths
(1000-500-250) are `--hidden 1000,500,250`; the narrower default takes twice the steps in a
CPU budget and reached the same held-out error on 9x9 in a 40-second comparison. Unlike the
paper there is no layer-wise RBM pre-training; instead every hidden layer has batch norm, which
gets the deep stack off the "predict the mean board" plateau where plain ReLU layers stayed
for hundreds of steps (held-out point error 0.26 against 0.19 after 40 s on 9x9). Training
draws one of the 8 board symmetries per sample, so the codes do not learn a preferred corner.

PCA (`PCA`). The principal components of the two stone planes (own, opponent; 2*N*N numbers,
the empty plane is 1 minus both) of the same training positions, from the exact covariance
(accumulated in chunks, eigendecomposed in float64), so it scales to all training positions.

Common error measures (`reconstruction_errors`), held-out positions, for both models:
    mse          per point and plane, the mean squared error of the reconstructed own and
                 opponent planes (the autoencoder's softmax probabilities, PCA's linear values)
    point_error  the share of points whose reconstructed state, the argmax of
                 (1 - own - opponent, own, opponent), is wrong

`train_autoencoders` trains one autoencoder per code size under a shared `--minutes`/`--steps`
budget (checkpoints `RUN/ae-dK.safetensors`, kind "autoencoder", resumable), fits PCA, writes
the record `docs/results/autoencoder-N.json` and the figures `autoencoder-N-maps.png` (2-D maps
coloured by move number and by result) and `autoencoder-N-errors.png`.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from tqdm import tqdm

from training.baseline_data import DataConfig, Part, load_split
from training.checkpoint import CheckpointError
from training.module_checkpoint import load_into, read_record, save_module
from training.results_store import RESULTS_DIR, write_result
from training.torch_evaluator import select_device

KIND = "autoencoder"
EMPTY, OWN, OPP = 0, 1, 2


# ----------------------------------------------------------------------------- positions


def mover_view(boards: np.ndarray, to_play: np.ndarray) -> np.ndarray:
    """uint8[P, N*N] with 0 empty, 1 the mover's stone, 2 the opponent's, from absolute boards
    (0 empty, 1 black, 2 white) and the colour to move of each."""
    boards = np.asarray(boards)
    me = np.asarray(to_play).astype(np.uint8).reshape(-1, 1)
    view = np.where(boards == me, OWN, OPP).astype(np.uint8)
    view[boards == 0] = EMPTY
    return view


def stone_planes(view: np.ndarray) -> np.ndarray:
    """float32[P, 2*N*N]: the own plane, then the opponent plane (PCA's input)."""
    view = np.asarray(view)
    return np.concatenate([view == OWN, view == OPP], axis=1).astype(np.float32)


def symmetry_sources(n: int) -> np.ndarray:
    """int64[8, N*N]: for symmetry s, the old point each new point comes from (s & 3 quarter
    turns, then a left-right flip if s & 4, the convention of `training.sl_data.transform`)."""
    grid = np.arange(n * n).reshape(n, n)
    out = np.empty((8, n * n), np.int64)
    for s in range(8):
        g = np.rot90(grid, s & 3)
        out[s] = (g[:, ::-1] if s & 4 else g).reshape(-1)
    return out


def apply_symmetry(boards: np.ndarray, s: int) -> np.ndarray:
    """`boards` ([..., N*N]) under symmetry s of `symmetry_sources`."""
    boards = np.asarray(boards)
    n = int(round(math.sqrt(boards.shape[-1])))
    return boards[..., symmetry_sources(n)[s]]


def reconstruction_errors(view: np.ndarray, own: np.ndarray, opp: np.ndarray) -> dict[str, float]:
    """The common error measures (module docstring) of reconstructed own/opponent planes
    (float[P, N*N] each) against the true mover-view boards (uint8[P, N*N])."""
    view = np.asarray(view)
    own = np.asarray(own, np.float64)
    opp = np.asarray(opp, np.float64)
    t_own = (view == OWN).astype(np.float64)
    t_opp = (view == OPP).astype(np.float64)
    mse = 0.5 * (np.mean((own - t_own) ** 2) + np.mean((opp - t_opp) ** 2))
    guess = np.argmax(np.stack([1.0 - own - opp, own, opp]), axis=0)
    return {"mse": float(mse), "point_error": float(np.mean(guess != view))}


# ----------------------------------------------------------------------------- PCA


@dataclass
class PCA:
    """Principal components of the stone planes: mean float64[D], components float64[D, D]
    (rows, by decreasing variance), variances float64[D]."""

    mean: np.ndarray
    components: np.ndarray
    variances: np.ndarray

    @classmethod
    def fit(cls, view: np.ndarray, chunk: int = 20_000) -> PCA:
        """Fit on mover-view boards uint8[P, N*N]: the exact covariance, chunk by chunk."""
        view = np.asarray(view)
        if len(view) < 2:
            raise ValueError("PCA needs at least two positions")
        d = 2 * view.shape[1]
        total = np.zeros(d)
        gram = np.zeros((d, d))
        for i in range(0, len(view), chunk):
            x = stone_planes(view[i : i + chunk]).astype(np.float64)
            total += x.sum(0)
            gram += x.T @ x
        p = len(view)
        mean = total / p
        cov = (gram - p * np.outer(mean, mean)) / (p - 1)
        values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1]
        return cls(mean, vectors[:, order].T.copy(), np.clip(values[order], 0.0, None))

    @property
    def max_dims(self) -> int:
        return len(self.mean)

    def encode(self, view: np.ndarray, dims: int) -> np.ndarray:
        """float64[P, dims]: the coordinates on the first `dims` components."""
        return (stone_planes(view) - self.mean) @ self.components[:dims].T

    def decode(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(own, opp) planes float64[P, N*N] rebuilt from codes [P, dims]."""
        dims = codes.shape[1]
        x = codes @ self.components[:dims] + self.mean
        half = x.shape[1] // 2
        return x[:, :half], x[:, half:]

    def errors(self, view: np.ndarray, dims: int, chunk: int = 20_000) -> dict[str, float]:
        """`reconstruction_errors` of the `dims`-component reconstruction (0: the mean)."""
        if not 0 <= dims <= self.max_dims:
            raise ValueError(f"PCA has {self.max_dims} dimensions, not {dims}")
        sums = {"mse": 0.0, "point_error": 0.0}
        for i in range(0, len(view), chunk):
            part = view[i : i + chunk]
            own, opp = self.decode(self.encode(part, dims))
            for k, v in reconstruction_errors(part, own, opp).items():
                sums[k] += v * len(part)
        return {k: v / len(view) for k, v in sums.items()}


# ----------------------------------------------------------------------------- the autoencoder


@dataclass
class AutoencoderConfig:
    """Shape of one position autoencoder."""

    board_size: int = 9
    code_dims: int = 2
    hidden: list[int] = field(default_factory=lambda: [512, 256, 128])
    batch_norm: bool = True


class PositionAutoencoder(nn.Module):
    """Deep MLP encoder to a linear code and its mirror decoder (module docstring)."""

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        if config.code_dims < 1:
            raise ValueError(f"code_dims must be at least 1, not {config.code_dims}")
        self.config = config
        points = config.board_size**2
        self.encoder = self._stack([3 * points, *config.hidden], config.code_dims)
        self.decoder = self._stack([config.code_dims, *reversed(config.hidden)], 3 * points)

    def _stack(self, widths: list[int], out: int) -> nn.Sequential:
        """Linear layers of `widths` (each with batch norm when configured, then ReLU) and a
        last linear layer to `out` numbers."""
        layers: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            layers.append(nn.Linear(a, b))
            if self.config.batch_norm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(nn.ReLU())
        layers.append(nn.Linear(widths[-1], out))
        return nn.Sequential(*layers)

    def encode(self, view: torch.Tensor) -> torch.Tensor:
        """float[B, code_dims] of mover-view boards (integer [B, N*N])."""
        x = F.one_hot(view.long(), 3).to(torch.float32)  # [B, N*N, 3]
        return self.encoder(x.transpose(1, 2).reshape(len(view), -1))

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Logits float[B, 3, N*N] (empty, own, opponent) of codes [B, code_dims]."""
        return self.decoder(code).view(len(code), 3, -1)

    def forward(self, view: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(view))


def load_autoencoder(
    path: str | os.PathLike, device: torch.device | str = "cpu"
) -> tuple[PositionAutoencoder, dict[str, Any]]:
    """The autoencoder of a checkpoint (eval mode) and its record's data; errors name the file."""
    state, record = read_record(path, KIND)
    try:
        config = AutoencoderConfig(**record.config)
        model = PositionAutoencoder(config)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: bad autoencoder config ({e})") from e
    load_into(path, model, state)
    model.to(device).eval()
    return model, {"metrics": record.metrics, **record.data}


@torch.no_grad()
def encode_views(
    model: PositionAutoencoder, view: np.ndarray, batch: int = 4096, progress: bool = False
) -> np.ndarray:
    """float32[P, code_dims] codes of mover-view boards, in batches."""
    device = next(model.parameters()).device
    model.eval()
    out = np.empty((len(view), model.config.code_dims), np.float32)
    starts = range(0, len(view), batch)
    for i in tqdm(starts, desc="encoding", unit="batch", disable=not progress, leave=False):
        x = torch.from_numpy(np.ascontiguousarray(view[i : i + batch])).to(device)
        out[i : i + batch] = model.encode(x).float().cpu().numpy()
    return out


@torch.no_grad()
def autoencoder_errors(
    model: PositionAutoencoder, view: np.ndarray, batch: int = 4096
) -> dict[str, float]:
    """`reconstruction_errors` of the autoencoder on mover-view boards, plus its cross-entropy
    ("xent", nats per point)."""
    device = next(model.parameters()).device
    model.eval()
    sums = {"mse": 0.0, "point_error": 0.0, "xent": 0.0}
    for i in range(0, len(view), batch):
        part = view[i : i + batch]
        x = torch.from_numpy(np.ascontiguousarray(part)).to(device)
        logits = model(x)
        sums["xent"] += float(F.cross_entropy(logits, x.long(), reduction="mean")) * len(part)
        probs = torch.softmax(logits.float(), dim=1).cpu().numpy()
        for k, v in reconstruction_errors(part, probs[:, OWN], probs[:, OPP]).items():
            sums[k] += v * len(part)
    return {k: v / max(1, len(view)) for k, v in sums.items()}


# ----------------------------------------------------------------------------- training


@dataclass
class AETrainConfig:
    """Settings of `go-engine train autoencoder`."""

    sources: list[str] = field(default_factory=list)
    board_size: int = 9
    dims: list[int] = field(default_factory=lambda: [2, 8, 32])
    hidden: list[int] = field(default_factory=lambda: [512, 256, 128])
    batch_norm: bool = True
    run: str = ""  # "" : runs/autoencoder-N
    steps: int = 0  # per autoencoder; 0: until the time budget
    minutes: float = 6.0  # for all autoencoders together; 0: steps only
    batch_size: int = 256
    lr: float = 2e-3
    symmetries: bool = True  # a random board symmetry per training sample
    checkpoint_minutes: float = 1.0
    resume: bool = False  # continue from RUN/ae-dK.safetensors where it exists
    pca_dims: list[int] = field(default_factory=lambda: [1, 2, 4, 8, 16, 32, 64, 128])
    max_train_games: int = 0
    max_train_positions: int = 0
    held_out_games: int | None = None
    device: str = "auto"
    threads: int = 0  # torch CPU threads (0: torch's default)
    seed: int = 0
    results: str = str(RESULTS_DIR)
    name: str = ""  # "" : autoencoder-N
    map_points: int = 5000  # held-out positions drawn on the maps
    progress: bool = True

    def run_folder(self) -> Path:
        return Path(self.run or f"runs/autoencoder-{self.board_size}")

    def result_name(self) -> str:
        return self.name or f"autoencoder-{self.board_size}"


def checkpoint_path(run: str | os.PathLike, dims: int) -> Path:
    """Where the autoencoder with a `dims`-number code lives in a run folder."""
    return Path(run) / f"ae-d{dims}.safetensors"


def _lr_at(config: AETrainConfig, progress: float) -> float:
    # Cosine decay over whichever budget (steps or time) runs out first.
    return config.lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def train_one(
    config: AETrainConfig,
    dims: int,
    train_view: np.ndarray,
    held_view: np.ndarray,
    seconds: float,
    device: torch.device,
) -> tuple[PositionAutoencoder, dict[str, float]]:
    """Train (or resume) the autoencoder with a `dims`-number code for at most `seconds`
    (0: no limit) and `config.steps` steps; saves it and returns it with its figures."""
    if seconds <= 0 and config.steps <= 0:
        raise ValueError("give a time budget (--minutes) or a step budget (--steps)")
    n = config.board_size
    torch.manual_seed(config.seed + dims)
    rng = np.random.default_rng(config.seed + dims)
    model_config = AutoencoderConfig(n, dims, list(config.hidden), config.batch_norm)
    model = PositionAutoencoder(model_config).to(device)
    path = checkpoint_path(config.run_folder(), dims)
    done_steps, done_seconds = 0, 0.0
    if config.resume and path.is_file():
        state, record = read_record(path, KIND)
        if record.config != asdict(model_config):
            raise ValueError(f"{path}: saved with {record.config}, not {asdict(model_config)}")
        load_into(path, model, state)
        done_steps = int(record.data.get("steps", 0))
        done_seconds = float(record.data.get("train_seconds", 0.0))
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    data = torch.from_numpy(train_view).to(device)
    sources = torch.from_numpy(symmetry_sources(n)).to(device)

    def save(step: int, elapsed: float, metrics: dict[str, float] | None = None) -> None:
        save_module(
            path,
            model,
            KIND,
            asdict(model_config),
            metrics=metrics,
            info={"trainer": "training.autoencoder", "sources": ",".join(config.sources)},
            data={
                "steps": done_steps + step,
                "train_seconds": done_seconds + elapsed,
                "train_positions": len(train_view),
                "train_config": asdict(config),
            },
        )

    start = time.perf_counter()
    last_save = start
    step = 0
    bar = tqdm(
        total=config.steps or None, desc=f"autoencoder d={dims}", disable=not config.progress
    )
    model.train()
    while True:
        elapsed = time.perf_counter() - start
        if config.steps and step >= config.steps:
            break
        if seconds > 0 and elapsed >= seconds:
            break
        progress = max(
            step / config.steps if config.steps else 0.0, elapsed / seconds if seconds > 0 else 0.0
        )
        for group in optimiser.param_groups:
            group["lr"] = _lr_at(config, progress)
        idx = torch.from_numpy(rng.integers(0, len(train_view), config.batch_size)).to(device)
        batch = data[idx]
        if config.symmetries:
            syms = torch.from_numpy(rng.integers(0, 8, config.batch_size)).to(device)
            batch = batch.gather(1, sources[syms])
        loss = F.cross_entropy(model(batch), batch.long())
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        step += 1
        bar.update(1)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
        if time.perf_counter() - last_save > 60.0 * config.checkpoint_minutes:
            save(step, time.perf_counter() - start)  # a killed run resumes from here
            last_save = time.perf_counter()
    bar.close()
    elapsed = time.perf_counter() - start
    metrics = autoencoder_errors(model, held_view)
    metrics.update(steps=float(done_steps + step), train_seconds=done_seconds + elapsed)
    save(step, elapsed, metrics)
    return model, metrics


def _outcome_for_mover(part: Part) -> np.ndarray:
    """float[P]: +1 the mover's side won the game, -1 lost, NaN unknown or drawn."""
    res = part.records.results[part.positions.game].astype(np.float64)
    sign = np.where(part.positions.to_play == 1, 1.0, -1.0)
    out = res * sign
    out[out == 0] = np.nan
    return out


def draw_maps(
    path: str | os.PathLike,
    ae_codes: np.ndarray,
    pca_codes: np.ndarray,
    move_number: np.ndarray,
    outcome: np.ndarray,
    title: str,
) -> Path:
    """Two rows of the 2-D maps (autoencoder left, PCA right): coloured by move number, then
    by the game's result for the player to move (won / lost / unknown in grey)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 11))
    panels = [("autoencoder (2-D code)", ae_codes), ("PCA (first two components)", pca_codes)]
    for col, (label, codes) in enumerate(panels):
        ax = axes[0, col]
        sc = ax.scatter(codes[:, 0], codes[:, 1], c=move_number, s=3, cmap="viridis", alpha=0.7)
        ax.set_title(f"{label}: move number")
        fig.colorbar(sc, ax=ax, label="moves played")
        ax = axes[1, col]
        # One scatter in a shuffled order, so neither result is drawn over the other.
        shuffled = np.random.default_rng(0).permutation(len(codes))
        colours = np.where(np.isnan(outcome), "0.7", np.where(outcome > 0, "tab:blue", "tab:red"))
        ax.scatter(*codes[shuffled].T, s=3, c=colours[shuffled], alpha=0.5)
        for colour, name in (("tab:blue", "mover won"), ("tab:red", "lost"), ("0.7", "no result")):
            ax.scatter([], [], s=3, c=colour, label=name)
        ax.set_title(f"{label}: result for the player to move")
        ax.legend(markerscale=4, loc="best")
    for ax in axes.flat:
        ax.set_xlabel("code 1")
        ax.set_ylabel("code 2")
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def draw_part_maps(
    path: str | os.PathLike,
    model: PositionAutoencoder,
    pca: PCA,
    part: Part,
    title: str,
    points: int = 5000,
    seed: int = 0,
) -> Path:
    """`draw_maps` of (at most `points`, seeded) positions of `part`, by a 2-D autoencoder
    and the first two components of `pca`."""
    pos = part.positions
    view = mover_view(pos.boards, pos.to_play)
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(view), min(points, len(view)), replace=False))
    move_number = (np.arange(len(view)) - pos.first)[pick]
    ae_codes = encode_views(model, view[pick])
    pca_codes = pca.encode(view[pick], 2)
    outcome = _outcome_for_mover(part)[pick]
    return draw_maps(path, ae_codes, pca_codes, move_number, outcome, title)


def draw_errors(
    path: str | os.PathLike,
    ae: dict[int, dict[str, float]],
    pca: dict[int, dict[str, float]],
    constant: dict[str, float],
    title: str,
) -> Path:
    """Held-out error against code size, autoencoder and PCA, the mean board as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, key, label in (
        (axes[0], "mse", "mean squared error per point and plane"),
        (axes[1], "point_error", "share of points reconstructed wrong"),
    ):
        dp = sorted(pca)
        ax.plot(dp, [pca[d][key] for d in dp], "o-", label="PCA")
        da = sorted(ae)
        ax.plot(da, [ae[d][key] for d in da], "s-", label="autoencoder")
        ax.axhline(constant[key], color="0.5", ls="--", label="mean board")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("code dimensions")
        ax.set_ylabel(label)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def train_autoencoders(config: AETrainConfig) -> dict[str, Any]:
    """Train the autoencoders, fit PCA, measure both on the held-out split, write the record
    and figures; returns the record's metrics and paths."""
    if not config.sources:
        raise ValueError("no SGF sources given (--data)")
    if not config.dims or min(config.dims) < 1:
        raise ValueError(f"code dimensions must be positive, not {config.dims}")
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    device = select_device(config.device)
    n = config.board_size
    split = load_split(
        DataConfig(
            list(config.sources),
            n,
            max_train_games=config.max_train_games,
            max_train_positions=config.max_train_positions,
            held_out_games=config.held_out_games,
            seed=config.seed,
        )
    )
    train_pos, held_pos = split.train.positions, split.held_out.positions
    train_view = mover_view(train_pos.boards, train_pos.to_play)
    held_view = mover_view(held_pos.boards, held_pos.to_play)
    run = config.run_folder()
    run.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    pca = PCA.fit(train_view)
    pca_seconds = time.perf_counter() - started
    pca_dims = sorted({d for d in [*config.pca_dims, *config.dims] if d <= pca.max_dims})
    pca_err = {d: pca.errors(held_view, d) for d in pca_dims}
    constant = pca.errors(held_view, 0)

    dims = sorted(set(config.dims))
    seconds = 60.0 * config.minutes / len(dims) if config.minutes > 0 else 0.0
    ae_err: dict[int, dict[str, float]] = {}
    models: dict[int, PositionAutoencoder] = {}
    for d in dims:
        models[d], ae_err[d] = train_one(config, d, train_view, held_view, seconds, device)
    run_seconds = time.perf_counter() - started

    metrics: dict[str, float] = {
        "held_out_positions": len(held_view),
        "train_positions": len(train_view),
        # Resumed autoencoders count the training time of earlier runs too.
        "train_seconds": pca_seconds + sum(ae_err[d]["train_seconds"] for d in dims),
        "run_seconds": run_seconds,
        "pca_seconds": pca_seconds,
        "mean_mse": constant["mse"],
        "mean_point_error": constant["point_error"],
    }
    for d in dims:
        metrics[f"ae_mse_d{d}"] = ae_err[d]["mse"]
        metrics[f"ae_point_error_d{d}"] = ae_err[d]["point_error"]
        metrics[f"ae_xent_d{d}"] = ae_err[d]["xent"]
        metrics[f"ae_steps_d{d}"] = ae_err[d]["steps"]
    for d in pca_dims:
        metrics[f"pca_mse_d{d}"] = pca_err[d]["mse"]
        metrics[f"pca_point_error_d{d}"] = pca_err[d]["point_error"]

    name = config.result_name()
    folder = Path(config.results)
    figures: list[str] = []
    title = f"{n}x{n} held-out positions ({split.held_out.games} games)"
    if 2 in models:
        path = folder / f"{name}-maps.png"
        draw_part_maps(path, models[2], pca, split.held_out, title, config.map_points, config.seed)
        figures.append(str(path))
    figures.append(
        str(draw_errors(folder / f"{name}-errors.png", ae_err, pca_err, constant, title))
    )
    hidden = "-".join(str(h) for h in config.hidden)
    model_name = f"autoencoder (MLP {3 * n * n}-{hidden}-code, batch norm) vs PCA"
    record = write_result(
        name,
        KIND,
        model_name,
        n,
        metrics,
        folder=folder,
        dims=dims,
        pca_dims=pca_dims,
        figures=figures,
        checkpoints=[str(checkpoint_path(run, d)) for d in dims],
        data=split.describe(),
        config=asdict(config),
    )
    (run / "result.json").write_text(json.dumps(metrics, indent=1) + "\n")
    return {"record": str(record), "figures": figures, "metrics": metrics}
