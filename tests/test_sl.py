"""Supervised learning: game records, replay, AGZ planes in torch, symmetries, the trainer
(checkpoints, logs, resume) and the policy evaluation, on games the tests make themselves."""

from __future__ import annotations

import argparse
import csv
import io
import tarfile

import numpy as np
import pytest
import torch

from go_engine.features import agz_planes
from go_engine.game import Game
from go_engine.rules import Rules
from go_engine.sgf_io import read_sgf, replay, write_sgf
from go_engine.state import BLACK, WHITE
from training.checkpoint import load_checkpoint
from training.game_records import (
    GameRecords,
    ReadReport,
    RecordsError,
    iter_games,
    parse_result,
    replay_positions,
)
from training.nets import NetConfig, PolicyValueNet
from training.sl_data import DevicePositions, agz_features, apply_symmetries, symmetry_tables
from training.sl_train import SLConfig, train_sl
from training.split import is_validation

CPU = torch.device("cpu")


def random_game(size: int, moves: int, seed: int, handicap: int = 0) -> Game:
    rng = np.random.default_rng(seed)
    g = Game(size, Rules.named("japanese"))
    if handicap:
        for a in (size + 2, 3 * size - 3)[:handicap]:
            g.place_setup(a, BLACK)
        g.set_to_play(WHITE)
    for _ in range(moves):
        legal = np.flatnonzero(g.legal_moves()[: size * size])
        g.play(int(rng.choice(legal)) if len(legal) else g.pass_action)
    return g


def sgf_bytes(size: int, moves: int, seed: int, result: str = "B+R", handicap: int = 0) -> bytes:
    return write_sgf(random_game(size, moves, seed, handicap), result=result)


@pytest.fixture
def archive(tmp_path):
    """A .tar.gz of 24 random 9x9 games plus a 7x7 game, an unreadable file and a broken one."""
    path = tmp_path / "games.tar.gz"
    with tarfile.open(path, "w:gz") as tf:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))

        for i in range(24):
            result = ("B+R", "W+3.5", None, "Void")[i % 4]
            add(f"g/{i:03d}.sgf", sgf_bytes(9, 30 + i, i, result, handicap=2 if i == 5 else 0))
        add("g/small.sgf", sgf_bytes(7, 10, 99))
        add("g/garbage.sgf", b"(;GM[1]SZ[9];B[zz")
        # A record that reads but cannot be replayed: Black plays twice on the same point.
        add("g/illegal.sgf", b"(;GM[1]FF[4]SZ[9];B[cc];W[dd];B[cc])")
    return path


def test_parse_result():
    assert parse_result("B+R") == 1.0
    assert parse_result("w+0.5") == -1.0
    assert parse_result("0") == 0.0
    assert np.isnan(parse_result("Void")) and np.isnan(parse_result(None))


def test_iter_games_skips_and_counts(archive):
    report = ReadReport()
    games = list(iter_games([archive], 9, report))
    assert report.read == 27
    assert report.kept == len(games) == 25  # the illegal record is read; replay drops it
    assert report.skipped == {"unreadable": 1, "size 7": 1}
    with pytest.raises(FileNotFoundError, match="nowhere.tar.gz"):
        list(iter_games(["nowhere.tar.gz"], 9))


def test_replay_drops_illegal_games_and_matches_the_board(archive, tmp_path):
    games = list(iter_games([archive], 9))
    rec = GameRecords.from_games(9, games)
    rec.save(tmp_path / "r.npz")
    rec = GameRecords.load(tmp_path / "r.npz")
    pos = replay_positions(rec)
    names = rec.names
    assert not pos.ok[names.index("g/illegal.sgf")]
    assert pos.ok.sum() == len(games) - 1
    kept_moves = sum(len(g.moves) for n, g in games if n != "g/illegal.sgf")
    assert len(pos.actions) == kept_moves
    # Every position's board is the replayed game's board before that move.
    name, game = games[5]  # the handicap game
    rows = np.nonzero(pos.game == 5)[0]
    for m in (0, 1, 7, len(game.moves) - 1):
        g = replay(game, m, rules=Rules.named("japanese"))
        want = g.board().reshape(-1)
        assert np.array_equal(pos.boards[rows[m]], want)
        assert pos.actions[rows[m]] == game.moves[m][0]
        assert pos.first[rows[m]] == rows[0]


