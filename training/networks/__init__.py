"""The networks shipped inside the package, one per board size, and how to find them.

Each network here was made by the project's own commands; README.md in this folder gives the
command, the training time and the validation figures of each file.

- `playing_network(board_size)`: what the network players (`go-engine gtp`'s default among
  them) use when no --model is given: on 9x9 the self-play network `rl9d`, elsewhere the SL
  one. (`rl9`, the loop's earlier network, is kept as the start of rl9d's recipe,
  `configs/rl9-search-targets.toml`.)
- `shipped_network(board_size)`: the supervised (SL) policy network of that size, the start of
  the training pipelines' "shipped" inits, what `go-engine eval policy` measures by default and
  the `alphago` player's policy network, which that player pairs with
  `shipped_value_network(board_size)`.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent

# board size -> file name in this folder: the SL networks
SHIPPED = {19: "sl19.safetensors", 9: "sl9.safetensors"}
# board size -> the network trained by the self-play loop (issue 6), which plays in place of the
# SL network where there is one
SHIPPED_PLAYING = {9: "rl9d.safetensors"}
# board size -> the value network (AlphaGo's, trained on RL-policy games) that the `alphago`
# player pairs with the shipped network of that size
SHIPPED_VALUE = {9: "value9.safetensors"}


def _installed(files: dict[int, str], board_size: int) -> Path | None:
    """This folder's file that `files` names for `board_size`, if it is installed."""
    name = files.get(board_size)
    path = FOLDER / name if name else None
    return path if path is not None and path.is_file() else None


def shipped_network(board_size: int) -> Path | None:
    """The shipped network file for `board_size`, or None when there is none."""
    return _installed(SHIPPED, board_size)


def playing_network(board_size: int) -> Path | None:
    """The network the players use for `board_size` without --model: the self-play network
    where one is shipped, else the SL network, else None."""
    return _installed(SHIPPED_PLAYING, board_size) or shipped_network(board_size)


def shipped_value_network(board_size: int) -> Path | None:
    """The shipped value network file for `board_size`, or None when there is none."""
    return _installed(SHIPPED_VALUE, board_size)


def shipped_sizes() -> list[int]:
    """Board sizes that have a shipped network installed."""
    return sorted(n for n in SHIPPED if shipped_network(n) is not None)
