"""Similar-position search: every position of a collection as an autoencoder code, an index
file of those codes, and nearest neighbours of a query position (`go-engine similar`).

Positions. Every game of the collection that replays contributes the board after 0, 1, ...,
all its moves (the final position included), each from the mover's view as the autoencoder
reads it; so a position and its colour-swapped twin with the other side to move are the same
entry, and the output says when the colours are swapped.

Index. The codes (float32[P, d]) with, per position, its game, move number, colour to move and
absolute board (so the output can count the points that differ), and per game its name,
players and result, in one compressed .npz. Its `key` names the model file (path, size, time)
and the collection (path, size, time, game limit); a stale index is rebuilt on the next query.

Symmetries. The query is encoded under each of the 8 board symmetries and every collection
position takes the smallest of the 8 distances (Euclidean, in code space), so a rotated or
mirrored copy of a position finds it. The symmetry that matched is reported, and the count of
points that differ is taken under it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from go_engine.files import atomic_write
from go_engine.sgf_io import SGFGame, read_sgf, replay
from go_engine.state import BLACK, WHITE
from training.autoencoder import (
    PositionAutoencoder,
    apply_symmetry,
    encode_views,
    mover_view,
    symmetry_sources,
)
from training.game_records import GameRecords, ReadReport, iter_games, replay_positions

INDEX_FORMAT = 1
SYMMETRY_NAMES = [
    "identity",
    "rotated 90",
    "rotated 180",
    "rotated 270",
    "mirrored",
    "rotated 90 + mirrored",
    "rotated 180 + mirrored",
    "rotated 270 + mirrored",
]


@dataclass
class PositionIndex:
    """Codes of a collection's positions and what identifies each (module docstring)."""

    board_size: int
    key: str
    codes: np.ndarray  # float32[P, d]
    game: np.ndarray  # int32[P]
    move: np.ndarray  # int32[P]: moves played before the position
    to_play: np.ndarray  # int8[P]
    boards: np.ndarray  # uint8[P, N*N]: 0 empty, 1 black, 2 white
    names: list[str]
    black: list[str]
    white: list[str]
    results: list[str]

    def __len__(self) -> int:
        return len(self.codes)

    def save(self, path: str | os.PathLike) -> None:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            format=np.int64(INDEX_FORMAT),
            board_size=np.int64(self.board_size),
            key=np.array(self.key),
            codes=self.codes,
            game=self.game,
            move=self.move,
            to_play=self.to_play,
            boards=self.boards,
            games=np.array(
                json.dumps(
                    {
                        "names": self.names,
                        "black": self.black,
                        "white": self.white,
                        "results": self.results,
                    }
                )
            ),
        )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> PositionIndex:
        """Read an index file; problems name the file."""
        try:
            with np.load(path) as d:
                if int(d["format"]) > INDEX_FORMAT:
                    raise ValueError(f"index format {int(d['format'])} is too new")
                games = json.loads(str(d["games"]))
                return cls(
                    int(d["board_size"]),
                    str(d["key"]),
                    d["codes"],
                    d["game"],
                    d["move"],
                    d["to_play"],
                    d["boards"],
                    games["names"],
                    games["black"],
                    games["white"],
                    games["results"],
                )
        except (OSError, KeyError, ValueError, EOFError) as e:
            raise ValueError(f"{path}: not a position index ({e})") from e


def _stamp(path: str | os.PathLike) -> str:
    st = os.stat(path)
    return f"{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns}"


def index_key(model_path: str | os.PathLike, collection: str | os.PathLike, max_games: int) -> str:
    """What an index was built from; a different key means the index is stale."""
    return f"model={_stamp(model_path)} collection={_stamp(collection)} max_games={max_games}"


