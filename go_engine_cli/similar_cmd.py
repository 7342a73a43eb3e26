"""`go-engine similar`: the positions of a game collection most like one position, by nearest
neighbours in the code space of a trained position autoencoder (training.position_codes).

The model is an `ae-dK.safetensors` checkpoint of `go-engine train autoencoder`, or its run
folder (the largest code size there is used); by default runs/autoencoder-N for the query's
board size. The collection's codes are cached in an index file (default: next to the model,
`<model>.index-<collection>.npz`, rebuilt when the model or the collection changes), so only
the first query over a collection encodes it. Every symmetry of the query is tried.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("position", help="SGF file: its final position, or after --move K")
    parser.add_argument(
        "--collection", required=True, help="games to search: a folder, .tar.gz or .sgf"
    )
    parser.add_argument(
        "--model",
        default="",
        help="autoencoder checkpoint or run folder (default runs/autoencoder-N)",
    )
    parser.add_argument("--index", default="", help="index file of the collection's codes")
    parser.add_argument("--top", type=int, default=10, help="positions to list")
    parser.add_argument("--move", type=int, default=None, help="the position after K moves")
    parser.add_argument(
        "--per-game", type=int, default=1, help="at most this many positions a game (0: any)"
    )
    parser.add_argument(
        "--no-symmetries", action="store_true", help="match the query as it stands only"
    )
    parser.add_argument("--max-games", type=int, default=0, help="index only the first K games")
    parser.add_argument("--show", type=int, default=1, help="draw the boards of the first K")
    parser.add_argument("--device", default="cpu", help="cpu, auto, cuda, ...")


def resolve_model(model: str, board_size: int) -> Path:
    """The checkpoint file `--model` names (a file, or the largest code of a run folder)."""
    path = Path(model or f"runs/autoencoder-{board_size}")
    if path.is_dir():
        found = []
        for p in path.glob("ae-d*.safetensors"):
            m = re.fullmatch(r"ae-d(\d+)\.safetensors", p.name)
            if m:
                found.append((int(m.group(1)), p))
        if not found:
            raise FileNotFoundError(f"{path}: no ae-dK.safetensors checkpoint in this folder")
        return max(found)[1]
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such autoencoder checkpoint or run folder")
    return path


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from go_engine.coords import board_to_text
    from go_engine.sgf_io import read_sgf, replay
    from training.autoencoder import load_autoencoder, symmetry_sources
    from training.position_codes import SYMMETRY_NAMES, load_or_build_index, search
    from training.torch_evaluator import select_device

    if args.top < 1:
        raise ValueError("--top must be at least 1")
    game = read_sgf(args.position)
    moves = len(game.moves) if args.move is None else args.move
    board = replay(game, moves)
    n = game.size
    query = board.board().reshape(-1).astype("uint8")
    to_play = int(board.to_play)

    model_path = resolve_model(args.model, n)
    model, _ = load_autoencoder(model_path, select_device(args.device))
    if model.config.board_size != n:
        raise ValueError(
            f"{model_path}: a {model.config.board_size}x{model.config.board_size} model, "
            f"the position is {n}x{n}"
        )
    index, index_path, built = load_or_build_index(
        model, model_path, args.collection, args.index or None, args.max_games
    )
    matches = search(index, model, query, to_play, args.top, args.per_game, not args.no_symmetries)

    mover = "Black" if to_play == 1 else "White"
    print(f"query: {args.position}, after move {moves}, {mover} to play")
    print(
        f"model: {model_path} ({model.config.code_dims}-number code); "
        f"index: {index_path} ({len(index)} positions of {len(index.names)} games"
        f"{', built now' if built else ''})"
    )
    print(f"{'#':>3} {'distance':>8} {'diff':>4} {'move':>4}  game / players / result / symmetry")
    for i, m in enumerate(matches, 1):
        players = f"{m.black or '?'} (B) - {m.white or '?'} (W)"
        notes = [SYMMETRY_NAMES[m.symmetry]]
        if m.colours_swapped:
            notes.append("colours swapped")
        print(
            f"{i:>3} {m.distance:8.3f} {m.differing:>4} {m.move:>4}  {m.game_name}  {players}  "
            f"{m.result or 'no result'}  [{', '.join(notes)}]"
        )
    print("(diff: points that differ from the query under that symmetry, from the mover's view)")
    if args.show > 0:
        print("\nquery:")
        print(board_to_text(query.reshape(n, n)))
        for i, m in enumerate(matches[: args.show], 1):
            # Turned back into the query's orientation: variant s of the query reads
            # query[src[i]] at point i, so the match's point inverse[j] sits at query point j.
            inverse = np.argsort(symmetry_sources(n)[m.symmetry])
            theirs = index.boards[m.position][inverse]
            print(f"\n#{i}: {m.game_name}, after move {m.move} (turned to the query's orientation)")
            print(board_to_text(theirs.reshape(n, n)))
    return 0
