"""Time control: the clock GTP sets up, the time left it reports, and seconds to think per move.

`TimeControl` holds the settings from GTP `time_settings main byo stones` (Canadian byo-yomi, with
absolute time and "no limit" as special cases) or KGS `kgs-time_settings`, which adds Japanese
byo-yomi. `Clock` holds one colour's last `time_left color time stones` report. `TimeManager`
turns both into a thinking budget for the next move that never loses on time: every budget is
below the time actually left on the clock minus a safety margin for lag and GUI overhead.
Plain Python, so the GTP layer and the search need no compiled module for it.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Literal

TimeKind = Literal["none", "absolute", "canadian", "byoyomi"]
KINDS: tuple[str, ...] = ("none", "absolute", "canadian", "byoyomi")


def _seconds(value: float | str, name: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds, not {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, not {value!r}")
    return seconds


def _count(value: int | str, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer >= 0, not {value!r}")
    try:
        count = int(value) if isinstance(value, str) else operator.index(value)
    except (TypeError, ValueError):
        count = None
    if count is None or count < 0:
        raise ValueError(f"{name} must be an integer >= 0, not {value!r}")
    return count


@dataclass(frozen=True)
class TimeControl:
    """The game's clock settings; times in seconds.

    kind "none": no limit. "absolute": `main_time` for the whole game. "canadian": after main
    time, `byo_yomi_stones` moves in each period of `byo_yomi_time`. "byoyomi" (Japanese):
    after main time, `byo_yomi_periods` periods of `byo_yomi_time`; a move played inside its
    period keeps the period, an overrun uses it up.
    """

    kind: TimeKind = "none"
    main_time: float = 0.0
    byo_yomi_time: float = 0.0
    byo_yomi_stones: int = 0
    byo_yomi_periods: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"time control kind must be one of {', '.join(KINDS)}, not {self.kind!r}"
            )
        set_ = object.__setattr__  # frozen: normalise the numbers once, here
        set_(self, "main_time", _seconds(self.main_time, "main time"))
        set_(self, "byo_yomi_time", _seconds(self.byo_yomi_time, "byo-yomi time"))
        set_(self, "byo_yomi_stones", _count(self.byo_yomi_stones, "byo-yomi stones"))
        set_(self, "byo_yomi_periods", _count(self.byo_yomi_periods, "byo-yomi periods"))
        if self.kind == "canadian" and (self.byo_yomi_time <= 0 or self.byo_yomi_stones <= 0):
            raise ValueError("canadian byo-yomi needs a period time > 0 and stones > 0")
        if self.kind == "byoyomi" and (self.byo_yomi_time <= 0 or self.byo_yomi_periods <= 0):
            raise ValueError("japanese byo-yomi needs a period time > 0 and periods > 0")

    @classmethod
    def from_gtp(
        cls, main_time: float | str, byo_yomi_time: float | str, byo_yomi_stones: int | str
    ) -> TimeControl:
        """GTP v2 `time_settings`: byo-yomi time 0 is absolute time; stones 0 with byo-yomi
        time > 0 means no time limit; otherwise Canadian byo-yomi."""
        main = _seconds(main_time, "main time")
        byo = _seconds(byo_yomi_time, "byo-yomi time")
        stones = _count(byo_yomi_stones, "byo-yomi stones")
        if byo == 0:
            return cls("absolute", main)
        if stones == 0:
            return cls("none")
        return cls("canadian", main, byo, byo_yomi_stones=stones)

    @classmethod
    def from_kgs(cls, args: list[str]) -> TimeControl:
        """KGS `kgs-time_settings` arguments: `none` | `absolute main` |
        `byoyomi main period_time periods` | `canadian main period_time stones`."""
        if not args:
            raise ValueError(
                "kgs-time_settings needs a time system: none, absolute, byoyomi or canadian"
            )
        system, rest = args[0].lower(), list(args[1:])
        expected = {"none": 0, "absolute": 1, "byoyomi": 3, "canadian": 3}
        if system not in expected:
            raise ValueError(f"unknown kgs-time_settings time system {args[0]!r}")
        if len(rest) != expected[system]:
            raise ValueError(
                f"kgs-time_settings {system} takes {expected[system]} arguments, got {len(rest)}"
            )
        if system == "none":
            return cls("none")
        main = _seconds(rest[0], "main time")
        if system == "absolute":
            return cls("absolute", main)
        if system == "canadian":
            return cls.from_gtp(main, rest[1], rest[2])
        period = _seconds(rest[1], "byo-yomi period time")
        periods = _count(rest[2], "byo-yomi periods")
        if period == 0 or periods == 0:
            return cls("absolute", main)
        return cls("byoyomi", main, period, byo_yomi_periods=periods)


@dataclass
class Clock:
    """One colour's clock as GTP `time_left color time stones` reports it.

    `stones` 0: `time` is main time left (or all time left under absolute time). Otherwise in
    byo-yomi: Canadian, `time` left in the period for `stones` more moves; Japanese (as KGS
    sends it), `time` left in the current period and `stones` periods left.
    """

    time: float = 0.0
    stones: int = 0

    def __post_init__(self) -> None:
        self.update(self.time, self.stones)

    def update(self, time: float | str, stones: int | str) -> None:
        """Record a `time_left` report; a negative time (a late report) counts as 0."""
        try:
            seconds = float(time)
        except (TypeError, ValueError):
            raise ValueError(f"time left must be a number of seconds, not {time!r}") from None
        if not math.isfinite(seconds):
            raise ValueError(f"time left must be finite, not {time!r}")
        self.time = max(0.0, seconds)
        self.stones = _count(stones, "stones left")


@dataclass
class TimeManager:
    """Turns the clock into seconds to think for one move.

    In main time the plan is main time left / expected own moves left, plus the per-move
    byo-yomi allowance that follows (period / stones for Canadian, one period for Japanese),
    capped at `max_fraction` of the main time left plus that allowance. The expected own moves
    left are max(`min_moves_left`, (`game_length` * N * N - move_number) / 2). In Canadian
    byo-yomi: time left / stones left; in Japanese byo-yomi: the current period. Every budget
    is then at least `min_move_time`, at most the hard limit (time that can be spent without
    losing on time or a byo-yomi period, minus `safety_margin`), and never below `min_budget`.
    """

    safety_margin: float = 0.3
    min_move_time: float = 0.1
    min_budget: float = 0.05
    max_fraction: float = 0.25
    game_length: float = 0.7
    min_moves_left: int = 15

    def moves_left(self, board_size: int, move_number: int) -> float:
        """Expected moves still to play by the side to move; move_number = moves played so far."""
        return max(float(self.min_moves_left), (self.game_length * board_size**2 - move_number) / 2)

    def budget(
        self, tc: TimeControl, clock: Clock | None, board_size: int, move_number: int
    ) -> float | None:
        """Seconds to think for this move, or None for no time limit (use the visit budget).

        `clock` is the side to move's last `time_left` report; None means the full settings
        (no report yet). `move_number` counts the moves (both colours) already played.
        """
        if tc.kind == "none":
            return None
        if clock is None:
            in_main = tc.main_time > 0 or tc.kind == "absolute"
            left = tc.main_time if in_main else tc.byo_yomi_time
            stones = 0 if in_main else max(tc.byo_yomi_stones, tc.byo_yomi_periods)
        else:
            left, stones = clock.time, clock.stones
        if tc.kind == "canadian":
            overtime = tc.byo_yomi_time / tc.byo_yomi_stones
        elif tc.kind == "byoyomi":
            overtime = tc.byo_yomi_time
        else:
            overtime, stones = 0.0, 0
        if stones == 0:
            plan = left / self.moves_left(board_size, move_number) + overtime
            plan = min(plan, self.max_fraction * left + overtime)
            hard = left + overtime
        elif tc.kind == "canadian":
            plan, hard = left / stones, left
        else:
            plan = hard = min(left, tc.byo_yomi_time)
        plan = min(max(plan - self.safety_margin, self.min_move_time), hard - self.safety_margin)
        return max(plan, self.min_budget)
