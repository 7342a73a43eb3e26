"""`go-engine bench search` runs end to end and reports what BENCHMARKS.md quotes (the figures
themselves are measured by the command, not asserted here)."""

from __future__ import annotations

import argparse

from go_engine_cli.bench_search import bench_network, print_search, run_search, to_jsonable


def test_bench_search_reports_every_row(capsys) -> None:
    args = argparse.Namespace(
        size=[9],
        repeats=1,
        seconds=0.05,
        batch=4,
        blocks=1,
        channels=8,
        max_threads=2,
        no_network=True,
        no_reference=True,
        json=False,
        mercy=0.3,
    )
    result = to_jsonable(run_search(args))
    row = result["sizes"][0]
    assert row["tree"]["visits_per_s"] > 0
    assert row["tree"]["bytes_per_node"] == 47
    assert row["mcts"]["sims_per_s"] > 0 and row["mcts_random"]["rollout"] == "random"
    assert row["mcts"]["mercy"] == 0.3
    assert [s["threads"] for s in row["mcts_scaling"]] == [1, 2]
    assert row["puct_rollout"]["visits_per_s"] > 0
    print_search(result)
    assert "mcts scaling" in capsys.readouterr().out


def test_bench_network_compares_with_the_raw_rate() -> None:
    row = bench_network(9, repeats=1, seconds=0.2, batch=4, blocks=1, channels=8)
    assert row["search_visits_per_s"] > 0 and row["raw_positions_per_s"] > 0
    assert row["ratio"] == row["search_visits_per_s"] / row["raw_positions_per_s"]
    assert row["device"].split(":")[0] in ("cpu", "cuda")


def test_mercy_check_counts_what_the_rule_stops() -> None:
    from go_engine_cli.bench_rollout import mercy_check

    off, tiny, usual = mercy_check(9, 60, [0.0, 0.013, 0.3])
    # Share 0 is the rule switched off: nothing stopped, nothing saved.
    assert off["captures"] == 0 and off["stopped"] == 0 and off["moves_saved"] == 0
    assert off["winner_agrees"] is None
    # A lead of one capture stops nearly every rollout and saves more than a lead of 24.
    assert tiny["captures"] == 1 and tiny["stopped"] > 0.8
    assert tiny["moves_saved"] > usual["moves_saved"] >= 0
    assert usual["stopped"] < tiny["stopped"]
    assert 0.0 <= tiny["winner_agrees"] <= 1.0


def test_bench_player_times_each_thread_count_on_fresh_trees(tmp_path, capsys, monkeypatch) -> None:
    import pytest

    monkeypatch.setenv("GO_ENGINE_CACHE", str(tmp_path / "cache"))
    from go_engine_cli.bench_player import game_positions, print_player, run_player
    from training.checkpoint import save_checkpoint
    from training.nets import NetConfig, PolicyValueNet

    model = tmp_path / "net.safetensors"
    save_checkpoint(model, PolicyValueNet(NetConfig(board_size=7, blocks=1, channels=8)))
    states = game_positions(7, 3, seed=1)  # no 7x7 network is shipped: a random game
    assert len(states) == 3 and len({s.meta.tobytes() for s in states}) == 3
    args = argparse.Namespace(
        size=7,
        player="mixed",
        model=str(model),
        value_model=None,
        rollout=None,
        mix=0.5,
        threads=[1, 2],
        precision=["float32", "int8"],
        seconds=0.05,
        positions=3,
        repeats=2,
        seed=1,
        json=False,
    )
    result = to_jsonable(run_player(args))
    assert [(r["threads"], r["precision"]) for r in result["rows"]] == [
        (1, "float32"),
        (2, "float32"),
        (1, "int8"),
        (2, "int8"),
    ]
    assert result["rows"][0]["ratio"] == 1.0 and result["positions"] == 3
    for row in result["rows"]:
        assert len(row["runs"]) == 2 and row["sims_per_s"] > 0
        # A reused tree would count the same simulations again at thousands a second more.
        assert max(row["runs"]) < 50 * min(row["runs"])
    print_player(result)
    assert "2 thread(s)" in capsys.readouterr().out
    with pytest.raises(ValueError, match="network search"):
        run_player(argparse.Namespace(**{**vars(args), "player": "mcts"}))
