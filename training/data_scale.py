"""The data-scale benchmark: move-prediction accuracy against the number of training positions.

For each training-set size (whole games drawn at random until the size is reached, seeded, so a
smaller set is not a prefix of a larger one's order but every model sees the same set at a given
size: `training.baseline_data.limit_positions`) every model is trained from scratch and measured
on the same held-out positions. Models:

    linear, boosting, forest,  the classical models on hand-made move features and the
    rollout                    rollout policy's linear softmax (`training.classical.fit_and_score`)
    small-net, large-net       policy networks trained in memory (`training.net_baseline`),
                               the same number of steps at every size (with random symmetries;
                               a small set is seen many times, which is how it overfits)

The finished points are kept in `RUN/points.json` after each one (atomically), so a killed run
resumes with the next point; the record (`data-scale-N`) and its plot are written at the end.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from go_engine.files import atomic_write
from training.baseline_data import DataConfig, Split, load_split
from training.net_baseline import NetFitConfig, describe, fit_net, score_net
from training.results_store import RESULTS_DIR, write_result

CLASSICAL = ("linear", "boosting", "forest", "rollout")
NETS = {
    "small-net": NetFitConfig(arch="resnet", blocks=1, channels=32),
    "large-net": NetFitConfig(arch="resnet", blocks=4, channels=48),
}


@dataclass
class ScaleConfig:
    """One data-scale run."""

    sources: list[str]
    board_size: int = 9
    sizes: list[int] = field(default_factory=lambda: [1000, 3000, 10000, 0])  # 0: all
    models: list[str] = field(default_factory=lambda: [*CLASSICAL, *NETS])
    run: str = "runs/data-scale"
    results: str = str(RESULTS_DIR)
    net_steps: int = 1200  # the same for every size: small sets are seen more often
    device: str = "cpu"
    seed: int = 0


def _fit_one(model: str, split: Split, config: ScaleConfig) -> dict[str, float]:
    if model in CLASSICAL:
        from training.classical import ClassicalConfig, fit_and_score

        return fit_and_score(model, split, ClassicalConfig(seed=config.seed))
    if model in NETS:
        fit = replace(
            NETS[model],
            min_steps=config.net_steps,
            max_steps=config.net_steps,
            device=config.device,
            seed=config.seed,
        )
        net, info = fit_net(split.train, fit)
        return {**score_net(net, split.held_out, config.device), **info}
    raise ValueError(f"unknown model {model!r}; known: {', '.join([*CLASSICAL, *NETS])}")


def model_label(model: str, board_size: int) -> str:
    if model in NETS:
        return f"{model}: {describe(NETS[model], board_size)}"
    return {
        "linear": "linear softmax (dense features)",
        "boosting": "gradient boosting",
        "forest": "random forest",
        "rollout": "rollout policy (linear softmax, hashed patterns)",
    }[model]


def run_scale(config: ScaleConfig, log: Callable[[str], None] = print) -> tuple[list[dict], Path]:
    """Measure every (size, model) point not yet in the run folder; returns the points and
    the record's path."""
    run = Path(config.run)
    run.mkdir(parents=True, exist_ok=True)
    store = run / "points.json"
    points: list[dict] = json.loads(store.read_text()) if store.exists() else []
    done = {(p["model"], p["size"]) for p in points}
    for size in config.sizes:
        todo = [m for m in config.models if (m, size) not in done]
        if not todo:
            continue
        split = load_split(
            DataConfig(
                list(config.sources),
                config.board_size,
                max_train_positions=size,
                seed=config.seed,
            )
        )
        for model in todo:
            figures = _fit_one(model, split, config)
            point = {
                "model": model,
                "label": model_label(model, config.board_size),
                "size": size,
                "train_positions": len(split.train),
                "train_games": split.train.games,
                "top1": float(figures["top1"]),
                "top5": float(figures.get("top5", math.nan)),
                "train_seconds": float(figures.get("train_seconds", math.nan)),
            }
            points.append(point)
            atomic_write(store, json.dumps(points, indent=1))
            log(
                f"{len(split.train):>8} positions  {point['label']:<45} "
                f"top-1 {100 * point['top1']:.1f}%"
            )
    name = f"data-scale-{config.board_size}"
    plot = Path(config.results) / f"{name}.png"
    plot_points(points, config.board_size, plot)
    path = write_result(
        name,
        "data_scale",
        "move prediction against training positions",
        config.board_size,
        {"points": len(points)},
        config.results,
        points=[{k: v for k, v in p.items() if not _isnan(v)} for p in points],
        plots=[str(plot)],
    )
    return points, path


def _isnan(v: object) -> bool:
    return isinstance(v, float) and math.isnan(v)


def plot_points(points: list[dict], board_size: int, path: Path) -> None:
    """Top-1 accuracy against training positions (log scale), one line per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label in dict.fromkeys(p["label"] for p in points):
        ps = sorted((p for p in points if p["label"] == label), key=lambda p: p["train_positions"])
        ax.plot(
            [p["train_positions"] for p in ps],
            [100 * p["top1"] for p in ps],
            marker="o",
            label=label,
        )
    ax.set_xscale("log")
    ax.set_xlabel("training positions")
    ax.set_ylabel("held-out top-1 accuracy, %")
    ax.set_title(f"{board_size}x{board_size}: more data helps large networks most?")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
