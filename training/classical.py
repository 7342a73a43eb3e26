"""Classical move-prediction models on hand-made move features, measured on the shared split.

Each position of an expert game is a choice among candidate moves (the rollout policy's
candidates: legal, not filling the mover's own eye, simple ko); each candidate is one dense row
of `go_engine.move_features` (the rollout policy's 3x3 / liberty / flag / response features,
decoded into columns, plus a few positional extras). A model scores every candidate, and the
prediction is the best-scored one. The models:

    linear    "linear softmax (one-hot features)": a conditional-logit model, the softmax over
              a position's candidates of a linear score; the weights act on the one-hot codes
              of every column (plus one crossed block, line x game phase, since a column that is
              the same for every candidate, like the move number, cancels in the softmax).
              Trained with torch (Adam, minibatches of positions, L2).
    boosting  "gradient boosting (LightGBM lambdarank)": `LGBMRanker`, one query per position,
              the expert move relevant, the pattern codes declared categorical.
    forest    "random forest (scikit-learn)": `RandomForestClassifier` on candidate rows (the
              expert move positive, the others negative); candidates ranked by probability.
    rollout   "rollout policy (linear softmax, hashed patterns)": the project's own AlphaGo
              rollout policy (`training.rollout_train`), whose features are the same patterns
              hashed whole into weight slots, trained here with `rollout_train.run_games`
              (its SGD) on the same training games; "rollout-shipped" loads the shipped
              19x19 weights (`go_engine/data/rollout19.npz`, trained on every training game of
              the 19x19 collection under the same split) instead of training.

Training uses each training position's expert move and a random sample of its other candidates
(`negatives` per position, `forest_negatives` for the forest): for the conditional logit this
keeps the estimate consistent (McFadden's sampling of alternatives), and it keeps the tree
models' data to a size that fits minutes. Evaluation scores EVERY candidate of every held-out
position, in chunks of games so that 19x19 (about 45,000 positions of ~250 candidates) fits
in memory.

Metrics (`evaluate`): top1 / top5 count every held-out position of the split, so positions
whose expert move is a pass or not a candidate (filling an own eye) are misses, as they are for
the networks, which are measured over every position; top1_candidates / top5_candidates count
only the positions whose move is a candidate. Ties between scores are broken at random in
expectation (a hit with two equal best scores counts one half), so coarse scorers are not
flattered.

`features="pattern"` zeroes the positional extras (EXTRA_COLUMNS) for the dense models, so the
same models can be measured on the rollout policy's own features alone (results named
"<model>-pattern-<N>").

Entry points: `fit_and_score(model_name, split, config)` trains one model on `split.train` and
returns its metrics on `split.held_out` (the data-scale benchmark calls it with training sets
of several sizes); `train_classical` is the command `go-engine train classical` (every model,
checkpoints, one result record per model).
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from go_engine.board import copy_state, set_stone, set_to_play
from go_engine.files import atomic_write
from go_engine.move_features import (
    C_LINE,
    C_MOVE,
    CATEGORICAL_COLUMNS,
    COLUMN_RANGES,
    COLUMNS,
    EXTRA_COLUMNS,
    N_COLUMNS,
    PATTERN_COLUMNS,
)
from go_engine.move_features import extract_game as extract_rows
from go_engine.rollout_features import N_WEIGHTS
from go_engine.rollout_features import extract_game as extract_hashed
from go_engine.rollout_policy import SHIPPED_PATH, RolloutPolicy
from go_engine.rules import Rules
from go_engine.state import State, new_state
from training.baseline_data import DataConfig, Part, Split, load_split
from training.results_store import RESULTS_DIR, write_result

MODEL_NAMES = ("linear", "boosting", "forest", "rollout", "rollout-shipped")
DISPLAY_NAMES = {
    "linear": "linear softmax (one-hot features)",
    "boosting": "gradient boosting (LightGBM lambdarank)",
    "forest": "random forest (scikit-learn)",
    "rollout": "rollout policy (linear softmax, hashed patterns)",
    "rollout-shipped": "rollout policy (linear softmax, hashed patterns), shipped weights",
}
MODEL_FILES = {
    "linear": "linear.npz",
    "boosting": "boosting.txt",
    "forest": "forest.joblib",
    "rollout": "rollout.npz",
    "rollout-shipped": "rollout-shipped.npz",
}


@dataclass
class ClassicalConfig:
    """Options of the classical models (one config for all: each model reads its own)."""

    negatives: int = 15  # sampled other candidates per training position (linear, boosting)
    forest_negatives: int = 10  # the same for the forest
    minutes: float = 0.0  # training budget per model in wall minutes (0: none)
    threads: int = 1  # CPU threads of LightGBM / scikit-learn / torch
    seed: int = 0
    eval_chunk_games: int = 25  # held-out games featurised at a time
    # "all" columns, or "pattern": the positional extras zeroed, so that the dense models see
    # only the rollout policy's features (the ablation of the extras)
    features: str = "all"
    # linear softmax
    linear_epochs: int = 4
    linear_batch: int = 256  # positions per step
    linear_lr: float = 0.05
    linear_l2: float = 1e-6
    device: str = "auto"
    # gradient boosting
    boosting_rounds: int = 200
    boosting_leaves: int = 63
    boosting_lr: float = 0.1
    boosting_min_child: int = 50
    # random forest
    forest_trees: int = 60
    forest_min_leaf: int = 20
    forest_max_samples: float = 0.3  # share of the rows each tree is grown on
    # rollout policy (training.rollout_train's defaults)
    rollout_epochs: int = 2
    rollout_lr: float = 0.02
    rollout_lr_decay: float = 0.5
    rollout_l2: float = 1e-4


# ----------------------------------------------------------------------------- candidates


@dataclass
class CandidateSet:
    """Candidate rows of some positions of a Part.

    Position j's candidates are rows start[j]:start[j+1]; target[j] is the expert move's row
    among them and position[j] the position's index in `Part.positions`. `total_positions` is
    the number of positions of the games covered (passes and non-candidate moves included).
    """

    rows: np.ndarray  # int16[R, N_COLUMNS]
    start: np.ndarray  # int64[Q + 1]
    target: np.ndarray  # int32[Q]
    position: np.ndarray  # int64[Q]
    total_positions: int

    def __len__(self) -> int:
        return len(self.target)

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.start)

    def labels(self) -> np.ndarray:
        """1 for the expert move's row, 0 for the others."""
        y = np.zeros(len(self.rows), np.int8)
        y[self.start[:-1] + self.target] = 1
        return y

    def group_ids(self) -> np.ndarray:
        """The position of each row (0..Q-1)."""
        return np.repeat(np.arange(len(self.target)), self.sizes)

    def limit_negatives(self, k: int) -> CandidateSet:
        """The expert row and at most k others per position, for sets made with `negatives`
        (expert first, the others in random order): the first 1 + k rows of each."""
        keep = np.minimum(self.sizes, 1 + k)
        if np.array_equal(keep, self.sizes):
            return self
        start = np.zeros(len(keep) + 1, np.int64)
        np.cumsum(keep, out=start[1:])
        within = np.arange(start[-1]) - np.repeat(start[:-1], keep)
        rows = self.rows[np.repeat(self.start[:-1], keep) + within]
        return CandidateSet(rows, start, self.target, self.position, self.total_positions)


