"""`go-engine train rollout`: AlphaGo's fast rollout policy from expert SGF games.

Trains the weights of the "weights" rollout policy (`go_engine.rollout_features`) by SGD on the
cross-entropy of the expert move over the candidate moves (`training.rollout_train`), prints
the validation top-1 accuracy on the held-out games (`training.split`) and writes the policy
file (`RolloutPolicy.load` reads it; `--player mcts --rollout-policy FILE` style users too).
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="PATH",
        help="SGF games: a folder, a .tar.gz archive or an .sgf file (repeatable)",
    )
    parser.add_argument("--board", type=int, default=19, help="board size of the games used")
    parser.add_argument("--out", required=True, metavar="FILE.npz", help="policy file to write")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.02, help="SGD learning rate")
    parser.add_argument("--lr-decay", type=float, default=0.5, help="lr factor per epoch")
    parser.add_argument("--l2", type=float, default=1e-4, help="L2 weight decay")
    parser.add_argument(
        "--sample", type=float, default=1.0, help="share of each game's positions used per epoch"
    )
    parser.add_argument("--max-games", type=int, default=None, help="games read at most")
    parser.add_argument(
        "--max-positions", type=int, default=None, help="training positions per epoch at most"
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=None,
        help="held-out share of the games (default: training.split's for the board size)",
    )
    parser.add_argument("--max-val-games", type=int, default=None)
    parser.add_argument("--init", default=None, metavar="FILE", help="start from these weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    from go_engine.rollout_policy import RolloutPolicy
    from training.rollout_train import TrainConfig, train

    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        def bar(**kw: object) -> object:
            return tqdm(file=sys.stderr, mininterval=2.0, **kw)

    cfg = TrainConfig(
        data=list(args.data),
        board=args.board,
        epochs=args.epochs,
        lr=args.lr,
        lr_decay=args.lr_decay,
        l2=args.l2,
        sample=args.sample,
        max_games=args.max_games,
        max_positions=args.max_positions,
        val_fraction=args.val_fraction,
        max_val_games=args.max_val_games,
        seed=args.seed,
        init=args.init,
    )
    result = train(cfg, log=lambda s: print(s, file=sys.stderr, flush=True), bar=bar)
    RolloutPolicy("weights", result.weights).save(args.out)
    s = result.stats
    summary = {
        "out": args.out,
        "games_read": s.read,
        "games_used": s.used,
        "train_games": s.train,
        "validation_games": s.validation,
        "skipped": s.skipped,
        "other_size": s.other_size,
        "val_positions": result.val_positions,
        "val_top1": result.val_accuracy,
        "seconds": round(result.seconds, 1),
        "epochs": result.epochs,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"games: {s.used} used ({s.train} train, {s.validation} validation), "
            f"{s.skipped} skipped, {s.other_size} of another size"
        )
        for e in s.errors:
            print(f"  skipped: {e}")
        print(
            f"validation top-1: {result.val_accuracy:.2%} over {result.val_positions} positions; "
            f"{result.seconds:.0f} s; wrote {args.out}"
        )
    return 0
