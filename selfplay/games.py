"""Many games advancing together, so that one network call serves the leaves of all of them.

`play_games` runs a set of game indices with at most `parallel_games` in flight. Each move
every active game searches from its position; the games whose player to move uses the same
evaluator are searched together by `go_engine.search.run_many` (one evaluator call per round
for all their trees). A finished game is handed to `on_game` at once, so the caller can write
it before anything else can go wrong.

Self-play (`selfplay_games`): both colours share one tree (reused between moves). Each move
is a full search with probability `full_fraction` (Dirichlet noise at the root, its visit
distribution becomes a training sample) and otherwise a cheap one that only plays (KataGo's
playout-cap randomization). The first `temperature_moves` moves are sampled in proportion to
the visits. A share of games never resigns; in those, the lowest value each side's search saw
is kept, which is how the loop calibrates the resignation threshold (`resign_threshold_for`).

Evaluation (`arena_games`): two networks, one tree each, no noise, the first moves sampled
so that the games differ, colours alternating with the game index.

A game ends after two passes (scored by Tromp-Taylor area, which is exact: self-play players
never pass away a won game and play on to capture dead stones), a resignation, or the move
cap (scored as it stands).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from go_engine.evaluator import Evaluator
from go_engine.features import agz_planes
from go_engine.game import Game
from go_engine.rules import Rules
from go_engine.samples import Samples, pack_planes
from go_engine.scoring import ownership as area_ownership
from go_engine.search import Search, SearchConfig, run_many
from go_engine.search_result import RESIGN, MoveChoice, choose_move
from go_engine.state import BLACK, WHITE
from selfplay.config import SelfPlayConfig


@dataclass
class FinishedGame:
    """One game as played, its result, and (self-play) its training samples."""

    index: int
    game: Game
    winner: int  # BLACK, WHITE, or 0 for a draw
    score: float | None  # area score, Black minus White minus komi (None after a resignation)
    resigned: bool
    capped: bool
    samples: Samples | None
    no_resign: bool = False
    lowest_value: dict[int, float] = field(default_factory=dict)  # per colour, for calibration
    full_moves: int = 0
    seconds: float = 0.0
    names: tuple[str, str] = ("", "")  # Black's and White's player names

    @property
    def result_text(self) -> str:
        """The SGF RE value: B+R, W+3.5, 0 (a draw)."""
        if self.winner == 0:
            return "0"
        letter = "B" if self.winner == BLACK else "W"
        if self.resigned:
            return f"{letter}+R"
        return f"{letter}+{abs(self.score or 0.0):g}"


@dataclass
class _Slot:
    """One game in flight and how it is played: its searches, move choice, budgets and the
    training samples it collects."""

    index: int
    game: Game
    searches: dict[int, Search]  # per colour (the same object twice in self-play)
    rng: np.random.Generator
    choice: MoveChoice
    names: tuple[str, str]  # Black's and White's player names
    cheap_visits: int  # the budget of a move that is not a full search
    full_visits: int = 0
    full_fraction: float = 0.0  # share of full searches (0: none, no samples)
    no_resign: bool = False
    start: float = field(default_factory=time.time)
    planes: list[np.ndarray] = field(default_factory=list)
    policies: list[np.ndarray] = field(default_factory=list)
    movers: list[int] = field(default_factory=list)
    lowest: dict[int, float] = field(default_factory=lambda: {BLACK: 1.0, WHITE: 1.0})
    full: bool = False

    def plan(self) -> int:
        """This move's visit budget; draws whether it is a full search."""
        self.full = self.full_fraction > 0 and bool(self.rng.random() < self.full_fraction)
        return self.full_visits if self.full else self.cheap_visits

    def finished(
        self, winner: int, score: float | None, resigned: bool, capped: bool
    ) -> FinishedGame:
        """The game as it ended, with its samples when it collected any."""
        final = not resigned and not capped
        return FinishedGame(
            index=self.index,
            game=self.game,
            winner=winner,
            score=score,
            resigned=resigned,
            capped=capped,
            samples=_samples(self, winner, final, score) if self.full_fraction > 0 else None,
            no_resign=self.no_resign,
            lowest_value=dict(self.lowest),
            full_moves=len(self.movers),
            seconds=time.time() - self.start,
            names=self.names,
        )


def _rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def _search_config(config: SelfPlayConfig, seed: int) -> SearchConfig:
    return SearchConfig(
        batch_size=config.batch_size,
        max_nodes=config.tree_nodes,
        seed=seed,
        cache_entries=4096,
    )


def play_games(
    indices: Sequence[int],
    make_slot: Callable[[int], _Slot],
    config: SelfPlayConfig,
    on_game: Callable[[FinishedGame], None],
) -> None:
    """The engine behind `selfplay_games` and `arena_games` (see the module docstring)."""
    pending = list(indices)
    active: list[_Slot] = []
    while pending or active:
        while pending and len(active) < config.parallel_games:
            active.append(make_slot(pending.pop(0)))
        # Group the games by the evaluator of their player to move: one run_many each.
        groups: dict[int, list[_Slot]] = {}
        for slot in active:
            ev = slot.searches[slot.game.to_play].evaluator
            groups.setdefault(id(ev), []).append(slot)
        results = {}
        for slots in groups.values():
            budgets = [s.plan() for s in slots]
            found = run_many(
                [s.searches[s.game.to_play] for s in slots],
                [s.game.state for s in slots],
                budgets,
                [s.full and config.noise for s in slots],
                lines=False,
            )
            results.update({id(s): r for s, r in zip(slots, found, strict=True)})
        still: list[_Slot] = []
        for slot in active:
            game = slot.game
            result = results[id(slot)]
            colour = game.to_play
            n = game.size
            slot.lowest[colour] = min(slot.lowest[colour], float(result.best_value))
            if slot.full:
                slot.planes.append(agz_planes(game.state))
                slot.policies.append(result.visit_distribution(n * n + 1))
                slot.movers.append(colour)
            opponent_passed = bool(game.moves) and game.moves[-1] == (game.pass_action, 3 - colour)
            pass_wins = None
            if opponent_passed:
                sign = 1.0 if colour == BLACK else -1.0
                pass_wins = sign * game.area_score() > 0
            move = choose_move(
                result,
                slot.choice,
                game.move_number,
                slot.rng,
                game.pass_action,
                opponent_passed,
                pass_wins,
            )
            if move == RESIGN:
                on_game(slot.finished(3 - colour, None, True, False))
                continue
            game.play(move, colour)
            over = game.is_over()
            if over or game.move_number >= config.move_cap:
                score = game.area_score()
                on_game(slot.finished(_winner(score), score, False, not over))
            else:
                still.append(slot)
        active = still


