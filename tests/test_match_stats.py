"""Elo differences and the SPRT stop of the match runner."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from gtp.match import (
    MatchConfig,
    elo_difference,
    format_summary,
    run_match,
    sprt_llr,
    sprt_status,
    summarize,
)


def test_elo_difference() -> None:
    assert elo_difference(0.5) == pytest.approx(0.0)
    assert elo_difference(0.75) == pytest.approx(190.85, abs=0.01)
    assert elo_difference(0.25) == pytest.approx(-190.85, abs=0.01)
    assert elo_difference(0.0) is None and elo_difference(1.0) is None


def test_sprt_decisions() -> None:
    assert sprt_status([1.0] * 20, 0, 100, 0.05, 0.05)["decision"] == "H1"
    assert sprt_status([0.0] * 20, 0, 100, 0.05, 0.05)["decision"] == "H0"
    assert sprt_status([1.0, 0.0] * 5, 0, 100, 0.05, 0.05)["decision"] is None
    # A draw is half a win and half a loss.
    half = sprt_llr([0.5], 0, 100)
    assert half == pytest.approx((sprt_llr([1.0], 0, 100) + sprt_llr([0.0], 0, 100)) / 2)


def test_summary_reports_elo() -> None:
    record = {"a_color": "B", "a_result": "win", "reason": "resign", "moves": 10}
    record.update(a_seconds=1.0, b_seconds=1.0, a_moves=5, b_moves=5, game=0)
    records = [dict(record, game=i, a_result="win" if i % 4 else "loss") for i in range(8)]
    s = summarize(records, "A", "B")
    assert s["a_elo"] == pytest.approx(elo_difference(6 / 8))
    assert s["a_elo_ci95"][0] < s["a_elo"] < s["a_elo_ci95"][1]
    assert "Elo difference A - B: +191" in format_summary(s)


def test_sprt_stops_a_one_sided_match(tmp_path: Path) -> None:
    engine = [sys.executable, "-m", "go_engine_cli.main", "gtp", "--seed", "{seed}"]
    config = MatchConfig(
        a=shlex.join(engine + ["--player", "mcts", "--visits", "300"]),
        b=shlex.join(engine + ["--player", "random"]),
        games=40,
        size=5,
        komi=0.5,
        scorer="area",
        out=str(tmp_path / "m"),
        sprt=(0.0, 200.0),
    )
    report = run_match(config, progress=False)
    summary, text = report.summary()
    assert summary["sprt"]["decision"] == "H1"
    assert summary["games"] < 40
    assert "H1" in text
