"""The GTP v2 engine: parses commands, keeps the game, asks a player for moves.

Only GTP goes to stdout; logs and tracebacks go to stderr. A bad command never stops the
engine: it gets `? reason`. Commands are methods named `cmd_<name>` and are found by name,
so later layers add commands by subclassing or by `register`.
"""

from __future__ import annotations

import io
import queue
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from go_engine import __version__
from go_engine.coords import (
    CoordinateError,
    action_to_gtp,
    board_to_text,
    gtp_to_action,
    handicap_points,
    max_fixed_handicap,
)
from go_engine.game import Game, IllegalMoveError
from go_engine.ownership import dead_stones, estimated_score, mc_ownership
from go_engine.rules import Rules
from go_engine.search_result import SearchResult
from go_engine.sgf_io import SGFError, read_sgf, replay, write_sgf
from go_engine.state import BLACK, M_PASSES, MAX_SIZE, MIN_SIZE, WHITE
from go_engine.timecontrol import Clock, TimeControl, TimeManager
from gtp.analysis import STREAMING, AnalyzeArgumentError, format_report, parse_request
from gtp.players import DEFAULT_PLAYER, Player, PlayerConfig, make_player
from gtp.scores import format_score

ENGINE_NAME = "go-engine"
SEKI_OWNERSHIP = 0.3  # |mean ownership| below which a living stone's point is called seki
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class GTPCommandError(Exception):
    """A command that fails; its message is sent as `? message`."""


@dataclass
class EngineConfig:
    """Start-up settings of the GTP engine."""

    size: int = 19
    komi: float = 7.5
    rules: Rules = field(default_factory=Rules)
    player: str = DEFAULT_PLAYER
    player_config: PlayerConfig = field(default_factory=PlayerConfig)
    ownership_playouts: int = 400  # rollouts that judge dead stones at the end of a game


# Extension commands are spelled with a hyphen after a program prefix (kgs-time_settings);
# their methods use an underscore.
_PREFIXES = ("kgs_", "lz_", "kata_", "gogui_")


def _gtp_name(method: str) -> str:
    for prefix in _PREFIXES:
        if method.startswith(prefix):
            return prefix[:-1] + "-" + method[len(prefix) :]
    return method


def parse_color(word: str) -> int:
    w = word.lower()
    if w in ("b", "black"):
        return BLACK
    if w in ("w", "white"):
        return WHITE
    raise GTPCommandError(f"invalid color {word!r}")


