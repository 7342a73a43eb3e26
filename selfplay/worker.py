"""Self-play workers: one task plays a list of game indices with one network and writes every
finished game at once; local processes or Ray actors run the tasks.

A task writes, for game i of a generation folder, in this order and each atomically:

    samples/gNNNNN.npz     its training samples (`go_engine.samples`)
    sgf/gNNNNN.sgf         its record
    done/gNNNNN.json       its summary (winner, score, moves, resignation, calibration data)

The summary is written last, so a game counts as finished exactly when its summary exists; a
worker killed in the middle of a game leaves at most files that the next run overwrites.
Replaying a generation plays only the indices without a summary, with the same seeds.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from go_engine.files import atomic_write
from go_engine.samples import write_shard
from go_engine.sgf_io import write_sgf
from selfplay.config import SelfPlayConfig, leaf_evaluator
from selfplay.games import FinishedGame, selfplay_games

SUMMARY_DIR = "done"


def game_name(index: int) -> str:
    return f"g{index:05d}"


def finished_indices(folder: str | os.PathLike) -> set[int]:
    """The game indices of `folder` whose summary exists."""
    done = Path(folder) / SUMMARY_DIR
    if not done.is_dir():
        return set()
    return {int(p.stem[1:]) for p in done.glob("g*.json") if p.stem[1:].isdigit()}


def read_summaries(folder: str | os.PathLike) -> list[dict[str, Any]]:
    done = Path(folder) / SUMMARY_DIR
    out = []
    for p in sorted(done.glob("g*.json")):
        try:
            out.append(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError) as e:
            raise ValueError(f"{p}: unreadable game summary ({e})") from e
    return out


def summary(game: FinishedGame) -> dict[str, Any]:
    return {
        "index": game.index,
        "winner": game.winner,
        "score": game.score,
        "result": game.result_text,
        "resigned": game.resigned,
        "capped": game.capped,
        "moves": len(game.game.moves),
        "samples": len(game.samples) if game.samples is not None else 0,
        "no_resign": game.no_resign,
        "lowest_value": {str(k): v for k, v in game.lowest_value.items()},
        "seconds": round(game.seconds, 3),
    }


def write_game(folder: Path, game: FinishedGame) -> None:
    """Write one finished self-play game into a generation folder (see the module docstring)."""
    name = game_name(game.index)
    for sub in ("sgf", SUMMARY_DIR) if game.samples is None else ("samples", "sgf", SUMMARY_DIR):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    if game.samples is not None:
        write_shard(folder / "samples" / f"{name}.npz", game.samples)
    write_sgf(
        game.game,
        folder / "sgf" / f"{name}.sgf",
        result=game.result_text,
        black=game.names[0],
        white=game.names[1],
    )
    atomic_write(folder / SUMMARY_DIR / f"{name}.json", json.dumps(summary(game)))


class _Timed:
    """An evaluator wrapper that counts the positions evaluated and the time spent."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.features = inner.features
        self.network = inner.network
        self.rollout_weight = inner.rollout_weight
        self.rollout_policy = inner.rollout_policy
        self.positions = 0
        self.calls = 0
        self.seconds = 0.0

    def evaluate(self, planes: Any) -> Any:
        start = time.perf_counter()
        out = self.inner.evaluate(planes)
        self.seconds += time.perf_counter() - start
        self.positions += len(planes)
        self.calls += 1
        return out


