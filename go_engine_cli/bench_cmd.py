"""`go-engine bench ...`: speed measurements that go into BENCHMARKS.md.

Every figure is the median of repeated runs after JIT warm-up, printed with the machine it ran
on and, where one exists, a reference implementation measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bench", metavar="WHAT")
    sub.required = True
    b = sub.add_parser("board", help="random playouts per second, compile and start-up time")
    b.add_argument("--size", type=int, action="append", help="board size (repeatable; 9, 19)")
    b.add_argument("--repeats", type=int, default=5, help="timed repeats (median reported)")
    b.add_argument("--seconds", type=float, default=1.0, help="length of one repeat")
    b.add_argument("--no-reference", action="store_true", help="skip OpenSpiel's board")
    b.add_argument("--no-startup", action="store_true", help="skip compile/start-up timing")
    b.add_argument("--json", action="store_true", help="print JSON instead of a table")
    from go_engine_cli.bench_search import add_arguments as add_search

    add_search(sub)
    from go_engine_cli.bench_nn import add_arguments as add_nn

    add_nn(sub)
    from go_engine_cli import bench_rollout

    r = sub.add_parser("rollout", help="rollout moves/s: trained weights, light and random")
    bench_rollout.add_arguments(r)
    from go_engine_cli import bench_player

    bench_player.add_arguments(sub)
    from go_engine_cli import bench_report

    bench_report.add_arguments(sub)
    for name in ("board", "search", "nn", "rollout"):
        sub.choices[name].add_argument(
            "--record",
            metavar="NAME",
            help="also store the figures as docs/results/NAME.json for `go-engine bench report`",
        )


def machine() -> dict:
    """What the figures were measured on."""
    import numba

    from training.results_store import cpu_name

    cpu = cpu_name()
    import numpy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numba": numba.__version__,
        "numpy": numpy.__version__,
    }


def bench_playouts(size: int, repeats: int, seconds: float) -> dict:
    """Single-threaded random playouts from the empty board: median playouts/s and moves/s."""
    from go_engine.playout import default_max_moves, run_playouts
    from go_engine.rng import make_rng
    from go_engine.state import new_state

    st = new_state(size)
    rng = make_rng(size)
    cap = default_max_moves(size)
    run_playouts(st, 20, rng, cap)  # compile or load from cache, warm the caches
    t = time.perf_counter()
    run_playouts(st, 50, rng, cap)
    per = max(time.perf_counter() - t, 1e-6) / 50
    count = max(10, int(seconds / per))
    rates, move_rates, wins = [], [], 0
    for _ in range(repeats):
        t = time.perf_counter()
        w, moves = run_playouts(st, count, rng, cap)
        dt = time.perf_counter() - t
        rates.append(count / dt)
        move_rates.append(moves / dt)
        wins += w
    return {
        "size": size,
        "playouts_per_s": statistics.median(rates),
        "moves_per_s": statistics.median(move_rates),
        "playouts_per_repeat": count,
        "repeats": repeats,
        "runs_playouts_per_s": rates,
        "black_win_rate": wins / (count * repeats),
    }


def cold_compile_seconds() -> float:
    """Time to compile every kernel from scratch, in a fresh process with an empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        code = (
            "import time; t=time.perf_counter(); from go_engine.warmup import warmup; warmup(9);"
            "print(time.perf_counter()-t)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return float(out.stdout.strip().splitlines()[-1])


def gtp_start_seconds(repeats: int) -> dict:
    """Warm start of `go-engine gtp`: seconds from launch to the first answer (`name`) and to
    the first move (`genmove` on 19x19 by the default player with 100 visits, so that loading
    the search kernels is timed rather than searching), median of `repeats` launches with a
    filled cache."""
    subprocess.run(
        [sys.executable, "-m", "go_engine_cli.main", "warmup"], check=True, capture_output=True
    )
    first, move = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        p = subprocess.Popen(
            [sys.executable, "-m", "go_engine_cli.main", "gtp", "--visits", "100"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write("name\n")
        p.stdin.flush()
        p.stdout.readline()
        p.stdout.readline()
        first.append(time.perf_counter() - t)
        p.stdin.write("genmove b\n")
        p.stdin.flush()
        p.stdout.readline()
        move.append(time.perf_counter() - t)
        p.stdin.write("quit\n")
        p.stdin.flush()
        p.wait(timeout=30)
    return {
        "first_answer_s": statistics.median(first),
        "first_genmove_s": statistics.median(move),
        "repeats": repeats,
    }


def run_board(args: argparse.Namespace) -> dict:
    sizes = args.size or [9, 19]
    result: dict = {"machine": machine(), "boards": []}
    startup: dict = {}
    if not args.no_startup:
        startup["cold_compile_s"] = cold_compile_seconds()
        startup.update(gtp_start_seconds(max(3, args.repeats)))
    result["startup"] = startup
    for size in sizes:
        row = bench_playouts(size, args.repeats, args.seconds)
        if not args.no_reference:
            from go_engine_cli.bench_refs import openspiel_random_games

            ref_runs = [openspiel_random_games(size, args.seconds) for _ in range(args.repeats)]
            if ref_runs[0] is not None:
                ref_rate = statistics.median(r["games_per_s"] for r in ref_runs)
                row["reference"] = {
                    "impl": ref_runs[0]["impl"],
                    "games_per_s": ref_rate,
                    "moves_per_s": statistics.median(r["moves_per_s"] for r in ref_runs),
                }
                row["ratio_vs_reference"] = row["playouts_per_s"] / ref_rate
        result["boards"].append(row)
    return result


def print_board(result: dict) -> None:
    m = result["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, numba {m['numba']}")
    for row in result["boards"]:
        line = (
            f"{row['size']}x{row['size']}: {row['playouts_per_s']:,.0f} playouts/s, "
            f"{row['moves_per_s']:,.0f} moves/s (median of {row['repeats']}, one core)"
        )
        if "reference" in row:
            ref = row["reference"]
            line += (
                f"; {ref['impl']}: {ref['games_per_s']:,.0f} games/s -> "
                f"ratio {row['ratio_vs_reference']:.1f}x"
            )
        print(line)
    s = result.get("startup") or {}
    if s:
        print(
            f"cold JIT compile: {s['cold_compile_s']:.1f} s; warm start of go-engine gtp: "
            f"first answer {s['first_answer_s']:.2f} s, first 19x19 genmove (100 visits) "
            f"{s['first_genmove_s']:.2f} s (median of {s['repeats']})"
        )


def _emit(result: dict, as_json: bool, printer, record: str | None = None, what: str = "") -> None:
    """Print a bench result as JSON or with its table printer (and store it with `record`)."""
    from go_engine_cli.bench_search import to_jsonable

    if as_json:
        print(json.dumps(to_jsonable(result), indent=2))
    else:
        printer(result)
    if record:
        from go_engine_cli.bench_report import record_speed

        record_speed(record, what, to_jsonable(result))


def run(args: argparse.Namespace) -> int:
    if args.bench == "board":
        _emit(run_board(args), args.json, print_board, args.record, "board")
    elif args.bench == "search":
        from go_engine_cli.bench_search import print_search, run_search

        _emit(run_search(args), args.json, print_search, args.record, "search")
    elif args.bench == "nn":
        from go_engine_cli.bench_nn import print_nn, run_nn

        _emit(run_nn(args), args.json, print_nn, args.record, "nn")
    elif args.bench == "player":
        from go_engine_cli.bench_player import print_player, run_player

        _emit(run_player(args), args.json, print_player)
    elif args.bench == "rollout":
        from go_engine_cli import bench_rollout

        return bench_rollout.run(args)
    else:
        from go_engine_cli import bench_report

        return bench_report.run(args)
    return 0
