"""Tests for gtp.match (the match runner) and `go-engine match`.

Real games between real processes: two `go-engine gtp --player random` engines on 5x5 (one
module-scoped match, then resumed), scripted fake GTP engines that pass, resign, play illegal
moves, die, stall or reject moves, and one game against GNU Go scored by GNU Go.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import sys
import textwrap
from pathlib import Path

import pytest

from go_engine.sgf_io import read_sgf, replay
from go_engine_cli.main import main as cli_main
from gtp.match import (
    END_REASONS,
    RESULTS_FILE,
    MatchConfig,
    MatchError,
    _Clock,
    format_summary,
    gnugo_player_command,
    load_results,
    run_match,
    sgf_name,
    summarize,
    wilson_interval,
)

RANDOM_ENGINE = shlex.join(
    [sys.executable, "-m", "go_engine_cli.main", "gtp", "--player", "random", "--seed", "{seed}"]
)

# A GTP engine whose genmove misbehaves on purpose: python fake.py MODE LOG
FAKE_ENGINE = textwrap.dedent(
    r"""
    import sys, time

    mode, log = sys.argv[1], sys.argv[2]
    genmoves = 0

    def note(text):
        with open(log, "a") as f:
            f.write(text + "\n")

    def reply(ok, text=""):
        sys.stdout.write(("= " if ok else "? ") + text + "\n\n")
        sys.stdout.flush()

    note("argv " + " ".join(sys.argv[1:]))
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        note(line.strip())
        cmd = words[0]
        if cmd == "name":
            reply(True, "fake-" + mode)
        elif cmd == "version":
            reply(True, "1")
        elif cmd == "quit":
            reply(True)
            break
        elif cmd == "play" and mode == "reject" and words[2].lower() != "pass":
            reply(False, "illegal move")
        elif cmd == "genmove":
            genmoves += 1
            if mode == "resign":
                reply(True, "resign")
            elif mode == "illegal":
                reply(True, "A1")
            elif mode == "garbage":
                reply(True, "Z99")
            elif mode == "die":
                sys.stderr.write("fake engine crashed on purpose\n")
                sys.stderr.flush()
                sys.exit(3)
            elif mode == "slow":
                time.sleep(1.3)
                reply(True, "pass")
            else:
                reply(True, "pass")
        else:
            reply(True)
    """
)


@pytest.fixture
def fake(tmp_path: Path):
    """fake(mode) -> (command line, log path) of a scripted engine."""
    script = tmp_path / "fake_engine.py"
    script.write_text(FAKE_ENGINE)

    def make(mode: str) -> tuple[str, Path]:
        log = tmp_path / f"fake-{mode}.log"
        return shlex.join([sys.executable, str(script), mode, str(log)]), log

    return make


def _fake_config(tmp_path: Path, a: str, b: str, **kw) -> MatchConfig:
    kw.setdefault("games", 2)
    kw.setdefault("size", 5)
    kw.setdefault("komi", 0.5)
    kw.setdefault("scorer", "area")
    return MatchConfig(a=a, b=b, out=str(tmp_path / "out"), **kw)


def _check_files(out: Path, records: list[dict]) -> None:
    """Each record's SGF exists, replays, and agrees with the record."""
    lines = (out / RESULTS_FILE).read_text().splitlines()
    assert len(lines) == len(records)
    assert [json.loads(line)["game"] for line in lines] == [r["game"] for r in records]
    for r in records:
        sgf = read_sgf(out / sgf_name(r["game"]))
        assert sgf.result == r["result"]
        assert sgf.size == r["size"] and sgf.komi == r["komi"]
        assert sgf.rules_name == "Chinese"
        assert (sgf.black, sgf.white) == (r["black"], r["white"])
        assert len(sgf.moves) == r["moves"]
        replay(sgf)  # every move legal
        a_black = r["game"] % 2 == 0
        assert r["a_color"] == ("B" if a_black else "W")
        assert r["black"] == (r["a_name"] if a_black else r["b_name"])
        if r["winner"] is not None:
            assert r["result"].startswith(r["winner"] + "+")
            a_won = r["winner"] == r["a_color"]
            assert r["a_result"] == ("win" if a_won else "loss")


# ----------------------------------------------------------------------------- random engines


