"""`go-engine bench rollout` (or `python -m go_engine_cli.bench_rollout`): rollout moves/s.

Plays rollouts from the empty board on one core with the trained weights policy (the shipped
19x19 weights unless `--policy`), the light and the random policy, in the same run: each
repeat plays rollouts for about `--seconds` after compilation, and the figure is the median of
`--repeats` repeats, per board size.

`--mercy-check N` instead measures what the pure MCTS engine's mercy rule does to N light
rollouts from the empty board: how many it stops, the share of moves it saves, and how often
the winner it names is the winner of the same rollout played out (same random draws).
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


def mercy_check(size: int, rollouts: int, shares: list[float], seed: int = 1) -> list[dict]:
    """For each share of the board: the mercy rule's effect on `rollouts` light rollouts from
    the empty board, each played once to the end and once under the rule with the same draws
    (the cut rollout is a prefix of the full one)."""
    from go_engine.board import copy_into, copy_state
    from go_engine.playout import default_max_moves, final_score
    from go_engine.rng import make_rng
    from go_engine.rollout_policy import ROLLOUT_LIGHT, mercy_winner, simple_rollout
    from go_engine.shapes import shape_table
    from go_engine.state import BLACK, new_state

    root = new_state(size)
    work = copy_state(root)
    cap = default_max_moves(size)
    moves = np.zeros(cap, np.int32)
    cand = np.zeros(size * size, np.int32)
    shapes = shape_table()
    full = []  # (moves, Black won) of each played-out rollout
    for i in range(rollouts):
        copy_into(work, root)
        n = simple_rollout(work, make_rng(seed + i), cap, ROLLOUT_LIGHT, shapes, -1, moves, cand, 0)
        full.append((n, final_score(work) > 0))
    total = sum(n for n, _ in full)
    rows = []
    for share in shares:
        mercy = round(share * size * size)
        stopped = agree = saved = 0
        for i, (n, black_won) in enumerate(full):
            copy_into(work, root)
            k = simple_rollout(
                work, make_rng(seed + i), cap, ROLLOUT_LIGHT, shapes, -1, moves, cand, mercy
            )
            winner = mercy_winner(work, 0, mercy)
            if winner != 0:
                stopped += 1
                saved += n - k
                agree += int((winner == BLACK) == black_won)
        rows.append(
            {
                "size": size,
                "share": share,
                "captures": mercy,
                "rollouts": rollouts,
                "stopped": stopped / rollouts,
                "moves_saved": saved / max(total, 1),
                "winner_agrees": agree / stopped if stopped else None,
            }
        )
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=int, nargs="+", default=[9, 19])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="per repeat and policy")
    parser.add_argument("--policy", default=None, metavar="FILE.npz", help="default: shipped")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--mercy-check",
        type=int,
        default=0,
        metavar="N",
        help="instead: the mercy rule's effect on N light rollouts per size",
    )
    parser.add_argument(
        "--shares",
        type=float,
        nargs="+",
        default=[0.12, 0.25, 0.3],
        help="mercy thresholds to check, as shares of the board",
    )


def run(args: argparse.Namespace) -> int:
    if args.mercy_check > 0:
        rows = [r for n in args.sizes for r in mercy_check(n, args.mercy_check, args.shares)]
        if args.json:
            print(json.dumps(rows))
            return 0
        print(f"mercy rule on {args.mercy_check} light rollouts from the empty board")
        for r in rows:
            agrees = "-" if r["winner_agrees"] is None else f"{100 * r['winner_agrees']:.2f}%"
            print(
                f"{r['size']:>2}x{r['size']:<2} share {r['share']:.2f} ({r['captures']} captures):"
                f" stops {100 * r['stopped']:.1f}% of rollouts, saves"
                f" {100 * r['moves_saved']:.1f}% of moves, winner agrees {agrees}"
            )
        return 0
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
