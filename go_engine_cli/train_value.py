"""`go-engine train value`: AlphaGo's value network from SL/RL policy self-play positions, one
per game (training.value_net)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sl", required=True, help="SL policy network (moves before U)")
    parser.add_argument("--rl", required=True, help="RL policy network (moves after U)")
    parser.add_argument("--run", default="runs/value", help="run folder")
    parser.add_argument("--board", type=int, default=9)
    parser.add_argument("--komi", type=float, default=7.5)
    parser.add_argument("--games", type=int, default=20_000, help="positions (one per game)")
    parser.add_argument("--chunk-games", type=int, default=500)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument(
        "--init", default="", help="network the value net starts from (default: the RL network)"
    )
    parser.add_argument(
        "--head-only",
        action="store_true",
        help="train the value head alone (trunk and policy head keep --init's weights)",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    from training.value_net import ValueConfig, train_value

    config = ValueConfig(
        run=args.run,
        sl=args.sl,
        rl=args.rl,
        board_size=args.board,
        komi=args.komi,
        games=args.games,
        chunk_games=args.chunk_games,
        steps=args.steps,
        batch_size=args.batch,
        lr=args.lr,
        init=args.init,
        head_only=args.head_only,
        device=args.device,
        seed=args.seed,
    )
    print(json.dumps(train_value(config)))
    return 0
