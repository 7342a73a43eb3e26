"""AlphaGo's reinforcement-learning policy network: REINFORCE from games against earlier
versions of itself.

The learner starts from the supervised policy network. Each iteration plays
`games_per_iteration` games between the learner and one opponent drawn uniformly from the pool
of its earlier versions (AlphaGo's guard against overfitting to the current policy), the learner
taking Black in even games and White in odd ones. Both sides play by their policy alone: each
move is sampled from the softmax over the legal moves that do not fill one's own single-point
eye (at temperature 1); a side with no such move passes, so games end like playouts, with the
board settled, and are scored by Tromp-Taylor area. The learner's moves are then reinforced by
the result, z = +1 for a win and -1 for a loss:

    loss = -(1 / games) * sum over the learner's moves of (z - b) * log p(a | s)

(Silver et al. 2016: SGD on the policy-gradient estimate over a minibatch of games), with the
baseline b the iteration's mean result and the gradient's norm clipped. Without them a first
9x9 run collapsed after 28 iterations: once the learner lost most games, every step pushed
down the moves it had played, its play grew more random and it lost more (0 of 64 games by
iteration 35, the entropy of its moves rising). Every `pool_every` iterations the learner
joins the pool.

A run folder holds `checkpoints/latest.safetensors` (the learner and its optimizer; its info
records the iteration reached, which is what a restart reads), `pool/iter-NNNNN.safetensors`
(the opponents; iter-00000 is the starting network), `metrics.csv` (per iteration: opponent,
wins, mean length, loss, time) and `config.json`. Killed and started again with the same
command, a run continues after its last finished iteration.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from go_engine import board as core
from go_engine.features import agz_planes_batch
from go_engine.files import atomic_write
from go_engine.game import Game
from go_engine.rules import Rules
from go_engine.state import BLACK, WHITE
from training.checkpoint import load_checkpoint, save_checkpoint
from training.nets import PolicyValueNet
from training.network_evaluator import usable_cores
from training.networks import shipped_network
from training.torch_evaluator import select_device


@dataclass
class RLPolicyConfig:
    """Settings of `go-engine train rl-policy`."""

    run: str = "runs/rl-policy"
    board_size: int = 9
    komi: float = 7.5
    init: str = "shipped"  # the SL policy network: "shipped" or a checkpoint
    iterations: int = 100
    games_per_iteration: int = 64
    lr: float = 0.001
    momentum: float = 0.0
    pool_every: int = 10
    baseline: bool = True  # subtract the iteration's mean result from each reward
    max_grad_norm: float = 1.0  # clip the gradient's norm (0: no clipping)
    max_moves: int = 0  # a game stops here (0: 3*N*N) and is scored as it stands
    device: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.games_per_iteration < 2 or self.games_per_iteration % 2:
            raise ValueError("games_per_iteration must be an even number >= 2")
        if self.iterations < 0 or self.pool_every < 1 or self.lr <= 0:
            raise ValueError("iterations >= 0, pool_every >= 1 and lr > 0 are required")

    @property
    def move_cap(self) -> int:
        return self.max_moves or 3 * self.board_size * self.board_size


@dataclass
class PolicyGames:
    """What a batch of policy games left for the learner."""

    planes: np.ndarray  # float32[M, 17, N, N]: positions where the learner moved
    masks: np.ndarray  # bool[M, N*N+1]: the moves it could choose from
    actions: np.ndarray  # int64[M]
    rewards: np.ndarray  # float32[M]: the result of the move's game for the learner
    wins: int  # games the learner won
    games: int
    moves: int  # moves played in all games


def playable(game: Game, colour: int) -> np.ndarray:
    """bool[N*N+1]: legal moves that do not fill one's own single-point eye; pass only when
    there is no such move."""
    mask = game.legal_moves(colour)
    pass_action = game.pass_action
    mask[pass_action] = False
    for a in np.flatnonzero(mask):
        if core.is_eye(game.state, int(a), colour):
            mask[a] = False
    if not mask.any():
        mask[pass_action] = True
    return mask


@torch.no_grad()
def policy_logits(net: PolicyValueNet, planes: np.ndarray, device: torch.device) -> np.ndarray:
    """float32[B, N*N+1]: the net's move logits for a batch of planes."""
    x = torch.from_numpy(planes).to(device)
    return net(x)[0].float().cpu().numpy()


