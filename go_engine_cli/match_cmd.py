"""`go-engine match`: play games between two GTP engines and report A's strength against B.

    go-engine match --a "go-engine gtp --player random" --b gnugo --games 100 --out runs/m1

`--a gnugo` / `--b gnugo` stand for GNU Go found on PATH or in /usr/games (``gnugo --mode gtp
--level L --chinese-rules`` plus the ko and suicide options of `--rules`). Running the same
command again with the same `--out` resumes the match. See gtp/match.py.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--a", required=True, metavar="CMD", help="engine A's command line")
    parser.add_argument(
        "--b", required=True, metavar="CMD", help="engine B's command line, or 'gnugo'"
    )
    parser.add_argument("--a-name", default=None, help="A's name (default: its GTP name)")
    parser.add_argument("--b-name", default=None, help="B's name (default: its GTP name)")
    parser.add_argument("--games", type=int, default=10, help="games to play (default 10)")
    parser.add_argument("--size", type=int, default=9, help="board size (default 9)")
    parser.add_argument("--komi", type=float, default=7.5, help="komi (default 7.5)")
    parser.add_argument(
        "--rules",
        default="chinese",
        help="area-scoring rule set the runner judges by: chinese (default), default, "
        "tromp-taylor, aga, nz",
    )
    parser.add_argument(
        "--time-settings",
        nargs=3,
        type=int,
        metavar=("MAIN", "BYO", "STONES"),
        default=None,
        help="GTP time_settings in seconds (main time, byo-yomi time, byo-yomi stones); "
        "the runner keeps the clocks, sends time_left and forfeits on time",
    )
    parser.add_argument(
        "--time-grace", type=float, default=1.0, help="seconds of clock overrun forgiven"
    )
    parser.add_argument(
        "--max-moves", type=int, default=None, help="score a game after this many moves (3*N*N)"
    )
    parser.add_argument("--parallel", type=int, default=1, help="games played at once")
    parser.add_argument(
        "--sprt",
        nargs=2,
        type=float,
        metavar=("ELO0", "ELO1"),
        default=None,
        help="stop early once a sequential probability ratio test decides between A being "
        "ELO0 and ELO1 Elo stronger than B (--games stays the cap)",
    )
    parser.add_argument("--sprt-alpha", type=float, default=0.05, help="SPRT false-H1 rate")
    parser.add_argument("--sprt-beta", type=float, default=0.05, help="SPRT false-H0 rate")
    parser.add_argument(
        "--fresh-engines",
        action="store_true",
        help="start new engine processes for every game (default: reuse with clear_board)",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="base of {seed} in the commands")
    parser.add_argument(
        "--scorer",
        default="gnugo",
        help="who scores games ended by passes or the move cap: gnugo (default), area "
        "(every stone alive), or a GTP engine's command line (its final_score)",
    )
    parser.add_argument("--scorer-level", type=int, default=10, help="GNU Go level of the scorer")
    parser.add_argument(
        "--gnugo-level", type=int, default=10, help="GNU Go's level for --a/--b gnugo"
    )
    parser.add_argument(
        "--move-timeout", type=float, default=600.0, help="seconds one genmove may take"
    )
    parser.add_argument("--no-logs", action="store_true", help="do not keep engine stderr logs")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    from gtp.match import MatchConfig, MatchError, gnugo_player_command, run_match

    try:
        commands = {}
        for side in ("a", "b"):
            command = getattr(args, side)
            if command.strip() == "gnugo":
                command = gnugo_player_command(args.gnugo_level, args.rules)
            commands[side] = command
        config = MatchConfig(
            a=commands["a"],
            b=commands["b"],
            a_name=args.a_name,
            b_name=args.b_name,
            games=args.games,
            size=args.size,
            komi=args.komi,
            rules=args.rules,
            time_settings=tuple(args.time_settings) if args.time_settings else None,
            time_grace=args.time_grace,
            max_moves=args.max_moves,
            parallel=args.parallel,
            fresh_engines=args.fresh_engines,
            out=args.out,
            seed=args.seed,
            scorer=args.scorer,
            scorer_level=args.scorer_level,
            move_timeout=args.move_timeout,
            engine_logs=not args.no_logs,
            sprt=tuple(args.sprt) if args.sprt else None,
            sprt_alpha=args.sprt_alpha,
            sprt_beta=args.sprt_beta,
        )
    except (ValueError, FileNotFoundError) as e:
        print(f"go-engine match: {e}", file=sys.stderr)
        return 2
    try:
        report = run_match(config, progress=False if args.no_progress else None)
    except MatchError as e:
        print(f"go-engine match: {e}", file=sys.stderr)
        return 1
    summary, text = report.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(text)
        print(
            f"({report.played} games played now, {report.resumed} resumed; records in {config.out})"
        )
    return 0
