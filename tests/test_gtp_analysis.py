"""Live analysis (lz-analyze, kata-analyze, analyze and the genmove variants).

The reports are read back with a parser written from the rules Sabaki's and Lizzie's readers
follow: a report line is a sequence of `info` blocks; in a block every key is followed by one
value, except `pv`, which takes the rest of the block; a final `ownership` takes the rest of
the line (N*N numbers).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from gtp.engine import EngineConfig, GTPEngine
from gtp.players import PlayerConfig


def parse_report(line: str) -> tuple[list[dict], list[float] | None]:
    """The info blocks of one report line (numbers as floats, pv as a list) and the ownership
    values if present."""
    ownership = None
    if " ownership " in f" {line} ":
        line, _, tail = line.partition("ownership")
        ownership = [float(x) for x in tail.split()]
    blocks = []
    for chunk in line.split("info ")[1:]:
        words = chunk.split()
        block: dict = {}
        i = 0
        while i < len(words):
            key = words[i]
            if key == "pv":
                block["pv"] = words[i + 1 :]
                break
            value = words[i + 1]
            block[key] = value if key == "move" else float(value)
            i += 2
        blocks.append(block)
    return blocks, ownership


def _engine(**kw) -> GTPEngine:
    cfg = EngineConfig(
        size=9, player="mcts", player_config=PlayerConfig(seed=2, **kw), ownership_playouts=40
    )
    return GTPEngine(cfg)


def _report_lines(response: str) -> list[str]:
    lines = response.split("\n")
    assert lines[0] == "=", response
    assert response.endswith("\n\n")
    return [ln for ln in lines[1:] if ln.startswith("info")]


def test_lz_analyze_reports_integers() -> None:
    engine = _engine()
    engine.handle("play b E5")
    out = engine.handle("lz-analyze 20")
    (line,) = _report_lines(out)
    blocks, own = parse_report(line)
    assert own is None and len(blocks) >= 3
    visits = [b["visits"] for b in blocks]
    assert visits == sorted(visits, reverse=True) and visits[0] > 10
    assert [b["order"] for b in blocks] == list(range(len(blocks)))
    for b in blocks:
        assert 0 <= b["winrate"] <= 10000 and b["winrate"] == int(b["winrate"])
        assert 0 <= b["prior"] <= 10000 and 0 <= b["lcb"] <= 10000
        assert b["pv"][0] == b["move"]
    assert "E5" not in {b["move"] for b in blocks}  # occupied


def test_kata_analyze_decimals_and_ownership() -> None:
    engine = _engine()
    out = engine.handle("kata-analyze b interval 20 ownership true maxmoves 4")
    (line,) = _report_lines(out)
    blocks, own = parse_report(line)
    assert 1 <= len(blocks) <= 4
    assert own is not None and len(own) == 81 and all(-1 <= v <= 1 for v in own)
    for b in blocks:
        assert 0.0 <= b["winrate"] <= 1.0 and 0.0 <= b["prior"] <= 1.0
        assert {"scoreLead", "scoreMean", "utility", "lcb"} <= set(b)
    assert parse_report(_report_lines(engine.handle("analyze 10"))[0])[0]


def test_genmove_analyze_reports_then_plays() -> None:
    engine = _engine(visits=300)
    out = engine.handle("lz-genmove_analyze b 5")
    lines = out.split("\n")
    assert lines[0] == "="
    plays = [ln for ln in lines if ln.startswith("play ")]
    assert len(plays) == 1
    move = plays[0].split()[1]
    assert len(_report_lines(out)) >= 1
    assert move in engine.handle("list_stones black")


@pytest.mark.parametrize(
    "command", ["lz-analyze avoid b D4 1", "lz-analyze x", "kata-analyze ownership maybe"]
)
def test_bad_analysis_arguments(command: str) -> None:
    out = _engine().handle(command)
    assert out.startswith("?") and out.endswith("\n\n")


def test_random_player_cannot_analyse() -> None:
    engine = GTPEngine(EngineConfig(size=9, player="random"))
    assert "lz-analyze" not in engine.handle("list_commands")
    assert engine.handle("lz-analyze 10").startswith("?")


def test_analysis_streams_until_the_next_command() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "go_engine_cli.main", "gtp", "--size", "9"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("1 lz-analyze b 10\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "=1\n"
        reports = [proc.stdout.readline() for _ in range(3)]
        assert all(r.startswith("info move ") for r in reports)
        time.sleep(0.1)
        proc.stdin.write("2 name\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        while line != "\n":  # the rest of the analysis, then its closing blank line
            assert line.startswith("info move ")
            line = proc.stdout.readline()
        assert proc.stdout.readline() == "=2 go-engine\n"
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
