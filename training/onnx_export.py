"""ONNX export of a `PolicyValueNet`, its check against torch, and an ONNX Runtime evaluator.

    export_onnx(net, "net.onnx")             # writes atomically, verifies with onnxruntime
    ev = OnnxEvaluator("net.onnx")           # the search's evaluator interface, like TorchEvaluator
    priors, values = ev.evaluate(planes)

The graph has one input and two outputs, with a dynamic batch axis:

    planes   float32[batch, in_planes, N, N]   the go_engine.features planes
    policy   float32[batch, N*N+1]             raw logits (apply softmax), pass last
    value    float32[batch]                    tanh value for the player to move

Batch norm is folded into the convolutions before export (the same outputs up to rounding).
The model's metadata_props hold "go_engine" = JSON {"net_config", "features", "board_size"},
which `OnnxEvaluator` reads to know its board size and feature set. The auxiliary heads
(ownership, score) are left out: the search does not use them.

The exporter is torch's TorchScript-based one by default (fast, needs only the `onnx`
package); `dynamo=True` uses the torch.export-based one (needs `onnxscript`). `verify_onnx`
runs the file through onnxruntime at several batch sizes and compares with the torch net.

`OnnxEvaluator` runs on ONNX Runtime's CPU provider (or the providers given); softmax is taken
in numpy. `go-engine bench nn` measures it beside `TorchEvaluator`.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from go_engine.files import atomic_write
from training.nets import FEATURE_PLANES, NetConfig, PolicyValueNet, features_for_planes
from training.torch_evaluator import NetworkEvaluatorBase

INPUT_NAME = "planes"
OUTPUT_NAMES = ("policy", "value")
METADATA_KEY = "go_engine"
DEFAULT_OPSET = 17


class OnnxMismatchError(ValueError):
    """onnxruntime's outputs differ from torch's by more than the tolerance."""


def _config(net: nn.Module) -> NetConfig:
    config = getattr(net, "config", None)
    if not isinstance(config, NetConfig):
        raise TypeError("net must have a `config` NetConfig (e.g. a PolicyValueNet)")
    return config


class _PolicyValue(nn.Module):
    """`net.forward` alone (policy logits, value), for the exporter."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, value = self.net(x)
        return logits, value


def _inference_copy(net: nn.Module, fuse: bool) -> nn.Module:
    own = copy.deepcopy(net).cpu().float().eval()
    for p in own.parameters():
        p.requires_grad_(False)
    if fuse and hasattr(own, "fuse_batchnorm_"):
        own.fuse_batchnorm_()
    return own


def export_onnx_bytes(
    net: nn.Module,
    *,
    fuse: bool = True,
    opset: int = DEFAULT_OPSET,
    dynamo: bool = False,
) -> bytes:
    """The serialized ONNX model of `net` (see the module docstring)."""
    import onnx

    config = _config(net)
    model = _PolicyValue(_inference_copy(net, fuse))
    n = config.board_size
    example = torch.zeros((2, config.in_planes, n, n), dtype=torch.float32)
    params = inspect.signature(torch.onnx.export).parameters
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = os.path.join(tmp, "net.onnx")
        kwargs: dict[str, Any] = {
            "input_names": [INPUT_NAME],
            "output_names": list(OUTPUT_NAMES),
            "opset_version": opset,
        }
        if dynamo:
            from torch.export import Dim

            kwargs["dynamic_shapes"] = ({0: Dim("batch")},)
            program = torch.onnx.export(model, (example,), dynamo=True, **kwargs)
            program.save(out)
        else:
            if "dynamo" in params:
                kwargs["dynamo"] = False
            kwargs["dynamic_axes"] = {name: {0: "batch"} for name in (INPUT_NAME, *OUTPUT_NAMES)}
            torch.onnx.export(model, (example,), out, **kwargs)
        proto = onnx.load(out)
    meta = {
        "net_config": config.to_dict(),
        "features": features_for_planes(config.in_planes),
        "board_size": config.board_size,
    }
    del proto.metadata_props[:]
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    proto.producer_name = "go-engine"
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def _session(
    model: str | os.PathLike | bytes,
    threads: int | None,
    providers: list[str] | None,
    spin: bool = False,
):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    if not spin:
        # Idle worker threads that spin steal the cores from torch and the search between
        # calls (two cores here); block them instead.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(
        source, sess_options=options, providers=providers or ["CPUExecutionProvider"]
    )


