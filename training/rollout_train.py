"""Training AlphaGo's fast rollout policy (a linear softmax over candidate moves) on SGF games.

Each position of an expert game gives one example: the candidates are the mover's legal moves
that do not fill an own eye (the moves a rollout can play), each with its active feature
indices (`go_engine.rollout_features.extract_game`, the same indices the rollouts sum), and the
target is the move the expert played. The model is the rollout policy itself: the logit of a
candidate is the sum of its features' weights, the loss the cross-entropy of the softmax over
the position's candidates, minimised by plain stochastic gradient descent (one position at a
time, in Numba) with L2 weight decay on the weights a position touches. Positions whose move is
a pass or not a candidate (filling an own eye) are left out.

Games come from folders, .tar.gz archives or .sgf files through `sgf_io.iter_sgf_archive` and
`read_sgf`; the start position (setup stones, rules) comes from `sgf_io.replay` and the moves
are replayed by `board.play` under the same rules, so a game `replay` would refuse is skipped
and counted, never fatal. The split is by game (`training.split`). The first pass streams the
archives and keeps each usable game as a few bytes a move (about 25 MB for 60,000 games), which
later epochs replay; `max_games` and `max_positions` bound the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from go_engine.board import copy_state
from go_engine.rollout_features import N_WEIGHTS, extract_game
from go_engine.rollout_policy import RolloutPolicy
from go_engine.sgf_io import SGFError, SGFGame, iter_sgf_archive, read_sgf, replay
from go_engine.state import State
from training.split import default_fraction, is_validation


@dataclass
class GameRecord:
    """One usable game in compact form: its start position and moves."""

    name: str
    start: State
    actions: np.ndarray  # int32: action per move (pass = N*N)
    colours: np.ndarray  # int8: colour per move


@dataclass
class LoadStats:
    """What reading the game collections found."""

    read: int = 0
    used: int = 0
    train: int = 0
    validation: int = 0
    skipped: int = 0  # unreadable or not replayable
    other_size: int = 0
    errors: list[str] = field(default_factory=list)  # the first few reasons


def _start_state(game: SGFGame) -> State:
    """The position before the first move (setup stones, side to move, rules)."""
    return replay(game, upto=0).state


def load_games(
    paths: Iterable[str],
    board: int,
    max_games: int | None = None,
    stats: LoadStats | None = None,
    keep: Callable[[str], bool] | None = None,
) -> Iterator[GameRecord]:
    """Usable `board`-sized games of the given folders / archives / files, streamed; games that
    cannot be read or replayed are counted in `stats` and skipped; `keep(name)` False skips a
    game before it is parsed."""
    stats = stats if stats is not None else LoadStats()
    for path in paths:
        for name, data in iter_sgf_archive(path):
            if max_games is not None and stats.used >= max_games:
                return
            if keep is not None and not keep(name):
                continue
            stats.read += 1
            try:
                game = read_sgf(data, name)
                if game.size != board:
                    stats.other_size += 1
                    continue
                start = _start_state(game)
                actions = np.array([a for a, _ in game.moves], np.int32)
                colours = np.array([c for _, c in game.moves], np.int8)
                # Replay the moves once under the record's rules: a refused move skips the game.
                probe = copy_state(start)
                take = np.zeros(len(actions), np.bool_)
                *_, error = extract_game(probe, actions, colours, take)
                if error >= 0:
                    raise SGFError(f"move {error + 1}: illegal", name)
            except (SGFError, ValueError) as e:
                stats.skipped += 1
                if len(stats.errors) < 5:
                    stats.errors.append(str(e))
                continue
            stats.used += 1
            yield GameRecord(name, start, actions, colours)


@njit(cache=True, nogil=True)
def _sgd(
    weights: np.ndarray,
    start: np.ndarray,
    target: np.ndarray,
    feats: np.ndarray,
    lr: float,
    l2: float,
    learn: bool,
    logits: np.ndarray,
) -> tuple[float, int]:
    """One SGD step per position (learn=False: only measure); returns (loss sum, top-1 hits)."""
    loss = 0.0
    hits = 0
    width = feats.shape[1]
    for j in range(target.shape[0]):
        a = start[j]
        k = start[j + 1] - a
        top = -1e30
        best = -1
        for r in range(k):
            s = 0.0
            for i in range(width):
                f = feats[a + r, i]
                if f < 0:
                    break
                s += weights[f]
            logits[r] = s
            if s > top:
                top = s
                best = r
        t = target[j]
        if best == t:
            hits += 1
        z = 0.0
        for r in range(k):
            logits[r] = np.exp(logits[r] - top)
            z += logits[r]
        loss += np.log(z) - np.log(logits[t])
        if not learn:
            continue
        for r in range(k):
            g = logits[r] / z
            if r == t:
                g -= 1.0
            if abs(g) < 1e-7:
                continue
            for i in range(width):
                f = feats[a + r, i]
                if f < 0:
                    break
                weights[f] -= lr * (g + l2 * weights[f])
    return loss, hits


@dataclass
class EpochResult:
    positions: int = 0
    loss: float = 0.0
    hits: int = 0

    @property
    def accuracy(self) -> float:
        return self.hits / self.positions if self.positions else 0.0

    @property
    def mean_loss(self) -> float:
        return self.loss / self.positions if self.positions else 0.0


def run_games(
    weights: np.ndarray,
    games: Iterable[GameRecord],
    *,
    lr: float = 0.0,
    l2: float = 0.0,
    learn: bool = False,
    sample: float = 1.0,
    max_positions: int | None = None,
    rng: np.random.Generator | None = None,
    progress: Callable[[int], None] | None = None,
) -> EpochResult:
    """Train on (learn=True) or measure the policy over the positions of `games`; `sample` is
    the share of each game's positions used."""
    rng = rng or np.random.default_rng(0)
    out = EpochResult()
    logits = np.zeros(25 * 25, np.float64)
    for g in games:
        m = len(g.actions)
        take = rng.random(m) < sample if sample < 1.0 else np.ones(m, np.bool_)
        start, target, feats, _, _ = extract_game(copy_state(g.start), g.actions, g.colours, take)
        if max_positions is not None and out.positions + len(target) > max_positions:
            keep = max_positions - out.positions
            target = target[:keep]
            start = start[: keep + 1]
        loss, hits = _sgd(weights, start, target, feats, lr, l2, learn, logits)
        out.positions += len(target)
        out.loss += loss
        out.hits += hits
        if progress is not None:
            progress(len(target))
        if max_positions is not None and out.positions >= max_positions:
            break
    return out


