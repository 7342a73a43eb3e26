"""`go-engine bench nn` in a tiny configuration: it runs and its rows have the right fields
(speed itself is measured by the command, never by tests)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import torch

from go_engine_cli import bench_cmd
from go_engine_cli.bench_nn import parse_shape
from training.checkpoint import save_checkpoint
from training.nets import NetConfig, PolicyValueNet

TINY = ["--batch", "1", "--batch", "3", "--repeats", "1", "--seconds", "0.02"]
TINY += ["--search-batch", "2", "--device", "cpu", "--threads", "1"]
RAW_FIELDS = {"engine", "device", "precision", "batch", "positions_per_s", "ms_per_batch", "runs"}


def _bench(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    parser = argparse.ArgumentParser()
    bench_cmd.add_arguments(parser)
    assert bench_cmd.run(parser.parse_args(["nn", *argv, "--json"])) == 0
    return json.loads(capsys.readouterr().out)


def test_bench_nn_random_net_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("GO_ENGINE_CACHE", str(tmp_path))
    pytest.importorskip("onnx")
    result = _bench(["--random", "1x8", "--size", "9", *TINY], capsys)
    assert result["source"] == "random" and "random networks" in result["note"]
    assert {"cpu", "cores", "torch", "onnxruntime", "threads"} <= set(result["machine"])
    (row,) = result["networks"]
    assert row["board_size"] == 9 and (row["blocks"], row["channels"]) == (1, 8)
    assert row["arch"] == "resnet" and row["features"] == "agz" and row["parameters"] > 0
    engines = [("torch", "float32"), ("onnxruntime", "float32"), ("onnxruntime", "int8")]
    assert {(r["engine"], r["precision"], r["batch"]) for r in row["raw"]} == {
        (e, p, b) for e, p in engines for b in (1, 3)
    }
    assert list(tmp_path.glob("int8/*.onnx"))  # the int8 copy was made (and cached)
    for r in row["raw"]:
        assert set(r) == RAW_FIELDS and r["positions_per_s"] > 0 and len(r["runs"]) == 1
    assert {(r["precision"], r["batch"]) for r in row["onnx_vs_torch"]} == {
        (p, b) for p in ("float32", "int8") for b in (1, 3)
    }
    assert all(r["onnx_over_torch"] > 0 for r in row["onnx_vs_torch"])
    (search,) = row["search"]
    assert search["engine"] == "torch" and search["batch"] == 2
    assert search["search_visits_per_s"] > 0 and search["raw_positions_per_s"] > 0
    assert search["ratio"] == pytest.approx(
        search["search_visits_per_s"] / search["raw_positions_per_s"]
    )


def test_bench_nn_given_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    path = tmp_path / "tiny.safetensors"
    config = NetConfig(board_size=7, in_planes=21, blocks=1, channels=4, arch="plain")
    save_checkpoint(path, PolicyValueNet(config))
    result = _bench(["--model", str(path), "--no-onnx", "--no-search", *TINY], capsys)
    assert result["source"] == "model" and result["note"] == ""
    (row,) = result["networks"]
    assert row["path"] == str(path) and row["file_bytes"] == path.stat().st_size
    assert row["arch"] == "plain" and row["features"] == "extended"
    assert [r["engine"] for r in row["raw"]] == ["torch", "torch"]
    assert row["onnx_vs_torch"] == [] and "search" not in row


def test_bench_nn_table(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    bench_cmd.add_arguments(parser)
    args = parser.parse_args(["nn", "--random", "0x4", "--size", "5", "--no-onnx", *TINY])
    assert bench_cmd.run(args) == 0
    out = capsys.readouterr().out
    assert "machine:" in out and "torch cpu float32" in out and "search (torch" in out


def test_parse_shape() -> None:
    assert parse_shape("6x64") == (6, 64) and parse_shape("10X128") == (10, 128)
    with pytest.raises(ValueError, match="6x64"):
        parse_shape("big")
