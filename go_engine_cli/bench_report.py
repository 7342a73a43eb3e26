"""`go-engine bench report | data-scale | arch | record-match`: the benchmark report and the
measurements only it needs (training.report, training.data_scale, training.net_baseline)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _sizes(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        out.append(0 if part in ("all", "0") else int(part))
    return out


def add_arguments(sub: argparse._SubParsersAction) -> None:
    from training.results_store import RESULTS_DIR

    r = sub.add_parser("report", help="rebuild docs/report.md from the stored result records")
    r.add_argument("--results", default=str(RESULTS_DIR), help="folder of result records")
    r.add_argument("--out", default="docs/report.md", help="the report file")

    d = sub.add_parser("data-scale", help="accuracy against the number of training positions")
    d.add_argument("--data", action="append", required=True, help="SGF source (repeatable)")
    d.add_argument("--board", type=int, default=9)
    d.add_argument(
        "--sizes", type=_sizes, default=[1000, 3000, 10000, 0], help="e.g. 1000,3000,all"
    )
    d.add_argument(
        "--models",
        default="linear,boosting,forest,rollout,small-net,large-net",
        help="comma-separated: linear, boosting, forest, rollout, small-net, large-net",
    )
    d.add_argument("--run", default=None, help="run folder (default runs/data-scale-N)")
    d.add_argument("--results", default=str(RESULTS_DIR))
    d.add_argument("--net-steps", type=int, default=1200, help="training steps of each network")
    d.add_argument("--device", default="auto")
    d.add_argument("--threads", type=int, default=1, help="torch threads")
    d.add_argument("--seed", type=int, default=0)

    a = sub.add_parser("arch", help="AlphaGo's plain CNN against a ResNet of the same size")
    a.add_argument("--data", action="append", required=True, help="SGF source (repeatable)")
    a.add_argument("--board", type=int, default=9)
    a.add_argument("--blocks", type=int, default=4, help="ResNet blocks (plain: twice as many)")
    a.add_argument("--channels", type=int, default=48)
    a.add_argument("--cpu-minutes", type=float, default=5.0, help="CPU time of each training")
    a.add_argument("--max-train-games", type=int, default=0, help="0: every training game")
    a.add_argument("--batch", type=int, default=128)
    a.add_argument("--lr", type=float, default=0.05)
    a.add_argument("--results", default=str(RESULTS_DIR))
    a.add_argument("--run", default=None, help="checkpoint folder (default runs/arch-N)")
    a.add_argument("--threads", type=int, default=1, help="torch threads")
    a.add_argument("--device", default="auto", help="auto, cpu, cuda (CUDA: a wall-time budget)")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument(
        "--only",
        choices=["resnet", "plain"],
        default=None,
        help="train one of the two (run the other in a second process, on another core)",
    )

    m = sub.add_parser("record-match", help="store a finished match folder for the report")
    m.add_argument("folder", help="the match's --out folder")
    m.add_argument("--name", required=True, help="record name (file stem)")
    m.add_argument("--label", required=True, help="the player as the report names it")
    m.add_argument("--board", type=int, required=True)
    m.add_argument("--opponent", default="GNU Go 3.8 level 10")
    m.add_argument("--command", default=None, help="the match command, for the record")
    m.add_argument("--results", default=str(RESULTS_DIR))


_LABEL_KEYS = ("size", "policy", "name", "engine", "device", "precision", "batch")


def flatten(value: object, prefix: str = "", out: dict | None = None) -> dict[str, float]:
    """The numeric leaves of a bench result as {"a.b.c": x}; list items are named by their
    "size"/"policy"/"name"/"batch" fields when they have them, else by position. Lists of
    plain numbers (the single runs behind a median) are left out."""
    out = {} if out is None else out
    if isinstance(value, bool):
        return out
    if isinstance(value, (int, float)):
        out[prefix] = float(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k in _LABEL_KEYS and isinstance(v, (int, float)) and prefix.endswith("]"):
                continue  # already in the row's name
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list):
        if all(isinstance(v, (int, float)) for v in value):
            return out  # the single runs behind a median: kept in the record's raw result
        for i, v in enumerate(value):
            tag = str(i)
            if isinstance(v, dict):
                keys = [str(v[k]) for k in _LABEL_KEYS if k in v]
                tag = "/".join(keys) or tag
            flatten(v, f"{prefix}[{tag}]", out)
    return out


def record_speed(name: str, what: str, result: dict) -> None:
    """Store a bench result as a "speed" record (every numeric figure, flattened)."""
    from training.results_store import write_result

    metrics = flatten({k: v for k, v in result.items() if k != "machine"})
    path = write_result(name, "speed", f"go-engine bench {what}", 0, metrics, raw=result)
    print(f"stored {path}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if args.bench == "report":
        from training.report import build_report

        print(build_report(args.results, args.out))
        return 0
    if args.bench == "record-match":
        from gtp.match_record import match_record

        print(
            match_record(
                args.folder,
                args.name,
                args.label,
                args.board,
                args.opponent,
                args.results,
                args.command,
            )
        )
        return 0
    import torch

    torch.set_num_threads(max(1, args.threads))
    if args.bench == "data-scale":
        from training.data_scale import ScaleConfig, run_scale
        from training.torch_evaluator import select_device

        config = ScaleConfig(
            sources=args.data,
            board_size=args.board,
            sizes=args.sizes,
            models=[m.strip() for m in args.models.split(",") if m.strip()],
            run=args.run or f"runs/data-scale-{args.board}",
            results=args.results,
            net_steps=args.net_steps,
            device=str(select_device(args.device)),
            seed=args.seed,
        )
        _, path = run_scale(config, log=lambda s: print(s, flush=True))
        print(path)
        return 0
    if args.bench == "arch":
        return _arch(args)
    print(f"unknown bench {args.bench}", file=sys.stderr)
    return 2


def _arch(args: argparse.Namespace) -> int:
    from training.baseline_data import DataConfig, load_split
    from training.checkpoint import save_checkpoint
    from training.net_baseline import NetFitConfig, describe, fit_net, score_net
    from training.results_store import command_line, write_result
    from training.torch_evaluator import select_device

    device = str(select_device(args.device))
    split = load_split(
        DataConfig(args.data, args.board, max_train_games=args.max_train_games, seed=args.seed)
    )
    n = args.board
    for arch, blocks in (("resnet", args.blocks), ("plain", 2 * args.blocks)):
        if args.only not in (None, arch):
            continue
        fit = NetFitConfig(
            arch=arch,
            blocks=blocks,
            channels=args.channels,
            batch_size=args.batch,
            lr=args.lr,
            cpu_seconds=60.0 * args.cpu_minutes,
            max_steps=10**9,
            device=device,
            seed=args.seed,
        )
        net, info = fit_net(split.train, fit)
        figures = score_net(net, split.held_out, device)
        metrics = {
            "top1": figures["top1"],
            "top5": figures["top5"],
            "policy_loss": figures["policy_loss"],
            "value_mse": figures["value_mse"],
            "held_out_positions": figures["positions"],
            "train_positions": len(split.train),
            **info,
        }
        label = describe(fit, n)
        checkpoint = Path(args.run or f"runs/arch-{n}") / f"{arch}-{n}.safetensors"
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        save_checkpoint(
            checkpoint,
            net.cpu(),
            step=int(info["train_steps"]),
            metrics={k: v for k, v in metrics.items() if isinstance(v, float)},
            info={"command": command_line(), "model": label},
            data=split.describe(),
        )
        path = write_result(
            f"{arch}-{n}", "accuracy", label, n, metrics, args.results, checkpoint=str(checkpoint)
        )
        top1 = 100 * figures["top1"]
        print(f"{label}: top-1 {top1:.1f}%, {info['train_steps']:.0f} steps -> {path}")
    return 0
