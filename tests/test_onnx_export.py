"""ONNX export (training/onnx_export.py, `go-engine export`), the ONNX Runtime evaluator, and
the network evaluators' options (half precision on CUDA, random board symmetry)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from go_engine.evaluator import SymmetryEvaluator, inverse_transform_planes, transform_planes
from training.checkpoint import save_checkpoint
from training.nets import NetConfig, PolicyValueNet
from training.torch_evaluator import TorchEvaluator

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from training.onnx_export import (  # noqa: E402
    OnnxEvaluator,
    export_onnx,
    onnx_metadata,
    verify_onnx,
)


def _net(arch: str = "resnet", size: int = 9, planes: int = 17) -> PolicyValueNet:
    torch.manual_seed(0)
    config = NetConfig(
        board_size=size,
        in_planes=planes,
        blocks=2,
        channels=8,
        value_hidden=16,
        arch=arch,
        ownership_head=True,
        score_head=True,
    )
    return PolicyValueNet(config).eval()


def _planes(b: int, config: NetConfig, seed: int = 1) -> np.ndarray:
    n = config.board_size
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, size=(b, config.in_planes, n, n)).astype(np.float32)


@pytest.mark.parametrize(("arch", "size", "planes"), [("resnet", 9, 17), ("plain", 7, 21)])
def test_onnx_outputs_equal_torch(tmp_path: Path, arch: str, size: int, planes: int) -> None:
    net = _net(arch, size, planes)
    path = tmp_path / "net.onnx"
    report = export_onnx(net, path)
    assert path.is_file() and report["bytes"] == path.stat().st_size
    assert report["max_abs_diff"]["policy"] < 1e-3 and report["max_abs_diff"]["value"] < 1e-3
    meta = onnx_metadata(path)
    assert meta["net_config"] == net.config.to_dict() and meta["board_size"] == size
    # Dynamic batch axis: any batch size runs and matches torch.
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for b in (1, 5, 16):
        x = _planes(b, net.config, seed=b)
        logits, value = session.run(["policy", "value"], {"planes": x})
        with torch.no_grad():
            want_logits, want_value = net(torch.from_numpy(x))
        assert logits.shape == (b, size * size + 1) and value.shape == (b,)
        np.testing.assert_allclose(logits, want_logits.numpy(), atol=1e-4, rtol=1e-4)
        np.testing.assert_allclose(value, want_value.numpy(), atol=1e-5, rtol=1e-4)
    assert verify_onnx(path, net, batch_sizes=(2,))["policy"] < 1e-3


def test_verify_catches_a_different_net(tmp_path: Path) -> None:
    from training.onnx_export import OnnxMismatchError

    path = tmp_path / "net.onnx"
    export_onnx(_net(), path)
    torch.manual_seed(5)
    other = PolicyValueNet(_net().config).eval()
    with pytest.raises(OnnxMismatchError, match="differs from torch"):
        verify_onnx(path, other)


def test_onnx_evaluator_matches_torch_evaluator() -> None:
    net = _net()
    ev = OnnxEvaluator.from_net(net)
    tv = TorchEvaluator(net, device="cpu")
    assert ev.features == tv.features == "agz" and ev.board_size == 9 and ev.network
    x = _planes(6, net.config)
    p1, v1 = ev.evaluate(x)
    p2, v2 = tv.evaluate(x)
    assert p1.dtype == np.float32 and p1.shape == (6, 82) and v1.shape == (6,)
    np.testing.assert_allclose(p1.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(p1, p2, atol=1e-5)
    np.testing.assert_allclose(v1, v2, atol=1e-5)
    empty_p, empty_v = ev.evaluate(x[:0])
    assert empty_p.shape == (0, 82) and empty_v.shape == (0,)
    with pytest.raises(ValueError, match="shape"):
        ev.evaluate(x[:, :5])


def test_onnx_evaluator_drives_the_search() -> None:
    from go_engine.search import Search, SearchConfig
    from go_engine.state import new_state

    ev = OnnxEvaluator.from_net(_net())
    result = Search(ev, 9, SearchConfig(batch_size=4, seed=1)).run(new_state(9), visits=24)
    assert result.simulations >= 24


def test_export_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from go_engine_cli import export_cmd

    ckpt = tmp_path / "net.safetensors"
    save_checkpoint(ckpt, _net())
    out = tmp_path / "net.onnx"
    parser = argparse.ArgumentParser()
    export_cmd.add_arguments(parser)
    assert export_cmd.run(parser.parse_args(["--onnx", str(out), "--model", str(ckpt)])) == 0
    assert "onnxruntime matches torch" in capsys.readouterr().out
    assert OnnxEvaluator(out).config == _net().config
    args = parser.parse_args(["--onnx", str(out), "--model", str(ckpt), "--json"])
    assert export_cmd.run(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["board_size"] == 9 and report["max_abs_diff"]["value"] < 1e-3
    bad = parser.parse_args(["--onnx", str(tmp_path / "x.onnx"), "--model", str(tmp_path / "no")])
    assert export_cmd.run(bad) == 1
    assert "no such checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()


def test_export_writes_a_shipping_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from go_engine_cli import export_cmd
    from training.checkpoint import load_checkpoint, optimizer_path, read_metadata

    net = _net()
    ckpt = tmp_path / "gen.safetensors"
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    save_checkpoint(
        ckpt, net, step=7, metrics={"loss": 1.5}, info={"generation": "3"}, optimizer=opt
    )
    out = tmp_path / "ship.safetensors"
    parser = argparse.ArgumentParser()
    export_cmd.add_arguments(parser)
    argv = ["--model", str(ckpt), "--safetensors", str(out), "--half"]
    argv += ["--info", "command=go-engine train loop", "--metric", "wins=0.97"]
    assert export_cmd.run(parser.parse_args(argv)) == 0
    assert "float16" in capsys.readouterr().out
    meta = read_metadata(out)
    assert meta["dtype"] == "float16" and meta["step"] == 7 and "optimizer" not in meta
    assert meta["info"] == {
        "generation": "3",
        "exported_from": str(ckpt),
        "command": "go-engine train loop",
    }
    assert meta["metrics"] == {"loss": 1.5, "wins": 0.97}
    assert not optimizer_path(out).exists()
    back = load_checkpoint(out).net
    x = torch.from_numpy(_planes(4, net.config))
    with torch.no_grad():
        torch.testing.assert_close(back(x)[1], net.eval()(x)[1], atol=2e-2, rtol=0)
    for bad in (["--metric", "wins=many"], ["--info", "novalue"]):
        assert export_cmd.run(parser.parse_args([*argv[:4], *bad])) == 1
        assert bad[1] in capsys.readouterr().err
    assert export_cmd.run(parser.parse_args(["--model", str(ckpt)])) == 2


# ---------------------------------------------------------------- evaluator options


def test_random_symmetry_composes_with_torch_evaluator() -> None:
    """`SymmetryEvaluator(TorchEvaluator(net))` is the random-symmetry option: each position is
    evaluated under one of the eight symmetries and the priors are mapped back."""
    net = _net()
    tv = TorchEvaluator(net, device="cpu")
    sym = SymmetryEvaluator(tv, mode="random", seed=3)
    assert sym.features == "agz" and sym.network and sym.rollout_weight == 0.0
    x = _planes(8, net.config)
    priors, values = sym.evaluate(x)
    assert priors.shape == (8, 82) and values.shape == (8,)
    np.testing.assert_allclose(priors.sum(axis=1), 1.0, atol=1e-5)
    # Each answer is the net's answer for some symmetry of that position, mapped back.
    for i in range(8):
        found = False
        for s in range(8):
            p, v = tv.evaluate(transform_planes(x[i : i + 1], s).copy())
            board = inverse_transform_planes(p[0, :81].reshape(9, 9), s).reshape(-1)
            if np.allclose(board, priors[i, :81], atol=1e-5) and np.isclose(v[0], values[i]):
                found = True
                break
        assert found, i
    avg_p, _ = SymmetryEvaluator(tv, mode="average").evaluate(x[:2])
    np.testing.assert_allclose(avg_p.sum(axis=1), 1.0, atol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("graphs", [False, True])
def test_half_precision_on_cuda(graphs: bool) -> None:
    net = _net()
    full = TorchEvaluator(net, device="cpu")
    half = TorchEvaluator(net, device="cuda", half=True, cuda_graphs=graphs)
    assert half.half and next(half.net.parameters()).dtype == torch.float16
    for b in (1, 7):
        x = _planes(b, net.config, seed=b)
        p16, v16 = half.evaluate(x)
        p32, v32 = full.evaluate(x)
        assert p16.dtype == np.float32 and p16.shape == p32.shape
        np.testing.assert_allclose(p16, p32, atol=2e-3)
        np.testing.assert_allclose(v16, v32, atol=2e-2)


def test_half_is_ignored_on_the_cpu() -> None:
    ev = TorchEvaluator(_net(), device="cpu", half=True)
    assert not ev.half and next(ev.net.parameters()).dtype == torch.float32
