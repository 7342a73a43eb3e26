"""Known-position tests of the board core: captures, ko and superko, suicide, eyes,
liberties, passes, history growth, undo, copies, board sizes and random playouts.

Positions are drawn as diagrams (tests/positions.py); every test asserts the exact outcome:
the board, the capture counters and, for refused moves, the reason.
"""

from __future__ import annotations

import numpy as np
import pytest
from positions import (
    action_to_vertex,
    assert_board,
    board_of,
    embed,
    parse_diagram,
    setup,
    vertex_to_action,
    vertices,
)

from go_engine import Game, IllegalMoveError, Rules
from go_engine import board as core
from go_engine.playout import default_max_moves, playout, playout_inplace, random_move
from go_engine.rng import make_rng
from go_engine.scoring import area_score, territory_score
from go_engine.state import (
    BLACK,
    M_CAPS_B,
    M_CAPS_W,
    M_HASH,
    M_HIST_CAP,
    M_PASSES,
    M_TO_PLAY,
    MAX_SIZE,
    MIN_SIZE,
    WHITE,
    State,
    default_history_capacity,
    new_state,
)

SIMPLE = Rules(ko="simple")
POSITIONAL = Rules(ko="positional")
SITUATIONAL = Rules(ko="situational")
ALL_KO = [SIMPLE, POSITIONAL, SITUATIONAL]


def caps(game: Game) -> tuple[int, int]:
    """The capture counters straight from the state: (by Black, by White)."""
    return int(game.state.meta[M_CAPS_B]), int(game.state.meta[M_CAPS_W])


def head(game: Game, action: int) -> int:
    return int(game.state.head[game.state.a2p[action]])


def hash_ok(game: Game) -> bool:
    return int(game.state.meta[M_HASH]) == int(core.compute_hash(game.state))


# ----------------------------------------------------------------------------- helpers


def test_vertex_conversion_follows_gtp() -> None:
    assert vertex_to_action("A19", 19) == 0
    assert vertex_to_action("T19", 19) == 18
    assert vertex_to_action("A1", 19) == 18 * 19
    assert vertex_to_action("T1", 19) == 19 * 19 - 1
    assert vertex_to_action("J1", 9) == 80  # no I column
    assert vertex_to_action("c3", 5) == 2 * 5 + 2
    assert vertex_to_action("pass", 9) == 81
    for n in (2, 9, 19, 25):
        for a in range(n * n + 1):
            assert vertex_to_action(action_to_vertex(a, n), n) == a
    for bad in ("I5", "A0", "A20", "Z1", "", "5A"):
        with pytest.raises(ValueError):
            vertex_to_action(bad, 19)


def test_diagram_parsing() -> None:
    d = parse_diagram(
        """
        . X O
        a + X
        O . b
        """
    )
    assert d.size == 3
    assert d.stones == ((1, BLACK), (2, WHITE), (5, BLACK), (6, WHITE))
    assert d.marks == {"a": 3, "b": 8}
    pos = setup("X O .\n. . .\n. . .", to_play="white")
    assert pos.game.to_play == WHITE
    assert pos.game.board()[0].tolist() == [BLACK, WHITE, 0]
    with pytest.raises(ValueError):
        parse_diagram(". X\n. . .")  # not square
    with pytest.raises(ValueError):
        setup("X O\nO .")  # the black stone would have no liberty


# ----------------------------------------------------------------------------- captures


@pytest.mark.parametrize("size", [5, 9, 13, 19])
def test_single_stone_capture(size: int) -> None:
    mid = size // 2 - 1
    g, m = setup(embed(". X .\nX O a\n. X .", size, mid, mid))
    assert g.legality(m["a"]) is None
    assert g.play(m["a"]) == 1
    assert_board(g, embed(". X .\nX . X\n. X .", size, mid, mid))
    assert caps(g) == (1, 0)
    assert g.to_play == WHITE
    assert hash_ok(g)


@pytest.mark.parametrize("size", [7, 13])
def test_multi_stone_captures(size: int) -> None:
    g, m = setup(embed(". X X X .\nX O O O a\n. X X X .", size, 1, 1))
    assert g.play(m["a"]) == 3
    assert_board(g, embed(". X X X .\nX . . . X\n. X X X .", size, 1, 1))
    assert caps(g) == (3, 0)

    # A bent chain, captured from the point that is its last liberty.
    g, m = setup(embed(". X X .\nX O O X\nX O a X\n. X X .", size, 2, 2), to_play=BLACK)
    assert g.play(m["a"]) == 3
    assert_board(g, embed(". X X .\nX . . X\nX . X X\n. X X .", size, 2, 2))
    assert caps(g) == (3, 0)


