"""Fast rollout policies for the search, compiled: random, light, and linear-softmax weights.

A rollout plays a throwaway copy of a leaf to the end (simple ko, no hashing, never filling
one's own single-point eye, passing only when nothing else is left) and returns the area
result. Three policies, chosen by `RolloutPolicy.mode`:

    "random"   uniform over the candidate moves
    "light"    MoGo's playout (Gelly, Wang, Munos and Teytaud, 2006), in order: an urgent reply
               to the previous move (capture a chain it left in atari, its own included, or
               extend an own chain it put in atari when that gives two or more liberties);
               else a point next to the previous move matching one of MoGo's 3x3 shapes (hane,
               cut, edge moves; `shapes.py`); else uniform. Moves that put a chain of two or
               more stones into atari are skipped at every stage.
    "weights"  AlphaGo's rollout policy (Silver et al. 2016): a linear softmax over the
               candidate moves, each scoring the summed weights of its active features:
               non-response 3x3 patterns with liberty counts, response patterns (the
               12-point diamond around the previous move), neighbour of the previous move,
               capture, save atari, self-atari, atari (`rollout_features.py`, which also
               keeps the scores incrementally). All-zero weights are uniform.

The weights are a float32 array of N_WEIGHTS entries so the search can take them into Numba;
`training/rollout_train.py` learns them from expert games, `RolloutPolicy.save` writes them and
`RolloutPolicy.shipped()` loads the trained 19x19 weights shipped in go_engine/data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from go_engine.board import _atari_liberty, _in_atari, _only_liberty_is, _place
from go_engine.files import atomic_write
from go_engine.jit import HOT, INLINE
from go_engine.playout import _light_ok, _light_random_point, _playout_ok, _random_point
from go_engine.rng import rand_below
from go_engine.rollout_features import N_WEIGHTS, feature_logit, weights_rollout
from go_engine.shapes import SHAPE_WORDS, shape_table
from go_engine.state import (
    BLACK,
    EMPTY,
    M_CAPS_B,
    M_CAPS_W,
    M_FAST,
    M_KO,
    M_N,
    M_NEMPTY,
    M_PASSES,
    M_TO_PLAY,
    M_W,
    WALL,
    WHITE,
    State,
)

ROLLOUT_RANDOM = 0
ROLLOUT_LIGHT = 1
ROLLOUT_WEIGHTS = 2
MODES = {"random": ROLLOUT_RANDOM, "light": ROLLOUT_LIGHT, "weights": ROLLOUT_WEIGHTS}
SIMPLE_MODES = ("random", "light")  # the modes `simple_rollout` plays
SHIPPED_PATH = Path(__file__).parent / "data" / "rollout19.npz"


@dataclass(frozen=True)
class RolloutPolicy:
    """Which rollout policy leaves are played out with (see the module docstring)."""

    mode: str = "light"
    weights: np.ndarray = field(default_factory=lambda: np.zeros(1, np.float32), repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"rollout mode must be one of {sorted(MODES)}, not {self.mode!r}")
        w = np.ascontiguousarray(self.weights, dtype=np.float32)
        if self.mode == "light" and w.shape != (SHAPE_WORDS,):
            w = shape_table()  # the light policy reads its 3x3 shapes from the weights array
        if self.mode == "weights" and w.shape != (N_WEIGHTS,):
            raise ValueError(f"rollout weights must have shape ({N_WEIGHTS},), not {w.shape}")
        if w.flags.writeable:
            # Read-only like the light policy's shape table, so that every policy hands the
            # compiled searches one argument type: one compilation, the one `go-engine warmup`
            # makes (a writable array is another type, and compiling the PUCT kernel for it
            # took 80 s at the first move of a search with the trained weights).
            w = w.copy()
            w.flags.writeable = False
        object.__setattr__(self, "weights", w)

    @classmethod
    def uniform(cls) -> RolloutPolicy:
        """The weights policy with all weights zero: uniform among the candidate moves."""
        return cls("weights", np.zeros(N_WEIGHTS, np.float32))

    @property
    def code(self) -> int:
        return MODES[self.mode]

    @classmethod
    def shipped(cls) -> RolloutPolicy:
        """The trained 19x19 weights shipped with the package (go_engine/data/rollout19.npz)."""
        return cls.load(SHIPPED_PATH)

    @classmethod
    def named(cls, mode: str) -> RolloutPolicy:
        """The rollout policy called `mode`: the trained (shipped) weights for "weights"."""
        return cls.shipped() if mode == "weights" else cls(mode)

    def save(self, path: str | Path) -> None:
        """Write mode and weights to an .npz file (atomically, compressed)."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, mode=np.array(self.mode), weights=self.weights)
        atomic_write(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> RolloutPolicy:
        """Read a policy written by `save`; errors name the file and the problem."""
        try:
            with np.load(path) as data:
                return cls(str(data["mode"]), data["weights"])
        except (OSError, KeyError, ValueError) as e:
            raise ValueError(f"{path}: not a rollout policy file ({e})") from e


@njit(**INLINE)
def _escape_gains(st: State, lib: int, c: int, h: int) -> bool:
    """Extending the chain h (in atari at `lib`) at `lib` probably leaves 2+ liberties: lib has
    two empty neighbours, or one plus a friendly chain with spare liberties, or it captures."""
    board = st.board
    w = st.meta[M_W]
    free = 0
    for q in (lib - 1, lib + 1, lib - w, lib + w):
        v = board[q]
        if v == EMPTY:
            free += 1
        elif v == c:
            if st.head[q] != h and not _in_atari(st, st.head[q]):
                free += 2
        elif v != WALL and _in_atari(st, st.head[q]):
            free += 2
    return free >= 2


@njit(**INLINE)
def _urgent_point(st: State, last: int, c: int, rng: np.ndarray, cand: np.ndarray) -> int:
    """A capture or atari escape answering the previous move at padded point `last`, or -1."""
    if last < 0:
        return -1
    board = st.board
    w = st.meta[M_W]
    k = 0
    for q in (last, last - 1, last + 1, last - w, last + w):
        v = board[q]
        if v == EMPTY or v == WALL:
            continue
        h = st.head[q]
        if not _in_atari(st, h):
            continue
        lib = _atari_liberty(st, h)
        if v != c or _escape_gains(st, lib, c, h):
            cand[k] = lib
            k += 1
    while k > 0:
        i = rand_below(rng, k)
        p = cand[i]
        if _playout_ok(st, p, c):
            return p
        k -= 1
        cand[i] = cand[k]
    return -1


@njit(**INLINE)
def _pattern(st: State, p: int, c: int) -> int:
    """3x3 pattern code of point p for the mover c: 2 bits per neighbour, 0 empty, 1 own,
    2 opponent, 3 edge; neighbours in the order N, S, W, E, NW, NE, SW, SE."""
    board = st.board
    w = st.meta[M_W]
    code = 0
    shift = 0
    for q in (p - w, p + w, p - 1, p + 1, p - w - 1, p - w + 1, p + w - 1, p + w + 1):
        v = board[q]
        if v == EMPTY:
            d = 0
        elif v == c:
            d = 1
        elif v == WALL:
            d = 3
        else:
            d = 2
        code |= d << shift
        shift += 2
    return code


@njit(**INLINE)
def _raw_pattern(st: State, p: int) -> int:
    """3x3 code of p with the stone colours as they are (BLACK 1, WHITE 2): the shape table
    is the same for both colourings, so it needs no mover-relative code."""
    board = st.board
    w = st.meta[M_W]
    return (
        board[p - w]
        | (board[p + w] << 2)
        | (board[p - 1] << 4)
        | (board[p + 1] << 6)
        | (board[p - w - 1] << 8)
        | (board[p - w + 1] << 10)
        | (board[p + w - 1] << 12)
        | (board[p + w + 1] << 14)
    )


@njit(**INLINE)
def _light_codes(st: State) -> None:
    """Start the light rollout's 3x3 codes: `_raw_pattern` of every empty point, kept in that
    point's `size` entry, which the board only reads at chain heads (stones). Kept up to date
    by `_light_place`, they spare `_shape_point` reading 8 neighbourhoods of 8 points a move
    (a third of a light rollout's time when they were read each time)."""
    for i in range(st.meta[M_NEMPTY]):
        p = st.empties[i]
        st.size[p] = _raw_pattern(st, p)


@njit(**INLINE)
def _light_place(st: State, p: int, c: int) -> None:
    """`board._place(st, p, c, False)` for a legal non-suicide move, keeping the empty points'
    3x3 codes of `_light_codes` (non-empty points' `size` entries are left as they are)."""
    board = st.board
    size = st.size
    w = st.meta[M_W]
    opp = 3 - c
    # Chains this move captures: their stones keep their `nxt` cycle after removal.
    h0 = -1
    h1 = -1
    h2 = -1
    h3 = -1
    for q in (p - 1, p + 1, p - w, p + w):
        if board[q] == opp and _only_liberty_is(st, st.head[q], p):
            h = st.head[q]
            if h0 < 0:
                h0 = h
            elif h != h0 and h1 < 0:
                h1 = h
            elif h != h0 and h != h1 and h2 < 0:
                h2 = h
            elif h != h0 and h != h1 and h != h2:
                h3 = h
    _place(st, p, c, False)
    # Each neighbour q of p sees the new stone in the opposite direction (code order N, S, W,
    # E, NW, NE, SW, SE, 2 bits each); stones' entries get 0 added, so no branch is needed.
    size[p - w] += (c << 2) * (board[p - w] == EMPTY)
    size[p + w] += c * (board[p + w] == EMPTY)
    size[p - 1] += (c << 6) * (board[p - 1] == EMPTY)
    size[p + 1] += (c << 4) * (board[p + 1] == EMPTY)
    size[p - w - 1] += (c << 14) * (board[p - w - 1] == EMPTY)
    size[p - w + 1] += (c << 12) * (board[p - w + 1] == EMPTY)
    size[p + w - 1] += (c << 10) * (board[p + w - 1] == EMPTY)
    size[p + w + 1] += (c << 8) * (board[p + w + 1] == EMPTY)
    # Captures (rare): recompute the codes of the emptied points and of their empty neighbours.
    for h in (h0, h1, h2, h3):
        if h < 0:
            break
        s = h
        while True:
            for q in (s, s - w, s + w, s - 1, s + 1, s - w - 1, s - w + 1, s + w - 1, s + w + 1):
                if board[q] == EMPTY:
                    size[q] = _raw_pattern(st, q)
            s = st.nxt[s]
            if s == h:
                break


@njit(**INLINE)
def _shape_point(st: State, last: int, c: int, rng: np.ndarray, shapes: np.ndarray) -> int:
    """A point next to the previous move (8 neighbours, visited from a random one on) whose
    3x3 shape is in the table, legal and no self-atari; -1 if none. Reads the 3x3 codes kept
    by `_light_codes` and `_light_place`.

    The shape test of all 8 neighbours is done first, without branches, into a bit mask (the
    tests' outcomes are unpredictable); then only the matching points are tried, in the same
    order as a plain scan from `start`.
    """
    if last < 0:
        return -1
    board = st.board
    w = st.meta[M_W]
    around = (-w, w, -1, 1, -w - 1, -w + 1, w - 1, w + 1)
    start = rand_below(rng, 8)
    mask = 0
    for d in range(8):
        q = last + around[d]
        # Only empty points hold a code; any other entry is a small number (a chain size, or 0
        # on the edge) that indexes the table harmlessly before its bit is masked off.
        code = st.size[q] & 0xFFFF
        hit = (int(shapes[code >> 4]) >> (code & 15)) & 1
        mask |= (hit & int(board[q] == EMPTY)) << d
    if mask == 0:
        return -1
    rot = ((mask >> start) | (mask << (8 - start))) & 255  # bit i: direction start + i
    while rot != 0:
        i = trailing_zeros(rot)
        q = last + around[(start + i) & 7]
        if _light_ok(st, q, c):
            return q
        rot &= rot - 1
    return -1


@njit(**HOT)
def move_logit(st: State, p: int, c: int, last: int, weights: np.ndarray) -> float:
    """The linear-softmax score of candidate p for colour c (previous move at `last`): the sum
    of the weights of its active features (`rollout_features.feature_logit`)."""
    return feature_logit(st, p, c, last, weights)


@njit(**HOT)
def rollout(
    st: State,
    rng: np.ndarray,
    max_moves: int,
    mode: int,
    weights: np.ndarray,
    last: int,
    moves: np.ndarray,
    cand: np.ndarray,
    score: np.ndarray,
) -> int:
    """Play `st` to the end with the given policy; `last` is the padded point of the move
    before (or -1). The actions played (pass = N*N) go into `moves`; returns their number.
    `cand` (int32) and `score` (float64) are scratch of N*N entries. Leaves `st` in fast mode
    (the light policy also leaves 3x3 codes in the `size` entries of empty points)."""
    if mode == ROLLOUT_WEIGHTS:  # incremental scores, rollout_features.py
        return weights_rollout(st, rng, max_moves, weights, last, moves, cand, score)
    return simple_rollout(st, rng, max_moves, mode, weights, last, moves, cand, 0)


@njit(**HOT)
def simple_rollout(
    st: State,
    rng: np.ndarray,
    max_moves: int,
    mode: int,
    weights: np.ndarray,
    last: int,
    moves: np.ndarray,
    cand: np.ndarray,
    mercy: int,
) -> int:
    """`rollout` for the random and light policies only (any other mode plays random).

    The kernels that never take a weights policy (pure MCTS, ownership) call this one: a
    compiled caller carries the code of everything it can reach, and the weights rollout is
    most of the compile time of the rollout kernels.

    `mercy` > 0 stops the rollout as soon as one colour has captured `mercy` stones more than
    the other since it began (a mercy rule; Fuego's counts stones on the board): the game is
    decided then, and the caller reads the winner from `mercy_winner`. 0 plays every rollout
    to its end."""
    st.meta[M_FAST] = 1
    nn = st.meta[M_N] * st.meta[M_N]
    cap = min(max_moves, moves.shape[0])
    count = 0
    lead = st.meta[M_CAPS_B] - st.meta[M_CAPS_W] if mercy > 0 else 0
    if mode == ROLLOUT_LIGHT:
        _light_codes(st)
    while st.meta[M_PASSES] < 2 and count < cap:
        c = st.meta[M_TO_PLAY]
        p = -1
        if mode == ROLLOUT_LIGHT:
            p = _urgent_point(st, last, c, rng, cand)
            if p < 0:
                p = _shape_point(st, last, c, rng, weights)
            if p < 0:
                p = _light_random_point(st, rng, c)
        else:
            p = _random_point(st, rng, c)
        if p < 0:
            st.meta[M_PASSES] += 1
            st.meta[M_KO] = -1
            moves[count] = nn
        else:
            st.meta[M_PASSES] = 0
            if mode == ROLLOUT_LIGHT:
                _light_place(st, p, c)
            else:
                _place(st, p, c, False)
            moves[count] = st.p2a[p]
        last = p
        st.meta[M_TO_PLAY] = 3 - c
        count += 1
        if mercy_winner(st, lead, mercy) != 0:
            break
    return count


@njit(**INLINE)
def mercy_winner(st: State, lead: int, mercy: int) -> int:
    """BLACK or WHITE if a `simple_rollout` that began with capture lead `lead` (Black's
    captures less White's) was stopped by the mercy rule, else 0 (play it out and score)."""
    if mercy <= 0:
        return 0
    gain = st.meta[M_CAPS_B] - st.meta[M_CAPS_W] - lead
    if gain >= mercy:
        return BLACK
    if gain <= -mercy:
        return WHITE
    return 0


@njit(**HOT)
def result_for(score: float, color: int) -> float:
    """+1, -1 or 0 for `color` from an area score for Black."""
    if score == 0.0:
        return 0.0
    win = 1.0 if score > 0.0 else -1.0
    return win if color == BLACK else -win
