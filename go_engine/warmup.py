"""Compile (or load from numba's cache) every kernel the engine uses, in one call.

A GUI starts the engine and waits, so `go-engine warmup` compiles once after installation;
later starts only load the cache. The benchmark also times this step cold.
"""

from __future__ import annotations

from go_engine import board as core
from go_engine import features, playout, scoring
from go_engine.game import Game
from go_engine.rng import make_rng


def warmup(size: int = 9) -> None:
    """Run each compiled entry point once on a small game."""
    g = Game(size)
    g.place_setup(0, 1)
    g.play(size + 1)
    g.play(g.pass_action)
    g.legal_moves()
    g.area_score()
    g.territory_score()
    core.is_eye(g.state, 1, 1)
    core.liberty_map(g.state)
    core.chain_liberties(g.state, 0)
    core.compute_hash(g.state)
    scoring.ownership(g.state, g._dead(None))
    rng = make_rng(0)
    playout.playout(g.state, rng, playout.default_max_moves(size))
    playout.run_playouts(g.state, 1, rng, playout.default_max_moves(size))
    work = core.copy_state(g.state)
    core.play_fast(work, 2, 1)
    features.agz_planes(g.state)
    features.extended_planes(g.state)
