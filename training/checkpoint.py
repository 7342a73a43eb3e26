"""The checkpoint format: one file per network holding its shape, its weights and its record.

Format 2 (the default; shipped networks use it) is a safetensors file, `NAME.safetensors`:
the tensors are the unfused net's `state_dict` (float32, or float16 with `half=True` to halve
the file), and the safetensors metadata header (a str -> str map) holds one entry, "go_engine",
a JSON document:

    format        CHECKPOINT_FORMAT (an int; a newer reader refuses files from the future)
    kind          "policy_value" (the only kind so far)
    net_config    NetConfig.to_dict(): arch ("resnet" or "plain"), blocks, channels, heads...
    board_size    N (also in net_config; repeated so a reader can check it without a net)
    features      the go_engine.features set the input planes come from ("agz", "extended")
    step          training steps (or generations) behind these weights
    data          {str: JSON value}: the data the weights were trained on (sources, counts)
    metrics       {name: float}: what the trainer measured, kept next to the weights
    info          {str: str}: free text (the command that made it, the date)
    dtype         the stored floating dtype ("float32" or "float16")
    written_by    "go-engine VERSION"
    optimizer     a token naming the sidecar file's contents, or absent

The optimizer's state (needed only to resume training) goes into a sidecar next to the weights,
`NAME.optim.pt` (a `torch.save` dictionary read back with `weights_only=True`: format, the same
token, step, and the optimizer's `state_dict`). Shipped weights leave it out. The sidecar is
written first and the weights second, each atomically (`go_engine.files.atomic_write`); a
sidecar whose token differs from the weights' (a trainer killed between the two writes) is
ignored with a warning, so a resumed run never pairs weights with another step's optimizer.

Format 1 (the first release) was one `torch.save` of a plain dictionary with the same fields
plus `state_dict` and `optimizer`. It is still read, whatever the file's name, and still
written when the path ends in `.pt` or `.pth` (a torch file, as the suffix promises) or when
`format=1` is asked for.

Loading checks everything it can before building the net and raises `CheckpointError` naming
the file and the problem: no such file, corrupt or truncated file, not a go-engine checkpoint,
format from the future, unknown kind, unknown architecture, unknown feature set, missing or
unexpected tensors, tensors of the wrong shape, and (with `expect_board_size` /
`expect_features`) a network for another board size or feature set. `read_metadata` returns
the JSON document of either format without building the net.
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from go_engine.files import atomic_write
from training.nets import ARCHS, FEATURE_PLANES, NetConfig, PolicyValueNet

CHECKPOINT_FORMAT = 2
METADATA_KEY = "go_engine"
LEGACY_SUFFIXES = (".pt", ".pth")
_KIND = "policy_value"
_STORE_DTYPES = {"float32": torch.float32, "float16": torch.float16}


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
    data: dict[str, Any] = field(default_factory=dict)
    format: int = CHECKPOINT_FORMAT
    path: Path | None = None

    @property
    def config(self) -> NetConfig:
        return self.net.config

    @property
    def board_size(self) -> int:
        return self.net.config.board_size

    @property
    def features(self) -> str:
        return self.net.config.features


def optimizer_path(path: str | os.PathLike) -> Path:
    """The optimizer sidecar of the weights at `path`: `NAME.optim.pt` next to `NAME.EXT`."""
    path = Path(path)
    return path.with_name(path.stem + ".optim.pt")


def _version() -> str:
    try:
        from go_engine import __version__

        return f"go-engine {__version__}"
    except ImportError:  # pragma: no cover - go_engine is always importable here
        return "go-engine"


def _document(
    net: PolicyValueNet,
    step: int,
    metrics: dict[str, float] | None,
    info: dict[str, str] | None,
    data: dict[str, Any] | None,
) -> dict[str, Any]:
    config = getattr(net, "config", None)
    if not isinstance(config, NetConfig):
        raise TypeError("net must have a `config` NetConfig (e.g. a PolicyValueNet)")
    for k, v in (metrics or {}).items():
        if not math.isfinite(float(v)):
            # JSON has no NaN; keep the record readable everywhere.
            raise ValueError(f"metric {k!r} is not finite ({v})")
    return {
        "kind": _KIND,
        "net_config": config.to_dict(),
        "board_size": config.board_size,
        "features": config.features,
        "step": int(step),
        "data": dict(data or {}),
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "info": {k: str(v) for k, v in (info or {}).items()},
    }


def save_checkpoint(
    path: str | os.PathLike,
    net: PolicyValueNet,
    *,
    step: int = 0,
    metrics: dict[str, float] | None = None,
    info: dict[str, str] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    data: dict[str, Any] | None = None,
    half: bool = False,
    format: int | None = None,
) -> None:
    """Write `net` (and optionally the optimizer's state) to `path` atomically.

    `format` None picks 1 for a path ending in .pt / .pth and 2 otherwise (use `.safetensors`).
    In format 2 the optimizer goes to the sidecar `optimizer_path(path)` (a stale sidecar is
    removed when no optimizer is given); `half` stores the floating tensors as float16 (they
    are loaded back as float32). `data` describes the training data (JSON values)."""
    path = Path(path)
    if format is None:
        format = 1 if path.suffix.lower() in LEGACY_SUFFIXES else CHECKPOINT_FORMAT
    if format not in (1, 2):
        raise ValueError(f"checkpoint format must be 1 or 2, not {format}")
    document = _document(net, step, metrics, info, data)
    store = torch.float16 if half else torch.float32

    def tensor(v: torch.Tensor) -> torch.Tensor:
        v = v.detach().cpu()
        if v.is_floating_point():
            v = v.to(store)
        return v.contiguous().clone()

    state = {k: tensor(v) for k, v in net.state_dict().items()}
    if format == 1:
        document.update(format=1, state_dict=state)
        if optimizer is not None:
            document["optimizer"] = optimizer.state_dict()
        buffer = io.BytesIO()
        torch.save(document, buffer)
        atomic_write(path, buffer.getvalue())
        return

    from safetensors.torch import save as safetensors_save

    document = {"format": CHECKPOINT_FORMAT, **document}
    document["dtype"] = "float16" if half else "float32"
    document["written_by"] = _version()
    sidecar = optimizer_path(path)
    if optimizer is not None:
        token = secrets.token_hex(8)
        document["optimizer"] = token
        side = {
            "format": CHECKPOINT_FORMAT,
            "token": token,
            "step": int(step),
            "optimizer": optimizer.state_dict(),
        }
        buffer = io.BytesIO()
        torch.save(side, buffer)
        atomic_write(sidecar, buffer.getvalue())
    blob = safetensors_save(state, metadata={METADATA_KEY: json.dumps(document)})
    atomic_write(path, blob)
    if optimizer is None and sidecar.exists():
        sidecar.unlink()


# ---------------------------------------------------------------------- reading


def _safetensors_header(path: Path, blob: bytes) -> dict[str, Any]:
    """The JSON header of a safetensors file, checked against the file's length."""
    if len(blob) < 8:
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint ({len(blob)} bytes)")
    (size,) = struct.unpack("<Q", blob[:8])
    if size > len(blob) - 8:
        raise CheckpointError(
            f"{path}: corrupt or truncated checkpoint (header of {size} bytes in a file of "
            f"{len(blob)} bytes)"
        )
    try:
        header = json.loads(blob[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: corrupt checkpoint (unreadable header: {e})") from e
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: corrupt checkpoint (header is not a JSON object)")
    ends = [
        v["data_offsets"][1]
        for k, v in header.items()
        if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v
    ]
    need = 8 + size + max(ends, default=0)
    if need > len(blob):
        raise CheckpointError(
            f"{path}: truncated checkpoint ({len(blob)} bytes, the header describes {need})"
        )
    return header


def _is_safetensors(blob: bytes) -> bool:
    """A safetensors file: a little-endian header length that fits the file, then a JSON
    object. Checked before the torch test: the length's first byte can be 0x80, which is also
    how a bare pickle starts."""
    if len(blob) < 9:
        return False
    (size,) = struct.unpack("<Q", blob[:8])
    return 8 + size <= len(blob) and blob[8:9] == b"{"


def _is_torch_file(blob: bytes) -> bool:
    """A `torch.save` file: a zip archive, or a bare pickle (the pre-1.6 format)."""
    return blob[:4] == b"PK\x03\x04" or blob[:1] == b"\x80"


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text[:200]}"


def _read(path: Path, tensors: bool) -> tuple[dict, dict | None]:
    """(metadata document, state dict or None) of either format."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({e})") from e
    if _is_safetensors(blob) or not _is_torch_file(blob):
        header = _safetensors_header(path, blob)
        meta = header.get("__metadata__") or {}
        if METADATA_KEY not in meta:
            raise CheckpointError(
                f"{path}: not a go-engine checkpoint (a safetensors file without "
                f"{METADATA_KEY!r} metadata)"
            )
        try:
            document = json.loads(meta[METADATA_KEY])
        except json.JSONDecodeError as e:
            raise CheckpointError(f"{path}: corrupt checkpoint metadata ({e})") from e
        if not isinstance(document, dict) or "format" not in document:
            raise CheckpointError(f"{path}: not a go-engine checkpoint (no format field)")
        state = None
        if tensors:
            from safetensors.torch import load as safetensors_load

            try:
                state = safetensors_load(blob)
            except Exception as e:  # SafetensorError and friends
                msg = f"{path}: corrupt checkpoint tensors ({_short(e)})"
                raise CheckpointError(msg) from e
        return document, state
    try:
        document = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a damaged or foreign file
        msg = f"{path}: corrupt or truncated checkpoint ({_short(e)})"
        raise CheckpointError(msg) from e
    if not isinstance(document, dict) or "format" not in document:
        raise CheckpointError(f"{path}: not a go-engine checkpoint (no format field)")
    state = document.pop("state_dict", None) if tensors else None
    if tensors and not isinstance(state, dict):
        raise CheckpointError(f"{path}: the checkpoint holds no tensors (no state_dict)")
    return document, state


def _check_document(
    path: Path,
    document: dict[str, Any],
    expect_board_size: int | None,
    expect_features: str | None,
) -> NetConfig:
    fmt = document["format"]
    if not isinstance(fmt, int) or fmt < 1:
        raise CheckpointError(f"{path}: bad checkpoint format field {fmt!r}")
    if fmt > CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path}: checkpoint format {fmt} is newer than this reader "
            f"({CHECKPOINT_FORMAT}); upgrade go-engine"
        )
    if document.get("kind") != _KIND:
        raise CheckpointError(f"{path}: unknown checkpoint kind {document.get('kind')!r}")
    raw = document.get("net_config")
    if not isinstance(raw, dict):
        raise CheckpointError(f"{path}: no network architecture recorded (net_config)")
    arch = raw.get("arch", "resnet")
    if arch not in ARCHS:
        raise CheckpointError(
            f"{path}: unknown architecture {arch!r} (this reader knows {', '.join(ARCHS)})"
        )
    try:
        config = NetConfig.from_dict(raw)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: bad network architecture ({e})") from e
    features = document.get("features")
    known = ", ".join(f"{n} ({c} planes)" for n, c in FEATURE_PLANES.items())
    if features is None:  # format 1 did not record it: derive it from the planes
        features = next((n for n, c in FEATURE_PLANES.items() if c == config.in_planes), None)
        if features is None:
            raise CheckpointError(
                f"{path}: unknown feature set: the network takes {config.in_planes} input "
                f"planes (known: {known})"
            )
    elif features not in FEATURE_PLANES:
        raise CheckpointError(f"{path}: unknown feature set {features!r} (known: {known})")
    elif FEATURE_PLANES[features] != config.in_planes:
        raise CheckpointError(
            f"{path}: feature set {features!r} has {FEATURE_PLANES[features]} planes but the "
            f"network takes {config.in_planes}"
        )
    recorded = document.get("board_size", config.board_size)
    if recorded != config.board_size:
        raise CheckpointError(
            f"{path}: board size {recorded} disagrees with the architecture's {config.board_size}"
        )
    if expect_board_size is not None and config.board_size != expect_board_size:
        n = config.board_size
        raise CheckpointError(
            f"{path}: wrong board size: the network plays {n}x{n}, not "
            f"{expect_board_size}x{expect_board_size}"
        )
    if expect_features is not None and features != expect_features:
        raise CheckpointError(
            f"{path}: wrong feature set: the network takes {features!r} planes, not "
            f"{expect_features!r}"
        )
    return config


def _check_tensors(path: Path, net: PolicyValueNet, state: dict[str, torch.Tensor]) -> None:
    want = net.state_dict()
    missing = sorted(set(want) - set(state))
    if missing:
        shown = ", ".join(missing[:6]) + (", ..." if len(missing) > 6 else "")
        raise CheckpointError(
            f"{path}: missing tensors for the recorded network ({len(missing)}): {shown}"
        )
    extra = sorted(set(state) - set(want))
    if extra:
        shown = ", ".join(extra[:6]) + (", ..." if len(extra) > 6 else "")
        raise CheckpointError(
            f"{path}: weights do not fit the recorded network: unexpected tensors "
            f"({len(extra)}): {shown}"
        )
    for k, v in want.items():
        if tuple(state[k].shape) != tuple(v.shape):
            raise CheckpointError(
                f"{path}: weights do not fit the recorded network: tensor {k} has shape "
                f"{list(state[k].shape)}, the network needs {list(v.shape)}"
            )
        if state[k].is_floating_point() != v.is_floating_point():
            raise CheckpointError(f"{path}: tensor {k} has dtype {state[k].dtype}")


def _optimizer_state(path: Path, document: dict[str, Any]) -> dict[str, Any] | None:
    token = document.get("optimizer")
    if not token:
        return None
    side = optimizer_path(path)
    if not side.is_file():
        warnings.warn(f"{path}: optimizer sidecar {side.name} is missing", stacklevel=3)
        return None
    try:
        saved = torch.load(side, map_location="cpu", weights_only=True)
    except Exception as e:
        warnings.warn(f"{side}: unreadable optimizer sidecar ({e}); ignored", stacklevel=3)
        return None
    if not isinstance(saved, dict) or saved.get("token") != token:
        warnings.warn(
            f"{side}: optimizer state from another save than {path.name}; ignored", stacklevel=3
        )
        return None
    return saved.get("optimizer")


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata document of a checkpoint of either format (no tensors are built), after
    the same checks as `load_checkpoint` makes of it; "features" and "board_size" are filled
    in for format-1 files."""
    path = Path(path)
    document, _ = _read(path, tensors=False)
    document.pop("state_dict", None)
    config = _check_document(path, document, None, None)
    document.setdefault("board_size", config.board_size)
    document.setdefault("features", config.features)
    if document["format"] == 1:
        document["optimizer"] = "optimizer" in document
    return document


def load_checkpoint(
    path: str | os.PathLike,
    device: str | torch.device = "cpu",
    *,
    expect_board_size: int | None = None,
    expect_features: str | None = None,
    load_optimizer: bool = True,
) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint` (format 1 or 2) into an eval-mode net on
    `device`. `expect_board_size` / `expect_features` refuse a network for another board size
    or feature set; every problem raises `CheckpointError` naming the file."""
    path = Path(path)
    document, state = _read(path, tensors=True)
    assert state is not None
    config = _check_document(path, document, expect_board_size, expect_features)
    net = PolicyValueNet(config)
    _check_tensors(path, net, state)
    try:
        net.load_state_dict(state)
    except (RuntimeError, ValueError) as e:
        raise CheckpointError(f"{path}: weights do not fit the recorded network ({e})") from e
    net.to(device).eval()
    if document["format"] == 1:
        optimizer = document.get("optimizer") if load_optimizer else None
    else:
        optimizer = _optimizer_state(path, document) if load_optimizer else None
    return Checkpoint(
        net=net,
        step=int(document.get("step", 0)),
        metrics=dict(document.get("metrics", {})),
        info=dict(document.get("info", {})),
        optimizer=optimizer,
        data=dict(document.get("data") or {}),
        format=int(document["format"]),
        path=path,
    )
