"""Move choosers behind the GTP engine and the match runner.

A player turns a game position into a move. The registry maps `--player` names to factories;
later layers (network, MCTS) register theirs here. The best player that exists is the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from go_engine import board as core
from go_engine.game import Game


class Player(Protocol):
    """Anything that can choose a move for `color` in `game` (an action; pass = N*N)."""

    name: str

    def genmove(self, game: Game, color: int) -> int: ...


@dataclass
class PlayerConfig:
    """Options common to every player (budgets are read by the players that search)."""

    seed: int | None = None
    visits: int | None = None
    seconds: float | None = None


class RandomPlayer:
    """Uniform among legal moves (superko respected) that do not fill one's own single-point
    eye; passes only when nothing else is left. The baseline every other player must beat."""

    name = "random"

    def __init__(self, config: PlayerConfig | None = None) -> None:
        config = config or PlayerConfig()
        self.rng = np.random.default_rng(config.seed)

    def genmove(self, game: Game, color: int) -> int:
        legal = game.legal_moves(color)[:-1]
        candidates = [
            a for a in np.flatnonzero(legal) if not core.is_eye(game.state, int(a), int(color))
        ]
        if not candidates:
            return game.pass_action
        return int(candidates[int(self.rng.integers(len(candidates)))])


PLAYERS: dict[str, Callable[[PlayerConfig], Player]] = {"random": RandomPlayer}
DEFAULT_PLAYER = "random"


def make_player(name: str, config: PlayerConfig | None = None) -> Player:
    """The player registered under `name`."""
    if name not in PLAYERS:
        raise ValueError(f"unknown player {name!r}; available: {', '.join(sorted(PLAYERS))}")
    return PLAYERS[name](config or PlayerConfig())
