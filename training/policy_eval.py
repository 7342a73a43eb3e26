"""Move-prediction accuracy and value error of a network over every position of some games.

`evaluate_games(net, sources)` reads the games in chunks (memory stays bounded), replays them
(`game_records`), and scores the network on every position (as it stands, or with the policy
and value averaged over the eight board symmetries, `symmetries=8`): top-1 and top-5
accuracy on the move played, policy cross-entropy, and the mean squared error of the value
against the game's result (games without a result count for the policy figures only).
`held_out=True` keeps only the games `training.split` holds out, so the figure is measured on
games no trainer of this project has seen.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Iterable

import torch

from training.game_records import GameRecords, ReadReport, iter_games, replay_positions
from training.sl_data import DevicePositions
from training.sl_train import evaluate_positions
from training.split import default_fraction, is_validation


def evaluate_games(
    net: torch.nn.Module,
    sources: Iterable[str | os.PathLike],
    *,
    held_out: bool = False,
    fraction: float | None = None,
    max_games: int = 0,
    chunk: int = 500,
    device: torch.device | str = "cpu",
    batch_size: int = 0,
    symmetries: int = 1,
    progress=None,
) -> dict[str, float]:
    """Figures over every position of the games (see the module docstring)."""
    n = net.config.board_size
    frac = default_fraction(n) if fraction is None else fraction
    report = ReadReport()
    games = iter_games(list(sources), n, report)
    if held_out:
        games = (g for g in games if is_validation(g[0], frac))
    if max_games:
        games = itertools.islice(games, max_games)
    totals = {"positions": 0.0, "policy_loss": 0.0, "top1": 0.0, "top5": 0.0}
    vse = vn = 0.0
    used = dropped = 0
    device = torch.device(device)
    channels_last = device.type == "cpu"
    batch_size = batch_size or (32 if channels_last else 512)
    if channels_last:
        # About 1.4x the CPU throughput of the default layout (10x96, 19x19, batch 32); a copy,
        # so the caller's net keeps its layout and mode.
        net = copy.deepcopy(net).to(memory_format=torch.channels_last)
    while True:
        block = list(itertools.islice(games, chunk))
        if not block:
            break
        rec = GameRecords.from_games(n, block)
        pos = replay_positions(rec, net.config.features)
        used += int(pos.ok.sum())
        dropped += int((~pos.ok).sum())
        part = DevicePositions(pos, rec, device)
        if len(part) == 0:
            continue
        f = evaluate_positions(net, [part], batch_size, symmetries, channels_last)
        k = f["positions"]
        for key in ("policy_loss", "top1", "top5"):
            totals[key] += f[key] * k
        totals["positions"] += k
        known = float(part.value_mask.sum())
        vse += f["value_mse"] * known
        vn += known
        if progress is not None:
            progress(used, int(totals["positions"]))
    p = max(totals["positions"], 1.0)
    return {
        "games": float(used),
        "games_dropped": float(dropped),
        "games_skipped": float(sum(report.skipped.values())),
        "positions": totals["positions"],
        "top1": totals["top1"] / p,
        "top5": totals["top5"] / p,
        "policy_loss": totals["policy_loss"] / p,
        "value_mse": vse / max(vn, 1.0),
    }
