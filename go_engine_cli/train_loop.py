"""`go-engine train loop`: AlphaGo Zero's generation loop of self-play, training, evaluation
and promotion in a run folder (selfplay.loop), resumable at any point."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, help="the run's TOML file (RUN.toml)")
    parser.add_argument(
        "--run",
        default=None,
        help="run folder (default: beside the config, named after it: runs/x.toml -> runs/x)",
    )
    parser.add_argument("--generations", type=int, default=None, help="override [loop]")
    parser.add_argument("--workers", type=int, default=None, help="self-play processes")
    parser.add_argument("--backend", choices=["local", "ray"], default=None)
    parser.add_argument("--address", default=None, help="Ray cluster address (with ray)")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:1, ...")


def run(args: argparse.Namespace) -> int:
    from selfplay.loop import Loop

    if args.run is None and args.config is None:
        raise ValueError("give --config RUN.toml or --run FOLDER")
    run_dir = Path(args.run) if args.run else Path(args.config).with_suffix("")
    loop = Loop.open(
        run_dir,
        args.config,
        generations=args.generations,
        workers=args.workers,
        backend=args.backend,
        address=args.address,
        device=args.device,
    )
    state = loop.run_loop()
    best = loop.best_path
    print(
        f"{run_dir}: {state.generation} generations, {state.total_games} games, "
        f"{state.total_samples} samples; best network {best} "
        f"(Elo {state.elo.get(str(state.best), 0.0):+.0f})"
    )
    return 0
