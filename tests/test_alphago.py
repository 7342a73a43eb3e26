"""AlphaGo's value network (data, training, error beside rollouts) and the alphago player."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from go_engine.evaluator import PairEvaluator, UniformEvaluator, UniformPriors
from go_engine.features import agz_planes
from go_engine.samples import pack_planes
from gtp.engine import EngineConfig, GTPEngine
from gtp.players import PlayerConfig
from training.checkpoint import CheckpointError, save_checkpoint
from training.nets import NetConfig, PolicyValueNet
from training.torch_evaluator import TorchEvaluator
from training.value_net import (
    ValueConfig,
    ValuePositions,
    read_positions,
    train_value,
    value_games,
)
from training.value_rollouts import (
    RolloutEstimates,
    move_bins,
    network_estimates,
    numba_estimates,
)

N = 5
CPU = torch.device("cpu")


def tiny(seed: int = 0, n: int = N) -> PolicyValueNet:
    torch.manual_seed(seed)
    return PolicyValueNet(NetConfig(board_size=n, blocks=1, channels=8, value_hidden=8)).eval()


def test_value_positions_are_one_per_game_after_the_random_move() -> None:
    rng = np.random.default_rng(0)
    pos = value_games(tiny(1), tiny(2), 12, N, 0.5, 10, rng, CPU)
    assert 1 <= len(pos) <= 12
    lengths = np.diff(pos.offsets)
    assert lengths.min() >= 1 and lengths.max() <= 10  # the position after move U <= max_u
    assert set(np.unique(pos.value)) <= {-1.0, 0.0, 1.0}
    planes = pos.as_samples().unpacked_planes()
    for i in range(len(pos)):
        game = pos.game(i)  # the moves replay legally to the stored position
        np.testing.assert_array_equal(agz_planes(game.state), planes[i])


def _settled_position(komi: float, white_to_move: bool = False) -> ValuePositions:
    """Black owns the 5x5 board but for two single-point eyes, White passed throughout, and
    Black (or, after a pass that ends the game, White) is to move: every rollout ends at once
    with Black's win."""
    moves: list[int] = []
    for a in range(N * N):
        if a not in (6, 18):
            moves += [a, N * N]
    if white_to_move:
        moves.append(N * N)
    from go_engine.game import Game

    g = Game(N)
    for a in moves:
        g.play(a, g.to_play)
    planes = pack_planes(agz_planes(g.state)[None])
    return ValuePositions(
        N,
        komi,
        planes,
        np.array([-1.0 if white_to_move else 1.0], np.float32),  # for the player to move
        np.array(moves, np.int16),
        np.array([0, len(moves)], np.int64),
    )


def test_rollouts_judge_a_settled_position_exactly() -> None:
    from go_engine.rollout_policy import RolloutPolicy

    for white in (False, True):
        pos = _settled_position(0.5, white)
        assert pos.game(0).to_play == (2 if white else 1)
        for policy in (RolloutPolicy("light"), RolloutPolicy("random"), RolloutPolicy.shipped()):
            est = RolloutEstimates(policy.mode, numba_estimates(pos, 4, policy))
            np.testing.assert_array_equal(est.results, -1 if white else 1)
            assert est.mse(pos.value, 4) == 0.0
        net = network_estimates(pos, 3, tiny(1), CPU)
        np.testing.assert_array_equal(net, -1 if white else 1)
    wrong = _settled_position(0.5)
    wrong.value[:] = -1.0
    est = RolloutEstimates("light", numba_estimates(wrong, 4, RolloutPolicy("light")))
    assert est.mse(wrong.value, 4) == 4.0


