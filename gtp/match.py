"""Matches between two GTP engines: play games, keep records, measure strength.

:func:`run_match` plays ``config.games`` games between engine A and engine B, each an external
GTP program started from a command line (our ``go-engine gtp``, GNU Go, any other). Game ``i``
(0-based) has A as Black when ``i`` is even, so colours alternate. The runner is the referee:

* Each turn it sends ``genmove <colour>`` to the side to move (timing it with the wall clock)
  and ``play <colour> <vertex>`` to the other side. Moves are checked on the runner's own
  :class:`~go_engine.Game` under the match's rules (default Chinese: area scoring, situational
  superko, no suicide).
* ``resign`` ends the game. An illegal or unreadable move, a ``?`` answer, a dead or hung
  engine, or an engine that rejects a legal ``play`` loses the game for that engine ("illegal"
  or "error", with the reason). With ``time_settings`` the runner keeps each side's clock
  (Canadian byo-yomi, as GTP's ``time_settings`` means it), sends ``time_left`` before each
  ``genmove`` and forfeits a side whose clock runs out ("timeout"); a ``genmove`` that takes
  longer than ``move_timeout`` is a "timeout" too.
* Two consecutive passes, or ``max_moves`` moves (passes included; default 3*N*N), end the game
  by score ("score"): the scorer, a separate ``gnugo --mode gtp --chinese-rules`` process,
  replays the moves and answers ``final_score`` (GNU Go's dead-stone judgement under area
  scoring). ``scorer="area"`` counts the final position with every stone alive instead, which
  is exact for games played out to the end (random players) and needs no GNU Go.

Every finished game is written as ``game_0001.sgf`` (game 0), ``game_0002.sgf``, ... and as one
JSON line of ``results.jsonl`` in ``config.out``; both are written atomically (whole new file,
fsync, ``os.replace``), so a killed run never leaves a half record. Running the same match again
with the same folder resumes it: games already in ``results.jsonl`` are kept and skipped (the
folder's ``match.json`` must name the same engines, board, komi, rules, time settings and move
cap). Engine stderr goes to ``logs/`` there.

``parallel`` games run at once, in threads (the work is waiting on engine processes). Each
worker thread keeps one pair of engines and reuses it with ``clear_board`` (restarting an engine
that died), or starts a fresh pair for every game with ``fresh_engines``. Engines that think
in parallel share the machine's cores: their thinking times are only comparable when each game
has the cores it needs.

A ``{seed}`` in an engine command is replaced by a number derived from ``config.seed``, the
game the process starts for and the side (A or B), e.g. ``go-engine gtp --seed {seed}``.

:meth:`MatchReport.summary` gives A's wins and losses per colour, A's win rate with a Wilson
95% interval (:func:`wilson_interval`; a draw counts half), mean moves per game, mean seconds
per move of each engine and why games ended.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import math
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from go_engine.coords import CoordinateError, action_to_gtp, gtp_to_action
from go_engine.files import atomic_write
from go_engine.game import Game
from go_engine.rules import Rules
from go_engine.sgf_io import rules_to_ru, write_sgf
from go_engine.state import BLACK, MAX_SIZE, MIN_SIZE, WHITE
from gtp.client import GTPClient, GTPEngineDied, GTPError, find_gnugo, gnugo_command
from gtp.scores import format_score, parse_score

__all__ = [
    "END_REASONS",
    "RESULTS_FILE",
    "MatchConfig",
    "MatchError",
    "MatchReport",
    "format_summary",
    "gnugo_player_command",
    "load_results",
    "run_match",
    "sgf_name",
    "summarize",
    "wilson_interval",
]

RESULTS_FILE = "results.jsonl"
SETTINGS_FILE = "match.json"
END_REASONS = ("resign", "score", "illegal", "error", "timeout")
"""Why a game ended: resignation, counting (two passes or the move cap), an illegal move,
an engine failure (error answer, death, rejecting a legal move), a clock or move-time overrun."""

GNUGO_MAX_SIZE = 19
Z95 = 1.959963984540054  # the standard normal quantile of 0.975
_DETAIL_LIMIT = 1500  # characters of an error's text kept in a record
_SETTINGS_KEYS = ("a", "b", "size", "komi", "rules", "time_settings", "max_moves")
_LETTER = {BLACK: "B", WHITE: "W"}
_WORD = {BLACK: "black", WHITE: "white"}


class MatchError(RuntimeError):
    """The match cannot go on: an engine does not start or refuses the game's setup, or the
    output folder holds another match."""


# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class MatchConfig:
    """One match between engine A and engine B.

    a, b: the engines' command lines (shell-like strings, split with :func:`shlex.split`; no
        shell involved). a_name, b_name: names for the records and reports; None asks the
        engine (GTP ``name`` and ``version``).
    games: how many games (game i has A as Black when i is even). size, komi: the board.
    rules: a :meth:`Rules.named` rule set with area scoring ("chinese", "default",
        "tromp-taylor", "aga", "nz"); the runner judges legality by it and writes it as RU.
        Give the engines the same rules where they take them.
    time_settings: (main time, byo-yomi time, byo-yomi stones) in whole seconds, sent with GTP
        ``time_settings``; None sends nothing and keeps no clock. (0, B, S) is byo-yomi only,
        (M, 0, 0) absolute time, and (M, B, 0) with B > 0 means no limit (GTP's reading).
    time_grace: seconds a move may overrun the clock before the side loses on time (the GTP
        round trip is counted on the clock).
    max_moves: moves (passes included) after which the game is scored as it stands; None is
        3*N*N.
    parallel: games played at once (worker threads). fresh_engines: start a new pair of
        engine processes for every game instead of reusing one pair per worker.
    out: output folder (SGFs, results.jsonl, match.json, logs/).
    seed: base of the seeds put in place of ``{seed}`` in the engine commands.
    scorer: "gnugo" (GNU Go's final_score, Chinese rules; the default), "area" (count the
        final position with every stone alive), or the command line of any GTP engine whose
        final_score should decide. scorer_level: GNU Go's --level for the gnugo scorer.
    move_timeout: seconds one genmove may take before the engine is killed and loses.
    engine_logs: write the engines' stderr to out/logs/ (else keep the last lines in memory,
        quoted when an engine fails).
    """

    a: str
    b: str
    a_name: str | None = None
    b_name: str | None = None
    games: int = 10
    size: int = 9
    komi: float = 7.5
    rules: str = "chinese"
    time_settings: tuple[int, int, int] | None = None
    time_grace: float = 1.0
    max_moves: int | None = None
    parallel: int = 1
    fresh_engines: bool = False
    out: str = "match"
    seed: int = 0
    scorer: str = "gnugo"
    scorer_level: int = 10
    move_timeout: float = 600.0
    engine_logs: bool = True
    sprt: tuple[float, float] | None = None  # (elo0, elo1): stop once the SPRT decides
    sprt_alpha: float = 0.05
    sprt_beta: float = 0.05

    def __post_init__(self) -> None:
        for label, command in (("a", self.a), ("b", self.b)):
            try:
                argv = shlex.split(command)
            except ValueError as e:
                raise ValueError(f"engine {label.upper()} command {command!r}: {e}") from None
            if not argv:
                raise ValueError(f"engine {label.upper()} needs a command line")
        if self.games < 0:
            raise ValueError(f"games must be >= 0, not {self.games}")
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be {MIN_SIZE}..{MAX_SIZE}, not {self.size}")
        if not math.isfinite(self.komi):
            raise ValueError(f"komi must be a finite number, not {self.komi}")
        rules = Rules.named(self.rules)  # ValueError for an unknown name
        if rules.scoring != "area":
            raise ValueError(f"matches are scored by area; rules {self.rules!r} count territory")
        if self.time_settings is not None:
            if len(self.time_settings) != 3:
                raise ValueError("time_settings is (main time, byo-yomi time, byo-yomi stones)")
            main, byo, stones = (int(v) for v in self.time_settings)
            if min(main, byo, stones) < 0:
                raise ValueError(f"time_settings must not be negative: {self.time_settings}")
            if main == 0 and (byo == 0 or stones == 0):
                raise ValueError(
                    f"time_settings {self.time_settings} leave no time; use (M, B, 0) with "
                    "B > 0 for no limit"
                )
            object.__setattr__(self, "time_settings", (main, byo, stones))
        if self.time_grace < 0:
            raise ValueError(f"time_grace must be >= 0, not {self.time_grace}")
        if self.max_moves is not None and self.max_moves < 1:
            raise ValueError(f"max_moves must be >= 1, not {self.max_moves}")
        if self.parallel < 1:
            raise ValueError(f"parallel must be >= 1, not {self.parallel}")
        if not self.scorer.strip():
            raise ValueError("scorer must be 'gnugo', 'area' or a command line")
        if self.scorer == "gnugo" and self.size > GNUGO_MAX_SIZE:
            raise ValueError(f"the gnugo scorer plays up to {GNUGO_MAX_SIZE}x{GNUGO_MAX_SIZE}")
        if self.move_timeout <= 0:
            raise ValueError(f"move_timeout must be > 0, not {self.move_timeout}")

    @property
    def move_cap(self) -> int:
        """Moves (passes included) after which a game is scored as it stands."""
        return self.max_moves if self.max_moves is not None else 3 * self.size * self.size

    @property
    def game_rules(self) -> Rules:
        return Rules.named(self.rules, komi=self.komi)

    def a_is_black(self, game: int) -> bool:
        return game % 2 == 0

    def engine_argv(self, side: str, game: int) -> list[str]:
        """The argv of engine `side` ("A" or "B") started for game `game`, ``{seed}`` filled."""
        command = self.a if side == "A" else self.b
        seed = str(self.seed * 1_000_003 + 2 * game + (side == "B"))
        return [arg.replace("{seed}", seed) for arg in shlex.split(command)]

    def settings(self) -> dict[str, Any]:
        """What identifies the match in match.json (a resumed run must agree on these)."""
        d = {k: getattr(self, k) for k in _SETTINGS_KEYS}
        d["time_settings"] = list(self.time_settings) if self.time_settings else None
        d["max_moves"] = self.move_cap
        return d


def gnugo_player_command(level: int = 10, rules: str = "chinese") -> str:
    """Command line of GNU Go as a player under `rules`: ``gnugo --mode gtp --level L
    --chinese-rules`` and the ko and suicide options that match them. FileNotFoundError when
    GNU Go is not installed."""
    r = Rules.named(rules)
    argv = gnugo_command(
        level,
        chinese_rules=True,
        superko=None if r.ko == "simple" else r.ko,
        suicide="allow-all" if r.suicide else None,
    )
    return shlex.join(argv)


def sgf_name(game: int) -> str:
    """File name of game `game` (0-based): game_0001.sgf for game 0."""
    return f"game_{game + 1:04d}.sgf"


# ----------------------------------------------------------------------------- statistics


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (95% by default); (0, 1) when n is 0.

    `successes` may be fractional (draws counted as half a win)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(max(p * (1.0 - p), 0.0) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def elo_difference(score: float) -> float | None:
    """Elo difference that makes `score` (0..1) the expected score; None at 0 or 1 (within
    rounding: a Wilson bound for 0 wins comes out as 1e-17, not 0)."""
    if not 1e-9 < score < 1.0 - 1e-9:
        return None
    return -400.0 * math.log10(1.0 / score - 1.0)


def _expected(elo: float) -> float:
    return 1.0 / (1.0 + 10.0 ** (-elo / 400.0))


def sprt_llr(points: Sequence[float], elo0: float, elo1: float) -> float:
    """Log-likelihood ratio of H1 (A is elo1 stronger than B) against H0 (elo0) from per-game
    points (1 win, 0.5 draw, 0 loss), each game a Bernoulli trial with the expected score of
    the Elo difference as success probability (a draw counts half a win and half a loss)."""
    s0, s1 = _expected(elo0), _expected(elo1)
    win, loss = math.log(s1 / s0), math.log((1 - s1) / (1 - s0))
    return sum(x * win + (1 - x) * loss for x in points)


def sprt_status(
    points: Sequence[float], elo0: float, elo1: float, alpha: float, beta: float
) -> dict[str, Any]:
    """The SPRT's LLR, its bounds and its decision so far ("H1", "H0" or None)."""
    llr = sprt_llr(points, elo0, elo1)
    lower, upper = math.log(beta / (1 - alpha)), math.log((1 - beta) / alpha)
    decision = "H1" if llr >= upper else "H0" if llr <= lower else None
    return {
        "elo0": elo0,
        "elo1": elo1,
        "alpha": alpha,
        "beta": beta,
        "llr": llr,
        "bounds": [lower, upper],
        "decision": decision,
    }


