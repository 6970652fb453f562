"""The DSL parsed block by block with a memo (``studio_lang.dsl.blocks``) gives exactly what a parse
from scratch gives, edit after edit: the same tree, the same diagnostics (codes, spans, messages,
hints), for the parser alone and for the whole compile the language server runs."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.pipeline import compile_source
from studio_lang.dsl import blocks
from studio_lang.dsl.syntax import parse_dsl
from studio_lang.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
BASES = [
    (ROOT / "examples/paper-boat/film.studio").read_text(encoding="utf-8"),
    (ROOT / "tests/lang/golden/syntax.studio").read_text(encoding="utf-8"),
]
PIECES = ["\n", " ", "    ", "x", "@", '"', "[", "]", ":", "=", "(", ")", "#", "\n\n", "SCENE ",
          "SCENE extra: INT. HALL - DAY\n", "[more] wide 3s\n", "@Nina waves\n", "    NINA\n    Hello.\n",
          "character Zed: @Zed \"a man\"\n", "3s", "->"]

edit = st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "duplicate line", "join lines"]),
                 st.sampled_from(PIECES), st.integers(1, 60))


def apply(text: str, where: float, op: str, piece: str, size: int) -> str:
    pos = int(where * len(text))
    if op == "insert":
        return text[:pos] + piece + text[pos:]
    if op == "delete":
        return text[:pos] + text[pos + size:]
    lines = text.split("\n")
    i = min(int(where * len(lines)), len(lines) - 1)
    if op == "duplicate line":
        lines.insert(min(i + size % 5, len(lines)), lines[i])
        return "\n".join(lines)
    nl = text.find("\n", pos)  # join lines: a scene's first line may join the line above
    return text if nl < 0 else text[:nl] + text[nl + 1:]


def parsed(name: str, text: str) -> tuple[str, list[str]]:
    project, diagnostics = parse_dsl(SourceFile(name, text))
    return repr(project.root), [repr(d) for d in diagnostics]


def compiled(tmp: Path, text: str) -> list[str]:
    result = compile_source(SourceFile("film.studio", text, tmp / "film.studio"), tmp)
    return [repr(d) for d in result.diagnostics]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(BASES), edits=st.lists(edit, min_size=1, max_size=12))
def test_memoised_parse_equals_a_parse_from_scratch(base: str, edits: list) -> None:
    blocks.clear()
    text = base
    parsed("film.studio", text)  # the memo now holds the blocks of the original
    for where, op, piece, size in edits:
        text = apply(text, where, op, piece, size)
        memoised = parsed("film.studio", text)
        blocks.clear()
        assert memoised == parsed("film.studio", text), text
        parsed("film.studio", apply(text, 1 - where, "insert", piece, size))  # the memo holds a neighbour too


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(edit, min_size=1, max_size=6))
def test_memoised_compile_equals_a_compile_from_scratch(tmp_path_factory: object, edits: list) -> None:
    tmp = Path(tmp_path_factory.mktemp("film"))  # type: ignore[attr-defined]
    text = BASES[0]
    compiled(tmp, text)
    for where, op, piece, size in edits:
        text = apply(text, where, op, piece, size)
        memoised = compiled(tmp, text)
        blocks.clear()
        assert memoised == compiled(tmp, text), text


def scenes(text: str) -> list:
    project, _ = parse_dsl(SourceFile("film.studio", text))
    assert project.root is not None
    return list(project.root.get("scenes").items)  # type: ignore[union-attr]


def test_an_edit_in_one_scene_rebuilds_that_scene_only() -> None:
    blocks.clear()
    text = BASES[0]
    before = scenes(text)
    assert len(before) >= 2
    at = text.index("@Nina", text.index("\nSCENE"))  # in the first scene
    edited = text[:at] + "@Nina quietly" + text[at + len("@Nina"):]
    after = scenes(edited)
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a is not b]
    assert len(changed) == 1  # the other scenes are the very nodes of the last parse
    blocks.clear()
    assert [repr(s) for s in after] == [repr(s) for s in scenes(edited)]


def test_lines_inserted_above_move_the_scenes_below() -> None:
    blocks.clear()
    text = BASES[0]
    first = text.index("\nSCENE") + 1
    scenes(text)
    moved = text[:first] + "\n\n\n" + text[first:]
    after = scenes(moved)
    blocks.clear()
    fresh = scenes(moved)
    assert [repr(s) for s in after] == [repr(s) for s in fresh]
    assert after[0].span.line == fresh[0].span.line == text[:first].count("\n") + 4


def test_a_definition_changes_the_scenes_that_name_it() -> None:
    """Cues are matched to characters: renaming a character re-reads the scenes below."""
    blocks.clear()
    text = BASES[0]
    _, before = parse_dsl(SourceFile("film.studio", text))
    assert not [d for d in before if d.code.startswith("E")]
    renamed = text.replace("character Nina:", "character Nadia:", 1)
    assert renamed != text
    memoised = parsed("film.studio", renamed)
    blocks.clear()
    assert memoised == parsed("film.studio", renamed)
