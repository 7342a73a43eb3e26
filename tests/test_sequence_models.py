"""The sequence baselines: the LSTM next-move model (training.lstm_moves) and the seq2seq model
that writes the next k moves (training.seq2seq_moves), with their commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from go_engine_cli.main import main
from tests.game_fixtures import write_archive
from training.baseline_data import DataConfig, load_split
from training.checkpoint import CheckpointError
from training.lstm_moves import (
    LSTMConfig,
    MoveLSTM,
    SampleConfig,
    accuracy_figures,
    legality_figures,
    load_lstm,
    sample_games,
)
from training.lstm_moves import evaluate as evaluate_lstm
from training.module_checkpoint import save_module
from training.seq2seq_moves import (
    MoveSeq2Seq,
    Seq2SeqConfig,
    continuations,
    decoder_inputs,
    game_at,
    load_seq2seq,
    predict_all,
    pv_agreement,
    step_accuracy,
)
from training.seq2seq_moves import evaluate as evaluate_seq2seq
from training.sequence_models import IGNORE, pad_games, split_dev

torch.set_num_threads(1)
CHANCE = 1 / 82  # one of 81 points and pass


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    return write_archive(tmp_path_factory.mktemp("seq") / "games.tar.gz", size=9, games=60)


@pytest.fixture(scope="module")
def split(archive):
    return load_split(DataConfig([str(archive)], 9))


def small_args(kind: str, archive: Path, tmp: Path, *extra: str) -> list[str]:
    return [
        "train",
        kind,
        "--data",
        str(archive),
        "--board",
        "9",
        "--layers",
        "1",
        "--hidden",
        "64",
        "--embed",
        "32",
        "--batch",
        "16",
        "--lr",
        "0.01",
        "--minutes",
        "0",
        "--eval-every",
        "25",
        "--run",
        str(tmp / "run"),
        "--results",
        str(tmp / "results"),
        "--no-progress",
        *extra,
    ]


# ----------------------------------------------------------------------------- shared pieces


def test_pad_games_shifts_inputs_and_masks_padding():
    inputs, targets, lengths = pad_games([np.array([5, 6, 7]), np.array([9])], board_size=3)
    start = 10  # 3*3 + 1
    assert inputs.tolist() == [[start, 5, 6], [start, start, start]]
    assert targets.tolist() == [[5, 6, 7], [9, IGNORE, IGNORE]]
    assert lengths.tolist() == [3, 1]
    _, cut, _ = pad_games([np.array([5, 6, 7])], board_size=3, max_len=2)
    assert cut.tolist() == [[5, 6]]


def test_split_dev_keeps_games_apart():
    games = [np.array([i, i + 1]) for i in range(20)]
    train, dev = split_dev(games, 0.1, seed=1)
    assert len(dev) == 2 and len(train) == 18
    assert {int(g[0]) for g in train}.isdisjoint({int(g[0]) for g in dev})


# ----------------------------------------------------------------------------- LSTM


def test_accuracy_figures_on_a_hand_made_case():
    logits = torch.zeros(3, 5)
    logits[0, 2] = 3.0  # right
    logits[1, 0], logits[1, 1] = 3.0, 2.0  # wrong, target second
    logits[2, 4] = 1.0  # padding row: not counted
    targets = torch.tensor([2, 1, IGNORE])
    boards = np.array([[0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]])  # point 0 taken before move 1
    figures = accuracy_figures(logits, targets, boards)
    assert figures["top1"] == 0.5
    assert figures["top5"] == 1.0
    assert figures["top1_empty_points"] == 1.0  # point 0 masked: the target comes first


def scripted_step(scripts: list[list[tuple[int, int]]], n2: int):
    """A stand-in model: at call t game i proposes scripts[i][t] = (first, second choice)."""
    calls = [0]

    def step(tokens: torch.Tensor, state):
        t = calls[0]
        calls[0] += 1
        logits = torch.zeros(len(scripts), n2 + 1)
        for i, script in enumerate(scripts):
            first, second = script[t]
            logits[i, second] = 5.0
            logits[i, first] = 10.0
        return logits, state

    return step


def test_sampling_legality_figures_on_a_hand_made_case():
    scripts = [
        # occupied twice: moves 1 and 3 repeat the move before; fallbacks 41 and 31
        [(40, 41), (40, 41), (30, 31), (30, 31), (50, 50), (60, 60)]
        + [(m, m) for m in (70, 71, 72, 73)],
        # W at 0 between black 1 and 9 is suicide (fallback 79)
        [
            (1, 1),
            (80, 80),
            (9, 9),
            (0, 79),
            (20, 20),
            (21, 21),
            (62, 62),
            (63, 63),
            (64, 64),
            (65, 65),
        ],
        # all legal
        [(m, m) for m in (2, 3, 4, 5, 6, 7, 8, 11, 12, 13)],
        # black 11 captures white 10; white retaking at 10 is ko (fallback 70)
        [(m, m) for m in (1, 2, 9, 12, 19, 20, 80, 10, 11)] + [(10, 70)],
    ]
    games = sample_games(
        scripted_step(scripts, 81), 9, SampleConfig(games=4, max_moves=10, temperature=0)
    )
    assert [s.samples for s in games] == [10, 10, 10, 10]
    assert [s.illegal for s in games] == [2, 1, 0, 1]
    assert [s.moves_to_first_illegal for s in games] == [1, 3, 10, 9]
    assert games[0].reasons == {"occupied": 2} and games[1].reasons == {"suicide": 1}
    assert games[3].reasons == {"ko": 1}
    played = [m for m, _ in games[0].game.moves]
    assert played[:4] == [40, 41, 30, 31]  # the fallbacks were played
    f = legality_figures(games)
    assert f["sample_legal_share"] == pytest.approx(36 / 40)
    assert f["sample_moves_to_first_illegal_mean"] == pytest.approx(23 / 4)
    assert f["sample_moves_to_first_illegal_median"] == pytest.approx(6.0)
    assert f["sample_games_all_legal"] == pytest.approx(0.25)
    assert f["sample_illegal_occupied"] == pytest.approx(2 / 40)
    assert f["sample_illegal_suicide"] == pytest.approx(1 / 40)
    assert f["sample_illegal_ko"] == pytest.approx(1 / 40)


def test_sampling_stops_at_two_passes():
    scripts = [[(81, 81)] * 5]
    games = sample_games(scripted_step(scripts, 81), 9, SampleConfig(games=1, temperature=0))
    assert games[0].samples == 2 and games[0].game.is_over()


def test_lstm_checkpoint_round_trip_and_errors(tmp_path):
    model = MoveLSTM(LSTMConfig(board_size=9, layers=2, hidden=16, embed=8)).eval()
    path = tmp_path / "lstm.safetensors"
    save_module(path, model, "lstm", {"board_size": 9, "layers": 2, "hidden": 16, "embed": 8})
    loaded, record = load_lstm(path)
    tokens = torch.randint(0, 83, (2, 7))
    with torch.no_grad():
        assert torch.equal(model(tokens)[0], loaded(tokens)[0])
    assert record["kind"] == "lstm"
    with pytest.raises(CheckpointError, match="nothing.safetensors"):
        load_lstm(tmp_path / "nothing.safetensors")
    with pytest.raises(CheckpointError, match="expected 'seq2seq'"):
        load_seq2seq(path)


def test_lstm_cli_learns_patterned_games(archive, split, tmp_path, capsys):
    args = small_args("lstm", archive, tmp_path, "--steps", "200", "--sample-games", "20")
    args += ["--write-samples", str(tmp_path / "sgf")]
    assert main(args) == 0
    record = json.loads((tmp_path / "results" / "lstm-9.json").read_text())
    m = record["metrics"]
    assert record["kind"] == "accuracy" and record["model"] == "LSTM (1x64)"
    assert m["top1"] > 0.3 and m["top1"] > 20 * CHANCE
    assert m["top5"] >= m["top1"]
    assert m["held_out_positions"] == len(split.held_out)
    assert m["sample_games"] == 20 and 0 < m["sample_legal_share"] <= 1
    assert len(list((tmp_path / "sgf").glob("*.sgf"))) == 20
    assert (tmp_path / "results" / "lstm-9.png").exists()
    # The checkpoint gives the same figures after reloading.
    model, ck = load_lstm(tmp_path / "run" / "lstm.safetensors")
    again = evaluate_lstm(model, split.held_out.sequences(), split.held_out.positions.boards)
    assert again["top1"] == pytest.approx(m["top1"])
    assert ck["data"]["steps"] == 200
    # --resume continues from it.
    capsys.readouterr()
    assert main(args[:-2] + ["--steps", "10", "--sample-games", "0", "--resume"]) == 0
    _, ck = load_lstm(tmp_path / "run" / "lstm.safetensors")
    assert ck["data"]["steps"] == 210


def test_cli_names_a_missing_data_file(tmp_path, capsys):
    missing = tmp_path / "none.tar.gz"
    assert main(small_args("lstm", missing, tmp_path, "--steps", "1")) == 2
    assert "none.tar.gz" in capsys.readouterr().err


# ----------------------------------------------------------------------------- seq2seq


def test_step_accuracy_on_a_hand_made_case():
    predicted = np.array([[1, 2, 3], [1, 5, 6], [7, 2, 9]])
    targets = np.array([[1, 2, 3], [1, 2, IGNORE], [0, 2, IGNORE]])
    shares, counts = step_accuracy(predicted, targets)
    assert shares == pytest.approx([2 / 3, 2 / 3, 1.0])
    assert counts == [3, 3, 1]


def test_pv_agreement_on_a_hand_made_case():
    decoded = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    f = pv_agreement(decoded, [[1, 2, 0], [5]])
    assert f["pv_agreement_1"] == 1.0 and f["pv_agreement_positions_1"] == 2
    assert f["pv_agreement_2"] == 1.0 and f["pv_agreement_positions_2"] == 1
    assert f["pv_agreement_3"] == 0.0
    assert f["pv_agreement_positions_4"] == 0 and np.isnan(f["pv_agreement_4"])


def test_continuations_and_decoder_inputs():
    targets = continuations([np.array([1, 2, 3]), np.array([4])], k=2, width=3)
    x = IGNORE
    assert targets.tolist() == [[[1, 2], [2, 3], [3, x]], [[4, x], [x, x], [x, x]]]
    start = 82
    assert decoder_inputs(targets[0], 9).tolist() == [[start, 1], [start, 2], [start, 3]]
    assert decoder_inputs(targets[1], 9).tolist() == [[start, 4], [start, start], [start, start]]


def test_seq2seq_positions_line_up_with_prefixes(split):
    """Batched decoding over whole games equals decoding each prefix on its own."""
    torch.manual_seed(0)
    model = MoveSeq2Seq(Seq2SeqConfig(board_size=9, k=3, layers=2, hidden=16, embed=8)).eval()
    games = split.held_out.sequences()[:3]
    moves, targets, _ = predict_all(model, games)
    row = 0
    for g in games:
        for t in (0, len(g) // 2, len(g) - 1):
            inputs, _, _ = pad_games([np.append(g[:t], 0)], 9)
            with torch.no_grad():
                own, _ = model.greedy(model.encode(inputs)[:, t])
            assert moves[row + t].tolist() == own[0].tolist()
            assert targets[row + t, 0] == g[t]
        row += len(g)


def test_game_at_replays_the_position(split):
    part = split.held_out
    for i in (0, 7, len(part) - 1):
        g, t = int(part.positions.game[i]), int(i - part.positions.first[i])
        game = game_at(part.records, g, t)
        assert game.board().reshape(-1).tolist() == part.positions.boards[i].tolist()
        assert game.to_play == part.positions.to_play[i]


def test_seq2seq_cli_learns_patterned_games(archive, split, tmp_path):
    args = small_args("seq2seq", archive, tmp_path, "--steps", "150", "--k", "3")
    args += ["--pv-positions", "6", "--pv-visits", "32", "--pv-source", "mcts"]
    assert main(args) == 0
    record = json.loads((tmp_path / "results" / "seq2seq-9.json").read_text())
    m = record["metrics"]
    assert record["model"] == "Seq2seq LSTM (1x64, k=3)"
    assert m["top1"] == m["step_accuracy_1"]
    for j in (1, 2, 3):
        assert m[f"step_accuracy_{j}"] > 0.3
    assert m["step_positions_3"] < m["step_positions_1"] == len(split.held_out)
    assert m["pv_positions"] == 6 and m["pv_agreement_positions_1"] == 6
    assert 0 <= m["pv_agreement_1"] <= 1
    model, _ = load_seq2seq(tmp_path / "run" / "seq2seq.safetensors")
    again = evaluate_seq2seq(model, split.held_out.sequences())
    assert again["step_accuracy_2"] == pytest.approx(m["step_accuracy_2"])
