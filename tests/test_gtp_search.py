"""The search players behind GTP: genmove, time commands and the pass guard, in-process."""

from __future__ import annotations

import numpy as np
import pytest

from go_engine.coords import gtp_to_action
from go_engine.game import Game
from go_engine.ownership import estimated_score, passing_wins
from go_engine.rules import Rules
from go_engine.search_result import MoveChoice
from go_engine.state import BLACK, WHITE
from gtp.engine import EngineConfig, GTPEngine
from gtp.players import PLAYERS, MCTSPlayer, PlayerConfig, PUCTRolloutPlayer


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


# A game against GNU Go 3.8 (2026-12-07), up to White's pass at move 52. Black leads by 21.5
# on the board, but its four stones E4 E3 E2 F2 are in atari (F1): White captures them if
# the game goes on, and the referee called them dead (W+0.5). With Black to move first the
# rollouts save them; passing is judged with White to move too.
ATARI_GAME = (
    "F5 D5 D6 E5 E6 F4 G4 F3 C5 D3 F6 C6 C7 C4 B6 G3 B4 G5 G6 B3 H4 H3 H5 A4 B5 J4 H7 J5 J6 "
    "J3 E2 A5 E4 D4 E3 D2 A3 A2 F2 G2 G1 E1 A6 A3 B2 pass A1 B1 D1 pass B8 pass"
).split()


def _atari_game(upto: int = len(ATARI_GAME)) -> Game:
    game = Game(9, Rules(komi=7.5))
    for move in ATARI_GAME[:upto]:
        game.play(gtp_to_action(move, 9))
    return game


def test_passing_is_judged_with_the_opponent_to_move() -> None:
    game = _atari_game()
    assert game.area_score() > 0
    # Black's own rollouts (Black first) call the game won; White's first call it lost.
    assert estimated_score(game.state, seed=3)[0] > 0
    assert not any(passing_wins(game.state, BLACK, seed=s) for s in range(4))
    saved = game.copy()
    saved.play(gtp_to_action("F1", 9))  # captures E1: the four stones have two liberties
    assert all(passing_wins(saved.state, BLACK, seed=s) for s in range(4))
    assert not passing_wins(saved.state, WHITE, seed=0)


def test_search_leaves_out_a_pass_that_does_not_win() -> None:
    game = _atari_game()
    player = PUCTRolloutPlayer(PlayerConfig(seed=1, visits=400))
    # Searched as it stands, the pass scores the game by Tromp-Taylor (Black ahead on the
    # board) and takes most of the visits.
    plain = player.search(game.state, 400, None)
    k = list(plain.actions).index(game.pass_action)
    assert plain.visits[k] > plain.visits.sum() / 2 and plain.values[k] == 1.0
    # The same tree, told to rule the pass out: the pass becomes one lost visit, and the
    # root's counts are what its children add up to.
    again = player.searches[9].run(game.state, visits=8, avoid=(game.pass_action,))
    k = list(again.actions).index(game.pass_action)
    assert again.visits[k] == 1 and again.values[k] == -1.0
    assert again.root_visits == again.visits.sum() + 1
    # genmove does it when passing would not win, so the budget goes to the other moves.
    fresh = PUCTRolloutPlayer(PlayerConfig(seed=1, visits=400))
    move = fresh.genmove(game, BLACK)
    k = list(fresh.last.actions).index(game.pass_action)
    assert move != game.pass_action and fresh.last.visits[k] <= 1
    assert fresh.last.visits.sum() - fresh.last.visits[k] >= 399


