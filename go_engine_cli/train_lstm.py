"""`go-engine train lstm`: the LSTM next-move baseline over move sequences
(training.lstm_moves): trains on the report's split, measures held-out top-1/top-5, samples
games and checks their legality, and writes RESULTS/NAME.json and a checkpoint in --run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.sequence_models import FitConfig


def add_data_arguments(parser: argparse.ArgumentParser, family: str) -> None:
    """The options the sequence models share (data, training loop, outputs)."""
    parser.add_argument("--data", nargs="+", required=True, help="SGF archives or folders")
    parser.add_argument("--board", type=int, default=9, help="board size N")
    parser.add_argument("--max-train-games", type=int, default=0, help="0: every training game")
    parser.add_argument(
        "--held-out-games", type=int, default=None, help="held-out games (default: the split's)"
    )
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--embed", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--minutes", type=float, default=5.0, help="wall-time budget (0: none)")
    parser.add_argument("--steps", type=int, default=0, help="step budget (0: none)")
    parser.add_argument("--batch", type=int, default=32, help="games per step")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--max-len", type=int, default=0, help="cut training games (0: whole)")
    parser.add_argument("--dev-fraction", type=float, default=0.05)
    parser.add_argument("--eval-every", type=int, default=50, help="steps between dev checks")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run", default=f"runs/{family}", help="checkpoint folder")
    parser.add_argument("--results", default="docs/results", help="result records folder")
    parser.add_argument("--name", default="", help=f"result record name (default {family}-N)")
    parser.add_argument("--resume", action="store_true", help="continue from --run's checkpoint")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def fit_config(args: argparse.Namespace) -> FitConfig:
    """The training loop's settings from the options (and --threads applied)."""
    import torch

    from training.sequence_models import FitConfig

    if args.threads:
        torch.set_num_threads(args.threads)

    return FitConfig(
        batch=args.batch,
        lr=args.lr,
        weight_decay=args.weight_decay,
        steps=args.steps,
        minutes=args.minutes,
        max_len=args.max_len,
        dev_fraction=args.dev_fraction,
        eval_every=args.eval_every,
        seed=args.seed,
    )


def check_sources(sources: list[str]) -> list[str]:
    """The sources, or a FileNotFoundError naming the first that does not exist."""
    for s in sources:
        if not Path(s).exists():
            raise FileNotFoundError(f"{s}: no such file or folder")
    return list(sources)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, "lstm")
    parser.add_argument("--sample-games", type=int, default=200, help="games to sample (0: none)")
    parser.add_argument("--sample-moves", type=int, default=0, help="moves per game (0: N*N)")
    parser.add_argument("--temperature", type=float, default=1.0, help="0: most probable move")
    parser.add_argument("--write-samples", default="", help="folder for the sampled games (SGF)")


def run(args: argparse.Namespace) -> int:
    from training.lstm_moves import LSTMConfig, LSTMRunConfig, SampleConfig, train_lstm
    from training.sequence_models import finite

    config = LSTMRunConfig(
        sources=check_sources(args.data),
        board_size=args.board,
        model=LSTMConfig(
            board_size=args.board,
            layers=args.layers,
            hidden=args.hidden,
            embed=args.embed,
            dropout=args.dropout,
        ),
        fit=fit_config(args),
        sample=SampleConfig(
            games=args.sample_games,
            max_moves=args.sample_moves,
            temperature=args.temperature,
            seed=args.seed,
        ),
        max_train_games=args.max_train_games,
        held_out_games=args.held_out_games,
        device=args.device,
        run=args.run,
        results=args.results,
        name=args.name,
        write_samples=args.write_samples,
        resume=args.resume,
        progress=not args.no_progress,
    )
    print(json.dumps(finite(train_lstm(config))))
    return 0
