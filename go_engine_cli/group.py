"""Commands with sub-commands (`go-engine train sl`, `go-engine eval policy`, ...).

A group maps each sub-command to a module with `add_arguments(parser)` and `run(args) -> int`,
like the top-level commands of `main.py`; modules are imported when the parser is built.
"""

from __future__ import annotations

import argparse
import importlib


def add_group(parser: argparse.ArgumentParser, dest: str, commands: dict[str, tuple[str, str]]):
    """Add one sub-parser per entry of `commands` (name -> (module, help))."""
    sub = parser.add_subparsers(dest=dest, metavar="WHAT")
    sub.required = True
    for name, (module, help_text) in commands.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_group_module=module)
        importlib.import_module(module).add_arguments(p)


def run_group(args: argparse.Namespace) -> int:
    """Run the sub-command the parser chose."""
    return int(importlib.import_module(args._group_module).run(args) or 0)