@pytest.fixture(scope="module")
def random_match(tmp_path_factory: pytest.TempPathFactory) -> tuple[MatchConfig, list[dict]]:
    out = tmp_path_factory.mktemp("match") / "out"
    config = MatchConfig(
        a=RANDOM_ENGINE,
        b=RANDOM_ENGINE,
        games=2,
        size=5,
        komi=0.5,
        out=str(out),
        scorer="area",
        max_moves=400,  # far above any random 5x5 game: they all end by two passes
    )
    report = run_match(config, progress=False)
    assert (report.played, report.resumed) == (2, 0)
    return config, report.records


def test_two_random_games(random_match: tuple[MatchConfig, list[dict]]) -> None:
    config, records = random_match
    out = Path(config.out)
    assert [r["game"] for r in records] == [0, 1]
    assert [r["a_color"] for r in records] == ["B", "W"]
    _check_files(out, records)
    for r in records:
        assert r["a_name"] == "go-engine 0.1.0 (random) (A)"
        assert r["b_name"] == "go-engine 0.1.0 (random) (B)"
        # Random players only pass when nothing else is left: games end by two passes.
        assert r["reason"] == "score" and r["scorer"] == "area" and not r["capped"]
        final = replay(read_sgf(out / sgf_name(r["game"])))
        assert final.area_score() == r["score"]
        assert r["a_moves"] + r["b_moves"] == r["moves"]
        assert r["a_seconds"] > 0 and r["b_seconds"] > 0
    assert (out / "match.json").exists()
    assert (out / "logs" / "worker0-A.log").exists()


def test_resume_plays_only_missing_games(random_match: tuple[MatchConfig, list[dict]]) -> None:
    config, before = random_match
    three = dataclasses.replace(config, games=3)
    report = run_match(three, progress=False)
    assert (report.played, report.resumed) == (1, 2)
    records = load_results(config.out)
    assert [r["game"] for r in records] == [0, 1, 2]
    assert records[:2] == before  # kept as they were
    assert records[2]["a_color"] == "B"
    _check_files(Path(config.out), records)
    assert report.summary()[0]["games"] == 3


def test_resume_refuses_another_match(random_match: tuple[MatchConfig, list[dict]]) -> None:
    config, _ = random_match
    other = dataclasses.replace(config, komi=7.5)
    with pytest.raises(MatchError, match="komi"):
        run_match(other, progress=False)


# ----------------------------------------------------------------------------- fake engines


def test_passers_score_and_cap(tmp_path: Path, fake) -> None:
    passer, _ = fake("pass")
    report = run_match(_fake_config(tmp_path, passer, passer, games=4, parallel=2), False)
    records = report.records
    assert [r["a_color"] for r in records] == ["B", "W", "B", "W"]
    for r in records:  # two passes on an empty board: White wins by komi
        assert (r["result"], r["reason"], r["moves"], r["score"]) == ("W+0.5", "score", 2, -0.5)
    _check_files(tmp_path / "out", records)
    s, text = report.summary()
    assert (s["a_wins"], s["a_losses"]) == (2, 2)
    assert s["a_as_black"]["losses"] == 2 and s["a_as_white"]["wins"] == 2
    assert s["reasons"]["score"] == 4 and "A as Black: 2 games, 0 wins, 2 losses" in text

    capped = run_match(
        _fake_config(tmp_path / "cap", passer, passer, games=1, max_moves=1), False
    ).records[0]
    assert capped["capped"] and capped["moves"] == 1 and capped["result"] == "W+0.5"


def test_dead_engine_loses_and_is_restarted(tmp_path: Path, fake) -> None:
    dies, log = fake("die")
    passer, _ = fake("pass")
    report = run_match(_fake_config(tmp_path, dies + " {seed}", passer, seed=7), False)
    for r in report.records:
        assert (r["reason"], r["loser"], r["a_result"]) == ("error", "A", "loss")
        assert "crashed on purpose" in r["detail"] and "exit status 3" in r["detail"]
        assert r["result"] == ("W+F" if r["a_color"] == "B" else "B+F")
    _check_files(tmp_path / "out", report.records)
    # One process per game, each with its own {seed}: seed * 1_000_003 + 2 * game (+1 for B).
    starts = [line for line in log.read_text().splitlines() if line.startswith("argv")]
    assert [line.split()[-1] for line in starts] == ["7000021", "7000023"]
    s, text = report.summary()
    assert s["forfeits"]["A"] == {"error": 2} and "A forfeited: error 2" in text


