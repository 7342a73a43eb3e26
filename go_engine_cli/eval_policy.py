"""`go-engine eval policy`: top-1/top-5 accuracy and value error of a network on games."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", help="checkpoint (default: the shipped network for --board's size)"
    )
    parser.add_argument("--board", type=int, default=19, help="board size when --model is absent")
    parser.add_argument(
        "--games", action="append", required=True, help="folder, .tar.gz or .sgf (repeatable)"
    )
    parser.add_argument(
        "--held-out", action="store_true", help="only the games training.split holds out"
    )
    parser.add_argument("--max-games", type=int, default=0, help="stop after this many games")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, ...")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from training.checkpoint import CheckpointError, load_checkpoint
    from training.networks import shipped_network
    from training.policy_eval import evaluate_games
    from training.torch_evaluator import select_device

    path = args.model or shipped_network(args.board)
    if path is None:
        print(
            f"go-engine eval policy: no shipped network for {args.board}x{args.board}; "
            "give --model",
            file=sys.stderr,
        )
        return 2
    device = select_device(args.device)
    try:
        ck = load_checkpoint(path, device)
    except CheckpointError as e:
        print(f"go-engine eval policy: {e}", file=sys.stderr)
        return 2

    def progress(games: int, positions: int) -> None:
        if not args.json:
            print(f"\r{games} games, {positions} positions", end="", file=sys.stderr)

    try:
        figures = evaluate_games(
            ck.net,
            args.games,
            held_out=args.held_out,
            max_games=args.max_games,
            device=device,
            progress=progress,
        )
    except FileNotFoundError as e:
        print(f"go-engine eval policy: {e}", file=sys.stderr)
        return 2
    figures = {"model": str(path), "board_size": ck.net.config.board_size, **figures}
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(file=sys.stderr)
        for k, v in figures.items():
            print(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}")
    return 0
