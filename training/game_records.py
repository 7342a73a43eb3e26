"""Game records as compact arrays, their shard files, and the replay that turns them into positions.

Supervised training reads SGF collections once and keeps what it needs as `GameRecords`: per
game its setup stones, its moves (actions, passes included, and colours), its result and its
name; everything in flat NumPy arrays with offsets, about 3 bytes per move. A shard is one
`GameRecords` saved as a compressed `.npz`, written atomically. `replay_positions` turns a
shard into training positions with one compiled pass over all its games: the board before each
move (uint8, 0 empty / 1 black / 2 white, action layout), the colour to move, the move played,
and where each game's positions start. Replay uses simple ko (`Rules.named("japanese")`), so real
triple kos of professional games replay; a game with an illegal move (a broken record) is
dropped whole and counted.

Results: +1 when Black won, -1 when White won, 0 for a draw (jigo) and NaN when the record has
no usable result (no RE, "Void", "?", unfinished); value targets skip NaN.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numba import njit

from go_engine.board import MOVE_OK, copy_into, copy_state, play, set_stone, set_to_play
from go_engine.features import (
    DEFAULT_LADDER_NODES,
    EXTENDED_PLANES,
    Workspace,
    default_ladder_depth,
    extended_fill,
    workspace,
)
from go_engine.files import atomic_write
from go_engine.jit import JIT
from go_engine.rules import Rules
from go_engine.sgf_io import SGFError, SGFGame, iter_sgf_archive, read_sgf
from go_engine.state import M_N, State, new_state

RECORDS_FORMAT = 1
_RESULT = re.compile(r"^\s*([BW])\s*\+", re.IGNORECASE)


class RecordsError(ValueError):
    """A shard file that cannot be read; the message names the file."""


def parse_result(text: str | None) -> float:
    """+1 (Black won), -1 (White won), 0 (draw) or NaN (unknown) from an SGF RE value."""
    if not text:
        return float("nan")
    t = text.strip()
    if t.upper() in ("0", "DRAW", "JIGO") or t.upper().startswith("JIGO"):
        return 0.0
    m = _RESULT.match(t)
    if m is None:
        return float("nan")
    return 1.0 if m.group(1).upper() == "B" else -1.0


@dataclass
class GameRecords:
    """Several games of one board size in flat arrays (see the module docstring)."""

    board_size: int
    names: list[str] = field(default_factory=list)
    setup_offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    setup_actions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    setup_colors: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    move_offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    move_actions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    move_colors: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    results: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    komi: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.names)

    @property
    def num_moves(self) -> int:
        return int(self.move_offsets[-1])

    @classmethod
    def from_games(cls, board_size: int, games: Iterable[tuple[str, SGFGame]]) -> GameRecords:
        """Pack (name, SGFGame) pairs of one board size."""
        names: list[str] = []
        s_off, s_act, s_col = [0], [], []
        m_off, m_act, m_col = [0], [], []
        results, komi = [], []
        for name, g in games:
            if g.size != board_size:
                raise ValueError(f"{name}: board size {g.size}, expected {board_size}")
            names.append(name)
            for a, c in g.setup:
                s_act.append(a)
                s_col.append(c)
            s_off.append(len(s_act))
            for a, c in g.moves:
                m_act.append(a)
                m_col.append(c)
            m_off.append(len(m_act))
            results.append(parse_result(g.result))
            komi.append(g.komi)
        return cls(
            board_size,
            names,
            np.array(s_off, np.int64),
            np.array(s_act, np.int16),
            np.array(s_col, np.int8),
            np.array(m_off, np.int64),
            np.array(m_act, np.int16),
            np.array(m_col, np.int8),
            np.array(results, np.float32),
            np.array(komi, np.float32),
        )

    def save(self, path: str | os.PathLike) -> None:
        """Write to a compressed .npz, atomically."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            format=np.int64(RECORDS_FORMAT),
            board_size=np.int64(self.board_size),
            names=np.array(self.names, dtype=np.str_),
            setup_offsets=self.setup_offsets,
            setup_actions=self.setup_actions,
            setup_colors=self.setup_colors,
            move_offsets=self.move_offsets,
            move_actions=self.move_actions,
            move_colors=self.move_colors,
            results=self.results,
            komi=self.komi,
        )
        atomic_write(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> GameRecords:
        """Read a file written by `save`; problems name the file."""
        try:
            with np.load(path) as d:
                if int(d["format"]) > RECORDS_FORMAT:
                    raise RecordsError(f"{path}: records format {int(d['format'])} is too new")
                rec = cls(
                    int(d["board_size"]),
                    [str(x) for x in d["names"]],
                    d["setup_offsets"],
                    d["setup_actions"],
                    d["setup_colors"],
                    d["move_offsets"],
                    d["move_actions"],
                    d["move_colors"],
                    d["results"],
                    d["komi"],
                )
        except RecordsError:
            raise
        except (OSError, KeyError, ValueError, EOFError) as e:
            raise RecordsError(f"{path}: not a game-records shard ({e})") from e
        g = len(rec.names)
        if len(rec.move_offsets) != g + 1 or rec.num_moves != len(rec.move_actions):
            raise RecordsError(f"{path}: inconsistent offsets")
        return rec


@dataclass
class ReadReport:
    """What reading a collection found: games kept and games skipped, by reason."""

    read: int = 0
    kept: int = 0
    skipped: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {"read": self.read, "kept": self.kept, "skipped": dict(self.skipped)}


def iter_games(
    sources: Iterable[str | os.PathLike], board_size: int, report: ReadReport | None = None
) -> Iterator[tuple[str, SGFGame]]:
    """(name, SGFGame) for every readable record of `board_size` in `sources` (folders,
    archives, .sgf files). Unreadable records, other sizes and games without moves are
    skipped and counted in `report`, never fatal."""
    report = report if report is not None else ReadReport()
    for source in sources:
        if not os.path.exists(source):
            raise FileNotFoundError(f"{source}: no such file or folder")
        for name, data in iter_sgf_archive(source):
            report.read += 1
            try:
                game = read_sgf(data, name=name)
            except SGFError:
                report.skipped["unreadable"] += 1
                continue
            except Exception:  # sgfmill can raise odd errors on garbage bytes
                report.skipped["unreadable"] += 1
                continue
            if game.size != board_size:
                report.skipped[f"size {game.size}"] += 1
                continue
            if not game.moves:
                report.skipped["no moves"] += 1
                continue
            report.kept += 1
            yield name, game


# ----------------------------------------------------------------------------- replay


class Positions(NamedTuple):
    """Training positions from one `GameRecords` (P positions, G games)."""

    boards: np.ndarray  # uint8[P, N*N]: the board before the move
    to_play: np.ndarray  # int8[P]: colour of the move played (1 black, 2 white)
    actions: np.ndarray  # int16[P]: the move played (N*N = pass)
    game: np.ndarray  # int32[P]: index of the game in the records
    first: np.ndarray  # int64[P]: index of the game's first position (history stops there)
    ok: np.ndarray  # bool[G]: the game replayed (False: dropped, an illegal move)
    # uint8[P, EXTENDED_PLANES, N, N]: the extended planes (features="extended"), else None
    planes: np.ndarray | None = None


@njit(**JIT)
def _replay_all(
    template: State,
    s_off: np.ndarray,
    s_act: np.ndarray,
    s_col: np.ndarray,
    m_off: np.ndarray,
    m_act: np.ndarray,
    m_col: np.ndarray,
    boards: np.ndarray,
    to_play: np.ndarray,
    actions: np.ndarray,
    game: np.ndarray,
    first: np.ndarray,
    ok: np.ndarray,
) -> int:
    n = template.meta[M_N]
    nn = n * n
    st = copy_state(template)
    out = 0
    for g in range(ok.shape[0]):
        copy_into(st, template)
        good = True
        for j in range(s_off[g], s_off[g + 1]):
            if set_stone(st, s_act[j], s_col[j]) != MOVE_OK:
                good = False
                break
        start = out
        if good and m_off[g + 1] > m_off[g]:
            set_to_play(st, m_col[m_off[g]])
        if good:
            for j in range(m_off[g], m_off[g + 1]):
                a = m_act[j]
                c = m_col[j]
                for x in range(nn):
                    boards[out, x] = st.board[st.a2p[x]]
                to_play[out] = c
                actions[out] = a
                game[out] = g
                first[out] = start
                out += 1
                if play(st, a, c) < 0:
                    good = False
                    break
        ok[g] = good
        if not good:
            out = start
    return out


@njit(**JIT)
def _extended_all(
    template: State,
    s_off: np.ndarray,
    s_act: np.ndarray,
    s_col: np.ndarray,
    m_off: np.ndarray,
    m_act: np.ndarray,
    m_col: np.ndarray,
    ok: np.ndarray,
    planes: np.ndarray,
    scratch: np.ndarray,
    ws: Workspace,
    max_nodes: int,
) -> None:
    """The extended planes of every position of the games `_replay_all` kept (ok[g]), in the
    same order, as 0/1 bytes. The mover is set to play first, as in the records."""
    st = copy_state(template)
    out = 0
    for g in range(ok.shape[0]):
        if not ok[g]:
            continue
        copy_into(st, template)
        for j in range(s_off[g], s_off[g + 1]):
            set_stone(st, s_act[j], s_col[j])
        for j in range(m_off[g], m_off[g + 1]):
            set_to_play(st, m_col[j])
            extended_fill(st, scratch, ws, max_nodes)
            for c in range(scratch.shape[0]):
                for r in range(scratch.shape[1]):
                    for q in range(scratch.shape[2]):
                        planes[out, c, r, q] = 1 if scratch[c, r, q] > 0.5 else 0
            out += 1
            play(st, m_act[j], m_col[j])


_TEMPLATES: dict[int, State] = {}


def _template(n: int) -> State:
    if n not in _TEMPLATES:
        # Long records (up to 4*N*N moves) must fit the history arrays.
        _TEMPLATES[n] = new_state(n, Rules.named("japanese"), history=4 * n * n + 64)
    return _TEMPLATES[n]


def replay_positions(records: GameRecords, features: str = "agz") -> Positions:
    """Every position of every game in `records` (games with an illegal move dropped); with
    features="extended" also the extended planes of each (8 KB a 19x19 position, 20-250 us
    each to compute: keep such shards small)."""
    if features not in ("agz", "extended"):
        raise ValueError(f"unknown feature set {features!r}")
    n = records.board_size
    total = records.num_moves
    boards = np.empty((total, n * n), np.uint8)
    to_play = np.empty(total, np.int8)
    actions = np.empty(total, np.int16)
    game = np.empty(total, np.int32)
    first = np.empty(total, np.int64)
    ok = np.zeros(len(records), np.bool_)
    count = _replay_all(
        _template(n),
        records.setup_offsets,
        records.setup_actions,
        records.setup_colors,
        records.move_offsets,
        records.move_actions,
        records.move_colors,
        boards,
        to_play,
        actions,
        game,
        first,
        ok,
    )
    planes = None
    if features == "extended":
        planes = np.empty((count, EXTENDED_PLANES, n, n), np.uint8)
        _extended_all(
            _template(n),
            records.setup_offsets,
            records.setup_actions,
            records.setup_colors,
            records.move_offsets,
            records.move_actions,
            records.move_colors,
            ok,
            planes,
            np.empty((EXTENDED_PLANES, n, n), np.float32),
            workspace(n, default_ladder_depth(n)),
            DEFAULT_LADDER_NODES,
        )
    return Positions(
        boards[:count], to_play[:count], actions[:count], game[:count], first[:count], ok, planes
    )


# ----------------------------------------------------------------------------- shards


def shard_paths(folder: str | os.PathLike, split: str) -> list[Path]:
    """The shard files of one split ("train" or "val") in a folder, in order."""
    return sorted(Path(folder).glob(f"{split}-*.npz"))


def write_shards(
    games: Iterable[tuple[str, SGFGame]],
    board_size: int,
    folder: str | os.PathLike,
    is_val,
    games_per_shard: int = 1000,
) -> dict[str, int]:
    """Pack `games` into `folder`/train-00000.npz, ..., val-00000.npz, ... (`is_val(name)`
    chooses the split). Returns games per split."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pending: dict[str, list[tuple[str, SGFGame]]] = {"train": [], "val": []}
    index = {"train": 0, "val": 0}
    counts = {"train": 0, "val": 0}

    def flush(split: str) -> None:
        if pending[split]:
            rec = GameRecords.from_games(board_size, pending[split])
            rec.save(folder / f"{split}-{index[split]:05d}.npz")
            index[split] += 1
            counts[split] += len(pending[split])
            pending[split] = []

    for name, game in games:
        split = "val" if is_val(name) else "train"
        pending[split].append((name, game))
        if len(pending[split]) >= games_per_shard:
            flush(split)
    flush("train")
    flush("val")
    return counts