def selfplay_task(task: dict[str, Any]) -> dict[str, Any]:
    """Play `task["indices"]` into `task["folder"]` with the network `task["model"]`.

    The task is a plain dictionary (it crosses process and machine boundaries): folder,
    model, indices, seed, selfplay (SelfPlayConfig fields), resign_threshold, device, threads.
    Returns counts (games, samples, moves, positions evaluated), the time taken and the
    part of it spent in the network."""
    from training.network_evaluator import load_evaluator

    folder = Path(task["folder"])
    for sub in ("samples", "sgf", SUMMARY_DIR):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    config = SelfPlayConfig(**task["selfplay"])
    threads = task.get("threads")
    network = _Timed(
        load_evaluator(
            task["model"],
            device=task.get("device", "auto"),
            threads=threads,
            expect_board_size=config.board_size,
            precision=config.precision,
        )
    )
    evaluator = leaf_evaluator(network, config)
    start = time.perf_counter()
    counts = {"games": 0, "samples": 0, "moves": 0}

    def on_game(game: FinishedGame) -> None:
        write_game(folder, game)
        counts["games"] += 1
        counts["moves"] += len(game.game.moves)
        counts["samples"] += len(game.samples) if game.samples is not None else 0

    done = finished_indices(folder)
    todo = [i for i in task["indices"] if i not in done]
    selfplay_games(
        evaluator,
        config,
        todo,
        int(task["seed"]),
        on_game,
        resign_threshold=task.get("resign_threshold"),
        name=task.get("name", "go-engine"),
    )
    counts["seconds"] = time.perf_counter() - start
    counts["evaluations"] = network.positions
    counts["network_seconds"] = network.seconds
    counts["network_calls"] = network.calls
    return counts


def make_tasks(
    folder: str | os.PathLike,
    model: str | os.PathLike,
    games: int,
    workers: int,
    seed: int,
    config: SelfPlayConfig,
    resign_threshold: float | None = None,
    device: str = "auto",
    name: str = "go-engine",
) -> list[dict[str, Any]]:
    """One task per worker over the games of `folder` not yet finished (game i to worker
    i % workers), each worker's network evaluations on one thread."""
    done = finished_indices(folder)
    todo = [i for i in range(games) if i not in done]
    tasks = []
    for w in range(workers):
        mine = todo[w::workers]
        if mine:
            tasks.append(
                {
                    "folder": str(folder),
                    "model": str(model),
                    "indices": mine,
                    "seed": seed,
                    "selfplay": asdict(config),
                    "resign_threshold": resign_threshold,
                    "device": device,
                    "threads": 1,
                    "name": name,
                }
            )
    return tasks


def run_local(
    tasks: Sequence[dict[str, Any]],
    progress: Callable[[], None] | None = None,
    poll: float = 2.0,
) -> list[dict[str, Any]]:
    """Run the tasks in worker processes (spawned, so no Numba or torch state is shared),
    calling `progress()` every `poll` seconds while they run. A task that fails raises here
    after the others have finished their games."""
    import multiprocessing as mp

    if not tasks:
        return []
    if len(tasks) == 1 and os.environ.get("GO_ENGINE_INPROCESS") == "1":
        return [selfplay_task(tasks[0])]
    ctx = mp.get_context("spawn")
    with ctx.Pool(len(tasks)) as pool:
        pending = [pool.apply_async(selfplay_task, (t,)) for t in tasks]
        while not all(p.ready() for p in pending):
            if progress is not None:
                progress()
            time.sleep(poll)
        if progress is not None:
            progress()
        return [p.get() for p in pending]


def run_ray(
    tasks: Sequence[dict[str, Any]],
    address: str = "",
    progress: Callable[[], None] | None = None,
    poll: float = 2.0,
) -> list[dict[str, Any]]:
    """Run the tasks as Ray tasks, one CPU each, on the cluster at `address` ("" starts or
    joins a local instance). Every node must reach the run folder at the same path."""
    try:
        import ray
    except ImportError as e:
        raise RuntimeError('the ray backend needs Ray: pip install "go-engine[ray]"') from e
    if not ray.is_initialized():
        ray.init(address=address or None, ignore_reinit_error=True, log_to_driver=False)
    remote = ray.remote(num_cpus=1)(selfplay_task)
    refs = [remote.remote(t) for t in tasks]
    while True:
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=poll)
        if progress is not None:
            progress()
        if len(ready) == len(refs):
            break
    return ray.get(refs)
