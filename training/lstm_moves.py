"""An LSTM that reads a game's moves like a character-level language model and predicts the next
move; the sequence baseline of the benchmark report (`go-engine train lstm`).

The model sees only the move tokens (`training.sequence_models`: points, pass, a start token),
never the board: an embedding, a stack of LSTM layers and a linear head over the N*N + 1 moves.
It is trained with teacher forcing (every move of a training game is a target, the true earlier
moves are the input), Adam and a cosine learning rate over a `--minutes` / `--steps` budget; the
weights with the lowest loss on a few training games kept aside are the ones measured and saved
(`training.module_checkpoint`, kind "lstm").

Measured on every move of the held-out games: top-1 and top-5 accuracy, cross-entropy, and top-1
when the prediction is restricted to empty points and pass (how much of the error is "the model
forgot the point was taken").

Sampling (`sample_games`): K games are written from the start token at a temperature (0: the
most probable move), each until two passes in a row or `max_moves` moves. Every sampled move is
checked on a real board (go_engine's `Game`, simple ko): a move on an occupied point, a suicide
or a ko recapture is illegal. An illegal sample is counted, and the game goes on with a legal
fallback: a move drawn from the same distribution restricted to the legal moves (at temperature
0 the most probable legal move). The fallback is played and is what the model reads next; it is
not a sample, so every sampled move counts exactly once. The figures:

    sample_legal_share            legal samples / all samples, over all sampled games
    sample_moves_to_first_illegal moves played before a game's first illegal sample (mean,
                                  median); a game without one counts its full length
    sample_games_all_legal        share of the games without an illegal sample
    sample_illegal_<reason>       share of all samples illegal for that reason
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from go_engine.game import Game
from go_engine.rules import Rules
from training.results_store import RESULTS_DIR
from training.sequence_models import (
    IGNORE,
    Family,
    FitConfig,
    default_name,
    finish_run,
    load_model,
    num_moves,
    pad_games,
    start_token,
    topk_hits,
    train_run,
    vocab_size,
)

KIND = "lstm"
CHECKPOINT = "lstm.safetensors"
OPTIMIZER = "lstm-optimizer.pt"  # Adam's moments, for --resume


@dataclass
class LSTMConfig:
    """The network."""

    board_size: int = 9
    layers: int = 2
    hidden: int = 256
    embed: int = 128
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.board_size < 2 or self.layers < 1 or self.hidden < 1 or self.embed < 1:
            raise ValueError(f"bad LSTM shape: {self}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), not {self.dropout}")

    @property
    def name(self) -> str:
        return f"LSTM ({self.layers}x{self.hidden})"


class MoveLSTM(nn.Module):
    """Tokens [B, T] -> next-move logits [B, T, N*N + 1]."""

    def __init__(self, config: LSTMConfig) -> None:
        super().__init__()
        self.config = config
        n = config.board_size
        self.embed = nn.Embedding(vocab_size(n), config.embed)
        self.lstm = nn.LSTM(
            config.embed,
            config.hidden,
            config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, num_moves(n))

    def forward(
        self, tokens: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        out, state = self.lstm(self.drop(self.embed(tokens)), state)
        return self.head(self.drop(out)), state

    def step(self, tokens: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """One token per sequence [K] -> logits [K, N*N + 1] (the sampler's interface)."""
        device = self.head.weight.device
        logits, state = self(tokens.to(device)[:, None], state)
        return logits[:, 0], state


def loss_on(model: MoveLSTM, games: list[np.ndarray]) -> tuple[torch.Tensor, int]:
    """Teacher-forced cross-entropy per move of a batch of games."""
    device = next(model.parameters()).device
    inputs, targets, _ = pad_games(games, model.config.board_size)
    logits, _ = model(inputs.to(device))
    targets = targets.to(device)
    loss = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE
    )
    return loss, int((targets != IGNORE).sum())


