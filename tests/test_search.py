"""The searches: PUCT (go_engine.search) and pure MCTS with RAVE (go_engine.mcts).

Tactics: where exactly one move captures or saves a big group, both engines find it. Book-
keeping: visit counts add up over the tree, every virtual loss is taken off, the same seed
gives the same search, values keep the right sign from the root down, batches from several
trees share evaluator calls, the evaluation cache is hit, trees are reused, and the move choice
guards (LCB, resignation, passing) behave.
"""

from __future__ import annotations

import numpy as np
import pytest

from go_engine import Game
from go_engine.board import copy_state, play
from go_engine.evaluator import (
    MixedEvaluator,
    RolloutEvaluator,
    SymmetryEvaluator,
    UniformEvaluator,
    inverse_transform_planes,
    transform_planes,
)
from go_engine.features import agz_planes
from go_engine.mcts import MCTS, MCTSConfig
from go_engine.ownership import mc_ownership
from go_engine.rollout_policy import N_WEIGHTS, RolloutPolicy
from go_engine.search import Search, SearchConfig, run_many
from go_engine.search_result import RESIGN, MoveChoice, SearchResult, choose_move
from go_engine.state import M_TO_PLAY, new_state
from go_engine.tree import EXPANDED, LEAF, PENDING, T_USED
from tests.positions import setup

# Black to play: 'a' captures eight white stones.
CAPTURE = """
. . . . . . . . .
. . . . . . . . .
. . X X X X . . .
. X O O O O X . .
. X O O O O a . .
. . X X X X . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""

# White to play: six white stones are in atari; extending at 'a' gives them three liberties.
SAVE = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
X X X X X X . . .
O O O O O O a . .
X X X X X X . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""


class ConstantNet:
    """A fake network: fixed value, priors from a fixed vector; counts its calls."""

    features = "agz"
    network = True
    rollout_weight = 0.0
    rollout_policy = RolloutPolicy()

    def __init__(self, value: float = 0.0) -> None:
        self.value = value
        self.calls: list[int] = []

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls.append(planes.shape[0])
        b, n = planes.shape[0], planes.shape[-1]
        priors = np.ones((b, n * n + 1), np.float32)
        return priors / priors.sum(1, keepdims=True), np.full(b, self.value, np.float32)


def _best(result: SearchResult) -> int:
    return int(result.actions[result.best_index])


def _check_tree(tree, pending_ok: bool = False) -> None:
    """Every expanded node's visits are one (its own evaluation) plus its children's."""
    used = int(tree.meta[T_USED])
    for node in range(used):
        if tree.status[node] != EXPANDED:
            continue
        f, k = int(tree.first[node]), int(tree.nchild[node])
        assert tree.visits[node] == 1 + tree.visits[f : f + k].sum()
    assert (tree.vloss[:used] == 0).all()


@pytest.mark.parametrize("text, colour", [(CAPTURE, "b"), (SAVE, "w")])
def test_mcts_finds_the_capture_and_the_save(text: str, colour: str) -> None:
    pos = setup(text, colour)
    result = MCTS(9, MCTSConfig(seed=1)).run(pos.game.state, visits=3000)
    assert _best(result) == pos.marks["a"]


@pytest.mark.parametrize("text, colour", [(CAPTURE, "b"), (SAVE, "w")])
def test_puct_with_rollouts_finds_the_capture_and_the_save(text: str, colour: str) -> None:
    pos = setup(text, colour)
    # Uniform priors (1/82 each) need more exploration than a network's priors.
    search = Search(RolloutEvaluator(), 9, SearchConfig(seed=1, c_init=2.0))
    result = search.run(pos.game.state, visits=4000)
    assert _best(result) == pos.marks["a"]


def test_puct_visits_add_up_and_virtual_losses_are_taken_off() -> None:
    net = ConstantNet(0.1)
    search = Search(net, 9, SearchConfig(batch_size=16, cache_entries=0))
    result = search.run(new_state(9), visits=600)
    _check_tree(search.tree)
    assert result.root_visits == 600
    assert result.visits.sum() == 599  # the first visit expanded the root
    assert max(net.calls) > 1  # leaves really were batched
    assert sum(net.calls) == 600  # one evaluation per simulation without a cache


def test_rave_visits_add_up() -> None:
    engine = MCTS(9, MCTSConfig(seed=3, expand_visits=4))
    result = engine.run(new_state(9), visits=2000)
    tree = engine.workers[0].tree
    assert result.root_visits == 2000 == result.visits.sum()
    for node in range(1, int(tree.meta[T_USED])):
        if tree.status[node] == EXPANDED:
            f, k = int(tree.first[node]), int(tree.nchild[node])
            # A node is expanded on its fourth visit, which also plays a rollout from it.
            assert tree.visits[node] == 4 + tree.visits[f : f + k].sum()


@pytest.mark.parametrize("explore", [0.0, 0.3])
def test_rave_cached_scores_equal_recomputed_ones(explore: float) -> None:
    """`tree.score` (kept up to date on every backup) equals the RAVE blend recomputed from the
    node's statistics, also after the tree was kept across a move."""
    engine = MCTS(9, MCTSConfig(seed=5, explore=explore))
    st = new_state(9)
    result = engine.run(st, visits=1500)
    play(st, int(result.actions[int(np.argmax(result.visits))]), int(st.meta[M_TO_PLAY]))
    engine.run(st, visits=1500)
    tree = engine.workers[0].tree
    used = int(tree.meta[T_USED])
    cfg = engine.config
    n = tree.visits[1:used].astype(np.float64)
    q = (tree.wsum[1:used] + cfg.prior_visits * tree.prior[1:used]) / (n + cfg.prior_visits)
    na = tree.amaf_n[1:used].astype(np.float64)
    beta = na / np.maximum(n + na + n * na / cfg.equivalence, 1e-300)
    amaf_q = tree.amaf_w[1:used] / np.maximum(na, 1.0)
    expected = np.where(na > 0, (1.0 - beta) * q + beta * amaf_q, q)
    assert used > 1000
    np.testing.assert_allclose(tree.score[1:used], expected, rtol=1e-12, atol=1e-12)


