"""Checkpoints (training/checkpoint.py) and the network players behind GTP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from go_engine.evaluator import inverse_transform_planes, transform_planes
from go_engine.features import agz_planes
from go_engine.state import new_state
from gtp.engine import EngineConfig, GTPEngine
from gtp.players import PlayerConfig
from training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from training.nets import NetConfig, PolicyValueNet


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    net = PolicyValueNet(NetConfig(board_size=9, blocks=1, channels=8))
    path = tmp_path_factory.mktemp("ckpt") / "net.pt"
    save_checkpoint(path, net, step=7, metrics={"loss": 1.5}, info={"command": "test"})
    return path


def test_round_trip(model: Path) -> None:
    ckpt = load_checkpoint(model)
    assert ckpt.step == 7 and ckpt.metrics == {"loss": 1.5} and ckpt.info["command"] == "test"
    torch.manual_seed(0)
    again = PolicyValueNet(NetConfig(board_size=9, blocks=1, channels=8)).eval()
    x = torch.from_numpy(agz_planes(new_state(9))[None])
    with torch.no_grad():
        assert torch.allclose(ckpt.net(x)[0], again(x)[0])


def test_bad_checkpoints_name_the_file(tmp_path: Path, model: Path) -> None:
    with pytest.raises(CheckpointError, match="missing.pt"):
        load_checkpoint(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt"):
        load_checkpoint(junk)
    doc = torch.load(model, weights_only=True)
    doc["format"] = 99
    future = tmp_path / "future.pt"
    torch.save(doc, future)
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(future)
    doc["format"] = 1
    doc["net_config"]["channels"] = 16
    wrong = tmp_path / "wrong.pt"
    torch.save(doc, wrong)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(wrong)


def _engine(player: str, model: Path, **kw) -> GTPEngine:
    cfg = PlayerConfig(seed=1, model=str(model), visits=40, **kw)
    return GTPEngine(EngineConfig(size=9, player=player, player_config=cfg))


@pytest.mark.parametrize("player", ["policy", "puct", "mixed"])
def test_network_players_play_legal_moves(player: str, model: Path) -> None:
    engine = _engine(player, model)
    for _ in range(4):
        for colour in ("b", "w"):
            out = engine.handle(f"genmove {colour}")
            assert out.startswith("= ") and out.split()[1] != "resign"
    assert len(engine.game.moves) == 8


def test_policy_player_takes_the_top_legal_prior(model: Path) -> None:
    engine = _engine("policy", model)
    engine.handle("play b E5")
    move = engine.player.genmove(engine.game, 2)
    priors, _ = engine.player.networks.get(9).evaluate(agz_planes(engine.game.state)[None])
    legal = engine.game.legal_moves(2)
    best = int(np.argmax(np.where(legal[:-1], priors[0][:-1], -1)))
    assert move == (81 if priors[0][81] > priors[0][best] else best)


def test_policy_player_averages_the_eight_symmetries(model: Path) -> None:
    """By default the policy player's priors are the mean of the raw network's over the eight
    turns and flips of the board (mapped back); searches evaluate as the board stands;
    --symmetries overrides either, and a bad mode is refused at start-up."""
    engine = _engine("policy", model)
    engine.handle("play b E5")
    engine.handle("play w C3")
    planes = agz_planes(engine.game.state)[None]
    ev = engine.player.networks.get(9)
    assert ev.mode == "average"
    raw = ev.net
    expected = np.zeros(82)
    for s in range(8):
        p, _ = raw.evaluate(np.ascontiguousarray(transform_planes(planes, s)))
        expected[:81] += inverse_transform_planes(p[0, :81].reshape(9, 9), s).reshape(-1) / 8
        expected[81] += p[0, 81] / 8
    priors, _ = ev.evaluate(planes)
    np.testing.assert_allclose(priors[0], expected, atol=1e-5)
    assert not np.allclose(priors[0], raw.evaluate(planes)[0][0], atol=1e-4)
    assert not hasattr(_engine("policy", model, symmetries="none").player.networks.get(9), "mode")
    assert not hasattr(_engine("puct", model).player.networks.get(9), "mode")
    randomised = _engine("puct", model, symmetries="random").player.networks.get(9)
    assert randomised.mode == "random" and randomised.device == randomised.net.device
    with pytest.raises(ValueError, match="symmetries"):
        PlayerConfig(symmetries="all")


def test_policy_player_never_fills_its_eyes_and_ends_won_games(model: Path) -> None:
    engine = _engine("policy", model)
    game = engine.game
    eyes = {0, 2}  # A9 and C9: Black's two eyes; everything else is Black's
    for a in range(81):
        if a not in eyes:
            game.place_setup(a, 1)
    game.set_to_play(1)
    assert engine.player.genmove(game, 1) == 81  # only eye-filling moves are left
    engine.handle("clear_board")
    game = engine.game
    for a in range(4, 81, 9):  # a wall down the E file: the whole board is Black's
        game.place_setup(a, 1)
    game.set_to_play(2)
    game.play(81)  # White passes; Black is far ahead on the board
    assert engine.player.genmove(game, 1) == 81


def test_network_size_and_missing_model(model: Path) -> None:
    engine = _engine("puct", model)
    engine.handle("boardsize 19")
    out = engine.handle("genmove b")
    assert out.startswith("?") and "9x9" in out
    # Without --model a network player takes the shipped network of the board size, and
    # says so clearly on a size that has none.
    engine = GTPEngine(EngineConfig(size=13, player="puct"))
    out = engine.handle("genmove b")
    assert out.startswith("?") and "13x13" in out and "--model" in out


def test_puct_player_analyses(model: Path) -> None:
    engine = _engine("puct", model)
    out = engine.handle("lz-analyze 10")
    assert out.startswith("=\ninfo move ")
