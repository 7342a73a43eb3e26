"""Move choosers behind the GTP engine and the match runner.

A player turns a game position into a move. The registry maps `--player` names to factories:
random; the searches without a network (`mcts` and `puct-rollout`); the network players
(`policy`, `puct`, `mixed`), which use --model or else the network shipped for the board size;
and `auto`, the default: the shipped network's search where one exists, else `mcts`.
The search players also answer the engine's analysis commands through `think`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from go_engine import board as core
from go_engine.evaluator import (
    MixedEvaluator,
    PairEvaluator,
    RolloutEvaluator,
    SymmetryEvaluator,
    UniformPriors,
)
from go_engine.features import agz_planes, extended_planes
from go_engine.game import Game
from go_engine.mcts import MCTS, MCTSConfig
from go_engine.ownership import passing_wins
from go_engine.rollout_policy import MODES as ROLLOUT_MODES
from go_engine.rollout_policy import RolloutPolicy
from go_engine.search import Search, SearchConfig
from go_engine.search_result import MoveChoice, SearchResult, choose_move
from go_engine.state import M_N, State
from training.onnx_int8 import PRECISIONS


class Player(Protocol):
    """Anything that can choose a move for `color` in `game` (an action; pass = N*N)."""

    name: str

    def genmove(self, game: Game, color: int) -> int: ...


@dataclass
class PlayerConfig:
    """Options common to every player (budgets are read by the players that search)."""

    seed: int | None = None
    visits: int | None = None  # search simulations per move
    seconds: float | None = None  # search time per move (with visits: whichever ends first)
    # Search threads. mcts: root-parallel trees (default 1). Network searches: 2 overlap the
    # network with the tree and rollouts (default: 2 where this process may use 2 cores).
    threads: int | None = None
    # rollout policy of the searches that play rollouts; None: the player's own (`rollout_mode`)
    rollout: str | None = None
    model: str | None = None  # checkpoint of the network players
    mix: float = 0.5  # lambda of the mixed player: the rollouts' share of a leaf's value
    value_model: str | None = None  # alphago player: a separate value network
    uniform_priors: bool = False  # alphago player: equal priors (no policy network)
    mercy: float = 0.3  # mcts player: rollouts stop at this capture lead, a share of the board
    # PUCT searches: the exploration constant at the start (`SearchConfig.c_init`); None: each
    # player's own (network searches 1.25 as AlphaZero, puct-rollout 2.0).
    cpuct: float | None = None
    # Board symmetries of each network evaluation: "none", "random" (one at random) or
    # "average" (all eight, 8x the work); None: the player's own default (`NETWORK_SYMMETRIES`).
    symmetries: str | None = None
    # Network arithmetic on the CPU: "float32", or "int8" (ONNX Runtime's quantized copy of
    # each network, about 2.3x the evaluations a second; BENCHMARKS.md, session 12).
    # None: float32, except the default player's own choice (`AUTO_CHOICE`).
    precision: str | None = None
    # Search players resign when the best root value (from the mover's side, in [-1, 1]) is
    # below this; -1 never resigns (GUIs often want games played out, handicap teaching too).
    resign: float = MoveChoice.resign_threshold

    @property
    def network_precision(self) -> str:
        """The precision the network players load their networks in."""
        return self.precision or "float32"

    def __post_init__(self) -> None:
        # Checked here, so that `go-engine gtp` refuses bad options at start-up rather than
        # at the first genmove.
        if self.visits is not None and self.visits < 1:
            raise ValueError(f"visits must be at least 1, not {self.visits}")
        if self.seconds is not None and not self.seconds > 0:
            raise ValueError(f"seconds must be positive, not {self.seconds}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, not {self.threads}")
        if not 0.0 <= self.mix <= 1.0:
            raise ValueError(f"mix must lie in [0, 1], not {self.mix}")
        if not 0.0 <= self.mercy <= 1.0:
            raise ValueError(f"mercy must lie in [0, 1], not {self.mercy}")
        if self.cpuct is not None and not self.cpuct > 0:
            raise ValueError(f"cpuct must be positive, not {self.cpuct}")
        if self.symmetries is not None and self.symmetries not in SYMMETRY_MODES:
            raise ValueError(
                f"symmetries must be one of {', '.join(SYMMETRY_MODES)}, not {self.symmetries!r}"
            )
        if self.precision is not None and self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}"
            )
        if not -1.0 <= self.resign < 1.0:
            raise ValueError(f"resign must lie in [-1, 1), not {self.resign}")
        if self.rollout is not None and self.rollout not in ROLLOUT_MODES:
            raise ValueError(
                f"rollout must be one of {sorted(ROLLOUT_MODES)}, not {self.rollout!r}"
            )


SYMMETRY_MODES = ("none", "random", "average")
# The policy player makes one evaluation a move, so averaging the eight symmetries costs little
# and adds about a point of top-1 accuracy (BENCHMARKS, issue 5); a search would lose seven
# eighths of its visits, so the search players evaluate each position once as it stands.
NETWORK_SYMMETRIES = {"policy": "average"}

DEFAULT_VISITS = 10_000  # a search player's budget when neither visits nor seconds is given


PLANE_MAKERS = {"agz": agz_planes, "extended": extended_planes}  # the policy player's input


class RandomPlayer:
    """Uniform among legal moves (superko respected) that do not fill one's own single-point
    eye; passes only when nothing else is left. The baseline every other player must beat."""

    name = "random"

    def __init__(self, config: PlayerConfig | None = None) -> None:
        config = config or PlayerConfig()
        self.rng = np.random.default_rng(config.seed)

    def genmove(self, game: Game, color: int) -> int:
        legal = game.legal_moves(color)[:-1]
        candidates = [
            a for a in np.flatnonzero(legal) if not core.is_eye(game.state, int(a), int(color))
        ]
        if not candidates:
            return game.pass_action
        return int(candidates[int(self.rng.integers(len(candidates)))])


class SearchPlayer:
    """Base of the players that search: budget, colour to move, and the move choice with the
    pass and resignation guards of `go_engine.search_result.choose_move`."""

    name = "search"

    # Whether the move choice may prefer a child's lower confidence bound to its visit count
    # (`MoveChoice.lcb`); the network searches do not (`NetworkPlayer`).
    lcb = True

    def __init__(self, config: PlayerConfig | None = None) -> None:
        self.config = config or PlayerConfig()
        self.choice = MoveChoice(lcb=self.lcb, resign_threshold=self.config.resign)
        self.rng = np.random.default_rng(self.config.seed)
        self.last: SearchResult | None = None
        self.seconds_override: float | None = None  # set by the engine's time manager

    # (visits, seconds) when neither the options nor the clock give a budget
    default_budget: tuple[int | None, float | None] = (DEFAULT_VISITS, None)
    default_rollout = "light"  # the rollout policy when the options name none

    @property
    def rollout_mode(self) -> str:
        """The rollout policy this player's searches play: --rollout, or its own default."""
        return self.config.rollout or self.default_rollout

    def budget(self) -> tuple[int | None, float | None]:
        visits, seconds = self.config.visits, self.config.seconds
        if self.seconds_override is not None:
            seconds = self.seconds_override
        if visits is None and seconds is None:
            visits, seconds = self.default_budget
        return visits, seconds

    def search(
        self, state: State, visits: int | None, seconds: float | None, avoid: tuple[int, ...] = ()
    ) -> SearchResult:
        raise NotImplementedError

    @staticmethod
    def position(game: Game, color: int) -> Game:
        """The game itself, or a copy with `color` to move (GTP may ask either colour)."""
        if game.to_play == color:
            return game
        game = game.copy()
        game.set_to_play(color)
        return game

    def think(
        self,
        state: State,
        progress: Callable[[SearchResult], None] | None = None,
        interval: float = 1.0,
        avoid: tuple[int, ...] = (),
    ) -> SearchResult:
        """Search with this move's budget; with `progress`, in slices of about `interval`
        seconds (the tree is kept between slices), reporting the root after each. `avoid`:
        root moves ruled out, where the search supports it (the PUCT searches)."""
        visits, seconds = self.budget()
        if progress is None:
            result = self.search(state, visits, seconds, avoid)
        else:
            start = time.perf_counter()
            done = 0
            while True:
                left = None if seconds is None else seconds - (time.perf_counter() - start)
                if left is not None and left <= 0:
                    break
                step = interval if left is None else min(interval, left)
                want = None if visits is None else visits - done
                result = self.search(state, want, step, avoid)
                done += result.simulations
                progress(result)
                if (want is not None and done >= visits) or result.simulations == 0:
                    break
        self.last = result
        return result

    def genmove(
        self,
        game: Game,
        color: int,
        progress: Callable[[SearchResult], None] | None = None,
        interval: float = 1.0,
    ) -> int:
        game = self.position(game, color)
        opponent_passed = bool(game.moves) and game.moves[-1] == (game.pass_action, 3 - color)
        pass_wins = None
        if opponent_passed:
            # Passing ends the game: only when it wins both on the board as it stands and
            # once dead stones are taken off. Playing on costs nothing under area scoring.
            pass_wins = passing_wins(game.state, color, seed=int(self.rng.integers(1 << 31)))
        # Otherwise the search leaves the pass out: the tree scores the game it ends by
        # Tromp-Taylor, which may call it won, and would spend the move's time on it.
        avoid = (game.pass_action,) if pass_wins is False else ()
        result = self.think(game.state, progress, interval, avoid)
        move = choose_move(
            result,
            self.move_choice(),
            game.move_number,
            self.rng,
            game.pass_action,
            opponent_passed,
            pass_wins,
        )
        return keep_own_eyes(result, game, color, move)

    def move_choice(self) -> MoveChoice:
        """How this player picks its move from a search's result."""
        return self.choice


