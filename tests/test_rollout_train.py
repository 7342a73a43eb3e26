"""AlphaGo's rollout policy: its features, the incremental rollout, the trainer and the files.

Fixtures are made here: 9x9 games played by a "teacher" weights policy (which mostly answers
next to the previous move and captures), written as SGF files into tmp_path.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from go_engine import Game
from go_engine.board import copy_state
from go_engine.rng import make_rng
from go_engine.rollout_features import (
    F_CAPTURE,
    FLAG_OFF,
    MAX_FEATURES,
    N_WEIGHTS,
    NEAR_OFF,
    end_records,
    extract_game,
    fill_cache,
    play_and_update,
    position_features,
    records_ok,
    start_records,
)
from go_engine.rollout_policy import ROLLOUT_WEIGHTS, RolloutPolicy, move_logit, rollout
from go_engine.sgf_io import read_sgf, replay, write_sgf
from go_engine.state import M_KO, new_state
from training.rollout_train import TrainConfig, evaluate, load_games, run_games, train

N = 9
NN = N * N


def _scratch(n: int = N) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(3 * n * n + 20, np.int32), np.zeros(n * n, np.int32), np.zeros(n * n)


def _teacher() -> np.ndarray:
    w = np.zeros(N_WEIGHTS, np.float32)
    w[NEAR_OFF : NEAR_OFF + 4] = 4.0  # orthogonal neighbours of the previous move
    w[FLAG_OFF + F_CAPTURE] = 3.0
    return w


def _play_games(folder: Path, count: int, seed: int, moves: int = 50) -> list[Path]:
    """`count` SGF games of the teacher policy (cut at the first move the rules refuse)."""
    folder.mkdir(parents=True, exist_ok=True)
    teacher = _teacher()
    paths = []
    for g in range(count):
        buf, cand, score = _scratch()
        st = new_state(N)
        k = rollout(st, make_rng(seed + g), moves, ROLLOUT_WEIGHTS, teacher, -1, buf, cand, score)
        game = Game(N)
        for a in buf[:k]:
            if not game.is_legal(int(a)):
                break
            game.play(int(a))
        path = folder / f"g{seed}_{g}.sgf"
        write_sgf(game, path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def games(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rollout_games")
    _play_games(folder, 40, seed=100)
    return folder


def test_extractor_features_sum_to_move_logit(games: Path) -> None:
    w = np.random.default_rng(0).normal(size=N_WEIGHTS).astype(np.float32)
    game = read_sgf(sorted(games.glob("*.sgf"))[0])
    st = replay(game, upto=0).state
    actions = np.array([a for a, _ in game.moves], np.int32)
    colours = np.array([c for _, c in game.moves], np.int8)
    start, target, feats, acts, error = extract_game(
        copy_state(st), actions, colours, np.ones(len(actions), np.bool_)
    )
    assert error == -1 and len(target) > 20
    # Recompute each position's logits with move_logit on the replayed game.
    g = replay(game, upto=0)
    j = 0
    checked = 0
    for i, (a, c) in enumerate(game.moves):
        if j < len(target) and a != NN:
            lo, hi = start[j], start[j + 1]
            if acts[lo + target[j]] == a:
                last = g.state.a2p[game.moves[i - 1][0]] if i and game.moves[i - 1][0] != NN else -1
                for r in range(lo, hi):
                    f = feats[r][feats[r] >= 0]
                    expected = move_logit(g.state, g.state.a2p[acts[r]], c, last, w)
                    assert w[f].sum() == pytest.approx(expected, abs=1e-4)
                    checked += 1
                j += 1
        g.play(a, c)
    assert checked > 500
    assert feats.shape[1] == MAX_FEATURES and feats.max() < N_WEIGHTS


def test_candidates_are_the_rollout_moves() -> None:
    st = new_state(N)
    acts = np.zeros(NN, np.int32)
    feats = np.zeros((NN, MAX_FEATURES), np.int32)
    assert position_features(st, 1, -1, acts, feats) == NN
    # Every candidate has a pattern feature and no response feature without a previous move.
    assert (feats[:NN, 0] >= 0).all() and not (feats[:NN] >= NEAR_OFF).any()


def _replayed_rollout(w: np.ndarray, seed: int, steps: int):
    """Play a weights rollout, then walk its moves on a fresh board with started records:
    yields (state, colour, previous point or -1, action, cache) for each move that is not a
    pass, for the caller to play with play_and_update; ends the records when done."""
    ref = new_state(N)
    buf, cand, score = _scratch()
    k = rollout(ref, make_rng(seed), steps, ROLLOUT_WEIGHTS, w, -1, buf, cand, score)
    st = new_state(N)
    cache = np.zeros(2 * NN, np.float32)
    start_records(st, w, cache)
    last = -1
    for i, a in enumerate(buf[:k]):
        c = 1 + i % 2
        if a == NN:
            st.meta[M_KO] = -1  # a pass clears the ko
            last = -1
            continue
        yield st, c, last, int(a), cache
        last = int(st.a2p[a])
    end_records(st)


def test_incremental_cache_matches_a_full_recomputation() -> None:
    w = np.random.default_rng(1).normal(size=N_WEIGHTS).astype(np.float32)
    for seed in range(12):
        for steps in (7, 40, 90, 200):
            st = new_state(N)
            buf, cand, score = _scratch()
            rollout(st, make_rng(seed), steps, ROLLOUT_WEIGHTS, w, -1, buf, cand, score)
            fresh = np.zeros(2 * NN, np.float32)
            fill_cache(st, w, fresh)
            assert np.allclose(score.view(np.float32), fresh, rtol=1e-6)


def test_rollout_moves_follow_the_softmax_of_the_features() -> None:
    # Randomised probability integral transform: for every move of many rollouts, a uniform
    # point inside the played move's interval of the softmax's CDF (candidates and logits from
    # position_features, the training's definition). The values are uniform exactly when the
    # incremental sampler draws from that softmax at every step, response factors included.
    gen = np.random.default_rng(11)
    w = (0.7 * gen.normal(size=N_WEIGHTS)).astype(np.float32)
    w[NEAR_OFF : NEAR_OFF + 12] = 2.0 * gen.normal(size=12)
    acts = np.zeros(NN, np.int32)
    feats = np.zeros((NN, MAX_FEATURES), np.int32)
    pit = []
    for seed in range(40):
        for st, c, last, a, cache in _replayed_rollout(w, seed, 90):
            m = position_features(st, c, last, acts, feats)
            f = feats[:m]
            logits = np.where(f >= 0, w[np.maximum(f, 0)], 0.0).sum(axis=1)
            prob = np.exp(logits - logits.max())
            prob /= prob.sum()
            j = int(np.flatnonzero(acts[:m] == a)[0])
            lo = prob[:j].sum()
            pit.append(lo + gen.random() * prob[j])
            play_and_update(st, int(st.a2p[a]), c, w, cache)
    u = np.sort(np.array(pit))
    n = len(u)
    ks = max(np.max(np.arange(1, n + 1) / n - u), np.max(u - np.arange(n) / n))
    assert n > 2000 and ks < 1.95 / np.sqrt(n)  # Kolmogorov-Smirnov at the 0.1% level


def test_rollouts_give_the_board_its_epos_back() -> None:
    # The rollout keeps its liberty records in the stones' epos entries; the board's invariant
    # (-1 at every stone) holds again once it returns.
    w = np.random.default_rng(3).normal(size=N_WEIGHTS).astype(np.float32)
    for steps in (30, 120):
        st = new_state(N)
        buf, cand, score = _scratch()
        rollout(st, make_rng(4), steps, ROLLOUT_WEIGHTS, w, -1, buf, cand, score)
        stones = st.a2p[:NN][np.asarray(st.board)[st.a2p[:NN]] != 0]
        assert len(stones) > 10 and (st.epos[stones] == -1).all()


def test_liberty_records_follow_every_move() -> None:
    # After each play_and_update the records equal a recount, and the cache equals fill_cache.
    w = np.random.default_rng(5).normal(size=N_WEIGHTS).astype(np.float32)
    for seed in range(3):
        for i, (st, c, _, a, cache) in enumerate(_replayed_rollout(w, seed, 150)):
            play_and_update(st, int(st.a2p[a]), c, w, cache)
            assert records_ok(st), (seed, i)
        fresh = np.zeros(2 * NN, np.float32)
        fill_cache(st, w, fresh)
        assert np.allclose(cache, fresh, rtol=1e-6)


def test_saved_policy_plays_identical_rollouts(tmp_path: Path) -> None:
    w = np.random.default_rng(2).normal(size=N_WEIGHTS).astype(np.float32)
    path = tmp_path / "p.npz"
    RolloutPolicy("weights", w).save(path)
    loaded = RolloutPolicy.load(path)
    assert loaded.mode == "weights" and np.array_equal(loaded.weights, w)
    runs = []
    for policy in (RolloutPolicy("weights", w), loaded):
        buf, cand, score = _scratch(19)
        st = new_state(19)
        k = rollout(st, make_rng(7), 2000, policy.code, policy.weights, -1, buf, cand, score)
        runs.append(buf[:k].copy())
    assert len(runs[0]) > 100 and np.array_equal(runs[0], runs[1])


def test_bad_policy_files_name_the_file(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_shape.npz"
    np.savez(wrong, mode=np.array("weights"), weights=np.zeros(10, np.float32))
    with pytest.raises(ValueError, match="wrong_shape.npz.*shape"):
        RolloutPolicy.load(wrong)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK not really")
    with pytest.raises(ValueError, match="junk.npz"):
        RolloutPolicy.load(junk)
    with pytest.raises(ValueError, match="missing.npz"):
        RolloutPolicy.load(tmp_path / "missing.npz")
    assert RolloutPolicy.uniform().weights.shape == (N_WEIGHTS,)


def test_training_beats_uniform_and_skips_bad_games(games: Path, tmp_path: Path) -> None:
    (games / "broken.sgf").write_bytes(b"(;GM[1]SZ[9];B[ee];W[ee])")  # a move on a stone
    (games / "junk.sgf").write_bytes(b"not sgf")
    try:
        cfg = TrainConfig(data=[str(games)], board=N, epochs=3, lr=0.05, val_fraction=0.25)
        result = train(cfg, log=lambda s: None)
    finally:
        (games / "broken.sgf").unlink()
        (games / "junk.sgf").unlink()
    assert result.stats.skipped == 2 and result.stats.used == 40
    assert result.stats.validation > 0 and result.val_positions > 0
    games_list = list(load_games([str(games)], N))
    zero = run_games(np.zeros(N_WEIGHTS, np.float32), games_list)
    trained = run_games(result.weights, games_list)
    assert trained.mean_loss < zero.mean_loss - 0.5
    assert trained.accuracy > 0.2 > zero.accuracy
    assert result.val_accuracy > 0.2

    policy_file = tmp_path / "trained.npz"
    RolloutPolicy("weights", result.weights).save(policy_file)
    r, _ = evaluate(RolloutPolicy.load(policy_file), [str(games)], N, held_out_only=False)
    assert r.accuracy == pytest.approx(trained.accuracy)


def test_cli_train_and_eval(games: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from go_engine_cli import eval_rollout, train_rollout

    out = tmp_path / "cli.npz"
    p = argparse.ArgumentParser()
    train_rollout.add_arguments(p)
    args = ["--data", str(games), "--board", "9", "--out", str(out), "--epochs", "1"]
    args += ["--no-progress", "--json", "--max-games", "20"]
    assert train_rollout.run(p.parse_args(args)) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["games_used"] == 20 and out.exists()
    p = argparse.ArgumentParser()
    eval_rollout.add_arguments(p)
    args = ["--policy", str(out), "--games", str(games), "--board", "9", "--all-games", "--json"]
    assert eval_rollout.run(p.parse_args(args)) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["positions"] > 500 and 0.0 <= result["top1"] <= 1.0


def test_shipped_policy_loads_when_present() -> None:
    from go_engine.rollout_policy import SHIPPED_PATH

    if not SHIPPED_PATH.exists():
        pytest.skip("no shipped rollout weights in this checkout")
    policy = RolloutPolicy.shipped()
    assert policy.mode == "weights" and policy.weights.shape == (N_WEIGHTS,)
    assert np.isfinite(policy.weights).all() and np.abs(policy.weights).max() > 0
