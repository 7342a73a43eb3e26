"""Round robins between GTP engines and their Elo ratings (AlphaGo's ablation, Figure 4).

`run_tournament` plays every pair of players for `games_per_pair` games through the match
runner (`gtp.match.run_match`, one resumable folder per pair: `OUT/A--B/`), so a tournament
killed at any point resumes with the games it had not played. `fit_elo` fits a Bradley-Terry
model to all games at once (maximum likelihood; a draw counts half a win for each side): the
expected score of i against j is 1 / (1 + 10 ** ((r_j - r_i) / 400)). One player, the anchor
(GNU Go level 10 in the ablation), is held at `anchor_elo`; the 95% intervals come from the
inverse of the observed Fisher information with the anchor fixed, so each is the uncertainty
of a rating relative to the anchor. A small prior (one virtual draw against the anchor per
player) keeps the ratings finite when a player wins or loses every game.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from go_engine.files import atomic_write
from gtp.match import MatchConfig, gnugo_player_command, load_results, run_match, summarize

Z95 = 1.959963984540054
LOGISTIC = math.log(10) / 400  # d expected score / d Elo at even odds, times 4


@dataclass
class TournamentConfig:
    """A round robin: `players` maps a name to a GTP command line ("gnugo:L" for GNU Go at
    level L)."""

    players: dict[str, str]
    games_per_pair: int = 10
    size: int = 9
    komi: float = 7.5
    out: str = "tournament"
    anchor: str | None = None  # the player held at anchor_elo (default: the first)
    anchor_elo: float = 0.0
    time_settings: tuple[int, int, int] | None = None
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # more MatchConfig fields

    def __post_init__(self) -> None:
        if len(self.players) < 2:
            raise ValueError("a tournament needs at least two players")
        if self.games_per_pair < 1:
            raise ValueError("games_per_pair must be at least 1")
        bad = [n for n in self.players if not n or "--" in n or "/" in n]
        if bad:
            raise ValueError(f"player names must be non-empty without '--' or '/': {bad}")
        if self.anchor is not None and self.anchor not in self.players:
            raise ValueError(f"the anchor {self.anchor!r} is not a player")


def command_of(spec: str) -> str:
    """A player's command line; "gnugo:L" is GNU Go at level L."""
    if spec.startswith("gnugo:"):
        return gnugo_player_command(int(spec.split(":", 1)[1]))
    return spec


def pair_folder(out: str | os.PathLike, a: str, b: str) -> Path:
    return Path(out) / f"{a}--{b}"


def run_tournament(
    config: TournamentConfig, progress: bool | None = None, play: bool = True
) -> dict[str, Any]:
    """Play (or finish) every pair's games; returns the pair results and the ratings, also
    written to OUT/ratings.json. `play=False` rates the games already in the pair folders
    (all of them; a stopped tournament's pairs may hold different numbers) and plays none."""
    names = list(config.players)
    pairs = []
    for a, b in itertools.combinations(names, 2):
        match = MatchConfig(
            a=command_of(config.players[a]),
            b=command_of(config.players[b]),
            a_name=a,
            b_name=b,
            games=config.games_per_pair,
            size=config.size,
            komi=config.komi,
            time_settings=config.time_settings,
            out=str(pair_folder(config.out, a, b)),
            seed=config.seed,
            **config.extra,
        )
        if play:
            records = run_match(match, progress=progress).records
        else:
            records = load_results(match.out)
        s = summarize(records)
        pairs.append(
            {
                "a": a,
                "b": b,
                "games": s["games"],
                "a_wins": s["a_wins"],
                "draws": s["draws"],
                "a_score": s["a_wins"] + 0.5 * s["draws"],
            }
        )
    anchor = config.anchor or names[0]
    ratings = fit_elo(pairs, names, anchor, config.anchor_elo)
    result = {"pairs": pairs, "ratings": ratings, "gaps": rating_gaps(pairs, names, anchor)}
    Path(config.out).mkdir(parents=True, exist_ok=True)
    atomic_write(Path(config.out) / "ratings.json", json.dumps(result, indent=1))
    return result