def test_rollout_estimates_play_real_games_and_nest_by_count() -> None:
    from go_engine.rollout_policy import RolloutPolicy

    pos = value_games(tiny(1), tiny(2), 6, N, 0.5, 6, np.random.default_rng(3), CPU)
    for results in (
        numba_estimates(pos, 8, RolloutPolicy.shipped(), seed=1),
        network_estimates(pos, 8, tiny(3), CPU, seed=1, games_at_once=5),
    ):
        assert results.shape == (len(pos), 8)
        assert set(np.unique(results)) <= {-1, 0, 1}
        assert len(np.unique(results)) > 1  # early positions are not decided by one side
        est = RolloutEstimates("x", results)
        first = ((results[:, 0] - pos.value) ** 2).mean()
        assert est.mse(pos.value, 1) == pytest.approx(first)
    again = network_estimates(pos, 8, tiny(3), CPU, seed=1, games_at_once=5)
    np.testing.assert_array_equal(again, results)  # seeded: the same games again


def test_move_bins_cover_every_move_number() -> None:
    assert move_bins(np.array([3, 40, 81]), 9, 3) == [(0, 26), (27, 53), (54, 81)]
    assert move_bins(np.array([3, 95]), 9, 3)[-1] == (54, 95)


def test_value_training_writes_its_net_and_resumes(tmp_path: Path) -> None:
    sl, rl = tmp_path / "sl.safetensors", tmp_path / "rl.safetensors"
    save_checkpoint(sl, tiny(1))
    save_checkpoint(rl, tiny(2))
    config = ValueConfig(
        run=str(tmp_path / "run"),
        sl=str(sl),
        rl=str(rl),
        board_size=N,
        komi=0.5,
        games=40,
        chunk_games=10,
        val_fraction=0.25,
        steps=5,
        batch_size=8,
        device="cpu",
    )
    metrics = train_value(config, log=lambda _: None)
    assert metrics["held_out_positions"] > 0 and metrics["train_positions"] > 0
    assert np.isfinite(metrics["held_out_mse"])
    chunks = sorted((tmp_path / "run" / "data").glob("chunk-*.npz"))
    assert len(chunks) == 4 and all(len(read_positions(c)) > 0 for c in chunks)
    stamps = [c.stat().st_mtime_ns for c in chunks]
    again = train_value(config, log=lambda _: None)  # finished: nothing is redone
    assert again == pytest.approx(metrics)
    assert [c.stat().st_mtime_ns for c in chunks] == stamps
    # Figure 2b's table: the value network beside rollouts of each policy and count
    import contextlib
    import io
    import json

    from go_engine_cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        argv = ["eval", "value", "--run", config.run, "--rollouts", "1", "2", "--json"]
        assert main([*argv, "--device", "cpu"]) == 0
    table = json.loads(out.getvalue())
    assert [(r["estimator"], r["rollouts"]) for r in table["rows"]] == [("value network", 0)] + [
        (f"{m} rollouts", k) for m in ("random", "light", "weights", "sl", "rl") for k in (1, 2)
    ]
    assert table["rows"][0]["mse"] == pytest.approx(metrics["held_out_mse"], rel=1e-5)
    assert table["value_mse_all_held_out"] == pytest.approx(metrics["held_out_mse"], rel=1e-5)
    assert sum(table["positions_per_bin"]) == table["positions"]
    assert set(table["by_move"]) == {"value network"} | {
        f"{m} x2" for m in ("random", "light", "weights", "sl", "rl")
    }
    plot = tmp_path / "fig2b.png"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*argv, "--modes", "light", "--plot", str(plot), "--device", "cpu"]) == 0
    assert plot.stat().st_size > 1000


