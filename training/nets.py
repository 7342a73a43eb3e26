"""Policy-value networks: AlphaGo Zero's residual tower and AlphaGo's plain convolutional net.

`PolicyValueNet(NetConfig(...))` is a tower over the feature planes of `go_engine.features`
with a policy and a value head, and optionally ownership and score heads:

    arch "resnet" (AlphaGo Zero)
      stem      3x3 conv (C_in -> channels) -> BN -> ReLU
      tower     `blocks` residual blocks: 3x3 conv -> BN -> ReLU -> 3x3 conv -> BN, + input, ReLU
    arch "plain" (AlphaGo's SL policy network: a deep CNN without skip connections)
      stem      5x5 conv (C_in -> channels) -> BN -> ReLU
      tower     `blocks` layers of 3x3 conv -> BN -> ReLU
    heads
      policy    1x1 conv (-> policy_channels) -> BN -> ReLU -> linear to N*N+1 logits
      value     1x1 conv (-> value_channels) -> BN -> ReLU -> linear to value_hidden -> ReLU
                -> linear to 1 -> tanh
      ownership (optional) 1x1 conv to 1 plane -> tanh: +1 own, -1 the opponent's at the end
      score     (optional) from the value head's hidden layer: final area margin for the
                player to move, in points / N (so targets stay near [-1, 1] on every size)

The batch norm keeps AlphaGo's 13-layer plain net trainable on a CPU budget; AlphaGo itself
(2016) had none.

`forward(x)` takes float32[B, in_planes, N, N] and returns `(policy_logits, value)`:
float[B, N*N+1] logits over the actions (row-major points, then pass, as everywhere in
`go_engine`) and float[B] values in [-1, 1] for the player to move. The logits are raw: apply
softmax for probabilities or `cross_entropy` for training. `outputs(x)` returns a dict with
"policy", "value" and, where the heads exist, "ownership" (float[B, N, N]) and "score" (float[B]).

AlphaGo Zero's nets were 19 or 39 blocks of 256 channels, with 2 policy and 1 value channel
and 256 hidden value units; the defaults here are a smaller tower of the same shape.

Every convolution is followed by batch norm, so the convolutions have no bias. `fuse_batchnorm`
folds each batch norm into its convolution for inference (eval-mode outputs are unchanged up to
rounding; the result cannot be trained further as the same net).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

# Feature sets of `go_engine.features` and their plane counts (AGZ_PLANES, EXTENDED_PLANES).
FEATURE_PLANES = {"agz": 17, "extended": 21}
ARCHS = ("resnet", "plain")
_FLAGS = ("ownership_head", "score_head")


def features_for_planes(in_planes: int) -> str:
    """The `go_engine.features` set with `in_planes` planes: "agz" (17) or "extended" (21)."""
    for name, count in FEATURE_PLANES.items():
        if count == in_planes:
            return name
    known = ", ".join(f"{c} ({n})" for n, c in FEATURE_PLANES.items())
    raise ValueError(f"no feature set has {in_planes} planes; known: {known}")


@dataclass(frozen=True)
class NetConfig:
    """Shape of a `PolicyValueNet`.

    board_size       N, the board is N x N (the policy has N*N+1 outputs, pass last)
    in_planes        input planes: 17 for "agz", 21 for "extended" (any positive count works
                     for the net itself; `features` names the set)
    blocks           residual blocks in the tower (0 allowed: stem and heads only)
    channels         filters of every tower convolution
    policy_channels  filters of the policy head's 1x1 convolution
    value_channels   filters of the value head's 1x1 convolution
    value_hidden     hidden units of the value head
    arch             "resnet" (residual blocks of two convolutions) or "plain" (one 3x3
                     convolution per block, 5x5 stem, no skip connections)
    ownership_head   add the ownership head
    score_head       add the score head
    """

    board_size: int = 19
    in_planes: int = 17
    blocks: int = 6
    channels: int = 64
    policy_channels: int = 2
    value_channels: int = 1
    value_hidden: int = 256
    arch: str = "resnet"
    ownership_head: bool = False
    score_head: bool = False

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"unknown architecture {self.arch!r}; known: {', '.join(ARCHS)}")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "arch":
                continue
            if f.name in _FLAGS:
                if not isinstance(value, bool):
                    raise TypeError(f"NetConfig.{f.name} must be a bool, not {value!r}")
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"NetConfig.{f.name} must be an int, not {value!r}")
            low = 0 if f.name == "blocks" else 1
            if value < low:
                raise ValueError(f"NetConfig.{f.name} must be >= {low}, not {value}")

    @property
    def num_actions(self) -> int:
        """N*N points plus pass."""
        return self.board_size * self.board_size + 1

    @property
    def features(self) -> str:
        """The feature set the input planes come from ("agz" or "extended")."""
        return features_for_planes(self.in_planes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetConfig:
        """Inverse of `to_dict`; unknown keys are an error."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown NetConfig keys: {unknown}")
        return cls(**data)