def verify_onnx(
    model: str | os.PathLike | bytes,
    net: nn.Module,
    *,
    batch_sizes: tuple[int, ...] = (1, 3),
    atol: float = 1e-3,
    rtol: float = 1e-3,
    seed: int = 0,
) -> dict[str, float]:
    """Run the ONNX model and the torch net (eval mode, float32, CPU) on random 0/1 planes at
    each batch size; return the largest absolute differences {"policy": .., "value": ..}, or
    raise `OnnxMismatchError` when they are not close (|a-b| <= atol + rtol*|b|)."""
    config = _config(net)
    reference = _inference_copy(net, fuse=False)
    session = _session(model, None, None)
    rng = np.random.default_rng(seed)
    n = config.board_size
    worst = {"policy": 0.0, "value": 0.0}
    for b in batch_sizes:
        x = rng.integers(0, 2, size=(b, config.in_planes, n, n)).astype(np.float32)
        with torch.inference_mode():
            want = [t.numpy() for t in reference(torch.from_numpy(x))]
        got = session.run(list(OUTPUT_NAMES), {INPUT_NAME: x})
        for name, g, w in zip(OUTPUT_NAMES, got, want, strict=True):
            if g.shape != w.shape:
                raise OnnxMismatchError(
                    f"ONNX {name} has shape {list(g.shape)} at batch {b}, torch {list(w.shape)}"
                )
            worst[name] = max(worst[name], float(np.max(np.abs(g - w))))
            if not np.allclose(g, w, atol=atol, rtol=rtol):
                raise OnnxMismatchError(
                    f"ONNX {name} differs from torch at batch {b} by up to "
                    f"{float(np.max(np.abs(g - w))):.3g} (atol {atol}, rtol {rtol})"
                )
    return worst


def export_onnx(
    net: nn.Module,
    path: str | os.PathLike,
    *,
    fuse: bool = True,
    opset: int = DEFAULT_OPSET,
    dynamo: bool = False,
    verify: bool = True,
    atol: float = 1e-3,
    rtol: float = 1e-3,
) -> dict[str, Any]:
    """Export `net` to `path` (atomically); with `verify`, check it against torch with
    onnxruntime first (nothing is written if they differ). Returns a report: path, bytes,
    and the largest differences found ("max_abs_diff")."""
    blob = export_onnx_bytes(net, fuse=fuse, opset=opset, dynamo=dynamo)
    report: dict[str, Any] = {"path": str(path), "bytes": len(blob), "opset": opset}
    if verify:
        report["max_abs_diff"] = verify_onnx(blob, net, atol=atol, rtol=rtol)
    atomic_write(Path(path), blob)
    return report


def onnx_metadata(model: str | os.PathLike | bytes) -> dict[str, Any]:
    """The go-engine metadata of an exported model ({"net_config", "features", ...})."""
    import onnx

    proto = onnx.load_from_string(model) if isinstance(model, bytes) else onnx.load(str(model))
    for entry in proto.metadata_props:
        if entry.key == METADATA_KEY:
            return json.loads(entry.value)
    raise ValueError(f"{'model' if isinstance(model, bytes) else model}: no go-engine metadata")


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


class OnnxEvaluator(NetworkEvaluatorBase):
    """An exported network behind the search's evaluator interface, run by ONNX Runtime.

    model           path of a .onnx file written by `export_onnx`, or its bytes
    threads         intra-op threads (None: ONNX Runtime's default, one per core)
    providers       ONNX Runtime execution providers (default: the CPU one)
    rollout_weight  lambda for AlphaGo-style mixed leaf values; 0 for a pure network
    spin            let idle worker threads spin (ONNX Runtime's default): lower latency on
                    an otherwise idle machine, but they take the cores from everything else
    """

    def __init__(
        self,
        model: str | os.PathLike | bytes,
        threads: int | None = None,
        providers: list[str] | None = None,
        rollout_weight: float = 0.0,
        rollout_policy: Any = None,
        spin: bool = False,
    ) -> None:
        meta = onnx_metadata(model)
        self.config = NetConfig.from_dict(meta["net_config"])
        self.features: str = meta.get("features") or features_for_planes(self.config.in_planes)
        if self.features not in FEATURE_PLANES:
            raise ValueError(f"unknown feature set {self.features!r}")
        if not 0.0 <= rollout_weight <= 1.0:
            raise ValueError(f"rollout_weight must lie in [0, 1], not {rollout_weight}")
        self.rollout_weight = float(rollout_weight)
        self._rollout_policy = rollout_policy
        self.session = _session(model, threads, providers, spin)
        self.device = ",".join(p.replace("ExecutionProvider", "").lower() for p in self.providers)

    @classmethod
    def from_net(cls, net: PolicyValueNet, **kwargs: Any) -> OnnxEvaluator:
        """Export `net` in memory and run it (no file)."""
        return cls(export_onnx_bytes(net), **kwargs)

    @property
    def providers(self) -> list[str]:
        return list(self.session.get_providers())

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Priors float32[B, N*N+1] (probabilities) and values float32[B] for planes
        float32[B, in_planes, N, N]."""
        c = self.config
        planes = np.asarray(planes)
        want = (c.in_planes, c.board_size, c.board_size)
        if planes.ndim != 4 or planes.shape[1:] != want:
            raise ValueError(
                f"planes must have shape [B, {want[0]}, {want[1]}, {want[2]}], "
                f"not {list(planes.shape)}"
            )
        if planes.shape[0] == 0:
            return np.zeros((0, c.num_actions), np.float32), np.zeros(0, np.float32)
        x = np.ascontiguousarray(planes, dtype=np.float32)
        # InferenceSession.run is thread-safe: no lock.
        logits, value = self.session.run(list(OUTPUT_NAMES), {INPUT_NAME: x})
        return _softmax(logits.astype(np.float32)), value.astype(np.float32).reshape(-1)

    def __repr__(self) -> str:
        return (
            f"OnnxEvaluator(features={self.features!r}, providers={self.providers}, "
            f"config={self.config})"
        )
