"""`go-engine train seq2seq`: the encoder-decoder that writes the next k moves
(training.seq2seq_moves): trains on the report's split, measures per-step held-out accuracy and
agreement with our search's principal variation, and writes RESULTS/NAME.json and a checkpoint
in --run."""

from __future__ import annotations

import argparse
import json

from go_engine_cli.train_lstm import add_data_arguments, check_sources, fit_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, "seq2seq")
    parser.add_argument("--k", type=int, default=4, help="moves written per position")
    parser.add_argument("--cell", choices=("lstm", "gru"), default="lstm")
    parser.add_argument(
        "--positions", type=int, default=512, help="prefixes decoded per step (0: all)"
    )
    parser.add_argument("--pv-positions", type=int, default=100, help="0: no PV comparison")
    parser.add_argument("--pv-visits", type=int, default=200, help="search simulations")
    parser.add_argument("--pv-source", choices=("puct", "mcts"), default="puct")
    parser.add_argument("--pv-model", default="", help="PUCT network (default: the shipped one)")
    parser.add_argument("--pv-device", default="auto", help="the PUCT network's device")


def run(args: argparse.Namespace) -> int:
    from training.seq2seq_moves import PVConfig, Seq2SeqConfig, Seq2SeqRunConfig, train_seq2seq
    from training.sequence_models import finite

    config = Seq2SeqRunConfig(
        sources=check_sources(args.data),
        board_size=args.board,
        model=Seq2SeqConfig(
            board_size=args.board,
            k=args.k,
            cell=args.cell,
            layers=args.layers,
            hidden=args.hidden,
            embed=args.embed,
            dropout=args.dropout,
            positions=args.positions,
        ),
        fit=fit_config(args),
        pv=PVConfig(
            positions=args.pv_positions,
            visits=args.pv_visits,
            source=args.pv_source,
            model=args.pv_model,
            device=args.pv_device,
            seed=args.seed,
        ),
        max_train_games=args.max_train_games,
        held_out_games=args.held_out_games,
        device=args.device,
        run=args.run,
        results=args.results,
        name=args.name,
        resume=args.resume,
        progress=not args.no_progress,
    )
    print(json.dumps(finite(train_seq2seq(config))))
    return 0
