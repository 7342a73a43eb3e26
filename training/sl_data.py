"""Training batches from game-record shards: AlphaGo Zero planes built in torch, 8 symmetries.

`agz_features` builds exactly the 17 planes of `go_engine.features.agz_planes` from the board
arrays of `game_records.replay_positions` (the board before each move; history stops at the
game's first position), on whatever device the boards are on, so a GPU trainer never waits for
the CPU. `PositionStream` walks the training shards in a seeded order, a few shards at a time
(memory stays bounded by `shards_per_group`), shuffles the positions of each group and yields
batches with a random board symmetry per sample. With the "extended" feature set the 21
planes of `go_engine.features.extended_planes` are computed in Numba when a shard is loaded
(they need ladder reading, which has no torch form) and kept as bytes. The stream's cursor
(epoch, group, batch) is saved in checkpoints so an interrupted run continues with the next
batch it had not trained on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from training.game_records import GameRecords, Positions, replay_positions

HISTORY = 8
AGZ_PLANES = 2 * HISTORY + 1


@dataclass
class Batch:
    """One batch: planes [B, 17, N, N], policy targets [B] (action), value targets [B] (for
    the player to move; 0 where `value_mask` is 0)."""

    planes: torch.Tensor
    policy: torch.Tensor
    value: torch.Tensor
    value_mask: torch.Tensor


class DevicePositions:
    """The arrays of `Positions` (plus each position's value target) as tensors on a device;
    with extended planes, those too (as bytes)."""

    def __init__(self, pos: Positions, records: GameRecords, device: torch.device) -> None:
        self.n = records.board_size
        self.planes = None if pos.planes is None else torch.from_numpy(pos.planes).to(device)
        self.boards = torch.from_numpy(pos.boards).to(device)
        self.to_play = torch.from_numpy(pos.to_play.astype(np.int64)).to(device)
        self.actions = torch.from_numpy(pos.actions.astype(np.int64)).to(device)
        self.first = torch.from_numpy(pos.first).to(device)
        result = records.results[pos.game]  # +1 black won
        sign = np.where(pos.to_play == 1, 1.0, -1.0).astype(np.float32)
        known = ~np.isnan(result)
        self.value = torch.from_numpy(np.where(known, result * sign, 0.0).astype(np.float32)).to(
            device
        )
        self.value_mask = torch.from_numpy(known.astype(np.float32)).to(device)

    def __len__(self) -> int:
        return int(self.actions.shape[0])


def agz_features(data: DevicePositions, idx: torch.Tensor) -> torch.Tensor:
    """float32[B, 17, N, N]: the AGZ planes of positions `idx` (see the module docstring)."""
    n = data.n
    k = torch.arange(HISTORY, device=idx.device)
    hist = idx[:, None] - k[None, :]  # [B, 8]
    valid = hist >= data.first[idx][:, None]
    boards = data.boards[hist.clamp(min=0)]  # [B, 8, N*N]
    me = data.to_play[idx].to(torch.uint8)[:, None, None]
    own = (boards == me) & valid[:, :, None]
    opp = (boards == 3 - me) & valid[:, :, None]
    black = (me == 1).expand(-1, 1, n * n)
    planes = torch.cat([own, opp, black], dim=1).to(torch.float32)
    return planes.view(-1, AGZ_PLANES, n, n)


def symmetry_tables(n: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """int64[2, 8, N*N+1]: for each of the 8 symmetries of `transform`, [0] where each action
    goes (new index of an old action) and [1] which old point each new point comes from."""
    grid = torch.arange(n * n).view(1, 1, n, n)
    new_of_old = torch.empty(8, n * n + 1, dtype=torch.int64)
    old_of_new = torch.empty(8, n * n + 1, dtype=torch.int64)
    for s in range(8):
        src = transform(grid, s).flatten()  # new index i holds old index src[i]
        old_of_new[s, : n * n] = src
        new_of_old[s, src] = torch.arange(n * n)
        new_of_old[s, n * n] = old_of_new[s, n * n] = n * n  # pass stays pass
    return torch.stack([new_of_old, old_of_new]).to(device)


def transform(x: torch.Tensor, s: int) -> torch.Tensor:
    """Symmetry s (0..7) of the last two dims: s & 3 quarter turns, then a flip if s & 4."""
    y = torch.rot90(x, s & 3, dims=(-2, -1))
    return torch.flip(y, dims=(-1,)) if s & 4 else y


def apply_symmetries(
    planes: torch.Tensor, actions: torch.Tensor, syms: torch.Tensor, tables: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each sample b under symmetry syms[b]: planes transformed, actions mapped to match.
    One gather for the whole batch (no per-symmetry masks, so no device synchronisation)."""
    b, c, n, _ = planes.shape
    src = tables[1, syms, : n * n]  # [B, N*N]
    flat = planes.reshape(b, c, n * n).gather(2, src[:, None, :].expand(b, c, n * n))
    return flat.view(b, c, n, n), tables[0, syms, actions]


def features(data: DevicePositions, idx: torch.Tensor) -> torch.Tensor:
    """The input planes of positions `idx`: the stored extended planes when the positions
    carry them, else the AGZ planes built from the boards."""
    if data.planes is not None:
        return data.planes[idx].to(torch.float32)
    return agz_features(data, idx)


def make_batch(
    data: DevicePositions,
    idx: torch.Tensor,
    tables: torch.Tensor | None = None,
    syms: torch.Tensor | None = None,
) -> Batch:
    """The batch of positions `idx`; with `tables` and `syms`, sample b under symmetry syms[b]."""
    planes = features(data, idx)
    actions = data.actions[idx]
    if tables is not None and syms is not None:
        planes, actions = apply_symmetries(planes, actions, syms.to(idx.device), tables)
    return Batch(planes, actions, data.value[idx], data.value_mask[idx])


@dataclass
class Cursor:
    """Where a stream is: the epoch, the group of shards in it, and batches already taken."""

    epoch: int = 0
    group: int = 0
    batch: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "group": self.group, "batch": self.batch}