def test_capture_of_two_chains_at_once() -> None:
    g, m = setup(
        """
        . X . X X . .
        X O a O O X .
        . X . X X . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        """
    )
    assert g.play(m["a"]) == 3
    assert_board(
        g,
        """
        . X . X X . .
        X . X . . X .
        . X . X X . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        """,
    )
    assert caps(g) == (3, 0)
    assert int(g.state.meta[core.M_KO]) == -1  # two stones taken: no ko


def test_white_captures_count_for_white() -> None:
    g, m = setup(embed(". O .\nO X a\n. O .", 9, 3, 3), to_play=WHITE)
    assert g.play(m["a"]) == 1
    assert caps(g) == (0, 1)
    assert g.captures == (0, 1)
    assert g.to_play == BLACK


@pytest.mark.parametrize("edge", ["top", "bottom", "left", "right"])
def test_capture_on_the_edge(edge: str) -> None:
    # On 13x13, GTP vertices: the white stone on the edge, black on both sides of it.
    white, black, move = {
        "top": ("G13", "F13 H13", "G12"),
        "bottom": ("G1", "F1 H1", "G2"),
        "left": ("A7", "A8 A6", "B7"),
        "right": ("N7", "N8 N6", "M7"),
    }[edge]
    g = Game(13)
    g.place_setup(vertex_to_action(white, 13), WHITE)
    for a in vertices(black, 13):
        g.place_setup(a, BLACK)
    assert g.play(vertex_to_action(move, 13)) == 1
    expected = np.zeros(13 * 13, dtype=np.int8)
    for a in vertices(black + " " + move, 13):
        expected[a] = BLACK
    assert np.array_equal(g.board().reshape(-1), expected)
    assert caps(g) == (1, 0)


@pytest.mark.parametrize("corner", ["A1", "A19", "T1", "T19"])
def test_capture_in_the_corner(corner: str) -> None:
    n = 19
    c = vertex_to_action(corner, n)
    r, col = divmod(c, n)
    beside = (r * n + (1 if col == 0 else n - 2), (1 if r == 0 else n - 2) * n + col)
    g = Game(n)
    g.place_setup(c, WHITE)
    g.place_setup(beside[0], BLACK)
    assert g.legality(beside[1]) is None
    assert g.play(beside[1]) == 1
    assert g.board().reshape(-1)[c] == 0
    assert caps(g) == (1, 0)
    # White may not play back into the corner: it would be a stone without liberties.
    assert g.legality(c, WHITE) == "suicide"


def test_corner_chain_captured_from_inside_its_eye() -> None:
    g, m = setup(
        """
        a O X . .
        O O X . .
        X X . . .
        . . . . .
        . . . . .
        """
    )
    assert g.play(m["a"]) == 3
    assert_board(
        g,
        """
        X . X . .
        . . X . .
        X X . . .
        . . . . .
        . . . . .
        """,
    )
    assert caps(g) == (3, 0)


def test_capture_makes_a_suicide_looking_move_legal() -> None:
    captures = """
        . O X . .
        O a O X .
        . O X . .
        . . . . .
        . . . . .
        """
    g, m = setup(captures)
    assert g.legality(m["a"]) is None
    assert g.play(m["a"]) == 1
    assert_board(
        g,
        """
        . O X . .
        O X . X .
        . O X . .
        . . . . .
        . . . . .
        """,
    )
    assert caps(g) == (1, 0)
    # Without the black stone that takes the white one's last outside liberty: plain suicide.
    g, m = setup(
        """
        . O X . .
        O a O . .
        . O X . .
        . . . . .
        . . . . .
        """
    )
    assert g.legality(m["a"]) == "suicide"
    assert g.legality(m["a"], WHITE) is None  # filling one's own eye is legal


@pytest.mark.parametrize("rules", ALL_KO, ids=lambda r: r.ko)
def test_snapback(rules: Rules) -> None:
    g, m = setup(
        """
        . . . . .
        X X X . .
        O O X . .
        a O X . .
        b O X . .
        """,
        rules=rules,
    )
    assert g.play(m["b"]) == 0  # throw-in: self-atari that puts White in atari
    assert core.chain_liberties(g.state, m["b"]) == 1
    assert core.chain_liberties(g.state, m["a"] - 4) == 1
    assert g.play(m["a"]) == 1  # White takes the stone and is left with one liberty
    assert caps(g) == (0, 1)
    assert int(g.state.meta[core.M_KO]) == -1  # White's capturing chain is big: no ko
    assert g.legality(m["b"]) is None
    assert g.play(m["b"]) == 5  # snapback
    assert_board(
        g,
        """
        . . . . .
        X X X . .
        . . X . .
        . . X . .
        X . X . .
        """,
    )
    assert caps(g) == (5, 1)


# ----------------------------------------------------------------------------- ko

KO = """
    . X O . .
    X O a O .
    . X O . .
    . . . . .
    f . . . e
    """
KO_STONE = 6  # the white stone that Black takes, B4


