"""Compare the engine's dead-stone judgement with GNU Go's on finished games.

    python -m gtp.dead_check runs/mcts-vs-gnugo10 [--json]

Every game of a match folder that ended by passes (reason "score" in results.jsonl) is
replayed into our GTP engine (in-process) and into `gnugo --mode gtp --chinese-rules`; both
are asked `final_status_list dead` and `final_score`. Prints one line per game and the number
of games on which both answers agree.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from go_engine.coords import action_to_gtp
from go_engine.sgf_io import read_sgf
from gtp.client import GTPClient, find_gnugo
from gtp.engine import EngineConfig, GTPEngine
from gtp.match import load_results

_COLOUR = {1: "b", 2: "w"}


def _answer(response: str | None) -> str:
    assert response is not None
    return response[1:].strip()


def compare(folder: str | Path, gnugo: str) -> list[dict[str, Any]]:
    """One dict per scored game: our and GNU Go's dead stones and final scores."""
    folder = Path(folder)
    rows = []
    with GTPClient([gnugo, "--mode", "gtp", "--chinese-rules"]) as ref:
        for record in load_results(folder):
            if record["reason"] != "score":
                continue
            game = read_sgf(folder / record["sgf"])
            size, komi = game.size, game.komi
            ours = GTPEngine(EngineConfig(size=size, komi=komi, player="random"))
            for client in (ref.send, ours.handle):
                client(f"boardsize {size}")
                client("clear_board")
                client(f"komi {komi}")
            for action, colour in game.moves:
                move = f"play {_COLOUR[colour]} {action_to_gtp(action, size)}"
                ref.send(move)
                ours.handle(move)
            row = {
                "game": record["game"],
                "ours_dead": sorted(_answer(ours.handle("final_status_list dead")).split()),
                "gnugo_dead": sorted(ref.send("final_status_list dead").split()),
                "ours_score": _answer(ours.handle("final_score")),
                "gnugo_score": ref.send("final_score"),
            }
            row["agree"] = (
                row["ours_dead"] == row["gnugo_dead"] and row["ours_score"] == row["gnugo_score"]
            )
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="a `go-engine match` output folder")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    gnugo = find_gnugo()
    if gnugo is None:
        print("dead_check: GNU Go (gnugo) is not installed", file=sys.stderr)
        return 2
    rows = compare(args.folder, gnugo)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            mark = "agree" if r["agree"] else "DIFFER"
            print(
                f"game {r['game']}: {mark}; ours {r['ours_score']} dead {' '.join(r['ours_dead'])}"
                f" | gnugo {r['gnugo_score']} dead {' '.join(r['gnugo_dead'])}"
            )
    print(f"{sum(r['agree'] for r in rows)} of {len(rows)} scored games agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