_TEMPLATES: dict[int, State] = {}


def _template(n: int) -> State:
    # The rules and history size of `training.game_records.replay_positions`, so that the
    # games replay exactly as the split's positions were replayed.
    if n not in _TEMPLATES:
        _TEMPLATES[n] = new_state(n, Rules.named("japanese"), history=4 * n * n + 64)
    return _TEMPLATES[n]


@dataclass
class GameStart:
    """One replayable game of a Part: its start position and moves, and where its positions
    start in `Part.positions`."""

    index: int
    name: str
    start: State
    actions: np.ndarray  # int32
    colours: np.ndarray  # int8
    offset: int


def iter_game_starts(part: Part) -> Iterator[GameStart]:
    """The games of `part` that replayed (positions.ok), in order, with their start states."""
    rec = part.records
    template = _template(rec.board_size)
    offset = 0
    for g in range(len(rec)):
        if not part.positions.ok[g]:
            continue
        st = copy_state(template)
        for j in range(rec.setup_offsets[g], rec.setup_offsets[g + 1]):
            set_stone(st, int(rec.setup_actions[j]), int(rec.setup_colors[j]))
        lo, hi = int(rec.move_offsets[g]), int(rec.move_offsets[g + 1])
        if hi > lo:
            set_to_play(st, int(rec.move_colors[lo]))
        actions = rec.move_actions[lo:hi].astype(np.int32)
        colours = rec.move_colors[lo:hi].astype(np.int8)
        yield GameStart(g, rec.names[g], st, actions, colours, offset)
        offset += hi - lo