def test_same_seed_same_search() -> None:
    def run_mcts() -> np.ndarray:
        return MCTS(9, MCTSConfig(seed=5)).run(new_state(9), visits=1500).visits

    def run_puct() -> np.ndarray:
        s = Search(RolloutEvaluator(), 9, SearchConfig(seed=5))
        return s.run(new_state(9), visits=800, noise=True).visits

    assert np.array_equal(run_mcts(), run_mcts())
    assert np.array_equal(run_puct(), run_puct())
    other = MCTS(9, MCTSConfig(seed=6)).run(new_state(9), visits=1500).visits
    assert not np.array_equal(run_mcts(), other)


@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_values_keep_their_sign(lam: float) -> None:
    """A net that says "the player to move is winning (0.6)": a root child seen once is worth
    -0.6 to the root player when lambda = 0; with lambda = 1 it is worth its rollout's result."""
    net = ConstantNet(0.6)
    search = Search(MixedEvaluator(net, lam), 9, SearchConfig(cache_entries=0))
    result = search.run(new_state(9), visits=300)
    once = result.visits == 1
    assert once.any()
    if lam == 0.0:
        assert np.allclose(result.values[once], -0.6, atol=1e-6)
    else:
        assert set(np.round(result.values[once], 6)) <= {-1.0, 1.0}
    _check_tree(search.tree)


def test_run_many_shares_evaluator_calls() -> None:
    net = ConstantNet(0.0)
    searches = [Search(net, 9, SearchConfig(batch_size=8, cache_entries=0)) for _ in range(3)]
    states = [new_state(9) for _ in range(3)]
    results = run_many(searches, states, visits=200)
    assert [r.root_visits for r in results] == [200, 200, 200]
    assert max(net.calls) > 8  # a call carried leaves from more than one tree
    for s in searches:
        _check_tree(s.tree)


def test_evaluation_cache_is_used() -> None:
    net = ConstantNet(0.0)
    search = Search(net, 9, SearchConfig(cache_entries=4096, reuse_tree=False))
    search.run(new_state(9), visits=300)
    calls = sum(net.calls)
    result = search.run(new_state(9), visits=300)  # the same positions again
    assert result.extra["cache_hits"] > 100
    assert sum(net.calls) - calls < calls


def test_tree_is_reused_after_moves() -> None:
    game = Game(9)
    search = Search(RolloutEvaluator(), 9, SearchConfig(seed=2))
    first = search.run(game.state, visits=2000)
    move = _best(first)
    reply = int(first.pv[1]) if len(first.pv) > 1 else game.pass_action
    game.play(move)
    game.play(reply)
    before = search.run(game.state, visits=1).root_visits
    assert before > 2  # the subtree kept its visits
    _check_tree(search.tree)
    engine = MCTS(9, MCTSConfig(seed=2))
    first = engine.run(Game(9).state, visits=2000)
    g = Game(9)
    g.play(_best(first))
    assert engine.run(g.state, visits=1).root_visits > 2


