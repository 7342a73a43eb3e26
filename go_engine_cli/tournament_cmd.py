"""`go-engine tournament`: a round robin between GTP engines, with Bradley-Terry Elo ratings
and their 95% intervals relative to an anchor (gtp.tournament), a table and a plot.

    go-engine tournament --player mcts="go-engine gtp --player mcts --time 1" \\
        --player policy="go-engine gtp --player policy" --gnugo-level 10 \\
        --games-per-pair 20 --size 9 --out runs/ablation9
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--player",
        action="append",
        default=[],
        metavar="NAME=CMD",
        help="a player and its GTP command line (repeatable); CMD gnugo:L is GNU Go at level L",
    )
    parser.add_argument(
        "--gnugo-level",
        type=int,
        action="append",
        default=[],
        help="add GNU Go at this level as player gnugo-L (repeatable; the first is the anchor)",
    )
    parser.add_argument(
        "--games-per-pair",
        type=int,
        default=10,
        help="games of each pair; run again with a larger number to add games to every pair "
        "(finished games are kept)",
    )
    parser.add_argument(
        "--parallel", type=int, default=1, help="games of a pair played at once (one per core)"
    )
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--komi", type=float, default=7.5)
    parser.add_argument("--out", required=True, help="output folder (one match folder per pair)")
    parser.add_argument("--anchor", default=None, help="player held at --anchor-elo")
    parser.add_argument("--anchor-elo", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rate-only",
        action="store_true",
        help="play nothing: rate the games already in --out (e.g. of a stopped tournament)",
    )
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gtp.tournament import TournamentConfig, format_ratings, run_tournament

    players: dict[str, str] = {}
    for item in args.player:
        name, sep, command = item.partition("=")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"--player needs NAME=COMMAND, not {item!r}")
        players[name.strip()] = command.strip()
    anchor = args.anchor
    for level in args.gnugo_level:
        players[f"gnugo-{level}"] = f"gnugo:{level}"
        anchor = anchor or f"gnugo-{level}"
    config = TournamentConfig(
        players=players,
        games_per_pair=args.games_per_pair,
        size=args.size,
        komi=args.komi,
        out=args.out,
        anchor=anchor,
        anchor_elo=args.anchor_elo,
        seed=args.seed,
        extra={"parallel": args.parallel},
    )
    result = run_tournament(config, play=not args.rate_only)
    _plot(result, Path(args.out) / "elo.png")
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(format_ratings(result))
    return 0


def _plot(result: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(result["ratings"].items(), key=lambda kv: kv[1]["elo"])
    names = [n for n, _ in rows]
    elo = [r["elo"] for _, r in rows]
    err = [[r["elo"] - r["low"] for _, r in rows], [r["high"] - r["elo"] for _, r in rows]]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.5))
    ax.errorbar(elo, range(len(rows)), xerr=err, fmt="o", capsize=3)
    ax.set_yticks(range(len(rows)), names)
    ax.set_xlabel("Elo (95% interval)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
