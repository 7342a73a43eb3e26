"""The `go-engine` command line: one subcommand per module in this package."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# subcommand -> module (each module has add_arguments(parser) and run(args) -> int)
SUBCOMMANDS = {
    "gtp": ("go_engine_cli.gtp_cmd", "run the GTP engine (for Sabaki, Lizzie, GoGui, servers)"),
    "bench": ("go_engine_cli.bench_cmd", "measure speed (board playouts, ...)"),
    "warmup": ("go_engine_cli.warmup_cmd", "compile the Numba kernels once after installing"),
    "match": ("go_engine_cli.match_cmd", "play a match between two GTP engines (vs GNU Go)"),
    "tournament": ("go_engine_cli.tournament_cmd", "round robin of GTP engines with Elo ratings"),
    "selfplay": ("go_engine_cli.selfplay_cmd", "play self-play games and write training samples"),
    "train": ("go_engine_cli.train_cmd", "train networks and policies (sl, ...)"),
    "eval": ("go_engine_cli.eval_cmd", "measure trained models on held-out games"),
    "export": ("go_engine_cli.export_cmd", "export a network checkpoint (ONNX)"),
    "similar": ("go_engine_cli.similar_cmd", "find the positions of a collection most like one"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `only`, the arguments of that subcommand alone are
    built (its module is imported), so `go-engine gtp` does not import the trainers and
    torch with them: a GUI waits for every second of start-up."""
    parser = argparse.ArgumentParser(
        prog="go-engine", description="A Python Go engine: Numba board and search, GTP."
    )
    from go_engine import __version__

    parser.add_argument("--version", action="version", version=f"go-engine {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        if only is None or name == only:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(first if first in SUBCOMMANDS else None).parse_args(argv)
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        # Bad input (a config, a checkpoint, a data file): its message names the file and
        # the problem; a traceback would only hide it. GO_ENGINE_TRACEBACK=1 shows it.
        if os.environ.get("GO_ENGINE_TRACEBACK") == "1":
            raise
        print(f"go-engine {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