def test_dirichlet_noise_changes_root_priors() -> None:
    search = Search(ConstantNet(), 9, SearchConfig(seed=4))
    result = search.run(new_state(9), visits=50, noise=True)
    assert abs(result.priors.sum() - 1.0) < 1e-5
    assert result.priors.std() > 1e-3  # no longer uniform


def test_small_tree_capacity_is_respected() -> None:
    search = Search(RolloutEvaluator(), 9, SearchConfig(max_nodes=1000))
    result = search.run(new_state(9), visits=3000)
    assert search.nodes_used <= 1000
    assert result.root_visits == 3000
    assert search.bytes_per_node > 20


@pytest.mark.parametrize("threads", [1, 2])
def test_network_search_stops_when_the_tree_is_full(threads: int) -> None:
    # 2 leaves a batch, each expansion 82 nodes: about six batches fit in 1,000 nodes. A
    # search that went on would turn leaves into LEAF nodes and count their one evaluation
    # again on every visit (a 9x9 search at 1 s a move filled 500,000 nodes that way).
    net = ConstantNet(0.2)
    config = SearchConfig(max_nodes=1000, batch_size=2, threads=threads, cache_entries=0)
    search = Search(net, 9, config)
    result = search.run(new_state(9), visits=10_000)
    used = search.nodes_used
    assert used <= 1000 and result.extra["tree_full"]
    assert 0 < result.simulations < 20 and result.simulations == sum(net.calls)
    assert not (search.tree.status[:used] == LEAF).any()
    _check_tree(search.tree)
    # with room to spare the flag stays down
    roomy = Search(ConstantNet(0.2), 9, SearchConfig(max_nodes=100_000, threads=threads))
    assert not roomy.run(new_state(9), visits=50).extra["tree_full"]


class LineNet(ConstantNet):
    """Nearly all the prior on the first empty point, so a search goes down one line."""

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        priors, values = super().evaluate(planes)
        empty = (planes[:, 0] + planes[:, 8]).reshape(len(planes), -1) == 0
        first = empty.argmax(1)
        priors[:] = 0.01 / priors.shape[1]
        priors[np.arange(len(planes)), first] += 0.99
        return priors, values


def test_network_search_drops_a_kept_subtree_that_fills_half_the_tree() -> None:
    def kept_visits(max_nodes: int) -> int:
        search = Search(LineNet(), 9, SearchConfig(max_nodes=max_nodes, batch_size=1))
        game = Game(9)
        first = search.run(game.state, visits=30)  # about 30 expansions of 82 nodes
        game.play(_best(first))
        return search.run(game.state, visits=1).root_visits

    assert kept_visits(100_000) > 20  # the line below the move played is kept
    # In a tree of 4,000 nodes that line holds over half of them: the next search starts
    # afresh rather than with a tree too full to think in.
    assert kept_visits(4_000) == 1


def test_time_budget_is_kept() -> None:
    engine = MCTS(9)
    engine.run(new_state(9), visits=10)
    result = engine.run(new_state(9), seconds=0.3)
    assert 0.25 < result.seconds < 0.6
    assert result.simulations > 100


def test_root_parallel_threads_merge() -> None:
    engine = MCTS(9, MCTSConfig(threads=2, seed=1))
    result = engine.run(new_state(9), visits=2000)
    assert result.root_visits == 2000 == result.visits.sum()
    assert result.extra["threads"] == 2
    engine.close()


def _result(visits, values, lcb) -> SearchResult:
    k = len(visits)
    return SearchResult(
        actions=np.arange(k),
        visits=np.array(visits),
        values=np.array(values, float),
        priors=np.full(k, 1.0 / k),
        lcb=np.array(lcb, float),
        root_visits=int(sum(visits)) + 1,
        root_value=0.0,
        simulations=int(sum(visits)),
        seconds=0.0,
    )


