"""`go-engine selfplay`: play self-play games with a network and write their records and
training samples (selfplay.worker), then report games per hour and samples per second."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from training.onnx_int8 import PRECISIONS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="network (default: the shipped one)")
    parser.add_argument("--config", default=None, help="take [selfplay] from this RUN.toml")
    parser.add_argument("--out", default="selfplay-games", help="output folder")
    parser.add_argument("--games", type=int, default=32)
    parser.add_argument("--size", type=int, default=None, help="board size (default 9)")
    parser.add_argument("--full-visits", type=int, default=None)
    parser.add_argument("--cheap-visits", type=int, default=None)
    parser.add_argument("--full-fraction", type=float, default=None)
    parser.add_argument("--parallel-games", type=int, default=None, help="games per worker")
    parser.add_argument(
        "--precision",
        default=None,
        choices=PRECISIONS,
        help="network arithmetic on the CPU (default: the config's, float32)",
    )
    parser.add_argument("--workers", type=int, default=0, help="processes (0: one per core)")
    parser.add_argument("--backend", choices=["local", "ray"], default="local")
    parser.add_argument("--address", default="", help="Ray cluster address (with ray)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also time the network alone at self-play's mean batch size (one thread)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args: argparse.Namespace) -> int:
    from selfplay.config import SelfPlayConfig, load_config
    from selfplay.worker import finished_indices, make_tasks, run_local, run_ray
    from training.network_evaluator import network_path, usable_cores

    config = load_config(args.config).selfplay if args.config else SelfPlayConfig()
    changes = {
        "board_size": args.size,
        "full_visits": args.full_visits,
        "cheap_visits": args.cheap_visits,
        "full_fraction": args.full_fraction,
        "parallel_games": args.parallel_games,
        "precision": args.precision,
    }
    config = dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})
    model = network_path(args.model, config.board_size)
    out = Path(args.out)
    before = len(finished_indices(out))
    workers = args.workers or usable_cores()
    device = "cuda" if args.device.startswith("cuda") else "auto"
    if device == "cuda":
        workers = 1
    tasks = make_tasks(out, model, args.games, workers, args.seed, config, device=device)
    start = time.perf_counter()
    if args.backend == "ray":
        results = run_ray(tasks, args.address)
    else:
        results = run_local(tasks)
    seconds = time.perf_counter() - start
    games = sum(r["games"] for r in results)
    samples = sum(r["samples"] for r in results)
    moves = sum(r["moves"] for r in results)
    evaluations = sum(r["evaluations"] for r in results)
    busy = sum(r["seconds"] for r in results)
    network = sum(r["network_seconds"] for r in results)
    calls = sum(r["network_calls"] for r in results)
    figures = {
        "model": str(model),
        "out": str(out),
        "workers": len(tasks),
        "games": games,
        "resumed": before,
        "samples": samples,
        "moves": moves,
        "seconds": round(seconds, 2),
        "games_per_hour": round(3600 * games / seconds, 1) if games else 0.0,
        "samples_per_second": round(samples / seconds, 2) if games else 0.0,
        "moves_per_second": round(moves / seconds, 1) if games else 0.0,
        "evaluations_per_second": round(evaluations / seconds, 1) if games else 0.0,
        "network_share": round(network / busy, 3) if busy else None,
        "mean_batch": round(evaluations / calls, 1) if calls else None,
        "config": dataclasses.asdict(config),
    }
    if args.reference and calls and device != "cuda":
        from training.network_evaluator import load_evaluator
        from training.torch_evaluator import raw_throughput

        ev = load_evaluator(model, device="onnx", threads=1, precision=config.precision)
        raw = raw_throughput(ev, max(1, round(evaluations / calls)), config.board_size, 3.0, 5)
        per_worker = evaluations / busy  # evaluations per second of one worker's time
        figures["raw_network_rate"] = round(raw, 1)
        figures["share_of_raw_rate"] = round(per_worker / raw, 3)
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        print(
            f"{games} games ({before} already finished) in {seconds:.1f} s with {len(tasks)} "
            f"workers: {figures['games_per_hour']:,.0f} games/hour, "
            f"{figures['samples_per_second']:.1f} samples/s, {figures['moves_per_second']:.0f} "
            f"moves/s, {figures['evaluations_per_second']:,.0f} network evaluations/s "
            f"({100 * (figures['network_share'] or 0):.0f}% of the workers' time in the "
            f"network); records in {out}"
        )
        if "raw_network_rate" in figures:
            print(
                f"the network alone at batch {figures['mean_batch']:.0f}, one thread: "
                f"{figures['raw_network_rate']:,.0f} positions/s; one worker reaches "
                f"{100 * figures['share_of_raw_rate']:.0f}% of it"
            )
    return 0
