"""``studio edit ... && studio build`` re-renders only what the edit touched: the edit operations
come from a chat-completions server on loopback (the outermost edge, scripted), the builds are
real (procedural pictures, eSpeak voices, ffmpeg) on a tiny copy of examples/luca."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LUCA
from tests.llm.openai_server import Reply, serve
from tests.runtime.helpers import build_json, tiny_copy

pytest.importorskip("openai")

_WHOLE_FILM = {"subtitles", "soundtrack", "film", "storyboard", "storyboard_pdf", "timeline"}


def _edit(project: Path, operations: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime.cli import main

    with serve(lambda _body: Reply(json.dumps({"operations": operations}))) as (url, received):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        assert main(["edit", str(project), "an instruction", "--llm", "openai:m"]) == 0
    assert len(received) == 1


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, set[str]]:
    project = tiny_copy(LUCA, tmp_path / "luca")
    code, summary, err = build_json(project)
    assert code == 0 and not summary["failed"], err
    return project, set(summary["executed"])


def test_an_edited_line_rerenders_that_line_only(built: tuple[Path, set[str]], monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    project, everything = built
    line = {"character": "Luca", "line": "Silenzio, Bruno! Silenzio!", "emotion": "determined"}
    _edit(project, [{"op": "set_line", "shot": "cove/dare", "number": 2, "line": line}], monkeypatch)
    assert '+            line: "Silenzio, Bruno! Silenzio!"' in capsys.readouterr().out  # its quotes kept
    code, summary, err = build_json(project)
    assert code == 0, err
    # dare lasts as long as its lines: its motion follows the new speech, as after an edit by hand
    assert set(summary["executed"]) == {"speech:cove/dare/2", "motion:cove/dare", "shot:cove/dare",
                                        "transition:cove/peek"} | _WHOLE_FILM
    assert len(summary["cached"]) == len(everything) - len(summary["executed"])


def test_an_inserted_shot_rerenders_no_other_shot(built: tuple[Path, set[str]],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys never depend on positions: the shots after the new one keep theirs. (The new shot dissolves
    into ``dare`` as ``peek`` did: a different transition into ``dare`` would change its length, and
    rightly re-render it.)"""
    project, everything = built
    shot = {"id": "gulls", "type": "wide", "camera": "pan_left", "action": "Gulls circle above @Luca",
            "dialogue": [], "duration": 3, "transition": "dissolve"}
    _edit(project, [{"op": "insert_shot", "after": "cove/peek", "shot": shot}], monkeypatch)
    code, summary, err = build_json(project)
    assert code == 0, err
    executed = set(summary["executed"])
    new = {t for t in executed if t.split(":", 1)[-1].startswith("cove/gulls")}
    assert {"keyframe:cove/gulls", "shot:cove/gulls"} <= new
    rest = executed - new - _WHOLE_FILM
    assert all(t.startswith("transition:") for t in rest), rest  # only the cuts around the new shot
    assert not {t for t in executed if not t.startswith("transition:")} & everything - _WHOLE_FILM