_POINTS = {"win": 1.0, "draw": 0.5, "loss": 0.0}


def _colour_line() -> dict[str, int]:
    return {"games": 0, "wins": 0, "losses": 0, "draws": 0}


def summarize(
    records: Iterable[dict[str, Any]], a_name: str | None = None, b_name: str | None = None
) -> dict[str, Any]:
    """Figures over game records (as in results.jsonl), from A's point of view."""
    records = sorted(records, key=lambda r: r["game"])
    if records:
        a_name = a_name or records[0].get("a_name")
        b_name = b_name or records[0].get("b_name")
    per_colour = {"B": _colour_line(), "W": _colour_line()}
    reasons = dict.fromkeys(END_REASONS, 0)
    forfeits: dict[str, dict[str, int]] = {"A": {}, "B": {}}
    scorers: dict[str, int] = {}
    moves = capped = 0
    seconds = {"A": 0.0, "B": 0.0}
    counted = {"A": 0, "B": 0}
    for r in records:
        line = per_colour[r["a_color"]]
        line["games"] += 1
        outcome = r["a_result"]
        line[{"win": "wins", "loss": "losses", "draw": "draws"}[outcome]] += 1
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
        if r.get("loser") in forfeits and r["reason"] in ("illegal", "error", "timeout"):
            f = forfeits[r["loser"]]
            f[r["reason"]] = f.get(r["reason"], 0) + 1
        if r.get("scorer"):
            scorers[r["scorer"]] = scorers.get(r["scorer"], 0) + 1
        moves += r["moves"]
        capped += bool(r.get("capped"))
        for side in ("A", "B"):
            seconds[side] += r[f"{side.lower()}_seconds"]
            counted[side] += r[f"{side.lower()}_moves"]
    n = len(records)
    wins = per_colour["B"]["wins"] + per_colour["W"]["wins"]
    losses = per_colour["B"]["losses"] + per_colour["W"]["losses"]
    draws = per_colour["B"]["draws"] + per_colour["W"]["draws"]
    points = wins + 0.5 * draws
    lo, hi = wilson_interval(points, n)
    return {
        "a_name": a_name,
        "b_name": b_name,
        "games": n,
        "a_wins": wins,
        "a_losses": losses,
        "draws": draws,
        "a_as_black": per_colour["B"],
        "a_as_white": per_colour["W"],
        "a_win_rate": points / n if n else None,
        "a_win_rate_ci95": [lo, hi],
        "a_elo": elo_difference(points / n) if n else None,
        "a_elo_ci95": [elo_difference(lo), elo_difference(hi)] if n else [None, None],
        "mean_moves": moves / n if n else None,
        "mean_seconds_per_move": {
            side: (seconds[side] / counted[side] if counted[side] else None) for side in ("A", "B")
        },
        "reasons": reasons,
        "forfeits": forfeits,
        "capped": capped,
        "scorers": scorers,
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _secs(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f} s"


def format_summary(s: dict[str, Any]) -> str:
    """A readable rendering of :func:`summarize`'s dict."""
    lo, hi = s["a_win_rate_ci95"]
    lines = [
        f"A = {s['a_name']}",
        f"B = {s['b_name']}",
        f"{s['games']} games: A won {s['a_wins']}, lost {s['a_losses']}"
        + (f", drew {s['draws']}" if s["draws"] else "")
        + f"; A's win rate {_pct(s['a_win_rate'])} (95% CI {_pct(lo)} .. {_pct(hi)})",
        f"Elo difference A - B: {_elo(s.get('a_elo'), s['a_win_rate'])} "
        f"(95% CI {_elo(s['a_elo_ci95'][0], lo)} .. {_elo(s['a_elo_ci95'][1], hi)})",
    ]
    for label, key in (("Black", "a_as_black"), ("White", "a_as_white")):
        c = s[key]
        draws = f", {c['draws']} draws" if c["draws"] else ""
        lines.append(
            f"  A as {label}: {c['games']} games, {c['wins']} wins, {c['losses']} losses{draws}"
        )
    mean = s["mean_moves"]
    spm = s["mean_seconds_per_move"]
    lines.append(
        f"mean moves per game {'-' if mean is None else f'{mean:.1f}'}; mean time per move: "
        f"A {_secs(spm['A'])}, B {_secs(spm['B'])}"
    )
    ends = ", ".join(f"{k} {v}" for k, v in s["reasons"].items())
    lines.append(f"ended by: {ends}" + (f" ({s['capped']} at the move cap)" if s["capped"] else ""))
    for side in ("A", "B"):
        if s["forfeits"][side]:
            text = ", ".join(f"{k} {v}" for k, v in sorted(s["forfeits"][side].items()))
            lines.append(f"{side} forfeited: {text}")
    if s["scorers"]:
        lines.append("scored by: " + ", ".join(f"{k} {v}" for k, v in s["scorers"].items()))
    if s.get("sprt"):
        t = s["sprt"]
        verdict = {
            "H1": f"H1 (elo >= {t['elo1']:g}) accepted",
            "H0": f"H0 (elo <= {t['elo0']:g}) accepted",
        }
        lines.append(
            f"SPRT elo0 {t['elo0']:g} elo1 {t['elo1']:g}: LLR {t['llr']:.2f} in "
            f"[{t['bounds'][0]:.2f}, {t['bounds'][1]:.2f}] -> "
            + verdict.get(t["decision"], "undecided")
        )
    return "\n".join(lines)


def _elo(x: float | None, score: float | None) -> str:
    """An Elo difference for text; None stands for a score of 0 (-inf) or 1 (+inf)."""
    if x is None:
        return "-" if score is None else "-inf" if score <= 0.5 else "+inf"
    return f"{x:+.0f}"


# ----------------------------------------------------------------------------- files


def load_results(out: str | os.PathLike) -> list[dict[str, Any]]:
    """The game records in `out`/results.jsonl, sorted by game (lines that do not parse are
    skipped; none when the file does not exist)."""
    records, _ = _read_results(Path(out) / RESULTS_FILE)
    return [records[k] for k in sorted(records)]


def _read_results(path: Path) -> tuple[dict[int, dict[str, Any]], int]:
    records: dict[int, dict[str, Any]] = {}
    bad = 0
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return records, 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            index = r["game"]
        except (ValueError, KeyError, TypeError):
            bad += 1
            continue
        if isinstance(index, int):
            records[index] = r
        else:
            bad += 1
    return records, bad


class _ResultStore:
    """results.jsonl: every finished game, rewritten atomically after each new one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.records, bad = _read_results(path)
        if bad:
            print(f"match: {path}: {bad} unreadable line(s) dropped", file=sys.stderr)
            self._flush()

    def add(self, record: dict[str, Any]) -> None:
        with self.lock:
            self.records[record["game"]] = record
            self._flush()

    def _flush(self) -> None:
        lines = [json.dumps(self.records[k], sort_keys=True) for k in sorted(self.records)]
        atomic_write(self.path, "".join(line + "\n" for line in lines))


def _check_settings(out: Path, config: MatchConfig, has_results: bool) -> None:
    """Refuse to mix two different matches in one folder; record this one's settings."""
    path = out / SETTINGS_FILE
    new = config.settings()
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8")).get("settings", {})
        except (OSError, ValueError, AttributeError):
            old = {}
        if has_results:
            diff = [k for k in _SETTINGS_KEYS if k in old and old[k] != new[k]]
            if diff:
                text = "; ".join(f"{k}: {old[k]!r} there, {new[k]!r} now" for k in diff)
                raise MatchError(
                    f"{out} holds a match with other settings ({text}); use another --out"
                )
    document = {"settings": new, "config": dataclasses.asdict(config)}
    atomic_write(path, json.dumps(document, indent=2, sort_keys=True) + "\n")


# ----------------------------------------------------------------------------- clocks


class _Clock:
    """One side's clock under GTP time settings (absolute or Canadian byo-yomi)."""

    def __init__(self, main: int, byo: int, stones: int, grace: float) -> None:
        self.unlimited = main > 0 and byo > 0 and stones == 0
        self.byo, self.stones, self.grace = float(byo), stones, grace
        self.main_left = float(main)
        self.in_byo = main == 0
        self.period_left = float(byo)
        self.stones_left = stones

    def time_left(self) -> tuple[int, int]:
        """GTP time_left arguments: seconds and stones left (0 stones: main time)."""
        if self.in_byo:
            return int(max(self.period_left, 0.0)), self.stones_left
        return int(max(self.main_left, 0.0)), 0

    def available(self) -> float:
        """Seconds the next move may take before the flag falls."""
        if self.unlimited:
            return math.inf
        if self.in_byo:
            return self.period_left + self.grace
        extra = self.byo if self.stones > 0 else 0.0
        return self.main_left + extra + self.grace

    def spend(self, seconds: float) -> bool:
        """Charge one move's time; True when the flag fell."""
        if self.unlimited:
            return False
        if not self.in_byo:
            self.main_left -= seconds
            if self.main_left >= 0:
                return False
            overrun = -self.main_left
            self.main_left = 0.0
            if self.byo <= 0 or self.stones <= 0:
                return overrun > self.grace
            self.in_byo = True
            self.period_left, self.stones_left = self.byo, self.stones
            seconds = overrun
        self.period_left -= seconds
        if self.period_left < -self.grace:
            return True
        self.stones_left -= 1
        if self.stones_left <= 0:
            self.period_left, self.stones_left = self.byo, self.stones
        else:
            self.period_left = max(self.period_left, 0.0)
        return False


# ----------------------------------------------------------------------------- engines


class _Context:
    """What the worker threads share: the config, the queue of games, names, live engines."""

    def __init__(self, config: MatchConfig, todo: Sequence[int], store: _ResultStore) -> None:
        self.config = config
        self.todo = list(todo)
        self.store = store
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.names: dict[str, str | None] = {"A": config.a_name, "B": config.b_name}
        self.clients: set[GTPClient] = set()
        self.on_finish: Callable[[dict[str, Any]], None] | None = None
        self.log_dir: Path | None = None
        if config.engine_logs:
            self.log_dir = Path(config.out) / "logs"
            self.log_dir.mkdir(parents=True, exist_ok=True)

    def next_game(self) -> int | None:
        with self.lock:
            if self.stop.is_set() or not self.todo:
                return None
            return self.todo.pop(0)

    def start(self, argv: list[str], label: str, log_name: str) -> GTPClient:
        stderr_path = str(self.log_dir / log_name) if self.log_dir is not None else None
        try:
            client = GTPClient(argv, name=label, stderr_path=stderr_path)
        except OSError as e:
            raise MatchError(f"cannot start {label} ({shlex.join(argv)}): {e}") from None
        with self.lock:
            self.clients.add(client)
        return client

    def close(self, client: GTPClient | None) -> None:
        if client is None:
            return
        client.close()
        with self.lock:
            self.clients.discard(client)

    def kill_all(self) -> None:
        """Kill every engine process now (on interrupt), unblocking the workers."""
        with self.lock:
            clients = list(self.clients)
        kill = getattr(signal, "SIGKILL", signal.SIGTERM)
        for c in clients:
            if c.returncode is None:
                try:
                    os.kill(c.pid, kill)
                except OSError:
                    pass


class _Pair:
    """One worker's engines A and B."""

    def __init__(self, ctx: _Context, worker: int) -> None:
        self.ctx = ctx
        self.worker = worker
        self.clients: dict[str, GTPClient | None] = {"A": None, "B": None}
        self.supports_time = {"A": True, "B": True}

    def prepare(self, game: int) -> dict[str, GTPClient]:
        """Engines ready for a new game: started or restarted as needed, board set up."""
        cfg = self.ctx.config
        ready: dict[str, GTPClient] = {}
        for side in ("A", "B"):
            client = self.clients[side]
            if client is not None and (cfg.fresh_engines or not client.alive):
                self.ctx.close(client)
                client = None
            fresh = client is None
            if client is None:
                client = self._start(side, game)
            try:
                self._setup(side, client)
            except (GTPError, GTPEngineDied) as e:
                if fresh:
                    raise MatchError(f"engine {side} cannot set up a game: {e}") from None
                self.ctx.close(client)  # a reused engine may be confused: one fresh try
                client = self._start(side, game)
                try:
                    self._setup(side, client)
                except (GTPError, GTPEngineDied) as e2:
                    raise MatchError(f"engine {side} cannot set up a game: {e2}") from None
            ready[side] = client
        return ready

    def _start(self, side: str, game: int) -> GTPClient:
        cfg = self.ctx.config
        argv = cfg.engine_argv(side, game)
        client = self.ctx.start(argv, f"engine {side}", f"worker{self.worker}-{side}.log")
        self.clients[side] = client
        self.supports_time[side] = True
        with self.ctx.lock:
            need_name = self.ctx.names[side] is None
        if need_name:
            try:
                name = client.send("name", timeout=cfg.move_timeout)
                ok, version = client.try_send("version", timeout=cfg.move_timeout)
            except (GTPError, GTPEngineDied) as e:
                raise MatchError(f"engine {side} does not answer 'name': {e}") from None
            name = " ".join(f"{name} {version if ok else ''}".split()) or f"engine {side}"
            with self.ctx.lock:
                if self.ctx.names[side] is None:
                    self.ctx.names[side] = name
        return client

    def _setup(self, side: str, client: GTPClient) -> None:
        cfg = self.ctx.config
        timeout = cfg.move_timeout
        client.send(f"boardsize {cfg.size}", timeout=timeout)
        client.send("clear_board", timeout=timeout)
        client.send(f"komi {cfg.komi:g}", timeout=timeout)
        if cfg.time_settings is not None:
            main, byo, stones = cfg.time_settings
            ok, _ = client.try_send(f"time_settings {main} {byo} {stones}", timeout=timeout)
            self.supports_time[side] = ok

    def close(self) -> None:
        for side in ("A", "B"):
            self.ctx.close(self.clients[side])
            self.clients[side] = None


class _Scorer:
    """Decides games that end by passes or the move cap (one per worker, started lazily)."""

    def __init__(self, ctx: _Context, worker: int) -> None:
        self.ctx = ctx
        self.worker = worker
        self.client: GTPClient | None = None
        cfg = ctx.config
        self.kind = cfg.scorer.strip()
        self.name = self.kind if self.kind in ("gnugo", "area") else "engine"

    def _argv(self) -> list[str]:
        cfg = self.ctx.config
        if self.kind == "gnugo":
            rules = cfg.game_rules
            try:
                return gnugo_command(
                    cfg.scorer_level,
                    chinese_rules=True,
                    suicide="allow-all" if rules.suicide else None,
                )
            except FileNotFoundError as e:
                raise MatchError(f"the gnugo scorer: {e}") from None
        return shlex.split(self.kind)

    def score(self, game: Game) -> tuple[float, str, str]:
        """(Black-minus-White score, scorer name, note); falls back to counting the area
        with every stone alive when the scorer engine fails (the note says why)."""
        if self.kind == "area":
            return game.area_score(), "area", ""
        cfg = self.ctx.config
        try:
            if self.client is None or not self.client.alive:
                self.ctx.close(self.client)
                self.client = self.ctx.start(
                    self._argv(), "scorer", f"worker{self.worker}-scorer.log"
                )
            n = game.size
            commands = ["boardsize " + str(n), "clear_board", f"komi {game.komi:g}"]
            commands += [f"play {_WORD[c]} {action_to_gtp(a, n)}" for a, c in game.moves]
            for command, (ok, text) in zip(
                commands, self.client.send_batch(commands, timeout=cfg.move_timeout), strict=True
            ):
                if not ok:
                    raise GTPError(command, text)
            answer = self.client.send("final_score", timeout=cfg.move_timeout)
            return parse_score(answer), self.name, ""
        except (GTPError, GTPEngineDied, ValueError) as e:
            self.ctx.close(self.client)
            self.client = None
            note = f"scorer failed, area counted with every stone alive: {_clip(str(e))}"
            return game.area_score(), "area", note

    def close(self) -> None:
        self.ctx.close(self.client)
        self.client = None


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 3] + "..."


