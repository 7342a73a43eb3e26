"""Live analysis for GUIs: the lz-analyze / kata-analyze / analyze family and their genmove
variants, in the line formats Sabaki and Lizzie read.

A analysis command is answered with `=` (and its id) on a line of its own, then one `info`
line per report, every `interval` centiseconds, until the next command arrives on stdin; the
response then ends with the usual blank line. The genmove variants report while thinking for
the move's budget, then print `play VERTEX` and end.

One report is a single line holding an `info` block per candidate move, most visited first:

    lz-*:     info move D4 visits 120 winrate 5234 prior 1234 lcb 5100 order 0 pv D4 E5 F6
    kata-*,   info move D4 visits 120 utility 0.0468 winrate 0.523400 scoreMean 1.2
    analyze:      scoreStdev 0 scoreLead 1.2 scoreSelfplay 1.2 prior 0.123400 lcb 0.510000
                  utilityLcb 0.02 order 0 pv D4 E5 F6

Leela Zero's format gives winrate, prior and lcb as integers in units of 1/10000; KataGo's
and the generic `analyze` give decimals. Everything is from the point of view of the player
being analysed. kata-analyze adds `ownership` and N*N values (row by row from the top left,
+1 owned by that player) at the end of the line when asked with `ownership true`. The score
lead comes from rollouts with dead stones removed (`go_engine.ownership`) and is the same for
every move of one report: the engine has no per-move score estimate without a network.

Arguments, in any order after an optional colour: a bare number (the interval),
`interval N`, `minmoves N`, `maxmoves N`, `ownership true|false`, `ownershipStdev`, `pvVisits`,
`movesOwnership` (accepted and ignored), `allow`/`avoid COLOR VERTICES UNTIL` (refused).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from go_engine.coords import action_to_gtp
from go_engine.search_result import SearchResult

STREAMING = {
    "lz-analyze": ("lz", False),
    "kata-analyze": ("kata", False),
    "analyze": ("decimal", False),
    "lz-genmove_analyze": ("lz", True),
    "kata-genmove_analyze": ("kata", True),
    "genmove_analyze": ("decimal", True),
}

_COLOURS = {"b": 1, "black": 1, "w": 2, "white": 2}
_IGNORED_FLAGS = {"ownershipstdev", "pvvisits", "movesownership", "rootinfo", "includepolicy"}


class AnalyzeArgumentError(ValueError):
    """Arguments an analysis command cannot take; the message is the GTP error."""


@dataclass
class AnalyzeRequest:
    """What an analysis command asked for."""

    color: int | None  # None: the player to move
    interval: float = 1.0  # seconds between reports
    min_moves: int = 0
    max_moves: int = 0  # 0: every visited move
    ownership: bool = False


def _number(word: str, what: str) -> float:
    try:
        value = float(word)
    except ValueError:
        raise AnalyzeArgumentError(f"{what} must be a number, not {word!r}") from None
    if not np.isfinite(value) or value < 0:
        raise AnalyzeArgumentError(f"{what} must be a non-negative number, not {word!r}")
    return value


def parse_request(args: list[str]) -> AnalyzeRequest:
    """Parse the arguments of any command in STREAMING."""
    req = AnalyzeRequest(color=None)
    words = list(args)
    if words and words[0].lower() in _COLOURS:
        req.color = _COLOURS[words.pop(0).lower()]
    i = 0
    while i < len(words):
        key = words[i].lower()
        if key in _IGNORED_FLAGS:
            i += 2 if i + 1 < len(words) and words[i + 1].lower() in ("true", "false") else 1
            continue
        if key in ("allow", "avoid"):
            raise AnalyzeArgumentError(f"{words[i]} is not supported")
        if key not in ("interval", "minmoves", "maxmoves", "ownership"):
            req.interval = _number(words[i], "interval") / 100.0
            i += 1
            continue
        if i + 1 >= len(words):
            raise AnalyzeArgumentError(f"{words[i]} needs a value")
        value = words[i + 1]
        if key == "interval":
            req.interval = _number(value, "interval") / 100.0
        elif key == "minmoves":
            req.min_moves = int(_number(value, "minmoves"))
        elif key == "maxmoves":
            req.max_moves = int(_number(value, "maxmoves"))
        else:
            if value.lower() not in ("true", "false"):
                raise AnalyzeArgumentError(f"ownership must be true or false, not {value!r}")
            req.ownership = value.lower() == "true"
        i += 2
    req.interval = max(req.interval, 0.01)
    return req


def _fmt(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if x != 0 else "0"


def format_report(
    result: SearchResult,
    size: int,
    style: str,
    req: AnalyzeRequest,
    score_lead: float = 0.0,
    ownership: np.ndarray | None = None,
) -> str:
    """One report line for `result` in the given style ("lz", "kata" or "decimal")."""
    visited = np.flatnonzero(result.visits > 0)
    order = visited[np.lexsort((-result.values[visited], -result.visits[visited]))]
    count = len(order)
    if req.max_moves:
        count = min(count, req.max_moves)
    count = max(count, min(req.min_moves, len(result.actions)))
    if count > len(order):  # minmoves: add unvisited moves by prior
        rest = np.setdiff1d(np.arange(len(result.actions)), order)
        order = np.concatenate([order, rest[np.argsort(-result.priors[rest])]])
    blocks = []
    for rank, i in enumerate(order[:count]):
        winrate = (float(result.values[i]) + 1) / 2 if result.visits[i] else 0.0
        lcb = min(max((float(result.lcb[i]) + 1) / 2, 0.0), 1.0) if result.visits[i] else 0.0
        prior = float(result.priors[i])
        line = result.pvs[i] if i < len(result.pvs) else [int(result.actions[i])]
        pv = " ".join(action_to_gtp(a, size) for a in line)
        move = action_to_gtp(int(result.actions[i]), size)
        visits = int(result.visits[i])
        if style == "lz":
            blocks.append(
                f"info move {move} visits {visits} winrate {round(winrate * 10000)} "
                f"prior {round(prior * 10000)} lcb {round(lcb * 10000)} order {rank} pv {pv}"
            )
        else:
            utility = 2 * winrate - 1
            blocks.append(
                f"info move {move} visits {visits} utility {_fmt(utility)} "
                f"winrate {_fmt(winrate)} scoreMean {_fmt(score_lead)} scoreStdev 0 "
                f"scoreLead {_fmt(score_lead)} scoreSelfplay {_fmt(score_lead)} "
                f"prior {_fmt(prior)} lcb {_fmt(lcb)} utilityLcb {_fmt(2 * lcb - 1)} "
                f"order {rank} pv {pv}"
            )
    text = " ".join(blocks)
    if ownership is not None and style == "kata":
        text += " ownership " + " ".join(_fmt(float(v)) for v in ownership)
    return text
