"""`go-engine train sl`: supervised policy/value network from SGF games (training.sl_train)."""

from __future__ import annotations

import argparse
import dataclasses

from training.sl_train import SLConfig, train_sl


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = SLConfig()
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        help="SGF source: a folder, a .tar.gz of SGFs or an .sgf file (repeatable)",
    )
    parser.add_argument("--run", default=d.run, help="run folder (shards, checkpoints, logs)")
    parser.add_argument("--board", type=int, default=d.board_size, help="board size")
    parser.add_argument("--arch", choices=["resnet", "plain"], default=d.arch)
    parser.add_argument(
        "--features",
        choices=["agz", "extended"],
        default=d.features,
        help="input planes: agz (17, AlphaGo Zero) or extended (21, AlphaGo's SL features)",
    )
    parser.add_argument("--blocks", type=int, default=d.blocks)
    parser.add_argument("--channels", type=int, default=d.channels)
    parser.add_argument("--steps", type=int, default=d.steps, help="total training steps")
    parser.add_argument(
        "--minutes", type=float, default=d.minutes, help="also stop after this training time"
    )
    parser.add_argument("--batch", type=int, default=d.batch_size)
    parser.add_argument("--lr", type=float, default=d.lr, help="peak learning rate")
    parser.add_argument("--weight-decay", type=float, default=d.weight_decay)
    parser.add_argument("--value-weight", type=float, default=d.value_weight)
    parser.add_argument("--eval-every", type=int, default=d.eval_every)
    parser.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    parser.add_argument("--keep-every", type=int, default=d.keep_every)
    parser.add_argument("--val-positions", type=int, default=d.val_positions)
    parser.add_argument(
        "--val-fraction", type=float, default=d.val_fraction, help="held-out share of games"
    )
    parser.add_argument("--games-per-shard", type=int, default=d.games_per_shard)
    parser.add_argument("--device", default=d.device, help="auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--init", default="", help="start from this checkpoint's weights")


def config_from_args(args: argparse.Namespace) -> SLConfig:
    return dataclasses.replace(
        SLConfig(),
        run=args.run,
        data=list(args.data),
        board_size=args.board,
        arch=args.arch,
        features=args.features,
        blocks=args.blocks,
        channels=args.channels,
        steps=args.steps,
        minutes=args.minutes,
        batch_size=args.batch,
        lr=args.lr,
        weight_decay=args.weight_decay,
        value_weight=args.value_weight,
        eval_every=args.eval_every,
        checkpoint_every=args.checkpoint_every,
        keep_every=args.keep_every,
        val_positions=args.val_positions,
        val_fraction=args.val_fraction,
        games_per_shard=args.games_per_shard,
        device=args.device,
        seed=args.seed,
        init=args.init,
    )


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ValueError as e:
        print(f"go-engine train sl: {e}")
        return 2
    figures = train_sl(config)
    for k, v in figures.items():
        print(f"{k}: {v:.4f}")
    return 0