@pytest.mark.parametrize("rules", ALL_KO, ids=lambda r: r.ko)
def test_immediate_ko_recapture_is_illegal(rules: Rules) -> None:
    g, m = setup(KO, rules=rules)
    assert vertex_to_action("B4", 5) == KO_STONE
    assert g.play(m["a"]) == 1
    assert caps(g) == (1, 0)
    assert g.legality(KO_STONE) == "ko"
    before = g.state.board.copy(), g.state.meta.copy()
    with pytest.raises(IllegalMoveError) as err:
        g.play(KO_STONE)
    assert err.value.reason == "ko"
    assert np.array_equal(g.state.board, before[0])
    assert np.array_equal(g.state.meta, before[1])
    assert g.legal_moves()[KO_STONE] == np.False_
    # After an exchange elsewhere the board differs, so even superko allows the retake.
    g.play(m["e"])
    g.play(m["f"])
    assert g.legality(KO_STONE) is None
    assert g.play(KO_STONE) == 1
    assert caps(g) == (1, 1)
    assert_board(
        g,
        """
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        X . . . O
        """,
    )
    # The new ko ban now holds against Black.
    assert g.legality(m["a"]) == "ko"


def test_ko_ban_is_for_the_recapturing_colour_only() -> None:
    g, m = setup(KO, rules=SIMPLE)
    g.play(m["a"])
    assert g.legality(KO_STONE, WHITE) == "ko"
    assert g.legality(KO_STONE, BLACK) is None  # the capturer may fill the ko
    g.play(KO_STONE, BLACK)
    assert_board(
        g,
        """
        . X O . .
        X X X O .
        . X O . .
        . . . . .
        . . . . .
        """,
    )
    assert g.to_play == WHITE


def test_ko_ban_lasts_one_move() -> None:
    g, m = setup(KO, rules=SIMPLE)
    g.play(m["a"])
    g.play(g.pass_action)  # White passes: the ban ends with that turn
    g.play(m["f"])
    assert g.legality(KO_STONE) is None


TRIPLE_KO = """
    . X O . . . . . .
    X O a O . . . . .
    . X O . . . . . .
    . X O . . . . . .
    X b X O . . . . .
    . X O . . . . . .
    . X O . . . . . .
    X O c O . . . . .
    . X O . . . . . .
    """


def triple_ko_cycle(m: dict[str, int]) -> list[int]:
    """Black takes ko 1, White ko 2, Black ko 3, then the same again the other way round."""
    # Each capturing point lies beside the point of the stone it takes.
    return [m["a"], m["b"], m["c"], m["a"] - 1, m["b"] + 1, m["c"] - 1]


def test_triple_ko_cycles_forever_under_simple_ko() -> None:
    g, m = setup(TRIPLE_KO, rules=SIMPLE)
    start = g.board().copy()
    cycle = triple_ko_cycle(m)
    for rep in range(1, 3):
        boards = []
        for a in cycle:
            assert g.legality(a) is None
            assert g.play(a) == 1
            boards.append(g.board().copy())
        assert np.array_equal(g.board(), start)
        assert caps(g) == (3 * rep, 3 * rep)
        # The cycle goes through six different boards.
        assert len({b.tobytes() for b in boards}) == 6
    assert hash_ok(g)


@pytest.mark.parametrize("rules", [POSITIONAL, SITUATIONAL], ids=lambda r: r.ko)
def test_triple_ko_superko_forbids_the_repeat(rules: Rules) -> None:
    g, m = setup(TRIPLE_KO, rules=rules)
    cycle = triple_ko_cycle(m)
    for a in cycle[:5]:
        assert g.play(a) == 1
    last = cycle[5]
    assert g.legality(last) == "superko"
    before = g.board().copy()
    with pytest.raises(IllegalMoveError) as err:
        g.play(last)
    assert err.value.reason == "superko"
    assert np.array_equal(g.board(), before)
    assert not g.legal_moves()[last]
    assert caps(g) == (3, 2)
    # The simple-ko test alone would allow it: the last capture was elsewhere.
    assert int(g.state.meta[core.M_KO]) != g.state.a2p[last]


DOUBLE_KO = """
    . X O . . . .
    X O a O . . .
    . X O . . . .
    . . . . . . .
    . X O . . . .
    X b X O . . .
    . X O . . . .
    """


@pytest.mark.parametrize(
    ("rules", "reason"),
    [(SIMPLE, None), (POSITIONAL, "superko"), (SITUATIONAL, None)],
    ids=["simple", "positional", "situational"],
)
def test_repetition_through_a_pass_splits_positional_and_situational(
    rules: Rules, reason: str | None
) -> None:
    # Two kos, White to move. A single pass makes the start board come back with Black, not
    # White, to move: positional superko forbids it, situational superko does not.
    g, m = setup(DOUBLE_KO, to_play=WHITE, rules=rules)
    start = g.board().copy()
    g.play(m["b"])  # White takes ko 2
    g.play(m["a"])  # Black takes ko 1
    g.play(g.pass_action)  # White passes
    g.play(m["b"] + 1)  # Black takes ko 2 back
    retake = m["a"] - 1  # White takes ko 1 back: the start board again
    assert g.legality(retake) == reason
    if reason is None:
        g.play(retake)
        assert np.array_equal(g.board(), start)
        assert g.to_play == BLACK
        assert caps(g) == (2, 2)


