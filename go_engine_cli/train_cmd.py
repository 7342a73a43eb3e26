"""`go-engine train ...`: the trainers, one module per kind of training."""

from __future__ import annotations

import argparse

from go_engine_cli.group import add_group, run_group

COMMANDS: dict[str, tuple[str, str]] = {
    "sl": ("go_engine_cli.train_sl", "supervised policy/value network from SGF games"),
    "rollout": ("go_engine_cli.train_rollout", "AlphaGo's fast rollout policy from SGF games"),
    "rl-policy": ("go_engine_cli.train_rl_policy", "AlphaGo's RL policy network (REINFORCE)"),
    "value": ("go_engine_cli.train_value", "AlphaGo's value network from policy self-play"),
    "loop": ("go_engine_cli.train_loop", "self-play reinforcement learning (AlphaGo Zero loop)"),
    "lstm": ("go_engine_cli.train_lstm", "LSTM next-move model over move sequences (baseline)"),
    "seq2seq": ("go_engine_cli.train_seq2seq", "encoder-decoder that writes the next k moves"),
    "autoencoder": ("go_engine_cli.train_autoencoder", "position autoencoder, against PCA"),
    "gan": ("go_engine_cli.train_gan", "GAN of board positions (generator + discriminator)"),
    "classical": ("go_engine_cli.train_classical", "linear softmax, gradient boosting, forest"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_group(parser, "train", COMMANDS)


def run(args: argparse.Namespace) -> int:
    return run_group(args)
