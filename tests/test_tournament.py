"""Round robins and Bradley-Terry Elo ratings (gtp.tournament)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from gtp.tournament import (
    TournamentConfig,
    fit_elo,
    format_ratings,
    rating_gaps,
    run_tournament,
)


def expected(d: float) -> float:
    return 1.0 / (1.0 + 10 ** (-d / 400))


def pairs_for(true: dict[str, float], games: int) -> list[dict]:
    names = list(true)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            out.append(
                {"a": a, "b": b, "games": games, "a_score": games * expected(true[a] - true[b])}
            )
    return out


def test_fit_recovers_known_ratings_relative_to_the_anchor() -> None:
    true = {"anchor": 0.0, "x": 150.0, "y": -200.0, "z": 400.0}
    ratings = fit_elo(pairs_for(true, 4000), list(true), "anchor", prior_games=0.0)
    for name, elo in true.items():
        assert ratings[name]["elo"] == pytest.approx(elo, abs=1.0)
    assert ratings["anchor"]["low"] == ratings["anchor"]["high"] == 0.0
    wide = fit_elo(pairs_for(true, 40), list(true), "anchor", prior_games=0.0)
    narrow = fit_elo(pairs_for(true, 4000), list(true), "anchor", prior_games=0.0)
    for name in ("x", "y", "z"):
        assert wide[name]["low"] < narrow[name]["low"] <= narrow[name]["high"] < wide[name]["high"]
        # about 10x narrower with 100x the games
        span = (wide[name]["high"] - wide[name]["low"]) / (
            narrow[name]["high"] - narrow[name]["low"]
        )
        assert 8 < span < 12
    shifted = fit_elo(pairs_for(true, 4000), list(true), "x", anchor_elo=1000.0, prior_games=0.0)
    assert shifted["z"]["elo"] == pytest.approx(1250.0, abs=1.0)


def test_gaps_between_neighbours_separate_with_enough_games() -> None:
    true = {"anchor": 0.0, "x": 150.0, "y": -200.0, "z": 400.0, "w": 170.0}
    names = list(true)
    many = rating_gaps(pairs_for(true, 4000), names, "anchor", prior_games=0.0)
    assert [(g["upper"], g["lower"]) for g in many] == [
        ("z", "w"), ("w", "x"), ("x", "anchor"), ("anchor", "y"),
    ]  # fmt: skip
    for g in many:
        assert g["elo"] == pytest.approx(true[g["upper"]] - true[g["lower"]], abs=2.0)
        assert g["low"] < g["elo"] < g["high"]
    # 20 Elo apart (w over x) needs far more games than 150 or 250 Elo apart
    assert [g["separated"] for g in many] == [True, True, True, True]
    few = rating_gaps(pairs_for(true, 40), names, "anchor", prior_games=0.0)
    assert [g["separated"] for g in few] == [True, False, True, True]
    # the difference of two players is known better than each against the anchor
    ratings = fit_elo(pairs_for(true, 40), names, "anchor", prior_games=0.0)
    gap = few[1]
    spans = [ratings[n]["high"] - ratings[n]["low"] for n in ("w", "x")]
    assert gap["high"] - gap["low"] < sum(spans) / 2 * math.sqrt(2)
    table = format_ratings({"ratings": ratings, "gaps": few}).splitlines()
    assert "lead over next" in table[0] and table[1].startswith("z") and table[1].endswith("*")
    assert not table[2].endswith("*")  # w's lead over x is not established


def test_a_clean_sweep_stays_finite() -> None:
    pairs = [{"a": "strong", "b": "weak", "games": 10, "a_score": 10.0}]
    ratings = fit_elo(pairs, ["weak", "strong"], "weak")
    assert math.isfinite(ratings["strong"]["elo"]) and ratings["strong"]["elo"] > 200
    assert ratings["strong"]["games"] == 10 and ratings["weak"]["games"] == 10
    assert "strong" in format_ratings({"ratings": ratings}).splitlines()[1]


def test_round_robin_plays_every_pair_and_resumes(tmp_path: Path) -> None:
    engine = f"{sys.executable} -m go_engine_cli.main gtp --player random --seed {{seed}}"
    config = TournamentConfig(
        players={"r1": engine, "r2": engine, "r3": engine},
        games_per_pair=2,
        size=5,
        komi=0.5,
        out=str(tmp_path / "t"),
        extra={"scorer": "area"},
    )
    result = run_tournament(config, progress=False)
    assert [(p["a"], p["b"], p["games"]) for p in result["pairs"]] == [
        ("r1", "r2", 2), ("r1", "r3", 2), ("r2", "r3", 2)
    ]  # fmt: skip
    assert set(result["ratings"]) == {"r1", "r2", "r3"} and result["ratings"]["r1"]["elo"] == 0
    saved = json.loads((tmp_path / "t" / "ratings.json").read_text())
    assert saved == result
    again = run_tournament(config, progress=False)  # every game is there: nothing is played
    assert again == result
    # More games per pair later (two at a time): the finished games are kept, one more played.
    first = (tmp_path / "t" / "r1--r2" / "results.jsonl").read_text()
    config.games_per_pair, config.extra["parallel"] = 3, 2
    more = run_tournament(config, progress=False)
    assert [p["games"] for p in more["pairs"]] == [3, 3, 3]
    assert (tmp_path / "t" / "r1--r2" / "results.jsonl").read_text().startswith(first)
    # Rating only (a stopped tournament): every finished game counts, nothing is played.
    (tmp_path / "t" / "r2--r3" / "results.jsonl").unlink()
    rated = run_tournament(config, progress=False, play=False)
    assert [p["games"] for p in rated["pairs"]] == [3, 3, 0]
    assert rated["pairs"][:2] == more["pairs"][:2]
    assert not (tmp_path / "t" / "r2--r3" / "results.jsonl").exists()
    with pytest.raises(ValueError, match="two players"):
        TournamentConfig(players={"a": engine})
    with pytest.raises(ValueError, match="anchor"):
        TournamentConfig(players={"a": engine, "b": engine}, anchor="c")
