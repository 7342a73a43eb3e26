"""GNU Go referees our rules: random games compared move by move (gtp.referee).

The big test plays 1,000 random 9x9 games across the rule variants and demands zero
disagreements; smaller ones cover 5x5 and 7x7. Other tests break our side on purpose (a
lenient legality function, a wrong score, wrong prisoners, a missing stone) to prove that the
harness itself can fail, and that its reproduction scripts really reproduce.
"""

from __future__ import annotations

import pytest

from go_engine import Game
from go_engine.coords import gtp_to_action
from gtp.client import GTPClient
from gtp.referee import (
    DEFAULT_VARIANTS,
    RefereeConfig,
    RefereeReport,
    RuleVariant,
    _parse_score,
    _partition,
    format_disagreement,
    gtp_script,
    referee_games,
)


def assert_agree(report: RefereeReport, games: int) -> None:
    print(report.summary(limit=20))
    assert not report.disagreements, report.summary(limit=20)
    assert report.games == games
    assert report.aborted_games == 0


def lenient_legality(game: Game, action: int, color: int) -> str | None:
    """Our legality, broken: suicide and simple-ko recaptures called legal."""
    reason = game.legality(action, color)
    return None if reason in ("suicide", "ko") else reason


def replay_on_gnugo(d: dict) -> str:
    """GNU Go's answer to a disagreement's query after replaying its GTP script."""
    with GTPClient(d["gnugo_argv"]) as engine:
        answer = ""
        for line in gtp_script(d).splitlines():
            ok, answer = engine.try_send(line)
            if line.startswith("play") and line != d["query"]:
                assert ok, f"{line}: {answer}"
        return answer


# ----------------------------------------------------------------------------- agreement


@pytest.mark.gnugo
@pytest.mark.slow
def test_thousand_random_9x9_games_agree_with_gnugo(gnugo_path: str) -> None:
    config = RefereeConfig(games=1000, size=9, seed=2024, workers=2, executable=gnugo_path)
    report = referee_games(config)
    assert_agree(report, 1000)
    assert report.games_per_variant == {v.name: 250 for v in DEFAULT_VARIANTS}
    assert report.scored_games + report.capped_games + report.unsettled_games == 1000
    assert report.scored_games > 900
    assert report.probes == report.legal_sets * config.illegal_tries
    assert report.illegal_plays > 500
    assert report.suicides > 100
    assert report.moves > 50_000


@pytest.mark.gnugo
@pytest.mark.parametrize("size", [5, 7])
def test_small_boards_agree_with_gnugo(gnugo_path: str, size: int) -> None:
    config = RefereeConfig(
        games=50,
        size=size,
        komi=0.5,
        seed=size,
        all_legal="both",
        illegal_tries=6,
        illegal_play_rate=0.1,
        suicide_rate=0.3,
        executable=gnugo_path,
    )
    report = referee_games(config)
    assert_agree(report, 50)
    assert report.scored_games > 40
    assert report.legal_sets == 2 * (report.moves + report.games)
    assert report.illegal_plays > 0
    assert report.suicides > 0


@pytest.mark.gnugo
@pytest.mark.parametrize("size", [2, 3])
def test_tiny_boards_agree_and_superko_locked_endings_are_not_scored(
    gnugo_path: str, size: int
) -> None:
    config = RefereeConfig(games=120, size=size, seed=21, all_legal="both", executable=gnugo_path)
    report = referee_games(config)
    assert_agree(report, 120)
    assert report.scored_games > 80
    if size == 2:
        # Ends such as W A1 B1 B2 with Black's capture at A2 forbidden by superko: GNU Go
        # calls it seki with A2 dame (W+10.5), area scoring gives A2 to White (W+11.5).
        assert report.unsettled_games > 0


# ----------------------------------------------------------------------------- the harness can fail


@pytest.mark.gnugo
def test_a_lenient_legality_is_caught_and_reproducible(gnugo_path: str) -> None:
    variants = (RuleVariant("simple-ko", "simple"), RuleVariant("positional", "positional"))
    config = RefereeConfig(games=8, size=5, seed=1, variants=variants, executable=gnugo_path)
    report = referee_games(config, legality=lenient_legality)

    assert report.disagreements
    assert {d["kind"] for d in report.disagreements} == {"legality"}
    assert all(d["ours"] == "legal" and d["gnugo"] == "illegal" for d in report.disagreements)
    # Every complaint is a real suicide or ko recapture in the replayed position.
    for d in report.disagreements:
        game = Game(5, next(v for v in variants if v.name == d["variant"]).rules(config.komi))
        for move in d["moves"]:
            color, vertex = move.split()
            game.play(gtp_to_action(vertex, 5), 1 if color == "B" else 2)
        _, word, vertex = d["query"].split()
        color = 1 if word == "black" else 2
        assert game.legality(gtp_to_action(vertex, 5), color) in ("suicide", "ko")
    # The script replays the game on a fresh GNU Go, which again calls the move illegal.
    d = report.disagreements[-1]
    assert replay_on_gnugo(d) == "0"
    text = format_disagreement(d)
    assert d["query"] in text and "--chinese-rules" in text


