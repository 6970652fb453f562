"""Backdrop tasks in real builds (issue 12): an edit of a shot's action re-runs its keyframe and leaves
the painted backdrop cached; an edit of the place repaints the backdrops of the shots that show it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import LUCA
from tests.runtime.helpers import build_json, tiny_copy


def report(project: Path) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in json.loads((project / "build" / "report.json").read_text())["tasks"]}


def edit(project: Path, old: str, new: str) -> None:
    path = project / "film.studio.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_action_edit_keeps_the_backdrop_and_a_place_edit_repaints_it(tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    cache = tmp_path / "cache"
    code, summary, err = build_json(project, cache=cache)
    assert code == 0, err
    tasks = report(project)
    backdrops = {tid for tid, t in tasks.items() if t["kind"] == "backdrop"}
    assert len(backdrops) == 4 and backdrops <= set(summary["executed"])  # each painted once
    assert all(tasks[b]["meta"]["size"] == [320, 180] for b in backdrops)
    assert not [p for p in (project / "build").rglob("*") if "backdrop" in p.name]  # not a deliverable
    peek = next(b for b in backdrops if b.startswith("backdrop:Cove/medium/"))

    edit(project, "peeks over a rock", "peeks over a stone")
    code, summary, err = build_json(project, cache=cache)
    assert code == 0, err
    executed = set(summary["executed"])
    assert "keyframe:cove/peek" in executed and not {t for t in executed if t.startswith("backdrop:")}
    assert report(project)[peek]["status"] == "cached"

    edit(project, "turquoise water", "grey water")  # the location's words: its colours
    code, summary, err = build_json(project, cache=cache)
    assert code == 0, err
    repainted = {t for t in summary["executed"] if t.startswith("backdrop:")}
    assert len(repainted) == 3 and all(t.startswith("backdrop:Cove/") for t in repainted)
    assert not repainted & backdrops  # new parameters, new ids
    after = report(project)
    assert {"keyframe:cove/establishing", "keyframe:cove/peek", "keyframe:cove/dare"} <= set(summary["executed"])
    assert "keyframe:jump/leap" not in summary["executed"]  # no location there: its place is the heading's
    assert after[next(b for b in backdrops if b.startswith("backdrop:cliff-above-the-cove/"))]["status"] == "cached"
