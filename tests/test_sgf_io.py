"""Tests for go_engine.sgf_io: reading, replaying and writing SGF records, and archives."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from sgfmill import sgf

from go_engine import Game, Rules
from go_engine.coords import gtp_to_action, sgf_to_action
from go_engine.sgf_io import (
    SGFError,
    SGFGame,
    iter_sgf_archive,
    read_sgf,
    replay,
    rules_from_ru,
    rules_to_ru,
    write_sgf,
)
from go_engine.state import BLACK, WHITE

# 5x5: a ko at b4/c4. Move 9 (B c4 = "cb") takes White's b4 stone, move 10 retakes at once.
KO_SGF = b"(;GM[1]FF[4]SZ[5]KM[0.5];B[ba];W[ca];B[ab];W[db];B[bc];W[cc];B[ee];W[bb];B[cb];W[bb])"


def _random_game(size: int, moves: int, seed: int) -> tuple[Game, list[np.ndarray]]:
    """A game of random legal moves (some passes) and the board after each move."""
    rng = np.random.default_rng(seed)
    g = Game(size, Rules.named("chinese", komi=7.5))
    boards = [g.board().copy()]
    for _ in range(moves):
        legal = np.flatnonzero(g.legal_moves())
        move = size * size if rng.random() < 0.03 else int(rng.choice(legal[:-1]))
        g.play(move)
        boards.append(g.board().copy())
    return g, boards


# ----------------------------------------------------------------------------- round trips


def test_handicap_game_round_trips(tmp_path: Path) -> None:
    g = Game(19, Rules.named("japanese", komi=0.5))
    for v in ("D4", "Q16", "D16", "Q4"):
        g.place_setup(gtp_to_action(v, 19), BLACK)
    g.set_to_play(WHITE)
    for v in ("R14", "R16", "O17", "pass", "C3"):
        g.play(gtp_to_action(v, 19))
    path = tmp_path / "handicap.sgf"
    comments = {0: "Four stones.", 2: "Black answers [sic]\\ at once.", 5: "last"}
    data = write_sgf(
        g, path, result="W+3.5", black="Kuwabara Shusaku", white="Gennan Inseki", comments=comments
    )
    assert path.read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == ["handicap.sgf"]  # no temp file left behind
    for prop in (b"HA[4]", b"KM[0.5]", b"RU[Japanese]", b"RE[W+3.5]", b"PL[W]", b"B[]"):
        assert prop in data

    rec = read_sgf(path)
    assert rec.source == str(path)
    assert rec.size == 19 and rec.komi == 0.5 and rec.handicap == 4
    assert rec.rules == Rules.named("japanese", komi=0.5) and rec.rules_name == "Japanese"
    assert rec.result == "W+3.5"
    assert (rec.black, rec.white) == ("Kuwabara Shusaku", "Gennan Inseki")
    assert sorted(rec.setup) == sorted(g.setup)
    assert rec.first_player == WHITE and rec.start_player == WHITE
    assert rec.moves == g.moves
    assert rec.moves[3] == (361, BLACK)
    assert rec.comments == comments

    again = replay(rec)
    np.testing.assert_array_equal(again.board(), g.board())
    assert again.to_play == g.to_play and again.komi == 0.5
    assert again.rules == g.rules
    assert write_sgf(
        again, result="W+3.5", comments=comments, black=rec.black, white=rec.white
    ) == (data)


def test_written_moves_read_the_same_in_sgfmill() -> None:
    g, _ = _random_game(13, 40, seed=3)
    data = write_sgf(g)
    seq = sgf.Sgf_game.from_bytes(data).get_main_sequence()
    theirs = []
    for node in seq[1:]:
        colour, point = node.get_move()
        # sgfmill counts rows from the bottom.
        action = 169 if point is None else (12 - point[0]) * 13 + point[1]
        theirs.append((action, BLACK if colour == "b" else WHITE))
    assert theirs == g.moves


@pytest.mark.parametrize(
    "rules",
    [
        Rules(),
        Rules.named("chinese", komi=7.5),
        Rules.named("japanese", komi=6.5),
        Rules.named("nz", komi=7.0),
        Rules.named("tromp-taylor", komi=-3.0),
        Rules("territory", "positional", True, 2.5),
    ],
)
def test_rules_round_trip(rules: Rules) -> None:
    g = Game(9, rules)
    g.play(40)
    rec = read_sgf(write_sgf(g))
    assert rec.rules == rules and rec.komi == rules.komi
    assert (rec.rules_name is None) == (rules == Rules().with_komi(rules.komi))


@pytest.mark.parametrize(
    "ru, preset",
    [
        ("Chinese", "chinese"),
        ("japanese", "japanese"),
        ("Korean", "korean"),
        ("AGA", "aga"),
        ("NZ", "nz"),
        ("New Zealand", "nz"),
        ("Tromp-Taylor", "tromp-taylor"),
        ("tromp_taylor", "tromp-taylor"),
        ("Ing", None),
        ("", None),
        (None, None),
    ],
)
def test_rules_from_ru(ru: str | None, preset: str | None) -> None:
    expected = Rules.named(preset, komi=5.5) if preset else Rules().with_komi(5.5)
    assert rules_from_ru(ru, 5.5) == expected
    assert rules_to_ru(Rules.named("korean")) == "Japanese"


# ----------------------------------------------------------------------------- replay


def test_replay_upto_matches_playing_by_hand() -> None:
    g, boards = _random_game(9, 70, seed=11)
    assert sum(g.captures) > 0  # the game must exercise captures
    rec = read_sgf(write_sgf(g), name="random.sgf")
    assert rec.moves == g.moves
    for k in (0, 1, 2, 17, 40, 69, 70):
        h = Game(9, g.rules)
        for a, c in g.moves[:k]:
            h.play(a, c)
        r = replay(rec, upto=k)
        np.testing.assert_array_equal(r.board(), boards[k])
        np.testing.assert_array_equal(r.board(), h.board())
        assert r.to_play == h.to_play and r.captures == h.captures and r.hash == h.hash
        assert r.moves == g.moves[:k]
    assert replay(rec).moves == g.moves
    with pytest.raises(ValueError):
        replay(rec, upto=71)
    with pytest.raises(ValueError):
        replay(rec, upto=-1)


def test_capture_is_on_the_board() -> None:
    rec = read_sgf(KO_SGF)
    before = replay(rec, upto=8)
    after = replay(rec, upto=9)
    b4, c4 = gtp_to_action("B4", 5), gtp_to_action("C4", 5)
    assert b4 == sgf_to_action("bb", 5) == 6
    assert before.board()[1, 1] == WHITE and before.board()[1, 2] == 0
    assert after.board()[1, 1] == 0 and after.board()[1, 2] == BLACK
    assert after.captures == (1, 0)
    assert after.legality(b4, WHITE) == "ko"
    assert after.board().reshape(-1)[c4] == BLACK


def test_ko_recapture_names_file_and_move(tmp_path: Path) -> None:
    path = tmp_path / "ko.sgf"
    path.write_bytes(KO_SGF)
    rec = read_sgf(path)
    with pytest.raises(SGFError) as info:
        replay(rec)
    err = info.value
    assert str(err) == f"{path}: move 10 (W B4): illegal (ko)"
    assert (err.move_number, err.vertex, err.reason) == (10, "B4", "ko")
    with pytest.raises(SGFError, match=r"^game\.sgf: move 10 \(W B4\): illegal \(ko\)$"):
        replay(read_sgf(KO_SGF, name="game.sgf"))
    with pytest.raises(SGFError, match=r"^move 10 "):
        replay(read_sgf(KO_SGF))


def test_occupied_and_suicide_are_errors_unless_the_rules_allow() -> None:
    with pytest.raises(SGFError, match=r"x\.sgf: move 3 \(B B4\): illegal \(occupied\)"):
        replay(read_sgf(b"(;SZ[5];B[bb];W[cc];B[bb])", name="x.sgf"))
    # White's a5 has no liberty after Black b5 and a4: suicide, legal under NZ rules (under
    # Tromp-Taylor a one-stone suicide repeats the position, which positional superko forbids).
    suicide = b"(;SZ[5]%s;B[ba];W[ee];B[ab];W[aa];B[dd])"
    with pytest.raises(SGFError, match=r"move 4 \(W A5\): illegal \(suicide\)"):
        replay(read_sgf(suicide % b""))
    g = replay(read_sgf(suicide % b"RU[NZ]"))
    assert g.board()[0, 0] == 0 and g.captures == (1, 0) and len(g.moves) == 5
    # A caller may override the record's rules.
    assert replay(read_sgf(suicide % b""), rules=Rules("area", "simple", True)).captures == (1, 0)
    with pytest.raises(SGFError, match="superko"):
        replay(read_sgf(suicide % b"RU[Tromp-Taylor]"))


def test_setup_stones_and_player_to_move() -> None:
    rec = read_sgf(b"(;SZ[9]HA[2]AB[cg][gc]KM[0.5])")
    assert rec.handicap == 2 and rec.moves == []
    assert sorted(rec.setup) == [(gtp_to_action("G7", 9), BLACK), (gtp_to_action("C3", 9), BLACK)]
    assert replay(rec).to_play == WHITE
    assert replay(read_sgf(b"(;SZ[9]AB[cg][gc]PL[B])")).to_play == BLACK
    # Mixed setup (a problem position): Black starts unless told otherwise.
    assert replay(read_sgf(b"(;SZ[9]AB[aa]AW[bb])")).to_play == BLACK
    # Compressed point lists, and AE clearing one of them.
    rec = read_sgf(b"(;SZ[9]AB[aa:bc]AE[ab])")
    assert sorted(a for a, _ in rec.setup) == [0, 1, 10, 18, 19]
    # The first move says who starts when PL is missing.
    g = replay(read_sgf(b"(;SZ[9];W[ee];B[cc])"), upto=0)
    assert g.to_play == WHITE
    g = replay(read_sgf(b"(;SZ[9]AB[cc][gg];B[ee])"), upto=0)
    assert g.to_play == BLACK and g.board()[2, 2] == BLACK


def test_main_line_comments_and_root_move() -> None:
    data = b"(;SZ[9]C[root];B[aa]C[one](;W[bb];C[no move here];B[cc]C[three])(;W[dd]C[variation]))"
    rec = read_sgf(data)
    assert rec.moves == [(0, BLACK), (10, WHITE), (20, BLACK)]
    assert rec.comments == {0: "root", 1: "one", 2: "no move here", 3: "three"}
    # A move in the root node is move 1.
    assert read_sgf(b"(;SZ[9]B[ee];W[cc])").moves == [(40, BLACK), (20, WHITE)]
    # Old-style "tt" passes on small boards.
    assert read_sgf(b"(;SZ[9];B[tt];W[])").moves == [(81, BLACK), (81, WHITE)]


def test_komi() -> None:
    assert read_sgf(b"(;SZ[9])").komi == 0.0
    assert read_sgf(b"(;SZ[9]KM[-3.5])").rules.komi == -3.5
    # Seen in real records: a converter appends a second KM; the first is the recorder's.
    rec = read_sgf(b"(;SZ[19]KM[6.5]RU[Japanese]KM[0])")
    assert rec.komi == 6.5 and rec.rules == Rules.named("japanese", komi=6.5)


def test_text_properties_survive_odd_encodings() -> None:
    rec = read_sgf("(;CA[UTF-8]SZ[9]PB[李世乭]PW[AlphaGo]RE[W+R])".encode())
    assert rec.black == "李世乭" and rec.result == "W+R"
    # No CA: ISO-8859-1 by the SGF default.
    assert read_sgf("(;SZ[9]PB[Müller])".encode("latin-1")).black == "Müller"
    # ... unless the text is valid UTF-8, as servers that omit CA write it.
    assert read_sgf("(;SZ[9]PB[柯洁]PW[Müller])".encode()).black == "柯洁"
    assert read_sgf("(;SZ[9]PB[柯洁]PW[Müller])".encode()).white == "Müller"
    # A CA nobody knows must not lose the moves.
    rec = read_sgf(b"(;CA[klingon]SZ[9]PB[x];B[ee])")
    assert rec.moves == [(40, BLACK)] and rec.black == "x"
    # Mis-encoded bytes become replacement characters instead of an error.
    assert "\ufffd" in read_sgf(b"(;CA[UTF-8]SZ[9]PW[\xff])").white


@pytest.mark.parametrize(
    "data, message",
    [
        (b"this is not sgf", "not valid SGF"),
        (b"(;GM[1]SZ[9];B[aa]", "not valid SGF"),
        (b"(;SZ[9]KM[lots])", "bad komi"),
        (b"(;SZ[9]KM[inf])", "bad komi"),
        (b"(;SZ[30])", ""),
        (b"(;SZ[1])", "board size 1"),
        (b"(;SZ[19:13])", ""),
        (b"(;GM[2]SZ[8])", "not a Go record"),
        (b"(;SZ[9]HA[two])", "bad handicap"),
        (b"(;SZ[9]PL[X])", "PL"),
        (b"(;SZ[9];B[jj])", "move 1 (B)"),
        (b"(;SZ[9];B[aa];AB[bb];W[cc])", "after move 1 are not supported"),
        (b"(;SZ[9];B[aa];W[cc]AW[bb])", "after move 1 are not supported"),
        (b"(;SZ[9]AB[aa]AW[aa])", "both AB and AW"),
        (b"(;SZ[9]AB[zz])", "bad AB"),
        (b"(;SZ[9];B[aa]W[bb])", "both B and W"),
    ],
)
def test_malformed_records_raise(data: bytes, message: str) -> None:
    with pytest.raises(SGFError) as info:
        read_sgf(data, name="bad.sgf")
    assert str(info.value).startswith("bad.sgf: ")
    assert message in str(info.value)
    assert info.value.source == "bad.sgf"


def test_unreadable_path_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sgf"
    with pytest.raises(SGFError, match="missing.sgf"):
        read_sgf(missing)
    garbage = tmp_path / "garbage.sgf"
    garbage.write_bytes(b"\x00\x01 nothing here")
    with pytest.raises(SGFError, match=r"garbage\.sgf: not valid SGF"):
        read_sgf(str(garbage))


def test_bad_setup_stone_in_record() -> None:
    # A setup stone without liberties (surrounded by the other colour) cannot be placed.
    rec = SGFGame(size=5, setup=[(1, BLACK), (5, BLACK), (0, WHITE)], source="s.sgf")
    with pytest.raises(SGFError, match=r"s\.sgf: setup stone \(W A5\): illegal"):
        replay(rec)


# ----------------------------------------------------------------------------- writing


def test_write_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "game.sgf"
    path.write_bytes(b"old contents")
    g, _ = _random_game(9, 10, seed=5)
    data = write_sgf(g, str(path))
    assert path.read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == ["game.sgf"]
    with pytest.raises(ValueError):
        write_sgf(g, comments={11: "past the end"})
    with pytest.raises(FileNotFoundError):
        write_sgf(g, tmp_path / "no" / "such" / "dir.sgf")


def test_write_marks_a_white_start_and_rules_name() -> None:
    g = Game(9)
    g.set_to_play(WHITE)
    g.play(40)
    data = write_sgf(g, rules_name="Chinese")
    assert b"PL[W]" in data and b"RU[Chinese]" in data and b"HA[" not in data
    rec = read_sgf(data)
    assert rec.moves == [(40, WHITE)] and rec.rules == Rules.named("chinese", komi=7.5)
    assert b"PL[" not in write_sgf(Game(9))


# ----------------------------------------------------------------------------- archives


def _members() -> dict[str, bytes]:
    return {
        "set/a.sgf": b"(;SZ[9];B[ee])",
        "set/sub/B.SGF": b"(;SZ[9];B[aa])",
        "set/index.csv": b"file\n",
        "set/notes.sgf.txt": b"not a record",
        "set/sub/c.Sgf": b"(;SZ[13];B[gg])",
    }


def test_iter_sgf_archive_tar_gz(tmp_path: Path) -> None:
    archive = tmp_path / "games.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, data in _members().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        folder = tarfile.TarInfo("set/dir.sgf")  # a folder, not a record
        folder.type = tarfile.DIRTYPE
        tf.addfile(folder)
    got = list(iter_sgf_archive(archive))
    assert [n for n, _ in got] == ["set/a.sgf", "set/sub/B.SGF", "set/sub/c.Sgf"]
    assert all(data == _members()[n] for n, data in got)
    assert [read_sgf(d, n).moves[0][0] for n, d in got] == [40, 0, 84]


def test_iter_sgf_archive_folder(tmp_path: Path) -> None:
    for name, data in _members().items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    got = list(iter_sgf_archive(tmp_path / "set"))
    expected = [os.path.join(tmp_path, "set", n) for n in ("a.sgf", "sub/B.SGF", "sub/c.Sgf")]
    assert [n for n, _ in got] == expected
    assert [d for _, d in got] == [
        _members()["set/" + n] for n in ("a.sgf", "sub/B.SGF", "sub/c.Sgf")
    ]
    assert list(iter_sgf_archive(expected[0])) == [got[0]]