@pytest.mark.gnugo
def test_a_wrong_score_is_caught(gnugo_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Game.area_score
    monkeypatch.setattr(Game, "area_score", lambda self, dead=None: real(self, dead) + 1.0)
    config = RefereeConfig(games=6, size=5, seed=3, executable=gnugo_path)
    report = referee_games(config)
    assert report.scored_games > 0
    scores = [d for d in report.disagreements if d["kind"] == "score"]
    assert len(scores) == report.scored_games == len(report.disagreements)
    d = scores[0]
    assert d["query"] == "final_score"
    assert _parse_score(d["ours"]) == _parse_score(replay_on_gnugo(d)) + 1.0


@pytest.mark.gnugo
def test_wrong_prisoners_are_caught(gnugo_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Game.captures
    monkeypatch.setattr(Game, "captures", property(lambda self: (real.fget(self)[0], 1)))
    report = referee_games(RefereeConfig(games=4, size=5, seed=4, executable=gnugo_path))
    assert report.aborted_games == 4
    assert [d["kind"] for d in report.disagreements] == ["captures"] * 4
    for d in report.disagreements:
        assert (d["move_number"], d["query"]) == (1, "captures white")
        assert (d["ours"], d["gnugo"]) == (1, "0")


@pytest.mark.gnugo
def test_a_missing_stone_is_caught(gnugo_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Game.board

    def board_without_centre(self: Game):
        b = real(self).copy()
        b[self.size // 2, self.size // 2] = 0
        return b

    monkeypatch.setattr(Game, "board", board_without_centre)
    report = referee_games(RefereeConfig(games=8, size=5, seed=5, executable=gnugo_path))
    assert report.disagreements
    assert {d["kind"] for d in report.disagreements} == {"stones"}
    assert report.aborted_games == len(report.disagreements)
    for d in report.disagreements:
        assert "only GNU Go's: C3" in d["gnugo"]


@pytest.mark.gnugo
def test_gnugo_superko_misjudges_suicide(gnugo_path: str) -> None:
    """Why suicide is refereed under simple ko only: GNU Go's superko test keeps the
    suicided chain on the board, so it allows suicides that repeat a position."""
    variant = RuleVariant("psk-suicide", "positional", suicide=True)
    config = RefereeConfig(
        games=12, size=5, seed=6, variants=(variant,), suicide_rate=0.3, executable=gnugo_path
    )
    report = referee_games(config)
    assert report.disagreements
    for d in report.disagreements:
        assert (d["kind"], d["ours"]) == ("legality", "superko")
        assert d["gnugo"].startswith("legal")


# ----------------------------------------------------------------------------- no GNU Go needed


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        RefereeConfig(size=20)
    with pytest.raises(ValueError):
        RefereeConfig(workers=0)
    with pytest.raises(ValueError):
        RefereeConfig(all_legal="some")
    with pytest.raises(ValueError):
        RefereeConfig(max_moves=500)
    with pytest.raises(ValueError):
        RuleVariant("bad", ko="japanese")
    assert RefereeConfig(size=19).move_cap < 500
    assert RefereeConfig(size=9).move_cap == 3 * 81 + 20


def test_final_score_answers_are_parsed() -> None:
    assert _parse_score("B+3.5") == 3.5
    assert _parse_score("W+12.5") == -12.5
    assert _parse_score("0") == 0.0
    with pytest.raises(ValueError):
        _parse_score("Jigo?")


def test_games_are_dealt_to_workers_grouped_by_variant() -> None:
    config = RefereeConfig(games=10, first_game=3, workers=3)
    parts = _partition(config)
    assert sorted(i for p in parts for i in p) == list(range(3, 13))
    k = len(config.variants)
    for part in parts:
        variants = [i % k for i in part]
        assert variants == sorted(variants)


def test_missing_gnugo_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gtp.client.find_gnugo", lambda: None)
    with pytest.raises(FileNotFoundError):
        referee_games(RefereeConfig(games=1))
