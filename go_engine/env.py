"""A gymnasium environment for two-player Go self-play, registered as "go_engine/Go-v0".

One environment plays both colours: `step(action)` plays for whoever is to move, and the
observation is always from that player's side (the feature planes of `go_engine.features`,
plus the mask of their legal actions). The reward is 0 until the game ends and then +1, -1 or
0 from the point of view of the player who has just moved; the other player's return is its
negation.

Scoring uses every stone on the board as alive (area scoring by default, Tromp-Taylor: stones
plus empty regions reaching one colour only). That is exact for games played out to the end,
which is how self-play and random games finish: once only eyes are left nothing is dead. A game
where both sides pass early with dead stones on the board is scored with those stones alive.

Importing this module registers the environment, so `gymnasium.make("go_engine/Go-v0",
size=9, planes="extended")` works after `import go_engine.env`; every keyword of
`GoEnvConfig` (and `render_mode`) passes through `make`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.envs.registration import register, registry

from go_engine import features
from go_engine.coords import action_to_gtp, board_to_text
from go_engine.game import Game, IllegalMoveError
from go_engine.rules import Rules
from go_engine.state import BLACK, EMPTY, MAX_SIZE, MIN_SIZE, WHITE, State

ENV_ID = "go_engine/Go-v0"

PLANE_SETS = ("agz", "extended")
ILLEGAL_MODES = ("raise", "lose")
SCORINGS = ("area", "rules")


@dataclass
class GoEnvConfig:
    """Settings of a `GoEnv`.

    size: board size N.
    komi: points given to White; None keeps the komi of `rules`, a number replaces it.
    rules: a `Rules` or the name of a preset (`Rules.named`: "chinese", "japanese", ...).
    planes: "agz" (AlphaGo Zero's 17 planes) or "extended" (`features.EXTENDED_PLANES`).
    max_moves: moves (passes included) after which the game is stopped and scored as it
        stands, reported as truncation; None means 2 * N * N.
    illegal_move: "raise" raises `IllegalMoveError` and leaves the game as it was; "lose" ends
        the game with the offender losing (reward -1).
    scoring: "area" always scores by area (`Game.area_score`, whatever the rules), "rules"
        uses the rules' own scoring (`Game.score`: territory for Japanese rules); both count
        every stone as alive.
    """

    size: int = 9
    komi: float | None = 7.5
    rules: Rules | str = Rules()
    planes: str = "agz"
    max_moves: int | None = None
    illegal_move: str = "raise"
    scoring: str = "area"

    def __post_init__(self) -> None:
        if isinstance(self.rules, str):
            self.rules = Rules.named(self.rules)
        if not isinstance(self.rules, Rules):
            raise TypeError(f"rules must be a Rules or a preset name, not {self.rules!r}")
        if not isinstance(self.size, int | np.integer) or not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be an integer from {MIN_SIZE} to {MAX_SIZE}")
        self.size = int(self.size)
        if self.planes not in PLANE_SETS:
            raise ValueError(f"planes must be one of {PLANE_SETS}, not {self.planes!r}")
        if self.illegal_move not in ILLEGAL_MODES:
            raise ValueError(f"illegal_move must be one of {ILLEGAL_MODES}")
        if self.scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {SCORINGS}, not {self.scoring!r}")
        if self.max_moves is not None and self.max_moves < 1:
            raise ValueError(f"max_moves must be positive, not {self.max_moves}")

    @property
    def game_rules(self) -> Rules:
        """The rules the games are played under, komi included."""
        return self.rules if self.komi is None else self.rules.with_komi(self.komi)

    @property
    def move_cap(self) -> int:
        return 2 * self.size * self.size if self.max_moves is None else int(self.max_moves)


def plane_function(planes: str) -> tuple[Callable[[State], np.ndarray], int]:
    """The feature function for a plane set and its number of channels."""
    if planes == "agz":
        return features.agz_planes, int(features.AGZ_PLANES)
    if planes == "extended":
        return features.extended_planes, int(features.EXTENDED_PLANES)
    raise ValueError(f"planes must be one of {PLANE_SETS}, not {planes!r}")


class GoEnv(gymnasium.Env):
    """Go for self-play: both players act through the same `step`.

    Observation: {"planes": float32[C, N, N] in [0, 1] from the side of the player to move,
    "action_mask": int8[N*N+1], 1 where that player's action is legal}. Actions: 0..N*N-1 are
    points in row-major order, row 0 at the top; N*N is pass.

    `step` returns the reward for the player who just moved: +1 / -1 / 0 (draw, only possible
    with integer komi) when the game ends, else 0. `terminated` after two passes in a row or a
    lost illegal move, `truncated` when `max_moves` is reached (the position is then scored
    the same way). Info: "to_play" (BLACK = 1 or WHITE = 2), "move_number", "legal" (bool mask,
    the same as the action mask); after a step also "player" (who just moved); at the end
    "winner" (BLACK, WHITE or 0), and "score" (Black minus White minus komi) or, for a game lost
    by an illegal move, "illegal_move" (the reason) instead.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self, config: GoEnvConfig | None = None, render_mode: str | None = None, **kwargs: Any
    ) -> None:
        if config is None:
            config = GoEnvConfig(**kwargs)
        elif kwargs:
            config = replace(config, **kwargs)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        self.config = config
        self.render_mode = render_mode
        n = config.size
        self._planes, channels = plane_function(config.planes)
        self.action_space = spaces.Discrete(n * n + 1)
        self.observation_space = spaces.Dict(
            {
                "action_mask": spaces.MultiBinary(n * n + 1),
                "planes": spaces.Box(0.0, 1.0, (channels, n, n), np.float32),
            }
        )
        self._game = Game(n, config.game_rules)
        self._done = True  # step() needs a reset() first

    # -- gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """A new game, Black to move. No options are understood (an empty dict is fine)."""
        super().reset(seed=seed)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}")
        self._game = Game(self.config.size, self.config.game_rules)
        self._done = False
        legal = self._game.legal_moves()
        return self._observation(legal), self._info(legal)

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        if self._done:
            raise gymnasium.error.ResetNeeded("the game is over (or not started): call reset()")
        game = self._game
        player = game.to_play
        if not self.action_space.contains(action):
            # Not a Go move at all, whatever the mode: a bug in the caller, not a bad move.
            raise IllegalMoveError(int(action), player, "off board")
        action = int(action)
        try:
            game.play(action, player)
        except IllegalMoveError as err:
            if self.config.illegal_move == "raise":
                raise
            self._done = True
            legal = game.legal_moves()
            info = self._info(legal)
            info.update(player=player, winner=3 - player, illegal_move=err.reason)
            return self._observation(legal), -1.0, True, False, info

        terminated = game.is_over()
        truncated = not terminated and game.move_number >= self.config.move_cap
        legal = game.legal_moves()
        info = self._info(legal)
        info["player"] = player
        reward = 0.0
        if terminated or truncated:
            self._done = True
            score = self._score()
            winner = BLACK if score > 0 else WHITE if score < 0 else EMPTY
            info.update(score=score, winner=winner)
            reward = 0.0 if winner == EMPTY else 1.0 if winner == player else -1.0
        return self._observation(legal), reward, terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode is None:
            gymnasium.logger.warn("render() was called with no render_mode set")
            return None
        game = self._game
        side = "Black" if game.to_play == BLACK else "White"
        status = f"move {game.move_number}, {side} to play"
        if game.moves:
            status += f", last move {action_to_gtp(game.moves[-1][0], game.size)}"
        return f"{board_to_text(game.board())}\n{status}\n"

    # -- extras for search and training code
    @property
    def game(self) -> Game:
        """The game being played (the search may copy it; changing it changes the episode)."""
        return self._game

    def action_masks(self) -> np.ndarray:
        """bool[N*N+1] legal actions of the player to move (the sb3-contrib masking hook)."""
        return self._game.legal_moves()

    # -- internals
    def _observation(self, legal: np.ndarray) -> dict[str, np.ndarray]:
        planes = np.asarray(self._planes(self._game.state), dtype=np.float32)
        return {"action_mask": legal.astype(np.int8), "planes": planes}

    def _info(self, legal: np.ndarray) -> dict[str, Any]:
        game = self._game
        return {"to_play": game.to_play, "move_number": game.move_number, "legal": legal.copy()}

    def _score(self) -> float:
        if self.config.scoring == "rules":
            return self._game.score()
        return self._game.area_score()


if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="go_engine.env:GoEnv")
