"""A project with a dozen planted mistakes: every one at the right line, with the right code."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compiler import compile_project
from studio_lang.diagnostics import render_json, render_text

HERE = Path(__file__).resolve().parents[1] / "golden"


@pytest.fixture
def mistakes(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(HERE / "mistakes")
    return compile_project(Path("film.studio.yaml"))


def test_planted_mistakes_render_as_golden_text(mistakes) -> None:
    text = render_text(mistakes.diagnostics, mistakes.sources)
    golden = HERE / "mistakes.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_planted_mistakes_codes_and_lines(mistakes) -> None:
    found = [(d.span.line, d.code) for d in mistakes.diagnostics if d.span]
    assert found == [
        (5, "E201"), (6, "E204"), (7, "E204"), (8, "E301"), (16, "E303"), (21, "E204"), (27, "E305"), (32, "E205"),
        (39, "E205"), (40, "E204"), (41, "E302"), (42, "E205"), (43, "E207"), (47, "E301"), (50, "E309"),
        (51, "W301"),
    ]
    assert not mistakes.ok and mistakes.plan is None


def test_json_diagnostics_are_one_based_and_complete(mistakes) -> None:
    data = json.loads(render_json(mistakes.diagnostics))
    first = data["diagnostics"][0]
    assert first == {"severity": "error", "code": "E201", "message": "unknown key 'titel' in 'project'",
                     "file": "film.studio.yaml", "line": 5, "column": 3, "end_line": 5, "end_column": 8,
                     "hint": "did you mean 'title'?"}
    assert all(d["line"] >= 1 and d["column"] >= 1 for d in data["diagnostics"])