def test_move_choice_lcb_resign_and_pass_guards() -> None:
    rng = np.random.default_rng(0)
    choice = MoveChoice()
    # Most visits on 0, but 1 has a clearly better lower bound with a fair share of visits.
    r = _result([100, 60, 3], [0.1, 0.4, 0.9], [0.0, 0.3, -0.5])
    assert choose_move(r, choice, 40, rng, pass_action=2) == 1
    no_lcb = MoveChoice(lcb=False)
    assert choose_move(r, no_lcb, 40, rng, pass_action=2) == 0
    lost = _result([100, 60], [-0.99, -0.995], [-1.0, -1.0])
    assert choose_move(lost, choice, 40, rng, pass_action=1) == RESIGN
    assert choose_move(lost, choice, 5, rng, pass_action=1) != RESIGN  # too early
    # The search likes passing (action 2), the opponent passed, and passing would lose.
    p = _result([10, 20, 100], [0.0, 0.1, 0.2], [-0.1, 0.0, 0.1])
    assert choose_move(p, choice, 50, rng, 2, opponent_passed=True, pass_wins=False) == 1
    assert choose_move(p, choice, 50, rng, 2, opponent_passed=True, pass_wins=True) == 2
    # Temperature: early moves are sampled in proportion to visits.
    early = MoveChoice(temperature_moves=10)
    picks = {choose_move(r, early, 0, rng, pass_action=2) for _ in range(200)}
    assert picks >= {0, 1}


def test_short_searches_trust_the_prior_over_a_few_visits_values() -> None:
    rng = np.random.default_rng(0)
    # Equal visits: the higher prior wins even though a two-visit value looks better.
    r = _result([3, 3, 3], [0.2, 0.6, 0.3], [0.0, 0.3, 0.1])
    r.priors[:] = [0.2, 0.1, 0.7]
    assert r.best_index == 2
    # Too few visits for the lower bound to mean anything: it is not consulted.
    assert choose_move(r, MoveChoice(), 40, rng, pass_action=3) == 2
    # With enough visits it is.
    big = _result([100, 60, 30], [0.1, 0.4, 0.0], [0.0, 0.3, -0.2])
    assert choose_move(big, MoveChoice(), 40, rng, pass_action=3) == 1


class EquivariantNet:
    """Priors follow the first plane, so rotating the input rotates the output."""

    features = "agz"
    network = True
    rollout_weight = 0.0
    rollout_policy = RolloutPolicy()

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b, n = planes.shape[0], planes.shape[-1]
        pri = np.concatenate([planes[:, 0].reshape(b, -1) + 0.01, np.ones((b, 1))], axis=1)
        weights = np.linspace(1, 2, n * n).reshape(n, n)  # not symmetric: values differ
        v = (planes[:, 0] * weights).sum((1, 2)) / 100
        return pri.astype(np.float32), v.astype(np.float32)


@pytest.mark.parametrize("sym", range(8))
def test_symmetries_invert(sym: int) -> None:
    x = np.arange(2 * 25, dtype=np.float32).reshape(2, 5, 5)
    assert np.array_equal(inverse_transform_planes(transform_planes(x, sym), sym), x)


def test_symmetry_evaluator_maps_policies_back() -> None:
    g = Game(9)
    for v in (3, 12, 40, 77):
        g.play(v)
    planes = agz_planes(g.state)[None]
    direct, _ = EquivariantNet().evaluate(planes)
    for mode in ("random", "average"):
        sym, _ = SymmetryEvaluator(EquivariantNet(), mode, seed=1).evaluate(planes)
        assert np.allclose(sym, direct)


def test_rollout_policy_weights_and_files(tmp_path) -> None:
    uniform = RolloutPolicy.uniform()
    assert uniform.weights.shape == (N_WEIGHTS,)
    search = Search(RolloutEvaluator(uniform), 9, SearchConfig(seed=1))
    assert search.run(new_state(9), visits=200).root_visits == 200
    path = tmp_path / "rollout.npz"
    w = np.random.default_rng(0).normal(size=N_WEIGHTS).astype(np.float32)
    RolloutPolicy("weights", w).save(path)
    assert np.array_equal(RolloutPolicy.load(path).weights, w)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a policy")
    with pytest.raises(ValueError, match="bad.npz"):
        RolloutPolicy.load(bad)
    with pytest.raises(ValueError):
        RolloutPolicy("weights", np.zeros(3))


def test_every_rollout_policy_gives_the_search_kernels_one_argument_type() -> None:
    """`go-engine warmup` compiles the PUCT kernel for one weights type; a policy whose array
    had another (a writable one) would compile it again at a player's first move."""
    import numba

    policies = [RolloutPolicy.named(m) for m in ("random", "light", "weights")]
    w = np.ones(N_WEIGHTS, np.float32)
    policies += [RolloutPolicy.uniform(), RolloutPolicy("weights", w)]
    assert len({str(numba.typeof(p.weights)) for p in policies}) == 1
    assert w.flags.writeable  # the caller's own array is left as it was
    w[0] = 2.0
    assert policies[-1].weights[0] == 1.0


