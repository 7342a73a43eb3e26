"""Checkpoint format 2 (safetensors + JSON metadata, optimizer sidecar) and format 1 files."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import pytest
import torch

from training.checkpoint import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    load_checkpoint,
    optimizer_path,
    read_metadata,
    save_checkpoint,
)
from training.nets import NetConfig, PolicyValueNet

safetensors_torch = pytest.importorskip("safetensors.torch")

CONFIGS = {
    "resnet": NetConfig(
        board_size=9, blocks=2, channels=8, ownership_head=True, score_head=True, value_hidden=16
    ),
    "plain": NetConfig(
        board_size=7,
        in_planes=21,
        blocks=2,
        channels=8,
        arch="plain",
        ownership_head=True,
        score_head=True,
        value_hidden=16,
    ),
}


def _net(config: NetConfig, seed: int = 0) -> PolicyValueNet:
    torch.manual_seed(seed)
    net = PolicyValueNet(config)
    # Non-trivial batch-norm statistics, so that buffers are checked too.
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    return net.eval()


def _outputs(net: PolicyValueNet) -> dict[str, torch.Tensor]:
    c = net.config
    x = torch.randint(0, 2, (3, c.in_planes, c.board_size, c.board_size)).float()
    with torch.no_grad():
        return net.outputs(x)


def _save(path: Path, config: NetConfig = CONFIGS["resnet"], **kw) -> PolicyValueNet:
    net = _net(config)
    save_checkpoint(path, net, step=12, metrics={"loss": 0.5}, info={"command": "t"}, **kw)
    return net


def _rewrite_metadata(src: Path, dst: Path, change) -> None:
    """Copy a format-2 file with its JSON metadata document changed by `change(doc)`."""
    blob = src.read_bytes()
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + size])
    doc = json.loads(header["__metadata__"]["go_engine"])
    change(doc)
    tensors = safetensors_torch.load(blob)
    dst.write_bytes(safetensors_torch.save(tensors, metadata={"go_engine": json.dumps(doc)}))


@pytest.mark.parametrize("arch", sorted(CONFIGS))
def test_round_trip_with_aux_heads(tmp_path: Path, arch: str) -> None:
    config = CONFIGS[arch]
    path = tmp_path / f"{arch}.safetensors"
    net = _net(config)
    save_checkpoint(
        path,
        net,
        step=12,
        metrics={"loss": 0.5, "top1": 0.25},
        info={"command": "go-engine train sl"},
        data={"sources": ["go19_pro"], "games": 3},
    )
    assert path.read_bytes()[8:9] == b"{"  # a safetensors file
    ckpt = load_checkpoint(path)
    assert ckpt.format == CHECKPOINT_FORMAT == 2
    assert ckpt.net.config == config and not ckpt.net.training
    assert ckpt.step == 12 and ckpt.metrics == {"loss": 0.5, "top1": 0.25}
    assert ckpt.info == {"command": "go-engine train sl"}
    assert ckpt.data == {"sources": ["go19_pro"], "games": 3}
    assert ckpt.optimizer is None and ckpt.board_size == config.board_size
    torch.manual_seed(1)
    want = _outputs(net)
    torch.manual_seed(1)
    got = _outputs(ckpt.net)
    assert set(got) == {"policy", "value", "ownership", "score"}
    for k in want:
        assert torch.equal(got[k], want[k]), k
    meta = read_metadata(path)
    assert meta["net_config"] == config.to_dict() and meta["features"] == config.features
    assert meta["board_size"] == config.board_size and meta["kind"] == "policy_value"


def test_half_storage_is_smaller_and_close(tmp_path: Path) -> None:
    full, half = tmp_path / "full.safetensors", tmp_path / "half.safetensors"
    net = _save(full)
    _save(half, half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    ckpt = load_checkpoint(half)
    assert read_metadata(half)["dtype"] == "float16"
    assert all(p.dtype == torch.float32 for p in ckpt.net.parameters())
    torch.manual_seed(1)
    want = _outputs(net)["policy"]
    torch.manual_seed(1)
    assert torch.allclose(_outputs(ckpt.net)["policy"], want, atol=2e-2)


def test_optimizer_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "net.safetensors"
    net = _net(CONFIGS["resnet"])
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net.train()
    net(torch.zeros(2, 17, 9, 9))[0].sum().backward()
    opt.step()
    save_checkpoint(path, net, step=3, optimizer=opt)
    side = optimizer_path(path)
    assert side.name == "net.optim.pt" and side.is_file()
    ckpt = load_checkpoint(path)
    fresh = torch.optim.SGD(ckpt.net.parameters(), lr=0.1, momentum=0.9)
    fresh.load_state_dict(ckpt.optimizer)
    assert fresh.state_dict()["param_groups"][0]["momentum"] == 0.9
    assert load_checkpoint(path, load_optimizer=False).optimizer is None
    # A sidecar from another save (killed between the two writes) is ignored, with a warning.
    stale = side.read_bytes()
    save_checkpoint(path, net, step=4, optimizer=opt)
    side.write_bytes(stale)
    with pytest.warns(UserWarning, match="another save"):
        assert load_checkpoint(path).optimizer is None
    # Saving without an optimizer removes the sidecar.
    save_checkpoint(path, net, step=5)
    assert not side.exists() and load_checkpoint(path).optimizer is None


def test_format_1_files_still_load(tmp_path: Path) -> None:
    net = _net(CONFIGS["plain"])
    # Exactly what the format-1 writer produced.
    legacy = {
        "format": 1,
        "kind": "policy_value",
        "net_config": net.config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
        "step": 9,
        "metrics": {"loss": 1.0},
        "info": {"command": "old"},
        "optimizer": {"state": {}, "param_groups": []},
    }
    for name in ("old.pt", "old.safetensors"):  # format is read from the content
        path = tmp_path / name
        torch.save(legacy, path)
        ckpt = load_checkpoint(path)
        assert ckpt.format == 1 and ckpt.step == 9 and ckpt.info == {"command": "old"}
        assert ckpt.optimizer == {"state": {}, "param_groups": []}
        torch.manual_seed(1)
        want = _outputs(net)
        torch.manual_seed(1)
        assert torch.equal(_outputs(ckpt.net)["policy"], want["policy"])
        assert read_metadata(path)["features"] == "extended"
    # A .pt path is still written in format 1 (a torch file, as the suffix says).
    pt = tmp_path / "new.pt"
    save_checkpoint(pt, net, step=1)
    assert torch.load(pt, weights_only=True)["format"] == 1
    assert load_checkpoint(pt).format == 1
    save_checkpoint(tmp_path / "forced.bin", net, format=1)
    assert load_checkpoint(tmp_path / "forced.bin").format == 1


def test_missing_and_corrupt_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"missing\.safetensors: no such"):
        load_checkpoint(tmp_path / "missing.safetensors")
    good = tmp_path / "good.safetensors"
    _save(good)
    blob = good.read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(blob[: len(blob) - 100])
    with pytest.raises(CheckpointError, match=r"truncated\.safetensors: truncated"):
        load_checkpoint(truncated)
    cut_header = tmp_path / "cut.safetensors"
    cut_header.write_bytes(blob[:40])
    with pytest.raises(CheckpointError, match=r"cut\.safetensors: corrupt or truncated"):
        load_checkpoint(cut_header)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 7)
    with pytest.raises(CheckpointError, match=r"junk\.safetensors: corrupt or truncated"):
        load_checkpoint(junk)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match=r"garbage\.safetensors"):
        load_checkpoint(garbage)
    bad_json = tmp_path / "badjson.safetensors"
    bad_json.write_bytes(struct.pack("<Q", 5) + b"{oops")
    with pytest.raises(CheckpointError, match=r"badjson\.safetensors: corrupt checkpoint"):
        load_checkpoint(bad_json)
    foreign = tmp_path / "foreign.safetensors"
    foreign.write_bytes(safetensors_torch.save({"w": torch.zeros(2)}))
    with pytest.raises(CheckpointError, match=r"foreign\.safetensors: not a go-engine"):
        load_checkpoint(foreign)
    not_dict = tmp_path / "list.pt"
    buffer = io.BytesIO()
    torch.save([1, 2], buffer)
    not_dict.write_bytes(buffer.getvalue())
    with pytest.raises(CheckpointError, match=r"list\.pt: not a go-engine"):
        load_checkpoint(not_dict)


def test_metadata_errors_name_the_file_and_the_problem(tmp_path: Path) -> None:
    good = tmp_path / "good.safetensors"
    _save(good)
    cases = {
        "future": (lambda d: d.update(format=99), r"format 99 is newer"),
        "kind": (lambda d: d.update(kind="rollout"), r"unknown checkpoint kind 'rollout'"),
        "arch": (
            lambda d: d["net_config"].update(arch="transformer"),
            r"unknown architecture 'transformer' \(this reader knows resnet, plain\)",
        ),
        "features": (lambda d: d.update(features="katago"), r"unknown feature set 'katago'"),
        "planes": (
            lambda d: d["net_config"].update(in_planes=5),
            r"feature set 'agz' has 17 planes but the network takes 5",
        ),
        "size": (lambda d: d.update(board_size=13), r"board size 13 disagrees"),
        "shape": (
            lambda d: d["net_config"].update(channels=16),
            r"do not fit the recorded network: tensor \S+ has shape",
        ),
        "heads": (lambda d: d["net_config"].update(score_head=False), r"unexpected tensors"),
        "key": (lambda d: d["net_config"].update(wings=2), r"bad network architecture"),
    }
    for name, (change, message) in cases.items():
        path = tmp_path / f"{name}.safetensors"
        _rewrite_metadata(good, path, change)
        with pytest.raises(CheckpointError, match=rf"{name}\.safetensors: .*{message}"):
            load_checkpoint(path)


def test_missing_tensors(tmp_path: Path) -> None:
    good = tmp_path / "good.safetensors"
    _save(good)
    blob = good.read_bytes()
    (size,) = struct.unpack("<Q", blob[:8])
    meta = json.loads(blob[8 : 8 + size])["__metadata__"]
    tensors = safetensors_torch.load(blob)
    del tensors["policy_fc.weight"]
    bad = tmp_path / "holes.safetensors"
    bad.write_bytes(safetensors_torch.save(tensors, metadata=meta))
    with pytest.raises(CheckpointError, match=r"holes\.safetensors: missing tensors .*policy_fc"):
        load_checkpoint(bad)


def test_expected_board_size_and_features(tmp_path: Path) -> None:
    path = tmp_path / "nine.safetensors"
    _save(path)
    assert load_checkpoint(path, expect_board_size=9, expect_features="agz").board_size == 9
    with pytest.raises(
        CheckpointError, match=r"nine\.safetensors: wrong board size: the network plays 9x9, "
    ):
        load_checkpoint(path, expect_board_size=19)
    with pytest.raises(CheckpointError, match=r"nine\.safetensors: wrong feature set"):
        load_checkpoint(path, expect_features="extended")


def test_nan_metric_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not finite"):
        save_checkpoint(tmp_path / "nan.safetensors", _net(CONFIGS["resnet"]), metrics={"x": 1e400})


def test_every_header_length_reads_back(tmp_path: Path) -> None:
    # A safetensors header length whose first byte is 0x80 once looked like a bare pickle;
    # padding the metadata walks the length through every residue mod 256.
    net = PolicyValueNet(NetConfig(board_size=5, blocks=0, channels=4, value_hidden=4))
    lengths = set()
    for pad in range(0, 260):
        path = tmp_path / "net.safetensors"
        save_checkpoint(path, net, info={"pad": "x" * pad})
        lengths.add(int.from_bytes(path.read_bytes()[:8], "little") % 256)
        assert load_checkpoint(path).info["pad"] == "x" * pad
    assert 0x80 in lengths
