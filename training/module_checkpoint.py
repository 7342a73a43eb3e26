"""Checkpoints of the baseline models (LSTM, seq2seq, autoencoder, GAN, ...): one safetensors file.

The policy/value networks have their own richer format (`training.checkpoint`); the baselines
share this simpler one. The tensors are the module's `state_dict` (float32) and the safetensors
metadata holds one JSON document under "go_engine":

    format    MODULE_FORMAT
    kind      which model family wrote it ("lstm", "seq2seq", "autoencoder", "gan", ...)
    config    the family's config dataclass as a dict (enough to rebuild the module)
    metrics   {name: float}, info {str: str}, data {str: JSON}: what was measured, how, on what

Files are written atomically. `load_module` checks the kind and names the file and the problem
(no such file, not a checkpoint, another kind, missing or misshapen tensors) in a
`CheckpointError`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from go_engine.files import atomic_write
from training.checkpoint import CheckpointError

MODULE_FORMAT = 1
_KEY = "go_engine"


@dataclass
class ModuleRecord:
    """What a module checkpoint holds besides the weights."""

    kind: str
    config: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def save_module(
    path: str | os.PathLike,
    module: torch.nn.Module,
    kind: str,
    config: dict[str, Any],
    *,
    metrics: dict[str, float] | None = None,
    info: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Write `module`'s weights and record to `path` (atomically)."""
    metrics = {k: float(v) for k, v in (metrics or {}).items() if math.isfinite(float(v))}
    document = {
        "format": MODULE_FORMAT,
        "kind": kind,
        "config": config,
        "metrics": metrics,
        "info": {k: str(v) for k, v in (info or {}).items()},
        "data": dict(data or {}),
    }
    state = {k: v.detach().float().contiguous().cpu() for k, v in module.state_dict().items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, st_save(state, metadata={_KEY: json.dumps(document)}))


def read_record(
    path: str | os.PathLike, expect_kind: str | None = None
) -> tuple[dict, ModuleRecord]:
    """(tensors, record) of a module checkpoint, checked; errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    blob = path.read_bytes()
    try:
        state = st_load(blob)
        n = int.from_bytes(blob[:8], "little")
        header = json.loads(blob[8 : 8 + n])
        document = json.loads(header["__metadata__"][_KEY])
    except (SafetensorError, KeyError, ValueError, TypeError) as e:
        raise CheckpointError(f"{path}: not a go-engine module checkpoint ({e})") from e
    if int(document.get("format", 0)) > MODULE_FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {document['format']} is too new")
    kind = document.get("kind")
    if expect_kind is not None and kind != expect_kind:
        raise CheckpointError(f"{path}: a {kind!r} checkpoint, expected {expect_kind!r}")
    record = ModuleRecord(
        kind,
        dict(document.get("config", {})),
        dict(document.get("metrics", {})),
        dict(document.get("info", {})),
        dict(document.get("data", {})),
        path,
    )
    return state, record


def load_into(path: str | os.PathLike, module: torch.nn.Module, state: dict) -> None:
    """Load `state` into `module`, naming the file when tensors are missing or misshapen."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    if missing or extra:
        raise CheckpointError(
            f"{path}: tensors do not match (missing {missing}, unexpected {extra})"
        )
    for k, v in own.items():
        if tuple(v.shape) != tuple(state[k].shape):
            raise CheckpointError(
                f"{path}: tensor {k} has shape {tuple(state[k].shape)}, expected {tuple(v.shape)}"
            )
    module.load_state_dict({k: state[k].to(own[k].dtype) for k in own})
