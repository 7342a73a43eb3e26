"""Tests of go_engine.features: the AlphaGo Zero planes, the extended planes and the ladder
reader, on drawn positions (tests/positions.py) and against slow pure-Python references on
random positions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from positions import embed, neighbours, setup

from go_engine import Game, IllegalMoveError, Rules
from go_engine import features as feat
from go_engine.playout import random_move
from go_engine.rng import make_rng
from go_engine.state import BLACK, EMPTY, WHITE

SIMPLE = Rules(ko="simple")


# ----------------------------------------------------------------------------- references


def _group(board: np.ndarray, n: int, a: int) -> tuple[set[int], list[int]]:
    """Stones and sorted liberties of the chain at a (board: flat int8[N*N])."""
    colour = board[a]
    stones = {a}
    todo = [a]
    libs: set[int] = set()
    while todo:
        s = todo.pop()
        for q in neighbours(s, n):
            if board[q] == colour and q not in stones:
                stones.add(q)
                todo.append(q)
            elif board[q] == EMPTY:
                libs.add(q)
    return stones, sorted(libs)


def _flat(g: Game) -> np.ndarray:
    return g.board().reshape(-1)


def ref_ladder_dead(g: Game, a: int, depth: int, only: int | None = None) -> bool:
    """The ladder rules of the module docstring, read with Game copies."""
    n = g.size
    board = _flat(g)
    dfd = int(board[a])
    atk = 3 - dfd
    stones, libs = _group(board, n, a)
    assert len(libs) == 1
    if only is not None:
        cands = [only]
    else:
        cands = [libs[0]]
        for s in sorted(stones):
            for q in neighbours(s, n):
                if board[q] == atk:
                    _, qlibs = _group(board, n, q)
                    if len(qlibs) == 1 and qlibs[0] not in cands:
                        cands.append(qlibs[0])
    for move in cands:
        g2 = g.copy()
        try:
            g2.play(move, dfd)
        except IllegalMoveError:
            continue
        b2 = _flat(g2)
        if b2[a] != dfd:
            continue
        libs2 = _group(b2, n, a)[1]
        if len(libs2) >= 3:
            return False
        if len(libs2) <= 1:
            continue
        escaped = True
        for lib in libs2:
            g3 = g2.copy()
            try:
                g3.play(lib, atk)
            except IllegalMoveError:
                continue
            if len(_group(_flat(g3), n, a)[1]) != 1:
                continue
            if depth > 1 and ref_ladder_dead(g3, a, depth - 1):
                escaped = False
                break
        if escaped:
            return False
    return True


def ref_extended(g: Game) -> dict[int, np.ndarray]:
    """The planes that need reading (legal, capture, self-atari, ladders), by brute force."""
    n = g.size
    me = g.to_play
    opp = 3 - me
    board = _flat(g)
    depth = feat.default_ladder_depth(n)
    legal = g.legal_moves()[:-1]
    out = {k: np.zeros(n * n, dtype=np.float32) for k in F_TACTICS}
    for p in np.flatnonzero(legal):
        p = int(p)
        out[feat.F_LEGAL][p] = 1
        g2 = g.copy()
        captured = g2.play(p, me)
        b2 = _flat(g2)
        out[feat.F_CAPTURE][p] = captured > 0
        out[feat.F_SELF_ATARI][p] = b2[p] == me and len(_group(b2, n, p)[1]) == 1
        cap = esc = False
        for q in neighbours(p, n):
            if board[q] == opp and _group(board, n, q)[1] == [p]:
                cap = cap or ref_ladder_dead(g, q, depth)
            if board[q] == me and _group(board, n, q)[1] == [p]:
                esc = esc or not ref_ladder_dead(g, q, depth, only=p)
            if b2[q] == opp and len(_group(b2, n, q)[1]) == 1:
                cap = cap or ref_ladder_dead(g2, q, depth)
        out[feat.F_LADDER_CAPTURE][p] = cap
        out[feat.F_LADDER_ESCAPE][p] = esc
    return {k: v.reshape(n, n) for k, v in out.items()}


F_TACTICS = (
    feat.F_LEGAL,
    feat.F_CAPTURE,
    feat.F_SELF_ATARI,
    feat.F_LADDER_CAPTURE,
    feat.F_LADDER_ESCAPE,
)


def random_game(n: int, moves: int, seed: int, rules: Rules | None = None) -> Game:
    """A game of random non-eye-filling moves (passes included)."""
    g = Game(n, rules)
    rng = make_rng(seed)
    for _ in range(moves):
        g.play(int(random_move(g.state, rng)))
    return g


def plane(out: np.ndarray, index: int) -> set[int]:
    """The actions where a plane is set."""
    return {int(a) for a in np.flatnonzero(out[index].reshape(-1))}


# ----------------------------------------------------------------------------- AGZ planes


def test_agz_planes_first_moves():
    n = 9
    g = Game(n)
    x = feat.agz_planes(g.state)
    assert x.shape == (17, n, n) and x.dtype == np.float32
    assert not x[:16].any() and (x[16] == 1).all()

    g.play(40)  # Black; White to move
    x = feat.agz_planes(g.state)
    assert plane(x, 0) == set()  # White stones now
    assert plane(x, 8) == {40}  # Black stones now
    assert not x[1].any() and not x[9].any()  # the empty board before
    assert not x[16].any()

    g.play(41)  # White; Black to move
    x = feat.agz_planes(g.state)
    assert plane(x, 0) == {40} and plane(x, 1) == {40} and plane(x, 2) == set()
    assert plane(x, 8) == {41} and plane(x, 9) == set() and plane(x, 10) == set()
    assert (x[16] == 1).all()

    g.play(g.pass_action)  # Black passes: the board repeats in the history
    x = feat.agz_planes(g.state)
    assert plane(x, 0) == {41} and plane(x, 1) == {41} and plane(x, 2) == set()
    assert plane(x, 8) == {40} and plane(x, 9) == {40} and plane(x, 10) == {40}
    assert not x[16].any()


def test_agz_planes_follow_the_history_with_captures():
    n = 9
    g = random_game(n, 0, 0)
    boards = [g.board().copy()]
    rng = make_rng(3)
    for _ in range(90):
        g.play(int(random_move(g.state, rng)))
        boards.append(g.board().copy())
        x = feat.agz_planes(g.state)
        me = g.to_play
        for k in range(8):
            t = len(boards) - 1 - k
            past = boards[t] if t >= 0 else np.zeros((n, n), np.int8)
            np.testing.assert_array_equal(x[k], past == me)
            np.testing.assert_array_equal(x[8 + k], past == 3 - me)
        assert (x[16] == (me == BLACK)).all()
    assert sum(g.captures) > 0  # the history did see stones leave the board


def test_agz_planes_count_setup_stones_as_the_start():
    pos = setup(embed("X O", 9), to_play=WHITE)
    x = feat.agz_planes(pos.game.state)
    assert plane(x, 0) == {1} and plane(x, 8) == {0}
    assert not x[1:8].any() and not x[9:16].any()


# ----------------------------------------------------------------------------- extended planes


def test_liberty_planes_of_a_known_position():
    pos = setup(
        """
        X X . . . . . . .
        O . . . . . . . .
        . . . . . . . . .
        . . . . O . . . .
        . . . O X . . . .
        . . . . O . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . O O
        """
    )
    x = feat.extended_planes(pos.game.state)
    assert plane(x, feat.F_OWN) == {0, 1, 40}
    assert plane(x, feat.F_OPP) == {9, 31, 39, 49, 79, 80}
    assert plane(x, feat.F_OWN_LIB1) == {40}
    assert plane(x, feat.F_OWN_LIB2) == {0, 1}
    assert plane(x, feat.F_OWN_LIB3) == set()
    assert plane(x, feat.F_OPP_LIB1) == set()
    assert plane(x, feat.F_OPP_LIB2) == {9}
    assert plane(x, feat.F_OPP_LIB3) == {31, 39, 49, 79, 80}
    assert len(plane(x, feat.F_EMPTY)) == 81 - 9
    assert (x[feat.F_ONES] == 1).all() and (x[feat.F_BLACK] == 1).all()
    # The same stones seen by White.
    pos.game.set_to_play(WHITE)
    y = feat.extended_planes(pos.game.state)
    for own, opp in (
        (feat.F_OWN, feat.F_OPP),
        (feat.F_OWN_LIB1, feat.F_OPP_LIB1),
        (feat.F_OWN_LIB2, feat.F_OPP_LIB2),
    ):
        np.testing.assert_array_equal(y[own], x[opp])
        np.testing.assert_array_equal(y[opp], x[own])
    assert not y[feat.F_BLACK].any()


def test_ko_plane_capture_and_self_atari():
    pos = setup(
        embed(
            """
            . X O .
            X O a O
            . X O .
            """,
            9,
        )
    )
    g = pos.game
    a = pos.marks["a"]
    x = feat.extended_planes(g.state)
    # Taking the ko captures one stone and leaves the capturer with one liberty.
    assert a in plane(x, feat.F_CAPTURE) and a in plane(x, feat.F_SELF_ATARI)
    assert not x[feat.F_KO].any()
    g.play(a)
    y = feat.extended_planes(g.state)
    assert plane(y, feat.F_KO) == {10}  # White may not retake at once
    assert 10 not in plane(y, feat.F_LEGAL)
    assert plane(y, feat.F_LAST1) == {a} and not y[feat.F_LAST2].any()
    assert not y[feat.F_BLACK].any()
    g.play(80)  # White plays elsewhere: the ko point is Black's to fill, not forbidden
    z = feat.extended_planes(g.state)
    assert not z[feat.F_KO].any() and 10 in plane(z, feat.F_LEGAL)
    assert plane(z, feat.F_LAST1) == {80} and plane(z, feat.F_LAST2) == {a}


def test_capture_and_self_atari_planes():
    pos = setup(
        embed(
            """
            O X . .
            b . . .
            . . O .
            . O X O
            . O a .
            . . O .
            """,
            9,
        )
    )
    b, a = pos.marks["b"], pos.marks["a"]
    x = feat.extended_planes(pos.game.state)
    # b captures the corner stone and keeps three liberties.
    assert plane(x, feat.F_CAPTURE) == {b}
    # a joins the stone in atari and leaves the pair one liberty: no escape there.
    assert plane(x, feat.F_SELF_ATARI) == {a}
    assert not x[feat.F_LADDER_ESCAPE].any()
    ref = ref_extended(pos.game)
    for k in F_TACTICS:
        np.testing.assert_array_equal(x[k], ref[k])


def test_legal_plane_applies_superko():
    ko = embed(
        """
        . X O .
        X O a O
        . X O .
        """,
        9,
    )
    for rules, retake_legal in ((Rules(ko="positional"), False), (SIMPLE, True)):
        pos = setup(ko, rules=rules)
        g = pos.game
        g.play(pos.marks["a"])  # Black takes the ko
        g.play(g.pass_action)
        g.play(g.pass_action)  # passes clear the simple-ko ban; retaking repeats a board
        x = feat.extended_planes(g.state)
        assert (10 in plane(x, feat.F_LEGAL)) == retake_legal
        np.testing.assert_array_equal(x[feat.F_LEGAL].reshape(-1), g.legal_moves()[:-1])


def test_extended_planes_leave_the_state_alone():
    g = random_game(9, 50, 7)
    before = [a.copy() for a in g.state]
    feat.extended_planes(g.state)
    for a, b in zip(before, g.state, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", range(6))
def test_extended_planes_match_brute_force(seed):
    g = random_game(9, 35 + 5 * seed, seed, SIMPLE)
    x = feat.extended_planes(g.state)
    ref = ref_extended(g)
    for k in F_TACTICS:
        np.testing.assert_array_equal(x[k], ref[k], err_msg=f"plane {k}\n{g}")


# ----------------------------------------------------------------------------- ladders

# A White stone in atari at D6 (row 13, column 3) on 19x19; extending at E6 starts a ladder
# that runs up and to the right, toward the top edge.
LADDER_BLACK = [(12, 3), (13, 2), (14, 4), (14, 3)]
LADDER_WHITE = [(13, 3)]


def ladder_game(n: int, black, white, to_play=WHITE, rules: Rules | None = None) -> Game:
    g = Game(n, rules or SIMPLE)
    for r, c in black:
        g.place_setup(r * n + c, BLACK)
    for r, c in white:
        g.place_setup(r * n + c, WHITE)
    g.set_to_play(to_play)
    return g


def test_classic_ladder_is_captured():
    g = ladder_game(19, LADDER_BLACK, LADDER_WHITE)
    a = 13 * 19 + 3
    assert feat.ladder_captured(g.state, a)
    assert ref_ladder_dead(g, a, feat.default_ladder_depth(19))
    # Not a chain in atari, or not a chain: nothing to read.
    assert not feat.ladder_captured(g.state, 12 * 19 + 3)
    assert not feat.ladder_captured(g.state, 0)


@pytest.mark.parametrize("breaker", [(10, 7), (9, 6), (7, 9), (3, 13)])
def test_ladder_breaker_lets_the_defender_escape(breaker):
    g = ladder_game(19, LADDER_BLACK, LADDER_WHITE + [breaker])
    assert not feat.ladder_captured(g.state, 13 * 19 + 3)
    assert not ref_ladder_dead(g, 13 * 19 + 3, feat.default_ladder_depth(19))


@pytest.mark.parametrize("stone", [(12, 8), (3, 3), (16, 10)])
def test_stone_off_the_ladder_path_changes_nothing(stone):
    g = ladder_game(19, LADDER_BLACK, LADDER_WHITE + [stone])
    assert feat.ladder_captured(g.state, 13 * 19 + 3)


def test_black_stone_on_the_path_keeps_the_ladder():
    g = ladder_game(19, LADDER_BLACK + [(9, 7)], LADDER_WHITE)
    assert feat.ladder_captured(g.state, 13 * 19 + 3)
    assert ref_ladder_dead(g, 13 * 19 + 3, feat.default_ladder_depth(19))


def test_ladder_into_the_edge_on_a_small_board():
    # The same shape on 9x9: the ladder reaches the top edge within a few moves.
    black = [(r - 8, c) for r, c in LADDER_BLACK]
    white = [(r - 8, c) for r, c in LADDER_WHITE]
    g = ladder_game(9, black, white)
    a = 5 * 9 + 3
    assert feat.ladder_captured(g.state, a)
    depth = feat.default_ladder_depth(9)
    assert ref_ladder_dead(g, a, depth)
    # A White stone on the path, near the edge, breaks it ...
    g2 = ladder_game(9, black, white + [(2, 7)])
    assert not feat.ladder_captured(g2.state, a)
    assert not ref_ladder_dead(g2, a, depth)
    # ... one on the first line does not: the runner is caught on the second line first.
    g3 = ladder_game(9, black, white + [(0, 7)])
    assert feat.ladder_captured(g3.state, a)
    assert ref_ladder_dead(g3, a, depth)


def test_ladder_along_the_first_line():
    # White on the bottom edge runs along it into the corner, Black atari-ing from above.
    g = ladder_game(7, [(5, 2), (6, 1)], [(6, 2)])
    a = 6 * 7 + 2
    assert feat.ladder_captured(g.state, a)
    assert ref_ladder_dead(g, a, feat.default_ladder_depth(7))
    # A White stone on the second line ahead of it gives the runner a way out.
    g2 = ladder_game(7, [(5, 2), (6, 1)], [(6, 2), (5, 5)])
    assert not feat.ladder_captured(g2.state, a)
    assert not ref_ladder_dead(g2, a, feat.default_ladder_depth(7))


def test_defender_escapes_by_capturing_a_chaser():
    # White w is in atari and extending at e leaves it one liberty, but the Black stone beside
    # it is in atari too: capturing at c gives w two liberties, and Black cannot take them.
    pos = setup(
        embed(
            """
            . . O X X .
            . c X w e .
            . . O X X .
            """,
            9,
            top=2,
        ),
        to_play=WHITE,
        rules=SIMPLE,
    )
    g = pos.game
    w, e, c = pos.marks["w"], pos.marks["e"], pos.marks["c"]
    g.place_setup(w, WHITE)  # drawn as a mark so that the test can name it
    depth = feat.default_ladder_depth(9)
    assert not feat.ladder_captured(g.state, w)
    assert not ref_ladder_dead(g, w, depth)
    assert ref_ladder_dead(g, w, depth, only=e)  # running alone would fail
    x = feat.extended_planes(g.state)
    assert c in plane(x, feat.F_CAPTURE)
    assert e in plane(x, feat.F_LEGAL) and e not in plane(x, feat.F_LADDER_ESCAPE)


def test_ladder_read_depth_limit_counts_as_escape():
    g = ladder_game(19, LADDER_BLACK, LADDER_WHITE)
    a = 13 * 19 + 3
    assert not feat.ladder_captured(g.state, a, max_depth=3)
    assert not feat.ladder_captured(g.state, a, max_nodes=3)
    assert feat.ladder_captured(g.state, a, max_depth=40)


def test_ladder_planes_on_the_classic_ladder():
    n = 19
    depth = feat.default_ladder_depth(n)
    d6 = 13 * n + 3
    # Black to play; the White stone at D6 has two liberties, D5 and E6.
    g = ladder_game(n, [(12, 3), (13, 2), (14, 4)], LADDER_WHITE, to_play=BLACK)
    x = feat.extended_planes(g.state)
    for atari in (14 * n + 3, 13 * n + 4):
        g2 = g.copy()
        g2.play(atari)
        expected = ref_ladder_dead(g2, d6, depth)
        assert (atari in plane(x, feat.F_LADDER_CAPTURE)) == expected
        if atari == 14 * n + 3:
            assert expected  # the ladder of LADDER_BLACK
    # White to move in atari: extending at E6 does not escape; with a breaker it does.
    e6 = 13 * n + 4
    y = feat.extended_planes(ladder_game(n, LADDER_BLACK, LADDER_WHITE).state)
    assert e6 in plane(y, feat.F_LEGAL) and e6 not in plane(y, feat.F_LADDER_ESCAPE)
    z = feat.extended_planes(ladder_game(n, LADDER_BLACK, LADDER_WHITE + [(10, 7)]).state)
    assert e6 in plane(z, feat.F_LADDER_ESCAPE)
    # Black to move may capture D6 at E6 at once, and the chain is dead in the ladder anyway.
    w = feat.extended_planes(ladder_game(n, LADDER_BLACK, LADDER_WHITE, to_play=BLACK).state)
    assert e6 in plane(w, feat.F_CAPTURE) and e6 in plane(w, feat.F_LADDER_CAPTURE)
    assert plane(w, feat.F_LADDER_CAPTURE) == {e6}


def test_ladder_reader_matches_reference_on_random_positions():
    depth = feat.default_ladder_depth(9)
    read = dead = 0
    for seed in range(8):
        g = random_game(9, 30 + 4 * seed, 100 + seed, SIMPLE)
        board = _flat(g)
        seen: set[int] = set()
        for a in range(81):
            if board[a] == EMPTY or a in seen:
                continue
            stones, libs = _group(board, 9, a)
            seen |= stones
            if len(libs) != 1:
                continue
            got = feat.ladder_captured(g.state, a)
            assert got == ref_ladder_dead(g, a, depth), f"chain at {a}\n{g}"
            read += 1
            dead += got
    assert read >= 10 and 0 < dead < read  # both outcomes were exercised


# ----------------------------------------------------------------------------- batches, symmetry


def test_batches_equal_single_states():
    states = [random_game(9, m, m).state for m in (0, 1, 5, 20, 40, 60)]
    agz = np.full((len(states), feat.AGZ_PLANES, 9, 9), -1.0, dtype=np.float32)
    ext = np.full((len(states), feat.EXTENDED_PLANES, 9, 9), -1.0, dtype=np.float32)
    feat.agz_planes_batch(states, agz)
    feat.extended_planes_batch(states, ext)
    for i, st in enumerate(states):
        np.testing.assert_array_equal(agz[i], feat.agz_planes(st))
        np.testing.assert_array_equal(ext[i], feat.extended_planes(st))
    with pytest.raises(ValueError):
        feat.agz_planes_batch(states, agz[:2])
    with pytest.raises(ValueError):
        feat.extended_planes_batch(states[:-1] + [Game(7).state], ext)
    with pytest.raises(ValueError):
        feat.extended_planes(Game(7).state, ws=feat.workspace(9, 18))


def test_threads_get_their_own_workspace():
    states = [random_game(9, 30 + m, m, SIMPLE).state for m in range(8)]
    serial = [feat.extended_planes(st) for st in states]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(feat.extended_planes, states * 3))
    for i, x in enumerate(threaded):
        np.testing.assert_array_equal(x, serial[i % len(states)])


def _rotate(a: int, n: int) -> int:
    """The point that np.rot90 moves action a to."""
    r, c = divmod(a, n)
    return (n - 1 - c) * n + r


def test_planes_rotate_with_the_board():
    n = 9
    rng = make_rng(11)
    g = Game(n, SIMPLE)
    moves = []
    for _ in range(45):
        a = int(random_move(g.state, rng))
        g.play(a)
        moves.append(a)
    h = Game(n, SIMPLE)
    for a in moves:
        h.play(a if a == n * n else _rotate(a, n))
    np.testing.assert_array_equal(h.board(), np.rot90(g.board()))
    for planes in (feat.agz_planes, feat.extended_planes):
        x = planes(g.state)
        y = planes(h.state)
        np.testing.assert_array_equal(y, np.rot90(x, axes=(1, 2)))
