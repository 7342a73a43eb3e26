"""The generation loop: self-play with the best network, train, evaluate, promote, repeat.

A run folder holds everything, and `state.json` says where the run stands (generation and
phase), rewritten atomically at the end of every phase:

    run.toml                      the run's configuration (RunConfig), written at the start
    state.json                    generation, phase, best network, Elo per generation,
                                  resignation threshold, totals, per-generation history
    checkpoints/gen-NNNN.safetensors   the network made by generation NNNN's training (0000:
                                  the starting network)
    checkpoints/latest.safetensors     the learner's weights and optimizer (resume point)
    selfplay/gen-NNNN/            self-play games being played (samples/, sgf/, done/; see
                                  selfplay.worker); after the phase, samples/ is merged into
    samples/gen-NNNN.npz          one shard per generation (go_engine.samples format)
    eval/gen-NNNN/                the candidate's games against the best (sgf/, done/)
    gnugo/gen-NNNN-levelL/        matches against GNU Go (gtp.match folders)
    metrics.csv                   training losses by step
    generations.csv               per generation: games, samples, speeds, score, Elo
    gnugo.csv                     per check: generation, hours, level, wins, interval
    plots/                        loss.png, elo.png, gnugo.png, speed.png

Each phase is idempotent: self-play plays only the games without a summary, the merge can run
again, training continues from `latest` at the step it had reached, evaluation plays only
missing games, GNU Go matches resume in their own folders. So a run killed at any moment
(kill -9 included) and started again with the same command loses no finished game and no
checkpoint. Memory is bounded by the replay window (TrainConfig.window_max samples) and the
per-game search trees (SelfPlayConfig.max_nodes).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from go_engine.files import atomic_write
from go_engine.samples import Samples, concatenate, read_shard, write_shard
from selfplay.config import RunConfig, load_config, read_toml, to_toml
from selfplay.evaluation import arena, elo_after, gnugo_match
from selfplay.games import resign_threshold_for
from selfplay.plots import read_csv
from selfplay.worker import SUMMARY_DIR, make_tasks, read_summaries, run_local, run_ray

PHASES = ("selfplay", "train", "evaluate", "gnugo")
CALIBRATION_GAMES = 400  # no-resign games kept for the threshold (newest first)


@dataclass
class LoopState:
    """Where a run stands (state.json)."""

    generation: int = 0
    phase: str = "selfplay"
    best: int = 0  # generation whose network is the best
    elo: dict[str, float] = field(default_factory=lambda: {"0": 0.0})
    resign_threshold: float | None = None
    calibration: list[float] = field(default_factory=list)  # winners' lowest values
    total_games: int = 0
    total_samples: int = 0
    untrained_samples: int = 0  # samples added since the learner last trained
    compute_seconds: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)


def gen_name(g: int) -> str:
    return f"gen-{g:04d}"


class Loop:
    """Runs (or resumes) the generation loop in a run folder."""

    def __init__(self, run: str | os.PathLike, config: RunConfig, log=print) -> None:
        self.run = Path(run)
        self.config = config
        self.log = log
        self.run.mkdir(parents=True, exist_ok=True)
        saved = self.run / "run.toml"
        if not saved.exists():
            atomic_write(saved, to_toml(config))
        self.state = self._read_state()

    # ------------------------------------------------------------------ files
    @classmethod
    def open(
        cls,
        run: str | os.PathLike,
        config_path: str | os.PathLike | None = None,
        log=print,
        **overrides: Any,
    ) -> Loop:
        """The loop of run folder `run`. A folder that has a run.toml keeps it (a given config
        file must agree with every value it sets, so a run never changes its recipe midway;
        new defaults of a later version do not count); otherwise the config file starts the
        run. `overrides` are LoopConfig fields that do not change the results: generations,
        workers, backend, address, device (None leaves a field as it is)."""
        run = Path(run)
        saved = run / "run.toml"
        if saved.exists():
            config = load_config(saved)
            if config_path is not None:
                load_config(config_path)  # report a bad file as such
                for table, key, value in _explicit(config_path):
                    if key in RESULT_NEUTRAL and table == "loop":
                        continue
                    if getattr(getattr(config, table), key) != value:
                        raise ValueError(
                            f"{config_path} sets [{table}] {key} = {value!r}, but this run "
                            f"started with {getattr(getattr(config, table), key)!r} ({saved}); "
                            "use another run folder or the same settings"
                        )
        elif config_path is not None:
            config = load_config(config_path)
        else:
            raise ValueError(f"{run} has no run.toml; give --config RUN.toml")
        for key, value in overrides.items():
            if value is not None:
                setattr(config.loop, key, value)
        return cls(run, config, log)

    def _read_state(self) -> LoopState:
        path = self.run / "state.json"
        if not path.exists():
            return LoopState()
        try:
            return LoopState(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path}: unreadable loop state ({e})") from e

    def _save_state(self) -> None:
        atomic_write(self.run / "state.json", json.dumps(asdict(self.state), indent=1))

    def checkpoint(self, g: int) -> Path:
        return self.run / "checkpoints" / f"{gen_name(g)}.safetensors"

    @property
    def best_path(self) -> Path:
        return self.checkpoint(self.state.best)

    # ------------------------------------------------------------------ the loop
    def run_loop(self) -> LoopState:
        """Work until `config.loop.generations` generations are complete."""
        self._initial_network()
        while self.state.generation < self.config.loop.generations:
            phase = self.state.phase
            start = time.time()
            getattr(self, f"_phase_{phase}")()
            self.state.compute_seconds += time.time() - start
            at = PHASES.index(phase)
            if at + 1 < len(PHASES):
                self.state.phase = PHASES[at + 1]
            else:
                self.state.phase = PHASES[0]
                self.state.generation += 1
            self._save_state()
            if self.state.phase == PHASES[0]:
                self._plots()  # redrawn after every generation, for a run being watched
        self._plots()
        return self.state

    def _initial_network(self) -> None:
        path = self.checkpoint(0)
        if path.exists():
            return
        from training.rl_train import initial_network

        loop = self.config.loop
        initial_network(
            self.config.selfplay.board_size,
            loop.init,
            loop.blocks,
            loop.channels,
            loop.ownership_head,
            loop.score_head,
            path,
            self.log,
        )

    def _device(self) -> str:
        from training.torch_evaluator import select_device

        return select_device(self.config.loop.device).type

    # ------------------------------------------------------------------ phases
    def _phase_selfplay(self) -> None:
        g = self.state.generation
        loop, sp = self.config.loop, self.config.selfplay
        folder = self.run / "selfplay" / gen_name(g)
        shard = self.run / "samples" / f"{gen_name(g)}.npz"
        start = time.time()
        if not shard.exists():
            on_gpu = self._device() == "cuda"
            workers = 1 if on_gpu else loop.worker_count
            tasks = make_tasks(
                folder,
                self.best_path,
                loop.games_per_generation,
                workers,
                seed=loop.seed * 1_000_003 + g,
                config=sp,
                resign_threshold=self.state.resign_threshold,
                device="cuda" if on_gpu else "auto",
                name=gen_name(self.state.best),
            )
            self.log(
                f"{gen_name(g)}: self-play of {loop.games_per_generation} games with "
                f"{gen_name(self.state.best)} ({len(tasks)} workers, {loop.backend})"
            )
            bar = _Progress(folder / SUMMARY_DIR, loop.games_per_generation, "self-play")
            if loop.backend == "ray":
                run_ray(tasks, loop.address, bar.update)
            else:
                run_local(tasks, bar.update)
            bar.close()
            self._merge(folder, shard)
        # the pieces are in the shard (also when a kill came between the merge and this)
        shutil.rmtree(folder / "samples", ignore_errors=True)
        summaries = read_summaries(folder)
        seconds = time.time() - start
        samples = sum(s["samples"] for s in summaries)
        self.state.total_games += len(summaries)
        self.state.total_samples += samples
        self.state.untrained_samples += samples
        winners = [
            s["lowest_value"][str(s["winner"])]
            for s in summaries
            if s["no_resign"] and s["winner"] != 0
        ]
        self.state.calibration = (winners + self.state.calibration)[:CALIBRATION_GAMES]
        if self.state.calibration:
            self.state.resign_threshold = resign_threshold_for(self.state.calibration)
        played = sum(s["seconds"] for s in summaries)
        self._history(
            g,
            games=len(summaries),
            samples=samples,
            selfplay_seconds=round(seconds, 1),
            games_per_hour=round(3600 * len(summaries) / seconds, 1) if seconds > 1 else None,
            samples_per_second=round(samples / seconds, 2) if seconds > 1 else None,
            mean_moves=float(np.mean([s["moves"] for s in summaries])) if summaries else 0,
            resigned=sum(s["resigned"] for s in summaries),
            game_seconds=round(played, 1),
            resign_threshold=self.state.resign_threshold,
        )

    def _merge(self, folder: Path, shard: Path) -> None:
        """Gather the generation's finished games' samples into one shard (the caller drops
        the pieces)."""
        pieces = sorted((folder / "samples").glob("g*.npz"))
        done = {int(s["index"]) for s in read_summaries(folder)}
        parts = [read_shard(p) for p in pieces if int(p.stem[1:]) in done]
        merged = concatenate(parts, self.config.selfplay.board_size)
        shard.parent.mkdir(parents=True, exist_ok=True)
        write_shard(shard, merged)

    def _phase_train(self) -> None:
        from training.rl_train import train_generation

        g = self.state.generation
        start = self.config.train.train_start
        if self.state.total_samples < start:
            self.log(
                f"{gen_name(g)}: {self.state.total_samples:,} samples, training starts at "
                f"{start:,}; the next generation plays with the same network"
            )
            self._history(g, trained=False)
            return
        window = self._window()
        new = self.state.untrained_samples
        self.log(f"{gen_name(g)}: training on the newest {len(window):,} samples")
        result = train_generation(
            self.run,
            g,
            window,
            new,
            self.config.train,
            device=self.config.loop.device,
            seed=self.config.loop.seed,
            log=self.log,
        )
        self.state.untrained_samples = 0
        self._history(g, trained=True, **result)

    def _window(self) -> Samples:
        """The replay window: the newest samples over the generations' shards."""
        from training.rl_train import replay_window

        total = self.state.total_samples
        want = replay_window(total, self.config.train)
        parts: list[Samples] = []
        have = 0
        for g in range(self.state.generation, -1, -1):
            path = self.run / "samples" / f"{gen_name(g)}.npz"
            if not path.exists() or have >= want:
                break
            part = read_shard(path)
            parts.append(part)
            have += len(part)
        merged = concatenate(parts[::-1], self.config.selfplay.board_size)
        if len(merged) > want:
            merged = merged.select(slice(len(merged) - want, None))
        return merged

    def _phase_evaluate(self) -> None:
        g = self.state.generation
        loop = self.config.loop
        candidate = self.checkpoint(g + 1)
        best_elo = self.state.elo.get(str(self.state.best), 0.0)
        if not candidate.exists():
            return  # no training this generation: nothing to judge
        if loop.eval_games == 0:
            self.state.best = g + 1
            self.state.elo[str(g + 1)] = best_elo
            self._history(g, promoted=True)
            return
        self.log(f"{gen_name(g + 1)}: {loop.eval_games} games against {gen_name(self.state.best)}")
        score = arena(
            self.run / "eval" / gen_name(g + 1),
            candidate,
            self.best_path,
            loop.eval_games,
            self.config.selfplay,
            loop.eval_visits,
            loop.eval_temperature_moves,
            seed=loop.seed + 7919 * (g + 1),
            device="cuda" if self._device() == "cuda" else "auto",
        )
        elo = elo_after(best_elo, score["score"])
        promote = not loop.gating or score["score"] >= loop.gate_threshold
        self.state.elo[str(g + 1)] = round(elo, 1)
        if promote:
            self.state.best = g + 1
        self.log(
            f"{gen_name(g + 1)}: {score['wins']}-{score['losses']}-{score['draws']} against "
            f"the best, Elo {elo:+.0f}, {'promoted' if promote else 'not promoted'}"
        )
        self._history(g, eval_score=round(score["score"], 4), elo=round(elo, 1), promoted=promote)

    def _phase_gnugo(self) -> None:
        """Every `gnugo_every` generations, the best network against GNU Go at each level;
        the starting network too, at the end of generation 0, so the curve has its origin."""
        g = self.state.generation
        loop = self.config.loop
        if not loop.gnugo_every:
            return
        checks = [(0, 0)] if g == 0 else []
        if (g + 1) % loop.gnugo_every == 0:
            checks.append((g + 1, self.state.best))
        # a best network that has been measured already (no promotion since) is not again
        measured = {r["network"] for r in read_csv(self.run / "gnugo.csv") if r.get("network")}
        checks = [(at, net) for at, net in checks if at == 0 or gen_name(net) not in measured]
        rows = []
        for at, network in checks:
            hours = 0.0 if at == 0 else self.state.compute_seconds / 3600
            for level in loop.gnugo_levels:
                folder = self.run / "gnugo" / f"{gen_name(at)}-level{level}"
                self.log(f"{gen_name(network)} against GNU Go level {level}")
                s = gnugo_match(
                    folder,
                    self.checkpoint(network),
                    level,
                    loop.gnugo_games,
                    self.config.selfplay,
                    loop.gnugo_seconds,
                    seed=loop.seed,
                )
                lo, hi = s["a_win_rate_ci95"]
                self.log(f"  {s['a_wins']} of {s['games']} against level {level}")
                rows.append(
                    {
                        "generation": at,
                        "network": gen_name(network),
                        "hours": round(hours, 3),
                        "level": level,
                        "games": s["games"],
                        "wins": s["a_wins"],
                        "win_rate": s["a_win_rate"],
                        "ci95_low": lo,
                        "ci95_high": hi,
                    }
                )
        if rows:
            _replace_csv(self.run / "gnugo.csv", rows, ("generation", "level"))

    # ------------------------------------------------------------------ records
    def _history(self, g: int, **values: Any) -> None:
        h = self.state.history
        if not h or h[-1]["generation"] != g:
            h.append({"generation": g})
        h[-1].update(values)
        h[-1]["hours"] = round(self.state.compute_seconds / 3600, 4)
        _write_csv(self.run / "generations.csv", h)

    def _plots(self) -> None:
        try:
            from selfplay.plots import draw_all

            draw_all(self.run)
        except Exception as e:  # a plot must never stop a run
            self.log(f"plots skipped: {e}")


