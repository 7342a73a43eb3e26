"""The evaluator that puts a `PolicyValueNet` behind the search's evaluator interface
(`go_engine.evaluator`): a batch of feature planes in, move probabilities and values out.

    ev = TorchEvaluator(net)                # device "auto": CUDA when present, else CPU
    priors, values = ev.evaluate(planes)    # float32[B, C, N, N] -> float32[B, N*N+1], [B]

The evaluator keeps its own copy of the net (in eval mode, batch norm folded into the
convolutions, optionally float16 on CUDA), so training the original afterwards changes neither
its answers nor the original's train/eval mode; `load_state_dict` takes new weights. Every call
runs under `torch.inference_mode`; priors are the softmax over all N*N+1 logits (the search keeps
the legal moves and renormalises), values are the net's tanh output for the player to move.

On CUDA the planes go through a reused pinned host buffer (asynchronous copy to the device) and
the outputs come back through another; the weights are kept channels-last; and by default each
batch size met is captured once as a CUDA graph and replayed after (one launch instead of
dozens), up to `max_graphs` sizes, eager beyond. `evaluate` holds a lock, so one evaluator may be
shared by threads. The returned arrays are the caller's own.

Measured with `raw_throughput` on one H200 (torch 2.11), 19x19, positions/s:

    net             precision  graphs   batch 1   batch 8  batch 64  batch 256
    6 blocks x 64   float32    off          846     6,570    46,212    120,684
    6 blocks x 64   float32    on         4,218    31,922    99,549    132,179
    6 blocks x 64   float16    on         4,661    32,562   115,536    173,832
    20 blocks x 256 float32    on         1,235     7,055    10,207     13,765
    20 blocks x 256 float16    off          435     3,237    15,692     21,195
    20 blocks x 256 float16    on         1,438     9,655    21,456     21,667

Channels-last alone took 20x256 float16 at batch 64 from 13.6k to 17.9k positions/s.

`raw_throughput` measures positions per second of `evaluate` alone at a fixed batch size, the
ceiling the search's speed is compared against.

Options beyond the defaults:

- `half=True` runs the copy in float16 on CUDA (inputs are cast on the device, softmax and the
  returned arrays stay float32; with or without CUDA graphs); on the CPU it is ignored and
  `self.half` is False.
- A random board symmetry per evaluation (AlphaGo Zero's search) is not a flag here: wrap the
  evaluator, `SymmetryEvaluator(TorchEvaluator(net), mode="random", seed=s)` from
  `go_engine.evaluator` (mode "average" averages all eight). It passes the feature set, the
  network flag and the rollout settings through, so the search takes it like any evaluator.
- `training.onnx_export.OnnxEvaluator` is the same interface on ONNX Runtime;
  `go-engine bench nn` measures the two side by side.

On the CPU torch uses one OpenMP thread per core (`torch.set_num_threads`). When other
processes hold some of the cores, those threads wait on each other at every layer and a call
can take tens of times longer; `torch.set_num_threads(1)` (or OMP_NUM_THREADS=1) avoids it on a
shared machine.
"""

from __future__ import annotations

import copy
import statistics
import threading
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from training.nets import FEATURE_PLANES, NetConfig, PolicyValueNet, features_for_planes


