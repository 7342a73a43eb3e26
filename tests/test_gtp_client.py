"""Tests for gtp.client: the GTP v2 client, against GNU Go and a scripted fake engine."""

from __future__ import annotations

import os
import re
import shlex
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gtp import client as client_module
from gtp.client import (
    GTPClient,
    GTPEngineDied,
    GTPError,
    find_gnugo,
    gnugo_command,
)

VERTEX_RE = re.compile(r"^(PASS|resign|[A-HJ-T](1[0-9]|[1-9]))$", re.IGNORECASE)

# A tiny GTP engine: echoes ids, and has commands that misbehave on purpose.
FAKE_ENGINE = textwrap.dedent(
    r"""
    import sys, time

    out = sys.stdout.buffer

    def reply(ok, cid, text, eol=b"\n"):
        head = (b"=" if ok else b"?") + cid.encode()
        if text:
            head += b" " + text.encode()
        out.write(head + eol + eol)
        out.flush()

    for raw in sys.stdin:
        parts = raw.split()
        if not parts:
            continue
        cid = ""
        if parts[0].isdigit():
            cid, parts = parts[0], parts[1:]
        cmd, args = parts[0], parts[1:]
        if cmd == "name":
            reply(True, cid, "fake")
        elif cmd == "echo":
            reply(True, cid, " ".join(args))
        elif cmd == "multi":
            reply(True, cid, "line one\n  line two\nline three")
        elif cmd == "fail":
            reply(False, cid, "fake failure")
        elif cmd == "crlf":
            reply(True, cid, "crlf ok", eol=b"\r\n")
        elif cmd == "stray":
            out.write(b"some debugging junk\n\n")
            reply(True, cid, "after junk")
        elif cmd == "noisy":
            for i in range(3000):
                sys.stderr.write(f"noise line {i} " + "x" * 60 + "\n")
            sys.stderr.flush()
            reply(True, cid, "done")
        elif cmd == "sleep":
            time.sleep(3600)
        elif cmd == "die":
            sys.stderr.write("fatal: out of cheese\n")
            sys.stderr.flush()
            sys.exit(7)
        elif cmd == "quit":
            reply(True, cid, "")
            sys.exit(0)
        else:
            reply(False, cid, "unknown command")
    """
)


@pytest.fixture
def fake_argv(tmp_path: Path) -> list[str]:
    script = tmp_path / "fake_engine.py"
    script.write_text(FAKE_ENGINE)
    return [sys.executable, str(script)]


@pytest.fixture
def fake(fake_argv: list[str]) -> Iterator[GTPClient]:
    engine = GTPClient(fake_argv, name="fake-engine")
    yield engine
    engine.close()


@pytest.fixture
def gnugo(gnugo_path: str) -> Iterator[Callable[..., GTPClient]]:
    """Factory: start GNU Go with gnugo_command(**options); all are closed at teardown."""
    started: list[GTPClient] = []

    def start(**options: object) -> GTPClient:
        engine = GTPClient(gnugo_command(executable=gnugo_path, **options))  # type: ignore[arg-type]
        started.append(engine)
        return engine

    yield start
    for engine in started:
        engine.close()


# ---------------------------------------------------------------------- GNU Go


@pytest.mark.gnugo
def test_gnugo_play_and_list_stones(gnugo: Callable[..., GTPClient]) -> None:
    engine = gnugo()
    assert engine.name == "gnugo"
    assert engine.send("boardsize 9") == ""
    assert engine.send("clear_board") == ""
    assert engine.send("play B E5") == ""
    assert engine.send("list_stones black") == "E5"
    assert engine.send("list_stones white") == ""
    assert engine.send("protocol_version") == "2"


@pytest.mark.gnugo
def test_gnugo_illegal_move_raises(gnugo: Callable[..., GTPClient]) -> None:
    engine = gnugo(boardsize=9)
    engine.send("play B E5")
    with pytest.raises(GTPError) as info:
        engine.send("play W E5")
    assert info.value.command == "play W E5"
    assert "illegal" in info.value.message
    assert not info.value.message.startswith("?")
    # The engine is still usable and the failed move left no stone.
    assert engine.alive
    assert engine.send("list_stones white") == ""


