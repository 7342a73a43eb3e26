"""`go-engine train autoencoder`: deep autoencoders of board positions at several code sizes,
measured against PCA on the shared held-out split (training.autoencoder)."""

from __future__ import annotations

import argparse
import json


def _ints(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, not {text!r}"
        ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from training.autoencoder import AETrainConfig

    d = AETrainConfig()
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        help="SGF source: a folder, a .tar.gz of SGFs or an .sgf file (repeatable)",
    )
    parser.add_argument("--board", type=int, default=d.board_size, help="board size")
    parser.add_argument(
        "--dims",
        type=_ints,
        default=d.dims,
        help="code sizes, one autoencoder each (comma-separated; 2 draws the maps)",
    )
    parser.add_argument(
        "--hidden", type=_ints, default=d.hidden, help="encoder layer widths (decoder mirrors)"
    )
    parser.add_argument("--run", default="", help="run folder (default runs/autoencoder-N)")
    parser.add_argument(
        "--steps", type=int, default=d.steps, help="steps per autoencoder (0: time)"
    )
    parser.add_argument(
        "--minutes", type=float, default=d.minutes, help="training time for all code sizes together"
    )
    parser.add_argument("--batch", type=int, default=d.batch_size)
    parser.add_argument(
        "--lr", type=float, default=d.lr, help="Adam's learning rate (cosine decay)"
    )
    parser.add_argument("--no-batch-norm", action="store_true", help="plain ReLU layers")
    parser.add_argument(
        "--no-symmetries", action="store_true", help="train without random board symmetries"
    )
    parser.add_argument("--resume", action="store_true", help="continue from the run's checkpoints")
    parser.add_argument(
        "--pca-dims", type=_ints, default=d.pca_dims, help="extra PCA sizes for the error curve"
    )
    parser.add_argument("--max-train-games", type=int, default=0, help="0: all training games")
    parser.add_argument("--max-train-positions", type=int, default=0, help="0: all")
    parser.add_argument(
        "--held-out-games", type=int, default=None, help="default: the shared split's number"
    )
    parser.add_argument("--device", default=d.device, help="auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--results", default=d.results, help="folder of the result records")
    parser.add_argument("--name", default="", help="record name (default autoencoder-N)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from training.autoencoder import AETrainConfig, train_autoencoders

    config = AETrainConfig(
        sources=list(args.data),
        board_size=args.board,
        dims=list(args.dims),
        hidden=list(args.hidden),
        run=args.run,
        steps=args.steps,
        minutes=args.minutes,
        batch_size=args.batch,
        lr=args.lr,
        batch_norm=not args.no_batch_norm,
        symmetries=not args.no_symmetries,
        resume=args.resume,
        pca_dims=list(args.pca_dims),
        max_train_games=args.max_train_games,
        max_train_positions=args.max_train_positions,
        held_out_games=args.held_out_games,
        device=args.device,
        threads=args.threads,
        seed=args.seed,
        results=args.results,
        name=args.name,
        progress=not args.quiet,
    )
    out = train_autoencoders(config)
    m = out["metrics"]
    print(
        f"held-out positions {int(m['held_out_positions'])}, mean board: "
        f"mse {m['mean_mse']:.4f}, point error {m['mean_point_error']:.4f}"
    )
    print(f"{'dims':>5} {'AE mse':>8} {'PCA mse':>8} {'AE err':>8} {'PCA err':>8}")
    for d in config.dims:
        print(
            f"{d:>5} {m[f'ae_mse_d{d}']:8.4f} {m.get(f'pca_mse_d{d}', float('nan')):8.4f} "
            f"{m[f'ae_point_error_d{d}']:8.4f} {m.get(f'pca_point_error_d{d}', float('nan')):8.4f}"
        )
    print(json.dumps({"record": out["record"], "figures": out["figures"]}))
    return 0
