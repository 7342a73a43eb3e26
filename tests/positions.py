"""Test helpers: Go positions from ASCII diagrams, and GTP vertices ("C3") as actions.

A diagram has one line per row, top row first (the layout of actions and `Game.board()`):

    . X O .
    X a X O
    . X O .

`X` is a Black stone, `O` a White stone, `.` or `+` an empty point, and any other lower-case
letter an empty point with a name, so that a test can refer to it (`pos.marks["a"]`). Blanks
between cells are optional. The stones are put on the board with `Game.place_setup`, which
refuses a stone without liberties or one that would capture: a diagram must be a legal position.

Vertices are converted here rather than through go_engine.coords so that these tests check the
board core on its own.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from go_engine import Game, Rules
from go_engine.state import BLACK, EMPTY, WHITE

# GTP column letters: "I" is skipped so that it cannot be confused with "J" or "1".
COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"

_STONES = {"X": BLACK, "O": WHITE}
_EMPTY = {".", "+"}
_SYMBOL = {EMPTY: ".", BLACK: "X", WHITE: "O"}
_COLOURS = {"b": BLACK, "black": BLACK, "w": WHITE, "white": WHITE}


def vertex_to_action(vertex: str, size: int) -> int:
    """Action of a GTP vertex such as "C3" (row 1 is the bottom row) or "pass" on a size board."""
    text = vertex.strip().upper()
    if text == "PASS":
        return size * size
    if len(text) < 2 or text[0] not in COLUMNS[:size] or not text[1:].isdigit():
        raise ValueError(f"bad vertex {vertex!r} for a {size}x{size} board")
    col = COLUMNS.index(text[0])
    row_from_bottom = int(text[1:])
    if not 1 <= row_from_bottom <= size:
        raise ValueError(f"bad vertex {vertex!r} for a {size}x{size} board")
    return (size - row_from_bottom) * size + col


def action_to_vertex(action: int, size: int) -> str:
    """GTP vertex of an action ("pass" for size * size)."""
    if action == size * size:
        return "pass"
    if not 0 <= action < size * size:
        raise ValueError(f"action {action} is off a {size}x{size} board")
    row, col = divmod(int(action), size)
    return f"{COLUMNS[col]}{size - row}"


def vertices(text: str, size: int) -> list[int]:
    """Actions of blank-separated vertices: vertices("C3 D4 pass", 9)."""
    return [vertex_to_action(v, size) for v in text.split()]


class Diagram(NamedTuple):
    """A parsed diagram: the stones, in reading order, and the named empty points."""

    size: int
    stones: tuple[tuple[int, int], ...]  # (action, colour)
    marks: dict[str, int]  # name -> action

    def board(self) -> np.ndarray:
        """int8[N, N] in the layout of `Game.board()`."""
        out = np.zeros(self.size * self.size, dtype=np.int8)
        for action, colour in self.stones:
            out[action] = colour
        return out.reshape(self.size, self.size)


def parse_diagram(text: str) -> Diagram:
    """Parse a diagram (see the module docstring); raises ValueError on a malformed one."""
    rows = ["".join(line.split()) for line in text.strip().splitlines()]
    rows = [r for r in rows if r]
    n = len(rows)
    if n == 0 or any(len(r) != n for r in rows):
        raise ValueError(f"a diagram must be square; got rows of lengths {[len(r) for r in rows]}")
    stones: list[tuple[int, int]] = []
    marks: dict[str, int] = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            action = r * n + c
            if ch in _STONES:
                stones.append((action, _STONES[ch]))
            elif ch in _EMPTY:
                continue
            elif ch.islower() and ch not in ("x", "o"):
                if ch in marks:
                    raise ValueError(f"mark {ch!r} appears twice")
                marks[ch] = action
            else:
                # Lower-case x and o are refused rather than guessed at: stone or mark?
                raise ValueError(f"unknown diagram symbol {ch!r}")
    return Diagram(n, tuple(stones), marks)


def embed(fragment: str, size: int, top: int = 0, left: int = 0) -> str:
    """A size x size diagram holding the (possibly rectangular) `fragment` with its top-left
    cell at row `top`, column `left`; every other point is empty."""
    rows = ["".join(line.split()) for line in fragment.strip().splitlines()]
    rows = [r for r in rows if r]
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("the rows of a fragment must have the same length")
    if top < 0 or left < 0 or top + len(rows) > size or left + width > size:
        raise ValueError(f"a {len(rows)}x{width} fragment at ({top}, {left}) leaves the board")
    grid = [["."] * size for _ in range(size)]
    for r, row in enumerate(rows):
        grid[top + r][left : left + width] = list(row)
    return "\n".join(" ".join(row) for row in grid)


def board_of(text: str) -> np.ndarray:
    """int8[N, N] board of a diagram, to compare with `Game.board()`."""
    return parse_diagram(text).board()


def render(board: np.ndarray) -> str:
    """A diagram of an int8[N, N] board (for assertion messages)."""
    return "\n".join(" ".join(_SYMBOL[int(v)] for v in row) for row in np.asarray(board))


def colour_of(to_play: int | str) -> int:
    """BLACK or WHITE from a colour code or a name ("b", "black", "W", ...)."""
    if isinstance(to_play, str):
        key = to_play.strip().lower()
        if key not in _COLOURS:
            raise ValueError(f"unknown colour {to_play!r}")
        return _COLOURS[key]
    if to_play not in (BLACK, WHITE):
        raise ValueError(f"unknown colour {to_play!r}")
    return int(to_play)


class Position(NamedTuple):
    """A game set up from a diagram, and the diagram's named points."""

    game: Game
    marks: dict[str, int]


def setup(text: str, to_play: int | str = BLACK, rules: Rules | None = None) -> Position:
    """A Game whose board is the diagram, with `to_play` to move and no move played yet."""
    diagram = parse_diagram(text)
    game = Game(diagram.size, rules)
    for action, colour in diagram.stones:
        game.place_setup(action, colour)
    game.set_to_play(colour_of(to_play))
    # A setup stone that captured or vanished would give a position other than the one drawn.
    if not np.array_equal(game.board(), diagram.board()):
        raise ValueError(f"the diagram is not a legal position:\n{text}")
    return Position(game, diagram.marks)


def assert_board(game: Game, expected: str) -> None:
    """Assert that the game's board is the diagram `expected`, showing both if not."""
    want = board_of(expected)
    got = game.board()
    assert np.array_equal(got, want), f"board\n{render(got)}\nexpected\n{render(want)}"


def neighbours(a: int, n: int) -> list[int]:
    """The on-board neighbours of action a on an n x n board."""
    r, c = divmod(a, n)
    out = []
    if r > 0:
        out.append(a - n)
    if r < n - 1:
        out.append(a + n)
    if c > 0:
        out.append(a - 1)
    if c < n - 1:
        out.append(a + 1)
    return out