def default_index_path(model_path: str | os.PathLike, collection: str | os.PathLike) -> Path:
    """Next to the model: `<model stem>.index-<collection name>.npz`."""
    name = Path(os.path.abspath(collection)).name or "collection"
    for suffix in (".tar.gz", ".tgz", ".tar", ".sgf"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    model_path = Path(model_path)
    return model_path.with_name(f"{model_path.stem}.index-{name}.npz")


def collection_positions(
    source: str | os.PathLike, board_size: int, max_games: int = 0
) -> tuple[GameRecords, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[SGFGame]]:
    """(records, boards, to_play, game, move) of every position of a collection's games,
    after 0..all moves, and the games read (their players and results)."""
    if not os.path.exists(source):
        raise FileNotFoundError(f"{source}: no such file or folder")
    games: list[tuple[str, SGFGame]] = []
    for name, game in iter_games([os.fspath(source)], board_size, ReadReport()):
        # One pass after the last move makes the replay also yield the final position (the
        # board "before" that pass); replay never records the pass itself as a position of use.
        last = game.moves[-1][1] if game.moves else BLACK
        extra = (board_size * board_size, WHITE if last == BLACK else BLACK)
        games.append((name, dataclasses.replace(game, moves=[*game.moves, extra])))
        if max_games and len(games) >= max_games:
            break
    if not games:
        raise ValueError(f"{source}: no readable {board_size}x{board_size} games")
    records = GameRecords.from_games(board_size, games)
    pos = replay_positions(records)
    move = (np.arange(len(pos.actions)) - pos.first).astype(np.int32)
    return records, pos.boards, pos.to_play, pos.game, move, [g for _, g in games]


def build_index(
    model: PositionAutoencoder,
    source: str | os.PathLike,
    key: str,
    max_games: int = 0,
    progress: bool = True,
) -> PositionIndex:
    """Encode every position of the collection `source`."""
    n = model.config.board_size
    records, boards, to_play, game, move, games = collection_positions(source, n, max_games)
    codes = encode_views(model, mover_view(boards, to_play), progress=progress)
    return PositionIndex(
        n,
        key,
        codes,
        game.astype(np.int32),
        move,
        to_play.astype(np.int8),
        boards,
        list(records.names),
        [g.black for g in games],
        [g.white for g in games],
        [g.result or "" for g in games],
    )


def load_or_build_index(
    model: PositionAutoencoder,
    model_path: str | os.PathLike,
    source: str | os.PathLike,
    index_path: str | os.PathLike | None = None,
    max_games: int = 0,
    progress: bool = True,
) -> tuple[PositionIndex, Path, bool]:
    """(index, its path, whether it was built now): the cached index when its key matches."""
    if not os.path.exists(source):
        raise FileNotFoundError(f"{source}: no such file or folder")
    path = Path(index_path) if index_path else default_index_path(model_path, source)
    key = index_key(model_path, source, max_games)
    if path.is_file():
        index = PositionIndex.load(path)
        if index.key == key and index.codes.shape[1] == model.config.code_dims:
            return index, path, False
    index = build_index(model, source, key, max_games, progress)
    index.save(path)
    return index, path, True


def query_position(
    sgf_path: str | os.PathLike, move: int | None = None
) -> tuple[np.ndarray, int, SGFGame]:
    """(absolute board uint8[N*N], colour to move, game) of an SGF's main line after `move`
    moves (None: all of them)."""
    game = read_sgf(sgf_path)
    g = replay(game, move)
    return g.board().reshape(-1).astype(np.uint8), int(g.to_play), game


@dataclass
class Match:
    """One nearest neighbour."""

    distance: float
    position: int  # row of the index
    symmetry: int  # which symmetry of the query matched
    differing: int  # points that differ (mover's view, under that symmetry)
    game_name: str
    move: int
    black: str
    white: str
    result: str
    colours_swapped: bool  # the other colour is to move there (same position for the mover)


def search(
    index: PositionIndex,
    model: PositionAutoencoder,
    board: np.ndarray,
    to_play: int,
    top: int = 10,
    per_game: int = 1,
    symmetries: bool = True,
) -> list[Match]:
    """The `top` positions of `index` nearest to (board, to_play) in code space, the best of
    the query's 8 symmetries for each (only the identity when `symmetries` is False), at most
    `per_game` from one game (0: no limit)."""
    n = index.board_size
    if board.size != n * n:
        raise ValueError(f"the query is {int(round(board.size**0.5))}x..., the index {n}x{n}")
    view = mover_view(board.reshape(1, -1), np.array([to_play]))[0]
    count = 8 if symmetries else 1
    variants = np.stack([view[symmetry_sources(n)[s]] for s in range(count)])
    qcodes = encode_views(model, variants)  # [S, d]
    # Squared distances of every position to every variant, one variant at a time (direct
    # differences: the expanded form |a|^2 - 2ab + |b|^2 loses the exact zeros to rounding).
    d2 = np.empty((len(index.codes), count), np.float32)
    for s in range(count):
        diff = index.codes - qcodes[s]
        d2[:, s] = np.einsum("pd,pd->p", diff, diff)
    best_sym = np.argmin(d2, axis=1)
    dist = np.sqrt(np.clip(d2[np.arange(len(d2)), best_sym], 0.0, None))
    order = np.argsort(dist, kind="stable")
    out: list[Match] = []
    taken: dict[int, int] = {}
    for p in order:
        g = int(index.game[p])
        if per_game and taken.get(g, 0) >= per_game:
            continue
        taken[g] = taken.get(g, 0) + 1
        s = int(best_sym[p])
        theirs = mover_view(index.boards[p : p + 1], index.to_play[p : p + 1])[0]
        differing = int(np.sum(apply_symmetry(view, s) != theirs))
        out.append(
            Match(
                float(dist[p]),
                int(p),
                s,
                differing,
                index.names[g],
                int(index.move[p]),
                index.black[g],
                index.white[g],
                index.results[g],
                int(index.to_play[p]) != int(to_play),
            )
        )
        if len(out) >= top:
            break
    return out
