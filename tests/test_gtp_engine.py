"""The GTP engine through a real `go-engine gtp` subprocess, and its parser in-process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gtp.client import GTPClient, GTPError
from gtp.engine import GTPEngine


@pytest.fixture(scope="module")
def engine():
    client = GTPClient([sys.executable, "-m", "go_engine_cli.main", "gtp", "--seed", "3"])
    yield client
    client.close()


def test_scripted_session(engine: GTPClient) -> None:
    assert engine.send("protocol_version") == "2"
    assert engine.send("name") == "go-engine"
    assert engine.send("known_command genmove") == "true"
    assert engine.send("known_command frobnicate") == "false"
    commands = engine.send("list_commands").split("\n")
    for name in ("boardsize", "clear_board", "komi", "play", "genmove", "undo", "showboard"):
        assert name in commands
    engine.send("boardsize 9")
    engine.send("komi 6.5")
    engine.send("play b E5")
    engine.send("play W d5")
    assert engine.send("list_stones black") == "E5"
    assert engine.send("list_stones white") == "D5"
    board = engine.send("showboard")
    assert "X" in board and "O" in board
    move = engine.send("genmove b")
    assert move != "E5" and move != "D5"
    assert move in engine.send("list_stones black").split()
    engine.send("undo")
    assert engine.send("list_stones black") == "E5"
    # Empty board, komi 6.5: White wins by komi when nothing is settled.
    engine.send("clear_board")
    assert engine.send("final_score") == "W+6.5"


def test_errors_keep_the_engine_running(engine: GTPClient) -> None:
    engine.send("boardsize 9")
    engine.send("clear_board")
    engine.send("play b A1")
    cases = {
        "play b A1": "illegal move (occupied)",
        "play b Z99": "invalid vertex",
        "play purple A2": "invalid color",
        "play b": "syntax error",
        "boardsize 40": "unacceptable size",
        "boardsize x": "not an integer",
        "komi abc": "komi not a float",
        "frobnicate": "unknown command",
    }
    for command, message in cases.items():
        with pytest.raises(GTPError) as err:
            engine.send(command)
        assert message in err.value.message, command
    assert engine.send("name") == "go-engine"
    engine.send("clear_board")
    with pytest.raises(GTPError, match="cannot undo"):
        engine.send("undo")


def test_ko_and_suicide_rejected(engine: GTPClient) -> None:
    engine.send("boardsize 5")
    engine.send("clear_board")
    for m in ("b B1", "w C1", "b A2", "w D2", "b B3", "w C3", "b C2", "w B2"):
        engine.send(f"play {m}")  # white B2 captures C2: a ko
    with pytest.raises(GTPError, match="ko"):
        engine.send("play b C2")
    engine.send("clear_board")
    for m in ("w B1", "w A2"):
        engine.send(f"play {m}")
    with pytest.raises(GTPError, match="suicide"):
        engine.send("play b A1")


def test_protocol_details() -> None:
    e = GTPEngine()
    assert e.handle("") is None
    assert e.handle("   # only a comment") is None
    assert e.handle("12 name # trailing comment\r\n") == "=12 go-engine\n\n"
    assert e.handle("NAME") == "= go-engine\n\n"
    assert e.handle("7 frobnicate") == "?7 unknown command\n\n"
    assert e.handle("\tname\x01") == "= go-engine\n\n"
    assert e.handle("quit") == "=\n\n"
    assert e.quit_requested


def test_stdout_holds_only_gtp() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "go_engine_cli.main", "gtp", "--size", "9"],
        input="boardsize 9\ngenmove b\nfoo\nquit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0
    blocks = [b for b in out.stdout.split("\n\n") if b]
    assert len(blocks) == 4
    assert all(b[0] in "=?" for b in blocks)
