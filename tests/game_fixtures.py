"""Game collections that tests make themselves: random games and games with a learnable habit.

`patterned_game` plays, whenever it can, a move next to the previous one (the first legal point
in a fixed order around it), otherwise the first legal point from a seeded random order, so a
model that learns "answer next to the last move" predicts most of its moves while a model that
learns nothing does not. `write_archive` packs games into a .tar.gz like those of shared/data,
with one unreadable member, so readers that skip bad records are exercised too.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np

from go_engine.game import Game
from go_engine.rules import Rules
from go_engine.sgf_io import write_sgf

# Order in which a patterned game tries the neighbours of the last move: E, S, W, N.
_AROUND = ((0, 1), (1, 0), (0, -1), (-1, 0))


def random_game(size: int, moves: int, seed: int) -> Game:
    rng = np.random.default_rng(seed)
    g = Game(size, Rules.named("japanese"))
    for _ in range(moves):
        legal = np.flatnonzero(g.legal_moves()[: size * size])
        g.play(int(rng.choice(legal)) if len(legal) else g.pass_action)
    return g


def patterned_game(size: int, moves: int, seed: int) -> Game:
    rng = np.random.default_rng(seed)
    g = Game(size, Rules.named("japanese"))
    last = -1
    for _ in range(moves):
        legal = g.legal_moves()[: size * size]
        move = -1
        if last >= 0:
            r, c = divmod(last, size)
            for dr, dc in _AROUND:
                rr, cc = r + dr, c + dc
                if 0 <= rr < size and 0 <= cc < size and legal[rr * size + cc]:
                    move = rr * size + cc
                    break
        if move < 0:
            free = np.flatnonzero(legal)
            if not len(free):
                g.play(g.pass_action)
                last = -1
                continue
            move = int(rng.choice(free))
        g.play(move)
        last = move
    return g


def write_archive(
    path: Path, size: int = 9, games: int = 60, moves: int = 40, patterned: bool = True
) -> Path:
    """A .tar.gz of `games` games (results alternate B+R / W+R) plus one unreadable member."""
    make = patterned_game if patterned else random_game
    with tarfile.open(path, "w:gz") as tf:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))

        for i in range(games):
            result = "B+R" if i % 2 == 0 else "W+R"
            add(f"games/{i:04d}.sgf", write_sgf(make(size, moves, i), result=result))
        add("games/garbage.sgf", b"(;GM[1]SZ[9];B[zz")
    return path