def test_head_only_value_training_gives_the_policy_network_a_value_head(tmp_path: Path) -> None:
    """--init SL --head-only: the result is the SL network, policy and trunk (batch-norm
    statistics included) unchanged, with a value head fitted to the RL games' results."""
    from training.checkpoint import load_checkpoint
    from training.rl_train import RLTrainer, TrainConfig

    sl, rl = tmp_path / "sl.safetensors", tmp_path / "rl.safetensors"
    save_checkpoint(sl, tiny(1))
    save_checkpoint(rl, tiny(2))
    common = dict(sl=str(sl), rl=str(rl), board_size=N, komi=0.5, games=40, chunk_games=20)
    common |= dict(val_fraction=0.25, steps=30, batch_size=16, lr=0.05, device="cpu")
    quiet = dict(log=lambda _: None)
    metrics = train_value(
        ValueConfig(run=str(tmp_path / "head"), init=str(sl), head_only=True, **common), **quiet
    )
    (tmp_path / "whole" / "data").mkdir(parents=True)
    for chunk in (tmp_path / "head" / "data").glob("*.npz"):  # the same positions
        (tmp_path / "whole" / "data" / chunk.name).write_bytes(chunk.read_bytes())
    whole = ValueConfig(run=str(tmp_path / "whole"), init=str(sl), **common)
    train_value(whole, **quiet)
    start = tiny(1).state_dict()
    for name, trained in (("head", True), ("whole", False)):
        ck = load_checkpoint(tmp_path / name / "checkpoints" / "value.safetensors")
        assert ck.data["init"] == str(sl) and ck.data["head_only"] is trained
        state = ck.net.state_dict()
        kept = [k for k in start if not k.startswith("value_")]
        same = all(torch.allclose(state[k].float(), start[k].float()) for k in kept)
        assert same is trained  # whole-net training moves the trunk; head-only does not
        head = [k for k in start if k.startswith("value_") and "num_batches" not in k]
        assert not all(torch.allclose(state[k].float(), start[k].float()) for k in head)
    assert np.isfinite(metrics["held_out_mse"])
    with pytest.raises(ValueError, match="no such module"):
        RLTrainer(tiny(1), TrainConfig(), CPU, frozen=("trunk",))


def test_pair_evaluator_takes_priors_from_one_net_and_values_from_the_other() -> None:
    policy = TorchEvaluator(tiny(1), device="cpu")
    value = TorchEvaluator(tiny(2), device="cpu")
    planes = (np.random.default_rng(0).random((3, 17, N, N)) < 0.3).astype(np.float32)
    priors, values = PairEvaluator(policy, value).evaluate(planes)
    np.testing.assert_allclose(priors, policy.evaluate(planes)[0], rtol=1e-5)
    np.testing.assert_allclose(values, value.evaluate(planes)[1], rtol=1e-5)
    with pytest.raises(ValueError, match="same"):
        PairEvaluator(policy, UniformEvaluator(features="none"))
    flat, same = UniformPriors(value).evaluate(planes)
    np.testing.assert_allclose(flat, 1.0 / (N * N + 1))
    np.testing.assert_allclose(same, values, rtol=1e-5)


def test_alphago_player_plays_with_a_value_network(tmp_path: Path) -> None:
    sl, value = tmp_path / "sl.safetensors", tmp_path / "value.safetensors"
    save_checkpoint(sl, tiny(1, 9))
    save_checkpoint(value, tiny(2, 9))
    cfg = PlayerConfig(seed=1, model=str(sl), value_model=str(value), visits=24, rollout="weights")
    engine = GTPEngine(EngineConfig(size=9, player="alphago", player_config=cfg))
    for colour in ("b", "w", "b", "w"):
        out = engine.handle(f"genmove {colour}")
        assert out.startswith("= ") and out.split()[1] != "resign"
    assert len(engine.game.moves) == 4
    blind = PlayerConfig(seed=1, model=str(sl), visits=24, mix=0.0, uniform_priors=True)
    engine = GTPEngine(EngineConfig(size=9, player="alphago", player_config=blind))
    assert engine.handle("genmove b").startswith("= ")
    (tmp_path / "bad.safetensors").write_bytes(b"junk")
    bad = PlayerConfig(model=str(sl), value_model=str(tmp_path / "bad.safetensors"))
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        GTPEngine(EngineConfig(size=9, player="alphago", player_config=bad))
