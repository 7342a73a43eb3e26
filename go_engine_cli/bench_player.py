"""`go-engine bench player`: a GTP player's search speed at each thread count, in one run.

The player (by default `auto`, what `go-engine gtp` plays) searches a set of positions for a
fixed time per move with a fresh tree each time, at every thread count asked for, the thread
counts taking turns within each repeat so that machine noise hits them alike. The positions
are the empty board and points along one game the shipped network's `policy` player plays
against itself (a random game where no network is shipped), so the mix of openings and
middle games is the one a match sees. Reported: simulations per second per thread count
(median of the repeats) and each count's median ratio to the first one.
"""

from __future__ import annotations

import argparse
import statistics

from go_engine.state import State
from training.onnx_int8 import PRECISIONS


def add_arguments(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("player", help="a GTP player's simulations/s at each thread count")
    s.add_argument("--size", type=int, default=9, help="board size (default 9)")
    s.add_argument("--player", default="auto", help="player, as `go-engine gtp --player`")
    s.add_argument("--model", default=None, help="network checkpoint (as `go-engine gtp`)")
    s.add_argument("--value-model", default=None, help="alphago player's value network")
    s.add_argument("--rollout", default=None, choices=["light", "random", "weights"])
    s.add_argument("--mix", type=float, default=0.5, help="leaf value's rollout share")
    s.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts")
    s.add_argument(
        "--precision",
        nargs="+",
        default=["float32"],
        choices=PRECISIONS,
        help="network precisions to compare (each with every thread count)",
    )
    s.add_argument("--seconds", type=float, default=1.0, help="search time per position")
    s.add_argument("--positions", type=int, default=5, help="positions per repeat")
    s.add_argument("--repeats", type=int, default=5, help="timed repeats (median reported)")
    s.add_argument("--seed", type=int, default=0, help="seed of the game and the searches")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")


def game_positions(size: int, count: int, seed: int) -> list[State]:
    """The empty board and `count - 1` more positions, every 10th move of one game."""
    from go_engine.board import copy_state
    from go_engine.game import Game
    from gtp.players import PlayerConfig, make_player
    from training.networks import shipped_network

    name = "policy" if shipped_network(size) is not None else "random"
    mover = make_player(name, PlayerConfig(seed=seed, symmetries="random"))
    game = Game(size)
    states = [copy_state(game.state)]
    move = 0
    while len(states) < count and move < 2 * size * size:
        action = mover.genmove(game, game.to_play)
        if action == game.pass_action:
            break
        game.play(action)
        move += 1
        if move % 10 == 0:
            states.append(copy_state(game.state))
    return states


def _fresh_search(player, size: int):
    """The player's searcher for `size` with its tree cleared (no reuse between timings)."""
    from gtp.players import AutoPlayer

    if isinstance(player, AutoPlayer):
        player = player.delegate(size)
    search = player.searcher(size) if hasattr(player, "searcher") else None
    if search is None:
        raise ValueError(f"bench player needs a network search player, not {player.name!r}")
    search.reset()
    return search


def run_player(args: argparse.Namespace) -> dict:
    from go_engine_cli.bench_cmd import machine
    from gtp.players import PlayerConfig, make_player

    if not args.threads or min(args.threads) < 1:
        raise ValueError("--threads takes thread counts of at least 1")
    if args.repeats < 1 or args.positions < 1 or not args.seconds > 0:
        raise ValueError("--repeats and --positions must be at least 1, --seconds positive")
    states = game_positions(args.size, args.positions, args.seed)
    variants = [(t, p) for p in args.precision for t in args.threads]
    players = {}
    for t, p in variants:
        config = PlayerConfig(
            seed=args.seed,
            seconds=args.seconds,
            threads=t,
            model=args.model,
            value_model=args.value_model,
            rollout=args.rollout,
            mix=args.mix,
            precision=p,
        )
        players[t, p] = make_player(args.player, config)
        _fresh_search(players[t, p], args.size).run(states[0], visits=16)  # load, compile, warm
    rates: dict[tuple[int, str], list[float]] = {v: [] for v in variants}
    for _ in range(args.repeats):
        for v in variants:
            sims = seconds = 0.0
            for st in states:
                result = _fresh_search(players[v], args.size).run(st, seconds=args.seconds)
                sims += result.simulations
                seconds += result.seconds
            rates[v].append(sims / seconds)
    first = variants[0]
    rows = [
        {
            "threads": t,
            "precision": p,
            "sims_per_s": statistics.median(rates[t, p]),
            "runs": rates[t, p],
            "ratio": statistics.median(
                r / b for r, b in zip(rates[t, p], rates[first], strict=True)
            ),
        }
        for t, p in variants
    ]
    name = args.player
    if name == "auto":
        from gtp.players import AutoPlayer

        auto = players[first]
        assert isinstance(auto, AutoPlayer)
        name = f"auto ({auto.delegate(args.size).name})"
    return {
        "machine": machine(),
        "size": args.size,
        "player": name,
        "seconds": args.seconds,
        "positions": len(states),
        "repeats": args.repeats,
        "rows": rows,
    }


def print_player(result: dict) -> None:
    m = result["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, numba {m['numba']}")
    n = result["size"]
    print(
        f"{result['player']} on {n}x{n}, {result['seconds']:g} s a search, "
        f"{result['positions']} positions, median of {result['repeats']} repeats"
    )
    for row in result["rows"]:
        print(
            f"  {row['threads']} thread(s), {row['precision']}: "
            f"{row['sims_per_s']:,.0f} simulations/s "
            f"({row['ratio']:.2f}x the first)"
        )
