"""Self-play: sample shards, games and their training targets, resignation calibration, the
learner, and the generation loop with its resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from go_engine.features import agz_planes
from go_engine.samples import Samples, pack_planes, read_shard, write_shard
from go_engine.search import Search, SearchConfig, run_many
from go_engine.sgf_io import read_sgf, replay, write_sgf
from go_engine.state import BLACK, WHITE
from selfplay.config import RunConfig, SelfPlayConfig, load_config, to_toml
from selfplay.games import FinishedGame, arena_games, resign_threshold_for, selfplay_games
from training.checkpoint import save_checkpoint
from training.nets import NetConfig, PolicyValueNet
from training.rl_train import RLTrainer, TrainConfig, replay_window, train_generation
from training.torch_evaluator import TorchEvaluator

N = 5


def tiny_net(seed: int = 0, heads: bool = True) -> PolicyValueNet:
    torch.manual_seed(seed)
    config = NetConfig(
        board_size=N, blocks=1, channels=8, value_hidden=16, ownership_head=heads, score_head=heads
    )
    return PolicyValueNet(config).eval()


def small_config(**kw) -> SelfPlayConfig:
    base = SelfPlayConfig(
        board_size=N,
        komi=0.5,
        full_visits=12,
        cheap_visits=4,
        parallel_games=3,
        temperature_moves=4,
        resign_threshold=-0.99,
        max_nodes=5000,
    )
    return replace(base, **kw)


def play(config: SelfPlayConfig, indices, seed=0, net=None) -> list[FinishedGame]:
    games: list[FinishedGame] = []
    ev = TorchEvaluator(net or tiny_net(), device="cpu")
    selfplay_games(ev, config, indices, seed, games.append)
    return sorted(games, key=lambda g: g.index)


# ---------------------------------------------------------------- sample shards


def test_shard_round_trip_keeps_every_array(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    s = 7
    planes = (rng.random((s, 17, N, N)) < 0.3).astype(np.float32)
    policy = rng.dirichlet(np.ones(N * N + 1), s).astype(np.float16)
    samples = Samples(
        N,
        pack_planes(planes),
        policy,
        rng.choice([-1, 1], s).astype(np.int8),
        rng.integers(-1, 2, (s, N * N)).astype(np.int8),
        rng.normal(size=s).astype(np.float32),
        rng.random(s) < 0.5,
        np.arange(s, dtype=np.int32),
    )
    write_shard(tmp_path / "a.npz", samples)
    back = read_shard(tmp_path / "a.npz")
    np.testing.assert_array_equal(back.unpacked_planes(), planes)
    for name in ("policy", "value", "ownership", "score", "final", "game"):
        np.testing.assert_array_equal(getattr(back, name), getattr(samples, name))
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        read_shard(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="missing.npz"):
        read_shard(tmp_path / "missing.npz")


# ---------------------------------------------------------------- searches sharing a call


def test_run_many_gives_each_search_its_own_budget() -> None:
    ev = TorchEvaluator(tiny_net(), device="cpu")
    from go_engine.game import Game

    searches = [Search(ev, N, SearchConfig(batch_size=4, max_nodes=2000)) for _ in range(3)]
    states = [Game(N).state for _ in range(3)]
    results = run_many(searches, states, [8, 20, 3], [False, True, False])
    assert [r.simulations for r in results] == [8, 20, 3]
    with pytest.raises(ValueError, match="one state, budget"):
        run_many(searches, states, [8, 20], False)


# ---------------------------------------------------------------- self-play games


def _positions(game: FinishedGame) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """Every position of a game replayed from its SGF: (planes, colour to move, legal)."""
    record = read_sgf(write_sgf(game.game))
    out = []
    for k in range(len(record.moves) + 1):
        g = replay(record, upto=k)
        legal = np.zeros(N * N + 1, bool)
        legal[g.legal_moves()] = True
        legal[N * N] = True
        out.append((agz_planes(g.state), g.to_play, legal))
    return out


def test_selfplay_samples_are_the_games_positions_with_their_results() -> None:
    games = play(small_config(full_fraction=1.0), range(3))
    assert len(games) == 3
    for game in games:
        positions = _positions(game)
        s = game.samples
        assert s is not None
        # full_fraction 1: every move was a full search, and each is a sample
        assert len(s) == len(game.game.moves)
        planes = s.unpacked_planes()
        for i in range(len(s)):
            matches = [p for p in positions if np.array_equal(p[0], planes[i])]
            assert matches, "a sample's planes are no position of its game"
            _, colour, legal = matches[0]
            policy = s.policy[i].astype(np.float64)
            assert abs(policy.sum() - 1) < 1e-2
            assert not policy[~legal].any(), "visits on an illegal move"
            if game.winner:
                assert s.value[i] == (1 if colour == game.winner else -1)
            if s.final[i]:
                # area score for the mover = own points - opponent's -/+ komi
                komi = game.game.komi
                sign = 1 if colour == BLACK else -1
                assert s.score[i] == pytest.approx(sign * game.score)
                assert s.ownership[i].sum() - sign * komi == pytest.approx(s.score[i])
        assert game.result_text[0] in "BW0"


def test_playout_cap_randomization_trains_only_on_full_searches() -> None:
    games = play(small_config(full_fraction=0.25, max_moves=40), range(4), seed=3)
    moves = sum(len(g.game.moves) for g in games)
    samples = sum(len(g.samples) for g in games)
    assert 0 < samples < 0.6 * moves


def test_a_game_is_the_same_when_played_again() -> None:
    first = play(small_config(max_moves=30), [5], seed=11)[0]
    again = play(small_config(max_moves=30), [5], seed=11)[0]
    other = play(small_config(max_moves=30), [6], seed=11)[0]
    assert first.game.moves == again.game.moves
    assert first.game.moves != other.game.moves


class BlackLoses:
    """A network whose value says Black, to move, is lost and White, to move, has won."""

    def __init__(self) -> None:
        self.inner = TorchEvaluator(tiny_net(), device="cpu")
        self.features = "agz"
        self.network = True
        self.rollout_weight = 0.0
        self.rollout_policy = self.inner.rollout_policy

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        priors, _ = self.inner.evaluate(planes)
        black_to_move = planes[:, 16, 0, 0] > 0.5
        return priors, np.where(black_to_move, -0.99, 0.99).astype(np.float32)


def test_resignation_and_its_calibration() -> None:
    config = small_config(resign_threshold=-0.5, resign_min_move=0, no_resign_fraction=0.0)
    games: list[FinishedGame] = []
    selfplay_games(BlackLoses(), config, range(2), 0, games.append)
    assert all(g.resigned and g.winner == WHITE and not g.game.moves for g in games)
    assert all(g.result_text == "W+R" and not g.samples.final.any() for g in games)
    kept: list[FinishedGame] = []
    played_out = replace(config, no_resign_fraction=1.0, max_moves=12)
    selfplay_games(BlackLoses(), played_out, range(2), 0, kept.append)
    assert not any(g.resigned for g in kept) and all(g.no_resign for g in kept)
    assert all(g.lowest_value[BLACK] < -0.9 for g in kept)
    # the threshold: at most 5% of played-out games would have been resigned by the winner
    values = np.linspace(-1.0, -0.5, 100)
    t = resign_threshold_for(values, floor=-1.0, ceiling=0.0)
    assert np.mean(values < t) <= 0.05 and np.mean(values <= t) > 0.05
    assert resign_threshold_for([]) == -0.99
    assert resign_threshold_for([0.5] * 10) == -0.8  # the ceiling


def test_arena_alternates_colours_between_the_two_networks() -> None:
    a = TorchEvaluator(tiny_net(1), device="cpu")
    b = TorchEvaluator(tiny_net(2), device="cpu")
    games: list[FinishedGame] = []
    arena_games((a, b), ("a", "b"), small_config(max_moves=20), range(4), 0, 6, 2, games.append)
    names = {g.index: g.names for g in games}
    assert names == {0: ("a", "b"), 1: ("b", "a"), 2: ("a", "b"), 3: ("b", "a")}
    assert all(g.samples is None for g in games)


# ---------------------------------------------------------------- the learner


def test_replay_window_grows_slower_than_the_data() -> None:
    c = TrainConfig(window_min=1000, window_max=5000)
    assert replay_window(500, c) == 500
    assert replay_window(1000, c) == 1000
    sizes = [replay_window(t, c) for t in (2000, 4000, 8000, 100_000)]
    assert sizes == sorted(sizes) and 1000 < sizes[0] < 2000 and sizes[-1] == 5000


def _samples_with_marks(count: int, rng: np.random.Generator) -> Samples:
    """Samples whose plane 0 has one stone where the policy puts all its weight and the
    ownership says +1: a symmetry must move all three together."""
    planes = np.zeros((count, 17, N, N), np.float32)
    policy = np.zeros((count, N * N + 1), np.float16)
    owner = np.zeros((count, N * N), np.int8)
    points = rng.integers(0, N * N, count)
    for i, p in enumerate(points):
        planes[i, 0, p // N, p % N] = 1
        policy[i, p] = 1
        owner[i, p] = 1
    return Samples(
        N,
        pack_planes(planes),
        policy,
        np.ones(count, np.int8),
        owner,
        np.zeros(count, np.float32),
        np.ones(count, bool),
        np.zeros(count, np.int32),
    )


def test_symmetries_move_planes_policy_and_ownership_together() -> None:
    rng = np.random.default_rng(0)
    samples = _samples_with_marks(64, rng)
    trainer = RLTrainer(tiny_net(), TrainConfig(), torch.device("cpu"))
    batch = trainer.batch(samples, np.arange(64), rng)
    stone = batch["planes"][:, 0].reshape(64, -1).argmax(1)
    assert torch.equal(batch["policy"][:, : N * N].argmax(1), stone)
    assert torch.equal(batch["ownership"].argmax(1), stone)
    moved = (stone != torch.from_numpy(samples.policy[:, : N * N].argmax(1))).sum()
    assert moved > 16, "the symmetries should move most marks"


def test_learner_fits_a_fixed_batch() -> None:
    rng = np.random.default_rng(0)
    samples = _samples_with_marks(32, rng)
    trainer = RLTrainer(tiny_net(), TrainConfig(lr=0.05), torch.device("cpu"))
    batch = trainer.batch(samples, np.arange(32), rng)
    first = trainer.step(batch)
    for _ in range(60):
        last = trainer.step(batch)
    assert last["loss"] < 0.5 * first["loss"]
    assert {"policy_loss", "value_loss", "ownership_loss", "score_loss"} <= set(last)


def test_training_resumes_at_its_last_checkpoint(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    window = _samples_with_marks(64, rng)
    (tmp_path / "checkpoints").mkdir()
    save_checkpoint(tmp_path / "checkpoints" / "gen-0000.safetensors", tiny_net())
    config = TrainConfig(batch_size=16, min_steps=10, checkpoint_every=4)
    calls = {"n": 0}
    original = RLTrainer.step

    def dying_step(self, batch):
        calls["n"] += 1
        if calls["n"] == 7:
            raise KeyboardInterrupt  # killed during step 7: steps 1-4 are saved
        return original(self, batch)

    RLTrainer.step = dying_step
    try:
        with pytest.raises(KeyboardInterrupt):
            train_generation(tmp_path, 0, window, 10, config, device="cpu")
    finally:
        RLTrainer.step = original
    assert not (tmp_path / "checkpoints" / "gen-0001.safetensors").exists()
    said: list[str] = []
    out = train_generation(tmp_path, 0, window, 10, config, device="cpu", log=said.append)
    assert "at step 4 of 10" in said[0]
    assert out["train_steps"] == 10
    from training.checkpoint import load_checkpoint

    cand = load_checkpoint(tmp_path / "checkpoints" / "gen-0001.safetensors")
    assert cand.step == 10 and cand.info["gen_step"] == "10"


def test_anchor_mixes_a_fixed_networks_policy_into_the_targets() -> None:
    rng = np.random.default_rng(1)
    samples = _samples_with_marks(12, rng)
    samples.policy[:4] = 0  # value-only samples: no search target
    anchor = tiny_net(seed=3)
    config = TrainConfig(anchor="init", anchor_weight=0.25)
    trainer = RLTrainer(tiny_net(), config, torch.device("cpu"), anchor=anchor)
    batch = trainer.batch(samples, np.arange(12), np.random.default_rng(2))
    with torch.no_grad():
        prior = torch.softmax(anchor.eval()(batch["planes"])[0], dim=1)
    plain = RLTrainer(tiny_net(), TrainConfig(), torch.device("cpu"))
    visits = plain.batch(samples, np.arange(12), np.random.default_rng(2))["policy"]
    torch.testing.assert_close(batch["policy"][:4], prior[:4])
    torch.testing.assert_close(batch["policy"][4:], 0.75 * visits[4:] + 0.25 * prior[4:])
    torch.testing.assert_close(batch["policy"].sum(1), torch.ones(12))
    assert not any(p.requires_grad for p in trainer.anchor.parameters())
    for bad in ({"anchor_weight": 1.5, "anchor": "init"}, {"anchor_weight": 0.5}):
        with pytest.raises(ValueError, match="anchor"):
            TrainConfig(**bad)
    with pytest.raises(ValueError, match="supplement"):
        TrainConfig(supplement_fraction=0.5)


def _value_run(folder: Path, games: int = 24) -> None:
    """A finished `go-engine train value` run folder (its data chunks and config.json)."""
    from training.value_net import ValueConfig, value_games, write_positions

    config = ValueConfig(
        run=str(folder), sl="sl", rl="rl", board_size=N, komi=0.5, games=games, chunk_games=12
    )
    (folder / "data").mkdir(parents=True)
    for k in range(2):
        rng = np.random.default_rng(k)
        part = value_games(tiny_net(1), tiny_net(2), 12, N, 0.5, 8, rng, torch.device("cpu"))
        write_positions(folder / "data" / f"chunk-{k:04d}.npz", part)
    from dataclasses import asdict

    (folder / "config.json").write_text(json.dumps(asdict(config)))


def test_supplement_positions_fill_their_share_of_every_batch(tmp_path: Path) -> None:
    _value_run(tmp_path / "value")
    window = _samples_with_marks(64, np.random.default_rng(0))  # all `final`
    (tmp_path / "checkpoints").mkdir()
    save_checkpoint(tmp_path / "checkpoints" / "gen-0000.safetensors", tiny_net())
    config = TrainConfig(
        batch_size=16,
        min_steps=6,
        anchor="init",
        anchor_weight=1.0,
        supplement=str(tmp_path / "value"),
        supplement_fraction=0.25,
    )
    seen: list[tuple[int, int]] = []
    original = RLTrainer.step

    def watching_step(self, batch):
        seen.append((len(batch["planes"]), int((~batch["final"]).sum())))
        return original(self, batch)

    RLTrainer.step = watching_step
    try:
        out = train_generation(tmp_path, 0, window, 6, config, device="cpu")
    finally:
        RLTrainer.step = original
    assert seen == [(16, 4)] * 6 and out["train_steps"] == 6
    from training.value_net import read_value_run

    train, held = read_value_run(tmp_path / "value")
    assert len(train) > 0 and len(held) > 0
    (tmp_path / "value" / "data" / "chunk-0001.npz").unlink()
    with pytest.raises(ValueError, match="chunk 0001 is missing"):
        read_value_run(tmp_path / "value")
    with pytest.raises(ValueError, match="not a value run folder"):
        read_value_run(tmp_path)


# ---------------------------------------------------------------- configuration


def test_config_round_trip_and_errors(tmp_path: Path) -> None:
    config = RunConfig()
    config.loop.gnugo_levels = [3]
    path = tmp_path / "run.toml"
    path.write_text(to_toml(config))
    assert load_config(path) == config
    path.write_text("[selfplay]\nful_visits = 3\n")
    with pytest.raises(ValueError, match=r"run.toml.*\[selfplay\].*ful_visits"):
        load_config(path)
    path.write_text("[selfplay]\nfull_visits = 0\n")
    with pytest.raises(ValueError, match="full_visits"):
        load_config(path)
    with pytest.raises(ValueError, match="nope.toml"):
        load_config(tmp_path / "nope.toml")


CONFIGS = Path(__file__).parent.parent / "configs"


@pytest.mark.parametrize("name", sorted(p.name for p in CONFIGS.glob("*.toml")))
def test_shipped_loop_configs_load_and_round_trip(name: str, tmp_path: Path) -> None:
    config = load_config(CONFIGS / name)
    assert config.selfplay.board_size == 9
    assert config.train.train_start <= config.train.window_max
    again = tmp_path / "run.toml"
    again.write_text(to_toml(config))
    assert load_config(again) == config


# ---------------------------------------------------------------- the loop


LOOP_TOML = """
[selfplay]
board_size = 5
komi = 0.5
full_visits = 10
cheap_visits = 4
parallel_games = 4
max_moves = 30
max_nodes = 5000

