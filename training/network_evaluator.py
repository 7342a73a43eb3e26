"""The evaluator a player gets for a network file: ONNX Runtime on a CPU, torch on a GPU.

On this project's CPU class ONNX Runtime evaluates the shipped networks 2 to 13 times faster
than torch (BENCHMARKS.md, "Networks"), so players use it whenever it is installed and no GPU
is present; with CUDA, `TorchEvaluator` (half precision optional, CUDA graphs) is faster.
`network_path(model, board_size)` resolves "no --model" to the shipped network that plays that
size (`training.networks.playing_network`; with sl=True the SL network).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from training.checkpoint import load_checkpoint
from training.networks import playing_network, shipped_network
from training.onnx_int8 import PRECISIONS


def network_path(model: str | os.PathLike | None, board_size: int, sl: bool = False) -> Path:
    """`model`, or the shipped network that plays `board_size` (with `sl`, its SL network);
    a clear error when there is none."""
    if model:
        return Path(model)
    path = shipped_network(board_size) if sl else playing_network(board_size)
    if path is None:
        raise ValueError(
            f"no shipped network plays {board_size}x{board_size}; give --model CHECKPOINT"
        )
    return path


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. under taskset), so that thread
    pools are not oversubscribed on a pinned core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def load_evaluator(
    path: str | os.PathLike,
    device: str = "auto",
    threads: int | None = None,
    expect_board_size: int | None = None,
    precision: str = "float32",
) -> Any:
    """An evaluator for the checkpoint at `path`: device "auto" picks torch on CUDA, else
    ONNX Runtime when installed, else torch on the CPU; "cpu", "onnx" and "cuda" force one.
    Precision "int8" runs ONNX Runtime's int8 copy of the network (`training.onnx_int8`)
    where ONNX Runtime is the runtime; on CUDA and torch's CPU path it is float32 as before."""
    import torch

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    from training.torch_evaluator import TorchEvaluator

    ck = load_checkpoint(path, load_optimizer=False, expect_board_size=expect_board_size)
    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif onnx_available():
            device = "onnx"
        else:
            device = "cpu"
    if device == "onnx":
        from training.onnx_export import OnnxEvaluator, export_onnx_bytes
        from training.onnx_int8 import int8_model

        model = export_onnx_bytes(ck.net)
        if precision == "int8":
            model = int8_model(model)
        # ONNX Runtime's default is one thread per core of the machine, even when this
        # process may use fewer (a match pinned to one core ran two threads on it)
        return OnnxEvaluator(model, threads=threads or usable_cores())
    return TorchEvaluator(ck.net, device=device)