class GTPEngine:
    """One GTP session: a game, its rules, and the player that answers genmove."""

    def __init__(self, config: EngineConfig | None = None, player: Player | None = None) -> None:
        self.config = config or EngineConfig()
        self.rules = self.config.rules.with_komi(self.config.komi)
        self.game = Game(self.config.size, self.rules)
        self.player = player or make_player(self.config.player, self.config.player_config)
        self.quit_requested = False
        self.extra: dict[str, Callable[[list[str]], str]] = {}
        self.time_control = TimeControl()
        self.clocks = {BLACK: Clock(), WHITE: Clock()}
        self.clock_reported = {BLACK: False, WHITE: False}
        self.time_manager = TimeManager()

    # -- dispatch
    def command_names(self) -> list[str]:
        names = {_gtp_name(n[4:]) for n in dir(self) if n.startswith("cmd_")} | set(self.extra)
        if hasattr(self.player, "think"):
            names |= set(STREAMING)
        return sorted(names)

    def register(self, name: str, handler: Callable[[list[str]], str]) -> None:
        """Add a command from outside (e.g. an analysis layer)."""
        self.extra[name] = handler

    @staticmethod
    def parse(line: str) -> tuple[str, str, list[str]] | None:
        """(id, command name in lower case, arguments) of an input line; None for a line with
        no command (empty or comment); the name is "" when only an id is given."""
        line = _CONTROL.sub("", line.split("#", 1)[0]).replace("\t", " ").strip()
        if not line:
            return None
        words = line.split()
        ident = ""
        if words[0].isdigit():
            ident = words.pop(0)
            if not words:
                return ident, "", []
        return ident, words[0].lower(), words[1:]

    def handle(self, line: str) -> str | None:
        """The full response to one input line (with its blank line), or None for a line
        that holds no command (empty or comment). An analysis command answered here reports
        once, after one interval (`serve` streams them until the next command)."""
        parsed = self.parse(line)
        if parsed is None:
            return None
        ident, name, args = parsed
        if not name:
            return f"?{ident} missing command\n\n"
        if name in STREAMING:
            out = io.StringIO()
            self.stream(ident, name, args, out, lambda: True)
            return out.getvalue()
        handler = self.extra.get(name) or getattr(self, "cmd_" + name.replace("-", "_"), None)
        if handler is None:
            return f"?{ident} unknown command\n\n"
        try:
            result = handler(args)
        except GTPCommandError as e:
            return f"?{ident} {e}\n\n"
        except Exception as e:  # never a traceback to the client
            traceback.print_exc(file=sys.stderr)
            return f"?{ident} internal error: {type(e).__name__}: {e}\n\n"
        return f"={ident} {result}\n\n" if result else f"={ident}\n\n"

    def serve(self, instream: TextIO, outstream: TextIO) -> None:
        """Answer commands until `quit` or end of input. Input is read by a thread, so that
        an analysis can stream until the next command arrives."""
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            for line in instream:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, name="gtp-stdin", daemon=True).start()
        while True:
            line = lines.get()
            if line is None:
                break
            parsed = self.parse(line)
            if parsed is not None and parsed[1] in STREAMING:
                ident, name, args = parsed
                self.stream(ident, name, args, outstream, lambda: not lines.empty())
                continue
            response = self.handle(line)
            if response is None:
                continue
            outstream.write(response)
            outstream.flush()
            if self.quit_requested:
                break

    # -- analysis (gtp/analysis.py has the formats)
    def stream(
        self,
        ident: str,
        name: str,
        args: list[str],
        out: TextIO,
        interrupted: Callable[[], bool],
    ) -> None:
        """Run an analysis command, writing its whole response to `out`: reports until
        `interrupted()` is true (checked after each report), or the move for genmove kinds."""
        style, genmove = STREAMING[name]
        try:
            req = parse_request(args)
        except AnalyzeArgumentError as e:
            out.write(f"?{ident} {e}\n\n")
            out.flush()
            return
        if not hasattr(self.player, "think"):
            out.write(f"?{ident} the {self.player.name} player cannot analyse\n\n")
            out.flush()
            return
        color = req.color or self.game.to_play
        position = self.player.position(self.game, color)
        lead = 0.0
        if style != "lz":
            score, _ = estimated_score(position.state, self.config.ownership_playouts // 4)
            lead = score if color == BLACK else -score
        own = None
        if req.ownership and style == "kata":
            own = mc_ownership(position.state, self.config.ownership_playouts // 2)
            own = own if color == BLACK else -own

        def report(result: SearchResult) -> None:
            out.write(format_report(result, self.game.size, style, req, lead, own) + "\n")
            out.flush()

        out.write(f"={ident}\n")
        out.flush()
        try:
            if genmove:
                self.player.seconds_override = self._time_budget(color)
                move = self.player.genmove(self.game, color, report, req.interval)
                out.write(f"play {self._commit(color, move)}\n")
            else:
                while True:
                    report(self.player.search(position.state, None, req.interval))
                    if interrupted():
                        break
        except Exception:  # the response has begun: end it cleanly, log the rest
            traceback.print_exc(file=sys.stderr)
        out.write("\n")
        out.flush()

    # -- helpers
    def _args(self, args: list[str], count: int, usage: str) -> list[str]:
        if len(args) < count:
            raise GTPCommandError(f"syntax error: expected {usage}")
        return args

    def _vertex(self, word: str) -> int:
        try:
            return gtp_to_action(word, self.game.size)
        except CoordinateError as e:
            raise GTPCommandError(f"invalid vertex: {e}") from None

    def _new_game(self, size: int) -> None:
        self.game = Game(size, self.rules)

    # -- administrative commands
    def cmd_protocol_version(self, args: list[str]) -> str:
        return "2"

    def cmd_name(self, args: list[str]) -> str:
        return ENGINE_NAME

    def cmd_version(self, args: list[str]) -> str:
        return f"{__version__} ({self.player.name})"

    def cmd_known_command(self, args: list[str]) -> str:
        self._args(args, 1, "known_command COMMAND")
        return "true" if args[0].lower() in self.command_names() else "false"

    def cmd_list_commands(self, args: list[str]) -> str:
        return "\n".join(self.command_names())

    def cmd_quit(self, args: list[str]) -> str:
        self.quit_requested = True
        return ""

    # -- setting up the game
    def cmd_boardsize(self, args: list[str]) -> str:
        self._args(args, 1, "boardsize SIZE")
        try:
            size = int(args[0])
        except ValueError:
            raise GTPCommandError("boardsize not an integer") from None
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise GTPCommandError("unacceptable size")
        self._new_game(size)
        return ""

    def cmd_clear_board(self, args: list[str]) -> str:
        self._new_game(self.game.size)
        return ""

    def cmd_komi(self, args: list[str]) -> str:
        self._args(args, 1, "komi FLOAT")
        try:
            komi = float(args[0])
        except ValueError:
            raise GTPCommandError("komi not a float") from None
        if komi != komi or abs(komi) > 1000:
            raise GTPCommandError("komi out of range")
        self.rules = self.rules.with_komi(komi)
        self.game.set_komi(komi)
        return ""

    # -- playing
    def cmd_play(self, args: list[str]) -> str:
        self._args(args, 2, "play COLOR VERTEX")
        color = parse_color(args[0])
        if args[1].lower() == "resign":
            return ""
        move = self._vertex(args[1])
        try:
            self.game.play(move, color)
        except IllegalMoveError as e:
            raise GTPCommandError(f"illegal move ({e.reason})") from None
        return ""

    def _generate(self, args: list[str], usage: str, cleanup: bool = False) -> tuple[int, int]:
        self._args(args, 1, usage)
        color = parse_color(args[0])
        if hasattr(self.player, "seconds_override"):
            self.player.seconds_override = self._time_budget(color)
        game = self.game
        if cleanup:  # the cleanup phase goes on after both passed: search as if they had not
            game = game.copy()
            game.state.meta[M_PASSES] = 0
        try:
            move = self.player.genmove(game, color)
        except ValueError as e:  # a position the player cannot take (a net's board size)
            raise GTPCommandError(str(e)) from None
        if cleanup and move == self.game.pass_action:
            move = self._cleanup_move(color, move)
        return color, move

    def _cleanup_move(self, color: int, move: int) -> int:
        """kgs-genmove_cleanup: while the opponent has stones judged dead, do not pass but
        play the search's best other move, so that they are captured."""
        _, dead = self._dead()
        flat = self.game.board().reshape(-1)
        if not (dead & (flat == 3 - color)).any():
            return move
        result = getattr(self.player, "last", None)
        if result is None:
            return move
        legal = self.game.legal_moves(color)
        order = np.argsort(-result.visits)
        for i in order:
            a = int(result.actions[i])
            if a != self.game.pass_action and legal[a]:
                return a
        return move

    def _commit(self, color: int, move: int) -> str:
        """Play a generated move (unless it is a resignation) and answer its vertex."""
        if move < 0:
            return "resign"
        self.game.play(move, color)
        return action_to_gtp(move, self.game.size)

    def cmd_genmove(self, args: list[str]) -> str:
        return self._commit(*self._generate(args, "genmove COLOR"))

    def cmd_kgs_genmove_cleanup(self, args: list[str]) -> str:
        return self._commit(*self._generate(args, "kgs-genmove_cleanup COLOR", cleanup=True))

    def cmd_reg_genmove(self, args: list[str]) -> str:
        _, move = self._generate(args, "reg_genmove COLOR")
        return "resign" if move < 0 else action_to_gtp(move, self.game.size)

    # -- time
    def _time_budget(self, color: int) -> float | None:
        clock = self.clocks[color] if self.clock_reported[color] else None
        return self.time_manager.budget(
            self.time_control, clock, self.game.size, self.game.move_number
        )

    def _set_time_control(self, tc: TimeControl) -> None:
        self.time_control = tc
        self.clocks = {BLACK: Clock(), WHITE: Clock()}
        self.clock_reported = {BLACK: False, WHITE: False}

    def cmd_time_settings(self, args: list[str]) -> str:
        self._args(args, 3, "time_settings MAIN BYO_YOMI_TIME BYO_YOMI_STONES")
        try:
            self._set_time_control(TimeControl.from_gtp(*args[:3]))
        except ValueError as e:
            raise GTPCommandError(f"syntax error: {e}") from None
        return ""

    def cmd_kgs_time_settings(self, args: list[str]) -> str:
        try:
            self._set_time_control(TimeControl.from_kgs(args))
        except ValueError as e:
            raise GTPCommandError(f"syntax error: {e}") from None
        return ""

    def cmd_time_left(self, args: list[str]) -> str:
        self._args(args, 3, "time_left COLOR TIME STONES")
        color = parse_color(args[0])
        try:
            self.clocks[color].update(args[1], args[2])
        except ValueError as e:
            raise GTPCommandError(f"syntax error: {e}") from None
        self.clock_reported[color] = True
        return ""

    def cmd_undo(self, args: list[str]) -> str:
        if not self.game.moves:
            raise GTPCommandError("cannot undo")
        self.game.undo()
        return ""

    # -- looking at the game
    def cmd_showboard(self, args: list[str]) -> str:
        b, w = self.game.captures
        return "\n" + board_to_text(self.game.board()) + f"\ncaptures: black {b}, white {w}"

    def cmd_list_stones(self, args: list[str]) -> str:
        self._args(args, 1, "list_stones COLOR")
        color = parse_color(args[0])
        n = self.game.size
        flat = self.game.board().reshape(-1)
        return " ".join(action_to_gtp(int(a), n) for a in range(n * n) if flat[a] == color)

    # -- the end of the game: dead stones judged by rollouts (go_engine.ownership)
    def _dead(self):
        own = mc_ownership(self.game.state, self.config.ownership_playouts, seed=0)
        return own, dead_stones(self.game.state, own)

    def cmd_final_score(self, args: list[str]) -> str:
        _, dead = self._dead()
        return format_score(self.game.score(dead))

    def cmd_final_status_list(self, args: list[str]) -> str:
        self._args(args, 1, "final_status_list alive|dead|seki")
        status = args[0].lower()
        if status not in ("alive", "dead", "seki"):
            raise GTPCommandError(f"unknown status {args[0]!r}")
        own, dead = self._dead()
        n = self.game.size
        flat = self.game.board().reshape(-1)
        stones = flat != 0
        # Seki: alive stones that neither side owns in the rollouts' end positions.
        seki = stones & ~dead & (np.abs(own) < SEKI_OWNERSHIP)
        pick = {"dead": dead & stones, "seki": seki, "alive": stones & ~dead & ~seki}[status]
        return " ".join(action_to_gtp(int(a), n) for a in np.flatnonzero(pick))

    # -- handicap
    def _place_handicap(self, actions: list[int]) -> None:
        if self.game.moves or self.game.setup or self.game.board().any():
            raise GTPCommandError("board not empty")
        if len(actions) < 2 or len(set(actions)) != len(actions):
            raise GTPCommandError("bad vertex list")
        for a in actions:
            if a == self.game.pass_action:
                raise GTPCommandError("bad vertex list")
            self.game.place_setup(a, BLACK)
        self.game.set_to_play(WHITE)

    def _handicap_count(self, args: list[str], usage: str) -> int:
        self._args(args, 1, usage)
        try:
            return int(args[0])
        except ValueError:
            raise GTPCommandError("handicap not an integer") from None

    def cmd_fixed_handicap(self, args: list[str]) -> str:
        count = self._handicap_count(args, "fixed_handicap NUMBER")
        try:
            actions = handicap_points(self.game.size, count)
        except ValueError:
            raise GTPCommandError("invalid handicap") from None
        self._place_handicap(actions)
        return " ".join(action_to_gtp(a, self.game.size) for a in actions)

    def cmd_place_free_handicap(self, args: list[str]) -> str:
        # The fixed points are good free placements; GTP lets the engine place fewer stones
        # than asked for, so their limit (9, or 4 on small and even boards) is kept.
        count = self._handicap_count(args, "place_free_handicap NUMBER")
        n = self.game.size
        if count < 2 or count > n * n - 1:
            raise GTPCommandError("invalid handicap")
        limit = max_fixed_handicap(n)
        # Below 7x7 there are no fixed points: two opposite corners will do.
        actions = handicap_points(n, min(count, limit)) if limit else [0, n * n - 1]
        self._place_handicap(actions)
        return " ".join(action_to_gtp(a, n) for a in actions)

    def cmd_set_free_handicap(self, args: list[str]) -> str:
        self._args(args, 2, "set_free_handicap VERTEX VERTEX ...")
        try:
            self._place_handicap([self._vertex(v) for v in args])
        except IllegalMoveError:
            raise GTPCommandError("bad vertex list") from None
        return ""

    # -- records
    def cmd_loadsgf(self, args: list[str]) -> str:
        self._args(args, 1, "loadsgf FILENAME [MOVE_NUMBER]")
        upto = None
        if len(args) > 1:
            try:
                upto = max(int(args[1]) - 1, 0)  # the position before that move is played
            except ValueError:
                raise GTPCommandError("move number not an integer") from None
        try:
            record = read_sgf(args[0])
            game = replay(record, None if upto is None else min(upto, len(record.moves)))
        except (OSError, SGFError, ValueError) as e:
            raise GTPCommandError(f"cannot load file: {e}") from None
        self.game = game
        self.rules = game.rules
        return "black" if game.to_play == BLACK else "white"

    def cmd_printsgf(self, args: list[str]) -> str:
        data = write_sgf(self.game, black=ENGINE_NAME, white=ENGINE_NAME)
        if args:
            try:
                write_sgf(self.game, args[0], black=ENGINE_NAME, white=ENGINE_NAME)
            except OSError as e:
                raise GTPCommandError(f"cannot write file: {e}") from None
            return ""
        return data.decode("utf-8").strip()

    def cmd_cputime(self, args: list[str]) -> str:
        return f"{time.process_time():.3f}"
