"""Judging networks: a candidate against the best in-process, Elo along the generations, and
GNU Go matches through the GTP match runner.

`arena(...)` plays the candidate against the best network (`selfplay.games.arena_games`),
both searching with the same visits, colours alternating; every finished game is written at
once (an SGF and a summary, as self-play writes them), so a killed evaluation resumes with the
games it had not finished. `elo_after(best_elo, score)` turns the candidate's score into an
Elo rating on the chain that starts at the first network (0 Elo), clipped so that a 40-0
sweep stays finite. `gnugo_match(...)` runs `go-engine gtp` with a network against GNU Go
through `gtp.match` (its own resumable folder) and returns its summary.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

from gtp.match import MatchConfig, elo_difference, gnugo_player_command, run_match, summarize
from selfplay.config import SelfPlayConfig, leaf_evaluator
from selfplay.games import FinishedGame, arena_games
from selfplay.worker import finished_indices, read_summaries, write_game

ELO_CLIP = 0.02  # scores are clipped to [clip, 1 - clip] before the logistic inversion


def elo_after(best_elo: float, score: float, clip: float = ELO_CLIP) -> float:
    """The candidate's rating from the best network's and its score against it (the score
    clipped so that a sweep stays finite)."""
    return best_elo + elo_difference(min(max(score, clip), 1.0 - clip))


def arena(
    folder: str | os.PathLike,
    candidate: str | os.PathLike,
    best: str | os.PathLike,
    games: int,
    config: SelfPlayConfig,
    visits: int,
    temperature_moves: int,
    seed: int,
    device: str = "auto",
) -> dict[str, Any]:
    """Play (or finish) the candidate-vs-best games in `folder`; returns wins, losses, draws
    and the candidate's score over every finished game."""
    from tqdm import tqdm

    from training.network_evaluator import load_evaluator

    folder = Path(folder)
    done = finished_indices(folder)
    todo = [i for i in range(games) if i not in done]
    if todo:
        size = config.board_size
        cand, base = (
            leaf_evaluator(
                load_evaluator(
                    m, device=device, expect_board_size=size, precision=config.precision
                ),
                config,
            )
            for m in (candidate, best)
        )
        names = ("candidate", "best")
        bar = tqdm(total=games, initial=len(done), desc="evaluate", unit="game", leave=False)

        def on_game(game: FinishedGame) -> None:
            write_game(folder, game)
            bar.update(1)

        arena_games((cand, base), names, config, todo, seed, visits, temperature_moves, on_game)
        bar.close()
    return arena_score(folder)


def arena_score(folder: str | os.PathLike) -> dict[str, Any]:
    """Candidate's wins, losses, draws and score in an arena folder (game i: candidate is
    Black when i is even)."""
    wins = losses = draws = 0
    for s in read_summaries(folder):
        candidate_colour = 1 if s["index"] % 2 == 0 else 2
        if s["winner"] == 0:
            draws += 1
        elif s["winner"] == candidate_colour:
            wins += 1
        else:
            losses += 1
    n = wins + losses + draws
    score = (wins + 0.5 * draws) / n if n else 0.5
    return {"games": n, "wins": wins, "losses": losses, "draws": draws, "score": score}


def engine_command(
    model: str | os.PathLike, seconds: float, config: SelfPlayConfig | None = None
) -> str:
    """The `go-engine gtp` command line that plays `model` at `seconds` a move with the search
    self-play uses: PUCT, or the mixed player when self-play mixes in rollouts."""
    parts = [sys.executable, "-m", "go_engine_cli.main", "gtp"]
    if config is not None and config.rollout_weight > 0:
        parts += ["--player", "mixed", "--mix", f"{config.rollout_weight:g}"]
        parts += ["--rollout", config.rollout]
    else:
        parts += ["--player", "puct"]
    if config is not None and config.precision != "float32":
        parts += ["--precision", config.precision]
    parts += ["--model", str(model), "--time", f"{seconds:g}", "--seed", "{seed}"]
    return " ".join(shlex.quote(p) if p != "{seed}" else p for p in parts)


def gnugo_match(
    folder: str | os.PathLike,
    model: str | os.PathLike,
    level: int,
    games: int,
    config: SelfPlayConfig,
    seconds: float,
    seed: int = 0,
) -> dict[str, Any]:
    """Play (or finish) `games` games of `model` against GNU Go at `level`; the summary of
    `gtp.match.summarize` (games, a_wins, a_win_rate, its 95% interval, Elo...)."""
    match = MatchConfig(
        a=engine_command(model, seconds, config),
        b=gnugo_player_command(level),
        a_name=Path(model).stem,
        b_name=f"gnugo-{level}",
        games=games,
        size=config.board_size,
        komi=config.komi,
        out=str(folder),
        seed=seed,
    )
    report = run_match(match, progress=None)
    return summarize(report.records)
