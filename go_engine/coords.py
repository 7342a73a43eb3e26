"""Coordinate conversions between actions, GTP vertices and SGF points, and a text board.

Actions are the board core's move numbers: 0 .. N*N-1 in row-major order with row 0 at the
TOP, and N*N for pass. GTP vertices ("D4") count rows from the BOTTOM and skip the letter I;
SGF points ("dd") are column letter then row letter, both counted from the top-left corner.
Everything here is plain Python so that GTP, SGF and logging code need no compiled module.
"""

from __future__ import annotations

import re

import numpy as np

from go_engine.state import BLACK, EMPTY, MAX_SIZE, MIN_SIZE, WHITE

# GTP drops "I" so that it is never confused with "J" or "1"; 25 letters cap the board at 25.
GTP_COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
SGF_LETTERS = "abcdefghijklmnopqrstuvwxyz"

_VERTEX_RE = re.compile(r"([A-Za-z])([0-9]+)")


class CoordinateError(ValueError):
    """A vertex, point or action that does not name a point (or pass) on the board."""


def _check_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise CoordinateError(f"board size must be an integer, not {size!r}")
    size = int(size)
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise CoordinateError(f"board size {size} is outside {MIN_SIZE}..{MAX_SIZE}")
    return size


def _check_action(action: int, size: int) -> int:
    if isinstance(action, bool) or not isinstance(action, int | np.integer):
        raise CoordinateError(f"action must be an integer, not {action!r}")
    action = int(action)
    if not 0 <= action <= size * size:
        raise CoordinateError(
            f"action {action} is off a {size}x{size} board (0..{size * size}, {size * size} = pass)"
        )
    return action


def rowcol_to_action(row: int, col: int, size: int) -> int:
    """The action of the point at `row` (0 = top) and `col` (0 = left)."""
    size = _check_size(size)
    row, col = int(row), int(col)
    if not (0 <= row < size and 0 <= col < size):
        raise CoordinateError(f"row {row}, column {col} is off a {size}x{size} board")
    return row * size + col


def action_to_rowcol(action: int, size: int) -> tuple[int, int]:
    """(row, col) of a point action, row 0 at the top; pass has no row and raises."""
    size = _check_size(size)
    action = _check_action(action, size)
    if action == size * size:
        raise CoordinateError("pass has no row and column")
    return divmod(action, size)


def gtp_to_action(vertex: str, size: int) -> int:
    """The action of a GTP vertex: "A1" is bottom-left, "pass" is N*N; case-insensitive.

    "resign" is not a move and raises, like every other string that names no point.
    """
    size = _check_size(size)
    if not isinstance(vertex, str):
        raise CoordinateError(f"a vertex must be a string, not {vertex!r}")
    text = vertex.strip()
    if text.lower() == "pass":
        return size * size
    if text.lower() == "resign":
        raise CoordinateError("'resign' is not a vertex")
    m = _VERTEX_RE.fullmatch(text)
    if m is None:
        raise CoordinateError(f"{vertex!r} is not a GTP vertex (expected e.g. 'D4' or 'pass')")
    letter, digits = m.group(1).upper(), m.group(2)
    if letter == "I":
        raise CoordinateError(f"{vertex!r}: GTP has no column I (columns skip from H to J)")
    if digits.startswith("0"):
        raise CoordinateError(f"{vertex!r}: row numbers start at 1, without leading zeros")
    col = GTP_COLUMNS.index(letter) if letter in GTP_COLUMNS else len(GTP_COLUMNS)
    number = int(digits)
    if col >= size or number > size:
        last = GTP_COLUMNS[size - 1]
        raise CoordinateError(f"{vertex!r} is off a {size}x{size} board (A1..{last}{size})")
    return (size - number) * size + col


def action_to_gtp(action: int, size: int) -> str:
    """The GTP vertex of an action ("pass" for N*N), upper-case as GNU Go writes it."""
    size = _check_size(size)
    action = _check_action(action, size)
    if action == size * size:
        return "pass"
    row, col = divmod(action, size)
    return f"{GTP_COLUMNS[col]}{size - row}"


def sgf_to_action(point: str, size: int) -> int:
    """The action of an SGF point: "aa" is top-left; "" and, on boards up to 19, "tt" are pass.

    SGF letters are case-sensitive ("A".."Z" would be points 27..52), so on boards up to 25
    only lower-case letters name points.
    """
    size = _check_size(size)
    if isinstance(point, bytes):
        point = point.decode("ascii", "replace")
    if not isinstance(point, str):
        raise CoordinateError(f"an SGF point must be a string, not {point!r}")
    if point == "" or (point == "tt" and size <= 19):
        return size * size
    if len(point) != 2:
        raise CoordinateError(f"{point!r} is not an SGF point (expected two letters, e.g. 'dd')")
    col = SGF_LETTERS.find(point[0])
    row = SGF_LETTERS.find(point[1])
    if col < 0 or row < 0:
        raise CoordinateError(f"{point!r} is not an SGF point (expected letters a..z)")
    if col >= size or row >= size:
        last = SGF_LETTERS[size - 1]
        raise CoordinateError(f"SGF point {point!r} is off a {size}x{size} board (aa..{last * 2})")
    return row * size + col


