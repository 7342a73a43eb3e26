"""go_engine: the game core of go-engine.

A Numba-compiled Go board (rules, ko and superko, scoring, Zobrist hashing, feature planes, fast
playouts), coordinate and SGF conversions, and a gymnasium environment. Nothing here imports
torch: the search (a later layer) talks to networks through an evaluator interface.
"""

from go_engine.game import Game, IllegalMoveError  # noqa: E402
from go_engine.rules import Rules

__all__ = ["Game", "IllegalMoveError", "Rules", "__version__"]
__version__ = "0.1.0"
