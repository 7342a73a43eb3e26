"""`go-engine eval ...`: accuracy of trained models on held-out games."""

from __future__ import annotations

import argparse

from go_engine_cli.group import add_group, run_group

COMMANDS: dict[str, tuple[str, str]] = {
    "policy": ("go_engine_cli.eval_policy", "move-prediction accuracy and value error on games"),
    "rollout": ("go_engine_cli.eval_rollout", "top-1 accuracy of a rollout policy"),
    "value": ("go_engine_cli.eval_value", "value network error beside Monte Carlo rollouts"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_group(parser, "eval", COMMANDS)


def run(args: argparse.Namespace) -> int:
    return run_group(args)