def predict_all(model: MoveLSTM, games: Sequence[np.ndarray], batch: int = 64) -> torch.Tensor:
    """Logits [sum of lengths, N*N + 1] for every move of `games`, in game order (whole games:
    an LSTM needs no length limit to be applied)."""
    device = next(model.parameters()).device
    model.eval()
    out: list[torch.Tensor | None] = [None] * len(games)
    order = sorted(range(len(games)), key=lambda i: len(games[i]))
    with torch.no_grad():
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            inputs, _, lengths = pad_games([games[i] for i in idx], model.config.board_size)
            logits, _ = model(inputs.to(device))
            for j, i in enumerate(idx):
                out[i] = logits[j, : int(lengths[j])].float().cpu()
    width = num_moves(model.config.board_size)
    return torch.cat([o for o in out if o is not None]) if games else torch.zeros(0, width)


def accuracy_figures(
    logits: torch.Tensor, targets: torch.Tensor, boards: np.ndarray | None = None
) -> dict[str, float]:
    """top1, top5, cross-entropy per move and (with the boards before each move) top1 among
    empty points and pass."""
    hits = topk_hits(logits, targets, (1, 5))
    n = max(int((targets != IGNORE).sum()), 1)
    figures = {
        "top1": hits[1] / n,
        "top5": hits[5] / n,
        "loss": float(nn.functional.cross_entropy(logits, targets, ignore_index=IGNORE)),
    }
    if boards is not None:
        occupied = torch.from_numpy(np.asarray(boards) != 0)
        masked = logits.clone()
        masked[:, : occupied.shape[1]][occupied] = -torch.inf
        figures["top1_empty_points"] = topk_hits(masked, targets, (1,))[1] / n
    return figures


def evaluate(
    model: MoveLSTM, games: Sequence[np.ndarray], boards: np.ndarray | None = None
) -> dict[str, float]:
    """The held-out figures over every move of `games` (see `accuracy_figures`)."""
    games = [g for g in games if len(g)]
    logits = predict_all(model, games)
    targets = torch.from_numpy(np.concatenate(games)) if games else torch.zeros(0, dtype=torch.long)
    if boards is not None and len(boards) != len(targets):
        boards = None
    figures = accuracy_figures(logits, targets, boards)
    figures["held_out_positions"] = float(len(targets))
    return figures


# ----------------------------------------------------------------------------- sampling


@dataclass
class SampleConfig:
    """How games are sampled from a model."""

    games: int = 200
    max_moves: int = 0  # 0: N*N moves
    temperature: float = 1.0  # 0: the most probable move
    seed: int = 0


@dataclass
class SampledGame:
    """One sampled game and what its legality check found."""

    game: Game
    samples: int = 0  # moves sampled from the model
    illegal: int = 0  # ... of which illegal
    first_illegal: int | None = None  # moves played before the first illegal sample
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def moves_to_first_illegal(self) -> int:
        return len(self.game.moves) if self.first_illegal is None else self.first_illegal


# step(tokens [K], state) -> (logits [K, N*N + 1], state)
StepFn = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]


def _draw(logits: torch.Tensor, temperature: float, rng: np.random.Generator) -> int:
    if temperature <= 0:
        return int(torch.argmax(logits))
    p = torch.softmax(logits.double() / temperature, dim=-1).numpy()
    p = np.where(np.isfinite(p), p, 0.0)
    if p.sum() <= 0:
        return int(torch.argmax(logits))
    return int(rng.choice(len(p), p=p / p.sum()))


