"""Property tests of the board core: random legal games on 5x5..9x9 under every rule variant,
with the incremental structures (Zobrist hash, chains and pseudo-liberties, empty-point list,
history ring, superko) checked against plain-Python recomputations after every move.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs
from positions import neighbours

from go_engine import Game, Rules
from go_engine import board as core
from go_engine.state import (
    BLACK,
    EMPTY,
    HISTORY_PLANES,
    M_CAPS_B,
    M_CAPS_W,
    M_HASH,
    M_KO,
    M_KO_COLOR,
    M_KO_RULE,
    M_MOVE,
    M_NEMPTY,
    M_PASSES,
    M_TO_PLAY,
    WHITE,
    State,
    new_state,
)

RULES = [Rules(ko=ko, suicide=s) for ko in ("simple", "positional", "situational") for s in (0, 1)]
SIMPLE_RULES = [r for r in RULES if r.ko == "simple"]

# Each move is drawn from one integer: mostly a uniformly chosen legal point, sometimes a pass.
PICKS = hs.lists(hs.integers(0, 2**31 - 1), min_size=60, max_size=200)
SIZES = hs.integers(5, 9)


def choose(legal: np.ndarray, pick: int) -> int:
    """A move from a legal mask (last entry: pass) and a drawn integer."""
    points = np.flatnonzero(legal[:-1])
    if len(points) == 0 or pick % 20 == 0:
        return len(legal) - 1
    return int(points[(pick // 20) % len(points)])


def chains(board: np.ndarray) -> list[tuple[list[int], set[int]]]:
    """Chains of an int8[N, N] board as (stones, liberties), both as actions, by flood fill."""
    n = board.shape[0]
    flat = board.reshape(-1)
    seen = np.zeros(n * n, dtype=bool)
    out = []
    for a0 in range(n * n):
        if flat[a0] == EMPTY or seen[a0]:
            continue
        colour = flat[a0]
        stones, libs, stack = [], set(), [a0]
        seen[a0] = True
        while stack:
            a = stack.pop()
            stones.append(a)
            for b in neighbours(a, n):
                if flat[b] == EMPTY:
                    libs.add(b)
                elif flat[b] == colour and not seen[b]:
                    seen[b] = True
                    stack.append(b)
        out.append((stones, libs))
    return out


def check_structures(st: State) -> None:
    """Everything the board keeps incrementally agrees with a recomputation from the stones."""
    n = int(st.meta[core.M_N])
    flat = core.board_colors(st)
    board = flat.reshape(n, n)
    pts = np.asarray(st.a2p[: n * n])

    assert int(st.meta[M_HASH]) == int(core.compute_hash(st))
    n_black, n_white = int((flat == BLACK).sum()), int((flat == WHITE).sum())
    n_empty = int((flat == EMPTY).sum())
    assert n_black + n_white + n_empty == n * n

    # The empty-point list and its inverse index.
    k = int(st.meta[M_NEMPTY])
    assert k == n_empty
    listed = np.asarray(st.empties[:k])
    assert sorted(listed.tolist()) == sorted(pts[flat == EMPTY].tolist())
    assert np.array_equal(st.epos[listed], np.arange(k))
    assert np.all(st.epos[pts[flat != EMPTY]] == -1)

    # Chains: membership, size, pseudo-liberties, exact liberties and atari.
    libmap = core.liberty_map(st)
    for stones, libs in chains(board):
        ps = pts[stones]
        h = int(st.head[ps[0]])
        assert np.all(st.head[ps] == h)
        assert int(st.size[h]) == len(stones)
        members, s = set(), h
        for _ in range(len(stones)):
            members.add(s)
            s = int(st.nxt[s])
        assert s == h and members == set(ps.tolist())
        adj = [int(pts[b]) for a in stones for b in neighbours(a, n) if flat[b] == EMPTY]
        assert int(st.libs[h]) == len(adj) > 0
        assert int(st.lsum[h]) == sum(adj)
        assert int(st.lsq[h]) == sum(p * p for p in adj)
        assert np.all(libmap[stones] == len(libs))
        assert core.chain_liberties(st, stones[0]) == len(libs)
        assert bool(core._in_atari(st, h)) == (len(libs) == 1)
        if len(libs) == 1:
            assert int(core._atari_liberty(st, h)) == int(pts[next(iter(libs))])
    assert np.all(libmap[flat == EMPTY] == 0)


def snapshot(st: State) -> list[np.ndarray]:
    return [np.array(a, copy=True) for a in st]


def unchanged(before: list[np.ndarray], st: State) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(before, st, strict=True))


def repeats(seen: list[tuple[bytes, int]], board: np.ndarray, to_play: int, ko: str) -> bool:
    """Reference superko test over the (board, player to move) pairs of the game so far."""
    key = board.tobytes()
    if ko == "positional":
        return any(b == key for b, _ in seen)
    if ko == "situational":
        return any(b == key and s == to_play for b, s in seen)
    return False


def check_legality(st: State, seen: list[tuple[bytes, int]], ko: str) -> None:
    """legality() agrees, point by point, with playing the move and comparing boards."""
    n = int(st.meta[core.M_N])
    c = int(st.meta[M_TO_PLAY])
    mask = core.legal_mask(st, c)
    for a in range(n * n):
        r = int(core.legality(st, a, c))
        assert mask[a] == (r == core.MOVE_OK)
        if r not in (core.MOVE_OK, core.ILLEGAL_SUPERKO):
            continue
        # Play it with superko switched off and see whether the board repeats.
        cp = core.copy_state(st)
        cp.meta[M_KO_RULE] = core.KO_SIMPLE
        assert core.play(cp, a, c) >= 0
        assert int(cp.meta[M_HASH]) == int(core.compute_hash(cp))
        after = core.board_colors(cp).reshape(n, n)
        assert (r == core.ILLEGAL_SUPERKO) == repeats(seen, after, 3 - c, ko), (a, c, r)


@settings(max_examples=25, deadline=None)
@given(n=SIZES, rules=hs.sampled_from(RULES), picks=PICKS)
def test_incremental_state_matches_recomputation(n: int, rules: Rules, picks: list[int]) -> None:
    g = Game(n, rules)
    st = g.state
    boards = [g.board().reshape(-1).copy()]
    hashes = [int(st.meta[M_HASH])]
    check_structures(st)
    for pick in picks:
        g.play(choose(g.legal_moves(), pick))
        st = g.state  # Game may have swapped in a grown state
        m = int(st.meta[M_MOVE])
        boards.append(g.board().reshape(-1).copy())
        hashes.append(int(st.meta[M_HASH]))
        check_structures(st)
        # The feature-plane ring holds the last eight boards, slot = move % 8.
        for j in range(max(0, m - HISTORY_PLANES + 1), m + 1):
            assert np.array_equal(st.past[j % HISTORY_PLANES], boards[j])
        assert np.array_equal(st.hist[: m + 1], np.array(hashes, dtype=np.int64))
    assert g.move_number == len(picks)


@settings(max_examples=25, deadline=None)
@given(n=SIZES, rules=hs.sampled_from(RULES), picks=PICKS)
def test_legality_and_superko_match_a_reference(n: int, rules: Rules, picks: list[int]) -> None:
    g = Game(n, rules)
    seen = [(g.board().tobytes(), BLACK)]
    for i, pick in enumerate(picks):
        if i % 8 == 7:
            check_legality(g.state, seen, rules.ko)
        g.play(choose(g.legal_moves(), pick))
        seen.append((g.board().tobytes(), g.to_play))
    check_legality(g.state, seen, rules.ko)


@settings(max_examples=30, deadline=None)
@given(
    n=SIZES,
    rules=hs.sampled_from(RULES),
    picks=PICKS,
    split=hs.integers(0, 199),
    more=hs.lists(hs.integers(0, 2**31 - 1), min_size=1, max_size=20),
)
def test_copies_are_independent(
    n: int, rules: Rules, picks: list[int], split: int, more: list[int]
) -> None:
    g = Game(n, rules)
    split = split % len(picks)
    for pick in picks[:split]:
        g.play(choose(g.legal_moves(), pick))

    # copy_state: moves on the source leave the copy as it was, and the other way round.
    cp = core.copy_state(g.state)
    frozen = snapshot(cp)
    for pick in picks[split:]:
        g.play(choose(g.legal_moves(), pick))
    assert unchanged(frozen, cp)
    frozen_src = snapshot(g.state)
    for pick in more:
        c = int(cp.meta[M_TO_PLAY])
        assert core.play(cp, choose(core.legal_mask(cp, c), pick), c) >= 0
    assert unchanged(frozen_src, g.state)
    check_structures(cp)

    # Game.copy: the same, including the Python-side move lists.
    frozen_g = snapshot(g.state)
    moves = list(g.moves)
    c2 = g.copy()
    for pick in more:
        c2.play(choose(c2.legal_moves(), pick))
    assert unchanged(frozen_g, g.state) and g.moves == moves
    frozen_c2, moves_c2 = snapshot(c2.state), list(c2.moves)
    for pick in more:
        g.play(choose(g.legal_moves(), pick))
    assert unchanged(frozen_c2, c2.state) and c2.moves == moves_c2


@settings(max_examples=40, deadline=None)
@given(n=SIZES, rules=hs.sampled_from(SIMPLE_RULES), picks=PICKS)
def test_play_fast_matches_play_under_simple_ko(n: int, rules: Rules, picks: list[int]) -> None:
    # Room for every pick: the raw board.play reports a full history instead of growing it.
    full = new_state(n, rules, history=len(picks) + 2)
    fast = new_state(n, rules, history=len(picks) + 2)
    keys = (M_TO_PLAY, M_KO, M_PASSES, M_CAPS_B, M_CAPS_W, M_NEMPTY)
    for pick in picks:
        c = int(full.meta[M_TO_PLAY])
        legal = core.legal_mask(full, c)
        a = choose(legal, pick)
        r_full = int(core.play(full, a, c))
        r_fast = int(core.play_fast(fast, a, c))
        assert r_full == r_fast >= 0
        assert np.array_equal(core.board_colors(full), core.board_colors(fast))
        for key in keys:
            assert full.meta[key] == fast.meta[key], key
        if full.meta[M_KO] >= 0:
            assert full.meta[M_KO_COLOR] == fast.meta[M_KO_COLOR]
        # The fast path's own legality test agrees with the full one under simple ko.
        assert np.array_equal(core.legal_mask(fast, 3 - c), core.legal_mask(full, 3 - c))
    check_structures_fast(fast)


def check_structures_fast(st: State) -> None:
    """check_structures without the hash, which the fast path stops maintaining."""
    saved = int(st.meta[M_HASH])
    st.meta[M_HASH] = core.compute_hash(st)
    try:
        check_structures(st)
    finally:
        st.meta[M_HASH] = saved