def keep_own_eyes(result: SearchResult, game: Game, color: int, move: int) -> int:
    """`move`, unless it fills one of `color`'s own single-point eyes: then the most visited
    searched move that does not, or a pass. A search with a few dozen evaluations a move can
    rank such a move first late in a game (four 19x19 games against GNU Go were lost that way,
    each side's groups filled in until GNU Go captured them); the rollouts and the pure MCTS
    engine never play these moves either."""
    if move < 0 or move == game.pass_action or not core.is_eye(game.state, move, color):
        return move
    order = np.argsort(-result.visits, kind="stable")
    for i in order:
        a = int(result.actions[i])
        if a == game.pass_action or a == move:
            continue
        if game.is_legal(a, color) and not core.is_eye(game.state, a, color):
            return a
    return game.pass_action


class MCTSPlayer(SearchPlayer):
    """The pure MCTS engine: UCT with RAVE and light rollouts, no network."""

    name = "mcts"

    def __init__(self, config: PlayerConfig | None = None) -> None:
        super().__init__(config)
        self.engines: dict[int, MCTS] = {}

    def search(
        self, state: State, visits: int | None, seconds: float | None, avoid: tuple[int, ...] = ()
    ) -> SearchResult:
        n = int(state.meta[M_N])
        if n not in self.engines:
            seed = self.config.seed if self.config.seed is not None else 0
            cfg = MCTSConfig(
                threads=self.config.threads or 1,
                rollout=self.rollout_mode,
                mercy=self.config.mercy,
                seed=seed,
            )
            self.engines[n] = MCTS(n, cfg)
        # `avoid` is not applied: the RAVE tree has no root exclusion (the pass guard of
        # `choose_move` still keeps a losing pass from being played)
        return self.engines[n].run(state, visits=visits, seconds=seconds)