@pytest.mark.gnugo
def test_gnugo_try_send(gnugo: Callable[..., GTPClient]) -> None:
    engine = gnugo()
    assert engine.try_send("definitely_not_a_command") == (False, "unknown command")
    assert engine.try_send("name") == (True, "GNU Go")


@pytest.mark.gnugo
def test_gnugo_ids_are_stripped(gnugo: Callable[..., GTPClient]) -> None:
    engine = gnugo()
    assert engine.send("5 name") == "GNU Go"
    with pytest.raises(GTPError) as info:
        engine.send("6 bogus_command")
    assert info.value.message == "unknown command"


@pytest.mark.gnugo
def test_gnugo_showboard_multiline(gnugo: Callable[..., GTPClient]) -> None:
    engine = gnugo(boardsize=9)
    engine.send("play B E5")
    board = engine.send("showboard")
    lines = board.split("\n")
    assert len(lines) == 11  # header, 9 rows, footer
    assert lines[0].split() == list("ABCDEFGHJ")
    assert lines[-1].split() == list("ABCDEFGHJ")
    row5 = next(line for line in lines if line.split()[:1] == ["5"])
    assert row5.split()[1:10] == [".", ".", ".", ".", "X", ".", ".", ".", "."]
    # The board's indentation survives (only the status prefix is removed).
    assert lines[0].startswith("   A")
    # The engine is still in sync after a multi-line response.
    assert engine.send("list_stones black") == "E5"


@pytest.mark.gnugo
def test_gnugo_command_options_take_effect(gnugo: Callable[..., GTPClient]) -> None:
    engine = gnugo(level=0, boardsize=9, komi=6.5, seed=1, superko="positional")
    assert engine.send("query_boardsize") == "9"
    assert engine.send("get_komi") == "6.5"
    move = engine.send("genmove B")
    assert VERTEX_RE.match(move), move
    assert engine.send("list_stones black") in (move.upper(), "")


@pytest.mark.gnugo
def test_gnugo_close(gnugo: Callable[..., GTPClient]) -> None:
    engine = gnugo()
    assert engine.alive
    engine.close()
    assert not engine.alive
    assert engine.returncode == 0  # it obeyed `quit`
    engine.close()  # idempotent
    with pytest.raises(GTPEngineDied):
        engine.send("name")


# ---------------------------------------------------------------------- fake engine


def test_fake_ids_and_basic_responses(fake: GTPClient) -> None:
    assert fake.name == "fake-engine"
    assert fake.send("name") == "fake"
    assert fake.send("12 name") == "fake"
    assert fake.send("echo hello   world") == "hello world"
    with pytest.raises(GTPError) as info:
        fake.send("7 fail")
    assert info.value.command == "7 fail"
    assert info.value.message == "fake failure"
    assert fake.try_send("99 fail") == (False, "fake failure")
    assert fake.try_send("nonsense") == (False, "unknown command")


def test_fake_multiline_crlf_and_stray_output(fake: GTPClient) -> None:
    assert fake.send("3 multi") == "line one\n  line two\nline three"
    assert fake.send("crlf") == "crlf ok"
    assert fake.send("stray") == "after junk"
    assert fake.send("name") == "fake"  # still in sync


def test_fake_timeout_kills_engine(fake: GTPClient) -> None:
    start = time.monotonic()
    with pytest.raises(GTPEngineDied) as info:
        fake.send("sleep", timeout=0.3)
    assert time.monotonic() - start < 5.0
    assert "fake-engine" in str(info.value)
    assert "within" in str(info.value)
    assert not fake.alive
    assert fake.returncode is not None  # the process was killed, not left hanging
    with pytest.raises(GTPEngineDied):
        fake.send("name")
    fake.close()  # closing a dead engine is fine


