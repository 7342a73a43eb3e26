"""Tests for go_engine.coords: GTP and SGF coordinates, row/column helpers, the text board."""

from __future__ import annotations

import numpy as np
import pytest
from sgfmill import common as sgf_common
from sgfmill import sgf_properties

from go_engine import Game
from go_engine.coords import (
    CoordinateError,
    action_to_gtp,
    action_to_rowcol,
    action_to_sgf,
    board_to_text,
    gtp_to_action,
    rowcol_to_action,
    sgf_to_action,
    star_points,
)

SIZES = range(5, 26)


@pytest.mark.parametrize("size", SIZES)
def test_round_trips_on_every_point(size: int) -> None:
    n2 = size * size
    gtp = [action_to_gtp(a, size) for a in range(n2 + 1)]
    sgf = [action_to_sgf(a, size) for a in range(n2 + 1)]
    assert len(set(gtp)) == n2 + 1 and len(set(sgf)) == n2 + 1
    for a in range(n2 + 1):
        assert gtp_to_action(gtp[a], size) == a
        assert gtp_to_action(gtp[a].lower(), size) == a
        assert sgf_to_action(sgf[a], size) == a
    for a in range(n2):
        r, c = action_to_rowcol(a, size)
        assert rowcol_to_action(r, c, size) == a
        assert (r, c) == (a // size, a % size)
    assert gtp[n2] == "pass" and sgf[n2] == ""


@pytest.mark.parametrize("size", SIZES)
def test_agrees_with_sgfmill_conventions(size: int) -> None:
    # sgfmill counts rows from the bottom; actions count them from the top.
    for a in range(size * size):
        r, c = divmod(a, size)
        point = (size - 1 - r, c)
        assert action_to_gtp(a, size) == sgf_common.format_vertex(point)
        assert action_to_sgf(a, size) == sgf_properties.serialise_go_point(point, size).decode()


def test_corners_and_orientation() -> None:
    assert gtp_to_action("A1", 19) == 18 * 19  # bottom-left is the last row
    assert gtp_to_action("A19", 19) == 0
    assert gtp_to_action("T19", 19) == 18
    assert gtp_to_action("T1", 19) == 19 * 19 - 1
    assert gtp_to_action("  d4 ", 19) == 15 * 19 + 3
    assert sgf_to_action("aa", 19) == 0
    assert sgf_to_action("sa", 19) == 18  # first letter is the column
    assert sgf_to_action("as", 19) == 18 * 19
    assert action_to_sgf(15 * 19 + 3, 19) == "dp"
    assert action_to_gtp(np.int64(40), 9) == "E5"


def test_i_is_skipped() -> None:
    assert action_to_gtp(7, 9) == "H9"
    assert action_to_gtp(8, 9) == "J9"
    assert gtp_to_action("J9", 9) == 8
    assert gtp_to_action("Z1", 25) == 24 * 25 + 24
    for bad in ("I5", "i5"):
        with pytest.raises(CoordinateError, match="no column I"):
            gtp_to_action(bad, 19)


def test_pass_spellings() -> None:
    assert gtp_to_action("PASS", 9) == 81
    assert gtp_to_action("Pass", 9) == 81
    assert sgf_to_action("", 9) == 81
    assert sgf_to_action("tt", 19) == 361
    # On boards above 19, "tt" is an ordinary point (column 20, row 20).
    assert sgf_to_action("tt", 21) == 19 * 21 + 19


@pytest.mark.parametrize(
    "vertex, size",
    [
        ("", 9),
        ("resign", 9),
        ("A", 9),
        ("5", 9),
        ("AA1", 19),
        ("A0", 9),
        ("A05", 9),
        ("A-1", 9),
        ("K1", 9),  # column 10 on a 9x9 board
        ("A10", 9),
        ("T20", 19),
        ("D4 D5", 19),
        ("é4", 19),
    ],
)
def test_bad_gtp_vertices(vertex: str, size: int) -> None:
    with pytest.raises(CoordinateError):
        gtp_to_action(vertex, size)


def test_bad_sizes_and_actions() -> None:
    with pytest.raises(CoordinateError, match="26"):
        gtp_to_action("A1", 26)
    with pytest.raises(CoordinateError):
        action_to_gtp(0, 26)
    with pytest.raises(CoordinateError):
        sgf_to_action("aa", 1)
    with pytest.raises(CoordinateError):
        gtp_to_action("A1", 9.0)  # type: ignore[arg-type]
    for bad in (-1, 82):
        with pytest.raises(CoordinateError):
            action_to_gtp(bad, 9)
        with pytest.raises(CoordinateError):
            action_to_sgf(bad, 9)
    with pytest.raises(CoordinateError):
        action_to_gtp(True, 9)  # type: ignore[arg-type]
    with pytest.raises(CoordinateError, match="pass"):
        action_to_rowcol(81, 9)
    with pytest.raises(CoordinateError):
        rowcol_to_action(9, 0, 9)
    with pytest.raises(CoordinateError):
        rowcol_to_action(0, -1, 9)


@pytest.mark.parametrize("point", ["a", "abc", "jj", "aj", "AA", "a1", "zz", "a:"])
def test_bad_sgf_points(point: str) -> None:
    with pytest.raises(CoordinateError):
        sgf_to_action(point, 9)


def test_star_points() -> None:
    as_gtp = {n: sorted(action_to_gtp(a, n) for a in star_points(n)) for n in (7, 9, 13, 19)}
    assert as_gtp[9] == ["C3", "C7", "E5", "G3", "G7"]
    assert as_gtp[7] == ["C3", "C5", "D4", "E3", "E5"]
    assert len(as_gtp[13]) == 9 and {"D4", "K10", "G7", "D7"} <= set(as_gtp[13])
    assert as_gtp[19] == sorted(f"{c}{r}" for c in "DKQ" for r in (4, 10, 16))
    assert star_points(5) == [] and star_points(6) == []
    assert len(star_points(10)) == 4  # even boards: corners only


def test_board_to_text_9x9() -> None:
    g = Game(9)
    g.play(gtp_to_action("E5", 9))  # Black on the centre star point
    g.play(gtp_to_action("C3", 9))  # White on a corner star point
    g.play(gtp_to_action("A9", 9))
    expected = "\n".join(
        [
            "   A B C D E F G H J",
            " 9 X . . . . . . . . 9",
            " 8 . . . . . . . . . 8",
            " 7 . . + . . . + . . 7",
            " 6 . . . . . . . . . 6",
            " 5 . . . . X . . . . 5",
            " 4 . . . . . . . . . 4",
            " 3 . . O . . . + . . 3",
            " 2 . . . . . . . . . 2",
            " 1 . . . . . . . . . 1",
            "   A B C D E F G H J",
        ]
    )
    assert board_to_text(g.board()) == expected
    assert str(g) == expected
    assert board_to_text(g.board().reshape(-1)) == expected


def test_board_to_text_19x19_layout() -> None:
    board = np.zeros((19, 19), dtype=np.int8)
    board[18, 18] = 2  # T1
    lines = board_to_text(board).split("\n")
    assert len(lines) == 21
    assert lines[0] == "   " + " ".join("ABCDEFGHJKLMNOPQRST")
    assert lines[1].startswith("19 .") and lines[1].endswith(". 19")
    assert lines[19] == " 1 " + " ".join("." * 18 + "O") + " 1"
    assert lines[4] == "16 " + " ".join("...+.....+.....+...") + " 16"
    assert sum(line.count("+") for line in lines) == 9


def test_board_to_text_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        board_to_text(np.zeros((3, 4), dtype=np.int8))
    with pytest.raises(ValueError):
        board_to_text(np.full((9, 9), 3, dtype=np.int8))
    with pytest.raises(ValueError):
        board_to_text(np.zeros(80, dtype=np.int8))
