"""Plots of a run folder: training losses, Elo by generation and by hours, self-play speed,
win rate against GNU Go. Read from the run's CSV files, written into `plots/`."""

from __future__ import annotations

import csv
import os
from pathlib import Path


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a run's CSV file ([] when it does not exist yet)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _num(row: dict[str, str], key: str) -> float | None:
    try:
        return float(row[key])
    except (KeyError, TypeError, ValueError):
        return None


def draw_all(run: str | os.PathLike) -> list[Path]:
    """Write every plot the run's data allows; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Path(run)
    out = run / "plots"
    out.mkdir(exist_ok=True)
    written: list[Path] = []

    def save(fig, name: str) -> None:
        path = out / name
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    metrics = read_csv(run / "metrics.csv")
    if metrics:
        fig, ax = plt.subplots(figsize=(7, 4))
        steps = [_num(r, "step") for r in metrics]
        for key in ("policy_loss", "value_loss", "ownership_loss", "score_loss"):
            if key in metrics[0]:
                ax.plot(steps, [_num(r, key) for r in metrics], label=key)
        ax.set_xlabel("training step")
        ax.set_ylabel("loss")
        ax.legend()
        save(fig, "loss.png")

    gens = read_csv(run / "generations.csv")
    with_elo = [r for r in gens if _num(r, "elo") is not None]
    if with_elo:
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        elo = [_num(r, "elo") for r in with_elo]
        axes[0].plot([_num(r, "generation") + 1 for r in with_elo], elo, marker="o")
        axes[0].set_xlabel("generation")
        axes[1].plot([_num(r, "hours") for r in with_elo], elo, marker="o")
        axes[1].set_xlabel("hours of compute")
        for ax in axes:
            ax.set_ylabel("Elo (generation 0 = 0)")
        save(fig, "elo.png")
    speed = [r for r in gens if _num(r, "games_per_hour") is not None]
    if speed:
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot([_num(r, "generation") for r in speed], [_num(r, "games_per_hour") for r in speed])
        ax.set_xlabel("generation")
        ax.set_ylabel("self-play games per hour")
        save(fig, "speed.png")

    gnugo = read_csv(run / "gnugo.csv")
    if gnugo:
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        for level in sorted({r["level"] for r in gnugo}, key=int):
            rows = [r for r in gnugo if r["level"] == level]
            rate = [_num(r, "win_rate") for r in rows]
            lo = [_num(r, "ci95_low") for r in rows]
            hi = [_num(r, "ci95_high") for r in rows]
            for ax, key in zip(axes, ("generation", "hours"), strict=True):
                x = [_num(r, key) for r in rows]
                ax.plot(x, rate, marker="o", label=f"level {level}")
                ax.fill_between(x, lo, hi, alpha=0.2)
        axes[0].set_xlabel("generation")
        axes[1].set_xlabel("hours of compute")
        for ax in axes:
            ax.set_ylabel("win rate against GNU Go")
            ax.set_ylim(0, 1)
            ax.legend()
        save(fig, "gnugo.png")
    return written
