"""GNU Go as an independent referee of our board's rules.

:func:`referee_games` plays random games on our :class:`~go_engine.Game` and, move for move,
on GNU Go over GTP, and compares everything the two can tell about each position:

* legality: GNU Go's ``all_legal`` (every point, for the side to move or both sides) against
  our legal moves, and ``is_legal`` on random candidate points of either colour (occupied
  ones, suicides, ko and superko recaptures, captures) against ``Game.legality``;
* that a deliberately illegal move is rejected by both (``play`` must fail);
* the stones after every move (``list_stones``) and the prisoners (``captures``);
* for games that end with two passes, the area score: ``Game.area_score()`` against GNU Go's
  ``final_score`` under Chinese rules. Such a game stops only when neither side has a legal
  move outside its own eyes, so (but for a capture that ko or superko forbade) every chain
  keeps two or more liberties that are eyes: all stones are alive and GNU Go's dead-stone
  judgement should find nothing to remove. Games that end with a chain in atari (its capture
  forbidden by superko; seen on tiny boards) are not scored: GNU Go calls such a chain seki
  and its last liberty dame, while area scoring gives that point to the chain's owner.

Moves are chosen as our playouts choose them: uniformly among legal points that do not fill
one's own eye (``board.is_eye``) and are not suicide, passing when none is left. Under rules
that allow suicide, a legal suicide is sometimes played on purpose so that chain removal is
refereed too. Every disagreement is recorded with the move sequence that reproduces it
(:func:`format_disagreement` prints it with the GTP script, :func:`gtp_script`).

What GNU Go 3.8 can referee (read from its board.c, confirmed by running it):

* ``--positional-superko``, ``--situational-superko`` and the default simple ko mean what
  ours do; its history starts with the empty board, and a pass clears simple ko.
* ``--allow-all-suicide`` is ``Rules(suicide=True)``: single- and multi-stone suicide, the
  chain removed and counted as prisoners of the opponent (``--allow-suicide`` forbids
  single-stone suicide, which we allow, so it is not used).
* Not suicide together with superko: GNU Go tests superko by placing the stone with its
  non-suicide routine, so the position it checks after a suicide still holds the suicided
  chain. It then allows a single-stone suicide that recreates the position (and a
  multi-stone suicide that recreates an earlier one), which superko forbids and we refuse.
  Such variants are left out of :data:`DEFAULT_VARIANTS`; suicide is refereed under simple ko.
* GNU Go keeps 500 moves of history and then forgets the oldest, which would blind its
  superko; games are capped below that.

GTP round trips dominate the cost: each turn's commands go out as one pipelined batch (GTP
lets a controller send several commands before reading the answers), several times faster
than one command at a time. GNU Go writes its answers unbuffered, a system call per vertex,
so ``all_legal`` and ``list_stones`` are its most expensive commands.
"""

from __future__ import annotations

import concurrent.futures
import functools
import multiprocessing
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from go_engine import board as go_board
from go_engine.coords import action_to_gtp
from go_engine.game import Game, IllegalMoveError
from go_engine.playout import default_max_moves
from go_engine.rules import Rules
from go_engine.state import BLACK, EMPTY, WHITE
from gtp.client import GTPClient, gnugo_command
from gtp.scores import format_score
from gtp.scores import parse_score as _parse_score  # the tests use this name

__all__ = [
    "DEFAULT_VARIANTS",
    "GNUGO_MAX_HISTORY",
    "LegalityFn",
    "RefereeConfig",
    "RefereeReport",
    "RuleVariant",
    "format_disagreement",
    "gtp_script",
    "referee_games",
]

GNUGO_MAX_HISTORY = 500
"""Moves GNU Go 3.8 remembers (MAX_MOVE_HISTORY); beyond it its superko history is cut."""

GNUGO_MAX_SIZE = 19

LegalityFn = Callable[[Game, int, int], "str | None"]
"""Our side's legality verdict: (game, action, colour) -> None if legal, else a reason."""

_COLOR_WORD = {BLACK: "black", WHITE: "white"}
_COLOR_LETTER = {BLACK: "B", WHITE: "W"}


# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class RuleVariant:
    """One rule set refereed: our Rules and the GNU Go options that mean the same."""

    name: str
    ko: str = "positional"  # "simple", "positional" or "situational"
    suicide: bool = False

    def __post_init__(self) -> None:
        Rules(ko=self.ko, suicide=self.suicide)  # validates the names

    def rules(self, komi: float) -> Rules:
        return Rules("area", self.ko, self.suicide, float(komi))

    def gnugo_argv(
        self, level: int, size: int, komi: float, executable: str | None = None
    ) -> list[str]:
        return gnugo_command(
            level,
            boardsize=size,
            komi=komi,
            chinese_rules=True,
            superko=None if self.ko == "simple" else self.ko,
            suicide="allow-all" if self.suicide else None,
            seed=0,
            executable=executable,
        )


DEFAULT_VARIANTS: tuple[RuleVariant, ...] = (
    RuleVariant("positional-superko", "positional", False),
    RuleVariant("situational-superko", "situational", False),
    RuleVariant("simple-ko", "simple", False),
    RuleVariant("simple-ko-suicide", "simple", True),
)


@dataclass(frozen=True)
class RefereeConfig:
    """What to referee and how hard.

    Games ``first_game .. first_game + games - 1`` are played; game i under
    ``variants[i % len(variants)]`` with its random generator seeded by
    ``seed * 1_000_003 + i`` (its "game seed"), so one game replays alone with
    ``games=1, first_game=i``.
    """

    games: int = 100
    first_game: int = 0
    size: int = 9
    komi: float = 7.5
    seed: int = 0
    variants: tuple[RuleVariant, ...] = DEFAULT_VARIANTS
    workers: int = 1  # processes, each with its own GNU Go
    illegal_tries: int = 4  # random candidate points per turn probed with is_legal
    all_legal: str = "to_play"  # compare every point's legality each turn for: "to_play",
    # "both" colours or "none" (GNU Go's all_legal is its slowest per-turn command)
    illegal_play_rate: float = 0.02  # turns on which an illegal move is played (both must refuse)
    suicide_rate: float = 0.1  # under suicide rules: turns on which a legal suicide is played
    max_moves: int | None = None  # move cap (passes included); None: the playout cap
    score: bool = True  # compare final_score at the end of games ended by two passes
    gnugo_level: int = 0  # final_score's clean-up play runs at this level; 0 is fastest
    max_disagreements_per_game: int = 10
    timeout: float = 120.0  # seconds for one batch of GTP commands (final_score included)
    executable: str | None = None  # GNU Go binary; None: gtp.client.find_gnugo()

    def __post_init__(self) -> None:
        if self.games < 0 or self.first_game < 0:
            raise ValueError(f"games and first_game must be >= 0, not {self.games}")
        if not 2 <= self.size <= GNUGO_MAX_SIZE:
            raise ValueError(f"size must be 2..{GNUGO_MAX_SIZE} (GNU Go's range), not {self.size}")
        if not self.variants:
            raise ValueError("at least one rule variant is needed")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, not {self.workers}")
        if self.all_legal not in ("to_play", "both", "none"):
            raise ValueError(f"all_legal must be to_play, both or none, not {self.all_legal!r}")
        if self.illegal_tries < 0:
            raise ValueError(f"illegal_tries must be >= 0, not {self.illegal_tries}")
        if self.max_moves is not None and not 1 <= self.max_moves < GNUGO_MAX_HISTORY:
            raise ValueError(f"max_moves must be 1..{GNUGO_MAX_HISTORY - 1}")

    @property
    def move_cap(self) -> int:
        if self.max_moves is not None:
            return self.max_moves
        return min(default_max_moves(self.size), GNUGO_MAX_HISTORY - 50)

    def game_seed(self, index: int) -> int:
        return self.seed * 1_000_003 + index