class PositionStream:
    """Endless training batches from shard files (see the module docstring)."""

    def __init__(
        self,
        shards: list[Path],
        batch_size: int,
        device: torch.device,
        seed: int = 0,
        shards_per_group: int = 4,
        symmetries: bool = True,
        cursor: Cursor | None = None,
        feature_set: str = "agz",
    ) -> None:
        if not shards:
            raise ValueError("no training shards")
        self.shards = list(shards)
        self.batch_size = batch_size
        self.device = device
        self.seed = seed
        self.shards_per_group = max(1, shards_per_group)
        self.symmetries = symmetries
        self.cursor = cursor or Cursor()
        self.feature_set = feature_set
        self._tables: torch.Tensor | None = None

    @property
    def groups_per_epoch(self) -> int:
        return math.ceil(len(self.shards) / self.shards_per_group)

    def _group_shards(self, epoch: int, group: int) -> list[Path]:
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.shards))
        take = order[group * self.shards_per_group : (group + 1) * self.shards_per_group]
        return [self.shards[i] for i in sorted(take)]

    def __iter__(self) -> Iterator[Batch]:
        while True:
            c = self.cursor
            records = [GameRecords.load(p) for p in self._group_shards(c.epoch, c.group)]
            parts = [
                DevicePositions(replay_positions(r, self.feature_set), r, self.device)
                for r in records
            ]
            if self._tables is None:
                self._tables = symmetry_tables(records[0].board_size, self.device)
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + c.epoch * 1009 + c.group)
            yield from self._group_batches(parts, gen)
            c.group += 1
            c.batch = 0
            if c.group >= self.groups_per_epoch:
                c.group = 0
                c.epoch += 1

    def _group_batches(self, parts: list[DevicePositions], gen: torch.Generator) -> Iterator[Batch]:
        # Positions of the whole group in one random order: (part, index) pairs.
        sizes = [len(p) for p in parts]
        total = sum(sizes)
        order = torch.randperm(total, generator=gen)
        bounds = np.cumsum([0, *sizes])
        batches = total // self.batch_size
        tables = self._tables if self.symmetries else None
        # One draw of symmetries per batch, also for batches a resumed run skips, so a resumed
        # run sees exactly the batches an uninterrupted one would.
        syms = [torch.randint(0, 8, (self.batch_size,), generator=gen) for _ in range(batches)]
        while self.cursor.batch < batches:
            b = self.cursor.batch
            sel = order[b * self.batch_size : (b + 1) * self.batch_size]
            pieces = []
            for i, part in enumerate(parts):
                m = (sel >= int(bounds[i])) & (sel < int(bounds[i + 1]))
                if bool(m.any()):
                    local = (sel[m] - int(bounds[i])).to(self.device)
                    pieces.append(make_batch(part, local, tables, syms[b][m]))
            self.cursor.batch += 1
            yield _concat(pieces)


def _concat(pieces: list[Batch]) -> Batch:
    if len(pieces) == 1:
        return pieces[0]
    return Batch(
        torch.cat([p.planes for p in pieces]),
        torch.cat([p.policy for p in pieces]),
        torch.cat([p.value for p in pieces]),
        torch.cat([p.value_mask for p in pieces]),
    )


def validation_set(
    shards: list[Path],
    device: torch.device,
    max_positions: int = 0,
    feature_set: str = "agz",
) -> list[DevicePositions]:
    """The held-out positions (all, or an evenly spread `max_positions` of them)."""
    parts = []
    total = 0
    for p in shards:
        rec = GameRecords.load(p)
        parts.append(DevicePositions(replay_positions(rec, feature_set), rec, device))
        total += len(parts[-1])
        if max_positions and total >= 4 * max_positions:
            break  # enough to draw from: later shards would only cost memory
    total = sum(len(p) for p in parts)
    if max_positions and total > max_positions:
        keep = max_positions / total
        for part in parts:
            count = len(part)
            pick = torch.from_numpy(
                np.unique(np.linspace(0, count - 1, max(1, int(count * keep))).astype(np.int64))
            )
            part.subset = pick.to(device)  # type: ignore[attr-defined]
    return parts
