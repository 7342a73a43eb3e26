"""The search players behind GTP: genmove, time commands and the pass guard, in-process."""

from __future__ import annotations

import pytest

from gtp.engine import EngineConfig, GTPEngine
from gtp.players import MCTSPlayer, PlayerConfig, PUCTRolloutPlayer


def _engine(player: str = "mcts", **kw) -> GTPEngine:
    cfg = EngineConfig(size=5, komi=0.5, player=player, player_config=PlayerConfig(seed=1, **kw))
    return GTPEngine(cfg)


def _send(engine: GTPEngine, line: str) -> str:
    out = engine.handle(line)
    assert out is not None
    assert out.startswith("="), f"{line!r} -> {out!r}"
    return out[1:].strip()


# Black owns columns A-C, White D-E: Black wins by 4.5 on the board under area scoring.
WALLS = ["play b C1", "play w D1", "play b C2", "play w D2", "play b C3", "play w D3"]
WALLS += ["play b C4", "play w D4", "play b C5", "play w D5"]


@pytest.mark.parametrize("player", ["mcts", "puct-rollout"])
def test_search_players_answer_genmove(player: str) -> None:
    engine = _engine(player, visits=300)
    move = _send(engine, "genmove b")
    assert move != "resign"
    assert move.lower() in _send(engine, "list_stones black").lower() or move == "pass"


def test_winner_passes_after_the_opponents_pass() -> None:
    engine = _engine(visits=400)
    for line in WALLS:
        _send(engine, line)
    _send(engine, "play w pass")
    assert _send(engine, "genmove b") == "pass"


def test_loser_does_not_pass_the_game_away() -> None:
    engine = _engine(visits=400)
    for line in WALLS:
        _send(engine, line)
    _send(engine, "play b pass")  # White to move, behind on the board: passing would lose
    answer = _send(engine, "genmove w")
    assert answer != "pass"


def test_time_commands_set_the_budget() -> None:
    engine = _engine()
    commands = _send(engine, "list_commands").split()
    assert {"time_settings", "time_left", "kgs-time_settings"} <= set(commands)
    _send(engine, "time_settings 30 0 0")
    _send(engine, "time_left b 1.0 0")
    _send(engine, "genmove b")
    assert engine.player.seconds_override is not None
    assert engine.player.seconds_override < 1.0
    assert engine.player.last.seconds < 1.0
    _send(engine, "kgs-time_settings byoyomi 0 2 3")
    _send(engine, "genmove w")
    assert 0 < engine.player.seconds_override < 2.0
    bad = engine.handle("time_settings ten 0 0")
    assert bad is not None and bad.startswith("?")
    bad = engine.handle("kgs-time_settings hourglass 5")
    assert bad is not None and bad.startswith("?")


def test_player_classes_are_registered() -> None:
    assert MCTSPlayer(PlayerConfig(visits=10)).name == "mcts"
    assert PUCTRolloutPlayer(PlayerConfig(visits=10)).name == "puct-rollout"


@pytest.mark.parametrize(
    "options",
    [{"visits": 0}, {"seconds": 0.0}, {"threads": 0}, {"mix": 1.5}, {"rollout": "heavy"}],
)
def test_bad_player_options_are_refused_at_start(options: dict) -> None:
    with pytest.raises(ValueError):
        PlayerConfig(**options)


def test_gtp_command_line_refuses_bad_options() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "go_engine_cli.main", "gtp", "--threads", "0"],
        input="name\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "threads must be at least 1" in out.stderr
    assert out.stdout == ""


def test_search_players_never_fill_their_own_eyes() -> None:
    import numpy as np

    from go_engine.coords import gtp_to_action
    from go_engine.game import Game
    from go_engine.search_result import SearchResult
    from go_engine.state import BLACK, WHITE
    from gtp.players import keep_own_eyes

    g = Game(9)
    for v in ("C2", "B3", "D3", "C4"):  # C3: Black's single-point eye
        g.play(gtp_to_action(v, 9), BLACK)
        g.play(g.pass_action, WHITE)
    eye, other = gtp_to_action("C3", 9), gtp_to_action("G7", 9)

    def result(actions, visits):
        n = len(actions)
        z = np.zeros(n)
        return SearchResult.from_sums(
            np.array(actions), np.array(visits), z, z, z + 1.0 / n, sum(visits), 0.0,
            simulations=sum(visits), seconds=0.0,
        )  # fmt: skip

    r = result([eye, other, g.pass_action], [10, 5, 1])
    assert keep_own_eyes(r, g, BLACK, eye) == other
    assert keep_own_eyes(result([eye, g.pass_action], [10, 1]), g, BLACK, eye) == g.pass_action
    assert keep_own_eyes(r, g, BLACK, other) == other  # other moves are left alone
    assert keep_own_eyes(r, g, BLACK, g.pass_action) == g.pass_action
