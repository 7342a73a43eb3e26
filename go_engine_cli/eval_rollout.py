"""`go-engine eval rollout`: move-prediction accuracy of a rollout policy on held-out games.

Top-1 accuracy (and mean cross-entropy) of a "weights" rollout policy file over every position
of the held-out games (`training.split`) of the given collections; without `--policy` the
shipped 19x19 weights (`RolloutPolicy.shipped()`).
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy", default=None, metavar="FILE.npz", help="policy file (default: shipped)"
    )
    parser.add_argument(
        "--games",
        "--data",
        dest="games",
        action="append",
        required=True,
        metavar="PATH",
        help="SGF games: a folder, a .tar.gz archive or an .sgf file (repeatable)",
    )
    parser.add_argument("--board", type=int, default=19)
    parser.add_argument(
        "--all-games", action="store_true", help="every game, not only the held-out ones"
    )
    parser.add_argument("--val-fraction", type=float, default=None)
    parser.add_argument("--max-games", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from go_engine.rollout_policy import RolloutPolicy
    from training.rollout_train import evaluate

    policy = RolloutPolicy.load(args.policy) if args.policy else RolloutPolicy.shipped()
    result, stats = evaluate(
        policy,
        args.games,
        args.board,
        fraction=args.val_fraction,
        held_out_only=not args.all_games,
        max_games=args.max_games,
    )
    out = {
        "policy": args.policy or "shipped",
        "positions": result.positions,
        "top1": round(result.accuracy, 4),
        "loss": round(result.mean_loss, 4),
        "games_read": stats.read,
        "skipped": stats.skipped,
        "held_out_only": not args.all_games,
    }
    if args.json:
        print(json.dumps(out))
    else:
        which = "held-out" if not args.all_games else "all"
        print(
            f"{out['policy']}: top-1 {result.accuracy:.2%}, loss {result.mean_loss:.3f} over "
            f"{result.positions} positions of the {which} games ({stats.skipped} skipped)"
        )
    return 0