def test_network_searches_choose_the_most_visited_move() -> None:
    from go_engine.search_result import SearchResult, choose_move

    # A move the policy rated 0.2% whose few visits' mean is higher: the lower confidence
    # bound prefers it, the visit count does not.
    result = SearchResult.from_sums(
        actions=np.array([10, 20, 81]),
        visits=np.array([4000, 900, 1]),
        wsum=np.array([4000 * 0.60, 900 * 0.66, 0.0]),
        wsq=np.array([4000 * 0.40, 900 * 0.45, 0.0]),
        priors=np.array([0.9, 0.002, 0.098]),
        root_visits=4902,
        root_wsum=-0.6 * 4902,
        simulations=4902,
        seconds=1.0,
    )
    rng = np.random.default_rng(0)
    assert choose_move(result, MoveChoice(lcb=True), 30, rng, 81) == 20
    for name in ("puct", "mixed", "alphago", "auto"):
        player = PLAYERS[name](PlayerConfig(visits=8))
        if name == "auto":
            player.current = player.delegate(9)
        assert choose_move(result, player.move_choice(), 30, rng, 81) == 10, name
    assert MCTSPlayer(PlayerConfig()).move_choice().lcb


def test_engine_does_not_pass_with_a_group_in_atari() -> None:
    engine = _engine(visits=400)
    _send(engine, "boardsize 9")
    _send(engine, "clear_board")
    _send(engine, "komi 7.5")
    for i, move in enumerate(ATARI_GAME):
        _send(engine, f"play {'bw'[i % 2]} {move}")
    assert _send(engine, "genmove b").lower() != "pass"


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
    [
        {"visits": 0},
        {"seconds": 0.0},
        {"threads": 0},
        {"mix": 1.5},
        {"rollout": "heavy"},
        {"cpuct": 0.0},
    ],
)
def test_bad_player_options_are_refused_at_start(options: dict) -> None:
    with pytest.raises(ValueError):
        PlayerConfig(**options)


def test_cpuct_reaches_the_search_and_widens_it() -> None:
    # The same 9x9 opening position and seed: a larger exploration constant spreads the same
    # visits over more of the root's moves and gives the most visited one a smaller share.
    game = Game(9)
    for move in ("E5", "C4", "G4"):
        game.play(gtp_to_action(move, 9))
    spread = {}
    for cpuct in (0.25, 8.0):
        player = PUCTRolloutPlayer(PlayerConfig(seed=3, visits=1200, cpuct=cpuct))
        player.genmove(game, WHITE)
        assert player.searches[9].config.c_init == cpuct
        visits = player.last.visits
        spread[cpuct] = (int(np.count_nonzero(visits >= 5)), visits.max() / visits.sum())
    assert spread[8.0][0] > spread[0.25][0]
    assert spread[8.0][1] < spread[0.25][1]
    default = PUCTRolloutPlayer(PlayerConfig(seed=3, visits=50))
    default.genmove(game, WHITE)
    assert default.searches[9].config.c_init == 2.0


def test_resign_option_decides_whether_a_lost_position_is_resigned() -> None:
    # Black walls off columns C-D and White has passed every move: White cannot live in the
    # one empty column left, so its search's value is near -1 after the twentieth move.
    moves = []
    for v in ("D1", "D2", "D3", "D4", "D5", "C1", "C2", "C3", "C4", "C5"):
        moves += [f"play b {v}", "play w pass"]
    answers = {}
    for resign in (-0.95, -1.0):
        engine = _engine("mcts", visits=400, resign=resign)
        for line in moves:
            _send(engine, line)
        answers[resign] = _send(engine, "genmove w").lower()
    assert answers[-0.95] == "resign"
    assert answers[-1.0] != "resign"
    with pytest.raises(ValueError, match="resign"):
        PlayerConfig(resign=1.0)


def test_gtp_command_line_refuses_bad_options() -> None:
    import subprocess
    import sys

    def start(*options: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "go_engine_cli.main", "gtp", *options]
        return subprocess.run(argv, input="name\n", capture_output=True, text=True, timeout=60)

    out = start("--threads", "0")
    assert out.returncode == 2 and "threads must be at least 1" in out.stderr
    assert out.stdout == ""
    out = start("--resign", "-2")
    assert out.returncode == 2 and "resign must lie in [-1, 1)" in out.stderr


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