def test_bad_shard_names_the_file(tmp_path):
    bad = tmp_path / "train-00000.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(RecordsError, match="train-00000.npz"):
        GameRecords.load(bad)


def test_agz_features_equal_the_engine_planes(archive):
    games = list(iter_games([archive], 9))
    rec = GameRecords.from_games(9, games)
    pos = replay_positions(rec)
    data = DevicePositions(pos, rec, CPU)
    for gi in (0, 5, 11):
        rows = np.nonzero(pos.game == gi)[0]
        _, game = games[gi]
        for m in (0, 1, 2, 8, 9, len(game.moves) - 1):
            g = replay(game, m, rules=Rules.named("japanese"))
            g.set_to_play(game.moves[m][1])
            want = agz_planes(g.state)
            got = agz_features(data, torch.tensor([rows[m]]))[0].numpy()
            assert np.array_equal(got, want), (gi, m)


def test_value_targets_follow_the_result_and_the_mover(archive):
    games = list(iter_games([archive], 9))
    rec = GameRecords.from_games(9, games)
    pos = replay_positions(rec)
    data = DevicePositions(pos, rec, CPU)
    for gi, (_, game) in enumerate(games[:4]):
        rows = np.nonzero(pos.game == gi)[0]
        res = parse_result(game.result)
        for r in rows[:3]:
            mover_black = pos.to_play[r] == BLACK
            if np.isnan(res):
                assert data.value_mask[r] == 0.0
            else:
                assert data.value[r] == (res if mover_black else -res)


