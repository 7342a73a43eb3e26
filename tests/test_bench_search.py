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