def test_illegal_moves_lose(tmp_path: Path, fake) -> None:
    illegal, _ = fake("illegal")
    garbage, _ = fake("garbage")
    passer, _ = fake("pass")
    for name, a in (("illegal", illegal), ("garbage", garbage)):
        records = run_match(_fake_config(tmp_path / name, a, passer), False).records
        for r in records:
            assert (r["reason"], r["loser"], r["a_result"]) == ("illegal", "A", "loss")
            assert ("occupied" if name == "illegal" else "Z99") in r["detail"]
        _check_files(tmp_path / name / "out", records)


def test_resign_and_rejected_play(tmp_path: Path, fake) -> None:
    resigner, _ = fake("resign")
    illegal, _ = fake("illegal")
    rejecter, _ = fake("reject")
    passer, log = fake("pass")
    config = _fake_config(tmp_path / "r", passer, resigner, fresh_engines=True)
    records = run_match(config, False).records
    assert [r["result"] for r in records] == ["B+R", "W+R"]  # A wins both
    assert log.read_text().count("argv") == 2  # a fresh process per game
    assert all(r["reason"] == "resign" and r["a_result"] == "win" for r in records)
    # A plays A1 (legal the first time); B refuses it and forfeits.
    records = run_match(_fake_config(tmp_path / "x", illegal, rejecter, games=1), False).records
    assert (records[0]["reason"], records[0]["loser"]) == ("error", "B")
    assert "illegal move" in records[0]["detail"]


def test_time_control(tmp_path: Path, fake) -> None:
    slow, _ = fake("slow")
    passer, log = fake("pass")
    config = _fake_config(tmp_path, slow, passer, games=1, time_settings=(1, 0, 0), time_grace=0.1)
    r = run_match(config, False).records[0]
    assert (r["reason"], r["loser"], r["result"]) == ("timeout", "A", "W+T")
    assert "time_settings 1 0 0" in log.read_text()
    assert "time_left" not in log.read_text()  # B never got to move


def test_clock() -> None:
    c = _Clock(10, 5, 2, grace=0.0)  # 10 s main, then 5 s per 2 stones
    assert c.time_left() == (10, 0)
    assert not c.spend(9.5) and c.time_left() == (0, 0)
    assert not c.spend(1.5)  # 1 s overrun goes into the first period, one stone used
    assert c.in_byo and c.time_left() == (4, 1)
    assert not c.spend(4.0) and c.time_left() == (5, 2)  # period done: reset
    assert c.spend(5.5)
    assert _Clock(5, 0, 0, grace=1.0).spend(5.9) is False
    assert _Clock(5, 0, 0, grace=1.0).spend(6.1) is True
    assert not _Clock(1, 1, 0, grace=0.0).spend(1000.0)  # byo-yomi with 0 stones: no limit


def test_partial_results_line_is_dropped(tmp_path: Path, fake) -> None:
    passer, _ = fake("pass")
    config = _fake_config(tmp_path, passer, passer)
    run_match(config, False)
    path = tmp_path / "out" / RESULTS_FILE
    with open(path, "a") as f:
        f.write('{"game": 2, "resu')  # what a crash mid-append would leave
    report = run_match(dataclasses.replace(config, games=3), False)
    assert (report.played, report.resumed) == (1, 2)
    assert [json.loads(line)["game"] for line in path.read_text().splitlines()] == [0, 1, 2]