# Rollout values are single game results (+1 or -1), noisier than a network's, so the
# rollout PUCT search explores more widely than the network searches' 1.25.
PUCT_ROLLOUT_CPUCT = 2.0


class PUCTRolloutPlayer(SearchPlayer):
    """PUCT with uniform priors and rollout values: the network search's machinery without a
    network (a baseline for the PUCT code, weaker than `mcts`)."""

    name = "puct-rollout"

    def __init__(self, config: PlayerConfig | None = None) -> None:
        super().__init__(config)
        self.searches: dict[int, Search] = {}

    def search(
        self, state: State, visits: int | None, seconds: float | None, avoid: tuple[int, ...] = ()
    ) -> SearchResult:
        n = int(state.meta[M_N])
        if n not in self.searches:
            seed = self.config.seed if self.config.seed is not None else 0
            self.searches[n] = Search(
                RolloutEvaluator(RolloutPolicy.named(self.rollout_mode)),
                n,
                SearchConfig(seed=seed, c_init=self.config.cpuct or PUCT_ROLLOUT_CPUCT),
            )
        return self.searches[n].run(state, visits=visits, seconds=seconds, avoid=avoid)


class _Networks:
    """The network evaluators of a player, one per board size, loaded on first use: the
    --model checkpoint (for its own board size only), or else the shipped network that plays
    each size (with `sl`, the SL network), wrapped in a `SymmetryEvaluator` when the player's
    symmetry mode asks for one. torch is imported only here, so engines without a network
    start fast."""

    def __init__(self, config: PlayerConfig, player: str, sl: bool = False) -> None:
        self.config = config
        self.player = player
        self.sl = sl
        self.symmetries = config.symmetries or NETWORK_SYMMETRIES.get(player, "none")
        self.by_size: dict[int, object] = {}
        self.fixed = None
        if config.model:
            # Loaded at once: a bad --model file is refused when the engine starts.
            from training.network_evaluator import load_evaluator

            self.fixed = self.wrap(load_evaluator(config.model, precision=config.network_precision))

    def wrap(self, evaluator):
        if self.symmetries == "none":
            return evaluator
        seed = self.config.seed if self.config.seed is not None else 0
        return SymmetryEvaluator(evaluator, mode=self.symmetries, seed=seed)

    def get(self, n: int):
        if self.fixed is not None:
            size = self.fixed.board_size
            if size != n:
                raise ValueError(f"the network plays {size}x{size}, not {n}x{n}")
            return self.fixed
        if n not in self.by_size:
            from training.network_evaluator import load_evaluator, network_path

            path = network_path(None, n, sl=self.sl)
            evaluator = load_evaluator(
                path, expect_board_size=n, precision=self.config.network_precision
            )
            self.by_size[n] = self.wrap(evaluator)
        return self.by_size[n]


