"""Scores as GTP writes them ("B+3.5", "W+0.5", "0"), both ways: `final_score` answers."""

from __future__ import annotations


def format_score(score: float) -> str:
    """GTP score text of a Black-minus-White score."""
    if score == 0:
        return "0"
    return f"B+{score:g}" if score > 0 else f"W+{-score:g}"


def parse_score(text: str) -> float:
    """A `final_score` answer ("B+3.5", "W+12.5", "0") as Black minus White."""
    t = text.strip().upper()
    if t in ("0", "0.0"):
        return 0.0
    if t.startswith("B+"):
        return float(t[2:])
    if t.startswith("W+"):
        return -float(t[2:])
    raise ValueError(f"unexpected final_score answer {text!r}")
