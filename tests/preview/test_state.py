"""What the preview's state makes of a build's events: stale shots keep their picture and say why they
run, running shots show progress, a failed task marks its shot failed with the message, a skipped one
its shot skipped; a plan with errors shows its diagnostics and keeps the last storyboard."""

from __future__ import annotations

import json
import queue
from pathlib import Path
from typing import Any

import pytest

from runtime.build import BuildOptions, build, load_plan
from runtime.filecache import DigestCache
from runtime.preview import PreviewState
from runtime.store import Store
from tests.conftest import LUCA
from tests.runtime.helpers import tiny_copy


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tiny_copy(LUCA, tmp_path_factory.mktemp("state") / "luca")
    assert build(BuildOptions(project, jobs=2)) == 0
    return project


def shots(state: PreviewState) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for scene in state.view()["scenes"] for s in scene["shots"]}


def messages(q: queue.Queue[str | None]) -> list[dict[str, Any]]:
    out = []
    while not q.empty():
        item = q.get_nowait()
        if item is not None:
            out.append(json.loads(item))
    return out


def test_a_build_as_the_page_sees_it(project: Path) -> None:
    cache = project / ".studio"
    store = Store(cache)
    state = PreviewState(project / "build")
    plan = load_plan(project, cache, DigestCache(cache / "files.json"), [])
    cached = {tid: r for tid, _, key in plan.index if (r := store.lookup(key)) is not None}
    state.planned(plan, cached, store)
    first = shots(state)
    assert all(s["status"] == "cached" and s["keyframe"] for s in first.values())
    assert all(t["seconds"] is not None for t in first["cove/dare"]["tasks"])  # from the last report
    dare = first["cove/dare"]
    assert dare["auto"] and dare["duration"] > 0  # the clip's own length
    assert not first["cove/peek"]["auto"] and first["cove/peek"]["duration"] == 2.5

    path = project / "film.studio.yaml"
    path.write_text(path.read_text().replace("@Luca peeks over a rock", "@Luca and @Alberto peek over a rock"))
    page = state.subscribe()
    assert messages(page)[0]["type"] == "snapshot"
    plan = load_plan(project, cache, DigestCache(cache / "files.json"), [])
    cached = {tid: r for tid, _, key in plan.index if (r := store.lookup(key)) is not None}
    state.planned(plan, cached, store)
    peek = shots(state)["cove/peek"]
    assert peek["status"] == "stale" and peek["keyframe"] == first["cove/peek"]["keyframe"]  # until the new one
    assert peek["action"] == "Luca and Alberto peek over a rock at the water"
    reasons = {t["id"]: t["reason"] for t in peek["tasks"]}
    assert reasons["keyframe:cove/peek"].startswith("param action: ")
    assert reasons["motion:cove/peek"] == "input keyframe:cove/peek changed"
    assert state.view()["build"]["state"] == "building"

    tasks = plan.tasks
    state.started(tasks["keyframe:cove/peek"])
    state.step(tasks["keyframe:cove/peek"], 1, 2)
    assert shots(state)["cove/peek"]["status"] == "running"
    state.finished(tasks["keyframe:cove/peek"], "failed", 0.5, "the model ran out of memory")
    state.finished(tasks["motion:cove/peek"], "skipped", 0.0)
    peek = shots(state)["cove/peek"]
    assert peek["status"] == "failed" and peek["message"] == "keyframe:cove/peek: the model ran out of memory"
    sent = messages(page)
    assert {m["type"] for m in sent} == {"snapshot", "shot", "build"}
    assert all(m["shot"]["id"] == "cove/peek" for m in sent if m["type"] == "shot")
    state.done(1, None)
    assert state.view()["build"]["state"] == "failed"
    assert shots(state)["cove/establishing"]["status"] == "cached"  # untouched


def test_a_project_with_errors_shows_them_and_keeps_the_storyboard(project: Path) -> None:
    cache = project / ".studio"
    store = Store(cache)
    state = PreviewState(project / "build")
    plan = load_plan(project, cache, DigestCache(cache / "files.json"), [])
    state.planned(plan, {}, store)
    dare = shots(state)["cove/dare"]
    assert dare["auto"] and dare["duration"] is None  # no speech yet: its length is not known
    path = project / "film.studio.yaml"
    text = path.read_text()
    path.write_text(text.replace("type: close_up", "type: closeup"))
    try:
        broken = load_plan(project, cache, DigestCache(cache / "files.json"), [])
        assert not broken.ok
        state.planned(broken, {}, store)
        state.done(1, None)
    finally:
        path.write_text(text)
    view = state.view()
    assert view["build"]["state"] == "errors"
    [error] = view["diagnostics"]
    assert error["code"] == "E205" and error["hint"] == "did you mean 'close_up'?"
    assert len(shots(state)) == 4
