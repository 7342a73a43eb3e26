"""Reference measurements of other Go implementations for ``go-engine bench``.

Our own speed figures are reported as a ratio against a reference measured in
the same run on the same machine, so that numbers from different machines stay
comparable.  The references here use DeepMind's OpenSpiel (``pip install
open-spiel``), whose Go board and MCTS are written in C++:

* :func:`openspiel_random_games` plays random games on OpenSpiel's C++ board,
  driven move by move from Python, with the usual "do not fill your own eye"
  rule (the same playout policy as our engine's random games).
* :func:`openspiel_mcts_sims_per_s` times OpenSpiel's C++ MCTS bot with random
  rollouts; it is the reference for the search benchmark.

Both return ``None`` when ``pyspiel`` is not installed, so callers can simply
leave the reference out.

Reading the board from Python: ``str(state)`` (or ``observation_string()``,
which is the same text) costs about 5 us on 9x9 and 10 us on 19x19 and can be
indexed directly, while ``observation_tensor()`` costs 8 / 35 us as a Python
list (26 / 88 us once converted to numpy) and ``to_struct().board_grid`` 26 /
89 us.  The board block sits at the end of the text and has a fixed length, so
each point is read with a precomputed negative string index.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

__all__ = [
    "is_own_eye",
    "neighbour_tables",
    "openspiel_mcts_sims_per_s",
    "openspiel_random_games",
]

EMPTY, BLACK, WHITE = 0, 1, 2


@cache
def neighbour_tables(
    size: int,
) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """Orthogonal and diagonal neighbours of every point of a ``size`` x ``size`` board.

    Points are numbered ``row * size + col`` (OpenSpiel's action numbering, row 0
    being the first line).  Returns ``(orthogonal, diagonal)``, each a tuple
    indexed by point of tuples of on-board point numbers.
    """
    orth: list[tuple[int, ...]] = []
    diag: list[tuple[int, ...]] = []
    for r in range(size):
        for c in range(size):
            orth.append(
                tuple(
                    rr * size + cc
                    for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
                    if 0 <= rr < size and 0 <= cc < size
                )
            )
            diag.append(
                tuple(
                    rr * size + cc
                    for rr, cc in ((r - 1, c - 1), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c + 1))
                    if 0 <= rr < size and 0 <= cc < size
                )
            )
    return tuple(orth), tuple(diag)


def _is_eye(
    cells: Sequence,
    p: int,
    orth: Sequence[int],
    diag: Sequence[int],
    empty: object,
    own: object,
    opp: object,
) -> bool:
    """Core eye test on any indexable board (a list of ints or the state string).

    ``p``, ``orth`` and ``diag`` are indices into ``cells``; ``empty``, ``own`` and
    ``opp`` are the cell values of an empty point, a mover's stone and an
    opponent's stone.
    """
    if cells[p] != empty:
        return False
    for q in orth:
        if cells[q] != own:
            return False
    bad = 0
    for q in diag:
        if cells[q] == opp:
            bad += 1
    # An edge or corner point has fewer than 4 orthogonal neighbours and tolerates
    # no opponent diagonal; a centre point tolerates one.
    return bad == 0 if len(orth) < 4 else bad <= 1


def is_own_eye(board: np.ndarray, row: int, col: int, color: int) -> bool:
    """True if ``(row, col)`` is a single-point eye of ``color`` on ``board``.

    ``board`` is a square 2-D array with 0 empty, 1 black, 2 white; ``color`` is
    1 or 2.  The point must be empty, its orthogonal neighbours must all be
    ``color`` stones (or the edge), and at most one diagonal may hold an opponent
    stone -- none if the point is on the edge.
    """
    size = board.shape[0]
    p = row * size + col
    orth, diag = neighbour_tables(size)
    cells = np.asarray(board).ravel().tolist()
    return _is_eye(cells, p, orth[p], diag[p], EMPTY, color, 3 - color)


def _string_offsets(state_str: str, size: int) -> list[int]:
    """Negative index into ``str(state)`` of each point (action number) of the board.

    The text ends with ``size`` board lines (top line first, e.g. `` 9 +++++++++``)
    followed by a column-letter line; the header before them varies in length,
    so indices are counted from the end.
    """
    lines = state_str.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    board_lines = lines[-1 - size : -1]
    line_starts = []
    pos = 0
    for line in lines:
        line_starts.append(pos)
        pos += len(line) + 1
    total = len(state_str)
    first = len(lines) - 1 - size
    offsets = [0] * (size * size)
    for i, line in enumerate(board_lines):
        row = size - 1 - i  # the top line is the last row
        col0 = len(line) - size
        for c in range(size):
            offsets[row * size + c] = line_starts[first + i] + col0 + c - total
    return offsets


def _load_go(pyspiel: Any, size: int, komi: float) -> Any:
    # max_game_length defaults to 2*size*size in OpenSpiel; raise it to our cap so
    # the 3*size*size move limit below is the one that applies.
    return pyspiel.load_game(
        "go", {"board_size": size, "komi": float(komi), "max_game_length": 3 * size * size}
    )


def _string_tables(game: Any, size: int) -> tuple[list[int], tuple, tuple]:
    """Eye-test tables in state-string coordinates, checked on a scratch state."""
    state = game.new_initial_state()
    offs = _string_offsets(str(state), size)
    orth, diag = neighbour_tables(size)
    s_orth = tuple(tuple(offs[q] for q in orth[p]) for p in range(size * size))
    s_diag = tuple(tuple(offs[q] for q in diag[p]) for p in range(size * size))
    # Self-check of the layout: black at the first point, white at the last one.
    last = size * size - 1
    state.apply_action(0)
    state.apply_action(last)
    text = str(state)
    expected = ["X"] + ["+"] * (last - 1) + ["O"]
    if [text[o] for o in offs] != expected:
        raise RuntimeError("unexpected OpenSpiel Go state string layout")
    return offs, s_orth, s_diag


def openspiel_random_games(
    size: int = 9, seconds: float = 3.0, seed: int = 0, komi: float = 7.5
) -> dict | None:
    """Random games per second on OpenSpiel's C++ Go board, driven from Python.

    Each move is chosen uniformly among the legal moves that do not fill the
    mover's own single-point eye (rejection sampling: draw a legal move, drop it
    if it is an eye, draw again); the mover passes only when no such move is
    left, and OpenSpiel ends the game after two passes.  Games are capped at
    ``3 * size * size`` moves.  Plays for about ``seconds`` (at least one game).

    Returns ``None`` if ``pyspiel`` is missing, else a dict with ``impl``,
    ``size``, ``games``, ``seconds``, ``games_per_s`` and ``moves_per_s``.
    """
    try:
        import pyspiel
    except ImportError:
        return None

    game = _load_go(pyspiel, size, komi)
    offs, s_orth, s_diag = _string_tables(game, size)
    pass_action = size * size
    cap = 3 * size * size
    stones = ("X", "O")  # player 0 is black
    rng = random.Random(seed)
    randrange = rng.randrange

    games = moves = 0
    t0 = time.perf_counter()
    while True:
        state = game.new_initial_state()
        apply_action = state.apply_action
        legal_actions = state.legal_actions
        current_player = state.current_player
        is_terminal = state.is_terminal
        n_moves = 0
        while n_moves < cap and not is_terminal():
            player = current_player()
            own = stones[player]
            opp = stones[1 - player]
            cand = legal_actions()
            if cand and cand[-1] == pass_action:
                cand.pop()
            text = str(state)
            move = pass_action
            n = len(cand)
            while n:
                i = randrange(n)
                a = cand[i]
                if _is_eye(text, offs[a], s_orth[a], s_diag[a], "+", own, opp):
                    n -= 1
                    cand[i] = cand[n]
                else:
                    move = a
                    break
            apply_action(move)
            n_moves += 1
        games += 1
        moves += n_moves
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            break

    return {
        "impl": f"open_spiel {_version(pyspiel)} (C++ board driven from Python)",
        "size": size,
        "games": games,
        "seconds": elapsed,
        "games_per_s": games / elapsed,
        "moves_per_s": moves / elapsed,
    }


def openspiel_mcts_sims_per_s(
    size: int = 9, seconds: float = 3.0, seed: int = 0, max_simulations: int = 1000
) -> dict | None:
    """MCTS simulations per second of OpenSpiel's C++ ``MCTSBot``.

    The bot uses UCT (``uct_c=2``) with a one-rollout ``RandomRolloutEvaluator``
    (OpenSpiel's rollouts are uniform over all legal moves, pass and own eyes
    included) and ``max_simulations`` simulations per move; ``bot.step`` is timed
    from the empty board repeatedly for about ``seconds`` (at least once).

    Returns ``None`` if ``pyspiel`` is missing, else a dict with ``impl``,
    ``size``, ``steps``, ``simulations``, ``seconds`` and ``sims_per_s``.
    """
    try:
        import pyspiel
    except ImportError:
        return None

    game = pyspiel.load_game("go", {"board_size": size, "komi": 7.5})
    evaluator = pyspiel.RandomRolloutEvaluator(1, seed)
    bot = pyspiel.MCTSBot(game, evaluator, 2.0, max_simulations, 1000, False, seed, False)
    state = game.new_initial_state()
    steps = 0
    t0 = time.perf_counter()
    while True:
        bot.step(state)
        steps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            break
    sims = steps * max_simulations
    return {
        "impl": f"open_spiel {_version(pyspiel)} C++ MCTSBot (uct_c=2, random rollouts)",
        "size": size,
        "steps": steps,
        "simulations": sims,
        "seconds": elapsed,
        "sims_per_s": sims / elapsed,
    }


def _version(pyspiel: Any) -> str:
    v = getattr(pyspiel, "__version__", None)
    if v:
        return str(v)
    try:
        from importlib.metadata import version

        return version("open_spiel")
    except Exception:
        return "unknown"
