"""MoGo's 3x3 playout shapes as a lookup table over neighbourhood codes.

The light rollout policy plays, next to the previous move, points whose 3x3 neighbourhood
matches one of the shapes that Gelly, Wang, Munos and Teytaud listed for MoGo (2006): hane,
cuts and a few edge moves. Each shape below is drawn with the candidate point in the middle;
the table covers the eight rotations and reflections of every shape and both colourings (X the
player to move or the opponent), so it does not depend on whose turn it is.

Cells: X and O stones of the two colours, . empty, x anything but X, o anything but O
(edges included), # edge, ? anything.

A neighbourhood code (`rollout_policy._pattern`) holds 2 bits per neighbour, in the order N, S,
W, E, NW, NE, SW, SE, each 0 empty, 1 own, 2 opponent, 3 edge; `shape_hits()[code]` is True
where some shape matches. The rollouts read `shape_table()`, the same bits packed 16 to a
float32 (exact integers below 2**24), because the policy's weights are one float32 array and a
16 KB table stays in the L1 cache where a 256 KB one did not (measured: shapes cost 110 ns a
playout move unpacked).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

N_PATTERNS = 4**8

SHAPES = (
    # hane: the enclosing hane, the non-cutting hane, the magari, the diagonal attachment
    ("XOX", "...", "???"),
    ("XO.", "...", "?.?"),
    ("XO?", "X..", "x.?"),
    (".O.", "X..", "..."),
    # cuts: the unprotected cut, the peeped cut, the cut between two stones, the keima cut
    ("XO?", "O.o", "?o?"),
    ("XO?", "O.X", "???"),
    ("?X?", "O.O", "ooo"),
    ("OX?", "o.O", "???"),
    # edge: chase, block the side cut, block the connection, sagari, cut
    ("X.?", "O.?", "##?"),
    ("OX?", "X.O", "###"),
    ("?X?", "x.O", "###"),
    ("?XO", "x.x", "###"),
    ("?OX", "X.O", "###"),
)

# (row, col) of the 8 neighbours in code order N, S, W, E, NW, NE, SW, SE.
_CELLS = ((0, 1), (2, 1), (1, 0), (1, 2), (0, 0), (0, 2), (2, 0), (2, 2))
_EMPTY, _A, _B, _EDGE = 0, 1, 2, 3


def _allowed(ch: str, x: int, o: int) -> np.ndarray:
    """bool[4]: the cell values a shape character accepts when X is colour value x, O is o."""
    everything = {_EMPTY, _A, _B, _EDGE}
    table = {
        "X": {x},
        "O": {o},
        ".": {_EMPTY},
        "#": {_EDGE},
        "?": everything,
        "x": everything - {x},
        "o": everything - {o},
    }
    return np.isin(np.arange(4), list(table[ch]))


def _variants(shape: tuple[str, str, str]) -> list[list[str]]:
    """The eight rotations and reflections of a 3x3 grid."""
    grid = np.array([list(row) for row in shape])
    out = []
    for k in range(4):
        g = np.rot90(grid, k)
        out.append(g.tolist())
        out.append(np.fliplr(g).tolist())
    return out


@lru_cache(maxsize=1)
def shape_hits() -> np.ndarray:
    """bool[4**8]: True for the neighbourhood codes that match a shape."""
    codes = np.arange(N_PATTERNS)
    values = [(codes >> (2 * i)) & 3 for i in range(8)]
    hit = np.zeros(N_PATTERNS, bool)
    for shape in SHAPES:
        if shape[1][1] != ".":
            raise ValueError(f"the middle of a shape must be empty: {shape}")
        for grid in _variants(shape):
            for x, o in ((_A, _B), (_B, _A)):
                ok = np.ones(N_PATTERNS, bool)
                for i, (r, c) in enumerate(_CELLS):
                    ok &= _allowed(grid[r][c], x, o)[values[i]]
                hit |= ok
    hit.flags.writeable = False
    return hit


SHAPE_WORDS = N_PATTERNS // 16


@lru_cache(maxsize=1)
def shape_table() -> np.ndarray:
    """float32[4**8 / 16]: `shape_hits` packed, bit (code & 15) of word code >> 4."""
    bits = shape_hits().reshape(SHAPE_WORDS, 16).astype(np.int64)
    words = (bits << np.arange(16)).sum(axis=1)
    table = words.astype(np.float32)
    table.flags.writeable = False
    return table