def sample_games(step: StepFn, board_size: int, config: SampleConfig) -> list[SampledGame]:
    """Sample `config.games` games in parallel through `step` (see the module docstring for
    the legality check and the fallback)."""
    rng = np.random.default_rng(config.seed)
    n2 = board_size * board_size
    limit = config.max_moves or n2
    games = [SampledGame(Game(board_size, Rules.named("japanese"))) for _ in range(config.games)]
    tokens = torch.full((config.games,), start_token(board_size), dtype=torch.long)
    state = None
    for _ in range(limit):
        live = [i for i, s in enumerate(games) if not s.game.is_over()]
        if not live:
            break
        with torch.no_grad():
            logits, state = step(tokens, state)
        logits = logits.float().cpu()
        for i in live:
            s = games[i]
            move = _draw(logits[i], config.temperature, rng)
            s.samples += 1
            reason = s.game.legality(move)
            if reason is not None:
                s.illegal += 1
                s.reasons[reason] = s.reasons.get(reason, 0) + 1
                if s.first_illegal is None:
                    s.first_illegal = len(s.game.moves)
                legal = torch.from_numpy(s.game.legal_moves().astype(np.bool_))
                move = _draw(logits[i].masked_fill(~legal, -torch.inf), config.temperature, rng)
            s.game.play(move)
            tokens[i] = move
        # Finished games keep being fed (their outputs are ignored): one batch for all.
    return games


def legality_figures(games: Sequence[SampledGame]) -> dict[str, float]:
    """The sampling figures of the module docstring."""
    samples = sum(s.samples for s in games)
    first = np.array([s.moves_to_first_illegal for s in games], np.float64)
    figures = {
        "sample_games": float(len(games)),
        "sample_moves": float(samples),
        "sample_game_length_mean": float(np.mean([len(s.game.moves) for s in games]))
        if games
        else 0.0,
        "sample_legal_share": (samples - sum(s.illegal for s in games)) / samples
        if samples
        else float("nan"),
        "sample_moves_to_first_illegal_mean": float(first.mean()) if games else float("nan"),
        "sample_moves_to_first_illegal_median": float(np.median(first)) if games else float("nan"),
        "sample_games_all_legal": float(np.mean([s.illegal == 0 for s in games]))
        if games
        else float("nan"),
    }
    for reason in ("occupied", "suicide", "ko", "superko"):
        count = sum(s.reasons.get(reason, 0) for s in games)
        figures[f"sample_illegal_{reason}"] = count / samples if samples else 0.0
    return figures


def write_samples(games: Sequence[SampledGame], folder: str | Path, prefix: str) -> None:
    """Each sampled game as folder/PREFIX-0001.sgf, with a comment naming its illegal samples."""
    from go_engine.sgf_io import write_sgf

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i, s in enumerate(games):
        comments = {}
        if s.first_illegal is not None:
            comments[s.first_illegal] = f"first illegal sample here ({s.illegal} in the game)"
        write_sgf(s.game, folder / f"{prefix}-{i + 1:04d}.sgf", comments=comments)


# ----------------------------------------------------------------------------- training run


@dataclass
class LSTMRunConfig:
    """One `go-engine train lstm` run: data, network, training loop, sampling, outputs."""

    sources: list[str]
    board_size: int = 9
    model: LSTMConfig = field(default_factory=LSTMConfig)
    fit: FitConfig = field(default_factory=FitConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)
    max_train_games: int = 0
    held_out_games: int | None = None
    device: str = "auto"
    run: str = "runs/lstm"
    results: str = str(RESULTS_DIR)
    name: str = ""  # result record name (default lstm-N)
    write_samples: str = ""  # folder for the sampled games as SGF ("" : none)
    resume: bool = False
    progress: bool = True


FAMILY = Family(KIND, CHECKPOINT, OPTIMIZER, MoveLSTM, LSTMConfig, loss_on)


def load_lstm(path: str | Path, device: str = "cpu") -> tuple[MoveLSTM, dict]:
    """(model, record) from a checkpoint; errors name the file."""
    return load_model(FAMILY, path, device)


def train_lstm(config: LSTMRunConfig, log: Callable[[str], None] = print) -> dict[str, float]:
    """Train, measure on the held-out games, sample, save; returns the result's metrics."""
    run = train_run(FAMILY, config, log)
    n = config.board_size
    model, held = run.model, run.split.held_out
    figures = evaluate(model, held.sequences(), held.positions.boards)
    games = sample_games(model.step, n, config.sample) if config.sample.games else []
    if games:
        figures.update(legality_figures(games))
        if config.write_samples:
            write_samples(games, config.write_samples, config.name or default_name(KIND, n))
    return finish_run(FAMILY, config, run, figures, log)
