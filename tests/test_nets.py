"""Tests of training.nets (the policy-value ResNet) and training.torch_evaluator (the network
behind the search's evaluator interface), with tiny nets so they run in seconds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.functional import cross_entropy, mse_loss

from go_engine import Game
from go_engine import features as feat
from go_engine.coords import gtp_to_action
from training import torch_evaluator as te
from training.nets import (
    NetConfig,
    PolicyValueNet,
    count_parameters,
    features_for_planes,
    fuse_batchnorm,
)
from training.torch_evaluator import TorchEvaluator, raw_throughput, select_device


def tiny(n: int = 9, in_planes: int = 17, blocks: int = 2, seed: int = 0) -> PolicyValueNet:
    torch.manual_seed(seed)
    cfg = NetConfig(board_size=n, in_planes=in_planes, blocks=blocks, channels=8, value_hidden=16)
    return PolicyValueNet(cfg)


def random_planes(b: int, c: int, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, (b, c, n, n)).astype(np.float32)


def randomise_batchnorm(net: PolicyValueNet, seed: int = 1) -> None:
    """Give the batch norms non-trivial statistics, so eval-mode tests exercise them."""
    g = torch.Generator().manual_seed(seed)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def game_states(n: int, moves: list[str]) -> list:
    """States after each prefix of `moves` (the empty board first)."""
    g = Game(n)
    states = [g.copy().state]
    for m in moves:
        g.play(gtp_to_action(m, n))
        states.append(g.copy().state)
    return states


# ----------------------------------------------------------------------------- the net


@pytest.mark.parametrize("n", [9, 19])
@pytest.mark.parametrize("in_planes", [17, 21])
def test_forward_shapes_and_value_range(n: int, in_planes: int) -> None:
    net = tiny(n, in_planes)
    x = torch.from_numpy(random_planes(3, in_planes, n))
    for mode in (net.train, net.eval):
        mode()
        logits, value = net(x)
        assert logits.shape == (3, n * n + 1)
        assert value.shape == (3,)
        assert logits.dtype == value.dtype == torch.float32
        assert torch.all(value.abs() <= 1.0)
        assert torch.isfinite(logits).all()


def test_zero_blocks_and_wrong_input_shape() -> None:
    net = tiny(9, blocks=0)
    assert len(net.tower) == 0
    logits, value = net(torch.zeros(2, 17, 9, 9))
    assert logits.shape == (2, 82) and value.shape == (2,)
    with pytest.raises(ValueError, match="shape"):
        net(torch.zeros(2, 21, 9, 9))
    with pytest.raises(ValueError, match="shape"):
        net(torch.zeros(2, 17, 19, 19))


def test_config() -> None:
    cfg = NetConfig(board_size=9, in_planes=21, blocks=3, channels=16)
    assert cfg.num_actions == 82
    assert cfg.features == "extended"
    assert NetConfig().features == "agz"
    assert NetConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown"):
        NetConfig.from_dict({**cfg.to_dict(), "colour": 1})
    with pytest.raises(ValueError):
        NetConfig(channels=0)
    with pytest.raises(TypeError):
        NetConfig(board_size=9.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no feature set"):
        features_for_planes(5)
    assert PolicyValueNet(NetConfig(in_planes=5, blocks=0, channels=4)).config.in_planes == 5


def test_count_parameters() -> None:
    net = tiny(9)
    total = sum(p.numel() for p in net.parameters())
    assert count_parameters(net) == total > 0
    net.value_fc2.weight.requires_grad_(False)
    assert count_parameters(net) == total - net.value_fc2.weight.numel()
    assert count_parameters(net, trainable_only=False) == total
    # Closed form for the default AGZ-style shapes: stem, blocks, policy head, value head.
    c = NetConfig(board_size=9, in_planes=17, blocks=2, channels=8, value_hidden=16)
    pts = 81
    expect = (
        (17 * 9 * 8 + 2 * 8)
        + 2 * 2 * (8 * 9 * 8 + 2 * 8)
        + (8 * 2 + 2 * 2 + 2 * pts * 82 + 82)
        + (8 * 1 + 2 * 1 + pts * 16 + 16 + 16 + 1)
    )
    assert count_parameters(PolicyValueNet(c)) == expect


def test_fused_batchnorm_matches_eval_mode() -> None:
    net = tiny(9)
    randomise_batchnorm(net)
    net.eval()
    x = torch.from_numpy(random_planes(4, 17, 9))
    fused = fuse_batchnorm(net)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    with torch.no_grad():
        for a, b in zip(net(x), fused(x), strict=True):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    with pytest.raises(RuntimeError, match="eval"):
        tiny(9).train().fuse_batchnorm_()


def test_tiny_net_overfits_one_batch() -> None:
    """Gradients reach every parameter and a few gradient steps fit a fixed batch. (Plain SGD
    by hand: constructing a torch.optim optimizer imports torch._dynamo, seconds here.)"""
    net = tiny(9, blocks=1, seed=3)
    net.train()
    rng = np.random.default_rng(5)
    x = torch.from_numpy(random_planes(8, 17, 9, seed=4))
    target_move = torch.from_numpy(rng.integers(0, 82, 8))
    target_value = torch.from_numpy(rng.choice([-1.0, 1.0], 8).astype(np.float32))
    params = list(net.parameters())

    def step(lr: float) -> float:
        for p in params:
            p.grad = None
        logits, value = net(x)
        loss = cross_entropy(logits, target_move) + mse_loss(value, target_value)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(lr * p.grad)
        return float(loss.detach())

    first = step(0.0)
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert float(p.grad.abs().sum()) > 0, name
    for _ in range(25):
        last = step(0.1)
    assert last < 0.5 * first, (first, last)


# ----------------------------------------------------------------------------- the evaluator


def test_evaluator_on_agz_planes_batch() -> None:
    n = 9
    states = game_states(n, ["E5", "C3", "G7", "D4", "pass"])
    planes = np.zeros((len(states), feat.AGZ_PLANES, n, n), np.float32)
    feat.agz_planes_batch(states, planes)
    ev = TorchEvaluator(tiny(n), device="cpu")
    assert ev.features == "agz" and ev.network is True and ev.rollout_weight == 0.0
    priors, values = ev.evaluate(planes)
    assert priors.shape == (len(states), n * n + 1) and priors.dtype == np.float32
    assert values.shape == (len(states),) and values.dtype == np.float32
    assert np.all(priors >= 0)
    np.testing.assert_allclose(priors.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(np.abs(values) <= 1.0)


def test_evaluator_on_extended_planes_19x19() -> None:
    ev = TorchEvaluator(tiny(19, 21), device="cpu")
    assert ev.features == "extended"
    priors, values = ev.evaluate(random_planes(2, 21, 19))
    assert priors.shape == (2, 362) and values.shape == (2,)
    np.testing.assert_allclose(priors.sum(axis=1), 1.0, rtol=1e-5)


def test_evaluator_matches_net_and_is_deterministic() -> None:
    net = tiny(9)
    randomise_batchnorm(net)
    x = random_planes(6, 17, 9, seed=7)
    ev = TorchEvaluator(net, device="cpu")
    p1, v1 = ev.evaluate(x)
    p2, v2 = ev.evaluate(x.copy())
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(v1, v2)
    # Eval mode: one position's answer does not depend on the rest of the batch.
    p3, v3 = ev.evaluate(x[2:3])
    np.testing.assert_allclose(p3[0], p1[2], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(v3[0], v1[2], rtol=1e-4, atol=1e-6)
    # Same as the unfused net in eval mode, softmaxed.
    ref = PolicyValueNet(net.config)
    ref.load_state_dict(net.state_dict())
    ref.eval()
    with torch.no_grad():
        logits, value = ref(torch.from_numpy(x))
    np.testing.assert_allclose(p1, torch.softmax(logits, 1).numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(v1, value.numpy(), rtol=1e-4, atol=1e-5)
    unfused = TorchEvaluator(net, device="cpu", fuse=False)
    p4, v4 = unfused.evaluate(x)
    np.testing.assert_allclose(p4, p1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(v4, v1, rtol=1e-4, atol=1e-5)


def test_evaluator_owns_a_copy_and_loads_weights() -> None:
    net = tiny(9)
    net.train()
    x = random_planes(3, 17, 9)
    ev = TorchEvaluator(net, device="cpu")
    assert net.training  # the caller's net keeps its mode
    assert next(net.parameters()).requires_grad
    before, _ = ev.evaluate(x)
    with torch.no_grad():
        net.policy_fc.bias.add_(torch.arange(82, dtype=torch.float32))
    after, _ = ev.evaluate(x)
    np.testing.assert_array_equal(before, after)
    ev.load_state_dict(net.state_dict())
    loaded, _ = ev.evaluate(x)
    assert not np.allclose(loaded, before)
    assert np.argmax(loaded, axis=1).tolist() == [81, 81, 81]


def test_evaluator_input_handling() -> None:
    ev = TorchEvaluator(tiny(9), device="cpu")
    x = random_planes(4, 17, 9)
    p, v = ev.evaluate(x)
    # Non-contiguous (flipped) and float64 input are accepted.
    flipped = x[:, :, ::-1, :]
    pf, vf = ev.evaluate(flipped)
    pc, vc = ev.evaluate(np.ascontiguousarray(flipped))
    np.testing.assert_array_equal(pf, pc)
    np.testing.assert_array_equal(vf, vc)
    p64, v64 = ev.evaluate(x.astype(np.float64))
    np.testing.assert_array_equal(p64, p)
    assert p64.dtype == np.float32
    pe, ve = ev.evaluate(np.zeros((0, 17, 9, 9), np.float32))
    assert pe.shape == (0, 82) and ve.shape == (0,)
    for bad in (np.zeros((2, 21, 9, 9)), np.zeros((2, 17, 19, 19)), np.zeros((17, 9, 9))):
        with pytest.raises(ValueError, match="shape"):
            ev.evaluate(bad)
    with pytest.raises(TypeError):
        TorchEvaluator(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError):
        TorchEvaluator(tiny(9), rollout_weight=1.5)


def test_device_selection_falls_back_to_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert select_device("auto") == torch.device("cpu")
    assert select_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="CUDA"):
        select_device("cuda")
    ev = TorchEvaluator(tiny(9), half=True)  # half and graphs are CUDA-only options
    assert ev.device.type == "cpu" and ev.half is False and ev.cuda_graphs is False
    p, _ = ev.evaluate(random_planes(2, 17, 9))
    assert p.dtype == np.float32
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_device("auto") == torch.device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("half", [False, True])
@pytest.mark.parametrize("graphs", [False, True])
def test_cuda_matches_cpu(half: bool, graphs: bool) -> None:
    net = tiny(9)
    randomise_batchnorm(net)
    cpu = TorchEvaluator(net, device="cpu")
    gpu = TorchEvaluator(net, half=half, cuda_graphs=graphs, max_graphs=3)
    assert gpu.device.type == "cuda" and gpu.half is half and gpu.cuda_graphs is graphs
    tol = 2e-2 if half else 1e-4
    # Grows, shrinks and regrows the pinned buffers; repeats sizes (graph replay) and meets
    # more sizes than max_graphs (eager beyond).
    for b in (5, 3, 5, 9, 1, 3, 1):
        x = random_planes(b, 17, 9, seed=b + 10 * len(gpu._graphs))
        pc, vc = cpu.evaluate(x)
        pg, vg = gpu.evaluate(x)
        assert pg.dtype == vg.dtype == np.float32 and pg.shape == (b, 82) and vg.shape == (b,)
        np.testing.assert_allclose(pg, pc, atol=tol)
        np.testing.assert_allclose(vg, vc, atol=tol)
        np.testing.assert_allclose(pg.sum(axis=1), 1.0, rtol=1e-4)
    assert len(gpu._graphs) == (3 if graphs else 0)
    # New weights reach the graphs too.
    with torch.no_grad():
        net.policy_fc.bias.add_(torch.arange(82, dtype=torch.float32))
    gpu.load_state_dict(net.state_dict())
    cpu.load_state_dict(net.state_dict())
    x = random_planes(5, 17, 9, seed=99)
    np.testing.assert_allclose(gpu.evaluate(x)[0], cpu.evaluate(x)[0], atol=tol)
    assert np.argmax(gpu.evaluate(x)[0], axis=1).tolist() == [81] * 5


def test_rollout_policy_default_is_lazy() -> None:
    ev = TorchEvaluator(tiny(9), device="cpu", rollout_policy="mine")
    assert ev.rollout_policy == "mine"
    pytest.importorskip("go_engine.rollout_policy")
    from go_engine.evaluator import Evaluator
    from go_engine.rollout_policy import RolloutPolicy

    ev = TorchEvaluator(tiny(9), device="cpu")
    assert isinstance(ev.rollout_policy, RolloutPolicy)
    assert isinstance(ev, Evaluator)


def test_raw_throughput() -> None:
    calls: list[tuple[int, ...]] = []

    class Counting(TorchEvaluator):
        def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            calls.append(planes.shape)
            return super().evaluate(planes)

    ev = Counting(tiny(9, blocks=1), device="cpu")
    rate = raw_throughput(ev, batch_size=4, board_size=9, seconds=0.2, repeats=2)
    assert rate > 0 and np.isfinite(rate)
    assert len(calls) >= 4 and set(calls) == {(4, 17, 9, 9)}
    with pytest.raises(ValueError):
        raw_throughput(ev, batch_size=0, board_size=9)
    assert te.FEATURE_PLANES == {"agz": feat.AGZ_PLANES, "extended": feat.EXTENDED_PLANES}