class ConvBN(nn.Module):
    """A bias-free convolution with 'same' padding followed by batch norm (no activation)."""

    def __init__(self, cin: int, cout: int, kernel: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False)
        self.bn: nn.Module = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))

    def fuse_(self) -> None:
        """Fold the batch norm into the convolution (eval mode only)."""
        if isinstance(self.bn, nn.BatchNorm2d):
            if self.training:
                raise RuntimeError("fuse batch norm in eval mode only")
            self.conv = fuse_conv_bn_eval(self.conv, self.bn)
            self.bn = nn.Identity()


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN, plus the input, then ReLU."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.a = ConvBN(channels, channels, 3)
        self.b = ConvBN(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.b(torch.relu(self.a(x))))


class PlainLayer(nn.Module):
    """One layer of the plain tower: 3x3 conv -> BN -> ReLU."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.a = ConvBN(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.a(x))


class PolicyValueNet(nn.Module):
    """AlphaGo Zero style residual policy-value network; see the module docstring."""

    def __init__(self, config: NetConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else NetConfig()
        c = self.config
        points = c.board_size * c.board_size
        if c.arch == "plain":
            self.stem = ConvBN(c.in_planes, c.channels, 5)
            self.tower = nn.Sequential(*(PlainLayer(c.channels) for _ in range(c.blocks)))
        else:
            self.stem = ConvBN(c.in_planes, c.channels, 3)
            self.tower = nn.Sequential(*(ResidualBlock(c.channels) for _ in range(c.blocks)))
        self.policy_conv = ConvBN(c.channels, c.policy_channels, 1)
        self.policy_fc = nn.Linear(c.policy_channels * points, c.num_actions)
        self.value_conv = ConvBN(c.channels, c.value_channels, 1)
        self.value_fc1 = nn.Linear(c.value_channels * points, c.value_hidden)
        self.value_fc2 = nn.Linear(c.value_hidden, 1)
        self.ownership_conv = nn.Conv2d(c.channels, 1, 1) if c.ownership_head else None
        self.score_fc = nn.Linear(c.value_hidden, 1) if c.score_head else None

    def _check_input(self, x: torch.Tensor) -> None:
        c = self.config
        if x.dim() != 4 or tuple(x.shape[1:]) != (c.in_planes, c.board_size, c.board_size):
            want = f"[B, {c.in_planes}, {c.board_size}, {c.board_size}]"
            raise ValueError(f"input must have shape {want}, not {list(x.shape)}")

    def _trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(tower output, policy logits, value head hidden layer)."""
        self._check_input(x)
        h = self.tower(torch.relu(self.stem(x)))
        p = torch.relu(self.policy_conv(h)).flatten(1)
        logits = self.policy_fc(p)
        v = torch.relu(self.value_conv(h)).flatten(1)
        return h, logits, torch.relu(self.value_fc1(v))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(policy logits [B, N*N+1], value [B] in [-1, 1]) for planes [B, in_planes, N, N]."""
        _, logits, hidden = self._trunk(x)
        return logits, torch.tanh(self.value_fc2(hidden)).squeeze(1)

    def outputs(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every head's output: policy, value, and ownership / score where configured."""
        h, logits, hidden = self._trunk(x)
        out = {"policy": logits, "value": torch.tanh(self.value_fc2(hidden)).squeeze(1)}
        if self.ownership_conv is not None:
            out["ownership"] = torch.tanh(self.ownership_conv(h)).squeeze(1)
        if self.score_fc is not None:
            out["score"] = self.score_fc(hidden).squeeze(1)
        return out

    def fuse_batchnorm_(self) -> PolicyValueNet:
        """Fold every batch norm into its convolution, in place; the net must be in eval mode.
        Returns self."""
        if self.training:
            raise RuntimeError("call .eval() before fusing batch norm")
        for m in self.modules():
            if isinstance(m, ConvBN):
                m.fuse_()
        return self


def fuse_batchnorm(net: PolicyValueNet) -> PolicyValueNet:
    """An eval-mode copy of `net` with batch norm folded into the convolutions (for inference
    only; `net` itself is left as it was)."""
    fused = copy.deepcopy(net).eval()
    return fused.fuse_batchnorm_()


def count_parameters(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of parameters (elements) of `module`; only those with requires_grad by default."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
