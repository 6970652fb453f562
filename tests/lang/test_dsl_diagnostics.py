"""Planted mistakes in .studio files: each reported once, at its line and column, in words."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler import compile_project
from studio_lang.diagnostics import render_text
from tests.lang.helpers import GOLDEN, codes


def rendered(monkeypatch: pytest.MonkeyPatch, name: str) -> tuple[str, list[tuple[int, int, str]]]:
    monkeypatch.chdir(GOLDEN)
    result = compile_project(Path(name))
    found = [(d.span.line, d.span.column, d.code) for d in result.diagnostics if d.span]
    return render_text(result.diagnostics, result.sources), found


def golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


def test_syntax_mistakes_render_as_golden_text(monkeypatch: pytest.MonkeyPatch) -> None:
    text, found = rendered(monkeypatch, "syntax.studio")
    assert text == golden("syntax.txt", text)
    assert found == [
        (5, 1, "E112"),    # charcter: unknown definition, did you mean 'character'?
        (6, 29, "E111"),   # quoted text never closed
        (7, 41, "E110"),   # rate= without a value
        (12, 1, "E114"),   # action text before the scene's first shot
        (14, 5, "E110"),   # closeup is not a shot type
        (17, 10, "E110"),  # 3 needs a unit
        (20, 16, "E110"),  # -> disolve
        (26, 10, "E110"),  # unclosed parenthetical
        (35, 1, "E114"),   # action after the dialogue
        (36, 1, "E114"),   # a definition after the first SCENE
        (38, 4, "E110"),   # '[f wide': the shot id is not closed
    ]


def test_meaning_mistakes_point_into_the_dsl(monkeypatch: pytest.MonkeyPatch) -> None:
    text, found = rendered(monkeypatch, "meaning.studio")
    assert text == golden("meaning.txt", text)
    assert [(line, code) for line, _, code in found] == [
        (4, "E204"), (11, "E201"), (15, "E301"), (17, "E204"), (19, "E302"), (21, "W302"), (21, "E201"),
        (24, "E301"), (24, "W301"), (27, "W301"),
    ]


@pytest.mark.parametrize("text, code, message", [
    ('studio 1\n[a] wide\n@x\n', "E114", "a shot line must come after a SCENE line"),
    ('studio 1\ntitle "x"\n  fps 24\n', "E114", "this indented line does not continue a definition"),
    ('studio 1\nmodle m: procedural image\n', "E112", "unknown definition or setting 'modle'"),
    ('studio 1\nSCENE s\n[a] wide dissolve\n', "E110", "'dissolve' is not a shot type, duration or camera move"),
    ('studio 1\nSCENE s\n[a] wide\n    Luca walks to the door\n', "E110", "after the cue 'Luca'"),
    ('studio 1\nvoice v espeak\n', "E110", "expected ':'"),
    ('studio 1\nset x=[1, 2\n', "E110", "expected ',' or ']'"),
])
def test_messages_say_what_was_expected(text: str, code: str, message: str) -> None:
    from tests.lang.helpers import parse

    _, diagnostics = parse(text)
    assert [d.code for d in diagnostics] == [code]
    assert message in diagnostics[0].message


def test_no_cascade_after_a_broken_shot() -> None:
    text = """\
studio 1
character Luca: "a boy"
SCENE s
[a] wide 3s ->
@Luca waits

    LUCA
    Hello!

[b] wide 2s
@Luca leaves
"""
    assert codes(text) == [(4, "E110")]