class PolicyPlayer:
    """The policy network alone, no search: its most probable legal move that does not fill
    one's own single-point eye. It passes when the network rates passing above every such
    move, when none is left, or when the opponent has passed and the game is won as judged
    by `passing_wins` (dead stones removed), so finished games end."""

    name = "policy"

    def __init__(self, config: PlayerConfig | None = None) -> None:
        self.config = config or PlayerConfig()
        self.networks = _Networks(self.config, self.name)
        self.rng = np.random.default_rng(self.config.seed)

    def genmove(self, game: Game, color: int) -> int:
        game = SearchPlayer.position(game, color)
        evaluator = self.networks.get(game.size)
        planes = PLANE_MAKERS[evaluator.features](game.state)[None]
        priors, _ = evaluator.evaluate(planes)
        prior = priors[0]
        pass_action = game.pass_action
        if bool(game.moves) and game.moves[-1] == (pass_action, 3 - color):
            if passing_wins(game.state, color, seed=int(self.rng.integers(1 << 31))):
                return pass_action
        legal = game.legal_moves(color)
        legal[pass_action] = False
        for a in np.flatnonzero(legal):
            if core.is_eye(game.state, int(a), int(color)):
                legal[a] = False
        if not legal.any():
            return pass_action
        best = int(np.argmax(np.where(legal, prior, -1.0)))
        return pass_action if prior[pass_action] > prior[best] else best


DEFAULT_NETWORK_SECONDS = 1.0  # a network search's budget when neither visits nor time is given