def sample_move(logits: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> int:
    """An action drawn from the softmax of `logits` over the moves `mask` allows."""
    z = np.where(mask, logits, -np.inf)
    z = z - z.max()
    p = np.exp(z)
    p /= p.sum()
    return int(rng.choice(len(p), p=p))


def play_policy_games(
    learner: PolicyValueNet,
    opponent: PolicyValueNet,
    games: int,
    board_size: int,
    komi: float,
    move_cap: int,
    rng: np.random.Generator,
    device: torch.device,
) -> PolicyGames:
    """Play `games` games (the learner is Black in even games), every move sampled from the
    side's policy; all games advance together, one network call per side per move."""
    n = board_size
    rules = Rules(komi=komi)
    boards = [Game(n, rules) for _ in range(games)]
    learner_colour = [BLACK if i % 2 == 0 else WHITE for i in range(games)]
    planes: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    actions: list[int] = []
    owner: list[int] = []  # game of each learner move
    learner.eval()
    opponent.eval()

    def going(i: int) -> bool:
        return not boards[i].is_over() and len(boards[i].moves) < move_cap

    active = list(range(games))
    while active:
        for side_is_learner in (True, False):
            idx = [
                i
                for i in active
                if going(i) and (boards[i].to_play == learner_colour[i]) == side_is_learner
            ]
            if not idx:
                continue
            x = np.empty((len(idx), 17, n, n), np.float32)
            agz_planes_batch([boards[i].state for i in idx], x)
            logits = policy_logits(learner if side_is_learner else opponent, x, device)
            for row, i in enumerate(idx):
                g = boards[i]
                mask = playable(g, g.to_play)
                a = sample_move(logits[row], mask, rng)
                if side_is_learner:
                    planes.append(x[row])
                    masks.append(mask)
                    actions.append(a)
                    owner.append(i)
                g.play(a, g.to_play)
        active = [i for i in active if going(i)]
    scores = np.array([g.area_score() for g in boards])
    won = np.array(
        [(s > 0) == (c == BLACK) and s != 0 for s, c in zip(scores, learner_colour, strict=True)]
    )
    reward_of_game = np.where(won, 1.0, -1.0).astype(np.float32)
    reward_of_game[scores == 0] = 0.0
    return PolicyGames(
        planes=np.stack(planes) if planes else np.zeros((0, 17, n, n), np.float32),
        masks=np.stack(masks) if masks else np.zeros((0, n * n + 1), bool),
        actions=np.asarray(actions, np.int64),
        rewards=reward_of_game[np.asarray(owner, np.int64)] if owner else np.zeros(0, np.float32),
        wins=int(won.sum()),
        games=games,
        moves=sum(len(g.moves) for g in boards),
    )


def reinforce_step(
    net: PolicyValueNet,
    opt: torch.optim.Optimizer,
    batch: PolicyGames,
    device: torch.device,
    chunk: int = 1024,
    baseline: float = 0.0,
    max_grad_norm: float = 0.0,
) -> tuple[float, float]:
    """One policy-gradient step on the learner's moves of `batch` (see the module docstring),
    with (z - baseline) in place of z and the gradient's norm clipped to `max_grad_norm` (0:
    no clipping); returns (loss, mean entropy of the learner's move distributions). Illegal
    moves are masked out of the softmax, as in play.

    The net stays in eval mode: batch norm uses the running statistics the games were played
    with, so the gradient is that of the policy that chose the moves, and the statistics are
    left as the supervised training set them. In train mode every step would both normalise
    with the batch's own statistics (another policy than the one played) and pull the running
    statistics towards self-play positions, moving the network away from its SL start
    whatever the learning rate."""
    net.eval()
    opt.zero_grad(set_to_none=True)
    total = 0.0
    entropy = 0.0
    m = len(batch.actions)
    for at in range(0, m, chunk):
        sl = slice(at, min(m, at + chunk))
        x = torch.from_numpy(batch.planes[sl]).to(device)
        logits = net(x)[0]
        mask = torch.from_numpy(batch.masks[sl]).to(device)
        logp = functional.log_softmax(logits.masked_fill(~mask, -1e9), dim=1)
        a = torch.from_numpy(batch.actions[sl]).to(device)
        z = torch.from_numpy(batch.rewards[sl]).to(device) - baseline
        chosen = logp.gather(1, a[:, None]).squeeze(1)
        loss = -(z * chosen).sum() / batch.games
        loss.backward()
        total += loss.item()
        with torch.no_grad():
            p = logp.exp()
            entropy -= (p * logp.clamp(min=-30.0)).sum().item()
    if max_grad_norm > 0:
        torch.nn.utils.clip_grad_norm_(net.parameters(), max_grad_norm)
    opt.step()
    return total, entropy / max(1, m)


def load_agz_net(path: str | os.PathLike, board_size: int, device: torch.device) -> PolicyValueNet:
    """The network of checkpoint `path`, refused unless it reads AGZ planes of this size."""
    return load_checkpoint(path, device, expect_board_size=board_size, expect_features="agz").net


def train_rl_policy(config: RLPolicyConfig, log=print) -> dict[str, Any]:
    """Run (or continue) the REINFORCE run described by `config`; returns the last
    iteration's figures."""
    from tqdm import tqdm

    run = Path(config.run)
    (run / "checkpoints").mkdir(parents=True, exist_ok=True)
    (run / "pool").mkdir(exist_ok=True)
    atomic_write(run / "config.json", json.dumps(asdict(config), indent=1))
    device = select_device(config.device)
    torch.set_num_threads(usable_cores())
    latest = run / "checkpoints" / "latest.safetensors"
    first = run / "pool" / "iter-00000.safetensors"
    if not first.exists():
        source = shipped_network(config.board_size) if config.init == "shipped" else config.init
        if not source:
            raise ValueError(f"no shipped network for {config.board_size}x{config.board_size}")
        start = load_agz_net(source, config.board_size, torch.device("cpu"))
        save_checkpoint(first, start, data={"init": str(source)}, info={"iteration": "0"})
    done = 0
    if latest.exists():
        ck = load_checkpoint(latest, device, expect_board_size=config.board_size)
        net, done = ck.net, int(ck.info.get("iteration", 0))
        optimizer_state = ck.optimizer
        log(f"resuming {run} after iteration {done}")
    else:
        net, optimizer_state = load_agz_net(first, config.board_size, device), None
    opt = torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum)
    if optimizer_state is not None:
        opt.load_state_dict(optimizer_state)
    metrics = run / "metrics.csv"
    figures: dict[str, Any] = {}
    bar = tqdm(total=config.iterations, initial=done, desc="rl-policy", unit="iter", leave=False)
    while done < config.iterations:
        rng = np.random.default_rng([config.seed, done])
        pool = sorted((run / "pool").glob("iter-*.safetensors"))
        opponent_path = pool[int(rng.integers(len(pool)))]
        opponent = load_agz_net(opponent_path, config.board_size, device)
        start = time.perf_counter()
        batch = play_policy_games(
            net,
            opponent,
            config.games_per_iteration,
            config.board_size,
            config.komi,
            config.move_cap,
            rng,
            device,
        )
        mean = float(batch.wins * 2 - batch.games) / batch.games if config.baseline else 0.0
        loss, entropy = reinforce_step(
            net, opt, batch, device, baseline=mean, max_grad_norm=config.max_grad_norm
        )
        done += 1
        figures = {
            "iteration": done,
            "opponent": opponent_path.stem,
            "games": batch.games,
            "wins": batch.wins,
            "win_rate": round(batch.wins / batch.games, 4),
            "mean_moves": round(batch.moves / batch.games, 1),
            "loss": round(loss, 5),
            "entropy": round(entropy, 4),
            "seconds": round(time.perf_counter() - start, 2),
        }
        info = {"iteration": str(done)}
        numbers = {k: float(v) for k, v in figures.items() if k != "opponent"}
        save_checkpoint(latest, net, step=done, optimizer=opt, info=info, metrics=numbers)
        if done % config.pool_every == 0:
            save_checkpoint(run / "pool" / f"iter-{done:05d}.safetensors", net, step=done)
        new = not metrics.exists()
        with metrics.open("a", encoding="utf-8") as f:
            if new:
                f.write(",".join(figures) + "\n")
            f.write(",".join(str(v) for v in figures.values()) + "\n")
        bar.update(1)
        bar.set_postfix(win=f"{figures['win_rate']:.2f}", opp=opponent_path.stem)
    bar.close()
    return figures


def policy_match(
    a: str | os.PathLike,
    b: str | os.PathLike,
    games: int,
    board_size: int,
    komi: float = 7.5,
    seed: int = 0,
    device: str = "auto",
    chunk: int = 64,
) -> dict[str, Any]:
    """Network `a` against network `b`, each move sampled from its policy (no search), colours
    alternating; a's wins and win rate."""
    dev = select_device(device)
    net_a = load_agz_net(a, board_size, dev)
    net_b = load_agz_net(b, board_size, dev)
    wins = played = 0
    rng = np.random.default_rng(seed)
    while played < games:
        k = min(chunk, games - played)
        k += k % 2
        batch = play_policy_games(net_a, net_b, k, board_size, komi, 3 * board_size**2, rng, dev)
        wins += batch.wins
        played += k
    return {"games": played, "a_wins": wins, "a_win_rate": wins / played}
