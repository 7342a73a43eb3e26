"""`go-engine eval value`: the value network's error on held-out positions beside Monte Carlo
rollouts of five policies at several rollout counts (AlphaGo's Figure 2b;
training.value_rollouts)."""

from __future__ import annotations

import argparse
import json

MODES = ("random", "light", "weights", "sl", "rl")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="a `train value` run folder")
    parser.add_argument("--model", default=None, help="value network (default: the run's)")
    parser.add_argument("--rollouts", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=list(MODES),
        help="rollout policies: random, light (3x3 shapes), weights (AlphaGo's trained fast "
        "rollout policy), sl and rl (the run's policy networks, sampling)",
    )
    parser.add_argument(
        "--rollout-weights", default=None, help="rollout policy file (default: the shipped one)"
    )
    parser.add_argument("--max-positions", type=int, default=500)
    parser.add_argument("--bins", type=int, default=4, help="move-number ranges for by_move")
    parser.add_argument("--plot", default=None, help="write the error by move number (PNG)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    import numpy as np

    from go_engine.rollout_policy import RolloutPolicy
    from training.checkpoint import load_checkpoint
    from training.rl_policy import load_agz_net
    from training.torch_evaluator import select_device
    from training.value_net import ValueConfig, generate, value_errors, value_mse
    from training.value_rollouts import (
        RolloutEstimates,
        move_bins,
        move_numbers,
        network_estimates,
        numba_estimates,
    )

    if min(args.rollouts) < 1:
        raise SystemExit("--rollouts: counts must be at least 1")
    run_dir = Path(args.run)
    saved = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    config = ValueConfig(**saved)
    _, held_all = generate(config)
    keep = min(len(held_all), args.max_positions)
    held = held_all.subset(np.arange(len(held_all)) < keep)
    device = select_device(args.device)
    k_max = max(args.rollouts)
    estimates: list[RolloutEstimates] = []
    seconds: dict[str, float] = {}
    for mode in args.modes:
        start = time.perf_counter()
        if mode in ("sl", "rl"):
            net = load_agz_net(config.sl if mode == "sl" else config.rl, held.board_size, device)
            results = network_estimates(held, k_max, net, device, args.seed, progress=True)
        else:
            w = args.rollout_weights if mode == "weights" else None
            policy = RolloutPolicy.load(w) if w else RolloutPolicy.named(mode)
            results = numba_estimates(held, k_max, policy, args.seed)
        seconds[mode] = time.perf_counter() - start
        estimates.append(RolloutEstimates(mode, results))
    # The value network last: a run can start its rollouts before its training has finished.
    model = args.model or run_dir / "checkpoints" / "value.safetensors"
    net = load_checkpoint(model, device, expect_board_size=held.board_size).net
    start = time.perf_counter()
    value_err = value_errors(net, held, device)
    seconds["value network"] = time.perf_counter() - start
    rows = [{"estimator": "value network", "rollouts": 0, "mse": float(value_err.mean())}]
    for e in estimates:
        for k in args.rollouts:
            rows.append({"estimator": f"{e.name} rollouts", "rollouts": k,
                         "mse": e.mse(held.value, k)})  # fmt: skip
    moves = move_numbers(held)
    ranges = move_bins(moves, held.board_size, args.bins)
    in_bin = [(moves >= lo) & (moves <= hi) for lo, hi in ranges]
    by_move = {"value network": [float(value_err[b].mean()) if b.any() else None for b in in_bin]}
    for e in estimates:
        by_move[f"{e.name} x{k_max}"] = [e.mse(held.value, k_max, b) if b.any() else None
                                         for b in in_bin]  # fmt: skip
    table = {
        "positions": keep,
        "held_out_positions": len(held_all),
        "value_mse_all_held_out": value_mse(net, held_all, device),
        "rows": rows,
        "bins": [list(r) for r in ranges],
        "positions_per_bin": [int(b.sum()) for b in in_bin],
        "by_move": by_move,
        "seconds": seconds,
    }
    if args.plot:
        _plot(table, Path(args.plot))
    if args.json:
        print(json.dumps(table, indent=1))
    else:
        print(f"mean squared error against the results of {keep} held-out positions")
        for r in rows:
            what = r["estimator"] + (f" x{r['rollouts']}" if r["rollouts"] else "")
            print(f"  {what:<24} {r['mse']:.4f}")
    return 0


def _plot(table: dict, path) -> None:
    """The paper's Figure 2b layout: error against the move number of the position."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mids = [(lo + hi) / 2 for lo, hi in table["bins"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, errs in table["by_move"].items():
        pts = [(m, e) for m, e in zip(mids, errs, strict=True) if e is not None]
        style = "k-o" if name == "value network" else "--o"
        ax.plot([m for m, _ in pts], [e for _, e in pts], style, label=name, markersize=4)
    ax.set_xlabel("move number of the position")
    ax.set_ylabel("mean squared error against the result")
    ax.set_title(f"value network beside rollouts ({table['positions']} held-out positions)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
