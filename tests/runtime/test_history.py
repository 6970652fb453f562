"""The latest build, whatever it ran (issue 10, items 5, 14, 20): gc keeps it, ``--explain`` compares
with it, and deliverables that did not change are never rewritten."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from runtime.explain import explain
from runtime.tasks import Task
from tests.conftest import LUCA
from tests.runtime.helpers import build_json, studio, tiny_copy


def edit(project: Path, old: str, new: str) -> None:
    path = project / "film.studio.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return tiny_copy(LUCA, tmp_path / "luca")


def test_gc_after_a_revert_keeps_the_current_build(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert build_json(project, cache=cache)[0] == 0
    edit(project, "volume: 0.6", "volume: 0.3")
    assert build_json(project, cache=cache)[0] == 0
    edit(project, "volume: 0.3", "volume: 0.6")  # revert: everything is cached, nothing runs
    code, summary, _ = build_json(project, cache=cache)
    assert code == 0 and summary["executed"] == []
    (seconds,) = (cache / "history").glob("*.seconds")  # what each task took: the next build's order
    assert set(json.loads(seconds.read_bytes())) == {t["id"] for t in json.loads(
        (project / "build" / "report.json").read_text())["tasks"]}
    gc = studio("cache", "gc", str(project), "--cache", str(cache), "--format", "json")
    assert gc.returncode == 0, gc.stderr
    assert json.loads(gc.stdout)["removed_objects"] >= 2  # the edited build's soundtrack and film
    code, summary, _ = build_json(project, cache=cache)
    assert code == 0 and summary["executed"] == []  # the current build's results were all kept
    report = json.loads((project / "build" / "report.json").read_text())
    assert {t["status"] for t in report["tasks"]} == {"cached"}  # the report describes the reverted build


def test_explain_compares_with_the_previous_build_not_the_last_run(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert build_json(project, cache=cache)[0] == 0
    edit(project, "volume: 0.6", "volume: 0.3")
    assert build_json(project, cache=cache)[0] == 0
    edit(project, "volume: 0.3", "volume: 0.6")
    assert build_json(project, cache=cache)[0] == 0  # nothing ran: still the previous build
    edit(project, "Silenzio, Bruno!", "Silenzio!")
    done = studio("build", str(project), "--explain", cache=cache)
    assert done.returncode == 0, done.stderr
    soundtrack = next(line for line in done.stderr.splitlines() if line.startswith("soundtrack: "))
    assert soundtrack == "soundtrack: input speech:cove/dare/2 changed"  # the volume did not change since


def _task(text: str) -> Task:
    return Task("speech:a/b/1", "speech", "espeak", f"key-{text}", None, {"text": text}, {}, {})


def test_explain_shows_a_long_change_around_its_first_difference() -> None:
    common = "It was a dark and stormy night; the rain fell in torrents, except at occasional intervals, "
    old, new = _task(common + "when it was checked."), _task(common + "when it was stopped.")
    reason = explain(new, old.to_json(), set())
    before, after = reason.removeprefix("param text: ").split(" -> ")
    assert before != after
    assert "checked" in before and "stopped" in after
    assert before.startswith("...") and len(before) <= 3 + 60 + 3


def test_unchanged_deliverables_are_never_rewritten(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert build_json(project, cache=cache)[0] == 0
    out = project / "build"

    def stamps() -> dict[str, tuple[int, int]]:
        return {str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(out.rglob("*"))
                if p.is_file() and p.name != "report.json"}

    first = stamps()
    assert "shots/cove-dare.mp4" in first
    assert build_json(project, cache=cache)[0] == 0  # a no-op build
    assert stamps() == first
    (out / ".studio-manifest.json").unlink()  # a lost manifest: the content is checked, not rewritten
    assert build_json(project, cache=cache)[0] == 0
    assert {k: v for k, v in stamps().items() if k != ".studio-manifest.json"} == \
        {k: v for k, v in first.items() if k != ".studio-manifest.json"}
    edit(project, "volume: 0.6", "volume: 0.5")
    assert build_json(project, cache=cache)[0] == 0
    after = stamps()
    rewritten = {k for k in first if after.get(k) != first[k]}
    assert rewritten == {"final.mp4", "soundtrack.m4a", "timeline.otio", ".studio-manifest.json"}
    os.utime(out / "final.mp4")  # touched, not changed: the content check keeps it
    assert build_json(project, cache=cache)[0] == 0
    assert stamps()["final.mp4"][0] == after["final.mp4"][0]