def test_superko_remembers_positions_across_history_growth() -> None:
    g, m = setup(KO, rules=POSITIONAL)
    g.play(m["a"])
    cap = int(g.state.meta[M_HIST_CAP])
    for _ in range(cap + 10):
        g.play(g.pass_action)
    assert int(g.state.meta[M_HIST_CAP]) > cap
    # Passes cleared the simple-ko ban long ago; only the first position forbids the retake.
    assert int(g.state.meta[core.M_KO]) == -1
    assert g.legality(KO_STONE) == "superko"

    g, m = setup(KO, rules=SIMPLE)
    g.play(m["a"])
    for _ in range(cap + 10):
        g.play(g.pass_action)
    assert g.play(KO_STONE) == 1


# ----------------------------------------------------------------------------- suicide

ONE_STONE_SUICIDE = """
    a O . . .
    O . . . .
    . . . . .
    . . . . .
    . . . . .
    """
TWO_STONE_SUICIDE = """
    X a O . .
    O O . . .
    . . . . .
    . . . . .
    . . . . .
    """


@pytest.mark.parametrize("rules", ALL_KO, ids=lambda r: r.ko)
def test_suicide_is_illegal_by_default(rules: Rules) -> None:
    for diagram in (ONE_STONE_SUICIDE, TWO_STONE_SUICIDE):
        g, m = setup(diagram, rules=rules)
        assert g.legality(m["a"]) == "suicide"
        with pytest.raises(IllegalMoveError) as err:
            g.play(m["a"])
        assert err.value.reason == "suicide"
        assert_board(g, diagram)
        assert not g.legal_moves()[m["a"]]


@pytest.mark.parametrize("ko", ["simple", "positional", "situational"])
def test_multi_stone_suicide_when_allowed(ko: str) -> None:
    g, m = setup(TWO_STONE_SUICIDE, rules=Rules(ko=ko, suicide=True))
    assert g.legality(m["a"]) is None
    assert g.play(m["a"]) == 0
    assert_board(
        g,
        """
        . . O . .
        O O . . .
        . . . . .
        . . . . .
        . . . . .
        """,
    )
    assert caps(g) == (0, 2)  # the opponent takes the suicided stones
    assert g.to_play == WHITE
    assert hash_ok(g)


def test_single_stone_suicide_when_allowed() -> None:
    g, m = setup(ONE_STONE_SUICIDE, rules=Rules(ko="simple", suicide=True))
    assert g.play(m["a"]) == 0
    assert_board(g, ONE_STONE_SUICIDE)
    assert caps(g) == (0, 1)
    assert g.to_play == WHITE
    assert g.move_number == 1
    assert g.passes == 0  # a suicide is a move, not a pass


def test_single_stone_suicide_repeats_the_position() -> None:
    # The board after it is the board before it: positional superko forbids it...
    g, m = setup(ONE_STONE_SUICIDE, rules=Rules(ko="positional", suicide=True))
    assert g.legality(m["a"]) == "superko"
    # ...situational superko does not (the board has not been seen with White to move).
    g, m = setup(ONE_STONE_SUICIDE, rules=Rules(ko="situational", suicide=True))
    assert g.legality(m["a"]) is None
    g.play(m["a"])
    assert caps(g) == (0, 1)


def test_setup_refuses_suicide_under_suicide_rules() -> None:
    g = Game(5, Rules(suicide=True))
    for a, c in ((0, BLACK), (2, WHITE), (5, WHITE), (6, WHITE)):
        g.place_setup(a, c)
    with pytest.raises(IllegalMoveError):
        g.place_setup(1, BLACK)
    assert g.captures == (0, 0)
    assert g.board()[0, 0] == BLACK


def test_fractional_board_size_is_refused() -> None:
    with pytest.raises(ValueError):
        Game(2.5)


# ----------------------------------------------------------------------------- seki and eyes

SEKI = """
    a O O b O
    X X X X O
    O O O O O
    . . . . .
    . . . . .
    """


