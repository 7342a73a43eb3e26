"""`go-engine gtp`: the GTP engine on stdin/stdout."""

from __future__ import annotations

import argparse
import sys

from training.onnx_int8 import PRECISIONS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from gtp.players import DEFAULT_PLAYER, PLAYERS, PlayerConfig

    parser.add_argument("--size", type=int, default=19, help="initial board size (default 19)")
    parser.add_argument("--komi", type=float, default=7.5, help="initial komi (default 7.5)")
    parser.add_argument(
        "--rules",
        default="default",
        help="rule set: default (area, positional superko, no suicide), chinese, japanese, "
        "tromp-taylor, aga, nz",
    )
    parser.add_argument(
        "--player", default=DEFAULT_PLAYER, choices=sorted(PLAYERS), help="move chooser"
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--visits", type=int, default=None, help="search visits per move")
    parser.add_argument("--time", type=float, default=None, help="seconds per move")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="search threads: mcts grows one tree per thread (default 1); the network searches "
        "use 2 to run the network while the next leaves and their rollouts are found (default: "
        "2 when the process may use two cores)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="network checkpoint for the network players (default: the shipped network of the "
        "board size: on 9x9 the self-play network rl9d, on 19x19 the SL network; the alphago "
        "player's default is the SL network)",
    )
    parser.add_argument(
        "--mix", type=float, default=0.5, help="mixed player: the rollouts' share of a value"
    )
    parser.add_argument(
        "--rollout",
        default=None,
        choices=["light", "random", "weights"],
        help="rollout policy of the rollout searches: light (the default), random, or weights "
        "(AlphaGo's trained rollout policy; the default of the alphago player and of the 9x9 "
        "default; PUCT players only)",
    )
    parser.add_argument(
        "--mercy",
        type=float,
        default=0.3,
        help="mcts player: a rollout stops, decided, once one side has captured this share of "
        "the board more than the other (a mercy rule, as in Fuego; 0: play rollouts out)",
    )
    parser.add_argument(
        "--cpuct",
        type=float,
        default=None,
        help="PUCT searches: the exploration constant at the start of the search (AlphaZero's "
        "c_init; default 1.25 for the network searches, 2.0 for puct-rollout)",
    )
    parser.add_argument(
        "--symmetries",
        default=None,
        choices=["none", "random", "average"],
        help="network players: evaluate each position as it stands (none), under one board "
        "symmetry drawn at random, or average all eight (8x the work); default: average for "
        "the policy player, none for the searches",
    )
    parser.add_argument(
        "--precision",
        default=None,
        choices=PRECISIONS,
        help="network players on the CPU: float32, or int8 (ONNX Runtime's quantized copy of "
        "each network, made once and cached; about 2.3x the evaluations a second); default: "
        "int8 for the default player on 9x9, float32 otherwise",
    )
    parser.add_argument(
        "--resign",
        type=float,
        default=PlayerConfig.resign,
        metavar="VALUE",
        help="search players resign when their best move's value, from -1 (lost) to 1 (won), "
        f"is below this (default {PlayerConfig.resign}); -1 never resigns",
    )
    parser.add_argument(
        "--value-model",
        default=None,
        help="alphago player: a value network (default: the shipped value network of the board "
        "size when --model is not given (9x9), else the policy network's value head)",
    )
    parser.add_argument(
        "--uniform-priors",
        action="store_true",
        help="alphago player: equal priors instead of the policy network's (ablation)",
    )


def run(args: argparse.Namespace) -> int:
    from go_engine.rules import Rules
    from gtp.engine import EngineConfig, GTPEngine
    from gtp.players import PlayerConfig

    try:
        rules = Rules.named(args.rules, komi=args.komi)
        config = EngineConfig(
            size=args.size,
            komi=args.komi,
            rules=rules,
            player=args.player,
            player_config=PlayerConfig(
                seed=args.seed,
                visits=args.visits,
                seconds=args.time,
                threads=args.threads,
                rollout=args.rollout,
                model=args.model,
                mix=args.mix,
                value_model=args.value_model,
                uniform_priors=args.uniform_priors,
                mercy=args.mercy,
                cpuct=args.cpuct,
                symmetries=args.symmetries,
                precision=args.precision,
                resign=args.resign,
            ),
        )
        engine = GTPEngine(config)
    except ValueError as e:
        print(f"go-engine gtp: {e}", file=sys.stderr)
        return 2
    print(f"go-engine GTP ready ({args.player} player)", file=sys.stderr)
    engine.serve(sys.stdin, sys.stdout)
    return 0
