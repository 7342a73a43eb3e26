"""Int8 copies of the exported ONNX networks, for faster CPU inference.

    model = int8_model(fp32_bytes)          # quantized once, then read from the cache
    ev = OnnxEvaluator(model)               # the same evaluator interface, about 2x faster

ONNX Runtime's static quantization: weights int8 per output channel, activations uint8 with
ranges measured on calibration positions, operators fused into the integer kernels
(QLinearConv), which use the VNNI instructions where the CPU has them. On this project's CPU
class the 9x9 network runs about 2.3x faster at a search's batch of 8, with the policy's top
move unchanged on about 96% of positions (BENCHMARKS.md, "Session 12: searches that ran out of
tree, and int8 networks").

Calibration positions come from the network itself: a few games whose moves are sampled
from its own policy, so no data files are needed and a given network always gets the same
int8 copy. That copy is cached under `cache_dir()` (keyed by the float32 model's bytes, the
ONNX Runtime version and this module's calibration version), because quantizing takes a
second or more and a GUI waits for the engine to start.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

# Bump when the calibration positions or the quantization settings change: cached copies
# made the old way are then not reused.
CALIBRATION_VERSION = 1
CALIBRATION_GAMES = 8
CALIBRATION_POSITIONS = 256
PRECISIONS = ("float32", "int8")


def cache_dir() -> Path:
    """Folder of the cached int8 models: $GO_ENGINE_CACHE, else $XDG_CACHE_HOME/go-engine,
    else ~/.cache/go-engine; `int8/` inside it."""
    root = os.environ.get("GO_ENGINE_CACHE")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        root = os.path.join(base, "go-engine")
    return Path(root) / "int8"


def calibration_planes(
    session,
    board_size: int,
    features: str,
    positions: int = CALIBRATION_POSITIONS,
    games: int = CALIBRATION_GAMES,
    seed: int = 0,
) -> np.ndarray:
    """float32[positions, C, N, N]: positions of `games` games played by sampling the moves
    of the float32 `session`'s own policy, spread evenly over the games' moves."""
    # go_engine is imported here, not at the top, so that PRECISIONS costs the CLI nothing
    from go_engine.features import agz_planes, extended_planes
    from go_engine.game import Game
    from training.onnx_export import INPUT_NAME, OUTPUT_NAMES, _softmax

    planes_of = agz_planes if features == "agz" else extended_planes
    rng = np.random.default_rng(seed)
    boards = [Game(board_size) for _ in range(games)]
    n2 = board_size * board_size
    seen: list[np.ndarray] = []
    for _ in range(2 * n2):
        live = [g for g in boards if not g.is_over()]
        if not live:
            break
        x = np.stack([planes_of(g.state) for g in live])
        seen.extend(x)
        logits, _ = session.run(list(OUTPUT_NAMES), {INPUT_NAME: x})
        priors = _softmax(logits.astype(np.float32))
        for g, p in zip(live, priors, strict=True):
            w = np.where(g.legal_moves(), p, 0.0).astype(np.float64)
            move = int(rng.choice(n2 + 1, p=w / w.sum())) if w.sum() > 0 else n2
            g.play(move)
    pick = np.linspace(0, len(seen) - 1, min(positions, len(seen))).round().astype(int)
    return np.stack([seen[i] for i in pick]).astype(np.float32)


def quantize_int8(fp32: bytes, calibration: np.ndarray) -> bytes:
    """The int8 model of the float32 ONNX model `fp32`, its activation ranges measured on
    `calibration` (planes float32[B, C, N, N]). Metadata (net config, features) is kept."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from training.onnx_export import INPUT_NAME

    class _Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.start = 0

        def get_next(self) -> dict[str, np.ndarray] | None:
            if self.start >= len(calibration):
                return None
            batch = calibration[self.start : self.start + 64]
            self.start += 64
            return {INPUT_NAME: batch}

    with tempfile.TemporaryDirectory() as tmp:
        src, pre, out = (os.path.join(tmp, f) for f in ("in.onnx", "pre.onnx", "out.onnx"))
        Path(src).write_bytes(fp32)
        quant_pre_process(src, pre, skip_symbolic_shape=True)
        quantize_static(
            pre,
            out,
            _Reader(),
            quant_format=QuantFormat.QOperator,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        model = onnx.load(out)
    source = onnx.load_from_string(fp32)
    del model.metadata_props[:]
    for entry in source.metadata_props:
        model.metadata_props.add().CopyFrom(entry)
    model.producer_name = "go-engine"
    return model.SerializeToString()


def int8_model(fp32: bytes, cache: Path | None = None) -> bytes:
    """The int8 copy of the float32 ONNX model `fp32`: read from the cache, else made (with
    calibration positions from the model's own games) and cached atomically."""
    import onnxruntime as ort

    from go_engine.files import atomic_write
    from training.onnx_export import _session, onnx_metadata

    key = hashlib.sha256(fp32)
    key.update(f"{ort.__version__}/{CALIBRATION_VERSION}".encode())
    folder = cache if cache is not None else cache_dir()
    path = folder / f"{key.hexdigest()[:32]}.onnx"
    if path.exists():
        try:
            data = path.read_bytes()
            onnx_metadata(data)  # a damaged file is made again, not trusted
            return data
        except Exception:
            pass
    meta = onnx_metadata(fp32)
    session = _session(fp32, threads=None, providers=None)
    calib = calibration_planes(session, int(meta["board_size"]), str(meta["features"]))
    data = quantize_int8(fp32, calib)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError:
        pass  # a read-only cache only costs the time to quantize again
    return data
