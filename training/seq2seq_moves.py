"""An encoder-decoder that reads the moves so far and writes the next k moves; a sequence
baseline of the benchmark report (`go-engine train seq2seq`).

The encoder (LSTM or GRU over the move tokens of `training.sequence_models`) reads the start
token and the moves played; its top layer's hidden state after the last of them is the context
vector. A linear "bridge" turns the context into the initial state of every decoder layer, and
the decoder (same cell) writes k moves: its first input is the start token, then each move it
wrote (the true move during training: teacher forcing). Because the encoder is causal, one pass
over a whole game gives the context of every prefix at once, so a batch trains on every
(prefix, next k moves) pair of its games; `positions` caps how many of them go through the
decoder per step.

Measured on every position of the held-out games with greedy decoding (each written move is the
decoder's most probable one, fed back as its next input):

    step_accuracy_j   share of positions whose j-th written move is the real game's move j
                      (positions whose game ends before move j left out); top1 is step 1
    all_k_correct     share of positions (with k moves left) whose k moves are all right
    pv_agreement_j    on a sample of held-out positions, share whose j-th written move is the
                      j-th move of our search's principal variation from the same position
                      (positions whose PV is shorter than j left out); `pv_real_agreement_j`
                      is the same comparison between the PV and the real game, for scale

The PV source is our own search (`PVConfig`): PUCT with a policy/value network (the shipped one
for the board size unless another is given) or the pure MCTS/RAVE engine ("mcts", no network),
run afresh on each position with a fixed visit budget.
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
from training.baseline_data import Part
from training.game_records import GameRecords
from training.results_store import RESULTS_DIR
from training.sequence_models import (
    IGNORE,
    Family,
    FitConfig,
    finish_run,
    load_model,
    num_moves,
    pad_games,
    start_token,
    topk_hits,
    train_run,
    vocab_size,
)

KIND = "seq2seq"
CHECKPOINT = "seq2seq.safetensors"
OPTIMIZER = "seq2seq-optimizer.pt"
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class Seq2SeqConfig:
    """The network."""

    board_size: int = 9
    k: int = 4  # moves written per position
    cell: str = "lstm"  # "lstm" or "gru", for both encoder and decoder
    layers: int = 2
    hidden: int = 256
    embed: int = 128
    dropout: float = 0.1
    positions: int = 512  # (prefix, continuation) pairs decoded per training step (0: all)

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, not {self.cell!r}")
        if self.k < 1:
            raise ValueError(f"k must be at least 1, not {self.k}")
        if self.board_size < 2 or self.layers < 1 or self.hidden < 1 or self.embed < 1:
            raise ValueError(f"bad seq2seq shape: {self}")

    @property
    def name(self) -> str:
        return f"Seq2seq {self.cell.upper()} ({self.layers}x{self.hidden}, k={self.k})"


class MoveSeq2Seq(nn.Module):
    """encode(tokens) -> contexts; decode(contexts, inputs) -> logits; greedy(contexts)."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = config
        n, h, layers = config.board_size, config.hidden, config.layers
        cell = CELLS[config.cell]
        drop = config.dropout if layers > 1 else 0.0
        self.enc_embed = nn.Embedding(vocab_size(n), config.embed)
        self.encoder = cell(config.embed, h, layers, batch_first=True, dropout=drop)
        self.bridge_h = nn.Linear(h, layers * h)
        self.bridge_c = nn.Linear(h, layers * h) if config.cell == "lstm" else None
        self.dec_embed = nn.Embedding(vocab_size(n), config.embed)
        self.decoder = cell(config.embed, h, layers, batch_first=True, dropout=drop)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(h, num_moves(n))

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """Tokens [B, T] -> contexts [B, T, H]: contexts[:, t] has read tokens[:, : t + 1]."""
        out, _ = self.encoder(self.drop(self.enc_embed(tokens)))
        return out

    def initial_state(self, context: torch.Tensor) -> Any:
        """The decoder's (h0[, c0]) from contexts [M, H]."""
        m, layers, h = context.shape[0], self.config.layers, self.config.hidden

        def spread(linear: nn.Linear) -> torch.Tensor:
            return torch.tanh(linear(context)).view(m, layers, h).transpose(0, 1).contiguous()

        h0 = spread(self.bridge_h)
        return (h0, spread(self.bridge_c)) if self.bridge_c is not None else h0

    def decode(self, context: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: contexts [M, H], decoder inputs [M, S] -> logits [M, S, moves]."""
        out, _ = self.decoder(self.drop(self.dec_embed(inputs)), self.initial_state(context))
        return self.head(self.drop(out))

    def greedy(
        self, context: torch.Tensor, k: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(moves [M, k], first-step logits [M, moves]): each step's most probable move, fed
        back as the next input."""
        k = k or self.config.k
        m = context.shape[0]
        state = self.initial_state(context)
        token = torch.full((m, 1), start_token(self.config.board_size), device=context.device)
        moves, first = [], None
        for _ in range(k):
            out, state = self.decoder(self.dec_embed(token), state)
            logits = self.head(out[:, 0])
            if first is None:
                first = logits
            token = logits.argmax(dim=-1, keepdim=True)
            moves.append(token[:, 0])
        return torch.stack(moves, dim=1), first


def continuations(games: Sequence[np.ndarray], k: int, width: int) -> torch.Tensor:
    """targets [B, width, k]: targets[b, t, j] = move t + j of game b (IGNORE past its end)."""
    out = np.full((len(games), width, k), IGNORE, np.int64)
    for b, g in enumerate(games):
        for j in range(k):
            take = max(0, min(width, len(g) - j))
            out[b, :take, j] = g[j : j + take]
    return torch.from_numpy(out)


def decoder_inputs(targets: torch.Tensor, board_size: int) -> torch.Tensor:
    """[start, target 0, ..., target k-2] per row; IGNORE (past the game's end) becomes start."""
    start = start_token(board_size)
    first = torch.full_like(targets[:, :1], start)
    rest = targets[:, :-1].masked_fill(targets[:, :-1] == IGNORE, start)
    return torch.cat([first, rest], dim=1)


def pairs(model: MoveSeq2Seq, games: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """(contexts [M, H], targets [M, k]) of every prefix of `games`."""
    n, k = model.config.board_size, model.config.k
    inputs, _, lengths = pad_games(games, n)
    contexts = model.encode(inputs.to(model.device))
    targets = continuations(games, k, inputs.shape[1])
    valid = torch.arange(inputs.shape[1])[None, :] < lengths[:, None]
    return contexts[valid.to(model.device)], targets[valid].to(model.device)


def loss_on(model: MoveSeq2Seq, games: list[np.ndarray]) -> tuple[torch.Tensor, int]:
    """Mean cross-entropy over the k written moves of the batch's prefixes (a random
    `positions` of them while training)."""
    contexts, targets = pairs(model, games)
    cap = model.config.positions
    if model.training and cap and len(targets) > cap:
        keep = torch.randperm(len(targets), device=targets.device)[:cap]
        contexts, targets = contexts[keep], targets[keep]
    logits = model.decode(contexts, decoder_inputs(targets, model.config.board_size))
    loss = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE
    )
    return loss, int((targets != IGNORE).sum())


def step_accuracy(predicted: np.ndarray, targets: np.ndarray) -> tuple[list[float], list[int]]:
    """Per step j: (share of rows whose predicted[:, j] equals targets[:, j], rows counted),
    rows whose target is missing (IGNORE or negative) left out of step j."""
    predicted, targets = np.asarray(predicted), np.asarray(targets)
    shares, counts = [], []
    for j in range(targets.shape[1]):
        valid = targets[:, j] >= 0
        counts.append(int(valid.sum()))
        hits = int((predicted[valid, j] == targets[valid, j]).sum())
        shares.append(hits / counts[-1] if counts[-1] else float("nan"))
    return shares, counts


def predict_all(
    model: MoveSeq2Seq, games: Sequence[np.ndarray], batch: int = 64
) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """(greedy moves [P, k], targets [P, k], first-step logits [P, moves]) for every position
    of `games`, in game order."""
    model.eval()
    order = sorted(range(len(games)), key=lambda i: len(games[i]))
    parts: dict[int, tuple] = {}
    with torch.no_grad():
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            chunk = [games[i] for i in idx]
            contexts, targets = pairs(model, chunk)
            moves, first = model.greedy(contexts)
            start = 0
            for i, g in zip(idx, chunk, strict=True):
                end = start + len(g)
                parts[i] = (
                    moves[start:end].cpu(),
                    targets[start:end].cpu(),
                    first[start:end].cpu(),
                )
                start = end
    k, width = model.config.k, num_moves(model.config.board_size)
    if not parts:
        return np.zeros((0, k), np.int64), np.zeros((0, k), np.int64), torch.zeros(0, width)
    rows = [parts[i] for i in range(len(games))]
    return (
        torch.cat([r[0] for r in rows]).numpy(),
        torch.cat([r[1] for r in rows]).numpy(),
        torch.cat([r[2] for r in rows]).float(),
    )


def evaluate(model: MoveSeq2Seq, games: Sequence[np.ndarray]) -> dict[str, float]:
    """The held-out figures of the module docstring."""
    games = [g for g in games if len(g)]
    moves, targets, first = predict_all(model, games)
    shares, counts = step_accuracy(moves, targets)
    full = (targets >= 0).all(axis=1)
    hits = topk_hits(first, torch.from_numpy(targets[:, 0]), (1, 5))
    n = max(len(targets), 1)
    figures = {
        "top1": shares[0],
        "top5": hits[5] / n,
        "held_out_positions": float(len(targets)),
        "all_k_correct": float((moves[full] == targets[full]).all(axis=1).mean())
        if full.any()
        else float("nan"),
    }
    for j, (share, count) in enumerate(zip(shares, counts, strict=True), start=1):
        figures[f"step_accuracy_{j}"] = share
        figures[f"step_positions_{j}"] = float(count)
    return figures


# ----------------------------------------------------------------------------- PV agreement


@dataclass
class PVConfig:
    """Where principal variations come from, and on how many held-out positions."""

    positions: int = 100  # held-out positions sampled (0: no PV comparison)
    visits: int = 200  # search simulations per position
    source: str = "puct"  # "puct" (network priors and values) or "mcts" (RAVE, no network)
    model: str = ""  # the PUCT network ("": the one shipped for the board size)
    device: str = "auto"  # the network's device (see training.network_evaluator)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.source not in ("puct", "mcts"):
            raise ValueError(f"PV source must be 'puct' or 'mcts', not {self.source!r}")
        if self.positions < 0 or self.visits < 1:
            raise ValueError("pv positions must be >= 0 and pv visits >= 1")


def game_at(records: GameRecords, g: int, t: int) -> Game:
    """Game `g` of `records` replayed up to (not including) its move `t`."""
    n = records.board_size
    game = Game(n, Rules.named("japanese"))
    game.set_komi(float(records.komi[g]))
    s0, s1 = records.setup_offsets[g], records.setup_offsets[g + 1]
    for a, c in zip(records.setup_actions[s0:s1], records.setup_colors[s0:s1], strict=True):
        game.place_setup(int(a), int(c))
    m0 = int(records.move_offsets[g])
    if records.move_offsets[g + 1] > m0:
        game.set_to_play(int(records.move_colors[m0]))
    for a, c in zip(
        records.move_actions[m0 : m0 + t], records.move_colors[m0 : m0 + t], strict=True
    ):
        game.play(int(a), int(c))
    if records.move_offsets[g + 1] > m0 + t:
        game.set_to_play(int(records.move_colors[m0 + t]))
    return game


def principal_variations(games: Sequence[Game], config: PVConfig) -> list[list[int]]:
    """The search's principal variation from each game's position (a fresh tree each)."""
    if not games:
        return []
    n = games[0].size
    if config.source == "mcts":
        from go_engine.mcts import MCTS, MCTSConfig

        mcts = MCTS(n, MCTSConfig(seed=config.seed, reuse_tree=False))
        return [list(mcts.run(g.state, visits=config.visits).pv) for g in games]
    from go_engine.search import Search, SearchConfig
    from training.network_evaluator import load_evaluator, network_path

    evaluator = load_evaluator(
        network_path(config.model or None, n), config.device, expect_board_size=n
    )
    on_gpu = "cuda" in str(getattr(evaluator, "device", ""))
    # A small batch on a CPU: virtual loss with big batches flattens a short search.
    search = Search(
        evaluator,
        n,
        SearchConfig(batch_size=16 if on_gpu else 4, seed=config.seed, reuse_tree=False),
    )
    out = []
    for g in games:
        search.reset()
        out.append(list(search.run(g.state, visits=config.visits).pv))
    return out


def pv_agreement(
    decoded: np.ndarray, pvs: Sequence[Sequence[int]], prefix: str = "pv_agreement"
) -> dict[str, float]:
    """Per step j: the share of rows whose decoded[:, j] is the PV's j-th move, over the rows
    whose PV has a j-th move (`PREFIX_j`, and how many rows that was, `PREFIX_positions_j`)."""
    decoded = np.asarray(decoded)
    k = decoded.shape[1] if decoded.ndim == 2 else 0
    targets = np.full((len(pvs), k), IGNORE, np.int64)
    for i, pv in enumerate(pvs):
        take = min(k, len(pv))
        targets[i, :take] = list(pv)[:take]
    shares, counts = step_accuracy(decoded, targets)
    figures: dict[str, float] = {}
    for j, (share, count) in enumerate(zip(shares, counts, strict=True), start=1):
        figures[f"{prefix}_{j}"] = share
        figures[f"{prefix}_positions_{j}"] = float(count)
    return figures


def measure_pv(model: MoveSeq2Seq, part: Part, config: PVConfig, log=print) -> dict[str, float]:
    """pv_agreement_j (model vs search) and pv_real_agreement_j (search vs game) on
    `config.positions` held-out positions drawn at random (seeded)."""
    pos = part.positions
    total = len(pos.actions)
    if not config.positions or not total:
        return {}
    rng = np.random.default_rng(config.seed)
    chosen = np.sort(rng.choice(total, size=min(config.positions, total), replace=False))
    records, k = part.records, model.config.k
    prefixes, real, games = [], [], []
    for i in chosen:
        g = int(pos.game[i])
        t = int(i - pos.first[i])
        moves = records.move_actions[records.move_offsets[g] : records.move_offsets[g + 1]]
        moves = moves.astype(np.int64)
        prefixes.append(moves[:t])
        real.append(moves[t : t + k])
        games.append(game_at(records, g, t))
    log(f"searching {len(games)} positions ({config.source}, {config.visits} visits)")
    pvs = principal_variations(games, config)
    model.eval()
    with torch.no_grad():
        inputs, _, _ = pad_games([np.append(p, 0) for p in prefixes], model.config.board_size)
        contexts = model.encode(inputs.to(model.device))
        last = torch.tensor([len(p) for p in prefixes], device=model.device)
        decoded, _ = model.greedy(contexts[torch.arange(len(prefixes)), last])
    decoded = decoded.cpu().numpy()
    figures = pv_agreement(decoded, pvs)
    figures.update(pv_agreement(np.array([_pad(r, k) for r in real]), pvs, "pv_real_agreement"))
    figures["pv_positions"] = float(len(pvs))
    figures["pv_length_mean"] = float(np.mean([len(p) for p in pvs]))
    return figures


def _pad(moves: np.ndarray, k: int) -> np.ndarray:
    out = np.full(k, -1, np.int64)
    out[: len(moves)] = moves[:k]
    return out


# ----------------------------------------------------------------------------- training run


@dataclass
class Seq2SeqRunConfig:
    """One `go-engine train seq2seq` run: data, network, training loop, PV check, outputs."""

    sources: list[str]
    board_size: int = 9
    model: Seq2SeqConfig = field(default_factory=Seq2SeqConfig)
    fit: FitConfig = field(default_factory=FitConfig)
    pv: PVConfig = field(default_factory=PVConfig)
    max_train_games: int = 0
    held_out_games: int | None = None
    device: str = "auto"
    run: str = "runs/seq2seq"
    results: str = str(RESULTS_DIR)
    name: str = ""  # result record name (default seq2seq-N)
    resume: bool = False
    progress: bool = True


FAMILY = Family(KIND, CHECKPOINT, OPTIMIZER, MoveSeq2Seq, Seq2SeqConfig, loss_on)


def load_seq2seq(path: str | Path, device: str = "cpu") -> tuple[MoveSeq2Seq, dict]:
    """(model, record) from a checkpoint; errors name the file."""
    return load_model(FAMILY, path, device)


def train_seq2seq(config: Seq2SeqRunConfig, log: Callable[[str], None] = print) -> dict[str, float]:
    """Train, measure on the held-out games (and against the search's PV), save; returns the
    result's metrics."""
    run = train_run(FAMILY, config, log)
    n = config.board_size
    figures = evaluate(run.model, run.split.held_out.sequences())
    figures.update(measure_pv(run.model, run.split.held_out, config.pv, log))
    pv_source = ""
    if config.pv.positions:
        pv_source = f"{config.pv.source}, {config.pv.visits} visits"
        if config.pv.source == "puct":
            pv_source += f", {config.pv.model or f'shipped {n}x{n} network'}"
    return finish_run(FAMILY, config, run, figures, log, pv_source=pv_source)