class _Progress:
    """A tqdm bar that follows the count of finished games in a folder."""

    def __init__(self, folder: Path, total: int, desc: str) -> None:
        from tqdm import tqdm

        self.folder = folder
        self.bar = tqdm(total=total, desc=desc, unit="game", leave=False)
        self.update()

    def update(self) -> None:
        n = len(list(self.folder.glob("g*.json"))) if self.folder.is_dir() else 0
        self.bar.update(n - self.bar.n)

    def close(self) -> None:
        self.update()
        self.bar.close()


RESULT_NEUTRAL = ("generations", "workers", "backend", "address", "device")


def _explicit(path: str | os.PathLike) -> list[tuple[str, str, Any]]:
    """(table, key, value) for every value a TOML file sets."""
    data = read_toml(path)
    return [(t, k, v) for t, table in data.items() for k, v in table.items()]


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys)
    w.writeheader()
    w.writerows(rows)
    atomic_write(path, buf.getvalue())


def _replace_csv(path: Path, rows: list[dict[str, Any]], key: tuple[str, ...]) -> None:
    """Add `rows` to the CSV at `path`, replacing earlier rows with the same key (a check
    that was interrupted and run again)."""
    old: list[dict[str, Any]] = read_csv(path)
    new_keys = {tuple(str(r[k]) for k in key) for r in rows}
    kept = [r for r in old if tuple(str(r[k]) for k in key) not in new_keys]
    _write_csv(path, kept + rows)