class NetworkPlayer(SearchPlayer):
    """PUCT with the network's priors and values (AlphaGo Zero's player)."""

    name = "puct"
    mixed = False
    # The most visited move, not the best lower confidence bound: the mean of a child with a
    # small prior is biased upward (it is visited when its noisy mean is high), and at
    # thousands of visits a move the bound picked such children on about a quarter of the
    # moves, often ones the policy gave under 1% (BENCHMARKS.md, session 14).
    lcb = False
    sl_network = False  # without --model: the shipped network that plays, not the SL one

    def __init__(self, config: PlayerConfig | None = None) -> None:
        super().__init__(config)
        self.networks = _Networks(self.config, self.name, sl=self.sl_network)
        self.searches: dict[int, Search] = {}

    default_budget = (None, DEFAULT_NETWORK_SECONDS)

    def network_evaluator(self, n: int):
        """The evaluator of the network(s) for an n x n board."""
        return self.networks.get(n)

    def searcher(self, n: int) -> Search:
        if n not in self.searches:
            evaluator = self.network_evaluator(n)
            if self.mixed:
                policy = RolloutPolicy.named(self.rollout_mode)
                evaluator = MixedEvaluator(evaluator, self.config.mix, policy)
            seed = self.config.seed if self.config.seed is not None else 0
            # Virtual loss spreads a batch over the root's children: with the few dozen
            # evaluations a CPU affords per move, batches of 8 would leave a one-ply search.
            # On a CPU a batch of 4 costs little throughput (BENCHMARKS, "Networks").
            on_gpu = "cuda" in str(getattr(evaluator, "device", ""))
            batch = 16 if on_gpu else 4
            # Two threads overlap the network with the tree and the rollouts; more have no
            # use in one tree (the network runtime already spreads a batch over the cores).
            # On one core the overlap costs about 5% (BENCHMARKS.md), so it waits for two.
            from training.network_evaluator import usable_cores

            threads = min(2, self.config.threads or usable_cores())
            cpuct = self.config.cpuct or SearchConfig.c_init
            self.searches[n] = Search(
                evaluator,
                n,
                SearchConfig(batch_size=batch, seed=seed, threads=threads, c_init=cpuct),
            )
        return self.searches[n]

    def search(
        self, state: State, visits: int | None, seconds: float | None, avoid: tuple[int, ...] = ()
    ) -> SearchResult:
        return self.searcher(int(state.meta[M_N])).run(
            state, visits=visits, seconds=seconds, avoid=avoid
        )


class MixedPlayer(NetworkPlayer):
    """AlphaGo's player: PUCT with network priors and leaf values mixing the value network
    with a rollout, (1 - mix) * v + mix * z."""

    name = "mixed"
    mixed = True


class AlphaGoPlayer(MixedPlayer):
    """AlphaGo (Silver et al. 2016): PUCT with the policy network's priors (--model, the SL
    network), leaf values (1 - mix) * v + mix * z with v from a separate value network and z
    from a rollout of the fast rollout policy (--rollout; by default "weights", the trained
    policy, as AlphaGo's). The value network is --value-model; without one, the shipped value
    network of the board size when the policy is the shipped one too (9x9: `value9`), else
    the policy network's own value head. With --uniform-priors the policy network's priors
    are replaced by equal ones (the ablation's "no policy network" variants: --mix 1 rollouts
    only, --mix 0 value network only)."""

    name = "alphago"
    default_rollout = "weights"
    sl_network = True  # AlphaGo's policy network is the SL one

    def __init__(self, config: PlayerConfig | None = None) -> None:
        super().__init__(config)
        self.value_networks: dict[int, object | None] = {}
        if self.config.value_model:
            from training.network_evaluator import load_evaluator

            # refused at start when bad
            value = load_evaluator(self.config.value_model, precision=self.config.network_precision)
            self.value_networks[value.board_size] = value

    def value_network(self, n: int):
        """The value network for an n x n board, or None to use the policy network's head."""
        if self.config.value_model:
            value = self.value_networks.get(n)
            if value is None:
                raise ValueError(f"the value network does not play {n}x{n}")
            return value
        if n not in self.value_networks:
            from training.networks import shipped_value_network

            path = None if self.config.model else shipped_value_network(n)
            if path is None:
                self.value_networks[n] = None
            else:
                from training.network_evaluator import load_evaluator

                self.value_networks[n] = load_evaluator(
                    path, expect_board_size=n, precision=self.config.network_precision
                )
        return self.value_networks[n]

    def network_evaluator(self, n: int):
        evaluator = self.networks.get(n)
        value = self.value_network(n)
        if value is not None:
            evaluator = PairEvaluator(evaluator, value)
        if self.config.uniform_priors:
            evaluator = UniformPriors(evaluator)
        return evaluator


