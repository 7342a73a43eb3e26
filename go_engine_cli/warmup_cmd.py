"""`go-engine warmup`: compile every Numba kernel into numba's on-disk cache, and make the
cached int8 copies of the networks the default player runs in int8, so that a GUI's first
`genmove` after installing does not wait for either."""

from __future__ import annotations

import argparse
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=9, help="board size used to compile")


def prepare_default_networks() -> list[str]:
    """Make (or find in the cache) the int8 copy of each shipped network that the default
    player runs in int8; the names of those networks."""
    from gtp.players import AUTO_CHOICE
    from training.network_evaluator import load_evaluator, onnx_available
    from training.networks import playing_network

    names = []
    if not onnx_available():
        return names
    for n, (_, defaults) in sorted(AUTO_CHOICE.items()):
        path = playing_network(n)
        if path is not None and defaults.get("precision") == "int8":
            load_evaluator(path, device="onnx", expect_board_size=n, precision="int8")
            names.append(path.name)
    return names


def run(args: argparse.Namespace) -> int:
    from go_engine.warmup import warmup

    t = time.perf_counter()
    warmup(args.size)
    print(f"compiled in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    t = time.perf_counter()
    names = prepare_default_networks()
    if names:
        print(
            f"int8 copies of {', '.join(names)} in {time.perf_counter() - t:.1f} s", file=sys.stderr
        )
    return 0
