"""The checkpoint format: one file holding a network's shape, its weights and where it came from.

A checkpoint is a `torch.save` of a plain dictionary (loaded with `weights_only=True`, so a
file can hold no code):

    format        CHECKPOINT_FORMAT (an int; a newer reader refuses files from the future)
    kind          "policy_value" (the only kind so far)
    net_config    NetConfig.to_dict()
    state_dict    the unfused net's parameters and buffers
    step          training steps (or generations) behind these weights
    metrics       {name: float}: what the trainer measured, kept next to the weights
    info          {str: str}: free text (the command that made it, the data, the date)
    optimizer     the optimizer's state_dict, or absent (shipped weights leave it out)

Files are written atomically (`go_engine.files.atomic_write`), so a killed trainer leaves the
previous checkpoint or the new one. Any problem loading names the file and what is wrong.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from go_engine.files import atomic_write
from training.nets import NetConfig, PolicyValueNet

CHECKPOINT_FORMAT = 1


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file."""


@dataclass
class Checkpoint:
    """A loaded checkpoint: the net (in eval mode, on the requested device) and its record."""

    net: PolicyValueNet
    step: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    optimizer: dict[str, Any] | None = None


def save_checkpoint(
    path: str | os.PathLike,
    net: PolicyValueNet,
    *,
    step: int = 0,
    metrics: dict[str, float] | None = None,
    info: dict[str, str] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
) -> None:
    """Write `net` (and optionally the optimizer's state) to `path` atomically."""
    document: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "kind": "policy_value",
        "net_config": net.config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
        "step": int(step),
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "info": {k: str(v) for k, v in (info or {}).items()},
    }
    if optimizer is not None:
        document["optimizer"] = optimizer.state_dict()
    buffer = io.BytesIO()
    torch.save(document, buffer)
    atomic_write(path, buffer.getvalue())


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        document = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # torch raises many kinds for a damaged or foreign file
        msg = f"{path}: not a readable checkpoint ({type(e).__name__}: {e})"
        raise CheckpointError(msg) from e
    if not isinstance(document, dict) or "format" not in document:
        raise CheckpointError(f"{path}: not a go-engine checkpoint (no format field)")
    if document["format"] > CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path}: checkpoint format {document['format']} is newer than this reader "
            f"({CHECKPOINT_FORMAT}); upgrade go-engine"
        )
    if document.get("kind") != "policy_value":
        raise CheckpointError(f"{path}: unknown checkpoint kind {document.get('kind')!r}")
    try:
        config = NetConfig.from_dict(document["net_config"])
        net = PolicyValueNet(config)
        net.load_state_dict(document["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path}: weights do not fit the recorded network ({e})") from e
    net.to(device).eval()
    return Checkpoint(
        net=net,
        step=int(document.get("step", 0)),
        metrics=dict(document.get("metrics", {})),
        info=dict(document.get("info", {})),
        optimizer=document.get("optimizer"),
    )