def _sample_groups(
    start: np.ndarray, target: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Row indices keeping, per position, the expert row first then at most k others in random
    order."""
    sizes = np.diff(start)
    group = np.repeat(np.arange(len(sizes)), sizes)
    key = rng.random(len(group))
    key[start[:-1] + target] = -1.0  # the expert row sorts first
    order = np.lexsort((key, group))
    rank = np.arange(len(order)) - np.repeat(start[:-1], sizes)
    return order[rank <= k]


def iter_candidates(
    part: Part, chunk_games: int = 25, negatives: int | None = None, seed: int = 0
) -> Iterator[CandidateSet]:
    """The candidate rows of `part`, `chunk_games` games at a time. With `negatives`, each
    position keeps its expert row (first) and at most that many other candidates, drawn at
    random (seeded)."""
    rng = np.random.default_rng(seed)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    total = 0

    def flush() -> CandidateSet:
        rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, N_COLUMNS))
        sizes = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        start = np.zeros(len(sizes) + 1, np.int64)
        np.cumsum(sizes, out=start[1:])
        target = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int32)
        position = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0, np.int64)
        return CandidateSet(rows.astype(np.int16), start, target, position, total)

    for i, g in enumerate(iter_game_starts(part)):
        take = np.ones(len(g.actions), np.bool_)
        start, target, rows, _, moves, error = extract_rows(g.start, g.actions, g.colours, take)
        if error >= 0:  # cannot happen for a game the split replayed
            raise RuntimeError(f"{g.name}: move {error + 1} refused on replay")
        if negatives is not None:
            keep = _sample_groups(start, target, negatives, rng)
            rows = rows[keep]
            sizes = np.minimum(np.diff(start), negatives + 1)
            target = np.zeros(len(target), np.int32)
        else:
            sizes = np.diff(start)
        parts.append((rows, sizes, target, g.offset + moves.astype(np.int64)))
        total += len(g.actions)
        if (i + 1) % chunk_games == 0:
            yield flush()
            parts = []
            total = 0
    if parts or total:
        yield flush()


def extract_part(part: Part, negatives: int | None = None, seed: int = 0) -> CandidateSet:
    """Every candidate row of `part` in one set (see `iter_candidates`)."""
    chunks = list(iter_candidates(part, chunk_games=10**9, negatives=negatives, seed=seed))
    if not chunks:
        raise ValueError("no replayable games")
    return chunks[0]


# ----------------------------------------------------------------------------- scoring


def rank_hits(scores: np.ndarray, start: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """Per position, the chance that the expert row is among the k best-scored rows when ties
    are broken uniformly at random (1 or 0 without ties, a fraction when a tie straddles the
    cut)."""
    sizes = np.diff(start)
    group = np.repeat(np.arange(len(sizes)), sizes)
    expert = scores[start[:-1] + target]
    s = scores.astype(np.float64)
    e = expert.astype(np.float64)[group]
    greater = np.bincount(group, weights=(s > e), minlength=len(sizes))
    ties = np.bincount(group, weights=(s == e), minlength=len(sizes)) - 1.0
    # The expert's rank is greater + U, U uniform on 0..ties: P(rank < k).
    return np.clip((k - greater) / (ties + 1.0), 0.0, 1.0)


@dataclass
class Tally:
    """Top-k hits accumulated over chunks of positions."""

    total: int = 0
    candidates: int = 0
    top1: float = 0.0
    top5: float = 0.0
    seconds: float = 0.0

    def add(self, scores: np.ndarray, cs: CandidateSet) -> None:
        self.candidates += len(cs)
        self.total += cs.total_positions
        if len(cs):
            self.top1 += float(rank_hits(scores, cs.start, cs.target, 1).sum())
            self.top5 += float(rank_hits(scores, cs.start, cs.target, 5).sum())

    def metrics(self) -> dict[str, float]:
        tot = max(self.total, 1)
        cand = max(self.candidates, 1)
        return {
            "top1": self.top1 / tot,
            "top5": self.top5 / tot,
            "top1_candidates": self.top1 / cand,
            "top5_candidates": self.top5 / cand,
            "held_out_positions": float(self.total),
            "candidate_positions": float(self.candidates),
            "eval_seconds": self.seconds,
        }


# ----------------------------------------------------------------------------- models


class DenseModel(Protocol):
    """A model over dense candidate rows: higher score = more likely the expert's move."""

    def fit(self, train: CandidateSet, config: ClassicalConfig) -> dict[str, float]: ...

    def score(self, rows: np.ndarray) -> np.ndarray: ...

    def save(self, path: Path) -> None: ...


def _deadline(config: ClassicalConfig) -> float:
    return time.perf_counter() + config.minutes * 60.0 if config.minutes > 0 else float("inf")


# One-hot layout of the linear model: each column but the move number, clipped to a range, then
# the line x phase block (the move number only matters through an interaction).
_LINEAR_CLIP = {"line": (1, 10), "dist_prev": (-1, 12), "dist_prev2": (-1, 12)}
_PHASES = 10
_PHASE_MOVES = 30


def linear_layout() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """(columns used, their low and high clips, their offsets into the weights, the number of
    weights before the line x phase block)."""
    cols, lows, highs, offs = [], [], [], []
    total = 0
    for i, name in enumerate(COLUMNS):
        if i == C_MOVE:
            continue
        lo, hi = _LINEAR_CLIP.get(name, COLUMN_RANGES[name])
        cols.append(i)
        lows.append(lo)
        highs.append(hi)
        offs.append(total - lo)
        total += hi - lo + 1
    return np.array(cols), np.array(lows), np.array(highs), np.array(offs), total


def linear_codes(rows: np.ndarray) -> np.ndarray:
    """The active one-hot weight indices of each row: int64[R, used columns + 1]."""
    cols, lows, highs, offs, total = linear_layout()
    x = np.clip(rows[:, cols].astype(np.int64), lows, highs) + offs
    line = np.clip(rows[:, C_LINE].astype(np.int64), 1, 10) - 1
    phase = np.minimum(rows[:, C_MOVE].astype(np.int64) // _PHASE_MOVES, _PHASES - 1)
    return np.concatenate([x, (total + phase * 10 + line)[:, None]], axis=1)


def linear_size() -> int:
    return linear_layout()[4] + _PHASES * 10


class LinearSoftmax:
    """Conditional logit over one-hot codes (see the module docstring)."""

    def __init__(self, weights: np.ndarray | None = None) -> None:
        self.weights = (
            np.zeros(linear_size(), np.float32)
            if weights is None
            else np.asarray(weights, np.float32)
        )
        if self.weights.shape != (linear_size(),):
            raise ValueError(f"linear weights must have shape ({linear_size()},)")

    def fit(self, train: CandidateSet, config: ClassicalConfig) -> dict[str, float]:
        import torch

        from training.torch_evaluator import select_device

        device = select_device(config.device)
        torch.manual_seed(config.seed)
        w = torch.zeros(linear_size(), device=device, requires_grad=True)
        opt = torch.optim.Adam([w], lr=config.linear_lr)
        rng = np.random.default_rng(config.seed)
        sizes = train.sizes
        width = int(sizes.max())
        q = len(train)
        deadline = _deadline(config)
        steps = 0
        loss_sum = 0.0
        for _ in range(config.linear_epochs):
            order = rng.permutation(q)
            loss_sum = 0.0
            for b in range(0, q, config.linear_batch):
                idx = order[b : b + config.linear_batch]
                # Pad each position's candidates to `width` rows (masked), expert at the
                # target row (row 0 for sampled sets).
                within = np.arange(width)
                valid = within[None, :] < sizes[idx, None]
                rows_at = train.start[idx, None] + np.minimum(within[None, :], sizes[idx, None] - 1)
                codes = linear_codes(train.rows[rows_at.ravel()])
                codes_t = torch.from_numpy(codes).to(device).view(len(idx), width, -1)
                logits = w[codes_t].sum(-1)
                logits = logits.masked_fill(torch.from_numpy(~valid).to(device), -1e9)
                tgt = torch.from_numpy(train.target[idx].astype(np.int64)).to(device)
                loss = torch.nn.functional.cross_entropy(logits, tgt)
                total = loss + config.linear_l2 * (w * w).sum()
                opt.zero_grad()
                total.backward()
                opt.step()
                steps += 1
                loss_sum += loss.item() * len(idx)
                if time.perf_counter() > deadline:
                    break
            if time.perf_counter() > deadline:
                break
        self.weights = w.detach().cpu().numpy().astype(np.float32)
        return {"train_steps": float(steps), "train_loss": loss_sum / max(q, 1)}

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.weights[linear_codes(rows)].sum(axis=1)

    def save(self, path: Path) -> None:
        import io

        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            kind=np.array("classical-linear"),
            weights=self.weights,
            columns=np.array(COLUMNS),
        )
        atomic_write(path, buf.getvalue())

    @classmethod
    def load(cls, path: Path) -> LinearSoftmax:
        try:
            with np.load(path) as d:
                if str(d["kind"]) != "classical-linear" or tuple(d["columns"]) != COLUMNS:
                    raise ValueError("another kind of file or another feature layout")
                return cls(d["weights"])
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
            raise ValueError(f"{path}: not a linear softmax model ({e})") from e


class _TimeBudget:
    """LightGBM callback that stops boosting at the deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.order = 30

    def __call__(self, env: Any) -> None:
        import lightgbm

        if time.perf_counter() > self.deadline:
            raise lightgbm.callback.EarlyStopException(env.iteration, [])


class Boosting:
    """LightGBM lambdarank over the candidates of each position."""

    def __init__(self, booster: Any = None) -> None:
        self.booster = booster

    def fit(self, train: CandidateSet, config: ClassicalConfig) -> dict[str, float]:
        import lightgbm

        ranker = lightgbm.LGBMRanker(
            objective="lambdarank",
            n_estimators=config.boosting_rounds,
            num_leaves=config.boosting_leaves,
            learning_rate=config.boosting_lr,
            min_child_samples=config.boosting_min_child,
            n_jobs=config.threads,
            random_state=config.seed,
            verbose=-1,
        )
        cat = [COLUMNS.index(c) for c in CATEGORICAL_COLUMNS]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # categorical override notices
            ranker.fit(
                train.rows,
                train.labels(),
                group=train.sizes,
                feature_name=list(COLUMNS),
                categorical_feature=cat,
                callbacks=[_TimeBudget(_deadline(config))],
            )
        self.booster = ranker.booster_
        return {"train_rounds": float(self.booster.current_iteration())}

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.booster.predict(rows.astype(np.float32), num_threads=1)

    def importances(self) -> dict[str, float]:
        gain = self.booster.feature_importance("gain")
        share = gain / max(gain.sum(), 1e-12)
        return {c: float(x) for c, x in zip(COLUMNS, share, strict=True)}

    def save(self, path: Path) -> None:
        atomic_write(path, self.booster.model_to_string())

    @classmethod
    def load(cls, path: Path) -> Boosting:
        import lightgbm

        try:
            booster = lightgbm.Booster(model_file=str(path))
        except (OSError, lightgbm.basic.LightGBMError) as e:
            raise ValueError(f"{path}: not a LightGBM model ({e})") from e
        if booster.feature_name() != list(COLUMNS):
            raise ValueError(f"{path}: model of another feature layout")
        return cls(booster)


class Forest:
    """scikit-learn random forest on candidate rows (expert = 1)."""

    def __init__(self, forest: Any = None) -> None:
        self.forest = forest

    def fit(self, train: CandidateSet, config: ClassicalConfig) -> dict[str, float]:
        from sklearn.ensemble import RandomForestClassifier

        deadline = _deadline(config)
        forest = RandomForestClassifier(
            n_estimators=0,
            min_samples_leaf=config.forest_min_leaf,
            max_features="sqrt",
            max_samples=config.forest_max_samples,
            n_jobs=config.threads,
            random_state=config.seed,
            warm_start=True,
        )
        x = train.rows
        y = train.labels()
        # Grown a few trees at a time so the time budget can stop it between batches.
        while forest.n_estimators < config.forest_trees:
            forest.n_estimators = min(config.forest_trees, forest.n_estimators + 10)
            forest.fit(x, y)
            if time.perf_counter() > deadline:
                break
        self.forest = forest
        return {"train_trees": float(len(forest.estimators_))}

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.forest.predict_proba(rows)[:, 1]

    def importances(self) -> dict[str, float]:
        imp = self.forest.feature_importances_
        return {c: float(x) for c, x in zip(COLUMNS, imp, strict=True)}

    def save(self, path: Path) -> None:
        # skops (safe loading) is not installed here; joblib is a pickle: load only files you
        # made yourself.
        import io

        import joblib

        buf = io.BytesIO()
        joblib.dump({"kind": "classical-forest", "columns": COLUMNS, "forest": self.forest}, buf)
        atomic_write(path, buf.getvalue())

    @classmethod
    def load(cls, path: Path) -> Forest:
        import joblib

        try:
            d = joblib.load(path)
            if not isinstance(d, dict) or d.get("kind") != "classical-forest":
                raise ValueError("not a forest file")
            if tuple(d["columns"]) != COLUMNS:
                raise ValueError("another feature layout")
        except Exception as e:  # unpickling garbage can raise almost anything
            raise ValueError(f"{path}: not a random forest model ({e})") from e
        return cls(d["forest"])


DENSE_MODELS: dict[str, Callable[[], DenseModel]] = {
    "linear": LinearSoftmax,
    "boosting": Boosting,
    "forest": Forest,
}
_LOADERS = {"linear": LinearSoftmax.load, "boosting": Boosting.load, "forest": Forest.load}


def feature_view(rows: np.ndarray, config: ClassicalConfig) -> np.ndarray:
    """The rows as the dense models see them: with features="pattern" the positional extras
    are set to 0 (constant columns, which no model can use)."""
    if config.features == "all":
        return rows
    if config.features != "pattern":
        raise ValueError(f"features must be 'all' or 'pattern', not {config.features!r}")
    rows = rows.copy()
    rows[:, len(PATTERN_COLUMNS) :] = 0
    return rows


def suffix(config: ClassicalConfig) -> str:
    """What a dense model's result and file names add for the feature set ("" or "-pattern")."""
    return "" if config.features == "all" else f"-{config.features}"


def _negatives_for(name: str, config: ClassicalConfig) -> int:
    return config.forest_negatives if name == "forest" else config.negatives


def evaluate(
    models: dict[str, DenseModel], held_out: Part, config: ClassicalConfig | None = None
) -> dict[str, dict[str, float]]:
    """Top-1/top-5 of each dense model over every position of `held_out` (one featurising pass
    shared by the models, `eval_chunk_games` games at a time)."""
    config = config or ClassicalConfig()
    tallies = {name: Tally() for name in models}
    feat_seconds = 0.0
    t = time.perf_counter()
    for cs in iter_candidates(held_out, config.eval_chunk_games):
        feat_seconds += time.perf_counter() - t
        for name, model in models.items():
            t = time.perf_counter()
            rows = feature_view(cs.rows, config)
            tallies[name].add(model.score(rows) if len(cs) else np.zeros(0), cs)
            tallies[name].seconds += time.perf_counter() - t
        t = time.perf_counter()
    out = {}
    for name, tally in tallies.items():
        if tally.total != len(held_out):
            raise RuntimeError(f"counted {tally.total} held-out positions, not {len(held_out)}")
        m = tally.metrics()
        m["eval_seconds"] += feat_seconds
        out[name] = m
    return out


# ----------------------------------------------------------------------------- rollout policy


def _rollout_games(part: Part) -> list[Any]:
    from training.rollout_train import GameRecord

    return [GameRecord(g.name, g.start, g.actions, g.colours) for g in iter_game_starts(part)]


def fit_rollout(train: Part, config: ClassicalConfig) -> tuple[np.ndarray, dict[str, float]]:
    """The rollout policy's weights trained by `rollout_train.run_games` (its SGD, lr halved
    after each epoch) on the training games of the split."""
    from training.rollout_train import run_games

    games = _rollout_games(train)
    weights = np.zeros(N_WEIGHTS, np.float32)
    rng = np.random.default_rng(config.seed)
    lr = config.rollout_lr
    deadline = _deadline(config)
    positions = 0
    for epoch in range(config.rollout_epochs):
        if epoch > 0:
            rng.shuffle(games)
        r = run_games(weights, games, lr=lr, l2=config.rollout_l2, learn=True, rng=rng)
        positions += r.positions
        lr *= config.rollout_lr_decay
        if time.perf_counter() > deadline:
            break
    return weights, {"train_examples_seen": float(positions)}


def evaluate_rollout(weights: np.ndarray, held_out: Part) -> dict[str, float]:
    """Top-1/top-5 of rollout weights over every position of `held_out` (the scores are the
    summed weights of each candidate's hashed features, the rollout's logits)."""
    t0 = time.perf_counter()
    tally = Tally()
    padded = np.concatenate([weights.astype(np.float64), [0.0]])  # index -1: no feature
    for g in iter_game_starts(held_out):
        take = np.ones(len(g.actions), np.bool_)
        start, target, feats, _, error = extract_hashed(g.start, g.actions, g.colours, take)
        if error >= 0:
            raise RuntimeError(f"{g.name}: move {error + 1} refused on replay")
        scores = padded[feats].sum(axis=1)
        empty = np.zeros((0, N_COLUMNS), np.int16)
        cs = CandidateSet(empty, start, target, np.zeros(0, np.int64), len(g.actions))
        tally.add(scores, cs)
    tally.seconds = time.perf_counter() - t0
    if tally.total != len(held_out):
        raise RuntimeError(f"counted {tally.total} held-out positions, not {len(held_out)}")
    return tally.metrics()


def load_rollout_weights(path: Path) -> np.ndarray:
    policy = RolloutPolicy.load(path)
    if policy.mode != "weights":
        raise ValueError(f"{path}: not a weights rollout policy")
    return policy.weights


# ----------------------------------------------------------------------------- fit and score


@dataclass
class Fitted:
    """A trained model and what training measured."""

    name: str
    model: Any  # a DenseModel, or the rollout weights (np.ndarray)
    metrics: dict[str, float] = field(default_factory=dict)


def fit(
    model_name: str,
    train: Part,
    config: ClassicalConfig | None = None,
    candidates: CandidateSet | None = None,
) -> Fitted:
    """Train one model ("linear", "boosting", "forest", "rollout"; "rollout-shipped" only
    loads the shipped weights) on the positions of `train`. `candidates`: the training rows
    already extracted with at least the model's negatives (shared between models)."""
    config = config or ClassicalConfig()
    if model_name not in MODEL_NAMES:
        raise ValueError(f"unknown model {model_name!r}; choose from {', '.join(MODEL_NAMES)}")
    t0 = time.perf_counter()
    if model_name == "rollout-shipped":
        if train.records.board_size != 19:
            raise ValueError("the shipped rollout weights are for 19x19 only")
        return Fitted(model_name, load_rollout_weights(SHIPPED_PATH), {"train_seconds": 0.0})
    if model_name == "rollout":
        weights, info = fit_rollout(train, config)
        info["train_seconds"] = time.perf_counter() - t0
        return Fitted(model_name, weights, info)
    k = _negatives_for(model_name, config)
    if candidates is None:
        candidates = extract_part(train, negatives=k, seed=config.seed)
    data = candidates.limit_negatives(k)
    data = dataclasses.replace(data, rows=feature_view(data.rows, config))
    model = DENSE_MODELS[model_name]()
    info = model.fit(data, config)
    info.update(
        {
            "train_examples": float(len(data)),
            "train_rows": float(len(data.rows)),
            "train_seconds": time.perf_counter() - t0,
        }
    )
    return Fitted(model_name, model, info)


def score(fitted: Fitted, held_out: Part, config: ClassicalConfig | None = None) -> dict:
    """The held-out metrics of one fitted model (see `Tally.metrics`)."""
    if fitted.name.startswith("rollout"):
        return evaluate_rollout(fitted.model, held_out)
    return evaluate({fitted.name: fitted.model}, held_out, config)[fitted.name]


def fit_and_score(
    model_name: str, split: Split, config: ClassicalConfig | None = None
) -> dict[str, float]:
    """Train `model_name` on `split.train` and measure it on `split.held_out`.

    Returns {"top1", "top5" (over every held-out position), "top1_candidates",
    "top5_candidates" (over positions whose move is a candidate), "held_out_positions",
    "candidate_positions", "train_positions" (every training position of the split),
    "train_seconds", "eval_seconds", ...}. The data-scale benchmark calls it once per
    training-set size (`baseline_data.DataConfig.max_train_positions`).
    """
    config = config or ClassicalConfig()
    fitted = fit(model_name, split.train, config)
    metrics = {**fitted.metrics, **score(fitted, split.held_out, config)}
    metrics["train_positions"] = float(len(split.train))
    return metrics


# ----------------------------------------------------------------------------- the command


@dataclass
class RunConfig:
    """`go-engine train classical`."""

    data: list[str]
    board_size: int = 9
    models: tuple[str, ...] = ("linear", "boosting", "forest", "rollout")
    max_train_games: int = 0
    max_train_positions: int = 0
    run: str = "runs/classical"
    results: str = str(RESULTS_DIR)
    resume: bool = False  # load a model whose file is already in the run folder
    plots: bool = True
    classical: ClassicalConfig = field(default_factory=ClassicalConfig)


def _model_file(name: str, config: ClassicalConfig) -> str:
    if name not in DENSE_MODELS or config.features == "all":
        return MODEL_FILES[name]
    stem, ext = MODEL_FILES[name].split(".")
    return f"{stem}{suffix(config)}.{ext}"


def _load_model(name: str, path: Path) -> Any:
    if name.startswith("rollout"):
        return load_rollout_weights(path)
    return _LOADERS[name](path)


def _save_model(name: str, model: Any, path: Path) -> None:
    if name.startswith("rollout"):
        RolloutPolicy("weights", model).save(path)
    else:
        model.save(path)


def _plot_importances(path: Path, title: str, values: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(values)
    fig, ax = plt.subplots(figsize=(7, 8))
    colours = ["tab:orange" if n in EXTRA_COLUMNS else "tab:blue" for n in names]
    ax.barh(names[::-1], [values[n] for n in names][::-1], color=colours[::-1])
    ax.set_xlabel("share of importance (orange: positional extras)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def train_classical(cfg: RunConfig, log: Callable[[str], None] = print) -> dict[str, dict]:
    """Train (or, with `resume`, load) each model, measure it on the held-out split, save it to
    `run/`, and write `results/<model>-<N>.json`; returns {model: metrics}."""
    for name in cfg.models:
        if name not in MODEL_NAMES:
            raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    config = cfg.classical
    feature_view(np.zeros((1, N_COLUMNS), np.int16), config)  # checks config.features
    if config.threads > 0:
        import torch

        torch.set_num_threads(config.threads)
    n = cfg.board_size
    t0 = time.perf_counter()
    split = load_split(
        DataConfig(
            list(cfg.data),
            board_size=n,
            max_train_games=cfg.max_train_games,
            max_train_positions=cfg.max_train_positions,
            seed=config.seed,
        )
    )
    log(f"data: {json.dumps(split.describe())} ({time.perf_counter() - t0:.0f} s)")
    run = Path(cfg.run)
    run.mkdir(parents=True, exist_ok=True)
    dense = [m for m in cfg.models if m in DENSE_MODELS]
    fitted: dict[str, Fitted] = {}
    candidates: CandidateSet | None = None
    for name in cfg.models:
        path = run / _model_file(name, config)
        if cfg.resume and path.exists():
            fitted[name] = Fitted(name, _load_model(name, path), {"train_seconds": float("nan")})
            log(f"{name}: loaded {path}")
            continue
        if name in DENSE_MODELS and candidates is None:
            t = time.perf_counter()
            k = max(_negatives_for(m, config) for m in dense)
            candidates = extract_part(split.train, negatives=k, seed=config.seed)
            log(
                f"training rows: {len(candidates)} positions, {len(candidates.rows)} rows "
                f"({time.perf_counter() - t:.0f} s)"
            )
        log(f"{name}: training")
        f = fit(name, split.train, config, candidates)
        _save_model(name, f.model, path)
        fitted[name] = f
        log(f"{name}: {json.dumps(f.metrics)}; saved {path}")
    candidates = None
    log("measuring on the held-out positions")
    scores = {}
    dense_fitted = {k: v.model for k, v in fitted.items() if k in DENSE_MODELS}
    if dense_fitted:
        scores.update(evaluate(dense_fitted, split.held_out, config))
    for name, f in fitted.items():
        if name.startswith("rollout"):
            scores[name] = evaluate_rollout(f.model, split.held_out)
    out = {}
    for name in cfg.models:
        f = fitted[name]
        metrics = {**f.metrics, **scores[name], "train_positions": float(len(split.train))}
        result = f"{name}{suffix(config) if name in DENSE_MODELS else ''}-{n}"
        title = DISPLAY_NAMES[name]
        if name in DENSE_MODELS and config.features == "pattern":
            title += ", rollout-policy columns only"
        extra: dict[str, Any] = {
            "features": {"pattern": list(PATTERN_COLUMNS), "extra": list(EXTRA_COLUMNS)},
            "checkpoint": str(run / _model_file(name, config)),
            "config": asdict(config),
            "data": {k: v for k, v in split.describe().items() if k != "read"},
        }
        if name in ("linear", "boosting", "forest"):
            extra["train_on"] = "expert move + sampled other candidates per position"
        if name == "rollout-shipped":
            extra["note"] = "shipped weights, trained on all 58,932 19x19 training games"
        if cfg.plots and hasattr(f.model, "importances"):
            imp = f.model.importances()
            extra["importances"] = imp
            _plot_importances(
                Path(cfg.results) / f"{result}-importance.png",
                f"{title}, {n}x{n}",
                imp,
            )
        extra["feature_set"] = config.features if name in DENSE_MODELS else "hashed patterns"
        write_result(result, "accuracy", title, n, metrics, cfg.results, **extra)
        log(
            f"{result}: top-1 {metrics['top1']:.2%}, top-5 {metrics['top5']:.2%} "
            f"(candidate positions: {metrics['top1_candidates']:.2%} / "
            f"{metrics['top5_candidates']:.2%})"
        )
        out[name] = metrics
    return out


def replace_config(config: ClassicalConfig, **changes: Any) -> ClassicalConfig:
    """A copy of `config` with the given fields changed (None values ignored)."""
    return dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})