def test_seki_neither_side_can_approach() -> None:
    g, m = setup(SEKI, rules=Rules(komi=0.5))
    assert core.chain_liberties(g.state, 1) == 2  # the white inner chain: a and b
    assert core.chain_liberties(g.state, 5) == 2  # the black chain: a and b
    # Whoever fills a shared liberty puts itself in atari and loses its chain.
    for first, second, lost in ((BLACK, WHITE, 5), (WHITE, BLACK, 3)):
        h, _ = setup(SEKI)
        h.play(m["a"], first)
        assert core.chain_liberties(h.state, m["a"]) == 1
        assert h.play(m["b"], second) == lost
    # Left alone, both live and the shared liberties are nobody's.
    # Black: 4 stones. White: 2 + 7 stones and 10 points of territory. a and b: neutral.
    assert g.area_score() == 4 - 19 - 0.5
    assert core.is_eye(g.state, m["a"], BLACK) is False
    assert core.is_eye(g.state, m["a"], WHITE) is False


def test_seki_under_territory_scoring() -> None:
    g, _ = setup(SEKI, rules=Rules(scoring="territory", komi=6.5))
    assert g.territory_score() == 0 - 10 - 6.5
    assert g.score() == g.territory_score()


@pytest.mark.parametrize(
    ("diagram", "black", "white"),
    [
        (". . . . .\n. X X X .\n. X a X .\n. X X X .\n. . . . .", True, False),
        (". . . . .\n. O X X .\n. X a X .\n. X X X .\n. . . . .", True, False),
        (". . . . .\n. O X O .\n. X a X .\n. X X X .\n. . . . .", False, False),
        (". . . . .\n. O X X .\n. X a X .\n. X X O .\n. . . . .", False, False),
        (". X a X .\n. X X X .\n. . . . .\n. . . . .\n. . . . .", True, False),
        (". X a X .\n. O X . .\n. . . . .\n. . . . .\n. . . . .", False, False),
        ("a X . . .\nX . . . .\n. . . . .\n. . . . .\n. . . . .", True, False),
        ("a X . . .\nX X . . .\n. . . . .\n. . . . .\n. . . . .", True, False),
        ("a X . . .\nX O . . .\n. . . . .\n. . . . .\n. . . . .", False, False),
        (". X X X .\n. X a O .\n. X X X .\n. . . . .\n. . . . .", False, False),
        (". . . . .\n. . X . .\n. X a . .\n. . X . .\n. . . . .", False, False),
        ("a O . . .\nO . . . .\n. . . . .\n. . . . .\n. . . . .", False, True),
    ],
    ids=[
        "centre",
        "centre-one-bad-diagonal",
        "centre-false-two-diagonals",
        "centre-false-opposite-diagonals",
        "edge",
        "edge-false-one-diagonal",
        "corner",
        "corner-own-diagonal",
        "corner-false",
        "opponent-neighbour",
        "open-side",
        "white-corner",
    ],
)
def test_is_eye(diagram: str, black: bool, white: bool) -> None:
    g, m = setup(diagram)
    assert core.is_eye(g.state, m["a"], BLACK) is black
    assert core.is_eye(g.state, m["a"], WHITE) is white


def test_is_eye_is_false_on_a_stone() -> None:
    g, _ = setup("X X .\nX X .\n. . .")
    assert core.is_eye(g.state, 0, BLACK) is False


# ----------------------------------------------------------------------------- liberties


