"""MoGo's 3x3 shapes table and the light rollout policy that reads it."""

from __future__ import annotations

import numpy as np

from go_engine.rollout_policy import RolloutPolicy, _pattern
from go_engine.shapes import N_PATTERNS, SHAPE_WORDS, shape_hits, shape_table
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
