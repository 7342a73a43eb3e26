"""Compile (or load from numba's cache) every kernel the engine uses, in one call.

A GUI starts the engine and waits, so `go-engine warmup` compiles once after installation;
later starts only load the cache. The benchmark also times this step cold.
"""

from __future__ import annotations

from go_engine import board as core
from go_engine import features, playout, scoring
from go_engine.evaluator import RolloutEvaluator, UniformEvaluator
from go_engine.game import Game
from go_engine.mcts import MCTS, MCTSConfig
from go_engine.ownership import mc_ownership
from go_engine.rng import make_rng
from go_engine.search import Search, SearchConfig


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
    # The searches: pure MCTS, PUCT without a network, with a network's planes, and rollouts.
    MCTS(size, MCTSConfig(max_nodes=20_000)).run(g.state, visits=20)
    Search(RolloutEvaluator(), size, SearchConfig(max_nodes=20_000)).run(g.state, visits=20)
    for feats in ("agz", "extended"):
        ev = UniformEvaluator(features=feats)
        Search(ev, size, SearchConfig(max_nodes=20_000)).run(g.state, visits=20)
    mc_ownership(g.state, playouts=2)
