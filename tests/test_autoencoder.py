"""The position autoencoder against PCA, their error measures, and `go-engine similar`."""

from __future__ import annotations

import json
import tarfile

import numpy as np
import pytest
import torch

from go_engine.game import Game
from go_engine.rules import Rules
from go_engine.sgf_io import read_sgf, write_sgf
from go_engine_cli.main import main
from tests.game_fixtures import write_archive
from training.autoencoder import (
    PCA,
    AETrainConfig,
    apply_symmetry,
    autoencoder_errors,
    encode_views,
    load_autoencoder,
    mover_view,
    reconstruction_errors,
    symmetry_sources,
    train_one,
)
from training.baseline_data import DataConfig, load_split
from training.checkpoint import CheckpointError
from training.position_codes import build_index, search


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return write_archive(tmp_path_factory.mktemp("d") / "g.tar.gz", games=60, moves=40)


@pytest.fixture(scope="module")
def views(archive):
    split = load_split(DataConfig([str(archive)], 9))
    tr, ho = split.train.positions, split.held_out.positions
    return mover_view(tr.boards, tr.to_play), mover_view(ho.boards, ho.to_play)


@pytest.fixture(scope="module")
def trained(views, tmp_path_factory):
    torch.set_num_threads(1)
    train_view, held_view = views
    run = tmp_path_factory.mktemp("run")
    config = AETrainConfig(
        sources=["fixture"], hidden=[64, 32], lr=3e-3, steps=250, minutes=0, run=str(run)
    )
    config.progress = False
    model, metrics = train_one(config, 8, train_view, held_view, 0, torch.device("cpu"))
    return model, metrics, run / "ae-d8.safetensors"


def test_mover_view_and_error_measures_on_a_hand_made_case():
    boards = np.array([[0, 1, 2, 1], [0, 1, 2, 1]], np.uint8)
    view = mover_view(boards, np.array([1, 2]))
    assert view.tolist() == [[0, 1, 2, 1], [0, 2, 1, 2]]
    own = np.array([[0.0, 1.0, 0.0, 0.4]])
    opp = np.array([[0.0, 0.0, 1.0, 0.5]])
    err = reconstruction_errors(view[:1], own, opp)
    # Squared errors: own 0.36 and opponent 0.25 at the last point, over 4 points and 2 planes.
    assert err["mse"] == pytest.approx((0.36 + 0.25) / 8)
    # The last point reads (0.1, 0.4, 0.5): opponent, but it is the mover's stone.
    assert err["point_error"] == pytest.approx(0.25)


def test_symmetries_are_the_eight_distinct_board_maps():
    board = np.arange(9)
    images = {tuple(apply_symmetry(board, s)) for s in range(8)}
    assert len(images) == 8
    assert apply_symmetry(board, 1).reshape(3, 3).tolist() == np.rot90(board.reshape(3, 3)).tolist()
    src = symmetry_sources(3)
    assert all(sorted(src[s]) == list(range(9)) for s in range(8))


def test_pca_error_falls_with_dimensions_and_is_exact_at_full_size(views):
    train_view, held_view = views
    pca = PCA.fit(train_view)
    assert pca.max_dims == 2 * 81
    mse = [pca.errors(held_view, d)["mse"] for d in (0, 2, 8, 32, 162)]
    assert all(a > b for a, b in zip(mse, mse[1:], strict=False))
    full = pca.errors(held_view, 162)
    assert full["mse"] < 1e-12 and full["point_error"] == 0.0
    own, opp = pca.decode(pca.encode(held_view[:5], 162))
    assert np.allclose(own, held_view[:5] == 1) and np.allclose(opp, held_view[:5] == 2)


def test_autoencoder_beats_chance_and_the_mean_board(views, trained):
    _, held_view = views
    _, metrics, _ = trained
    mean = PCA.fit(views[0]).errors(held_view, 0)
    assert metrics["point_error"] < 0.5 * (2 / 3)  # guessing among three states
    assert metrics["mse"] < 0.6 * mean["mse"]
    assert metrics["point_error"] < 0.6 * mean["point_error"]


