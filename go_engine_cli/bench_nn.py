"""`go-engine bench nn`: network inference speed, torch beside ONNX Runtime, and the search's
speed with each network against that network's raw batched rate.

Networks: each `--model` checkpoint; without one, the networks shipped in
`training/networks/*.safetensors`; when none is shipped, random networks of the shapes given by
`--random` (default one 6 blocks x 64 channels ResNet) for each `--size` (default 9 and 19),
and the output says so.

Rows (all medians of `repeats` timed runs after warm-up, on random 0/1 feature planes):

- raw: positions/s of `evaluate` alone at batch sizes 1, 8, 32, 128 (`--batch`) for each
  engine: `TorchEvaluator` in float32 on the CPU, and on CUDA when present also in float16 (CUDA
  graphs on); ONNX Runtime (`training.onnx_export.OnnxEvaluator`) on its CPU provider (and CUDA
  when its build has it), and ONNX Runtime's int8 copy of the network on the CPU
  (`training.onnx_int8`; `--no-int8` skips it). The engines are measured in turn within each
  repeat, so machine noise hits them alike.
- search: PUCT's visits/s with the network (`TorchEvaluator`, leaves batched `--search-batch`
  at a time, no cache) against that evaluator's raw rate at the same batch size; the function
  is `bench_search.search_vs_raw`, as in `go-engine bench search`.

`--threads T` gives torch and ONNX Runtime the same number of CPU threads (default: torch's,
one per core); on a machine shared with other work, 1 keeps torch's OpenMP threads from
waiting on each other. ONNX Runtime's idle threads block rather than spin (see `OnnxEvaluator`).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

DEFAULT_BATCHES = (1, 8, 32, 128)
DEFAULT_RANDOM = ("6x64",)


def add_arguments(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("nn", help="network evaluations per second (torch, ONNX Runtime, search)")
    s.add_argument(
        "--model", action="append", help="network checkpoint (repeatable; default: shipped)"
    )
    s.add_argument(
        "--random",
        action="append",
        metavar="BLOCKSxCHANNELS",
        help="random ResNet shape when no network is given or shipped (repeatable; 6x64)",
    )
    s.add_argument("--size", type=int, action="append", help="board sizes of random nets (9, 19)")
    s.add_argument(
        "--batch", type=int, action="append", help="batch sizes (repeatable; 1 8 32 128)"
    )
    s.add_argument(
        "--device", action="append", help="torch devices (repeatable; cpu, and cuda if present)"
    )
    s.add_argument("--repeats", type=int, default=5, help="timed repeats (median reported)")
    s.add_argument("--seconds", type=float, default=1.0, help="length of one repeat")
    s.add_argument("--search-batch", type=int, default=16, help="leaves per call in the search")
    s.add_argument(
        "--threads", type=int, default=0, help="CPU threads of torch and ONNX Runtime (0: cores)"
    )
    s.add_argument("--no-onnx", action="store_true", help="skip ONNX Runtime")
    s.add_argument(
        "--no-int8", action="store_true", help="skip ONNX Runtime's int8 copy of each network"
    )
    s.add_argument("--no-search", action="store_true", help="skip the search rows")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")


def shipped_networks() -> list[Path]:
    """The networks shipped inside the package (`training/networks/*.safetensors`)."""
    import training

    folder = Path(training.__file__).resolve().parent / "networks"
    return sorted(folder.glob("*.safetensors")) if folder.is_dir() else []


def parse_shape(text: str) -> tuple[int, int]:
    """ "6x64" -> (6, 64)."""
    try:
        blocks, channels = (int(p) for p in text.lower().split("x"))
    except ValueError:
        msg = f"network shape must look like 6x64 (blocks x channels), not {text!r}"
        raise ValueError(msg) from None
    return blocks, channels


def networks(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str]:
    """[{"name", "net", "path", ...}] and where they came from ("model", "shipped", "random")."""
    import torch

    from training.checkpoint import load_checkpoint
    from training.nets import NetConfig, PolicyValueNet

    paths = [Path(p) for p in args.model or []]
    source = "model"
    if not paths and not args.random:  # --random alone asks for random nets, shipped or not
        paths = shipped_networks()
        source = "shipped"
    found: list[dict[str, Any]] = []
    for path in paths:
        ckpt = load_checkpoint(path)
        found.append(
            {"name": path.name, "net": ckpt.net, "path": str(path), "bytes": path.stat().st_size}
        )
    if found:
        return found, source
    for size in args.size or [9, 19]:
        for shape in args.random or DEFAULT_RANDOM:
            blocks, channels = parse_shape(shape)
            torch.manual_seed(0)
            net = PolicyValueNet(NetConfig(board_size=size, blocks=blocks, channels=channels))
            name = f"random {blocks}x{channels} {size}x{size}"
            found.append({"name": name, "net": net.eval(), "path": None, "bytes": None})
    return found, "random"


def describe(net: Any) -> dict[str, Any]:
    """The network's shape, as a row's fields."""
    from training.nets import count_parameters

    c = net.config
    return {
        "board_size": c.board_size,
        "arch": c.arch,
        "blocks": c.blocks,
        "channels": c.channels,
        "features": c.features,
        "parameters": count_parameters(net, trainable_only=False),
    }


def engines(
    net: Any, devices: list[str], onnx: bool, threads: int | None = None, int8: bool = True
) -> list[tuple[dict[str, str], Any]]:
    """(label, evaluator) for every engine measured for `net`; with ONNX Runtime, its int8
    copy of the network on the CPU too (`training.onnx_int8`) unless `int8` is False."""
    from training.torch_evaluator import TorchEvaluator

    out: list[tuple[dict[str, str], Any]] = []
    for device in devices:
        ev = TorchEvaluator(net, device=device)
        out.append(({"engine": "torch", "device": str(ev.device), "precision": "float32"}, ev))
        if ev.device.type == "cuda":
            ev16 = TorchEvaluator(net, device=device, half=True)
            label = {"engine": "torch", "device": str(ev16.device), "precision": "float16"}
            out.append((label, ev16))
    if onnx:
        try:
            import onnxruntime as ort

            from training.onnx_export import OnnxEvaluator, export_onnx_bytes
        except ImportError:
            return out
        blob = export_onnx_bytes(net)
        providers = ["CPUExecutionProvider"]
        if "CUDAExecutionProvider" in ort.get_available_providers() and any(
            d.startswith("cuda") for d in devices
        ):
            providers = ["CUDAExecutionProvider", *providers]
        for provider in providers:
            ev = OnnxEvaluator(blob, providers=[provider], threads=threads)
            device = "cuda" if provider.startswith("CUDA") else "cpu"
            out.append(({"engine": "onnxruntime", "device": device, "precision": "float32"}, ev))
        if int8:
            from training.onnx_int8 import int8_model

            ev = OnnxEvaluator(int8_model(blob), threads=threads)
            out.append(({"engine": "onnxruntime", "device": "cpu", "precision": "int8"}, ev))
    return out


def bench_raw(
    evaluators: list[tuple[dict[str, str], Any]],
    board_size: int,
    batch: int,
    repeats: int,
    seconds: float,
) -> list[dict[str, Any]]:
    """Positions/s of each evaluator at one batch size; the evaluators take turns within each
    repeat. One row per evaluator."""
    from training.torch_evaluator import raw_throughput

    runs: list[list[float]] = [[] for _ in evaluators]
    for _ in range(repeats):
        for i, (_, ev) in enumerate(evaluators):
            runs[i].append(raw_throughput(ev, batch, board_size, seconds=seconds, repeats=1))
    rows = []
    for (label, _), rates in zip(evaluators, runs, strict=True):
        rate = statistics.median(rates)
        rows.append(
            {
                **label,
                "batch": batch,
                "positions_per_s": rate,
                "ms_per_batch": 1000.0 * batch / rate,
                "runs": rates,
            }
        )
    return rows


def nn_machine() -> dict[str, Any]:
    """bench_cmd.machine() plus torch (and the CPU threads both engines use), ONNX Runtime
    and the GPU."""
    import torch

    from go_engine_cli.bench_cmd import machine

    m = machine()
    m["torch"] = torch.__version__
    m["threads"] = torch.get_num_threads()
    m["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    try:
        import onnxruntime

        m["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        m["onnxruntime"] = None
    return m


def run_nn(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from go_engine_cli.bench_search import search_vs_raw

    if args.repeats < 1 or args.seconds <= 0:
        raise SystemExit("bench nn: --repeats must be >= 1 and --seconds > 0")
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = args.device or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    batches = args.batch or list(DEFAULT_BATCHES)
    nets, source = networks(args)
    result: dict[str, Any] = {
        "machine": nn_machine(),
        "source": source,
        "note": (
            "random networks (--random, or no network shipped in training/networks/): "
            f"({', '.join(args.random or DEFAULT_RANDOM)}, seeded)"
            if source == "random"
            else ""
        ),
        "repeats": args.repeats,
        "seconds": args.seconds,
        "networks": [],
    }
    for entry in nets:
        net = entry["net"]
        n = net.config.board_size
        evaluators = engines(
            net, devices, not args.no_onnx, args.threads or None, int8=not args.no_int8
        )
        row: dict[str, Any] = {
            "name": entry["name"],
            "path": entry["path"],
            "file_bytes": entry["bytes"],
            **describe(net),
            "raw": [],
        }
        for b in batches:
            row["raw"].extend(bench_raw(evaluators, n, b, args.repeats, args.seconds))
        # torch vs ONNX Runtime on the same device and batch size
        ratios = []
        for r in row["raw"]:
            if r["engine"] != "onnxruntime":
                continue
            for t in row["raw"]:
                same = t["device"].split(":")[0] == r["device"] and t["batch"] == r["batch"]
                if t["engine"] == "torch" and t["precision"] == "float32" and same:
                    ratios.append(
                        {
                            "device": r["device"],
                            "precision": r["precision"],
                            "batch": r["batch"],
                            "onnx_over_torch": r["positions_per_s"] / t["positions_per_s"],
                        }
                    )
        row["onnx_vs_torch"] = ratios
        if not args.no_search:
            row["search"] = []
            for label, ev in evaluators:
                if label["engine"] != "torch":
                    continue
                s = search_vs_raw(ev, n, args.repeats, args.seconds, args.search_batch)
                row["search"].append({**label, **s})
        result["networks"].append(row)
    return result


def print_nn(result: dict[str, Any]) -> None:
    m = result["machine"]
    print(
        f"machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, torch {m['torch']} "
        f"({m['threads']} threads), onnxruntime {m['onnxruntime']}, "
        f"GPU {m['cuda'] or 'none'}"
    )
    if result["note"]:
        print(result["note"])
    print(f"positions/s, median of {result['repeats']} runs of {result['seconds']:g} s")
    for row in result["networks"]:
        size = f", {row['file_bytes']:,} bytes" if row["file_bytes"] else ""
        print(
            f"{row['name']}: {row['arch']} {row['blocks']}x{row['channels']}, "
            f"{row['board_size']}x{row['board_size']}, {row['features']} planes, "
            f"{row['parameters']:,} parameters{size}"
        )
        labels = []
        for r in row["raw"]:
            label = (r["engine"], r["device"], r["precision"])
            if label not in labels:
                labels.append(label)
        batches = sorted({r["batch"] for r in row["raw"]})
        print("  " + f"{'engine':<34}" + "".join(f"{'batch ' + str(b):>12}" for b in batches))
        for label in labels:
            rates = {
                r["batch"]: r["positions_per_s"]
                for r in row["raw"]
                if (r["engine"], r["device"], r["precision"]) == label
            }
            cells = "".join(f"{rates.get(b, float('nan')):>12,.0f}" for b in batches)
            print(f"  {' '.join(label):<34}{cells}")
        if row["onnx_vs_torch"]:
            text = ", ".join(
                f"{r['device']} {r['precision']} b{r['batch']} {r['onnx_over_torch']:.2f}x"
                for r in row["onnx_vs_torch"]
            )
            print(f"  onnxruntime / torch: {text}")
        for s in row.get("search", []):
            print(
                f"  search ({s['engine']} {s['device']} {s['precision']}, batch {s['batch']}): "
                f"{s['search_visits_per_s']:,.0f} visits/s vs raw "
                f"{s['raw_positions_per_s']:,.0f} positions/s -> {s['ratio']:.2f}"
            )