# ----------------------------------------------------------------------------- one game


@dataclass
class _GameEnd:
    reason: str
    winner: int | None  # BLACK, WHITE, or None for a draw
    detail: str = ""
    score: float | None = None
    loser_colour: int | None = None  # the side that forfeited (illegal, error, timeout)
    capped: bool = False
    scorer: str | None = None


def _forfeit(colour: int, reason: str, detail: str) -> _GameEnd:
    return _GameEnd(reason, 3 - colour, _clip(detail), loser_colour=colour)


def _play_game(
    ctx: _Context, index: int, engines: dict[str, GTPClient], pair: _Pair, scorer: _Scorer
) -> tuple[Game, _GameEnd, dict[str, list[float]]]:
    """Play game `index` to its end; the Game, how it ended, and each side's move times."""
    cfg = ctx.config
    a_black = cfg.a_is_black(index)
    side_of = {BLACK: "A" if a_black else "B", WHITE: "B" if a_black else "A"}
    game = Game(cfg.size, cfg.game_rules)
    clocks: dict[int, _Clock] = {}
    if cfg.time_settings is not None:
        clocks = {c: _Clock(*cfg.time_settings, grace=cfg.time_grace) for c in (BLACK, WHITE)}
    times: dict[str, list[float]] = {"A": [], "B": []}
    passes = 0
    while True:
        if len(game.moves) >= cfg.move_cap:
            score, name, note = scorer.score(game)
            end = _scored(score, name, f"move cap {cfg.move_cap} reached. {note}".strip())
            end.capped = True
            return game, end, times
        colour = game.to_play
        other = 3 - colour
        mover, opponent = engines[side_of[colour]], engines[side_of[other]]
        label = f"{_WORD[colour]} (engine {side_of[colour]})"
        timeout = cfg.move_timeout
        clock = clocks.get(colour)
        start = time.perf_counter()
        try:
            if clock is not None:
                timeout = min(timeout, clock.available() + 5.0)
                if pair.supports_time[side_of[colour]] and not clock.unlimited:
                    seconds, stones = clock.time_left()
                    mover.try_send(f"time_left {_WORD[colour]} {seconds} {stones}")
            start = time.perf_counter()
            answer = mover.send(f"genmove {_WORD[colour]}", timeout=timeout)
        except GTPEngineDied as e:
            elapsed = time.perf_counter() - start
            if elapsed >= timeout - 0.5:
                return game, _forfeit(colour, "timeout", f"{label}: {e}"), times
            return game, _forfeit(colour, "error", f"{label}: {e}"), times
        except GTPError as e:
            return game, _forfeit(colour, "error", f"{label}: {e}"), times
        elapsed = time.perf_counter() - start
        times[side_of[colour]].append(elapsed)
        if clock is not None and clock.spend(elapsed):
            detail = f"{label} ran out of time ({elapsed:.2f} s on move {len(game.moves) + 1})"
            return game, _forfeit(colour, "timeout", detail), times
        word = answer.split()[0] if answer.split() else ""
        if word.lower() == "resign":
            return game, _GameEnd("resign", other, f"{label} resigned"), times
        try:
            action = gtp_to_action(word, cfg.size)
        except CoordinateError as e:
            detail = f"{label} answered genmove with {answer!r}: {e}"
            return game, _forfeit(colour, "illegal", detail), times
        vertex = action_to_gtp(action, cfg.size)
        why = game.legality(action, colour)
        if why is not None:
            detail = f"{label} played {vertex} on move {len(game.moves) + 1}: illegal ({why})"
            return game, _forfeit(colour, "illegal", detail), times
        game.play(action, colour)
        try:
            opponent.send(f"play {_WORD[colour]} {vertex}", timeout=cfg.move_timeout)
        except (GTPError, GTPEngineDied) as e:
            detail = f"{_WORD[other]} (engine {side_of[other]}) failed on a legal move: {e}"
            return game, _forfeit(other, "error", detail), times
        passes = passes + 1 if action == game.pass_action else 0
        if passes >= 2:
            score, name, note = scorer.score(game)
            return game, _scored(score, name, note), times


