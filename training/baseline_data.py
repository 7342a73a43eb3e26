"""The one data split every baseline model of the benchmark report trains and is measured on.

Training games and held-out games come from `training.split` (the CRC-32 rule every trainer of
the project uses), so the held-out games here are the same games the shipped networks never saw.
Every family (plain CNN / ResNet, LSTM, seq2seq, autoencoder, GAN, classical models) loads its
data through `load_split`, so "held-out accuracy" means the same positions everywhere:

    held-out set   the first `HELD_OUT_GAMES[N]` validation games of the sources, in archive
                   order (all of them on 9x9; 19x19 keeps 200 games, about 45,000 positions,
                   so that slow models can be measured on exactly the same positions)
    training set   the training games, optionally limited to a number of games or of
                   positions (whole games at random, seeded: the data-scale curve)

`Split` holds both as `GameRecords` plus their replayed `Positions` (boards before each move,
colour, move), and `sequences` gives each game's moves as one array, for the sequence models.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from go_engine.sgf_io import SGFGame
from training.game_records import GameRecords, Positions, ReadReport, iter_games, replay_positions
from training.split import default_fraction, is_validation

# Held-out games per board size (0: every validation game).
HELD_OUT_GAMES = {9: 0, 19: 200}


@dataclass
class DataConfig:
    """Where the games come from and how much of them to use."""

    sources: list[str]
    board_size: int = 9
    max_train_games: int = 0  # 0: all
    max_train_positions: int = 0  # 0: all (whole games, chosen at random with `seed`)
    held_out_games: int | None = None  # None: HELD_OUT_GAMES[board_size]
    fraction: float | None = None  # None: training.split's default for the board size
    seed: int = 0


@dataclass
class Part:
    """One side of the split: the games and every position of those that replay."""

    records: GameRecords
    positions: Positions

    def __len__(self) -> int:
        return len(self.positions.actions)

    @property
    def games(self) -> int:
        return int(self.positions.ok.sum())

    def sequences(self) -> list[np.ndarray]:
        """Each replayed game's moves (actions, N*N = pass) in order, setup stones left out."""
        off = self.records.move_offsets
        acts = self.records.move_actions
        return [
            acts[off[g] : off[g + 1]].astype(np.int64)
            for g in range(len(self.records))
            if self.positions.ok[g]
        ]


@dataclass
class Split:
    """Training and held-out data of one board size."""

    board_size: int
    train: Part
    held_out: Part
    report: dict = field(default_factory=dict)

    def describe(self) -> dict:
        return {
            "board_size": self.board_size,
            "train_games": self.train.games,
            "train_positions": len(self.train),
            "held_out_games": self.held_out.games,
            "held_out_positions": len(self.held_out),
            "read": self.report,
        }


def _part(board_size: int, games: Sequence[tuple[str, SGFGame]]) -> Part:
    records = GameRecords.from_games(board_size, games)
    return Part(records, replay_positions(records))


def limit_positions(
    games: list[tuple[str, SGFGame]], max_positions: int, seed: int
) -> list[tuple[str, SGFGame]]:
    """Whole games, in a seeded random order, until `max_positions` moves are reached (the
    last game is cut at the limit so the count is exact)."""
    order = np.random.default_rng(seed).permutation(len(games))
    kept: list[tuple[str, SGFGame]] = []
    total = 0
    for i in order:
        name, game = games[i]
        moves = len(game.moves)
        if total + moves > max_positions:
            left = max_positions - total
            if left > 0:
                cut = dataclasses.replace(game, moves=list(game.moves[:left]))
                kept.append((name, cut))
                total += left
            break
        kept.append((name, game))
        total += moves
    return kept


def load_split(config: DataConfig) -> Split:
    """Read the sources once and return the split (see the module docstring)."""
    n = config.board_size
    frac = default_fraction(n) if config.fraction is None else config.fraction
    limit = HELD_OUT_GAMES.get(n, 0) if config.held_out_games is None else config.held_out_games
    report = ReadReport()
    train: list[tuple[str, SGFGame]] = []
    held: list[tuple[str, SGFGame]] = []
    for name, game in iter_games(list(config.sources), n, report):
        if is_validation(name, frac):
            if not limit or len(held) < limit:
                held.append((name, game))
        elif not config.max_train_games or len(train) < config.max_train_games:
            train.append((name, game))
        elif limit and len(held) >= limit:
            break  # both sides are full: the rest of a large archive need not be parsed
    if config.max_train_positions:
        train = limit_positions(train, config.max_train_positions, config.seed)
    if not held:
        raise ValueError(f"{', '.join(config.sources)}: no held-out {n}x{n} games")
    if not train:
        raise ValueError(f"{', '.join(config.sources)}: no training {n}x{n} games")
    return Split(n, _part(n, train), _part(n, held), report.as_dict())


def held_out_only(sources: Iterable[str | os.PathLike], board_size: int) -> Part:
    """The held-out part alone (evaluation commands)."""
    frac = default_fraction(board_size)
    limit = HELD_OUT_GAMES.get(board_size, 0)
    games = (g for g in iter_games(list(sources), board_size) if is_validation(g[0], frac))
    held = list(itertools.islice(games, limit) if limit else games)
    if not held:
        raise ValueError(f"no held-out {board_size}x{board_size} games in {list(sources)}")
    return _part(board_size, held)
