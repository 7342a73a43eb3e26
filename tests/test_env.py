"""Tests of the gymnasium Go environment in go_engine.env."""

import importlib
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import go_engine.env as goenv
from go_engine.board import is_eye
from go_engine.env import ENV_ID, GoEnv, GoEnvConfig
from go_engine.game import Game, IllegalMoveError
from go_engine.rules import Rules

BLACK, WHITE = 1, 2


def _rc(n, r, c):
    return r * n + c


def _eye_avoiding_move(env, rng):
    """A random legal move that does not fill the mover's own eye, else pass."""
    game = env.unwrapped.game
    n2 = game.size * game.size
    me = game.to_play
    mask = game.legal_moves()
    cands = [a for a in range(n2) if mask[a] and not is_eye(game.state, a, me)]
    return int(rng.choice(cands)) if cands else n2


def _sign_for(player, score):
    mine = score if player == BLACK else -score
    return float(np.sign(mine))


@pytest.mark.parametrize("planes", ["agz", "extended"])
def test_check_env_passes(planes):
    env = gymnasium.make(ENV_ID, size=7, planes=planes, render_mode="ansi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    from go_engine import features

    channels = 17 if planes == "agz" else features.EXTENDED_PLANES
    obs, _ = env.reset(seed=0)
    assert obs["planes"].shape == (channels, 7, 7)
    assert obs["planes"].dtype == np.float32
    assert obs["action_mask"].shape == (50,)
    assert obs["action_mask"].dtype == np.int8
    assert env.action_space.n == 50


@pytest.mark.parametrize("planes", ["agz", "extended"])
def test_planes_come_from_features(planes):
    from go_engine import features

    fn = features.agz_planes if planes == "agz" else features.extended_planes
    env = GoEnv(size=5, planes=planes)
    env.reset(seed=1)
    for a in (_rc(5, 2, 2), _rc(5, 1, 2), 25, _rc(5, 3, 3)):
        obs, *_ = env.step(a)
        np.testing.assert_array_equal(obs["planes"], fn(env.game.state))


def test_random_game_end_reward_matches_area_score():
    rng = np.random.default_rng(7)
    for _ in range(3):
        env = GoEnv(size=7, max_moves=1000)
        obs, info = env.reset(seed=int(rng.integers(1 << 30)))
        rewards, players = [], []
        terminated = truncated = False
        while not (terminated or truncated):
            action = _eye_avoiding_move(env, rng)
            assert obs["action_mask"][action] == 1
            obs, reward, terminated, truncated, info = env.step(action)
            rewards.append(reward)
            players.append(info["player"])
        # Eye-avoiding random play always ends by two passes, with only eyes left.
        assert terminated and not truncated
        assert env.game.moves[-1][0] == env.game.moves[-2][0] == 49
        assert all(r == 0.0 for r in rewards[:-1])
        last, before = players[-1], players[-2]
        assert last != before and info["to_play"] == before
        score = env.game.area_score()
        assert info["score"] == score
        assert score != 0.0  # komi 7.5: no draw
        assert rewards[-1] == _sign_for(last, score)
        # The other player's result is the opposite one.
        assert _sign_for(before, score) == -rewards[-1]
        assert info["winner"] == (BLACK if score > 0 else WHITE)


def test_uniform_masked_random_game_ends_and_is_scored():
    env = GoEnv(size=5)
    obs, _ = env.reset(seed=3)
    env.action_space.seed(3)
    done = False
    steps = 0
    while not done:
        action = env.action_space.sample(mask=obs["action_mask"])
        obs, reward, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        steps += 1
        if not done:
            assert reward == 0.0 and "score" not in info
    assert steps <= env.config.move_cap
    assert terminated != truncated
    assert reward == _sign_for(info["player"], env.game.area_score())
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.step(25)


def test_action_mask_equals_game_legal_moves():
    # 4x4 with Black to move after setting up a ko: White has just captured at (1,1).
    n = 4
    env = GoEnv(size=n, rules=Rules("area", "simple", False, 7.5))
    obs, info = env.reset(seed=0)
    moves = [
        _rc(n, 0, 1),  # B
        _rc(n, 0, 2),  # W
        _rc(n, 1, 0),  # B
        _rc(n, 1, 3),  # W
        _rc(n, 2, 1),  # B
        _rc(n, 2, 2),  # W
        _rc(n, 3, 3),  # B elsewhere
        _rc(n, 1, 1),  # W: a stone in Black's mouth, its last liberty at (1,2)
    ]
    replay = Game(n, Rules("area", "simple", False, 7.5))
    for a in moves:
        obs, _, _, _, info = env.step(a)
        replay.play(a)
        np.testing.assert_array_equal(obs["action_mask"], replay.legal_moves().astype(np.int8))
        np.testing.assert_array_equal(info["legal"], replay.legal_moves())
    # Black captures the white stone at (1,1) by playing (1,2): White may not retake at once.
    obs, _, _, _, info = env.step(_rc(n, 1, 2))
    replay.play(_rc(n, 1, 2))
    assert info["to_play"] == WHITE
    assert obs["action_mask"][_rc(n, 1, 1)] == 0
    assert replay.legality(_rc(n, 1, 1)) == "ko"
    np.testing.assert_array_equal(obs["action_mask"], replay.legal_moves().astype(np.int8))
    # Occupied points are never legal, pass always is.
    stones = replay.board().reshape(-1) != 0
    assert not obs["action_mask"][:-1][stones].any()
    assert obs["action_mask"][-1] == 1
    assert np.array_equal(env.action_masks(), replay.legal_moves())


def test_illegal_move_raise_leaves_game_unchanged():
    env = GoEnv(size=5, illegal_move="raise")
    env.reset(seed=0)
    env.step(12)
    before = (env.game.to_play, env.game.move_number, env.game.hash)
    with pytest.raises(IllegalMoveError) as err:
        env.step(12)
    assert err.value.reason == "occupied"
    assert (env.game.to_play, env.game.move_number, env.game.hash) == before
    obs, reward, terminated, truncated, info = env.step(13)  # the game goes on
    assert reward == 0.0 and not terminated and not truncated
    assert info["player"] == WHITE and info["to_play"] == BLACK


def test_illegal_move_lose_ends_game():
    env = GoEnv(size=5, illegal_move="lose")
    env.reset(seed=0)
    env.step(12)  # Black
    obs, reward, terminated, truncated, info = env.step(12)  # White plays on a stone
    assert reward == -1.0 and terminated and not truncated
    assert info["player"] == WHITE and info["winner"] == BLACK
    assert info["illegal_move"] == "occupied"
    assert env.game.move_number == 1
    assert obs in env.observation_space
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.step(13)


@pytest.mark.parametrize("mode", ["raise", "lose"])
def test_action_outside_space_always_raises(mode):
    env = GoEnv(size=5, illegal_move=mode)
    env.reset(seed=0)
    for bad in (-1, 26, 1000):
        with pytest.raises(IllegalMoveError):
            env.step(bad)
    assert env.game.move_number == 0


def test_two_passes_terminate_and_komi_decides():
    env = GoEnv(size=5, komi=7.5)
    env.reset(seed=0)
    _, r1, t1, _, _ = env.step(25)
    assert (r1, t1) == (0.0, False)
    _, r2, t2, tr2, info = env.step(25)  # White passes second and wins by komi
    assert t2 and not tr2
    assert info["score"] == -7.5 and info["winner"] == WHITE and r2 == 1.0


def test_integer_komi_draw_gives_zero():
    env = GoEnv(size=5, komi=0)
    env.reset(seed=0)
    env.step(25)
    _, reward, terminated, _, info = env.step(25)
    assert terminated and reward == 0.0 and info["score"] == 0.0 and info["winner"] == 0


def test_max_moves_truncates_and_scores():
    env = GoEnv(size=5, max_moves=3, komi=0.5)
    env.reset(seed=0)
    env.step(0)
    env.step(24)
    _, reward, terminated, truncated, info = env.step(12)  # Black, move 3
    assert truncated and not terminated
    # Two black stones against one white, the empty points touch both: 2 - 1 - 0.5.
    assert info["score"] == env.game.area_score() == 0.5
    assert reward == 1.0
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.step(1)


def test_default_max_moves_is_twice_the_points():
    assert GoEnvConfig(size=9).move_cap == 162
    assert GoEnvConfig(size=9, max_moves=10).move_cap == 10


def test_scoring_rules_uses_territory():
    for scoring, expected in (("area", 25 - 6.5), ("rules", 24 - 6.5)):
        env = GoEnv(size=5, rules="japanese", komi=None, scoring=scoring)
        env.reset(seed=0)
        env.step(12)
        env.step(25)
        _, reward, terminated, _, info = env.step(25)
        assert terminated and info["score"] == expected and reward == 1.0


def test_gymnasium_make_passes_kwargs_and_registration_is_idempotent():
    env = gymnasium.make(ENV_ID, size=5, planes="extended", komi=0.5, render_mode="ansi")
    assert env.spec.id == ENV_ID
    inner = env.unwrapped
    assert isinstance(inner, GoEnv)
    assert inner.config.size == 5 and inner.config.planes == "extended"
    assert inner.game.komi == 0.5
    obs, info = env.reset(seed=0)
    assert obs["action_mask"].shape == (26,) and info["to_play"] == BLACK
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # re-registering would warn
        importlib.reload(goenv)
    assert ENV_ID in gymnasium.registry
    assert gymnasium.make(ENV_ID).unwrapped.config.size == 9


def test_config_validation():
    with pytest.raises(ValueError):
        GoEnvConfig(planes="nope")
    with pytest.raises(ValueError):
        GoEnvConfig(illegal_move="ignore")
    with pytest.raises(ValueError):
        GoEnvConfig(size=1)
    with pytest.raises(ValueError):
        GoEnvConfig(scoring="stones")
    assert GoEnvConfig(rules="japanese").game_rules == Rules.named("japanese", komi=7.5)
    assert GoEnvConfig(rules="japanese", komi=None).game_rules.komi == 6.5


def _trajectory(seed):
    env = GoEnv(size=5)
    obs, _ = env.reset(seed=seed)
    actions = []
    done = False
    while not done:
        legal = np.flatnonzero(obs["action_mask"])
        action = int(env.np_random.choice(legal))
        actions.append(action)
        obs, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    return actions, obs


def test_seeding_reproduces_np_random_and_trajectories():
    env = GoEnv(size=5)
    env.reset(seed=42)
    a = env.np_random.integers(1 << 30, size=4)
    env.reset(seed=42)
    b = env.np_random.integers(1 << 30, size=4)
    env.reset(seed=43)
    c = env.np_random.integers(1 << 30, size=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)

    t1, o1 = _trajectory(5)
    t2, o2 = _trajectory(5)
    t3, _ = _trajectory(6)
    assert t1 == t2
    np.testing.assert_array_equal(o1["planes"], o2["planes"])
    assert t1 != t3


def test_reset_starts_a_fresh_game():
    env = GoEnv(size=5)
    env.reset(seed=0)
    env.step(3)
    obs, info = env.reset()
    assert env.game.move_number == 0 and info["to_play"] == BLACK
    assert obs["action_mask"].all()
    with pytest.raises(ValueError):
        env.reset(options={"handicap": 2})


def test_render_ansi():
    env = GoEnv(size=5, render_mode="ansi")
    env.reset(seed=0)
    env.step(12)
    text = env.render()
    assert isinstance(text, str)
    assert str(env.game) in text and "White to play" in text and "last move C3" in text
    silent = GoEnv(size=5)
    silent.reset(seed=0)
    with pytest.warns(UserWarning):
        assert silent.render() is None
