"""Rules of the game as one dataclass, and the integer codes the Numba core reads them as."""

from __future__ import annotations

from dataclasses import dataclass

# Integer codes stored in the state's meta array so that compiled code can read the rules.
SCORING_AREA = 0
SCORING_TERRITORY = 1

KO_SIMPLE = 0
KO_POSITIONAL = 1
KO_SITUATIONAL = 2

_SCORING = {"area": SCORING_AREA, "territory": SCORING_TERRITORY}
_KO = {"simple": KO_SIMPLE, "positional": KO_POSITIONAL, "situational": KO_SITUATIONAL}


@dataclass(frozen=True)
class Rules:
    """Rule set of a game.

    scoring: "area" (Tromp-Taylor: stones plus empty points reaching only one colour) or
        "territory" (surrounded empty points plus prisoners, dead stones given by the caller).
    ko: "simple" (no immediate recapture of a single stone), "positional" superko (no move may
        recreate an earlier board) or "situational" superko (no move may recreate an earlier
        board with the same player to move).
    suicide: whether a move that leaves its own chain without liberties is allowed (the chain is
        then removed, as in Tromp-Taylor and New Zealand rules).
    komi: points given to White; any real number.
    """

    scoring: str = "area"
    ko: str = "positional"
    suicide: bool = False
    komi: float = 7.5

    def __post_init__(self) -> None:
        if self.scoring not in _SCORING:
            raise ValueError(
                f"unknown scoring {self.scoring!r}; expected one of {sorted(_SCORING)}"
            )
        if self.ko not in _KO:
            raise ValueError(f"unknown ko rule {self.ko!r}; expected one of {sorted(_KO)}")
        if not isinstance(self.komi, int | float) or self.komi != self.komi:
            raise ValueError(f"komi must be a real number, not {self.komi!r}")

    @property
    def scoring_code(self) -> int:
        return _SCORING[self.scoring]

    @property
    def ko_code(self) -> int:
        return _KO[self.ko]

    def with_komi(self, komi: float) -> Rules:
        """A copy of these rules with another komi."""
        return Rules(self.scoring, self.ko, self.suicide, float(komi))

    @classmethod
    def named(cls, name: str, komi: float | None = None) -> Rules:
        """Common rule sets by name: tromp-taylor, chinese, japanese, aga, nz."""
        key = name.lower().replace("_", "-")
        presets = {
            "tromp-taylor": cls("area", "positional", True, 7.5),
            "chinese": cls("area", "situational", False, 7.5),
            "japanese": cls("territory", "simple", False, 6.5),
            "korean": cls("territory", "simple", False, 6.5),
            "aga": cls("area", "situational", False, 7.5),
            "nz": cls("area", "situational", True, 7.0),
            "default": cls(),
        }
        if key not in presets:
            raise ValueError(f"unknown rule set {name!r}; expected one of {sorted(presets)}")
        rules = presets[key]
        return rules if komi is None else rules.with_komi(komi)
