"""`go-engine train classical`: linear softmax, gradient boosting, random forest and the rollout
policy on hand-made move features, trained and measured on the shared baseline split
(training.classical); one result record per model (docs/results/<model>-<N>.json)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", nargs="+", required=True, help="SGF archives / folders / files")
    parser.add_argument("--board", type=int, default=9)
    parser.add_argument(
        "--models",
        default="linear,boosting,forest,rollout",
        help="comma-separated: linear, boosting, forest, rollout, rollout-shipped (19x19: load "
        "go_engine/data/rollout19.npz instead of training)",
    )
    parser.add_argument("--max-train-games", type=int, default=0, help="0: every training game")
    parser.add_argument("--max-train-positions", type=int, default=0, help="0: no limit")
    parser.add_argument("--results", default="docs/results", help="folder of the result records")
    parser.add_argument("--run", default="runs/classical", help="folder of the saved models")
    parser.add_argument("--resume", action="store_true", help="load models already in --run")
    parser.add_argument("--minutes", type=float, default=0.0, help="training budget per model")
    parser.add_argument("--negatives", type=int, help="sampled candidates per position")
    parser.add_argument("--forest-negatives", type=int)
    parser.add_argument("--linear-epochs", type=int)
    parser.add_argument("--boosting-rounds", type=int)
    parser.add_argument("--forest-trees", type=int)
    parser.add_argument("--rollout-epochs", type=int)
    parser.add_argument(
        "--features",
        choices=("all", "pattern"),
        default="all",
        help="pattern: zero the positional extras (results <model>-pattern-N)",
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="auto", help="torch device of the linear model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-plots", action="store_true")


def run(args: argparse.Namespace) -> int:
    from training.classical import ClassicalConfig, RunConfig, replace_config, train_classical

    models = tuple(m.strip() for m in args.models.split(",") if m.strip())
    if not models:
        raise ValueError("--models: name at least one model")
    config = replace_config(
        ClassicalConfig(),
        negatives=args.negatives,
        forest_negatives=args.forest_negatives,
        linear_epochs=args.linear_epochs,
        boosting_rounds=args.boosting_rounds,
        forest_trees=args.forest_trees,
        rollout_epochs=args.rollout_epochs,
        minutes=args.minutes,
        features=args.features,
        threads=args.threads,
        device=args.device,
        seed=args.seed,
    )
    cfg = RunConfig(
        data=list(args.data),
        board_size=args.board,
        models=models,
        max_train_games=args.max_train_games,
        max_train_positions=args.max_train_positions,
        run=args.run,
        results=args.results,
        resume=args.resume,
        plots=not args.no_plots,
        classical=config,
    )
    out = train_classical(cfg)
    summary = {m: {k: round(v, 4) for k, v in r.items()} for m, r in out.items()}
    print(json.dumps(summary))
    return 0
