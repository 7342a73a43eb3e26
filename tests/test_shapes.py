"""MoGo's 3x3 shapes table and the light rollout policy that reads it."""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.board import _place, copy_state, play
from go_engine.playout import _code_verdict, _light_ok, _playout_ok, _self_atari, random_move
from go_engine.rng import make_rng, rand_below
from go_engine.rollout_policy import (
    ROLLOUT_LIGHT,
    RolloutPolicy,
    _pattern,
    _raw_pattern,
    _urgent_point,
    rollout,
)
from go_engine.shapes import N_PATTERNS, SHAPE_WORDS, shape_hits, shape_table
from go_engine.state import (
    EMPTY,
    M_FAST,
    M_KO,
    M_MOVE,
    M_NEMPTY,
    M_PASSES,
    M_TO_PLAY,
    M_W,
    new_state,
)
from tests.positions import setup

# Neighbour order of a code: N, S, W, E, NW, NE, SW, SE.
ROTATE = (2, 3, 1, 0, 6, 4, 7, 5)  # 90 degrees clockwise: W -> N, E -> S, S -> W, N -> E, ...
MIRROR = (0, 1, 3, 2, 5, 4, 7, 6)  # left-right


def _decode(code: int) -> list[int]:
    return [(code >> (2 * i)) & 3 for i in range(8)]


def _encode(cells: list[int]) -> int:
    return sum(v << (2 * i) for i, v in enumerate(cells))


def _permute(code: int, perm: tuple[int, ...]) -> int:
    cells = _decode(code)
    return _encode([cells[perm[i]] for i in range(8)])


def _swap_colours(code: int) -> int:
    return _encode([{1: 2, 2: 1}.get(v, v) for v in _decode(code)])


def test_table_is_symmetric() -> None:
    table = shape_hits()
    rng = np.random.default_rng(0)
    for code in rng.integers(0, N_PATTERNS, 3000):
        code = int(code)
        assert table[code] == table[_permute(code, ROTATE)]
        assert table[code] == table[_permute(code, MIRROR)]
        assert table[code] == table[_swap_colours(code)]


def test_known_shapes() -> None:
    table = shape_hits()
    # The enclosing hane: X O X above the empty point, the rest empty.
    hane = _encode([2, 0, 0, 0, 1, 1, 0, 0])  # N opponent (O), NW and NE own (X)
    assert table[hane]
    assert not table[_encode([0] * 8)]  # open space is no shape
    assert not table[_encode([1, 0, 0, 0, 0, 0, 0, 0])]  # one stone alone is no shape


def test_pattern_code_of_a_real_position() -> None:
    pos = setup(
        """
        . . . . .
        . X O X .
        . . a . .
        . . . . .
        . . . . .
        """,
        "b",
    )
    st = pos.game.state
    p = int(st.a2p[pos.marks["a"]])
    code = _pattern(st, p, 1)
    assert _decode(code)[:2] == [2, 0]  # N is the opponent's stone, S empty
    assert shape_hits()[code]


def test_light_policy_carries_the_packed_table() -> None:
    policy = RolloutPolicy("light")
    assert policy.weights.shape == (SHAPE_WORDS,)
    assert np.array_equal(policy.weights, shape_table())
    words = policy.weights.astype(np.int64)
    for code in (0, 5, 4096, 40000, N_PATTERNS - 1):
        assert bool((words[code >> 4] >> (code & 15)) & 1) == shape_hits()[code]


# The light policy as first written (a plain scan of the 3x3 shapes, two separate candidate
# tests), to check that the faster version in rollout_policy plays exactly the same moves.


@njit(cache=False, _nrt=False)
def _reference_light_rollout(st, rng, shapes, last, moves, cand) -> int:
    st.meta[M_FAST] = 1
    w = st.meta[M_W]
    count = 0
    while st.meta[M_PASSES] < 2 and count < moves.shape[0]:
        c = st.meta[M_TO_PLAY]
        p = _urgent_point(st, last, c, rng, cand)
        if p < 0 and last >= 0:
            around = (-w, w, -1, 1, -w - 1, -w + 1, w - 1, w + 1)
            start = rand_below(rng, 8)
            for j in range(8):
                q = last + around[(start + j) & 7]
                if st.board[q] != EMPTY:
                    continue
                code = _raw_pattern(st, q)
                if (int(shapes[code >> 4]) >> (code & 15)) & 1 == 0:
                    continue
                if _playout_ok(st, q, c) and not _self_atari(st, q, c):
                    p = q
                    break
        if p < 0:
            k = st.meta[M_NEMPTY]
            while k > 0:
                i = rand_below(rng, k)
                q = st.empties[i]
                if _playout_ok(st, q, c) and not _self_atari(st, q, c):
                    p = q
                    break
                k -= 1
                r = st.empties[k]
                st.empties[i] = r
                st.epos[r] = i
                st.empties[k] = q
                st.epos[q] = k
        if p < 0:
            st.meta[M_PASSES] += 1
            st.meta[M_KO] = -1
            moves[count] = -1
        else:
            st.meta[M_PASSES] = 0
            _place(st, p, c, False)
            moves[count] = p
        last = p
        st.meta[M_TO_PLAY] = 3 - c
        count += 1
    return count


