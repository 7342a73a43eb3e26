"""`go-engine bench search`: search speed on 9x9 and 19x19, with references from the same run.

Rows per board size (all from the empty board, medians of `repeats` timed runs after warm-up):

- tree: PUCT with the uniform evaluator entirely in compiled code, the cost of the tree alone
  (visits/s), and the memory of one node;
- mcts: the pure MCTS engine (UCT-RAVE, light rollouts) on one core, and with 1..all threads
  (root parallelism) for the scaling;
- puct-rollout: PUCT with one light rollout per leaf;
- network: PUCT with a small ResNet (`training.nets`) through `TorchEvaluator` at batch B,
  against that evaluator's raw throughput at the same batch size (the target is 0.9 of it);
- reference: OpenSpiel's C++ MCTSBot with one random rollout per simulation.
"""

from __future__ import annotations

import argparse
import os
import statistics

import numpy as np


def add_arguments(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("search", help="search visits per second (tree, rollouts, network)")
    s.add_argument("--size", type=int, action="append", help="board size (repeatable; 9, 19)")
    s.add_argument("--repeats", type=int, default=5, help="timed repeats (median reported)")
    s.add_argument("--seconds", type=float, default=1.0, help="length of one repeat")
    s.add_argument("--batch", type=int, default=16, help="leaves per network call")
    s.add_argument("--blocks", type=int, default=6, help="residual blocks of the network")
    s.add_argument("--channels", type=int, default=64, help="channels of the network")
    s.add_argument("--max-threads", type=int, default=0, help="threads for scaling (0: cores)")
    s.add_argument("--no-network", action="store_true", help="skip the network rows")
    s.add_argument("--no-reference", action="store_true", help="skip OpenSpiel's MCTS")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.add_argument(
        "--mercy", type=float, default=0.3, help="pure MCTS: the rollouts' mercy rule (0: off)"
    )


def _median_rate(run, repeats: int) -> tuple[float, list[float]]:
    rates = [run() for _ in range(repeats)]
    return statistics.median(rates), rates


def bench_tree(size: int, repeats: int) -> dict:
    """Uniform-evaluator PUCT: every visit expands a node, so the tree is sized to hold a run."""
    from go_engine.evaluator import UniformEvaluator
    from go_engine.search import Search, SearchConfig
    from go_engine.state import new_state

    nodes = 2_000_000
    visits = int(nodes / (size * size + 1) * 0.9)
    search = Search(UniformEvaluator(), size, SearchConfig(max_nodes=nodes, reuse_tree=False))
    st = new_state(size)
    search.run(st, visits=50)

    def once() -> float:
        r = search.run(st, visits=visits)
        return r.simulations / r.seconds

    rate, runs = _median_rate(once, repeats)
    return {
        "visits_per_s": rate,
        "runs": runs,
        "visits_per_run": visits,
        "bytes_per_node": search.bytes_per_node,
        "nodes_per_visit": search.nodes_used / max(visits, 1),
    }


def bench_mcts(
    size: int, repeats: int, seconds: float, threads: int, rollout: str, mercy: float
) -> dict:
    from go_engine.mcts import MCTS, MCTSConfig
    from go_engine.state import new_state

    config = MCTSConfig(threads=threads, rollout=rollout, reuse_tree=False, mercy=mercy)
    engine = MCTS(size, config)
    st = new_state(size)
    engine.run(st, visits=200)

    def once() -> float:
        r = engine.run(st, seconds=seconds)
        return r.simulations / r.seconds

    rate, runs = _median_rate(once, repeats)
    engine.close()
    return {
        "threads": threads,
        "rollout": rollout,
        "mercy": mercy,
        "sims_per_s": rate,
        "runs": runs,
        "bytes_per_node": engine.bytes_per_node,
    }


def bench_puct_rollout(size: int, repeats: int, seconds: float) -> dict:
    from go_engine.evaluator import RolloutEvaluator
    from go_engine.search import Search, SearchConfig
    from go_engine.state import new_state

    search = Search(RolloutEvaluator(), size, SearchConfig(reuse_tree=False))
    st = new_state(size)
    search.run(st, visits=50)

    def once() -> float:
        r = search.run(st, seconds=seconds)
        return r.simulations / r.seconds

    rate, runs = _median_rate(once, repeats)
    return {"visits_per_s": rate, "runs": runs}


def bench_network(
    size: int, repeats: int, seconds: float, batch: int, blocks: int, channels: int
) -> dict:
    """Search with a small random net (seeded) against the net's raw batched throughput."""
    import torch

    from training.nets import NetConfig, PolicyValueNet
    from training.torch_evaluator import TorchEvaluator

    torch.manual_seed(0)
    net = PolicyValueNet(NetConfig(board_size=size, blocks=blocks, channels=channels))
    row = search_vs_raw(TorchEvaluator(net), size, repeats, seconds, batch)
    return {"net": f"{blocks} blocks x {channels} channels", **row}


def search_vs_raw(evaluator, size: int, repeats: int, seconds: float, batch: int) -> dict:
    """PUCT's visits/s with `evaluator` (leaves batched `batch` at a time, no cache) against
    the evaluator's raw throughput at the same batch size, alternating the two measurements so
    that machine noise hits both alike. Also used by `go-engine bench nn`."""
    from go_engine.search import Search, SearchConfig
    from go_engine.state import new_state
    from training.torch_evaluator import raw_throughput

    # No cache: every leaf goes to the network, as the raw rate assumes.
    cfg = SearchConfig(batch_size=batch, cache_entries=0, reuse_tree=False)
    search = Search(evaluator, size, cfg)
    st = new_state(size)
    search.run(st, visits=4 * batch)
    search_rates, raw_rates = [], []
    for _ in range(repeats):
        r = search.run(st, seconds=seconds)
        search_rates.append(r.simulations / r.seconds)
        raw_rates.append(raw_throughput(evaluator, batch, size, seconds=seconds, repeats=1))
    s, raw = statistics.median(search_rates), statistics.median(raw_rates)
    return {
        "device": str(getattr(evaluator, "device", "cpu")),
        "batch": batch,
        "search_visits_per_s": s,
        "raw_positions_per_s": raw,
        "ratio": s / raw,
        "search_runs": search_rates,
        "raw_runs": raw_rates,
    }


def run_search(args: argparse.Namespace) -> dict:
    from go_engine_cli.bench_cmd import machine

    sizes = args.size or [9, 19]
    cores = os.cpu_count() or 1
    top = args.max_threads or cores
    result: dict = {"machine": machine(), "sizes": []}
    for size in sizes:
        row: dict = {"size": size}
        row["tree"] = bench_tree(size, args.repeats)
        row["mcts"] = bench_mcts(size, args.repeats, args.seconds, 1, "light", args.mercy)
        row["mcts_random"] = bench_mcts(size, args.repeats, args.seconds, 1, "random", args.mercy)
        scaling = []
        t = 1
        while t <= top:
            scaling.append(bench_mcts(size, args.repeats, args.seconds, t, "light", args.mercy))
            t *= 2
        if scaling[-1]["threads"] != top:
            scaling.append(bench_mcts(size, args.repeats, args.seconds, top, "light", args.mercy))
        base = scaling[0]["sims_per_s"]
        row["mcts_scaling"] = [
            {
                "threads": s["threads"],
                "sims_per_s": s["sims_per_s"],
                "speedup": s["sims_per_s"] / base,
            }
            for s in scaling
        ]
        row["puct_rollout"] = bench_puct_rollout(size, args.repeats, args.seconds)
        if not args.no_network:
            row["network"] = bench_network(
                size, args.repeats, args.seconds, args.batch, args.blocks, args.channels
            )
        if not args.no_reference:
            from go_engine_cli.bench_refs import openspiel_mcts_sims_per_s

            refs = [openspiel_mcts_sims_per_s(size, args.seconds) for _ in range(args.repeats)]
            if refs[0] is not None:
                rate = statistics.median(r["sims_per_s"] for r in refs)
                row["reference"] = {"impl": refs[0]["impl"], "sims_per_s": rate}
                row["mcts_vs_reference"] = row["mcts"]["sims_per_s"] / rate
        result["sizes"].append(row)
    return result


def print_search(result: dict) -> None:
    m = result["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, numba {m['numba']}")
    for row in result["sizes"]:
        n = row["size"]
        t = row["tree"]
        print(f"{n}x{n} (medians)")
        print(
            f"  tree (PUCT, uniform evaluator): {t['visits_per_s']:,.0f} visits/s, "
            f"{t['bytes_per_node']} bytes/node, {t['nodes_per_visit']:.0f} nodes/visit"
        )
        mc, mr = row["mcts"], row["mcts_random"]
        print(
            f"  mcts (UCT-RAVE, 1 thread): light rollouts {mc['sims_per_s']:,.0f} sims/s, "
            f"random rollouts {mr['sims_per_s']:,.0f} sims/s; {mc['bytes_per_node']} bytes/node"
        )
        scale = ", ".join(
            f"{s['threads']} thr {s['sims_per_s']:,.0f} ({s['speedup']:.2f}x)"
            for s in row["mcts_scaling"]
        )
        print(f"  mcts scaling: {scale}")
        print(f"  puct + light rollouts: {row['puct_rollout']['visits_per_s']:,.0f} visits/s")
        if "network" in row:
            nw = row["network"]
            print(
                f"  network {nw['net']} on {nw['device']}, batch {nw['batch']}: search "
                f"{nw['search_visits_per_s']:,.0f} visits/s vs raw {nw['raw_positions_per_s']:,.0f}"
                f" positions/s -> {nw['ratio']:.2f}"
            )
        if "reference" in row:
            ref = row["reference"]
            print(
                f"  {ref['impl']}: {ref['sims_per_s']:,.0f} sims/s -> mcts is "
                f"{row['mcts_vs_reference']:.1f}x"
            )


def to_jsonable(result: dict) -> dict:
    def fix(x):
        if isinstance(x, dict):
            return {k: fix(v) for k, v in x.items()}
        if isinstance(x, list):
            return [fix(v) for v in x]
        if isinstance(x, np.generic):
            return x.item()
        return x

    return fix(result)