def test_exact_liberties_and_atari_with_a_shared_liberty() -> None:
    g, m = setup(
        """
        a X O . .
        X X O . .
        O O O . .
        . . . . .
        . . . . .
        """
    )
    st = g.state
    h = head(g, 1)
    assert core.chain_liberties(st, 1) == 1
    assert int(st.libs[h]) == 2  # pseudo-liberties: a counted once per touching stone
    assert core._in_atari(st, h)
    assert int(core._atari_liberty(st, h)) == int(st.a2p[m["a"]])
    assert core.chain_liberties(st, 2) == 6
    assert not core._in_atari(st, head(g, 2))
    assert core.chain_liberties(st, m["a"]) == 0  # empty point
    expected = np.array(
        [
            [0, 1, 6, 0, 0],
            [1, 1, 6, 0, 0],
            [6, 6, 6, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
        ]
    )
    assert np.array_equal(core.liberty_map(st).reshape(5, 5), expected)


def test_two_shared_liberties_are_not_atari_until_one_is_filled() -> None:
    g, m = setup(
        """
        a X b O .
        X X X O .
        O O O O .
        . . . . .
        . . . . .
        """,
        to_play=WHITE,
    )
    st = g.state
    h = head(g, 1)
    assert core.chain_liberties(st, 1) == 2
    assert int(st.libs[h]) == 4
    assert not core._in_atari(st, h)
    g.play(m["b"])
    g.play(g.pass_action)
    h = head(g, 1)
    assert core.chain_liberties(g.state, 1) == 1
    assert int(g.state.libs[h]) == 2
    assert core._in_atari(g.state, h)
    assert int(core._atari_liberty(g.state, h)) == int(g.state.a2p[m["a"]])
    assert g.play(m["a"]) == 4
    assert caps(g) == (0, 4)


def test_liberty_touching_three_stones_of_a_chain() -> None:
    g, m = setup(
        """
        O O O O O .
        O X X X O .
        O X a X O .
        O X O X O .
        O O O O O .
        . . . . . .
        """
    )
    h = head(g, 7)
    assert core.chain_liberties(g.state, 7) == 1
    assert int(g.state.libs[h]) == 3
    assert core._in_atari(g.state, h)
    assert int(core._atari_liberty(g.state, h)) == int(g.state.a2p[m["a"]])
    assert g.legality(m["a"]) == "suicide"
    assert g.play(m["a"], WHITE) == 7
    assert caps(g) == (0, 7)
    # The white wall now has the seven emptied points and the ten outside it.
    assert core.chain_liberties(g.state, 0) == 17
    assert core.liberty_map(g.state)[m["a"]] == 17


# ----------------------------------------------------------------------------- scoring

# A finished 5x5 game: a dead white stone at A4 in Black's area, a dead black stone at E4 in
# White's. Black captured one stone at A1 on the last move.
SCORED = """
    . X O . .
    O X O . X
    . X O . .
    a X O . .
    O X O . .
    """
SCORED_DEAD = [vertex_to_action("A4", 5), vertex_to_action("E4", 5)]


def scored_game(rules: Rules) -> Game:
    g, m = setup(SCORED, rules=rules)
    assert g.play(m["a"]) == 1
    assert caps(g) == (1, 0)
    return g


def test_area_score_every_stone_alive() -> None:
    g = scored_game(Rules(komi=7.5))
    # Black: 7 stones + A1. White: 6 stones. A5 and A3 touch both colours; so does the right
    # side, which touches the black stone at E4.
    assert g.area_score() == 8 - 6 - 7.5
    assert area_score(g.state) == g.area_score()


def test_area_score_with_dead_stones() -> None:
    g = scored_game(Rules(komi=7.5))
    dead = np.zeros(25, dtype=bool)
    dead[SCORED_DEAD] = True
    # Black: 6 stones + A5 A4 A3 A1. White: 5 stones + the 10 points on the right.
    assert g.area_score(dead) == 10 - 15 - 7.5
    assert g.area_score(dead.reshape(5, 5)) == 10 - 15 - 7.5
    with pytest.raises(ValueError):
        g.area_score(np.zeros(24, dtype=bool))


def test_territory_score_with_dead_stones_and_prisoners() -> None:
    g = scored_game(Rules(scoring="territory", ko="simple", komi=6.5))
    dead = np.zeros(25, dtype=bool)
    dead[SCORED_DEAD] = True
    # Black: territory A5 A4 A3 A1, one capture, one dead white stone. White: 10 points of
    # territory and one dead black stone.
    assert g.territory_score(dead) == (4 + 1 + 1) - (10 + 0 + 1) - 6.5
    assert territory_score(g.state, dead) == g.territory_score(dead)
    assert g.score(dead) == g.territory_score(dead)
    # Without dead stones only A1 is enclosed: the right side touches the black stone at E4.
    assert g.territory_score() == (1 + 1) - 0 - 6.5


def test_empty_board_scores_komi() -> None:
    for rules in (Rules(komi=7.5), Rules(scoring="territory", komi=-3.0)):
        g = Game(9, rules)
        assert g.score() == -rules.komi
    g = Game(9, Rules(komi=7.5))
    g.play(40)
    assert g.area_score() == 81 - 7.5  # one stone owns the whole board under Tromp-Taylor


# ----------------------------------------------------------------------------- game flow


def test_passes_end_the_game() -> None:
    g = Game(9)
    assert g.legality(g.pass_action) is None
    g.play(g.pass_action)
    assert g.passes == 1 and not g.is_over() and g.to_play == WHITE
    g.play(40)
    assert g.passes == 0 and not g.is_over()
    g.play(g.pass_action)
    assert not g.is_over()
    g.play(g.pass_action)
    assert g.is_over()
    assert g.move_number == 4
    assert g.moves == [(81, BLACK), (40, WHITE), (81, BLACK), (81, WHITE)]
    assert int(g.state.meta[M_PASSES]) == 2


def test_bad_moves_are_refused_with_a_reason() -> None:
    g = Game(9)
    g.play(40)
    assert g.legality(40) == "occupied"
    assert g.legality(40, BLACK) == "occupied"
    assert g.legality(82) == "off board"
    assert g.legality(-1) == "off board"
    assert g.legality(0, 3) == "bad color"
    for move in (40, 82, -1):
        with pytest.raises(IllegalMoveError):
            g.play(move)
    assert g.move_number == 1


def test_history_grows_for_long_games() -> None:
    g = Game(2, Rules(ko="simple"))
    cap = default_history_capacity(2)
    assert int(g.state.meta[M_HIST_CAP]) == cap
    for _ in range(3 * cap):
        g.play(g.pass_action)
    assert g.move_number == 3 * cap
    assert int(g.state.meta[M_HIST_CAP]) > 3 * cap
    assert g.play(0) == 0
    assert g.board().tolist() == [[BLACK, 0], [0, 0]]
    assert g.move_number == 3 * cap + 1


def test_long_game_with_captures_grows_history() -> None:
    rng = np.random.default_rng(7)
    g = Game(5, Rules(ko="positional"))
    cap = int(g.state.meta[M_HIST_CAP])
    n_moves = cap + 50
    for _ in range(n_moves):
        legal = np.flatnonzero(g.legal_moves()[:-1])
        g.play(int(rng.choice(legal)) if len(legal) and rng.random() < 0.95 else g.pass_action)
    assert g.move_number == n_moves
    assert int(g.state.meta[M_HIST_CAP]) > cap
    assert sum(g.captures) > 0
    assert hash_ok(g)
    n = int(g.state.meta[M_HIST_CAP])
    assert g.state.hist.shape[0] == n and g.state.hmove.shape[0] == n


def test_undo_restores_each_earlier_position() -> None:
    g, m = setup(KO, rules=SIMPLE)
    snaps = []
    for move in (m["a"], m["e"], m["f"], KO_STONE, g.pass_action):
        snaps.append((g.board().copy(), g.captures, g.to_play, g.hash, g.move_number))
        g.play(move)
    for snap in reversed(snaps):
        g.undo()
        assert np.array_equal(g.board(), snap[0])
        assert (g.captures, g.to_play, g.hash, g.move_number) == snap[1:]
    assert_board(g, KO)
    with pytest.raises(ValueError):
        g.undo()


def test_undo_keeps_setup_and_first_player() -> None:
    g, m = setup(KO, to_play=WHITE, rules=SIMPLE)
    g.play(m["e"])
    g.play(m["a"])
    g.undo()
    g.undo()
    assert_board(g, KO)
    assert g.to_play == WHITE
    assert g.setup and not g.moves
    g.play(m["e"])
    assert g.to_play == BLACK


def test_undo_restores_the_ko_ban() -> None:
    g, m = setup(KO, rules=SIMPLE)
    g.play(m["a"])
    g.play(m["e"])
    g.undo()
    assert g.legality(KO_STONE) == "ko"


def test_game_copy_is_independent() -> None:
    g, m = setup(KO)
    g.play(m["a"])
    c = g.copy()
    c.play(m["e"])
    c.play(m["f"])
    c.play(KO_STONE)
    assert c.captures == (1, 1)
    assert g.captures == (1, 0)
    assert g.moves == [(m["a"], BLACK)]
    assert g.legality(KO_STONE) == "ko"
    assert_board(g, KO.replace("O a", ". X").replace("f", ".").replace("e", "."))
    g.play(m["f"])
    assert c.board().reshape(-1)[m["f"]] == BLACK  # Black's own move in the copy
    assert c.move_number == 4 and g.move_number == 2


def test_copy_state_is_independent() -> None:
    g, m = setup(KO)
    st = g.state
    cp = core.copy_state(st)
    saved = [a.copy() for a in st]
    assert core.play(cp, m["a"], BLACK) == 1
    assert core.play(cp, m["e"], WHITE) == 0
    for before, now in zip(saved, st, strict=True):
        assert np.array_equal(before, now)
    assert core.board_colors(cp)[KO_STONE] == 0
    # And the other way round.
    saved = [a.copy() for a in cp]
    core.play(st, m["f"], BLACK)
    for before, now in zip(saved, cp, strict=True):
        assert np.array_equal(before, now)


@pytest.mark.parametrize("n", range(MIN_SIZE, MAX_SIZE + 1))
def test_every_board_size_plays(n: int) -> None:
    g = Game(n, Rules(komi=0.5))
    assert g.board().shape == (n, n)
    assert g.legal_moves().sum() == n * n + 1
    g.play(0)
    g.play(n * n - 1)
    g.play(g.pass_action)
    assert g.board()[0, 0] == BLACK and g.board()[n - 1, n - 1] == WHITE
    assert g.to_play == WHITE
    assert g.legal_moves().sum() == n * n - 2 + 1
    assert hash_ok(g)
    if n == 2:
        # Each stone owns nothing; the two empty points touch both.
        assert g.area_score() == 1 - 1 - 0.5
        assert g.legality(1) is None  # White at B2 would leave Black's stone one liberty
    g.play(1)
    assert g.board()[0, 1] == WHITE


@pytest.mark.parametrize("bad", [0, 1, MAX_SIZE + 1, -9, 9.0, "9"])
def test_bad_board_sizes_raise(bad: object) -> None:
    with pytest.raises(ValueError):
        new_state(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, 1, MAX_SIZE + 1, -9, "nine"])