def _scored(score: float, scorer: str, note: str) -> _GameEnd:
    winner = BLACK if score > 0 else WHITE if score < 0 else None
    return _GameEnd("score", winner, note, score=score, scorer=scorer)


def _result_text(end: _GameEnd) -> str:
    """The SGF RE value: B+3.5, W+R (resign), B+T (time), W+F (forfeit), 0 (draw)."""
    if end.winner is None:
        return "0"
    letter = _LETTER[end.winner]
    if end.reason == "score":
        assert end.score is not None
        return format_score(end.score)
    suffix = {"resign": "R", "timeout": "T"}.get(end.reason, "F")
    return f"{letter}+{suffix}"


def _finish(
    ctx: _Context, index: int, game: Game, end: _GameEnd, times: dict[str, list[float]], t0: float
) -> dict[str, Any]:
    """Write the game's SGF, then its line of results.jsonl; the record."""
    cfg = ctx.config
    a_black = cfg.a_is_black(index)
    a_colour = BLACK if a_black else WHITE
    names = {side: ctx.names[side] or f"engine {side}" for side in ("A", "B")}
    if cfg.a_name is None and cfg.b_name is None and names["A"] == names["B"]:
        names = {side: f"{names[side]} ({side})" for side in ("A", "B")}
    black, white = (names["A"], names["B"]) if a_black else (names["B"], names["A"])
    result = _result_text(end)
    rules = cfg.game_rules
    ru = rules_to_ru(rules) or f"go-engine:{rules.scoring},{rules.ko},nosuicide"
    head = f"match game {index + 1}: A = {names['A']}, B = {names['B']}"
    if cfg.time_settings is not None:
        head += f"; time_settings {' '.join(map(str, cfg.time_settings))}"
    comments = {0: head}
    ending = f"{result}: {end.reason}" + (f". {end.detail}" if end.detail else "")
    last = len(game.moves)
    comments[last] = f"{comments[last]}\n\n{ending}" if last in comments else ending
    name = sgf_name(index)
    write_sgf(
        game,
        Path(cfg.out) / name,
        result=result,
        black=black,
        white=white,
        comments=comments,
        rules_name=ru,
    )
    if end.winner is None:
        a_result = "draw"
    else:
        a_result = "win" if end.winner == a_colour else "loss"
    side_of = {a_colour: "A", 3 - a_colour: "B"}
    record = {
        "game": index,
        "sgf": name,
        "a_name": names["A"],
        "b_name": names["B"],
        "black": black,
        "white": white,
        "a_color": _LETTER[a_colour],
        "result": result,
        "winner": None if end.winner is None else _LETTER[end.winner],
        "a_result": a_result,
        "reason": end.reason,
        "detail": end.detail,
        "loser": None if end.loser_colour is None else side_of[end.loser_colour],
        "score": end.score,
        "scorer": end.scorer,
        "capped": end.capped,
        "moves": len(game.moves),
        "a_moves": len(times["A"]),
        "b_moves": len(times["B"]),
        "a_seconds": round(sum(times["A"]), 6),
        "b_seconds": round(sum(times["B"]), 6),
        "seconds": round(time.perf_counter() - t0, 3),
        "size": cfg.size,
        "komi": cfg.komi,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    ctx.store.add(record)
    return record


def _worker(ctx: _Context, worker: int) -> None:
    pair = _Pair(ctx, worker)
    scorer = _Scorer(ctx, worker)
    try:
        while True:
            index = ctx.next_game()
            if index is None:
                return
            t0 = time.perf_counter()
            engines = pair.prepare(index)
            game, end, times = _play_game(ctx, index, engines, pair, scorer)
            # An interrupt kills the engines: a game that "failed" then is not a result.
            if ctx.stop.is_set() or (end.reason in ("error", "timeout") and ctx.stop.wait(0.2)):
                return
            record = _finish(ctx, index, game, end, times, t0)
            if ctx.on_finish is not None:
                ctx.on_finish(record)
    finally:
        pair.close()
        scorer.close()


# ----------------------------------------------------------------------------- the match


@dataclass
class MatchReport:
    """What a match run left: every finished game's record (this run's and earlier ones)."""

    config: MatchConfig
    records: list[dict[str, Any]] = field(default_factory=list)
    played: int = 0  # games played by this run
    resumed: int = 0  # games found finished in the output folder
    seconds: float = 0.0
    a_name: str | None = None
    b_name: str | None = None

    def summary(self) -> tuple[dict[str, Any], str]:
        """(figures as a dict, the same as text); see :func:`summarize`."""
        s = summarize(self.records, self.a_name, self.b_name)
        s.update(played=self.played, resumed=self.resumed, seconds=round(self.seconds, 3))
        s["settings"] = self.config.settings()
        if self.config.sprt is not None:
            points = [_POINTS[r["a_result"]] for r in self.records]
            c = self.config
            s["sprt"] = sprt_status(points, *c.sprt, c.sprt_alpha, c.sprt_beta)
        return s, format_summary(s)


def run_match(config: MatchConfig, progress: bool | None = None) -> MatchReport:
    """Play (or finish) the match `config` describes; the report over all its games.

    progress: show a tqdm bar on stderr (None: when stderr is a terminal). Raises MatchError
    when the match cannot go on (games finished before that are kept); KeyboardInterrupt
    stops it, keeping finished games for a later resume.
    """
    t0 = time.perf_counter()
    if config.scorer.strip() == "gnugo" and find_gnugo() is None:
        raise MatchError(
            "the gnugo scorer needs GNU Go (apt-get install gnugo); or use scorer='area'"
        )
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    store = _ResultStore(out / RESULTS_FILE)
    _check_settings(out, config, bool(store.records))
    done = {i for i in store.records if i < config.games}
    todo = [i for i in range(config.games) if i not in done]
    report = MatchReport(config, resumed=len(done))
    ctx = _Context(config, todo, store)
    if todo:
        _run_workers(ctx, len(todo), progress)
    report.records = [store.records[i] for i in sorted(store.records) if i < config.games]
    report.played = len(report.records) - len(done)
    report.a_name, report.b_name = config.a_name, config.b_name
    if report.records:
        report.a_name = report.a_name or report.records[-1].get("a_name")
        report.b_name = report.b_name or report.records[-1].get("b_name")
    report.seconds = time.perf_counter() - t0
    return report


def _run_workers(ctx: _Context, total: int, progress: bool | None) -> None:
    if progress is None:
        progress = sys.stderr.isatty()
    bar = None
    if progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="match", unit="game", file=sys.stderr)
        except ImportError:
            bar = None
    score = {"win": 0, "loss": 0, "draw": 0}

    def on_finish(record: dict[str, Any]) -> None:
        with ctx.lock:
            score[record["a_result"]] += 1
            c = ctx.config
            if c.sprt is not None:
                points = [_POINTS[r["a_result"]] for r in ctx.store.records.values()]
                if sprt_status(points, *c.sprt, c.sprt_alpha, c.sprt_beta)["decision"]:
                    ctx.stop.set()  # games under way finish; no new one starts
            if bar is not None:
                bar.set_postfix_str(f"A {score['win']}-{score['loss']}", refresh=False)
                bar.update(1)

    ctx.on_finish = on_finish
    workers = min(ctx.config.parallel, total)
    pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="match")
    futures = [pool.submit(_worker, ctx, k) for k in range(workers)]
    try:
        pending = set(futures)
        while pending:
            finished, pending = concurrent.futures.wait(
                pending, timeout=0.5, return_when=concurrent.futures.FIRST_EXCEPTION
            )
            failed = [f for f in finished if f.exception() is not None]
            if failed:
                ctx.stop.set()  # the other workers finish their games, then stop
                concurrent.futures.wait(pending)
                raise failed[0].exception()  # type: ignore[misc]
    except BaseException:
        ctx.stop.set()
        ctx.kill_all()
        raise
    finally:
        pool.shutdown(wait=True)
        if bar is not None:
            bar.close()