def action_to_sgf(action: int, size: int) -> str:
    """The SGF point of an action; pass is "" (FF[4]), never the old "tt"."""
    size = _check_size(size)
    action = _check_action(action, size)
    if action == size * size:
        return ""
    row, col = divmod(action, size)
    return SGF_LETTERS[col] + SGF_LETTERS[row]


def star_points(size: int) -> list[int]:
    """Actions of the star points (hoshi) GNU Go draws: none below 7x7, 3-3 points up to 11x11
    and 4-4 points above, the centre on odd boards, and the side midpoints on odd boards from
    13x13 up."""
    size = _check_size(size)
    if size < 7:
        return []
    edge = 2 if size <= 11 else 3
    lines = [edge, size - 1 - edge]
    points = {(r, c) for r in lines for c in lines}
    if size % 2 == 1:
        mid = size // 2
        points.add((mid, mid))
        if size >= 13:
            for e in lines:
                points.update({(e, mid), (mid, e)})
    return sorted(r * size + c for r, c in points)


def board_to_text(board: np.ndarray) -> str:
    """An N x N colour array (0 empty, 1 black, 2 white; row 0 at the top) drawn like GNU Go's
    showboard: column letters above and below, row numbers on both sides, X black, O white,
    "." empty and "+" on empty star points.
    """
    arr = np.asarray(board)
    if arr.ndim == 1:
        n = int(round(arr.shape[0] ** 0.5))
        if n * n != arr.shape[0]:
            raise ValueError(f"a flat board needs a square number of points, not {arr.shape[0]}")
        arr = arr.reshape(n, n)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"expected an N x N board, got shape {arr.shape}")
    n = _check_size(arr.shape[0])
    bad = ~np.isin(arr, (EMPTY, BLACK, WHITE))
    if bad.any():
        r, c = (int(x) for x in np.argwhere(bad)[0])
        raise ValueError(f"board value {arr[r, c]} at row {r}, column {c} is not 0, 1 or 2")
    stars = set(star_points(n))
    symbol = {BLACK: "X", WHITE: "O"}
    letters = "   " + " ".join(GTP_COLUMNS[:n])
    lines = [letters]
    for r in range(n):
        cells = []
        for c in range(n):
            v = int(arr[r, c])
            if v == EMPTY:
                cells.append("+" if r * n + c in stars else ".")
            else:
                cells.append(symbol[v])
        number = n - r
        lines.append(f"{number:2d} {' '.join(cells)} {number}")
    lines.append(letters)
    return "\n".join(lines)


def max_fixed_handicap(size: int) -> int:
    """Most stones GTP's fixed placement allows: none below 7x7, 4 on 7x7 and even sizes,
    9 on odd sizes from 9x9."""
    size = _check_size(size)
    return 0 if size < 7 else 4 if size == 7 or size % 2 == 0 else 9


def handicap_points(size: int, stones: int) -> list[int]:
    """Actions of GTP's fixed handicap placement: corners first, then the sides' midpoints and
    the centre on odd boards. Allowed from 7x7 up: 2 to 4 stones on 7x7 and even sizes, 2 to 9
    on odd sizes from 9x9; anything else raises ValueError."""
    size = _check_size(size)
    if not 2 <= stones <= max_fixed_handicap(size):
        raise ValueError(f"{stones} fixed handicap stones are not allowed on {size}x{size}")
    edge = 2 if size <= 12 else 3
    lo, hi, mid = size - 1 - edge, edge, size // 2  # rows: lo is the lower line (row index)
    low_left, up_right = (lo, edge), (hi, size - 1 - edge)
    up_left, low_right = (hi, edge), (lo, size - 1 - edge)
    left, right, top, bottom, centre = (
        (mid, edge),
        (mid, size - 1 - edge),
        (hi, mid),
        (lo, mid),
        (mid, mid),
    )
    order = {
        2: [low_left, up_right],
        3: [low_left, up_right, up_left],
        4: [low_left, up_right, up_left, low_right],
        5: [low_left, up_right, up_left, low_right, centre],
        6: [low_left, up_right, up_left, low_right, left, right],
        7: [low_left, up_right, up_left, low_right, left, right, centre],
        8: [low_left, up_right, up_left, low_right, left, right, bottom, top],
        9: [low_left, up_right, up_left, low_right, left, right, bottom, top, centre],
    }[stones]
    return [r * size + c for r, c in order]
