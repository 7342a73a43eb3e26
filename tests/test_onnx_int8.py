"""Int8 copies of the networks (training.onnx_int8): close to float32, cached, and used by
players asked for --precision int8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")

from training.checkpoint import load_checkpoint  # noqa: E402
from training.network_evaluator import load_evaluator  # noqa: E402
from training.networks import shipped_network  # noqa: E402
from training.onnx_export import OnnxEvaluator, _session, export_onnx_bytes  # noqa: E402
from training.onnx_int8 import calibration_planes, int8_model  # noqa: E402

SL9 = shipped_network(9)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GO_ENGINE_CACHE", str(cache))
    return cache / "int8"


@pytest.fixture(scope="module")
def sl9_fp32() -> bytes:
    return export_onnx_bytes(load_checkpoint(SL9, torch.device("cpu")).net)


def _ops(model: bytes) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load_from_string(model).graph.node}


def test_calibration_positions_come_from_played_games(sl9_fp32: bytes) -> None:
    planes = calibration_planes(_session(sl9_fp32, 1, None), 9, "agz", positions=40, games=4)
    assert planes.shape == (40, 17, 9, 9) and planes.dtype == np.float32
    # own stones now and a move ago: none on the empty board first, many later
    stones = planes[:, :2].sum(axis=(1, 2, 3))
    assert stones[0] == 0 and stones[-1] > 10
    again = calibration_planes(_session(sl9_fp32, 1, None), 9, "agz", positions=40, games=4)
    assert np.array_equal(planes, again)  # the same network gets the same positions


def test_int8_network_is_quantized_and_close_to_float32(
    sl9_fp32: bytes, private_cache: Path
) -> None:
    q = int8_model(sl9_fp32)
    assert "QLinearConv" in _ops(q) and "QLinearConv" not in _ops(sl9_fp32)
    fp, i8 = OnnxEvaluator(sl9_fp32, threads=1), OnnxEvaluator(q, threads=1)
    assert i8.board_size == 9 and i8.features == "agz"
    # positions the calibration did not see: another seed's games
    x = calibration_planes(_session(sl9_fp32, 1, None), 9, "agz", positions=200, seed=7)
    p32, v32 = fp.evaluate(x)
    p8, v8 = i8.evaluate(x)
    assert np.allclose(p8.sum(1), 1.0, atol=1e-4)
    assert (p32.argmax(1) == p8.argmax(1)).mean() >= 0.85
    assert np.abs(v32 - v8).mean() < 0.05
    kl = (p32 * (np.log(p32 + 1e-9) - np.log(p8 + 1e-9))).sum(1).mean()
    assert kl < 0.05


def test_int8_copy_is_cached_and_a_damaged_copy_is_made_again(
    sl9_fp32: bytes, private_cache: Path
) -> None:
    first = int8_model(sl9_fp32)
    files = list(private_cache.glob("*.onnx"))
    assert len(files) == 1
    assert int8_model(sl9_fp32) == first  # read back
    files[0].write_bytes(b"not a model")
    assert int8_model(sl9_fp32) == first
    assert files[0].read_bytes() == first


def test_load_evaluator_int8_and_bad_precision() -> None:
    ev = load_evaluator(SL9, device="onnx", precision="int8", threads=1)
    planes = np.zeros((3, 17, 9, 9), np.float32)
    planes[:, 16] = 1.0
    priors, values = ev.evaluate(planes)
    assert priors.shape == (3, 82) and values.shape == (3,)
    with pytest.raises(ValueError, match="precision"):
        load_evaluator(SL9, precision="int4")


def test_gtp_player_with_int8_network_plays() -> None:
    from gtp.engine import EngineConfig, GTPEngine
    from gtp.players import PlayerConfig

    with pytest.raises(ValueError, match="precision"):
        PlayerConfig(precision="half")
    config = PlayerConfig(seed=1, visits=32, threads=1, precision="int8", model=str(SL9))
    engine = GTPEngine(EngineConfig(size=9, komi=7.5, player="puct", player_config=config))
    out = engine.handle("genmove b")
    assert out is not None and out.startswith("=")
    assert out[1:].strip().lower() not in ("", "resign", "pass")