def test_game_refuses_bad_sizes(bad: object) -> None:
    with pytest.raises(ValueError):
        Game(bad)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- playouts

PLAYOUT_START = """
    . . . . . . . . .
    . . . . . . . . .
    . . X . . . O . .
    . . . . . . . . .
    . . . . X . . . .
    . . . . . . . . .
    . . O . . . X . .
    . . . . . . . . .
    . . . . . . . . .
    """


def tromp_taylor(board: np.ndarray, komi: float) -> float:
    """Reference area score in plain Python: stones plus empty regions reaching one colour."""
    n = board.shape[0]
    seen = np.zeros_like(board, dtype=bool)
    score = {BLACK: int((board == BLACK).sum()), WHITE: int((board == WHITE).sum())}
    for r0 in range(n):
        for c0 in range(n):
            if board[r0, c0] or seen[r0, c0]:
                continue
            region, reach, stack = 0, set(), [(r0, c0)]
            seen[r0, c0] = True
            while stack:
                r, c = stack.pop()
                region += 1
                for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                    if 0 <= rr < n and 0 <= cc < n:
                        if board[rr, cc] == 0 and not seen[rr, cc]:
                            seen[rr, cc] = True
                            stack.append((rr, cc))
                        elif board[rr, cc]:
                            reach.add(int(board[rr, cc]))
            if len(reach) == 1:
                score[reach.pop()] += region
    return score[BLACK] - score[WHITE] - komi


