"""The GTP v2 engine: parses commands, keeps the game, asks a player for moves.

Only GTP goes to stdout; logs and tracebacks go to stderr. A bad command never stops the
engine: it gets `? reason`. Commands are methods named `cmd_<name>` and are found by name,
so later layers add commands by subclassing or by `register`.
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from go_engine import __version__
from go_engine.coords import CoordinateError, action_to_gtp, board_to_text, gtp_to_action
from go_engine.game import Game, IllegalMoveError
from go_engine.rules import Rules
from go_engine.state import BLACK, MAX_SIZE, MIN_SIZE, WHITE
from go_engine.timecontrol import Clock, TimeControl, TimeManager
from gtp.players import DEFAULT_PLAYER, Player, PlayerConfig, make_player
from gtp.scores import format_score

ENGINE_NAME = "go-engine"
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
        return sorted(names)

    def register(self, name: str, handler: Callable[[list[str]], str]) -> None:
        """Add a command from outside (e.g. an analysis layer)."""
        self.extra[name] = handler

    def handle(self, line: str) -> str | None:
        """The full response to one input line (with its blank line), or None for a line
        that holds no command (empty or comment)."""
        line = _CONTROL.sub("", line.split("#", 1)[0]).replace("\t", " ").strip()
        if not line:
            return None
        words = line.split()
        ident = ""
        if words[0].isdigit():
            ident = words.pop(0)
            if not words:
                return f"?{ident} missing command\n\n"
        name, args = words[0].lower(), words[1:]
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
        """Answer commands until `quit` or end of input."""
        for line in instream:
            response = self.handle(line)
            if response is None:
                continue
            outstream.write(response)
            outstream.flush()
            if self.quit_requested:
                break

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

    def cmd_genmove(self, args: list[str]) -> str:
        self._args(args, 1, "genmove COLOR")
        color = parse_color(args[0])
        if hasattr(self.player, "seconds_override"):
            self.player.seconds_override = self._time_budget(color)
        move = self.player.genmove(self.game, color)
        if move < 0:
            return "resign"
        self.game.play(move, color)
        return action_to_gtp(move, self.game.size)

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

    def cmd_final_score(self, args: list[str]) -> str:
        # Every stone counts as alive until the engine can judge dead stones (GTP issue).
        return format_score(self.game.score())