@dataclass
class RefereeReport:
    """What a referee run did and every disagreement it found.

    Each disagreement is a dict with: game (index), seed (game seed), variant, move_number
    (moves played so far, passes included), kind ("legality", "stones", "captures", "score"
    or "internal"), query (the GTP command compared), ours, gnugo, moves (the game so far as
    "B D4"-style GTP moves), gnugo_argv (how GNU Go was started), size and komi.
    """

    games: int = 0
    moves: int = 0
    probes: int = 0  # is_legal comparisons
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    legal_sets: int = 0  # all_legal comparisons (each covers every point for one colour)
    illegal_plays: int = 0  # illegal moves both sides were asked to play
    suicides: int = 0  # suicides played on purpose
    scored_games: int = 0  # games whose final score was compared
    capped_games: int = 0  # games stopped by the move cap (not scored)
    unsettled_games: int = 0  # ended with a chain in atari (not scored)
    aborted_games: int = 0  # games stopped because the two boards diverged
    games_per_variant: dict[str, int] = field(default_factory=dict)

    @property
    def games_per_second(self) -> float:
        return self.games / self.seconds if self.seconds > 0 else 0.0

    def merge(self, other: RefereeReport) -> None:
        """Add another (partial) report's counts and disagreements to this one."""
        for name in (
            "games",
            "moves",
            "probes",
            "legal_sets",
            "illegal_plays",
            "suicides",
            "scored_games",
            "capped_games",
            "unsettled_games",
            "aborted_games",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.disagreements.extend(other.disagreements)
        for k, v in other.games_per_variant.items():
            self.games_per_variant[k] = self.games_per_variant.get(k, 0) + v

    def summary(self, limit: int = 5) -> str:
        """A readable account: counts, speed, and the first `limit` disagreements in full."""
        kinds: dict[str, int] = {}
        for d in self.disagreements:
            kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
        lines = [
            f"{self.games} games ({self.games_per_second:.1f}/s in {self.seconds:.1f} s), "
            f"{self.moves} moves, {self.probes} is_legal probes, {self.legal_sets} all_legal "
            f"sets, {self.illegal_plays} illegal plays, {self.suicides} suicides, "
            f"{self.scored_games} scored, {self.capped_games} capped, "
            f"{self.unsettled_games} unsettled, {self.aborted_games} aborted; "
            f"per variant {self.games_per_variant}",
            f"{len(self.disagreements)} disagreements {kinds or ''}".rstrip(),
        ]
        for d in self.disagreements[:limit]:
            lines.append(format_disagreement(d))
        if len(self.disagreements) > limit:
            lines.append(f"... and {len(self.disagreements) - limit} more")
        return "\n".join(lines)


def format_disagreement(d: dict[str, Any], script: bool = True) -> str:
    """One disagreement as text; with `script`, the GTP session that reproduces it."""
    head = (
        f"[{d['kind']}] game {d['game']} (seed {d['seed']}, {d['variant']}) after "
        f"{d['move_number']} moves: {d['query']}: ours={d['ours']!s} gnugo={d['gnugo']!s}"
    )
    if not script:
        return head
    body = "\n".join("    " + line for line in gtp_script(d).splitlines())
    return f"{head}\n  reproduce with: {d['gnugo_argv']}\n{body}"


def gtp_script(d: dict[str, Any]) -> str:
    """The GTP commands that replay a disagreement's game and ask the disputed question."""
    lines = [f"boardsize {d['size']}", "clear_board", f"komi {d['komi']}"]
    lines += [f"play {m}" for m in d["moves"]]
    lines.append(d["query"])
    return "\n".join(lines)


# ----------------------------------------------------------------------------- GTP plumbing


class _Engine:
    """One GNU Go process, restarted when the rule variant changes."""

    def __init__(self, config: RefereeConfig) -> None:
        self.config = config
        self.client: GTPClient | None = None
        self.variant: RuleVariant | None = None
        self.argv: list[str] = []

    def use(self, variant: RuleVariant) -> GTPClient:
        if self.client is None or variant != self.variant or not self.client.alive:
            self.close()
            cfg = self.config
            self.argv = variant.gnugo_argv(cfg.gnugo_level, cfg.size, cfg.komi, cfg.executable)
            self.client = GTPClient(self.argv, name="gnugo")
            self.variant = variant
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


# ----------------------------------------------------------------------------- one game


@functools.cache
def _size_tables(n: int) -> tuple[list[str], dict[str, int], np.ndarray]:
    """GTP vertex of each action, action of each vertex, and the neighbour table."""
    vertex = [action_to_gtp(a, n) for a in range(n * n + 1)]
    return vertex, {v: a for a, v in enumerate(vertex)}, _neighbour_table(n)


def _neighbour_table(n: int) -> np.ndarray:
    """int[N*N, 4]: the neighbours of each point, N*N (an off-board sentinel) at the edge."""
    table = np.full((n * n, 4), n * n, dtype=np.intp)
    for r in range(n):
        for c in range(n):
            for k, (dr, dc) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):
                if 0 <= r + dr < n and 0 <= c + dc < n:
                    table[r * n + c, k] = (r + dr) * n + c + dc
    return table