def test_fake_death_reports_stderr(fake: GTPClient) -> None:
    with pytest.raises(GTPEngineDied) as info:
        fake.send("die")
    text = str(info.value)
    assert "fake-engine" in text
    assert "exit status 7" in text
    assert "out of cheese" in text
    assert not fake.alive
    assert fake.returncode == 7


def test_fake_noisy_stderr_never_blocks(fake: GTPClient) -> None:
    assert fake.send("noisy", timeout=10.0) == "done"
    tail = fake.stderr_tail()
    assert 0 < len(tail) <= client_module.STDERR_TAIL_LINES
    deadline = time.monotonic() + 5.0
    while not fake.stderr_tail()[-1].startswith("noise line 2999") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake.stderr_tail()[-1].startswith("noise line 2999")


def test_stderr_to_file(fake_argv: list[str], tmp_path: Path) -> None:
    log = tmp_path / "engine.log"
    with GTPClient(fake_argv, stderr_path=str(log)) as engine:
        with pytest.raises(GTPEngineDied) as info:
            engine.send("die")
    assert "out of cheese" in log.read_text()
    assert "out of cheese" in str(info.value)


def test_string_command_default_name_and_context_manager(fake_argv: list[str]) -> None:
    command = " ".join(shlex.quote(part) for part in fake_argv)
    with GTPClient(command) as engine:
        assert engine.name == os.path.basename(sys.executable)
        assert engine.send("name") == "fake"
        assert engine.alive
    assert not engine.alive
    assert engine.returncode == 0


def test_rejects_bad_commands(fake: GTPClient) -> None:
    with pytest.raises(ValueError):
        fake.send("")
    with pytest.raises(ValueError):
        fake.send("name\nname")
    assert fake.send("name") == "fake"


def test_process_that_exits_raises_engine_died() -> None:
    engine = GTPClient([sys.executable, "-c", "import sys; sys.exit(3)"], name="quitter")
    try:
        with pytest.raises(GTPEngineDied) as info:
            engine.send("name", timeout=10.0)
        assert "quitter" in str(info.value)
        assert "exit status 3" in str(info.value)
        assert not engine.alive
    finally:
        engine.close()
    assert not engine.alive


def test_missing_executable_raises() -> None:
    with pytest.raises(FileNotFoundError):
        GTPClient(["/nonexistent/engine-binary"])


# ---------------------------------------------------------------------- gnugo_command


def test_gnugo_command_argv() -> None:
    exe = sys.executable
    assert gnugo_command(executable=exe) == [
        exe,
        "--mode",
        "gtp",
        "--level",
        "1",
        "--chinese-rules",
    ]
    argv = gnugo_command(
        5,
        boardsize=9,
        komi=7.5,
        chinese_rules=False,
        superko="situational",
        suicide="allow-all",
        seed=42,
        executable=exe,
    )
    assert argv == [
        exe,
        "--mode",
        "gtp",
        "--level",
        "5",
        "--situational-superko",
        "--allow-all-suicide",
        "--seed",
        "42",
        "--boardsize",
        "9",
        "--komi",
        "7.5",
    ]
    assert "--positional-superko" in gnugo_command(superko="positional", executable=exe)
    assert "--allow-suicide" in gnugo_command(suicide="allow", executable=exe)
    with pytest.raises(ValueError):
        gnugo_command(superko="simple", executable=exe)
    with pytest.raises(ValueError):
        gnugo_command(suicide="yes", executable=exe)


def test_gnugo_command_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "find_gnugo", lambda: None)
    with pytest.raises(FileNotFoundError, match="apt-get install gnugo"):
        gnugo_command()
    with pytest.raises(FileNotFoundError):
        gnugo_command(executable="/nonexistent/gnugo")


def test_find_gnugo_fallbacks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(client_module.shutil, "which", lambda name: f"/opt/bin/{name}")
    assert find_gnugo() == "/opt/bin/gnugo"
    monkeypatch.setattr(client_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(client_module.os, "access", lambda path, mode: False)
    assert find_gnugo() is None