@dataclass
class TrainConfig:
    """Options of `train` (the command line's, see go_engine_cli/train_rollout.py)."""

    data: list[str]
    board: int = 19
    epochs: int = 2
    lr: float = 0.02
    lr_decay: float = 0.5  # lr multiplier after each epoch
    l2: float = 1e-4
    sample: float = 1.0
    max_games: int | None = None
    max_positions: int | None = None  # training positions per epoch
    val_fraction: float | None = None
    max_val_games: int | None = None
    seed: int = 0
    init: str | None = None  # start from this policy file's weights


@dataclass
class TrainResult:
    weights: np.ndarray
    stats: LoadStats
    epochs: list[dict]
    val_accuracy: float
    val_positions: int
    seconds: float


def train(
    cfg: TrainConfig,
    log: Callable[[str], None] = print,
    bar: Callable[..., object] | None = None,
) -> TrainResult:
    """Train the rollout policy's weights; `bar(total=..., desc=...)` makes a progress bar (a
    tqdm-like object with update/close), None for none."""
    t0 = time.perf_counter()
    fraction = cfg.val_fraction if cfg.val_fraction is not None else default_fraction(cfg.board)
    stats = LoadStats()
    if cfg.init:
        weights = RolloutPolicy.load(cfg.init).weights.copy()
    else:
        weights = np.zeros(N_WEIGHTS, np.float32)
    rng = np.random.default_rng(cfg.seed)
    train_games: list[GameRecord] = []
    val_games: list[GameRecord] = []
    history: list[dict] = []

    def split_stream() -> Iterator[GameRecord]:
        for g in load_games(cfg.data, cfg.board, cfg.max_games, stats):
            if is_validation(g.name, fraction):
                if cfg.max_val_games is None or len(val_games) < cfg.max_val_games:
                    val_games.append(g)
                stats.validation += 1
            else:
                train_games.append(g)
                stats.train += 1
                yield g

    lr = cfg.lr
    for epoch in range(cfg.epochs):
        source: Iterable[GameRecord] = split_stream() if epoch == 0 else train_games
        if epoch > 0:
            rng.shuffle(train_games)
        total = len(train_games) if epoch > 0 else cfg.max_games
        pb = bar(total=total, desc=f"epoch {epoch + 1}", unit="game") if bar else None

        def tick(_: int, pb: object = pb) -> None:
            if pb is not None:
                pb.update(1)  # type: ignore[attr-defined]

        r = run_games(
            weights,
            source,
            lr=lr,
            l2=cfg.l2,
            learn=True,
            sample=cfg.sample,
            max_positions=cfg.max_positions,
            rng=rng,
            progress=tick,
        )
        if pb is not None:
            pb.close()  # type: ignore[attr-defined]
        v = run_games(weights, val_games)
        row = {
            "epoch": epoch + 1,
            "lr": lr,
            "train_positions": r.positions,
            "train_loss": round(r.mean_loss, 4),
            "train_top1": round(r.accuracy, 4),
            "val_positions": v.positions,
            "val_loss": round(v.mean_loss, 4),
            "val_top1": round(v.accuracy, 4),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        history.append(row)
        log(
            f"epoch {epoch + 1}: train {r.positions} positions, loss {r.mean_loss:.3f}, "
            f"top-1 {r.accuracy:.2%}; validation {v.positions} positions, "
            f"loss {v.mean_loss:.3f}, top-1 {v.accuracy:.2%}"
        )
        lr *= cfg.lr_decay
    last = history[-1] if history else {"val_top1": 0.0, "val_positions": 0}
    return TrainResult(
        weights=weights,
        stats=stats,
        epochs=history,
        val_accuracy=float(last["val_top1"]),
        val_positions=int(last["val_positions"]),
        seconds=time.perf_counter() - t0,
    )


def evaluate(
    policy: RolloutPolicy,
    paths: Iterable[str],
    board: int,
    *,
    fraction: float | None = None,
    held_out_only: bool = True,
    max_games: int | None = None,
) -> tuple[EpochResult, LoadStats]:
    """Top-1 accuracy and mean loss of `policy` over every position of the held-out games of
    `paths` (all games with held_out_only=False)."""
    if policy.mode != "weights":
        raise ValueError(f"only a weights policy can be evaluated, not {policy.mode!r}")
    fraction = fraction if fraction is not None else default_fraction(board)
    stats = LoadStats()
    keep = (lambda name: is_validation(name, fraction)) if held_out_only else None
    games = load_games(paths, board, max_games, stats, keep)
    return run_games(policy.weights.copy(), games), stats