def select_device(device: str | torch.device = "auto") -> torch.device:
    """ "auto" is CUDA when available, else CPU; anything else is taken as given, but asking for
    CUDA where there is none is an error rather than a silent move to the CPU."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(dev)!r} requested but CUDA is not available")
    return dev


def _default_rollout_policy() -> Any:
    # Imported here: the search's rollout policy lives in go_engine and is only needed when
    # the search asks for it (rollout_weight is 0 for a pure network evaluator).
    from go_engine.rollout_policy import RolloutPolicy

    return RolloutPolicy()


class NetworkEvaluatorBase:
    """What every network evaluator shares: the board size and plane count of its NetConfig,
    and the rollout policy the search's mixed leaves use (a default `RolloutPolicy()` made on
    first use). Subclasses set `config` and `_rollout_policy`."""

    network: bool = True
    config: NetConfig
    _rollout_policy: Any

    @property
    def board_size(self) -> int:
        return self.config.board_size

    @property
    def in_planes(self) -> int:
        return self.config.in_planes

    @property
    def rollout_policy(self) -> Any:
        if self._rollout_policy is None:
            self._rollout_policy = _default_rollout_policy()
        return self._rollout_policy

    @rollout_policy.setter
    def rollout_policy(self, policy: Any) -> None:
        self._rollout_policy = policy


class TorchEvaluator(NetworkEvaluatorBase):
    """A `PolicyValueNet` (or any module with a `config: NetConfig` and the same forward) as an
    evaluator for the search.

    net             the network; the evaluator works on a private copy
    device          "auto" (CUDA if available, else CPU), "cpu", "cuda", "cuda:1", ...
    half            run in float16 on CUDA (ignored on the CPU; `self.half` tells which)
    fuse            fold batch norm into the convolutions (same outputs, fewer kernels)
    cuda_graphs     on CUDA, capture one CUDA graph per batch size (at most `max_graphs`)
    rollout_weight  lambda for AlphaGo-style mixed leaf values; 0 for a pure network
    rollout_policy  the policy of the search's rollouts; a default `RolloutPolicy()` is made
                    on first use
    """

    def __init__(
        self,
        net: nn.Module,
        device: str | torch.device = "auto",
        half: bool = False,
        fuse: bool = True,
        rollout_weight: float = 0.0,
        rollout_policy: Any = None,
        cuda_graphs: bool = True,
        max_graphs: int = 16,
    ) -> None:
        config = getattr(net, "config", None)
        if not isinstance(config, NetConfig):
            raise TypeError("net must have a `config` NetConfig (e.g. a PolicyValueNet)")
        if not 0.0 <= rollout_weight <= 1.0:
            raise ValueError(f"rollout_weight must lie in [0, 1], not {rollout_weight}")
        self.config: NetConfig = config
        self.features: str = features_for_planes(config.in_planes)
        self.device = select_device(device)
        self.half = bool(half) and self.device.type == "cuda"
        self.fuse = fuse
        self.rollout_weight = float(rollout_weight)
        self._rollout_policy = rollout_policy
        self._lock = threading.Lock()
        self._host_in: torch.Tensor | None = None
        self._host_out: torch.Tensor | None = None
        self.cuda_graphs = bool(cuda_graphs) and self.device.type == "cuda"
        self.max_graphs = max_graphs
        # batch size -> (graph, static device input, static device output)
        self._graphs: dict[int, tuple[Any, torch.Tensor, torch.Tensor]] = {}
        self.net: nn.Module = self._prepare(net)

    # ------------------------------------------------------------------ set-up

    def _prepare(self, net: nn.Module) -> nn.Module:
        """A private eval-mode copy of `net` on the device, fused and in half as asked."""
        own = copy.deepcopy(net).to(self.device).eval()
        for p in own.parameters():
            p.requires_grad_(False)
        if self.fuse and hasattr(own, "fuse_batchnorm_"):
            own.fuse_batchnorm_()
        if self.half:
            own.half()
        if self.device.type == "cuda":
            own = own.to(memory_format=torch.channels_last)
        return own

    def load_state_dict(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Replace the weights with those of an (unfused) net of the same config."""
        fresh = PolicyValueNet(self.config)
        fresh.load_state_dict(state_dict)
        net = self._prepare(fresh)
        with self._lock:
            self.net = net
            self._graphs.clear()  # they read the old weights' memory

    # ------------------------------------------------------------------ evaluation

    def _check(self, planes: np.ndarray) -> np.ndarray:
        c = self.config
        want = (c.in_planes, c.board_size, c.board_size)
        if planes.ndim != 4 or planes.shape[1:] != want:
            raise ValueError(
                f"planes must have shape [B, {want[0]}, {want[1]}, {want[2]}], "
                f"not {list(planes.shape)}"
            )
        return np.ascontiguousarray(planes, dtype=np.float32)

    def _pinned(self, b: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Pinned host buffers for b positions (in: planes, out: priors and value)."""
        if self._host_in is None or self._host_in.shape[0] < b:
            c = self.config
            shape = (b, c.in_planes, c.board_size, c.board_size)
            self._host_in = torch.empty(shape, dtype=torch.float32, pin_memory=True)
            self._host_out = torch.empty(
                (b, c.num_actions + 1), dtype=torch.float32, pin_memory=True
            )
        assert self._host_out is not None
        return self._host_in[:b], self._host_out[:b]

    def _outputs(self, x: torch.Tensor) -> torch.Tensor:
        """[B, N*N+1 priors | value] float32 on the device, for float32 planes x on it."""
        if self.half:
            x = x.half()
        logits, value = self.net(x)
        return torch.cat((torch.softmax(logits.float(), dim=1), value.float().view(-1, 1)), 1)

    def _graph(self, b: int) -> tuple[Any, torch.Tensor, torch.Tensor] | None:
        """The CUDA graph for batch size b, captured on first use; None once `max_graphs`
        sizes are held (those batches run eagerly)."""
        entry = self._graphs.get(b)
        if entry is not None or len(self._graphs) >= self.max_graphs:
            return entry
        c = self.config
        static_in = torch.zeros(
            (b, c.in_planes, c.board_size, c.board_size), dtype=torch.float32, device=self.device
        )
        # Warm up on a side stream (lazy cuDNN/cuBLAS set-up must not happen during capture).
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            for _ in range(2):
                self._outputs(static_in)
        torch.cuda.current_stream(self.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = self._outputs(static_in)
        entry = (graph, static_in, static_out)
        self._graphs[b] = entry
        return entry

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Priors float32[B, N*N+1] (probabilities) and values float32[B] in [-1, 1] for the
        player to move, for planes float32[B, in_planes, N, N]."""
        x_np = self._check(np.asarray(planes))
        b = x_np.shape[0]
        a = self.config.num_actions
        if b == 0:
            return np.zeros((0, a), np.float32), np.zeros(0, np.float32)
        with self._lock, torch.inference_mode():
            if self.device.type == "cuda":
                return self._evaluate_cuda(x_np)
            x = torch.from_numpy(x_np).to(self.device)
            logits, value = self.net(x)
            priors = torch.softmax(logits.float(), dim=1).cpu().numpy()
            values = value.float().cpu().numpy()
        return priors, values

    def _evaluate_cuda(self, x_np: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b, a = x_np.shape[0], self.config.num_actions
        with torch.cuda.device(self.device):
            host_in, host_out = self._pinned(b)
            host_in.numpy()[...] = x_np
            entry = self._graph(b) if self.cuda_graphs else None
            if entry is not None:
                graph, static_in, static_out = entry
                static_in.copy_(host_in, non_blocking=True)
                graph.replay()
                out = static_out
            else:
                out = self._outputs(host_in.to(self.device, non_blocking=True))
            host_out.copy_(out, non_blocking=True)
            torch.cuda.current_stream(self.device).synchronize()
            res = host_out.numpy()
            return res[:, :a].copy(), res[:, a].copy()

    def __repr__(self) -> str:
        return (
            f"TorchEvaluator(features={self.features!r}, device={str(self.device)!r}, "
            f"half={self.half}, cuda_graphs={self.cuda_graphs}, config={self.config})"
        )


def raw_throughput(
    evaluator: Any,
    batch_size: int,
    board_size: int,
    seconds: float = 2.0,
    repeats: int = 5,
    seed: int = 0,
) -> float:
    """Positions per second of `evaluator.evaluate` on random 0/1 planes of shape
    [batch_size, C, board_size, board_size], C from `evaluator.features`.

    Warms up first (at least two calls and a tenth of `seconds`), then times `repeats` runs of
    about `seconds / repeats` each (whole calls, at least one per run) and returns the median
    rate. `evaluate` returns numpy arrays, so device work is finished when it returns.
    """
    if batch_size < 1 or repeats < 1 or seconds <= 0:
        raise ValueError("batch_size and repeats must be >= 1 and seconds > 0")
    features = evaluator.features
    if features not in FEATURE_PLANES:
        raise ValueError(f"evaluator features must be one of {list(FEATURE_PLANES)}")
    shape = (batch_size, FEATURE_PLANES[features], board_size, board_size)
    rng = np.random.default_rng(seed)
    planes = rng.integers(0, 2, size=shape).astype(np.float32)

    def run(budget: float, min_calls: int) -> float:
        calls = 0
        start = time.perf_counter()
        while True:
            evaluator.evaluate(planes)
            calls += 1
            elapsed = time.perf_counter() - start
            if calls >= min_calls and elapsed >= budget:
                return calls * batch_size / elapsed

    run(0.1 * seconds, 2)
    return statistics.median(run(seconds / repeats, 1) for _ in range(repeats))
