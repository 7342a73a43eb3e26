"""The shared split of the baseline models, the result store and module checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.game_fixtures import write_archive
from training.baseline_data import DataConfig, held_out_only, load_split
from training.checkpoint import CheckpointError
from training.module_checkpoint import load_into, read_record, save_module
from training.results_store import read_results, write_result
from training.split import is_validation


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return write_archive(tmp_path_factory.mktemp("d") / "g.tar.gz", games=60, moves=30)


def test_split_is_by_game_and_matches_the_project_rule(archive):
    split = load_split(DataConfig([str(archive)], 9, fraction=0.2))
    assert split.report["skipped"] == {"unreadable": 1}
    train = set(split.train.records.names)
    held = set(split.held_out.records.names)
    assert train and held and not train & held
    assert all(is_validation(n, 0.2) for n in held)
    assert not any(is_validation(n, 0.2) for n in train)
    assert len(split.train) == 30 * len(train)
    seqs = split.train.sequences()
    assert len(seqs) == len(train) and all(len(s) == 30 for s in seqs)
    # The sequences are the moves the positions were replayed with.
    assert np.array_equal(np.concatenate(seqs), split.train.positions.actions)


def test_position_limit_takes_whole_games_and_is_exact(archive):
    a = load_split(DataConfig([str(archive)], 9, fraction=0.2, max_train_positions=95, seed=1))
    b = load_split(DataConfig([str(archive)], 9, fraction=0.2, max_train_positions=95, seed=1))
    assert len(a.train) == 95 and a.train.records.names == b.train.records.names
    held = held_out_only([str(archive)], 9)
    assert len(held) > 0


def test_result_store_round_trips(tmp_path):
    write_result("m-9", "accuracy", "M", 9, {"top1": 0.25}, tmp_path, train_positions=10)
    (rec,) = read_results(tmp_path)
    assert rec["metrics"] == {"top1": 0.25} and rec["train_positions"] == 10
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="bad.json"):
        read_results(tmp_path)


def test_module_checkpoint_round_trips_and_names_problems(tmp_path):
    net = torch.nn.Linear(3, 2)
    path = tmp_path / "m.safetensors"
    save_module(path, net, "toy", {"inputs": 3}, metrics={"top1": 0.5})
    state, rec = read_record(path, "toy")
    other = torch.nn.Linear(3, 2)
    load_into(path, other, state)
    assert torch.equal(other.weight, net.weight) and rec.config == {"inputs": 3}
    with pytest.raises(CheckpointError, match="expected 'gan'"):
        read_record(path, "gan")
    with pytest.raises(CheckpointError, match="shape"):
        load_into(path, torch.nn.Linear(4, 2), state)
    (tmp_path / "junk.safetensors").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match="junk.safetensors"):
        read_record(tmp_path / "junk.safetensors")
