"""The rest of the GTP command set through a real `go-engine gtp` subprocess: handicap, dead
stones, SGF loading and printing, reg_genmove, kgs-genmove_cleanup, cputime, and their errors;
and, with GNU Go, that the engine's dead stones agree with GNU Go's on a finished game."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from go_engine.sgf_io import read_sgf
from gtp.client import GTPClient, GTPError

# A finished 9x9 game (komi 7.5) from our match against GNU Go 3.8 (go-engine Black): GNU Go
# judges B2, B9, C2, C8 and G4 dead and scores B+1.5.
FINISHED = (
    "b E6 w D3 b F2 w C6 b E4 w G7 b E8 w G4 b G6 w H6 b C4 w C3 b G5 w D4 b D5 w C5 b B4 "
    "w E3 b F3 w C1 b F4 w H8 b H5 w J7 b G9 w G8 b C7 w B7 b B8 w C8 b D7 w B9 b B6 w B5 "
    "b A7 w A5 b B2 w B3 b C2 w D1 b E1 w E2 b F1 w B1 b J8 w J9 b A1 w A2 b J5 w J6 b F8 "
    "w F7 b D6 w F6 b F5 w A4 b B7 w H9 b F9 w E7 b D8 w A6 b H3 w pass b pass"
).split()
FINISHED = [f"{FINISHED[i]} {FINISHED[i + 1]}" for i in range(0, len(FINISHED), 2)]
DEAD = {"B2", "B9", "C2", "C8", "G4"}


@pytest.fixture(scope="module")
def engine():
    argv = [sys.executable, "-m", "go_engine_cli.main", "gtp", "--size", "9", "--visits", "200"]
    client = GTPClient(argv)
    yield client
    client.close()


def _finished_game(client: GTPClient) -> None:
    client.send("boardsize 9")
    client.send("clear_board")
    client.send("komi 7.5")
    for move in FINISHED:
        client.send(f"play {move}")


def test_handicap_commands(engine: GTPClient) -> None:
    engine.send("boardsize 9")
    engine.send("clear_board")
    assert engine.send("fixed_handicap 5").split() == ["C3", "G7", "C7", "G3", "E5"]
    assert sorted(engine.send("list_stones black").split()) == ["C3", "C7", "E5", "G3", "G7"]
    with pytest.raises(GTPError, match="board not empty"):
        engine.send("fixed_handicap 2")
    move = engine.send("genmove w")  # White moves first after handicap
    assert move in engine.send("list_stones white").split()
    engine.send("clear_board")
    with pytest.raises(GTPError, match="invalid handicap"):
        engine.send("fixed_handicap 10")
    placed = engine.send("place_free_handicap 3").split()
    assert len(placed) == 3
    engine.send("clear_board")
    engine.send("set_free_handicap A1 B2 C3")
    assert sorted(engine.send("list_stones black").split()) == ["A1", "B2", "C3"]
    engine.send("clear_board")
    for bad in ("set_free_handicap A1", "set_free_handicap A1 A1", "set_free_handicap A1 Z9"):
        with pytest.raises(GTPError):
            engine.send(bad)


def test_dead_stones_and_final_score(engine: GTPClient) -> None:
    _finished_game(engine)
    assert set(engine.send("final_status_list dead").split()) == DEAD
    alive = set(engine.send("final_status_list alive").split())
    assert "E6" in alive and "D3" in alive and not alive & DEAD
    assert engine.send("final_status_list seki") == ""
    assert engine.send("final_score") == "B+1.5"
    with pytest.raises(GTPError, match="unknown status"):
        engine.send("final_status_list sleepy")


def test_sgf_round_trip(engine: GTPClient, tmp_path: Path) -> None:
    _finished_game(engine)
    text = engine.send("printsgf")
    assert text.startswith("(;") and "SZ[9]" in text
    path = tmp_path / "game.sgf"
    engine.send(f"printsgf {path}")
    assert len(read_sgf(path).moves) == len(FINISHED)
    engine.send("clear_board")
    assert engine.send(f"loadsgf {path} 3") == "black"  # the position before move 3
    assert engine.send("list_stones black") == "E6"
    assert engine.send("list_stones white") == "D3"
    assert engine.send(f"loadsgf {path}") == "white"  # after the last pass, White to move
    assert "H3" in engine.send("list_stones black").split()
    with pytest.raises(GTPError, match="cannot load"):
        engine.send(f"loadsgf {tmp_path / 'missing.sgf'}")
    bad = tmp_path / "bad.sgf"
    bad.write_text("(;GM[1]SZ[9];B[zz])")
    with pytest.raises(GTPError, match="cannot load"):
        engine.send(f"loadsgf {bad}")


def test_reg_genmove_cleanup_and_cputime(engine: GTPClient) -> None:
    engine.send("boardsize 9")
    engine.send("clear_board")
    move = engine.send("reg_genmove b")
    assert move not in ("", "resign")
    assert engine.send("list_stones black") == ""  # reg_genmove does not play
    assert float(engine.send("cputime")) > 0
    _finished_game(engine)
    # Cleanup after both passed: a side with dead enemy stones on the board does not pass.
    for colour in ("b", "w"):
        enemy = set(engine.send(f"list_stones {'w' if colour == 'b' else 'b'}").split())
        if enemy & DEAD:
            assert engine.send(f"kgs-genmove_cleanup {colour}") != "pass"
            break
    else:
        raise AssertionError("no dead stones in the fixture")


@pytest.mark.gnugo
def test_dead_stones_agree_with_gnugo(engine: GTPClient, gnugo_path: str) -> None:
    _finished_game(engine)
    with GTPClient([gnugo_path, "--mode", "gtp", "--chinese-rules"]) as gnugo:
        gnugo.send("boardsize 9")
        gnugo.send("clear_board")
        gnugo.send("komi 7.5")
        for move in FINISHED:
            gnugo.send(f"play {move}")
        for status in ("dead", "alive"):
            ours = set(engine.send(f"final_status_list {status}").split())
            theirs = set(gnugo.send(f"final_status_list {status}").split())
            assert ours == theirs, status
        assert engine.send("final_score") == gnugo.send("final_score")


@pytest.mark.gnugo
def test_dead_check_tool(tmp_path: Path, gnugo_path: str) -> None:
    import json

    from go_engine import Game
    from go_engine.coords import gtp_to_action
    from go_engine.sgf_io import write_sgf
    from gtp.dead_check import compare

    game = Game(9)
    game.set_komi(7.5)
    for move in FINISHED:
        colour, vertex = move.split()
        game.play(gtp_to_action(vertex, 9), 1 if colour == "b" else 2)
    write_sgf(game, tmp_path / "game_0001.sgf", result="B+1.5")
    record = {"game": 0, "reason": "score", "sgf": "game_0001.sgf"}
    (tmp_path / "results.jsonl").write_text(json.dumps(record) + "\n")
    (row,) = compare(tmp_path, gnugo_path)
    assert row["agree"] and set(row["gnugo_dead"]) == DEAD