def _random_positions(count: int) -> list:
    rng = make_rng(7)
    out = []
    for i in range(count):
        st = new_state(9)
        for _ in range(i * 7 % 90):
            play(st, random_move(st, rng), int(st.meta[M_TO_PLAY]))
        out.append(st)
    return out


def test_light_rollouts_play_as_the_reference_policy() -> None:
    shapes = shape_table()
    cand = np.zeros(81, np.int32)
    for k, st in enumerate(_random_positions(12)):
        a, b = copy_state(st), copy_state(st)
        ma, mb = np.zeros(300, np.int32), np.zeros(300, np.int32)
        ra, rb = make_rng(k), make_rng(k)
        last = int(st.a2p[st.hmove[st.meta[M_MOVE]]]) if st.meta[M_MOVE] > 0 else -1
        na = rollout(a, ra, 300, ROLLOUT_LIGHT, shapes, last, ma, cand, np.zeros(81))
        nb = _reference_light_rollout(b, rb, shapes, last, mb, cand)
        assert na == nb
        played = [int(a.p2a[p]) if p >= 0 else 81 for p in mb[:nb]]
        assert ma[:na].tolist() == played
        assert np.array_equal(a.board, b.board)


def test_light_rollout_keeps_the_3x3_codes_of_empty_points() -> None:
    shapes = shape_table()
    cand = np.zeros(81, np.int32)
    for k, st in enumerate(_random_positions(4)):
        for cap in (1, 5, 20, 60, 300):
            a = copy_state(st)
            rollout(
                a,
                make_rng(k),
                cap,
                ROLLOUT_LIGHT,
                shapes,
                -1,
                np.zeros(300, np.int32),
                cand,
                np.zeros(81),
            )
            for i in range(int(a.meta[M_NEMPTY])):
                p = int(a.empties[i])
                assert a.size[p] == _raw_pattern(a, p)


def test_light_candidate_test_is_both_tests_in_one() -> None:
    for st in _random_positions(12):
        for c in (1, 2):
            for a in range(81):
                p = int(st.a2p[a])
                if st.board[p] == EMPTY:
                    both = _playout_ok(st, p, c) and not _self_atari(st, p, c)
                    assert _light_ok(st, p, c) == both


def test_code_verdict_agrees_with_the_light_candidate_test() -> None:
    settled = 0
    for st in _random_positions(12):
        for c in (1, 2):
            for a in range(81):
                p = int(st.a2p[a])
                if st.board[p] != EMPTY:
                    continue
                verdict = _code_verdict(_raw_pattern(st, p), c)
                if verdict >= 0:
                    settled += 1
                    assert _light_ok(st, p, c) == (verdict == 1)
    assert settled > 0


def test_mercy_rule_stops_a_rollout_at_the_first_capture_lead_of_that_size() -> None:
    from go_engine.board import play_fast
    from go_engine.rollout_policy import ROLLOUT_RANDOM, mercy_winner, simple_rollout
    from go_engine.state import BLACK, M_CAPS_B, M_CAPS_W, WHITE

    shapes = shape_table()
    cand = np.zeros(81, np.int32)
    mercy = 10
    stopped = played_out = 0
    for mode in (ROLLOUT_LIGHT, ROLLOUT_RANDOM):
        for seed in range(30):
            full, cut = new_state(9), new_state(9)
            fm, cm = np.zeros(300, np.int32), np.zeros(300, np.int32)
            nf = simple_rollout(full, make_rng(seed), 300, mode, shapes, -1, fm, cand, 0)
            nc = simple_rollout(cut, make_rng(seed), 300, mode, shapes, -1, cm, cand, mercy)
            assert full.meta[M_PASSES] >= 2  # without the rule: played to the end
            assert mercy_winner(full, 0, 0) == 0
            # Same draws until the rule stops it: the cut rollout is a prefix of the full one.
            assert cm[:nc].tolist() == fm[:nc].tolist()
            # Replay the full rollout: the first move after which one side leads by `mercy`
            # captures is where the cut one stopped, and that side is the winner it names.
            replay = new_state(9)
            first, leader = nf, 0
            for i in range(nf):
                assert play_fast(replay, int(fm[i]), int(replay.meta[M_TO_PLAY])) >= 0
                gain = int(replay.meta[M_CAPS_B] - replay.meta[M_CAPS_W])
                if abs(gain) >= mercy:
                    first, leader = i + 1, BLACK if gain > 0 else WHITE
                    break
            assert nc == first
            assert mercy_winner(cut, 0, mercy) == leader
            if leader:
                stopped += 1
            else:
                played_out += 1
                assert cut.meta[M_PASSES] >= 2
    assert stopped > 0 and played_out > 0
