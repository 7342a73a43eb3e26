"""Reading, replaying and writing SGF game records, and streaming them out of archives.

`read_sgf` turns one record (main line only) into an `SGFGame`: plain data in action
coordinates, with the rule set derived from RU. `replay` rebuilds a `Game` from it and is
strict on purpose: a move the rules forbid raises `SGFError` naming the file, the move number,
the vertex and the reason, because training on a silently "repaired" record teaches wrong
moves. `write_sgf` is the inverse for a `Game`. `iter_sgf_archive` yields the records of a
.tar.gz archive or a folder one at a time, so that large collections never sit in memory.
"""

from __future__ import annotations

import math
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sgfmill import sgf, sgf_grammar

import go_engine
from go_engine.coords import CoordinateError, action_to_gtp, action_to_sgf, sgf_to_action
from go_engine.files import atomic_write
from go_engine.game import Game, IllegalMoveError
from go_engine.rules import Rules
from go_engine.state import BLACK, MAX_SIZE, MIN_SIZE, WHITE

_COLOR_OF = {"b": BLACK, "w": WHITE}
_LETTER_OF = {BLACK: "B", WHITE: "W"}

# RU values seen in the wild, normalised (lower case, no spaces, hyphens or underscores).
_RU_PRESETS = {
    "chinese": "chinese",
    "cn": "chinese",
    "japanese": "japanese",
    "jp": "japanese",
    "korean": "korean",
    "kr": "korean",
    "aga": "aga",
    "american": "aga",
    "nz": "nz",
    "newzealand": "nz",
    "tromptaylor": "tromp-taylor",
    "tt": "tromp-taylor",
}
# The RU name written for each preset; Korean and AGA rules equal Japanese and Chinese here.
_RU_NAMES = [
    ("tromp-taylor", "Tromp-Taylor"),
    ("chinese", "Chinese"),
    ("japanese", "Japanese"),
    ("nz", "NZ"),
]
# Rules that match no preset are written as e.g. "go-engine:area,simple,suicide" so that they
# survive a round trip; other programs see an unknown RU and fall back to their defaults.
_CUSTOM_RU_PREFIX = "go-engine:"


