"""The train/validation split of game collections: by game, fixed by the game's name.

Every trainer and every evaluation in the project uses this one rule, so "held-out games" means
the same games everywhere (policy networks, the rollout policy, the baselines of issue 8). A
game is in the validation set when the CRC-32 of its name (the archive member name, or the file
path as given) falls below `fraction` of the 32-bit range. The rule needs no list on disk, does
not depend on the order games are read in, and is nested: the validation games at 2% are also
validation games at 10%.
"""

from __future__ import annotations

import zlib

# Held-out share per board size: 9x9 collections are small, so they keep a larger share.
DEFAULT_FRACTION = {9: 0.10, 19: 0.02}


def default_fraction(board_size: int) -> float:
    """The validation share used for a board size unless a command says otherwise."""
    return DEFAULT_FRACTION.get(board_size, 0.05)


def game_bucket(name: str) -> float:
    """Where a game falls in [0, 1): the CRC-32 of its name, scaled."""
    return zlib.crc32(name.encode("utf-8")) / 2**32


def is_validation(name: str, fraction: float) -> bool:
    """True when the game called `name` is held out at this validation share."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation fraction must be in [0, 1), not {fraction}")
    return game_bucket(name) < fraction
