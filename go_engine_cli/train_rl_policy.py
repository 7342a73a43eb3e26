"""`go-engine train rl-policy`: AlphaGo's RL policy network by REINFORCE against a pool of
its earlier versions (training.rl_policy); then, optionally, its win rate against the
starting network, both playing by policy alone."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", default="runs/rl-policy", help="run folder")
    parser.add_argument("--board", type=int, default=9, help="board size")
    parser.add_argument("--komi", type=float, default=7.5)
    parser.add_argument("--init", default="shipped", help='SL network ("shipped" or a file)')
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--games", type=int, default=64, help="games per iteration (even)")
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--pool-every", type=int, default=10)
    parser.add_argument(
        "--no-baseline", action="store_true", help="reward z itself, not z minus the mean"
    )
    parser.add_argument("--max-grad-norm", type=float, default=1.0, help="0: no clipping")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, ...")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--eval-games",
        type=int,
        default=0,
        help="at the end, play this many games against the starting network",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from training.rl_policy import RLPolicyConfig, policy_match, train_rl_policy

    config = RLPolicyConfig(
        run=args.run,
        board_size=args.board,
        komi=args.komi,
        init=args.init,
        iterations=args.iterations,
        games_per_iteration=args.games,
        lr=args.lr,
        pool_every=args.pool_every,
        baseline=not args.no_baseline,
        max_grad_norm=args.max_grad_norm,
        device=args.device,
        seed=args.seed,
    )
    last = train_rl_policy(config)
    if last:
        print(json.dumps(last))
    if args.eval_games:
        run_dir = Path(args.run)
        result = policy_match(
            run_dir / "checkpoints" / "latest.safetensors",
            run_dir / "pool" / "iter-00000.safetensors",
            args.eval_games,
            args.board,
            args.komi,
            seed=args.seed + 1,
            device=args.device,
        )
        print(
            f"RL policy against the starting network, by policy alone: {result['a_wins']} of "
            f"{result['games']} ({100 * result['a_win_rate']:.1f}%)"
        )
    return 0
