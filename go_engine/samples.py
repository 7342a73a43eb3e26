"""The sample-shard format of self-play: what one position teaches the network.

A shard is a compressed `.npz` written atomically (`go_engine.files.atomic_write`), with one
row per sample, S rows in all, on an N x N board:

    planes     uint8[S, ceil(17*N*N/8)]  the 17 AlphaGo Zero planes (all 0/1), bit-packed
                                         (`np.packbits` of planes.reshape(-1)), C order
    policy     float16[S, N*N+1]         the search's visit distribution (sums to 1)
    value      int8[S]                   the game's result for the player to move: +1, -1, 0
    ownership  int8[S, N*N]              the final owner of each point for the player to move:
                                         +1 own, -1 opponent's, 0 neither (Tromp-Taylor)
    score      float32[S]                the final area score for the player to move
    final      bool[S]                   whether ownership and score are known (false when the
                                         game ended by resignation or at the move cap)
    game       int32[S]                  the game's index within the shard's generation
    meta       a JSON string: board_size, planes, format

A 9x9 sample takes about 420 bytes before compression. The planes already hold the history
and the colour to move, so a sample needs nothing else to be trained on; the trainer applies the 8
board symmetries (`training.rl_train`).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from go_engine.files import atomic_write

SHARD_FORMAT = 1
PLANES = 17


@dataclass
class Samples:
    """Rows of training samples (see the module docstring); planes are unpacked on demand."""

    board_size: int
    planes: np.ndarray
    policy: np.ndarray
    value: np.ndarray
    ownership: np.ndarray
    score: np.ndarray
    final: np.ndarray
    game: np.ndarray

    def __len__(self) -> int:
        return int(self.value.shape[0])

    @classmethod
    def empty(cls, board_size: int) -> Samples:
        n2 = board_size * board_size
        return cls(
            board_size,
            np.zeros((0, packed_width(board_size)), np.uint8),
            np.zeros((0, n2 + 1), np.float16),
            np.zeros(0, np.int8),
            np.zeros((0, n2), np.int8),
            np.zeros(0, np.float32),
            np.zeros(0, bool),
            np.zeros(0, np.int32),
        )

    def unpacked_planes(self, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """float32[R, 17, N, N] of the chosen rows (all when None)."""
        packed = self.planes if rows is None else self.planes[rows]
        n = self.board_size
        bits = np.unpackbits(packed, axis=1, count=PLANES * n * n)
        return bits.reshape(-1, PLANES, n, n).astype(np.float32)

    def select(self, rows: np.ndarray | slice) -> Samples:
        return Samples(
            self.board_size,
            self.planes[rows],
            self.policy[rows],
            self.value[rows],
            self.ownership[rows],
            self.score[rows],
            self.final[rows],
            self.game[rows],
        )

    def check(self, source: str = "samples") -> None:
        """Raise ValueError naming `source` when the arrays disagree in shape or kind."""
        n = self.board_size
        s = len(self)
        want = {
            "planes": (s, packed_width(n)),
            "policy": (s, n * n + 1),
            "ownership": (s, n * n),
            "score": (s,),
            "final": (s,),
            "game": (s,),
        }
        for name, shape in want.items():
            got = getattr(self, name).shape
            if got != shape:
                raise ValueError(f"{source}: {name} has shape {got}, expected {shape}")


def packed_width(board_size: int) -> int:
    return (PLANES * board_size * board_size + 7) // 8


def pack_planes(planes: np.ndarray) -> np.ndarray:
    """uint8[R, packed_width]: bit-packed 0/1 planes float[R, 17, N, N]."""
    r = planes.shape[0]
    return np.packbits(planes.reshape(r, int(np.prod(planes.shape[1:]))) > 0.5, axis=1)


def concatenate(parts: list[Samples], board_size: int) -> Samples:
    if not parts:
        return Samples.empty(board_size)
    return Samples(
        board_size,
        *(np.concatenate([getattr(p, f) for p in parts]) for f in _ARRAYS),
    )


_ARRAYS = ("planes", "policy", "value", "ownership", "score", "final", "game")


def write_shard(path: str | os.PathLike, samples: Samples) -> None:
    """Write `samples` to `path` atomically (a crash leaves the old file or the new one)."""
    samples.check(str(path))
    buf = io.BytesIO()
    meta = {"format": SHARD_FORMAT, "board_size": samples.board_size, "planes": PLANES}
    np.savez_compressed(
        buf, meta=np.array(json.dumps(meta)), **{f: getattr(samples, f) for f in _ARRAYS}
    )
    atomic_write(path, buf.getvalue())


def read_shard(path: str | os.PathLike) -> Samples:
    """Read a shard; a missing, truncated or foreign file raises ValueError naming it."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {f: z[f] for f in _ARRAYS}
    except FileNotFoundError:
        raise ValueError(f"{path}: no such sample shard") from None
    except (OSError, ValueError, KeyError, EOFError) as e:
        raise ValueError(f"{path}: not a readable sample shard ({e})") from e
    if meta.get("format") != SHARD_FORMAT or meta.get("planes") != PLANES:
        raise ValueError(f"{path}: unsupported sample shard {meta}")
    samples = Samples(int(meta["board_size"]), **arrays)
    samples.check(str(path))
    return samples