def test_checkpoint_round_trips_and_bad_files_name_themselves(views, trained, tmp_path):
    model, metrics, path = trained
    again, data = load_autoencoder(path)
    x = views[1][:50]
    assert np.array_equal(encode_views(model, x), encode_views(again, x))
    assert autoencoder_errors(again, views[1])["mse"] == pytest.approx(metrics["mse"])
    assert data["steps"] == 250 and data["metrics"]["mse"] == pytest.approx(metrics["mse"])
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        load_autoencoder(bad)
    with pytest.raises(CheckpointError, match="no such"):
        load_autoencoder(tmp_path / "missing.safetensors")


def _member(archive, index: int) -> bytes:
    with tarfile.open(archive) as tf:
        return tf.extractfile(f"games/{index:04d}.sgf").read()


def _turned(data: bytes, symmetry: int, moves: int) -> bytes:
    """The record's first `moves` moves under a board symmetry."""
    game = read_sgf(data)
    inverse = np.argsort(symmetry_sources(game.size)[symmetry])  # old point -> new point
    g = Game(game.size, Rules.named("japanese"))
    for action, colour in game.moves[:moves]:
        g.play(int(inverse[action]) if action < game.size**2 else action, colour)
    return write_sgf(g)


def test_similar_finds_the_position_itself_also_rotated(archive, trained):
    model, _, _ = trained
    index = build_index(model, archive, key="k", progress=False)
    assert len(index.names) == 60 and len(index) == 60 * 41  # after 0..40 moves
    game = read_sgf(_member(archive, 7))
    for symmetry in (0, 1, 6):
        g = read_sgf(_turned(_member(archive, 7), symmetry, 25))
        q = Game(9, Rules.named("japanese"))
        for a, c in g.moves:
            q.play(a, c)
        found = search(index, model, q.board().reshape(-1), q.to_play, top=3)
        best = found[0]
        assert best.game_name == "games/0007.sgf" and best.move == 25
        assert best.distance < 1e-5 and best.differing == 0
        assert len({m.game_name for m in found}) == 3  # one position a game by default
    assert game.result == "W+R"


def test_cli_trains_writes_the_record_and_answers_similar(archive, tmp_path, capsys):
    run, results = tmp_path / "run", tmp_path / "results"
    argv = ["train", "autoencoder", "--data", str(archive), "--dims", "2,8", "--hidden", "32,16"]
    argv += ["--steps", "40", "--minutes", "0", "--lr", "3e-3", "--run", str(run)]
    argv += ["--results", str(results), "--threads", "1", "--quiet", "--pca-dims", "4"]
    assert main(argv) == 0
    record = json.loads((results / "autoencoder-9.json").read_text())
    assert record["kind"] == "autoencoder" and record["board_size"] == 9
    m = record["metrics"]
    for key in ("ae_mse_d2", "pca_mse_d2", "ae_point_error_d8", "pca_point_error_d8", "pca_mse_d4"):
        assert 0.0 <= m[key] < 1.0
    assert m["pca_mse_d8"] < m["pca_mse_d2"] < m["mean_mse"]
    assert (results / "autoencoder-9-maps.png").stat().st_size > 10_000
    assert (results / "autoencoder-9-errors.png").is_file()
    assert (run / "ae-d2.safetensors").is_file() and (run / "ae-d8.safetensors").is_file()

    query = tmp_path / "q.sgf"
    query.write_bytes(_turned(_member(archive, 3), 2, 40))
    capsys.readouterr()
    argv = ["similar", str(query), "--collection", str(archive), "--model", str(run)]
    assert main([*argv, "--top", "3", "--move", "30"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[3]
    assert "games/0003.sgf" in first and "rotated 180" in first and " 30 " in first
    assert "built now" in out and "ae-d8.safetensors" in out
    assert main([*argv, "--top", "3", "--move", "30", "--show", "0"]) == 0
    out = capsys.readouterr().out
    assert "built now" not in out and "games/0003.sgf" in out.splitlines()[3]

    assert main([*argv[:4], "--model", str(tmp_path / "nothing")]) == 2
    assert "nothing" in capsys.readouterr().err
