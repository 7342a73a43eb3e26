"""`go-engine train gan`: a GAN of board positions on the shared split (training.position_gan),
its checkpoint, and its report record (kind "gan") with the statistics and sample figures."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from training.position_gan import GanConfig

    d = GanConfig()
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        help="SGF source: a folder, a .tar.gz of SGFs or an .sgf file (repeatable)",
    )
    parser.add_argument("--board", type=int, default=d.board_size, help="board size")
    parser.add_argument("--run", default="", help="run folder (default runs/gan-N)")
    parser.add_argument("--name", default="", help="result name (default gan-N)")
    parser.add_argument("--results", default="docs/results", help="folder of the result records")
    parser.add_argument("--max-train-games", type=int, default=0, help="0: all")
    parser.add_argument("--max-train-positions", type=int, default=0, help="0: all")
    parser.add_argument(
        "--held-out-games", type=int, default=None, help="default: the split's standard count"
    )
    parser.add_argument("--steps", type=int, default=d.steps, help="total steps (0: no limit)")
    parser.add_argument(
        "--minutes", type=float, default=d.minutes, help="also stop after this training time"
    )
    parser.add_argument("--batch", type=int, default=d.batch_size)
    parser.add_argument("--latent", type=int, default=d.latent)
    parser.add_argument("--g-channels", type=int, default=d.g_channels)
    parser.add_argument("--d-channels", type=int, default=d.d_channels)
    parser.add_argument("--lr", type=float, default=d.lr_g, help="Adam learning rate (G and D)")
    parser.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    parser.add_argument("--samples", type=int, default=2000, help="generated boards measured")
    parser.add_argument(
        "--two-sample-steps",
        type=int,
        default=300,
        help="training steps of the two-sample classifier (0: skip the test)",
    )
    parser.add_argument("--fresh", action="store_true", help="do not resume the run folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--device", default=d.device, help="auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--seed", type=int, default=d.seed)


def run(args: argparse.Namespace) -> int:
    from training.baseline_data import DataConfig, load_split
    from training.position_gan import (
        GanConfig,
        GanTrainer,
        evaluate,
        plot_samples,
        plot_stats,
    )
    from training.results_store import write_result

    if not args.data:
        raise ValueError("give the SGF sources with --data")
    for source in args.data:
        if not Path(source).exists():
            raise FileNotFoundError(f"{source}: no such file or folder")
    if args.samples < 4:
        raise ValueError("--samples must be >= 4")
    n = args.board
    run_dir = Path(args.run or f"runs/gan-{n}")
    name = args.name or f"gan-{n}"
    config = GanConfig(
        board_size=n,
        latent=args.latent,
        g_channels=args.g_channels,
        d_channels=args.d_channels,
        batch_size=args.batch,
        lr_g=args.lr,
        lr_d=args.lr,
        steps=args.steps,
        minutes=args.minutes,
        checkpoint_every=args.checkpoint_every,
        device=args.device,
        seed=args.seed,
    )
    split = load_split(
        DataConfig(
            list(args.data),
            n,
            max_train_games=args.max_train_games,
            max_train_positions=args.max_train_positions,
            held_out_games=args.held_out_games,
            seed=args.seed,
        )
    )
    print(json.dumps(split.describe()))
    train_boards = split.train.positions.boards
    trainer = GanTrainer(config, train_boards, run=run_dir, resume=not args.fresh)
    state = trainer.train(progress=not args.quiet)
    gan = trainer.gan
    ev = evaluate(
        gan,
        split.held_out.positions.boards,
        train_boards,
        count=args.samples,
        two_sample_steps=args.two_sample_steps,
        seed=args.seed + 12345,
    )
    metrics = {
        **ev.metrics,
        "steps": state.step,
        "train_seconds": state.seconds,
        "train_positions": len(split.train),
        "held_out_positions": len(split.held_out),
    }
    c = gan.config
    model = f"DCGAN (z {c.latent}, G {c.g_channels}, D {c.d_channels})"
    checkpoint = trainer.checkpoint_path
    trainer.save(metrics, info={"model": model, "data": ",".join(args.data)})
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    plot_stats(ev, results / f"{name}-stats.png", f"{name}:")
    plot_samples(ev, results / f"{name}-samples.png", n)
    path = write_result(
        name,
        "gan",
        model,
        n,
        metrics,
        folder=results,
        checkpoint=str(checkpoint),
        config=dataclasses.asdict(c),
        split=split.describe(),
        history=state.history[-50:],
        figures=[f"{name}-stats.png", f"{name}-samples.png"],
    )
    print(json.dumps({"result": str(path), **metrics}))
    return 0