# The default player's choice per board size with a shipped network (the player, and its
# defaults for the options not given); other sizes play mcts. 19x19: the network search.
# 9x9: the self-play network `rl9d` (policy and value heads) in the mixed search with the
# trained rollout policy, its network in int8. That search made the session-14 default (`rl9`),
# which beat AlphaGo's player (`sl9` with the value network `value9`) in a direct match and
# against GNU Go; `rl9d`, trained from `rl9` by its own searches, beat `rl9` in turn, and
# its later generation 63 beat its generation 24 (BENCHMARKS.md, "Session 14", "Session 16"
# and "Session 18").
AUTO_CHOICE: dict[int, tuple[str, dict[str, object]]] = {
    19: ("puct", {}),
    9: ("mixed", {"rollout": "weights", "precision": "int8"}),
}


class AutoPlayer(SearchPlayer):
    """The default: the search with the shipped network on board sizes that have one
    (`AUTO_CHOICE`), the pure MCTS engine on the others."""

    name = "auto"

    def __init__(self, config: PlayerConfig | None = None) -> None:
        super().__init__(config)
        self.delegates: dict[str, SearchPlayer] = {}
        self.current: SearchPlayer | None = None

    def delegate(self, n: int) -> SearchPlayer:
        from training.networks import playing_network

        name, defaults = ("mcts", {})
        if playing_network(n) is not None:
            name, defaults = AUTO_CHOICE.get(n, ("mcts", {}))
        if name not in self.delegates:
            # the options given win over the choice's defaults
            unset = {k: v for k, v in defaults.items() if getattr(self.config, k) is None}
            player = PLAYERS[name](dataclasses.replace(self.config, **unset))
            assert isinstance(player, SearchPlayer)
            self.delegates[name] = player
        return self.delegates[name]

    def budget(self) -> tuple[int | None, float | None]:
        player = self.current or self.delegates.get("mcts") or MCTSPlayer(self.config)
        player.seconds_override = self.seconds_override
        return player.budget()

    def search(
        self, state: State, visits: int | None, seconds: float | None, avoid: tuple[int, ...] = ()
    ) -> SearchResult:
        self.current = self.delegate(int(state.meta[M_N]))
        return self.current.search(state, visits, seconds, avoid)

    def move_choice(self) -> MoveChoice:
        return self.current.move_choice() if self.current is not None else self.choice

    def think(
        self,
        state: State,
        progress: Callable[[SearchResult], None] | None = None,
        interval: float = 1.0,
        avoid: tuple[int, ...] = (),
    ) -> SearchResult:
        self.current = self.delegate(int(state.meta[M_N]))
        return super().think(state, progress, interval, avoid)


PLAYERS: dict[str, Callable[[PlayerConfig], Player]] = {
    "random": RandomPlayer,
    "mcts": MCTSPlayer,
    "puct-rollout": PUCTRolloutPlayer,
    "policy": PolicyPlayer,
    "puct": NetworkPlayer,
    "mixed": MixedPlayer,
    "alphago": AlphaGoPlayer,
    "auto": AutoPlayer,
}
DEFAULT_PLAYER = "auto"


def make_player(name: str, config: PlayerConfig | None = None) -> Player:
    """The player registered under `name`."""
    if name not in PLAYERS:
        raise ValueError(f"unknown player {name!r}; available: {', '.join(sorted(PLAYERS))}")
    return PLAYERS[name](config or PlayerConfig())