def test_rollout_searches_refuse_the_weights_policy_by_name() -> None:
    # Pure MCTS and Monte Carlo ownership play light or random rollouts only (their kernels do
    # not carry the weights rollout); asking for it is a clear error, not a silent random one.
    with pytest.raises(ValueError, match="light or random"):
        MCTSConfig(rollout="weights")
    with pytest.raises(ValueError, match="random or light"):
        mc_ownership(new_state(9), playouts=1, mode="weights")


def test_terminal_root_returns_no_children() -> None:
    g = Game(9)
    g.play(g.pass_action)
    g.play(g.pass_action)
    result = Search(UniformEvaluator(), 9).run(copy_state(g.state), visits=20)
    assert len(result.actions) == 0


class SlowNet(ConstantNet):
    """A ConstantNet that takes a few milliseconds a call and records, from inside each call,
    its thread and how many leaves of its search's tree are waiting for an evaluation."""

    def __init__(self, value: float = 0.0, fail_after: int = -1) -> None:
        super().__init__(value)
        self.search: Search | None = None
        self.threads: set[int] = set()
        self.pending: list[int] = []
        self.fail_after = fail_after

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import threading
        import time

        if len(self.calls) == self.fail_after:
            raise RuntimeError("the network fell over")
        self.threads.add(threading.get_ident())
        time.sleep(0.003)
        assert self.search is not None
        used = int(self.search.tree.meta[T_USED])
        self.pending.append(int((self.search.tree.status[:used] == PENDING).sum()))
        return super().evaluate(planes)


def _slow_search(net: SlowNet, threads: int, **kw) -> Search:
    search = Search(net, 9, SearchConfig(batch_size=4, cache_entries=0, threads=threads, **kw))
    net.search = search
    return search


def test_two_threads_evaluate_one_batch_while_collecting_the_next() -> None:
    import threading

    net = SlowNet(0.1)
    search = _slow_search(net, threads=2)
    result = search.run(new_state(9), visits=400)
    assert result.root_visits == 400
    assert sum(net.calls) == 400  # every simulation evaluated once, none lost or repeated
    _check_tree(search.tree)  # visits add up, no virtual loss left
    assert threading.get_ident() not in net.threads  # the network ran in the other thread
    # While the network worked on one batch, the next one was collected beside it.
    assert max(net.pending) > 4
    one = SlowNet(0.1)
    _slow_search(one, threads=1).run(new_state(9), visits=400)
    assert max(one.pending) <= 4 and threading.get_ident() in one.threads


def test_two_thread_search_with_rollouts_finds_the_capture_and_repeats_itself() -> None:
    """The overlapped search collects the same leaves whatever the network's timing (each
    round waits for the last batch), so a seed fixes it; and it reads tactics as well."""
    pos = setup(CAPTURE, "b")

    def run() -> SearchResult:
        net = ConstantNet(0.0)  # uniform priors: the rollouts must find the capture
        cfg = SearchConfig(seed=1, c_init=2.0, threads=2)
        return Search(MixedEvaluator(net, 1.0), 9, cfg).run(pos.game.state, visits=8000)

    first = run()
    assert _best(first) == pos.marks["a"]
    assert np.array_equal(first.visits, run().visits)


def test_two_thread_search_keeps_time_and_survives_a_failing_network() -> None:
    net = SlowNet(0.0)
    search = _slow_search(net, threads=2)
    search.run(new_state(9), visits=8)
    result = search.run(new_state(9), seconds=0.3)
    assert 0.25 < result.seconds < 0.6
    _check_tree(search.tree)
    bad = SlowNet(0.0, fail_after=5)
    search = _slow_search(bad, threads=2, reuse_tree=False)
    with pytest.raises(RuntimeError, match="fell over"):
        search.run(new_state(9), visits=200)
    used = int(search.tree.meta[T_USED])
    assert not (search.tree.status[:used] == PENDING).any()  # both batches given up
    _check_tree(search.tree)
    bad.fail_after = -1
    assert search.run(new_state(9), visits=50).root_visits == 50  # and it searches again


def test_two_thread_search_of_a_terminal_root_returns() -> None:
    g = Game(9)
    g.play(g.pass_action)
    g.play(g.pass_action)
    search = Search(ConstantNet(), 9, SearchConfig(threads=2))
    result = search.run(copy_state(g.state), seconds=5.0)
    assert len(result.actions) == 0 and result.seconds < 1.0
    with pytest.raises(ValueError, match="threads"):
        SearchConfig(threads=3)