class SGFError(ValueError):
    """A record that cannot be read or replayed; the message names the file when known."""

    def __init__(
        self,
        message: str,
        source: str | None = None,
        move_number: int | None = None,
        vertex: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.source = source
        self.move_number = move_number
        self.vertex = vertex
        self.reason = reason
        super().__init__(f"{source}: {message}" if source else message)


@dataclass
class SGFGame:
    """One game record's main line, in action coordinates (see coords.py).

    komi is 0.0 when the record has no KM (as sgfmill reads it); handicap is HA, 0 when absent;
    first_player is the colour named by PL, or None; comments maps 0 to the root comment and
    k >= 1 to the comment on move k (comments on move-less nodes join the previous move's).
    """

    size: int
    komi: float = 0.0
    rules: Rules = field(default_factory=Rules)
    rules_name: str | None = None  # RU as written in the record
    handicap: int = 0
    setup: list[tuple[int, int]] = field(default_factory=list)  # (action, colour)
    first_player: int | None = None
    moves: list[tuple[int, int]] = field(default_factory=list)  # (action, colour), passes too
    result: str | None = None
    black: str = ""
    white: str = ""
    comments: dict[int, str] = field(default_factory=dict)
    source: str | None = None

    @property
    def start_player(self) -> int:
        """Who moves first: PL if given, else the first move's colour, else White after
        handicap stones (Black setup stones only) and Black otherwise."""
        if self.first_player is not None:
            return self.first_player
        if self.moves:
            return self.moves[0][1]
        if self.setup and all(c == BLACK for _, c in self.setup):
            return WHITE
        return BLACK


# ----------------------------------------------------------------------------- rules


def rules_from_ru(ru: str | None, komi: float) -> Rules:
    """The Rules an SGF RU value stands for, with `komi`; unknown or missing -> Rules()."""
    if ru:
        text = ru.strip()
        if text.lower().startswith(_CUSTOM_RU_PREFIX):
            parts = [p.strip() for p in text[len(_CUSTOM_RU_PREFIX) :].split(",")]
            if len(parts) == 3 and parts[2] in ("suicide", "nosuicide"):
                try:
                    return Rules(parts[0], parts[1], parts[2] == "suicide", float(komi))
                except ValueError:
                    pass
        key = "".join(ch for ch in text.lower() if ch not in " -_")
        if key in _RU_PRESETS:
            return Rules.named(_RU_PRESETS[key], komi=float(komi))
    return Rules().with_komi(float(komi))


def rules_to_ru(rules: Rules) -> str | None:
    """The RU value for `rules` (komi aside); None for the default Rules(), which is what a
    reader assumes when RU is missing."""
    for preset, name in _RU_NAMES:
        if Rules.named(preset, komi=rules.komi) == rules:
            return name
    if Rules().with_komi(rules.komi) == rules:
        return None
    suicide = "suicide" if rules.suicide else "nosuicide"
    return f"{_CUSTOM_RU_PREFIX}{rules.scoring},{rules.ko},{suicide}"


# ----------------------------------------------------------------------------- reading


def _parse(data: bytes, source: str | None) -> sgf.Sgf_game:
    try:
        tree = sgf_grammar.parse_sgf_game(data)
    except ValueError as e:
        raise SGFError(f"not valid SGF: {e}", source) from None
    try:
        return sgf.Sgf_game.from_coarse_game_tree(tree)
    except ValueError as e:
        if "encoding" not in str(e):
            raise SGFError(f"bad root node: {e}", source) from None
    # An unknown CA value should not cost the moves: text is decoded leniently anyway.
    tree = sgf_grammar.parse_sgf_game(data)
    try:
        return sgf.Sgf_game.from_coarse_game_tree(tree, override_encoding="UTF-8")
    except ValueError as e:
        raise SGFError(f"bad root node: {e}", source) from None


def _text(
    node: sgf.Tree_node, ident: str, encodings: tuple[str, ...], simple: bool = True
) -> str | None:
    """A text property in the first of `encodings` that decodes it; never fails on bad bytes
    (names are often mis-encoded), the last encoding replacing what it cannot read."""
    if not node.has_property(ident):
        return None
    raw = node.get_raw(ident)
    value = sgf_grammar.simpletext_value(raw) if simple else sgf_grammar.text_value(raw)
    for encoding in encodings[:-1]:
        try:
            return value.decode(encoding)
        except UnicodeDecodeError:
            pass
    return value.decode(encodings[-1], "replace")


def _setup_points(node: sgf.Tree_node, ident: str, size: int, source: str | None) -> list[int]:
    try:
        points = node.get(ident)
    except KeyError:
        return []
    except ValueError:
        raw = b",".join(node.get_raw_list(ident)).decode("ascii", "replace")
        raise SGFError(f"bad {ident} setup points [{raw}]", source) from None
    return sorted((size - 1 - r) * size + c for r, c in points)


def _komi(root: sgf.Tree_node, source: str | None) -> float:
    """KM, 0.0 when absent. A repeated KM (some records carry KM[6.5]...KM[0], the second added
    by a converter) counts by its first value, where sgfmill would reject the whole record."""
    if not root.has_property("KM"):
        return 0.0
    raw = root.get_raw("KM")
    try:
        komi = float(raw)
    except ValueError:
        komi = math.nan
    if not math.isfinite(komi):
        raise SGFError(f"bad komi KM[{raw.decode('ascii', 'replace')}]", source)
    return komi


def read_sgf(path_or_bytes: str | os.PathLike | bytes, name: str | None = None) -> SGFGame:
    """Read one SGF record (bytes or a file path); main line only.

    `name` is used in error messages and as SGFGame.source (default: the path). Setup stones
    are read from the root only; AB/AW/AE later in the game raise SGFError.
    """
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data = bytes(path_or_bytes)
        source = name
    else:
        source = name or os.fspath(path_or_bytes)
        try:
            data = Path(path_or_bytes).read_bytes()
        except OSError as e:
            raise SGFError(f"cannot read: {e.strerror or e}", source) from None
    game = _parse(data, source)
    size = game.get_size()
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise SGFError(f"board size {size} is not supported ({MIN_SIZE}..{MAX_SIZE})", source)
    root = game.get_root()
    # Without CA the SGF default is ISO-8859-1, but modern servers write UTF-8 and omit CA;
    # text that is valid UTF-8 is almost never meant as Latin-1.
    if root.has_property("CA"):
        encoding: tuple[str, ...] = (root.get_encoding(),)
    else:
        encoding = ("UTF-8", root.get_encoding())
    try:
        gm = int(root.get_raw("GM")) if root.has_property("GM") else 1
    except ValueError:
        gm = -1
    if gm != 1:
        raise SGFError(
            f"not a Go record (GM[{root.get_raw('GM').decode(errors='replace')}])", source
        )

    komi = _komi(root, source)
    try:
        handicap = int(root.get_raw("HA")) if root.has_property("HA") else 0
    except ValueError:
        raise SGFError(f"bad handicap HA[{_text(root, 'HA', encoding)}]", source) from None
    first_player = None
    if root.has_property("PL"):
        pl = root.get_raw("PL").decode("ascii", "replace").strip().lower()
        if pl not in _COLOR_OF:
            raise SGFError(f"bad player to move PL[{pl}]", source)
        first_player = _COLOR_OF[pl]

    rules_name = _text(root, "RU", encoding)
    out = SGFGame(
        size=size,
        komi=komi,
        rules=rules_from_ru(rules_name, komi),
        rules_name=rules_name,
        handicap=handicap,
        first_player=first_player,
        result=_text(root, "RE", encoding),
        black=_text(root, "PB", encoding) or "",
        white=_text(root, "PW", encoding) or "",
        source=source,
    )

    black = _setup_points(root, "AB", size, source)
    white = _setup_points(root, "AW", size, source)
    both = sorted(set(black) & set(white))
    if both:
        where = action_to_gtp(both[0], size)
        raise SGFError(f"setup point {where} is in both AB and AW", source)
    # AE in the root can only clear points of the empty board, or of the AB/AW just above.
    empty = set(_setup_points(root, "AE", size, source))
    out.setup = sorted(
        [(a, BLACK) for a in black if a not in empty]
        + [(a, WHITE) for a in white if a not in empty]
    )

    try:
        sequence = game.get_main_sequence()
    except ValueError as e:
        raise SGFError(f"not valid SGF: {e}", source) from None
    for i, node in enumerate(sequence):
        if i > 0 and node.has_setup_stones():
            raise SGFError(
                f"setup stones (AB/AW/AE) after move {len(out.moves)} are not supported", source
            )
        if node.has_property("B") and node.has_property("W"):
            raise SGFError(f"a node after move {len(out.moves)} has both B and W", source)
        colour, raw = node.get_raw_move()
        if colour is not None:
            number = len(out.moves) + 1
            try:
                action = sgf_to_action(raw.decode("ascii", "replace"), size)
            except CoordinateError as e:
                raise SGFError(f"move {number} ({colour.upper()}): {e}", source, number) from None
            out.moves.append((action, _COLOR_OF[colour]))
        comment = _text(node, "C", encoding, simple=False)
        if comment:
            key = len(out.moves)
            out.comments[key] = (
                f"{out.comments[key]}\n\n{comment}" if key in out.comments else comment
            )
    return out


# ----------------------------------------------------------------------------- replay


def _illegal(
    game: SGFGame, number: int, label: str, action: int, colour: int, error: IllegalMoveError
) -> SGFError:
    """The SGFError for an illegal setup stone (number 0) or move of `game`."""
    vertex = action_to_gtp(action, game.size)
    return SGFError(
        f"{label} ({_LETTER_OF[colour]} {vertex}): illegal ({error.reason})",
        game.source,
        number,
        vertex,
        error.reason,
    )


def replay(game: SGFGame, upto: int | None = None, *, rules: Rules | None = None) -> Game:
    """A Game at move `upto` of `game` (None: all moves), under the record's rules.

    `rules` overrides the record's rule set (e.g. simple ko for old records whose triple ko
    breaks superko). Any illegal setup stone or move raises SGFError.
    """
    n_moves = len(game.moves)
    if upto is None:
        upto = n_moves
    if not 0 <= upto <= n_moves:
        raise ValueError(f"upto={upto} is outside 0..{n_moves} (the record's moves)")
    g = Game(game.size, rules or game.rules)
    for action, colour in game.setup:
        try:
            g.place_setup(action, colour)
        except IllegalMoveError as e:
            raise _illegal(game, 0, "setup stone", action, colour, e) from None
    g.set_to_play(game.start_player)
    for i, (action, colour) in enumerate(game.moves[:upto]):
        try:
            g.play(action, colour)
        except IllegalMoveError as e:
            raise _illegal(game, i + 1, f"move {i + 1}", action, colour, e) from None
    return g


# ----------------------------------------------------------------------------- writing


def write_sgf(
    game: Game,
    path: str | os.PathLike | None = None,
    *,
    result: str | None = None,
    black: str = "",
    white: str = "",
    comments: dict[int, str] | None = None,
    rules_name: str | None = None,
) -> bytes:
    """The SGF record of `game` (UTF-8), also written atomically to `path` when given.

    comments: key 0 is the root, key k the node of move k (1-based). rules_name overrides
    the RU value derived from game.rules. HA is written when the setup is two or more Black
    stones with White to move first; PL whenever a reader could not infer who starts.
    """
    size = game.size
    comments = dict(comments or {})
    bad = [k for k in comments if not 0 <= k <= len(game.moves)]
    if bad:
        raise ValueError(f"comment keys {bad} are outside 0..{len(game.moves)}")
    out = sgf.Sgf_game(size, encoding="UTF-8")
    root = out.get_root()
    root.set("AP", ("go-engine", go_engine.__version__))
    root.set("KM", game.komi)
    ru = rules_name if rules_name is not None else rules_to_ru(game.rules)
    if ru:
        root.set("RU", ru)
    if result:
        root.set("RE", result)
    if black:
        root.set("PB", black)
    if white:
        root.set("PW", white)

    start = game.moves[0][1] if game.moves else game.to_play
    setup = sorted(game.setup)  # the order of setup stones carries no meaning
    ab = [action_to_sgf(a, size).encode() for a, c in setup if c == BLACK]
    aw = [action_to_sgf(a, size).encode() for a, c in setup if c == WHITE]
    if ab:
        root.set_raw_list("AB", ab)
    if aw:
        root.set_raw_list("AW", aw)
    if len(ab) >= 2 and not aw and start == WHITE:
        root.set("HA", len(ab))
    if start == WHITE or game.setup:
        root.set("PL", _LETTER_OF[start].lower())
    if comments.get(0):
        root.set("C", comments[0])

    node = root
    for i, (action, colour) in enumerate(game.moves):
        node = node.new_child()
        node.set_raw(_LETTER_OF[colour], action_to_sgf(action, size).encode())
        if comments.get(i + 1):
            node.set("C", comments[i + 1])
    data = out.serialise()
    if path is not None:
        atomic_write(path, data)
    return data


# ----------------------------------------------------------------------------- archives


def iter_sgf_archive(path: str | os.PathLike) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every .sgf record (any case) in a tar archive (.tar.gz, .tgz, .tar,
    ...) or under a folder (or a single .sgf file), one at a time.

    Archive members come in archive order with their member names; a folder is walked in
    sorted order and yields paths joined onto `path`. The archive is read as a stream, so its
    size does not matter.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        for folder, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.lower().endswith(".sgf"):
                    full = os.path.join(folder, name)
                    with open(full, "rb") as f:
                        yield full, f.read()
        return
    if path.lower().endswith(".sgf"):
        with open(path, "rb") as f:
            yield path, f.read()
        return
    # "r|*": sequential reading with any compression; members are read in turn, never seeked.
    with tarfile.open(path, mode="r|*") as tf:
        for member in tf:
            if not member.isfile() or not member.name.lower().endswith(".sgf"):
                continue
            f = tf.extractfile(member)
            if f is None:
                continue
            yield member.name, f.read()
