"""The format's edges a new user meets first: lengths are ranges (E204), titles are one clean line,
the natural shorthands are accepted, escape codes never reach a terminal (issue 10, items 10, 13,
26, 27)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.spec import Output
from studio_lang.diagnostics import Diagnostic, Span, printable, render_text
from studio_lang.source import SourceFile
from tests.compiler.helpers import MINIMAL, codes, compile_text, keys


def rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> str:
    monkeypatch.chdir(tmp_path)
    result = compile_text(Path("."), text)
    return render_text(result.diagnostics, result.sources)


# --- item 13: a length limit is "out of range" ------------------------------------------------------------

def test_a_title_too_long_is_e204_not_a_wrong_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = MINIMAL.replace("project: {title: Tiny}", "project: {title: " + "T" * 201 + "}")
    assert rendered(tmp_path, monkeypatch, text) == f"""\
film.studio.yaml:2:18: error[E204]: 'title' '{"T" * 57}...' is out of range: is longer than 200 characters
  |
2 | project: {{title: {"T" * 83}...
  |                  {"^" * 83}
"""


@pytest.mark.parametrize(("old", "new", "words"), [
    ("project: {title: Tiny}", "project: {title: ''}", "must not be empty"),
    ("Look at it fly!", "x" * 5001, "is longer than 5000 characters"),
    ("a girl with a kite", "d" * 2001, "is longer than 2000 characters"),
])
def test_every_length_limit_is_e204(tmp_path: Path, old: str, new: str, words: str) -> None:
    result = compile_text(tmp_path, MINIMAL.replace(old, new))
    assert codes(result) == ["E204"], result.diagnostics
    assert result.diagnostics[0].message.endswith(words)


# --- item 10: control characters ---------------------------------------------------------------------------

@pytest.mark.parametrize("title", ['"\\e[31mRED\\e[0m"', '"Luca\\0"', '"two\\nlines"', '"tab\\there"', '"\\x9b2J"'])
def test_control_characters_in_a_title_are_refused(tmp_path: Path, title: str) -> None:
    result = compile_text(tmp_path, MINIMAL.replace("project: {title: Tiny}", f"project: {{title: {title}}}"))
    assert codes(result) == ["E205"]
    d = result.diagnostics[0]
    assert d.message.startswith("invalid 'title' '") and d.message.isprintable()
    assert d.hint == "one line of text: no control characters (tabs, line breaks, escape codes, NUL)"


def test_control_characters_in_a_scene_heading_are_refused(tmp_path: Path) -> None:
    result = compile_text(tmp_path, MINIMAL.replace("  - id: s1\n", '  - id: s1\n    heading: "INT. \\e[2J"\n'))
    assert codes(result) == ["E205"]
    assert result.diagnostics[0].message == "invalid 'heading' 'INT. \\x1b[2J'"


def test_names_refuse_them_already(tmp_path: Path) -> None:
    result = compile_text(tmp_path, MINIMAL.replace("  Ana: {kind", '  "A\\ena": {kind'))
    assert "E205" in codes(result)


def test_text_is_escaped_wherever_it_is_printed() -> None:
    assert printable("a\x1b[31mb\x00c\td\u202ee é") == "a\\x1b[31mb\\x00c\\x09d\\u202ee é"
    source = SourceFile("f.studio", "SCENE s\nshot a: the \x1b[2J sea\n")
    d = Diagnostic.error("E999", "bad \x1b[31m value", Span("f.studio", 2, 13, 2, 17), "not \x07 this")
    assert render_text([d], {"f.studio": source}) == """\
f.studio:2:13: error[E999]: bad \\x1b[31m value
  |
2 | shot a: the \\x1b[2J sea
  |             ^^^^^^^ not \\x07 this
"""


# --- item 26: shorthands ------------------------------------------------------------------------------------

def test_shorthands_are_accepted_and_mean_exactly_the_long_form(tmp_path: Path) -> None:
    long = MINIMAL.replace("project: {title: Tiny}", "project: {title: Tiny, resolution: [640, 360]}").replace(
        "        duration: 2\n", "        duration: 2\n        camera: {move: pan_left}\n")
    short = MINIMAL.replace("project: {title: Tiny}", "project: {title: Tiny, resolution: 640x360}").replace(
        "        duration: 2\n", "        duration: 2\n        camera: pan_left\n")
    a, b = compile_text(tmp_path / "a", long), compile_text(tmp_path / "b", short)
    assert a.ok and b.ok, (a.diagnostics, b.diagnostics)
    assert keys(a) == keys(b)
    assert b.film is not None and (b.film.width, b.film.height) == (640, 360)
    assert b.film.shots[0].camera_move == "pan_left"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("        duration: 2\n", "        duration: 2\n        camera: pan_lft\n",
     ("E205", "invalid 'move' 'pan_lft'", "did you mean 'pan_left'?")),
    ("project: {title: Tiny}", "project: {title: Tiny, resolution: big}",
     ("E202", "resolution must be written 1280x720 or [1280, 720], not 'big'", None)),
    ("project: {title: Tiny}", "project: {title: Tiny, resolution: 1280x721}",
     ("E204", "resolution 1280x721 must have even width and height", None)),
])
def test_a_wrong_shorthand_says_the_exact_form(tmp_path: Path, old: str, new: str, expected: tuple) -> None:
    result = compile_text(tmp_path, MINIMAL.replace(old, new))
    assert [(d.code, d.message, d.hint) for d in result.diagnostics] == [expected]


# --- item 27: the schema describes the value that works -------------------------------------------------------

def test_the_subtitles_description_names_the_values_that_work() -> None:
    description = Output.model_fields["subtitles"].description or ""
    assert "burn" in description and "burned" not in description.replace("(burned into", "")
    for word in ("none", "soft", "burn"):
        assert f"{word} " in description or f"{word}," in description or f"{word} (" in description