def _winner(score: float) -> int:
    return BLACK if score > 0 else WHITE if score < 0 else 0


def _samples(slot: _Slot, winner: int, final: bool, score: float | None) -> Samples:
    game = slot.game
    n = game.size
    k = len(slot.movers)
    movers = np.asarray(slot.movers, np.int8)
    sign = np.where(movers == BLACK, 1, -1).astype(np.int8)
    if winner == 0:
        value = np.zeros(k, np.int8)
    else:
        value = np.where(movers == winner, 1, -1).astype(np.int8)
    owner = np.zeros((k, n * n), np.int8)
    scores = np.zeros(k, np.float32)
    if final and score is not None:
        area = area_ownership(game.state, np.zeros(n * n, np.bool_))
        black_view = np.where(area == BLACK, 1, np.where(area == WHITE, -1, 0)).astype(np.int8)
        owner = black_view[None, :] * sign[:, None]
        scores = (sign * score).astype(np.float32)
    planes = np.stack(slot.planes) if k else np.zeros((0, 17, n, n), np.float32)
    policy = np.stack(slot.policies) if k else np.zeros((0, n * n + 1), np.float32)
    return Samples(
        n,
        pack_planes(planes),
        policy.astype(np.float16),
        value,
        owner.astype(np.int8),
        scores,
        np.full(k, final, bool),
        np.full(k, slot.index, np.int32),
    )


def selfplay_games(
    evaluator: Evaluator,
    config: SelfPlayConfig,
    indices: Sequence[int],
    seed: int,
    on_game: Callable[[FinishedGame], None],
    resign_threshold: float | None = None,
    name: str = "go-engine",
) -> None:
    """Play the self-play games `indices` (game i is seeded from (seed, i), so a game played
    again after a crash is the same game) and hand each to `on_game` when it ends."""
    threshold = config.resign_threshold if resign_threshold is None else resign_threshold
    rules = Rules(komi=config.komi)

    def make_slot(index: int) -> _Slot:
        rng = _rng(seed, index)
        search = Search(
            evaluator,
            config.board_size,
            _search_config(config, int(rng.integers(1 << 31))),
        )
        no_resign = bool(rng.random() < config.no_resign_fraction)
        choice = MoveChoice(
            temperature_moves=config.temperature_moves,
            lcb=False,
            resign_threshold=-1.0 if no_resign else threshold,
            resign_min_move=config.resign_min_move,
        )
        return _Slot(
            index,
            Game(config.board_size, rules),
            {BLACK: search, WHITE: search},
            rng,
            choice,
            (name, name),
            config.cheap_visits,
            config.full_visits,
            config.full_fraction,
            no_resign,
        )

    play_games(indices, make_slot, config, on_game)


def arena_games(
    evaluators: tuple[Evaluator, Evaluator],
    names: tuple[str, str],
    config: SelfPlayConfig,
    indices: Sequence[int],
    seed: int,
    visits: int,
    temperature_moves: int,
    on_game: Callable[[FinishedGame], None],
) -> None:
    """Games between two evaluators: game i gives Black to evaluators[i % 2]. `names` name
    the two players in the records."""
    rules = Rules(komi=config.komi)
    choice = MoveChoice(
        temperature_moves=temperature_moves,
        resign_threshold=-0.95,
        resign_min_move=config.resign_min_move,
    )

    def make_slot(index: int) -> _Slot:
        first = index % 2
        black = Search(evaluators[first], config.board_size, _search_config(config, index))
        white = Search(evaluators[1 - first], config.board_size, _search_config(config, index))
        return _Slot(
            index,
            Game(config.board_size, rules),
            {BLACK: black, WHITE: white},
            _rng(seed, index),
            choice,
            (names[first], names[1 - first]),
            visits,
        )

    play_games(indices, make_slot, config, on_game)


def resign_threshold_for(
    lowest_winner_values: Sequence[float],
    false_positive: float = 0.05,
    floor: float = -0.99,
    ceiling: float = -0.8,
) -> float:
    """AlphaGo Zero's calibration: the highest threshold at which at most `false_positive`
    of the games played out would have been resigned by their eventual winner, kept within
    [floor, ceiling] (a few dozen games are a noisy sample). `lowest_winner_values` holds, per
    such game, the lowest value the winner's search reported."""
    values = np.sort(np.asarray(lowest_winner_values, np.float64))
    if len(values) == 0:
        return floor
    k = int(np.floor(false_positive * len(values)))
    # Resigning below values[k] would have cost at most k of the len(values) games.
    return float(max(floor, min(values[k], ceiling)))
