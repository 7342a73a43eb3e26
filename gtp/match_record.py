"""A finished `go-engine match` folder as a "strength" record of the benchmark report.

The match runner keeps its games in the folder (results.jsonl); `match_record` summarises them
(`gtp.match.summarize`: wins, Wilson 95% interval, Elo difference) and stores the figures with
`training.results_store`, so `go-engine bench report` can show the strength ladder without the
match folders, which stay out of the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

from gtp.match import load_results, summarize
from training.results_store import RESULTS_DIR, write_result


def match_record(
    folder: str | os.PathLike,
    name: str,
    label: str,
    board_size: int,
    opponent: str,
    results: str | os.PathLike = RESULTS_DIR,
    command: str | None = None,
) -> Path:
    """Store the finished games of the match in `folder` as record `name`; returns its path."""
    games = load_results(folder)
    if not games:
        raise ValueError(f"{folder}: no finished games (results.jsonl)")
    s = summarize(games)
    lo, hi = s["a_win_rate_ci95"]
    metrics = {
        "games": s["games"],
        "wins": s["a_wins"],
        "draws": s["draws"],
        "win_rate": s["a_win_rate"],
        "ci95_low": lo,
        "ci95_high": hi,
        "elo": s["a_elo"],
        "seconds_per_move": s["mean_seconds_per_move"]["A"],
    }
    extra = {"opponent": opponent, "match_folder": str(folder)}
    if command:
        extra["command"] = command
    return write_result(name, "strength", label, board_size, metrics, results, **extra)