[train]
batch_size = 16
min_steps = 4
checkpoint_every = 2

[loop]
generations = 2
games_per_generation = 6
blocks = 1
channels = 8
eval_games = 2
eval_visits = 4
workers = 2
"""


def _loop_cmd(run: Path, config: Path) -> list[str]:
    return [sys.executable, "-m", "go_engine_cli.main", "train", "loop", "--config", str(config),
            "--run", str(run)]  # fmt: skip


def test_loop_runs_generations_and_writes_its_records(tmp_path: Path) -> None:
    config = tmp_path / "tiny.toml"
    config.write_text(LOOP_TOML)
    done = subprocess.run(_loop_cmd(tmp_path / "run", config), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / "run"
    state = json.loads((run / "state.json").read_text())
    assert state["generation"] == 2 and state["phase"] == "selfplay"
    assert state["total_games"] == 12
    for g in (0, 1, 2):
        assert (run / "checkpoints" / f"gen-{g:04d}.safetensors").exists()
    for g in (0, 1):
        shard = read_shard(run / "samples" / f"gen-{g:04d}.npz")
        assert len(shard) > 0 and set(shard.game) <= set(range(6))
        assert len(list((run / "selfplay" / f"gen-{g:04d}" / "sgf").glob("*.sgf"))) == 6
        assert not (run / "selfplay" / f"gen-{g:04d}" / "samples").exists()
    assert len(list((run / "eval" / "gen-0002" / "done").glob("*.json"))) == 2
    lines = (run / "generations.csv").read_text().splitlines()
    assert len(lines) == 3 and "games_per_hour" in lines[0] and "elo" in lines[0]
    assert (run / "plots" / "loss.png").exists() and (run / "plots" / "elo.png").exists()
    # a finished run started again does nothing and changes nothing
    before = (run / "state.json").read_text()
    again = subprocess.run(_loop_cmd(run, config), capture_output=True, text=True)
    assert again.returncode == 0 and (run / "state.json").read_text() == before
    # another configuration for the same folder is refused
    config.write_text(LOOP_TOML.replace("full_visits = 10", "full_visits = 11"))
    refused = subprocess.run(_loop_cmd(run, config), capture_output=True, text=True)
    assert refused.returncode != 0 and "full_visits = 11" in refused.stderr


def test_loop_killed_with_sigkill_resumes_and_keeps_every_game(tmp_path: Path) -> None:
    config = tmp_path / "tiny.toml"
    config.write_text(
        LOOP_TOML.replace("generations = 2", "generations = 1")
        .replace("games_per_generation = 6", "games_per_generation = 24")
        .replace("parallel_games = 4", "parallel_games = 2")
        .replace("workers = 2", "workers = 1")
    )
    run = tmp_path / "run"
    done_dir = run / "selfplay" / "gen-0000" / "done"
    proc = subprocess.Popen(
        _loop_cmd(run, config), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.time() + 300
    while time.time() < deadline and len(list(done_dir.glob("*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = {p.name: p.read_bytes() for p in (run / "selfplay" / "gen-0000" / "sgf").glob("*.sgf")
            if (done_dir / (p.stem + ".json")).exists()}  # fmt: skip
    assert 2 <= len(kept) < 24, "kill the run in the middle of its self-play"
    finished = subprocess.run(_loop_cmd(run, config), capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr[-3000:]
    state = json.loads((run / "state.json").read_text())
    assert state["generation"] == 1 and state["total_games"] == 24
    for name, data in kept.items():  # the games finished before the kill are untouched
        assert (run / "selfplay" / "gen-0000" / "sgf" / name).read_bytes() == data
    assert len(list(done_dir.glob("*.json"))) == 24
    shard = read_shard(run / "samples" / "gen-0000.npz")
    assert set(shard.game) <= set(range(24)) and len(set(shard.game)) >= 16
    assert (run / "checkpoints" / "gen-0001.safetensors").exists()


@pytest.mark.slow
def test_ray_backend_runs_selfplay_on_a_local_ray_instance(tmp_path: Path) -> None:
    try:
        import ray
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail('Ray is required in CI (pip install -e ".[test]" installs it)')
        pytest.skip("Ray is not installed")
    from selfplay.worker import finished_indices, make_tasks, run_ray

    model = tmp_path / "net.safetensors"
    save_checkpoint(model, tiny_net())
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        tasks = make_tasks(tmp_path / "games", model, 4, 2, 0, small_config(max_moves=20))
        results = run_ray(tasks)
    finally:
        ray.shutdown()
    assert sum(r["games"] for r in results) == 4
    assert finished_indices(tmp_path / "games") == {0, 1, 2, 3}
    assert len(list((tmp_path / "games" / "samples").glob("*.npz"))) == 4


def test_selfplay_command_reports_its_speed(tmp_path: Path) -> None:
    model = tmp_path / "net.safetensors"
    save_checkpoint(model, tiny_net())
    from go_engine_cli.main import main

    out = tmp_path / "games"
    args = ["selfplay", "--model", str(model), "--size", str(N), "--games", "2",
            "--workers", "1", "--full-visits", "6", "--cheap-visits", "3", "--out", str(out),
            "--json", "--reference"]  # fmt: skip
    os.environ["GO_ENGINE_INPROCESS"] = "1"
    try:
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(args) == 0
    finally:
        del os.environ["GO_ENGINE_INPROCESS"]
    figures = json.loads(buf.getvalue())
    assert figures["games"] == 2 and figures["games_per_hour"] > 0
    assert figures["evaluations_per_second"] > 0 and 0 < figures["network_share"] < 1
    assert figures["raw_network_rate"] > 0 and 0 < figures["share_of_raw_rate"] < 2
    assert len(list((out / "sgf").glob("*.sgf"))) == 2


@pytest.mark.gnugo
def test_loop_measures_its_networks_against_gnugo(tmp_path: Path, gnugo_path: str) -> None:
    config = tmp_path / "tiny.toml"
    config.write_text(
        LOOP_TOML.replace("generations = 2", "generations = 1")
        .replace("eval_games = 2", "eval_games = 0")
        .replace("workers = 2", "workers = 1")
        + "gnugo_every = 1\ngnugo_levels = [1]\ngnugo_games = 1\ngnugo_seconds = 0.05\n"
    )
    done = subprocess.run(_loop_cmd(tmp_path / "run", config), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = (tmp_path / "run" / "gnugo.csv").read_text().splitlines()
    assert rows[0].startswith("generation,network,hours,level,games,wins")
    # the starting network and generation 1's, one game each against level 1
    assert [r.split(",")[:5] for r in rows[1:]] == [
        ["0", "gen-0000", "0.0", "1", "1"],
        ["1", "gen-0001", rows[2].split(",")[2], "1", "1"],
    ]
    for g in ("gen-0000", "gen-0001"):
        results = (tmp_path / "run" / "gnugo" / f"{g}-level1" / "results.jsonl").read_text()
        assert json.loads(results.splitlines()[0])["b_name"] == "gnugo-1"
    assert (tmp_path / "run" / "plots" / "gnugo.png").exists()


def test_selfplay_can_mix_rollouts_into_the_leaf_values() -> None:
    from go_engine.evaluator import MixedEvaluator
    from selfplay.config import leaf_evaluator
    from selfplay.evaluation import engine_command

    mixed = small_config(rollout_weight=0.5, max_moves=20)
    net = TorchEvaluator(tiny_net(), device="cpu")
    ev = leaf_evaluator(net, mixed)
    assert isinstance(ev, MixedEvaluator) and ev.rollout_weight == 0.5
    assert leaf_evaluator(net, small_config()) is net
    games: list[FinishedGame] = []
    selfplay_games(ev, mixed, range(2), 0, games.append)
    assert len(games) == 2 and all(len(g.samples) > 0 for g in games)
    assert "--player mixed --mix 0.5 --rollout light" in engine_command("m", 1.0, mixed)
    assert "--player puct" in engine_command("m", 1.0, small_config())
    with pytest.raises(ValueError, match="rollout_weight"):
        small_config(rollout_weight=1.5)
    # AlphaGo's trained fast rollout policy: the shipped weights, in self-play and evaluation
    trained = small_config(rollout_weight=0.5, rollout="weights", max_moves=20)
    ev = leaf_evaluator(net, trained)
    assert ev.rollout_policy.mode == "weights" and ev.rollout_policy.weights.any()
    games.clear()
    selfplay_games(ev, trained, range(2), 0, games.append)
    assert len(games) == 2 and all(len(g.samples) > 0 for g in games)
    assert "--rollout weights" in engine_command("m", 1.0, trained)
    with pytest.raises(ValueError, match="rollout must be"):
        small_config(rollout_weight=0.5, rollout="heavy")


def test_selfplay_worker_with_an_int8_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime")
    from selfplay.evaluation import engine_command
    from selfplay.worker import finished_indices, make_tasks, selfplay_task

    monkeypatch.setenv("GO_ENGINE_CACHE", str(tmp_path / "cache"))
    model = tmp_path / "net.safetensors"
    save_checkpoint(model, tiny_net())
    config = small_config(max_moves=20, precision="int8")
    (task,) = make_tasks(tmp_path / "games", model, 2, 1, 0, config, device="onnx")
    result = selfplay_task(task)
    assert result["games"] == 2 and finished_indices(tmp_path / "games") == {0, 1}
    assert list((tmp_path / "cache" / "int8").glob("*.onnx"))  # the worker ran the int8 copy
    assert "--precision int8" in engine_command("m", 1.0, config)
    assert "--precision" not in engine_command("m", 1.0, small_config())
    with pytest.raises(ValueError, match="precision"):
        small_config(precision="float16")


def test_loop_waits_for_enough_samples_before_training(tmp_path: Path) -> None:
    config = tmp_path / "tiny.toml"
    config.write_text(
        LOOP_TOML.replace("games_per_generation = 6", "games_per_generation = 2")
        .replace("workers = 2", "workers = 1")
        .replace("checkpoint_every = 2", "checkpoint_every = 2\ntrain_start = 100000")
    )
    done = subprocess.run(_loop_cmd(tmp_path / "run", config), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / "run"
    state = json.loads((run / "state.json").read_text())
    assert state["generation"] == 2 and state["best"] == 0 and state["total_games"] == 4
    assert state["untrained_samples"] == state["total_samples"] > 0
    assert [h["trained"] for h in state["history"]] == [False, False]
    assert not (run / "checkpoints" / "gen-0001.safetensors").exists()
    assert not (run / "eval").exists()
