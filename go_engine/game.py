"""A Python-level game object over the compiled board: what GTP, SGF and the env use.

It owns one `State`, raises `IllegalMoveError` with a reason, keeps the move list (for undo
and SGF) and grows the history arrays for very long games.
"""

from __future__ import annotations

import numpy as np

from go_engine import board as core
from go_engine import scoring
from go_engine.rules import Rules
from go_engine.state import (
    BLACK,
    M_CAPS_B,
    M_CAPS_W,
    M_HIST_CAP,
    M_MOVE,
    M_PASSES,
    M_TO_PLAY,
    WHITE,
    State,
    grow_history,
    new_state,
)


class IllegalMoveError(ValueError):
    """A move the rules forbid; `reason` is one of board.REASONS' values."""

    def __init__(self, move: int, color: int, reason: str, text: str | None = None) -> None:
        self.move = move
        self.color = color
        self.reason = reason
        super().__init__(text or f"illegal move {move} for {color_name(color)}: {reason}")


def color_name(color: int) -> str:
    return {BLACK: "black", WHITE: "white"}.get(int(color), f"color {color}")


class Game:
    """A game of Go on an N x N board under `rules`."""

    def __init__(self, size: int = 19, rules: Rules | None = None) -> None:
        self.rules = rules or Rules()
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise ValueError(f"board size must be an integer, not {size!r}")
        self.size = int(size)
        self.state: State = new_state(self.size, self.rules)
        self.setup: list[tuple[int, int]] = []  # (action, colour) of setup stones
        self.moves: list[tuple[int, int]] = []  # (action, colour) of moves, passes included
        self.first_to_play = BLACK  # player to move after the setup stones

    # -- properties
    @property
    def pass_action(self) -> int:
        return self.size * self.size

    @property
    def to_play(self) -> int:
        return int(self.state.meta[M_TO_PLAY])

    @property
    def move_number(self) -> int:
        return int(self.state.meta[M_MOVE])

    @property
    def passes(self) -> int:
        return int(self.state.meta[M_PASSES])

    @property
    def captures(self) -> tuple[int, int]:
        """Stones captured by (Black, White)."""
        return int(self.state.meta[M_CAPS_B]), int(self.state.meta[M_CAPS_W])

    @property
    def komi(self) -> float:
        return float(self.state.komi[0])

    @property
    def hash(self) -> int:
        return int(core.compute_hash(self.state))

    def is_over(self) -> bool:
        return bool(core.is_game_over(self.state))

    # -- moves
    def legality(self, move: int, color: int | None = None) -> str | None:
        """None if legal, else the reason it is illegal."""
        color = self.to_play if color is None else int(color)
        r = int(core.legality(self.state, int(move), color))
        return None if r == core.MOVE_OK else core.REASONS[r]

    def is_legal(self, move: int, color: int | None = None) -> bool:
        return self.legality(move, color) is None

    def play(self, move: int, color: int | None = None) -> int:
        """Play `move` (action) for `color` (default: the player to move); returns captures."""
        color = self.to_play if color is None else int(color)
        move = int(move)
        if self.move_number + 2 >= int(self.state.meta[M_HIST_CAP]):
            self.state = grow_history(self.state, 2 * int(self.state.meta[M_HIST_CAP]))
        r = int(core.play(self.state, move, color))
        if r < 0:
            raise IllegalMoveError(move, color, core.REASONS[r])
        self.moves.append((move, color))
        return r

    def place_setup(self, move: int, color: int) -> None:
        """A setup / handicap stone, outside the move sequence."""
        r = int(core.set_stone(self.state, int(move), int(color)))
        if r != core.MOVE_OK:
            raise IllegalMoveError(move, color, core.REASONS[r], f"bad setup stone {move}")
        self.setup.append((int(move), int(color)))

    def set_to_play(self, color: int) -> None:
        if color not in (BLACK, WHITE):
            raise ValueError(f"bad colour {color}")
        core.set_to_play(self.state, int(color))
        if not self.moves:
            self.first_to_play = int(color)

    def set_komi(self, komi: float) -> None:
        self.rules = self.rules.with_komi(komi)
        self.state.komi[0] = float(komi)

    def legal_moves(self, color: int | None = None) -> np.ndarray:
        """bool[N*N+1] mask of legal actions."""
        color = self.to_play if color is None else int(color)
        return core.legal_mask(self.state, color)

    def undo(self) -> None:
        """Take back the last move by replaying the game without it."""
        if not self.moves:
            raise ValueError("no move to undo")
        setup, moves, first = list(self.setup), self.moves[:-1], self.first_to_play
        self.reset()
        for a, c in setup:
            self.place_setup(a, c)
        self.set_to_play(first)
        for a, c in moves:
            self.play(a, c)

    def reset(self) -> None:
        """Clear the board, keeping size and rules."""
        self.state = new_state(self.size, self.rules)
        self.setup = []
        self.moves = []
        self.first_to_play = BLACK

    def copy(self) -> Game:
        g = Game.__new__(Game)
        g.rules = self.rules
        g.size = self.size
        g.state = core.copy_state(self.state)
        g.setup = list(self.setup)
        g.moves = list(self.moves)
        g.first_to_play = self.first_to_play
        return g

    # -- views and scores
    def board(self) -> np.ndarray:
        """int8[N, N]: 0 empty, 1 black, 2 white; row 0 is the top row."""
        return core.board_colors(self.state).reshape(self.size, self.size)

    def area_score(self, dead: np.ndarray | None = None) -> float:
        """Black minus White minus komi under area scoring, `dead` stones removed."""
        if dead is None:
            return float(scoring.area_score(self.state))
        return float(scoring.area_score_dead(self.state, self._dead(dead)))

    def territory_score(self, dead: np.ndarray | None = None) -> float:
        """Black minus White minus komi under territory scoring, `dead` stones as prisoners."""
        return float(scoring.territory_score(self.state, self._dead(dead)))

    def score(self, dead: np.ndarray | None = None) -> float:
        """The score under this game's rules."""
        if self.rules.scoring == "territory":
            return self.territory_score(dead)
        return self.area_score(dead)

    def _dead(self, dead: np.ndarray | None) -> np.ndarray:
        n2 = self.size * self.size
        if dead is None:
            return np.zeros(n2, dtype=np.bool_)
        dead = np.asarray(dead, dtype=np.bool_).reshape(-1)
        if dead.shape[0] != n2:
            raise ValueError(f"dead-stone mask has {dead.shape[0]} points, expected {n2}")
        return dead

    def __str__(self) -> str:
        from go_engine.coords import board_to_text

        return board_to_text(self.board())
