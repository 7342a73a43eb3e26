"""`go-engine bench rollout` (or `python -m go_engine_cli.bench_rollout`): rollout moves/s.

Plays rollouts from the empty board on one core with the trained weights policy (the shipped
19x19 weights unless `--policy`), the light and the random policy, in the same run: each
repeat plays rollouts for about `--seconds` after compilation, and the figure is the median of
`--repeats` repeats, per board size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def measure(policy: object, size: int, seconds: float) -> tuple[float, float]:
    """(moves/s, rollouts/s) of `policy` (a RolloutPolicy) from the empty `size` board."""
    from go_engine.board import copy_into, copy_state
    from go_engine.playout import default_max_moves
    from go_engine.rng import make_rng
    from go_engine.rollout_policy import rollout
    from go_engine.state import new_state

    root = new_state(size)
    work = copy_state(root)
    nn = size * size
    moves = np.zeros(default_max_moves(size), np.int32)
    cand = np.zeros(nn, np.int32)
    score = np.zeros(nn, np.float64)
    rng = make_rng(1)
    code, weights = policy.code, policy.weights  # type: ignore[attr-defined]
    cap = default_max_moves(size)
    copy_into(work, root)
    rollout(work, rng, cap, code, weights, -1, moves, cand, score)  # compile / warm up
    total = 0
    games = 0
    t0 = time.perf_counter()
    while True:
        copy_into(work, root)
        total += rollout(work, rng, cap, code, weights, -1, moves, cand, score)
        games += 1
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return total / dt, games / dt


def bench(
    sizes: list[int], repeats: int, seconds: float, policy_file: str | None = None
) -> list[dict]:
    """One row per board size and policy: median moves/s and rollouts/s, and the repeats."""
    from go_engine.rollout_policy import RolloutPolicy

    weights = RolloutPolicy.load(policy_file) if policy_file else RolloutPolicy.shipped()
    policies = {
        "weights": weights,
        "light": RolloutPolicy("light"),
        "random": RolloutPolicy("random"),
    }
    rows = []
    for size in sizes:
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in policies}
        for _ in range(repeats):  # interleaved, so that load changes hit every policy alike
            for name, policy in policies.items():
                runs[name].append(measure(policy, size, seconds))
        for name in policies:
            mps = [r[0] for r in runs[name]]
            rows.append(
                {
                    "size": size,
                    "policy": name,
                    "moves_per_s": round(statistics.median(mps)),
                    "rollouts_per_s": round(statistics.median(r[1] for r in runs[name]), 1),
                    "us_per_move": round(1e6 / statistics.median(mps), 3),
                    "repeats": [round(x) for x in mps],
                }
            )
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=int, nargs="+", default=[9, 19])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="per repeat and policy")
    parser.add_argument("--policy", default=None, metavar="FILE.npz", help="default: shipped")
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    rows = bench(args.sizes, args.repeats, args.seconds, args.policy)
    if getattr(args, "record", None):
        from go_engine_cli.bench_report import record_speed

        record_speed(args.record, "rollout", {"rows": rows})
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"rollouts from the empty board, one core, median of {args.repeats}")
    for r in rows:
        print(
            f"{r['size']:>2}x{r['size']:<2} {r['policy']:<8} {r['moves_per_s']:>12,} moves/s "
            f"({r['us_per_move']} us/move, {r['rollouts_per_s']} rollouts/s)  {r['repeats']}"
        )
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    raise SystemExit(run(p.parse_args()))