def test_cli_json(tmp_path: Path, fake, capsys: pytest.CaptureFixture[str]) -> None:
    passer, _ = fake("pass")
    resigner, _ = fake("resign")
    argv = ["match", "--a", passer, "--b", resigner, "--b-name", "quitter", "--games", "2"]
    argv += ["--size", "5", "--komi", "0.5", "--scorer", "area", "--out", str(tmp_path / "o")]
    assert cli_main([*argv, "--json", "--no-progress"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["games"], s["a_wins"], s["b_name"], s["a_win_rate"]) == (2, 2, "quitter", 1.0)
    assert s["a_name"] == "fake-pass 1" and s["reasons"]["resign"] == 2
    assert cli_main([*argv, "--no-progress"]) == 0  # resumed, nothing to play
    text = capsys.readouterr().out
    assert "A won 2, lost 0" in text and "0 games played now, 2 resumed" in text
    assert cli_main([*argv[:-2], "--out", str(tmp_path / "p"), "--size", "99"]) == 2


# ----------------------------------------------------------------------------- statistics


def test_wilson_interval() -> None:
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson_interval(81, 100) == pytest.approx((0.7222, 0.8749), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_summarize() -> None:
    def rec(game: int, a_result: str, reason: str, loser: str | None = None) -> dict:
        return {
            "game": game,
            "a_color": "B" if game % 2 == 0 else "W",
            "a_result": a_result,
            "reason": reason,
            "loser": loser,
            "scorer": "gnugo" if reason == "score" else None,
            "moves": 10 * (game + 1),
            "a_moves": 5,
            "b_moves": 5,
            "a_seconds": 1.0,
            "b_seconds": 2.0,
            "a_name": "a",
            "b_name": "b",
        }

    records = [
        rec(0, "win", "score"),
        rec(1, "loss", "resign"),
        rec(2, "draw", "score"),
        rec(3, "loss", "illegal", "A"),
    ]
    s = summarize(records)
    assert (s["games"], s["a_wins"], s["a_losses"], s["draws"]) == (4, 1, 2, 1)
    assert s["a_as_black"] == {"games": 2, "wins": 1, "losses": 0, "draws": 1}
    assert s["a_as_white"] == {"games": 2, "wins": 0, "losses": 2, "draws": 0}
    assert s["a_win_rate"] == pytest.approx(1.5 / 4)
    assert s["a_win_rate_ci95"] == pytest.approx(list(wilson_interval(1.5, 4)))
    assert s["mean_moves"] == 25.0
    assert s["mean_seconds_per_move"] == {"A": 0.2, "B": 0.4}
    assert set(s["reasons"]) == set(END_REASONS)
    assert s["reasons"]["score"] == 2 and s["forfeits"] == {"A": {"illegal": 1}, "B": {}}
    text = format_summary(s)
    assert "A won 1, lost 2, drew 1" in text and "A forfeited: illegal 1" in text
    assert summarize([])["a_win_rate"] is None and "0 games" in format_summary(summarize([]))


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="territory"):
        MatchConfig(a="x", b="y", rules="japanese")
    with pytest.raises(ValueError, match="no time"):
        MatchConfig(a="x", b="y", time_settings=(0, 0, 0))
    with pytest.raises(ValueError, match="command"):
        MatchConfig(a="", b="y")
    c = MatchConfig(a="eng --seed {seed}", b="eng", seed=1, size=7)
    assert c.move_cap == 147 and c.engine_argv("A", 3) == ["eng", "--seed", "1000009"]


# ----------------------------------------------------------------------------- GNU Go


@pytest.mark.gnugo
def test_game_against_gnugo(tmp_path: Path, gnugo_path: str) -> None:
    gnugo = shlex.join([gnugo_path, "--mode", "gtp", "--level", "1", "--chinese-rules"])
    config = MatchConfig(
        a=RANDOM_ENGINE,
        b=gnugo,
        games=1,
        size=7,
        komi=0.5,
        out=str(tmp_path / "out"),
        scorer="gnugo",
        scorer_level=1,
    )
    report = run_match(config, progress=False)
    (r,) = report.records
    assert r["b_name"].startswith("GNU Go") and r["a_color"] == "B"
    assert r["reason"] in ("score", "resign"), r["detail"]
    if r["reason"] == "score":
        assert r["scorer"] == "gnugo" and r["detail"] == ""
    _check_files(tmp_path / "out", report.records)


@pytest.mark.gnugo
def test_mcts_match_against_gnugo_level_1_on_9x9(tmp_path: Path, gnugo_path: str) -> None:
    """A short real match in CI: the default engine, a small budget, both colours."""
    mcts = shlex.join(
        [sys.executable, "-m", "go_engine_cli.main", "gtp", "--visits", "1000", "--seed", "{seed}"]
    )
    config = MatchConfig(
        a=mcts,
        b=gnugo_player_command(level=1),
        games=2,
        size=9,
        komi=7.5,
        out=str(tmp_path / "out"),
        scorer_level=1,
    )
    report = run_match(config, progress=False)
    summary, _ = report.summary()
    assert summary["games"] == 2
    assert summary["a_as_black"]["games"] == 1 and summary["a_as_white"]["games"] == 1
    assert summary["forfeits"] == {"A": {}, "B": {}}
    _check_files(tmp_path / "out", report.records)
