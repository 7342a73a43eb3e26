"""`go-engine eval value`: the value network's error on held-out positions beside Monte Carlo
rollouts at several rollout counts (AlphaGo's Figure 2b; training.value_net)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="a `train value` run folder")
    parser.add_argument("--model", default=None, help="value network (default: the run's)")
    parser.add_argument("--rollouts", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--modes", nargs="+", default=["light", "random"])
    parser.add_argument("--max-positions", type=int, default=500)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np

    from training.checkpoint import load_checkpoint
    from training.torch_evaluator import select_device
    from training.value_net import ValueConfig, generate, rollout_mse, value_mse

    run_dir = Path(args.run)
    saved = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    _, held = generate(ValueConfig(**saved))
    keep = min(len(held), args.max_positions)
    held = held.subset(np.arange(len(held)) < keep)
    device = select_device(args.device)
    model = args.model or run_dir / "checkpoints" / "value.safetensors"
    net = load_checkpoint(model, device, expect_board_size=held.board_size).net
    rows = [{"estimator": "value network", "rollouts": 0, "mse": value_mse(net, held, device)}]
    for mode in args.modes:
        for k in args.rollouts:
            rows.append(
                {"estimator": f"{mode} rollouts", "rollouts": k, "mse": rollout_mse(held, k, mode)}
            )
    if args.json:
        print(json.dumps({"positions": keep, "rows": rows}, indent=1))
    else:
        print(f"mean squared error against the results of {keep} held-out positions")
        for r in rows:
            what = r["estimator"] + (f" x{r['rollouts']}" if r["rollouts"] else "")
            print(f"  {what:<24} {r['mse']:.4f}")
    return 0