def start_state(size: int, rules: Rules = SIMPLE) -> State:
    if size == 9:
        return setup(PLAYOUT_START, rules=rules).game.state
    return new_state(size, rules)


@pytest.mark.parametrize("size", [5, 9, 13])
def test_playout_is_deterministic_and_leaves_its_input_alone(size: int) -> None:
    st = start_state(size)
    saved = [a.copy() for a in st]
    cap = default_max_moves(size)
    scores = [playout(st, make_rng(seed), cap) for seed in range(12)]
    again = [playout(st, make_rng(seed), cap) for seed in range(12)]
    assert scores == again
    assert len(set(scores)) > 1  # different seeds, different games
    for before, now in zip(saved, st, strict=True):
        assert np.array_equal(before, now)


@pytest.mark.parametrize("size", [5, 9, 13])
def test_playout_ends_with_two_passes_and_scores_the_final_board(size: int) -> None:
    st = start_state(size)
    cap = default_max_moves(size)
    for seed in range(8):
        work = core.copy_state(st)
        moves = playout_inplace(work, make_rng(seed), cap)
        assert moves < cap
        assert int(work.meta[M_PASSES]) == 2
        score = playout(st, make_rng(seed), cap)
        assert score == area_score(work)
        final = core.board_colors(work).reshape(size, size)
        assert score == tromp_taylor(final, float(st.komi[0]))


def test_playout_stops_at_the_move_cap() -> None:
    work = new_state(9, SIMPLE)
    assert playout_inplace(work, make_rng(3), 10) == 10
    assert int((core.board_colors(work) != 0).sum()) > 0
    assert int(work.meta[M_PASSES]) < 2


@pytest.mark.parametrize(
    ("size", "rules"),
    [(5, SIMPLE), (7, Rules(ko="simple", suicide=True)), (9, POSITIONAL), (9, SIMPLE)],
)
def test_playout_moves_are_legal_and_never_fill_own_eyes(size: int, rules: Rules) -> None:
    st = start_state(size, rules)
    n2 = size * size
    for seed in range(4):
        work = core.copy_state(st)
        rng = make_rng(seed)
        # The fast path plays under simple ko; legality() follows it once M_FAST is set.
        work.meta[core.M_FAST] = 1
        for _ in range(default_max_moves(size)):
            c = int(work.meta[M_TO_PLAY])
            a = int(random_move(work, rng))
            if a == n2:
                # Nothing was left but own eyes and illegal points (suicide counts as illegal).
                for p in range(n2):
                    assert (
                        core.is_eye(work, p, c)
                        or core.legality(work, p, c) != core.MOVE_OK
                        or (int(work.meta[core.M_SUICIDE]) and suicide_of(work, p, c))
                    )
            else:
                assert not core.is_eye(work, a, c), action_to_vertex(a, size)
                assert core.legality(work, a, c) == core.MOVE_OK
                assert not suicide_of(work, a, c)
            assert core.play_fast(work, a, c) >= 0
            if core.is_game_over(work):
                break
        assert core.is_game_over(work)


def suicide_of(st: State, action: int, color: int) -> bool:
    """Whether `color` at `action` would leave its own chain without liberties."""
    cp = core.copy_state(st)
    cp.meta[core.M_SUICIDE] = 1
    if core.play_fast(cp, action, color) < 0:
        return False
    return int(core.board_colors(cp)[action]) != color


def test_board_of_matches_game_board() -> None:
    g, _ = setup(PLAYOUT_START)
    assert np.array_equal(g.board(), board_of(PLAYOUT_START))
