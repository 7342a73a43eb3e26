"""AlphaGo's RL policy network: policy games, the REINFORCE step, the opponent pool and resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from go_engine.coords import gtp_to_action
from go_engine.game import Game
from go_engine.state import BLACK, WHITE
from training.checkpoint import save_checkpoint
from training.nets import NetConfig, PolicyValueNet
from training.rl_policy import (
    PolicyGames,
    RLPolicyConfig,
    play_policy_games,
    playable,
    policy_match,
    reinforce_step,
    train_rl_policy,
)

N = 5
CPU = torch.device("cpu")


def tiny(seed: int = 0) -> PolicyValueNet:
    torch.manual_seed(seed)
    return PolicyValueNet(NetConfig(board_size=N, blocks=1, channels=8, value_hidden=8)).eval()


def test_playable_keeps_own_eyes_and_passes_only_when_nothing_else() -> None:
    g = Game(N)
    # Black stones around C3's neighbours, so C3 is Black's single-point eye.
    for v in ("C2", "B3", "D3", "C4"):
        g.play(gtp_to_action(v, N), BLACK)
        g.play(g.pass_action, WHITE)
    mask = playable(g, BLACK)
    eye = gtp_to_action("C3", N)
    assert not mask[eye] and not mask[g.pass_action] and mask.sum() > 0
    assert not playable(g, WHITE)[eye]  # suicide for White: not legal either
    full = Game(N)
    for a in range(N * N):
        if a not in (0, 2 * N + 2):
            full.place_setup(a, BLACK)
    only = playable(full, BLACK)
    assert only[full.pass_action] and only.sum() == 1  # two eyes left: Black must pass


def test_policy_games_end_and_reward_the_learner_by_the_result() -> None:
    rng = np.random.default_rng(0)
    batch = play_policy_games(tiny(1), tiny(2), 6, N, 0.5, 3 * N * N, rng, CPU)
    assert batch.games == 6 and 0 <= batch.wins <= 6
    m = len(batch.actions)
    assert 0.3 * batch.moves <= m <= 0.7 * batch.moves  # the learner made about half the moves
    assert batch.masks[np.arange(m), batch.actions].all()  # every move was a playable one
    assert set(np.unique(batch.rewards)) <= {-1.0, 0.0, 1.0}
    # reward +1 exactly on the positions of games the learner won: as many +1 games as wins
    assert (batch.rewards == 1).any() == (batch.wins > 0)


def test_reinforce_moves_probability_towards_won_games_and_away_from_lost_ones() -> None:
    planes = (np.random.default_rng(0).random((8, 17, N, N)) < 0.3).astype(np.float32)
    masks = np.ones((8, N * N + 1), bool)
    actions = np.full(8, 7, np.int64)

    def prob_after(reward: float) -> tuple[float, float]:
        net = tiny(3)
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
        x = torch.from_numpy(planes)
        with torch.no_grad():
            before = torch.softmax(net(x)[0], 1)[:, 7].mean().item()
        batch = PolicyGames(planes, masks, actions, np.full(8, reward, np.float32), 0, 4, 8)
        loss, entropy = reinforce_step(net, opt, batch, CPU)
        assert 0 < entropy <= np.log(N * N + 1) + 1e-6
        net.eval()
        with torch.no_grad():
            after = torch.softmax(net(x)[0], 1)[:, 7].mean().item()
        return before, after

    before, after = prob_after(1.0)
    assert after > before
    before, after = prob_after(-1.0)
    assert after < before


def test_reinforce_differentiates_the_policy_that_played() -> None:
    """The loss is computed with batch norm's running statistics (the eval-mode network that
    chose the moves) and a step leaves those statistics alone: with a learning rate of 0 the
    network answers exactly as before."""
    net = tiny(4)
    rng = np.random.default_rng(1)
    net.train()
    with torch.no_grad():  # running statistics unlike the defaults, as after SL training
        for _ in range(5):
            net(torch.from_numpy((rng.random((16, 17, N, N)) < 0.5).astype(np.float32)) * 3)
    net.eval()
    planes = (rng.random((6, 17, N, N)) < 0.3).astype(np.float32)
    masks = np.ones((6, N * N + 1), bool)
    actions = rng.integers(0, N * N, 6)
    rewards = np.array([1, 1, -1, -1, 1, -1], np.float32)
    x = torch.from_numpy(planes)
    with torch.no_grad():
        before = net(x)[0]
    logp = torch.log_softmax(before, 1)[torch.arange(6), torch.from_numpy(actions)]
    expected = -(torch.from_numpy(rewards) * logp).sum().item() / 3
    opt = torch.optim.SGD(net.parameters(), lr=0.0)
    loss, _ = reinforce_step(net, opt, PolicyGames(planes, masks, actions, rewards, 0, 3, 6), CPU)
    assert loss == pytest.approx(expected, rel=1e-5)
    with torch.no_grad():
        assert torch.equal(net(x)[0], before)


def test_training_fills_the_pool_and_resumes(tmp_path: Path) -> None:
    start = tmp_path / "sl.safetensors"
    save_checkpoint(start, tiny())
    config = RLPolicyConfig(
        run=str(tmp_path / "run"),
        board_size=N,
        komi=0.5,
        init=str(start),
        iterations=2,
        games_per_iteration=4,
        pool_every=2,
        device="cpu",
        max_moves=30,
    )
    first = train_rl_policy(config)
    assert first["iteration"] == 2
    pool = sorted(p.name for p in (tmp_path / "run" / "pool").glob("*.safetensors"))
    assert pool == ["iter-00000.safetensors", "iter-00002.safetensors"]
    said: list[str] = []
    config.iterations = 3
    last = train_rl_policy(config, log=said.append)
    assert said and "after iteration 2" in said[0] and last["iteration"] == 3
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("iteration,opponent,games,wins")
    result = policy_match(
        tmp_path / "run" / "checkpoints" / "latest.safetensors", start, 4, N, 0.5, device="cpu"
    )
    assert result["games"] == 4 and 0 <= result["a_wins"] <= 4
