"""The position GAN: chain/liberty statistics and legality on hand-made boards and real game
positions, generator output, a short training run, checkpoints, and the CLI end to end."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch

from go_engine.board import liberty_map as engine_liberty_map
from tests.game_fixtures import random_game, write_archive
from training.checkpoint import CheckpointError
from training.position_gan import (
    GanConfig,
    GanTrainer,
    PositionGan,
    balance_range,
    board_stats,
    evaluate,
    is_legal,
    liberty_map,
    load_gan,
    save_gan,
    straight_through,
    wasserstein_1d,
)

torch.set_num_threads(1)


def board(rows: list[str]) -> np.ndarray:
    """'.' empty, 'X' black, 'O' white -> uint8[N*N]."""
    code = {".": 0, "X": 1, "O": 2}
    return np.array([code[ch] for row in rows for ch in row], np.uint8)


def small_config(**kw) -> GanConfig:
    base = dict(latent=16, g_channels=16, d_channels=8, batch_size=32, steps=10, device="cpu")
    return GanConfig(**{**base, **kw})


def test_chains_and_liberties_on_a_hand_made_board() -> None:
    b = board(
        [
            "XX...",
            "O....",
            "..XO.",
            "...O.",
            ".....",
        ]
    )
    s = board_stats(b[None], 5)
    assert (s.black[0], s.white[0], s.chains[0]) == (3, 3, 4)
    # XX at the top left: liberties (0,2), (1,1); the O below it: (2,0), (1,1);
    # the X in the centre: (1,2), (2,1), (3,2); the OO pair: (1,3), (2,4), (3,4), (4,3), (3,2).
    assert sorted(s.liberties.tolist()) == [2, 2, 3, 5]
    assert s.atari[0] == 0 and s.dead[0] == 0 and s.legal[0]
    lm = liberty_map(b, 5).reshape(5, 5)
    assert lm[0, 0] == lm[0, 1] == 2 and lm[2, 2] == 3 and lm[2, 3] == lm[3, 3] == 5
    assert lm[4, 4] == 0


def test_a_chain_without_liberties_is_illegal() -> None:
    dead_corner = board(
        [
            "XO...",
            "O....",
            ".....",
            ".....",
            ".....",
        ]
    )
    assert not is_legal(dead_corner, 5)
    s = board_stats(dead_corner[None], 5)
    assert s.dead[0] == 1  # the black stone; the two white stones have liberties
    # A whole dead chain (two white stones surrounded) is illegal too, and atari is counted.
    dead_pair = board(
        [
            ".XX..",
            "XOOX.",
            ".XX..",
            ".....",
            ".....",
        ]
    )
    s = board_stats(dead_pair[None], 5)
    assert s.dead[0] == 1 and not s.legal[0]
    atari = board(
        [
            ".XX..",
            "XOO..",
            ".XX..",
            ".....",
            ".....",
        ]
    )
    s = board_stats(atari[None], 5)
    assert s.legal[0] and s.atari[0] == 1
    assert np.isclose(s.atari_share[0], 1 / s.chains[0])
    assert is_legal(np.zeros(25, np.uint8), 5)
    with pytest.raises(ValueError, match="board values"):
        board_stats(np.full((1, 25), 3, np.uint8), 5)


def test_real_game_positions_are_legal_and_match_the_engine() -> None:
    for seed in range(3):
        g = random_game(9, 0, seed)
        rng = np.random.default_rng(seed)
        for _ in range(70):
            legal = np.flatnonzero(g.legal_moves()[:81])
            g.play(int(rng.choice(legal)) if len(legal) else g.pass_action)
            b = g.board().reshape(-1).astype(np.uint8)
            assert is_legal(b, 9)
            assert np.array_equal(liberty_map(b, 9), engine_liberty_map(g.state))


def test_balance_range_and_wasserstein() -> None:
    boards = np.zeros((100, 25), np.uint8)
    for i in range(100):
        boards[i, : i % 3] = 1  # black - white in {0, 1, 2}
    assert balance_range(boards, 0, 100) == (0, 2)
    assert wasserstein_1d(np.array([0, 0, 1]), np.array([0, 0, 1])) == 0.0
    assert np.isclose(wasserstein_1d(np.zeros(10), np.full(10, 3.0)), 3.0)


def test_generator_boards_have_the_right_shape_and_values() -> None:
    for n in (9, 19):
        gan = PositionGan(small_config(board_size=n))
        boards = gan.sample(7, seed=1)
        assert boards.shape == (7, n * n) and boards.dtype == np.uint8
        assert set(np.unique(boards)) <= {0, 1, 2}
        assert np.array_equal(boards, gan.sample(7, seed=1))
        z = torch.randn(3, 16)
        logits = gan.generator(z)
        assert logits.shape == (3, 3, n, n)
        hard = straight_through(logits)
        assert torch.equal(hard.sum(dim=1), torch.ones(3, n, n))  # exactly one-hot forward
        hard[:, 1].sum().backward()  # and gradients reach the generator
        assert any(
            p.grad is not None and p.grad.abs().sum() > 0 for p in gan.generator.parameters()
        )
        assert gan.judge(boards).shape == (7,)


@pytest.fixture(scope="module")
def fixture_boards(tmp_path_factory) -> tuple[str, np.ndarray, np.ndarray]:
    from training.baseline_data import DataConfig, load_split

    path = write_archive(tmp_path_factory.mktemp("gan") / "games.tar.gz", games=60, moves=30)
    split = load_split(DataConfig([str(path)], 9))
    return str(path), split.train.positions.boards, split.held_out.positions.boards


def test_training_moves_the_stone_counts_toward_the_real_ones(fixture_boards) -> None:
    _, train, held = fixture_boards
    config = small_config(steps=100, lr_g=1e-3, lr_d=1e-3)
    trainer = GanTrainer(config, train, run=None, log=lambda _: None)
    real_stones = (train > 0).sum(axis=1)

    def distance() -> float:
        return wasserstein_1d((trainer.gan.sample(300, seed=5) > 0).sum(axis=1), real_stones)

    before = distance()
    state = trainer.train(progress=False)
    after = distance()
    assert state.step == 100 and len(state.history) == 1
    assert after < 0.5 * before, (before, after)
    h = state.history[0]
    assert np.isfinite(h["loss_d"]) and np.isfinite(h["loss_g"]) and 0 <= h["d_accuracy"] <= 1
    ev = evaluate(trainer.gan, held, train, count=60, two_sample_steps=20)
    m = ev.metrics
    assert m["legal_share_real"] == 1.0 and m["balance_share_real"] > 0.9
    for key in ("legal_share", "balance_share", "disc_accuracy", "two_sample_accuracy"):
        assert 0.0 <= m[key] <= 1.0
    assert m["generated"] == 60 and m["real"] == min(60, len(held))


def test_checkpoints_round_trip_and_runs_resume(tmp_path, fixture_boards) -> None:
    _, train, _ = fixture_boards
    run = tmp_path / "run"
    t = GanTrainer(small_config(steps=5), train, run=run, log=lambda _: None)
    t.train(progress=False)
    t.save({"legal_share": 0.5})
    gan, state = load_gan(run / "gan.safetensors")
    assert state.step == 5
    assert np.array_equal(gan.sample(20, seed=3), t.gan.sample(20, seed=3))
    assert np.allclose(gan.judge(train[:20]), t.gan.judge(train[:20]), atol=1e-6)
    # A later run with a larger budget carries on from step 5.
    t2 = GanTrainer(small_config(steps=8), train, run=run, log=lambda _: None)
    assert t2.state.step == 5
    assert t2.train(progress=False).step == 8
    with pytest.raises(ValueError, match="9x9 GAN"):
        GanTrainer(small_config(board_size=13), train, run=run, log=lambda _: None)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        load_gan(bad)
    with pytest.raises(CheckpointError, match="missing.safetensors"):
        load_gan(tmp_path / "missing.safetensors")
    save_gan(tmp_path / "copy.safetensors", gan, state)
    assert load_gan(tmp_path / "copy.safetensors")[1].step == 5


def test_cli_runs_end_to_end(tmp_path, fixture_boards) -> None:
    from go_engine_cli import train_gan

    archive, _, _ = fixture_boards
    parser = argparse.ArgumentParser()
    train_gan.add_arguments(parser)
    results = tmp_path / "results"
    argv = [
        "--data", archive, "--run", str(tmp_path / "run"), "--results", str(results),
        "--steps", "12", "--batch", "16", "--g-channels", "8", "--d-channels", "8",
        "--latent", "8", "--samples", "40", "--two-sample-steps", "10", "--device", "cpu",
        "--quiet",
    ]  # fmt: skip
    assert train_gan.run(parser.parse_args(argv)) == 0
    record = json.loads((results / "gan-9.json").read_text())
    assert record["kind"] == "gan" and record["board_size"] == 9
    assert record["metrics"]["steps"] == 12 and record["metrics"]["legal_share_real"] == 1.0
    assert (results / "gan-9-stats.png").stat().st_size > 0
    assert (results / "gan-9-samples.png").stat().st_size > 0
    assert (tmp_path / "run" / "gan.safetensors").is_file()
    with pytest.raises(FileNotFoundError, match="nowhere.tar.gz"):
        train_gan.run(parser.parse_args(["--data", str(tmp_path / "nowhere.tar.gz")]))