def _bradley_terry(
    pairs: list[dict[str, Any]],
    names: list[str],
    anchor: str,
    prior_games: float,
    iterations: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum-likelihood ratings (anchor at 0), their covariance (k x k, zero on the
    anchor's row and column) and the games each player took part in (prior included)."""
    index = {n: i for i, n in enumerate(names)}
    k = len(names)
    # games and points of i against j, with the prior's virtual draws against the anchor
    games = np.zeros((k, k))
    points = np.zeros((k, k))
    for p in pairs:
        i, j = index[p["a"]], index[p["b"]]
        games[i, j] += p["games"]
        games[j, i] += p["games"]
        points[i, j] += p["a_score"]
        points[j, i] += p["games"] - p["a_score"]
    a = index[anchor]
    for i in range(k):
        if i != a:
            games[i, a] += prior_games
            games[a, i] += prior_games
            points[i, a] += prior_games / 2
            points[a, i] += prior_games / 2
    free = [i for i in range(k) if i != a]
    r = np.zeros(k)
    hessian = np.eye(len(free))
    for _ in range(iterations):
        diff = r[:, None] - r[None, :]
        expect = 1.0 / (1.0 + np.exp(-LOGISTIC * diff))
        grad = LOGISTIC * (points - games * expect).sum(1)
        w = games * expect * (1.0 - expect) * LOGISTIC**2
        h = np.diag(w.sum(1)) - w  # minus the Hessian of the log-likelihood
        hessian = h[np.ix_(free, free)]
        step = np.linalg.solve(hessian, grad[free])
        r[free] += step
        if np.abs(step).max() < 1e-9:
            break
    cov = np.zeros((k, k))
    cov[np.ix_(free, free)] = np.linalg.inv(hessian)
    return r, cov, games.sum(1)


def fit_elo(
    pairs: list[dict[str, Any]],
    names: list[str],
    anchor: str,
    anchor_elo: float = 0.0,
    prior_games: float = 1.0,
    iterations: int = 200,
) -> dict[str, dict[str, float]]:
    """Bradley-Terry Elo of every player from pair results (a, b, games, a_score); see the
    module docstring. Returns name -> {elo, low, high, games}."""
    r, cov, played = _bradley_terry(pairs, names, anchor, prior_games, iterations)
    a = names.index(anchor)
    out: dict[str, dict[str, float]] = {}
    for i, n in enumerate(names):
        se = math.sqrt(cov[i, i])
        elo = r[i] + anchor_elo
        virtual = prior_games * ((len(names) - 1) if i == a else 1)
        out[n] = {
            "elo": round(float(elo), 1),
            "low": round(float(elo - Z95 * se), 1),
            "high": round(float(elo + Z95 * se), 1),
            "games": float(played[i] - virtual),
        }
    return out


def rating_gaps(
    pairs: list[dict[str, Any]],
    names: list[str],
    anchor: str,
    prior_games: float = 1.0,
    iterations: int = 200,
) -> list[dict[str, Any]]:
    """Each player's Elo lead over the next one down the ranking, with the 95% interval of
    that difference (from the fit's covariance, so it is narrower than the two ratings'
    intervals against the anchor when both met many common opponents). `separated` is true
    when the interval excludes 0: the variants are told apart."""
    r, cov, _ = _bradley_terry(pairs, names, anchor, prior_games, iterations)
    order = sorted(range(len(names)), key=lambda i: -r[i])
    gaps = []
    for i, j in itertools.pairwise(order):
        d = float(r[i] - r[j])
        se = math.sqrt(max(0.0, cov[i, i] + cov[j, j] - 2 * cov[i, j]))
        low, high = d - Z95 * se, d + Z95 * se
        gaps.append(
            {
                "upper": names[i],
                "lower": names[j],
                "elo": round(d, 1),
                "low": round(low, 1),
                "high": round(high, 1),
                "separated": bool(low > 0),
            }
        )
    return gaps


def format_ratings(result: dict[str, Any]) -> str:
    """The ratings as a text table, best first; with the fit's gaps, each player's lead over
    the next one down and its 95% interval ("*" where the interval excludes 0)."""
    gaps = result.get("gaps", [])
    if gaps:  # the fit's own order (ratings rounded to 0.1 Elo may tie)
        order = [gaps[0]["upper"]] + [g["lower"] for g in gaps]
        rows = [(n, result["ratings"][n]) for n in order]
    else:
        rows = sorted(result["ratings"].items(), key=lambda kv: -kv[1]["elo"])
    lead = {g["upper"]: g for g in gaps}
    head = f"{'player':<28} {'Elo':>8} {'95% interval':>18} {'games':>6}"
    lines = [head + (f"  {'lead over next (95%)':>26}" if lead else "")]
    for name, r in rows:
        span = f"{r['low']:+.0f}..{r['high']:+.0f}"
        line = f"{name:<28} {r['elo']:>+8.0f} {span:>18} {r['games']:>6.0f}"
        if name in lead:
            g = lead[name]
            mark = "*" if g["separated"] else " "
            line += f"  {g['elo']:>+8.0f} ({g['low']:+.0f}..{g['high']:+.0f}){mark}"
        lines.append(line)
    return "\n".join(lines)