def _suicide_and_capture_points(
    flat: np.ndarray, libs: np.ndarray, color: int, table: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """bool[N*N] masks: empty points where `color` would commit suicide, and empty points
    where it would capture (an adjacent opponent chain has this as its last liberty).

    `flat` is the board and `libs` the exact liberties of each stone's chain (action layout).
    """
    nb = np.append(flat, 3)[table]  # 3: off the board
    nl = np.append(libs, 0)[table]
    cap = (nb == 3 - color) & (nl == 1)
    breathes = (nb == EMPTY) | ((nb == color) & (nl > 1)) | cap
    empty = flat == EMPTY
    return empty & ~breathes.any(axis=1), empty & cap.any(axis=1)


class _GameReferee:
    """Plays one game on both sides, batching each turn's GTP commands."""

    def __init__(
        self,
        config: RefereeConfig,
        index: int,
        engine: _Engine,
        legality: LegalityFn | None,
        report: RefereeReport,
    ) -> None:
        self.cfg = config
        self.index = index
        self.variant = config.variants[index % len(config.variants)]
        self.seed = config.game_seed(index)
        self.rng = np.random.default_rng(self.seed)
        self.engine = engine
        self.client = engine.use(self.variant)
        self.legality = legality
        self.report = report
        self.n = config.size
        self.n2 = self.n * self.n
        self.vertex, self.action_of, self.table = _size_tables(self.n)
        self.game = Game(self.n, self.variant.rules(config.komi))
        self.moves: list[str] = []
        self.found = 0

    # -- recording
    def disagree(self, kind: str, query: str, ours: object, gnugo: object, at: int) -> None:
        """Record a disagreement about `query` asked after the first `at` moves."""
        self.found += 1
        if self.found > self.cfg.max_disagreements_per_game:
            return
        self.report.disagreements.append(
            {
                "game": self.index,
                "seed": self.seed,
                "variant": self.variant.name,
                "move_number": at,
                "kind": kind,
                "query": query,
                "ours": ours,
                "gnugo": gnugo,
                "moves": self.moves[:at],
                "gnugo_argv": shlex.join(self.engine.argv),
                "size": self.n,
                "komi": self.cfg.komi,
            }
        )

    # -- our side
    def our_verdict(self, action: int, color: int, at: int | None = None) -> str | None:
        """Our legality verdict now, or after the first `at` moves (the game replayed)."""
        game = self.game if at is None or at == len(self.game.moves) else self.replay(at)
        if self.legality is not None:
            return self.legality(game, action, color)
        return game.legality(action, color)

    def replay(self, at: int) -> Game:
        """A fresh Game after the first `at` moves of this one (only needed to explain a
        disagreement, so rebuilding is cheaper than snapshotting every turn)."""
        game = Game(self.n, self.game.rules)
        for a, c in self.game.moves[:at]:
            game.play(a, c)
        return game

    def our_legal_set(self, color: int, mask: np.ndarray) -> set[int]:
        if self.legality is None:
            return set(np.flatnonzero(mask).tolist())
        return {a for a in range(self.n2) if self.legality(self.game, a, color) is None}

    # -- the game
    def run(self) -> None:
        cfg = self.cfg
        setup = self.client.send_batch(
            [f"boardsize {self.n}", "clear_board", f"komi {cfg.komi}"], cfg.timeout
        )
        for (ok, text), cmd in zip(setup, ("boardsize", "clear_board", "komi"), strict=True):
            if not ok:
                raise RuntimeError(f"GNU Go refused {cmd}: {text}")
        cap = cfg.move_cap
        while True:
            ended = self.game.is_over()
            capped = not ended and len(self.moves) >= cap
            if not self.turn(last=ended or capped):
                self.report.aborted_games += 1
                break
            if ended:
                if cfg.score:
                    self.compare_score()
                break
            if capped:
                self.report.capped_games += 1
                break
        self.report.games += 1
        self.report.moves += len(self.moves)
        name = self.variant.name
        self.report.games_per_variant[name] = self.report.games_per_variant.get(name, 0) + 1

    def turn(self, last: bool) -> bool:
        """Compare legality in the current position and, unless `last`, play one move.

        Returns False when the two boards can no longer be trusted to agree.
        """
        cfg = self.cfg
        game = self.game
        n2 = self.n2
        at = len(self.moves)
        cmds: list[str] = []
        checks: list[Callable[[bool, str], bool]] = []
        flat = game.board().reshape(-1)
        libs = go_board.liberty_map(game.state)
        masks = {c: game.legal_moves(c)[:n2] for c in (BLACK, WHITE)}
        to_play = game.to_play
        self._tricky: dict[int, np.ndarray] = {}  # probe candidates per colour, this turn

        if cfg.all_legal != "none":
            for c in (BLACK, WHITE) if cfg.all_legal == "both" else (to_play,):
                cmds.append(f"all_legal {_COLOR_WORD[c]}")
                checks.append(self._check_all_legal(c, self.our_legal_set(c, masks[c]), at))
        for _ in range(cfg.illegal_tries):
            c = BLACK if self.rng.random() < 0.5 else WHITE
            a = self._probe_point(c, flat, masks[c], libs)
            if self.legality is None and masks[c][a]:
                ours = None  # the mask is Game.legality for every point; no need to ask again
            else:
                ours = self.our_verdict(a, c)
            cmds.append(f"is_legal {_COLOR_WORD[c]} {self.vertex[a]}")
            checks.append(self._check_is_legal(c, a, ours, at))

        if not last:
            color = to_play
            if cfg.illegal_play_rate > 0 and self.rng.random() < cfg.illegal_play_rate:
                self._illegal_play(color, masks[color], cmds, checks, at)
            move = self._choose_move(color, flat, libs, masks[color])
            vertex = self.vertex[move]
            query = f"play {_COLOR_WORD[color]} {vertex}"
            try:
                game.play(move, color)
            except IllegalMoveError as err:
                self.disagree("internal", query, f"Game.play refused: {err.reason}", "-", at)
                self._flush(cmds, checks)
                return False
            cmds.append(query)
            checks.append(self._check_play(query, at))
            self.moves.append(f"{_COLOR_LETTER[color]} {vertex}")
            after = game.board().reshape(-1)
            for c in (BLACK, WHITE):
                cmds.append(f"list_stones {_COLOR_WORD[c]}")
                ours_stones = set(np.flatnonzero(after == c).tolist())
                checks.append(self._check_stones(c, ours_stones, at + 1))
            caps = game.captures
            for c, ours_caps in ((BLACK, caps[0]), (WHITE, caps[1])):
                cmds.append(f"captures {_COLOR_WORD[c]}")
                checks.append(self._check_captures(c, ours_caps, at + 1))
        return self._flush(cmds, checks)

    def _flush(self, cmds: list[str], checks: list[Callable[[bool, str], bool]]) -> bool:
        answers = self.client.send_batch(cmds, self.cfg.timeout)
        for (ok, text), check in zip(answers, checks, strict=True):
            if not check(ok, text):
                # Later answers were computed on a board that no longer matches ours.
                return False
        return True

    # -- choosing points
    def _probe_point(self, color: int, flat: np.ndarray, mask: np.ndarray, libs: np.ndarray) -> int:
        """Half the time a tricky point (illegal empty point: suicide, ko, superko; or a
        capture), otherwise any point, occupied ones included."""
        if self.rng.random() < 0.5:
            tricky = self._tricky.get(color)
            if tricky is None:
                _, capture = _suicide_and_capture_points(flat, libs, color, self.table)
                tricky = np.flatnonzero(((flat == EMPTY) & ~mask) | capture)
                self._tricky[color] = tricky
            if tricky.size:
                return int(tricky[self.rng.integers(tricky.size)])
        return int(self.rng.integers(self.n2))

    def _choose_move(self, color: int, flat: np.ndarray, libs: np.ndarray, mask: np.ndarray) -> int:
        """The playout policy: uniform among legal, non-suicide points that do not fill an
        own eye; pass when none. Under suicide rules, sometimes a legal suicide instead."""
        legal = mask
        if self.variant.suicide:
            suicide, _ = _suicide_and_capture_points(flat, libs, color, self.table)
            suicide &= mask
            legal = mask & ~suicide
            if suicide.any() and self.rng.random() < self.cfg.suicide_rate:
                self.report.suicides += 1
                points = np.flatnonzero(suicide)
                return int(points[self.rng.integers(points.size)])
        # Same law as playout._random_point: draw uniformly, reject own eyes, draw again.
        for a in self.rng.permutation(np.flatnonzero(legal)):
            if not go_board.is_eye(self.game.state, int(a), color):
                return int(a)
        return self.n2

    def _illegal_play(
        self,
        color: int,
        mask: np.ndarray,
        cmds: list[str],
        checks: list[Callable[[bool, str], bool]],
        at: int,
    ) -> None:
        """Ask both sides to play a move our legal mask forbids (occupied points included)."""
        illegal = np.flatnonzero(~mask)
        if illegal.size == 0:
            return
        a = int(illegal[self.rng.integers(illegal.size)])
        query = f"play {_COLOR_WORD[color]} {self.vertex[a]}"
        try:
            self.game.play(a, color)
        except IllegalMoveError as err:
            ours = err.reason
        else:
            self.game.undo()
            self.disagree("internal", query, "legal_moves: illegal; Game.play: legal", "-", at)
            return
        self.report.illegal_plays += 1

        def check(ok: bool, text: str) -> bool:
            if ok:
                self.disagree("legality", query, ours, "legal (GNU Go played it)", at)
                return False
            return True

        cmds.append(query)
        checks.append(check)

    # -- comparing answers
    def _check_all_legal(self, color: int, ours: set[int], at: int) -> Callable[[bool, str], bool]:
        word = _COLOR_WORD[color]

        def check(ok: bool, text: str) -> bool:
            self.report.legal_sets += 1
            if not ok:
                self.disagree("legality", f"all_legal {word}", "-", f"error: {text}", at)
                return True
            theirs = {self.action_of[v] for v in text.split()}
            for a in sorted(ours ^ theirs):
                self.disagree(
                    "legality",
                    f"is_legal {word} {self.vertex[a]}",
                    self.our_verdict(a, color, at) or "legal",
                    "legal" if a in theirs else "illegal",
                    at,
                )
            return True

        return check

    def _check_is_legal(
        self, color: int, action: int, ours: str | None, at: int
    ) -> Callable[[bool, str], bool]:
        query = f"is_legal {_COLOR_WORD[color]} {self.vertex[action]}"

        def check(ok: bool, text: str) -> bool:
            self.report.probes += 1
            theirs = ok and text.strip() == "1"
            if not ok or (ours is None) != theirs:
                gnugo = f"error: {text}" if not ok else ("legal" if theirs else "illegal")
                self.disagree("legality", query, ours or "legal", gnugo, at)
            return True

        return check

    def _check_play(self, query: str, at: int) -> Callable[[bool, str], bool]:
        def check(ok: bool, text: str) -> bool:
            if not ok:
                self.disagree("legality", query, "legal (played)", f"illegal ({text})", at)
                return False
            return True

        return check

    def _check_stones(self, color: int, ours: set[int], at: int) -> Callable[[bool, str], bool]:
        word = _COLOR_WORD[color]

        def check(ok: bool, text: str) -> bool:
            theirs = {self.action_of[v] for v in text.split()} if ok else set()
            if not ok or theirs != ours:
                only_ours = " ".join(self.vertex[a] for a in sorted(ours - theirs))
                only_theirs = " ".join(self.vertex[a] for a in sorted(theirs - ours))
                self.disagree(
                    "stones",
                    f"list_stones {word}",
                    f"{len(ours)} stones; only ours: {only_ours or '-'}",
                    f"{len(theirs)} stones; only GNU Go's: {only_theirs or '-'}"
                    + ("" if ok else f" (error: {text})"),
                    at,
                )
                return False
            return True

        return check

    def _check_captures(self, color: int, ours: int, at: int) -> Callable[[bool, str], bool]:
        query = f"captures {_COLOR_WORD[color]}"

        def check(ok: bool, text: str) -> bool:
            if not ok or text.strip() != str(ours):
                self.disagree("captures", query, ours, text.strip(), at)
                return False
            return True

        return check

    def compare_score(self) -> None:
        if (go_board.liberty_map(self.game.state) == 1).any():
            # A capture that superko forbade let the game end (see the module notes).
            self.report.unsettled_games += 1
            return
        at = len(self.moves)
        [(ok, text)] = self.client.send_batch(["final_score"], self.cfg.timeout)
        ours = self.game.area_score()
        self.report.scored_games += 1
        if not ok:
            self.disagree("score", "final_score", format_score(ours), f"error: {text}", at)
            return
        if abs(_parse_score(text) - ours) > 1e-6:
            self.disagree("score", "final_score", format_score(ours), text.strip(), at)


# ----------------------------------------------------------------------------- the runner


def _run_games(
    config: RefereeConfig, indices: Sequence[int], legality: LegalityFn | None
) -> RefereeReport:
    """Referee the games `indices` with one GNU Go process (restarted per rule variant)."""
    report = RefereeReport()
    engine = _Engine(config)
    try:
        for i in indices:
            _GameReferee(config, i, engine, legality, report).run()
    finally:
        engine.close()
    return report


def _partition(config: RefereeConfig) -> list[list[int]]:
    """Game indices per worker, dealt round-robin and grouped by variant so that each
    worker restarts GNU Go at most once per variant."""
    k = len(config.variants)
    parts: list[list[int]] = [[] for _ in range(config.workers)]
    for i in range(config.first_game, config.first_game + config.games):
        parts[i % config.workers].append(i)
    return [sorted(p, key=lambda i: (i % k, i)) for p in parts if p]


def referee_games(config: RefereeConfig, legality: LegalityFn | None = None) -> RefereeReport:
    """Play `config.games` random games on our board and on GNU Go, comparing every move.

    `legality` replaces our legality verdict (``Game.legality``, and ``Game.legal_moves`` for
    the all_legal comparison) with another function, to prove that the referee notices a
    wrong one; moves are still chosen and played by the real Game. With ``workers > 1`` the
    games run in that many processes, started with "spawn": a calling script needs the
    ``if __name__ == "__main__":`` guard, and `legality` must be a module-level function.

    Raises FileNotFoundError when GNU Go cannot be found.
    """
    start = time.perf_counter()
    report = RefereeReport()
    parts = _partition(config)
    if config.workers == 1 or len(parts) <= 1:
        for part in parts:
            report.merge(_run_games(config, part, legality))
    else:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(len(parts), mp_context=ctx) as pool:
            futures = [pool.submit(_run_games, config, part, legality) for part in parts]
            for fut in futures:
                report.merge(fut.result())
    report.disagreements.sort(key=lambda d: (d["game"], d["move_number"]))
    report.seconds = time.perf_counter() - start
    return report
