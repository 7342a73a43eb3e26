"""What a search returns, and how a move is chosen from it; shared by the PUCT and RAVE engines.

A `SearchResult` holds the root's children as arrays (action, visits, value for the player to
move, prior, lower confidence bound) plus the principal variation. `choose_move` turns it into
a move: visit-proportional sampling with a temperature for the opening moves (self-play
variety), otherwise the most-visited move or, with LCB on, the move whose lower confidence
bound is highest among those with a fair share of the visits (Leela Zero's rule: a move with
few visits cannot win on a lucky mean). Two guards follow the search's choice:

- resignation when the best value is below the threshold (after a minimum move number);
- passing never throws away a won game and never ends a lost one under area scoring: after
  the opponent's pass, our pass ends the game, so the caller says whether that wins
  (`pass_wins`; the GTP players ask `ownership.passing_wins`: a win both under Tromp-Taylor
  and once rollouts, started with either side to move, have taken the dead stones off), and
  otherwise the best other move is played: capturing dead stones costs nothing under area
  scoring, so playing on is always safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RESIGN = -1


@dataclass
class SearchResult:
    """The root's statistics after a search; values are for the player to move (in [-1, 1])."""

    actions: np.ndarray  # int[K]: the root's children
    visits: np.ndarray  # int[K]
    values: np.ndarray  # float[K]: mean value of each child for the player to move
    priors: np.ndarray  # float[K]
    lcb: np.ndarray  # float[K]: lower confidence bound of the value
    root_visits: int
    root_value: float  # mean value of the root for the player to move
    simulations: int  # simulations run by this search (the rest were reused)
    seconds: float
    pv: list[int] = field(default_factory=list)  # principal variation (actions)
    pvs: list[list[int]] = field(default_factory=list)  # per child: its move and best reply line
    extra: dict = field(default_factory=dict)  # engine-specific counters

    @classmethod
    def from_sums(
        cls,
        actions: np.ndarray,
        visits: np.ndarray,
        wsum: np.ndarray,
        wsq: np.ndarray,
        priors: np.ndarray,
        root_visits: int,
        root_wsum: float,
        **rest,
    ) -> SearchResult:
        """Build a result from the root children's visit counts and value sums (values for
        the player to move at the root, as the trees store them); `rest` are the other
        fields (simulations, seconds, pv, pvs, extra)."""
        n = np.asarray(visits, np.int64)
        safe = np.maximum(n, 1)
        mean = np.where(n > 0, wsum / safe, 0.0)
        sq_mean = np.where(n > 0, wsq / safe, 0.0)
        return cls(
            actions=np.asarray(actions, np.int64),
            visits=n,
            values=mean,
            priors=np.asarray(priors, np.float64),
            lcb=lower_confidence_bound(mean, sq_mean, n),
            root_visits=int(root_visits),
            root_value=-root_wsum / root_visits if root_visits else 0.0,
            **rest,
        )

    @property
    def best_index(self) -> int:
        """The most-visited child (ties: higher prior, then higher value: after a short search
        a few visits' mean value is noise, the prior is not)."""
        if len(self.actions) == 0:
            return -1
        order = np.lexsort((self.values, self.priors, self.visits))
        return int(order[-1])

    @property
    def best_value(self) -> float:
        i = self.best_index
        return float(self.values[i]) if i >= 0 else self.root_value

    def visit_distribution(self, n_actions: int) -> np.ndarray:
        """Visit fractions over all N*N+1 actions (the policy target of self-play)."""
        out = np.zeros(n_actions, np.float32)
        total = self.visits.sum()
        if total > 0:
            out[self.actions] = self.visits / total
        return out


@dataclass
class MoveChoice:
    """How a move is picked from a SearchResult (one dataclass per component)."""

    temperature_moves: int = 0  # sample by visits while the move number is below this
    temperature: float = 1.0
    lcb: bool = True
    lcb_min_fraction: float = 0.1  # LCB candidates need this share of the top visit count
    lcb_min_visits: int = 16  # ... and at least this many visits (fewer: the LCB is noise)
    resign_threshold: float = -0.95  # resign when the best value is below (-1 disables)
    resign_min_move: int = 20  # never resign before this move number


def lower_confidence_bound(
    mean: np.ndarray, sq_mean: np.ndarray, visits: np.ndarray, z: float = 1.96
) -> np.ndarray:
    """Normal-approximation LCB of a mean value; unvisited children get -inf."""
    n = np.maximum(visits, 1)
    var = np.maximum(sq_mean - mean * mean, 0.0)
    # A small prior variance keeps two-visit children from looking certain.
    var = (var * n + 0.25) / (n + 1)
    out = mean - z * np.sqrt(var / n)
    return np.where(visits > 0, out, -np.inf)


def choose_move(
    result: SearchResult,
    choice: MoveChoice,
    move_number: int,
    rng: np.random.Generator,
    pass_action: int,
    opponent_passed: bool = False,
    pass_wins: bool | None = None,
) -> int:
    """The action to play, or RESIGN. `pass_wins` says whether ending the game by passing
    now (after the opponent's pass) wins under Tromp-Taylor; None if not known."""
    if len(result.actions) == 0:
        return pass_action
    visits = result.visits.astype(np.float64)
    if move_number < choice.temperature_moves and visits.sum() > 0:
        weights = visits ** (1.0 / max(choice.temperature, 1e-3))
        i = int(rng.choice(len(visits), p=weights / weights.sum()))
    else:
        i = result.best_index
        if choice.lcb and visits[i] > 0:
            ok = visits >= max(choice.lcb_min_fraction * visits.max(), choice.lcb_min_visits)
            scores = np.where(ok, result.lcb, -np.inf)
            j = int(np.argmax(scores))
            if scores[j] > result.lcb[i]:
                i = j
    if (
        choice.resign_threshold > -1.0
        and move_number >= choice.resign_min_move
        and result.best_value < choice.resign_threshold
        and result.root_visits > 1
    ):
        return RESIGN
    action = int(result.actions[i])
    if opponent_passed and pass_wins is not None:
        if pass_wins:
            return pass_action
        if action == pass_action:
            others = np.where(result.actions != pass_action, visits, -1.0)
            if others.max() >= 0:
                action = int(result.actions[int(np.argmax(others))])
    return action