def test_symmetries_move_the_target_with_the_planes():
    n = 5
    tables = symmetry_tables(n)
    actions = torch.tensor([0, 7, 13, 24, n * n] * 8)
    syms = torch.arange(8).repeat_interleave(5)
    planes = torch.zeros(len(actions), 1, n, n)
    for i, a in enumerate(actions.tolist()):
        if a < n * n:
            planes[i, 0, a // n, a % n] = 1.0
    out, mapped = apply_symmetries(planes, actions, syms, tables)
    for i, a in enumerate(mapped.tolist()):
        if actions[i] == n * n:
            assert a == n * n and out[i].sum() == 0
        else:
            assert out[i, 0].flatten().argmax().item() == a
    # The 8 images of a corner-adjacent point are 8 distinct points.
    assert len(set(tables[0, :, 1].tolist())) == 8


def _config(tmp_path, archive, **kw) -> SLConfig:
    base = dict(
        run=str(tmp_path / "run"),
        data=[str(archive)],
        board_size=9,
        val_fraction=0.2,
        games_per_shard=6,
        blocks=1,
        channels=8,
        steps=8,
        batch_size=16,
        lr=0.02,
        eval_every=4,
        checkpoint_every=2,
        shards_per_group=2,
        device="cpu",
    )
    base.update(kw)
    return SLConfig(**base)


def test_train_sl_writes_checkpoint_logs_and_plots(tmp_path, archive):
    config = _config(tmp_path, archive)
    figures = train_sl(config, log=lambda *_: None)
    run = tmp_path / "run"
    ck = load_checkpoint(run / "checkpoints" / "latest.ckpt")
    assert ck.step == 8
    assert ck.net.config == config.net_config()
    assert 0.0 <= figures["val_top1"] <= figures["val_top5"] <= 1.0
    rows = list(csv.DictReader(open(run / "metrics.csv")))
    assert [float(r["step"]) for r in rows] == [4.0, 8.0]
    assert (run / "plots" / "accuracy.png").stat().st_size > 0
    # The split is by game: no validation game in a training shard.
    for p in (run / "shards").glob("train-*.npz"):
        assert not any(is_validation(n, 0.2) for n in GameRecords.load(p).names)
    for p in (run / "shards").glob("val-*.npz"):
        assert all(is_validation(n, 0.2) for n in GameRecords.load(p).names)


def test_resumed_run_equals_an_uninterrupted_one(tmp_path, archive):
    straight = _config(tmp_path / "a", archive)
    train_sl(straight, log=lambda *_: None)

    interrupted = _config(tmp_path / "b", archive)

    def kill(step: int) -> None:
        if step == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_sl(interrupted, log=lambda *_: None, on_step=kill)
    assert load_checkpoint(tmp_path / "b" / "run" / "checkpoints" / "latest.ckpt").step == 4
    train_sl(interrupted, log=lambda *_: None)
    a = load_checkpoint(tmp_path / "a" / "run" / "checkpoints" / "latest.ckpt").net.state_dict()
    b = load_checkpoint(tmp_path / "b" / "run" / "checkpoints" / "latest.ckpt").net.state_dict()
    for k in a:
        assert torch.allclose(a[k].float(), b[k].float(), atol=1e-6), k


def test_training_learns_a_fixed_opening(tmp_path):
    # Every game opens at the same point: a net must learn to predict it.
    folder = tmp_path / "games"
    folder.mkdir()
    for i in range(12):
        g = Game(9, Rules.named("japanese"))
        g.play(40)
        rng = np.random.default_rng(i)
        for _ in range(6):
            g.play(int(rng.choice(np.flatnonzero(g.legal_moves()[:81]))))
        write_sgf(g, folder / f"{i}.sgf", result="B+R")
    config = SLConfig(
        run=str(tmp_path / "run"),
        data=[str(folder)],
        board_size=9,
        val_fraction=0.0,
        blocks=1,
        channels=8,
        steps=60,
        batch_size=32,
        lr=0.05,
        eval_every=1000,
        checkpoint_every=1000,
        device="cpu",
    )
    train_sl(config, log=lambda *_: None)
    net = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.ckpt").net
    g = Game(9, Rules.named("japanese"))
    logits, _ = net(torch.from_numpy(agz_planes(g.state))[None])
    assert int(logits.argmax()) == 40


def test_eval_policy_counts_every_position(tmp_path, archive):
    from training.policy_eval import evaluate_games

    torch.manual_seed(0)
    net = PolicyValueNet(NetConfig(board_size=9, blocks=1, channels=8)).eval()
    figures = evaluate_games(net, [archive])
    games = [(n, g) for n, g in iter_games([archive], 9) if n != "g/illegal.sgf"]
    assert figures["positions"] == sum(len(g.moves) for _, g in games)
    assert figures["games"] == len(games) and figures["games_dropped"] == 1
    # Top-1 recomputed one position at a time through the engine's own planes.
    hits = total = 0
    with torch.no_grad():
        for _, game in games:
            for m in range(len(game.moves)):
                g = replay(game, m, rules=Rules.named("japanese"))
                g.set_to_play(game.moves[m][1])
                logits, _ = net(torch.from_numpy(agz_planes(g.state))[None])
                hits += int(int(logits.argmax()) == game.moves[m][0])
                total += 1
    assert figures["top1"] == pytest.approx(hits / total)
    held = evaluate_games(net, [archive], held_out=True, fraction=0.3)
    assert 0 < held["games"] < figures["games"]


def test_eval_policy_symmetry_average_matches_the_engine_evaluator(archive):
    """`symmetries=8` (torch turns and index tables) gives the figures of the engine's own
    `SymmetryEvaluator` (numpy transforms), position by position; channels-last changes
    nothing."""
    from go_engine.evaluator import SymmetryEvaluator
    from training.policy_eval import evaluate_games
    from training.torch_evaluator import TorchEvaluator

    torch.manual_seed(1)
    net = PolicyValueNet(NetConfig(board_size=9, blocks=1, channels=8)).eval()
    figures = evaluate_games(net, [archive], max_games=3, symmetries=8)
    plain = evaluate_games(net, [archive], max_games=3, symmetries=1)
    engine = SymmetryEvaluator(TorchEvaluator(net, device="cpu", fuse=False), mode="average")
    games = [g for n, g in iter_games([archive], 9) if n != "g/illegal.sgf"][:3]
    hits = total = loss = 0.0
    for game in games:
        for m in range(len(game.moves)):
            g = replay(game, m, rules=Rules.named("japanese"))
            g.set_to_play(game.moves[m][1])
            priors, _ = engine.evaluate(agz_planes(g.state)[None])
            hits += int(np.argmax(priors[0])) == game.moves[m][0]
            loss -= np.log(priors[0][game.moves[m][0]])
            total += 1
    assert figures["positions"] == plain["positions"] == total
    assert figures["top1"] == pytest.approx(hits / total)
    assert figures["policy_loss"] == pytest.approx(loss / total, rel=1e-4)
    # The average is a different figure from the single evaluation (this net is not symmetric)
    assert figures["policy_loss"] != pytest.approx(plain["policy_loss"], rel=1e-4)
    with pytest.raises(ValueError, match="symmetries"):
        evaluate_games(net, [archive], max_games=1, symmetries=4)


def test_eval_policy_record_uses_the_report_held_out_positions(tmp_path, archive):
    from go_engine_cli.main import main
    from training.baseline_data import held_out_only
    from training.checkpoint import save_checkpoint
    from training.results_store import read_results

    net = PolicyValueNet(NetConfig(board_size=9, blocks=1, channels=8)).eval()
    save_checkpoint(tmp_path / "n.safetensors", net)
    argv = ["eval", "policy", "--model", str(tmp_path / "n.safetensors"), "--games", str(archive)]
    argv += ["--record", "tiny-9", "--label", "tiny", "--results", str(tmp_path / "r")]
    assert main(argv) == 0
    (record,) = read_results(tmp_path / "r")
    assert record["model"] == "tiny" and record["kind"] == "accuracy"
    assert record["metrics"]["held_out_positions"] == len(held_out_only([str(archive)], 9))


def test_cli_errors_are_clear(tmp_path, capsys):
    from go_engine_cli import eval_policy

    p = argparse.ArgumentParser()
    eval_policy.add_arguments(p)
    args = p.parse_args(["--model", str(tmp_path / "none.ckpt"), "--games", str(tmp_path)])
    assert eval_policy.run(args) == 2
    assert "none.ckpt" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no --data"):
        train_sl(SLConfig(run=str(tmp_path / "empty"), board_size=9), log=lambda *_: None)


def test_read_sgf_of_written_fixture_round_trips():
    data = sgf_bytes(9, 12, 3, "W+R")
    game = read_sgf(data, name="x")
    assert game.result == "W+R" and len(game.moves) == 12


def test_extended_planes_equal_the_engine_planes(archive):
    from go_engine.features import extended_planes

    games = list(iter_games([archive], 9))
    rec = GameRecords.from_games(9, games[:8])
    pos = replay_positions(rec, "extended")
    assert pos.planes is not None and pos.planes.shape == (len(pos.actions), 21, 9, 9)
    for gi in (0, 5):
        rows = np.nonzero(pos.game == gi)[0]
        _, game = games[gi]
        for m in (0, 1, 6, len(game.moves) - 1):
            g = replay(game, m, rules=Rules.named("japanese"))
            g.set_to_play(game.moves[m][1])
            assert np.array_equal(pos.planes[rows[m]], extended_planes(g.state)), (gi, m)


def test_plain_net_on_extended_planes_trains_and_evaluates(tmp_path, archive):
    from training.policy_eval import evaluate_games

    config = _config(tmp_path, archive, arch="plain", features="extended", steps=4)
    figures = train_sl(config, log=lambda *_: None)
    assert 0.0 <= figures["val_top1"] <= 1.0
    net = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.ckpt").net
    assert net.config.arch == "plain" and net.config.in_planes == 21
    assert evaluate_games(net, [archive], max_games=3)["positions"] > 0
