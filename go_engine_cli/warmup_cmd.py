"""`go-engine warmup`: compile every Numba kernel into numba's on-disk cache."""

from __future__ import annotations

import argparse
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=9, help="board size used to compile")


def run(args: argparse.Namespace) -> int:
    from go_engine.warmup import warmup

    t = time.perf_counter()
    warmup(args.size)
    print(f"compiled in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return 0
