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
    )
    result = to_jsonable(run_search(args))
    row = result["sizes"][0]
    assert row["tree"]["visits_per_s"] > 0
    assert row["tree"]["bytes_per_node"] == 47
    assert row["mcts"]["sims_per_s"] > 0 and row["mcts_random"]["rollout"] == "random"
    assert [s["threads"] for s in row["mcts_scaling"]] == [1, 2]
    assert row["puct_rollout"]["visits_per_s"] > 0
    print_search(result)
    assert "mcts scaling" in capsys.readouterr().out


def test_bench_network_compares_with_the_raw_rate() -> None:
    row = bench_network(9, repeats=1, seconds=0.2, batch=4, blocks=1, channels=8)
    assert row["search_visits_per_s"] > 0 and row["raw_positions_per_s"] > 0
    assert row["ratio"] == row["search_visits_per_s"] / row["raw_positions_per_s"]
    assert row["device"].split(":")[0] in ("cpu", "cuda")
