"""`go-engine eval policy`: top-1/top-5 accuracy and value error of a network on games."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", help="checkpoint (default: the shipped network for --board's size)"
    )
    parser.add_argument(
        "--board",
        type=int,
        default=None,
        help="board size of the shipped network to use when --model is absent (default: the "
        "size of the first game)",
    )
    parser.add_argument(
        "--games", action="append", required=True, help="folder, .tar.gz or .sgf (repeatable)"
    )
    parser.add_argument(
        "--held-out", action="store_true", help="only the games training.split holds out"
    )
    parser.add_argument("--max-games", type=int, default=0, help="stop after this many games")
    parser.add_argument(
        "--symmetries",
        type=int,
        choices=(1, 8),
        default=1,
        help="8: average the policy and value over the eight board symmetries (8x the time)",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, ...")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--record",
        metavar="NAME",
        help="store the figures as docs/results/NAME.json for the report; implies --held-out "
        "and, without --max-games, the report's held-out games (training.baseline_data)",
    )
    parser.add_argument("--label", default=None, help="the model's name in the report")
    parser.add_argument("--results", default="docs/results", help="folder of result records")


def first_board_size(sources: list[str]) -> int | None:
    """The board size of the first readable game in `sources`."""
    from go_engine.sgf_io import SGFError, iter_sgf_archive, read_sgf

    for source in sources:
        try:
            for name, data in iter_sgf_archive(source):
                try:
                    return read_sgf(data, name=name).size
                except SGFError:
                    continue
        except OSError:
            continue
    return None


def run(args: argparse.Namespace) -> int:
    from training.checkpoint import CheckpointError, load_checkpoint
    from training.networks import shipped_network
    from training.policy_eval import evaluate_games
    from training.torch_evaluator import select_device

    board = args.board
    if not args.model and board is None:
        board = first_board_size(args.games)
        if board is None:
            print(f"go-engine eval policy: no readable game in {args.games}", file=sys.stderr)
            return 2
    path = args.model or shipped_network(board)
    if path is None:
        print(
            f"go-engine eval policy: no shipped network for {board}x{board}; give --model",
            file=sys.stderr,
        )
        return 2
    device = select_device(args.device)
    try:
        ck = load_checkpoint(path, device)
    except CheckpointError as e:
        print(f"go-engine eval policy: {e}", file=sys.stderr)
        return 2
    if args.record:
        from training.baseline_data import HELD_OUT_GAMES

        args.held_out = True
        if not args.max_games:
            args.max_games = HELD_OUT_GAMES.get(ck.net.config.board_size, 0)

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
            symmetries=args.symmetries,
            progress=progress,
        )
    except FileNotFoundError as e:
        print(f"go-engine eval policy: {e}", file=sys.stderr)
        return 2
    figures = {
        "model": str(path),
        "board_size": ck.net.config.board_size,
        "symmetries": args.symmetries,
        **figures,
    }
    if args.record:
        from training.results_store import write_result

        metrics = {k: v for k, v in figures.items() if isinstance(v, float)}
        metrics["held_out_positions"] = metrics.pop("positions")
        metrics["symmetries"] = float(args.symmetries)
        if isinstance(ck.data.get("train_games"), int):
            metrics["train_games"] = float(ck.data["train_games"])
        c = ck.net.config
        label = args.label or f"{c.arch} {c.blocks}x{c.channels} ({Path(path).name})"
        if args.symmetries > 1 and not args.label:
            label += f", {args.symmetries} symmetries averaged"
        write_result(
            args.record, "accuracy", label, c.board_size, metrics, args.results, step=ck.step
        )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(file=sys.stderr)
        for k, v in figures.items():
            print(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}")
    return 0
