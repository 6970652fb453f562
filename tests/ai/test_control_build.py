"""`studio build` of examples/tiny-control end to end: layout tasks, ControlNet keyframes, gates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backends import CATALOG
from runtime.build import load_plan
from runtime.filecache import DigestCache
from runtime.preview import PreviewState
from runtime.store import Store
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.test_ai_build import NOOP_PROBE
from tests.conftest import ROOT, copy_example
from tests.preview.helpers import Watch
from tests.preview.test_page import browser  # noqa: F401 - the fixture
from tests.runtime.helpers import build_json, studio

TINY_CONTROL = ROOT / "examples" / "tiny-control"
pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    project = tmp_path_factory.mktemp("control") / "tiny-control"
    copy_example(TINY_CONTROL, project)
    code, summary, err = build_json(project)
    assert code == 0, err
    return project, summary


def test_tiny_control_builds_with_layouts_controlnets_and_gates(built: tuple[Path, dict]) -> None:
    project, first = built
    assert not first["failed"] and Path(first["outputs"]["film"]).is_file()
    # tiny-sd, procedural and the gates' tiny-clip (through the model manager): each loaded once
    assert first["model_loads"] == first["model_loads_lower_bound"] == 3
    assert {"layout:pier/meet", "layout:pier/point"} <= set(first["executed"])
    assert sorted(p.name for p in (project / "build" / "layout").iterdir()) == sorted(
        f"pier-{s}-{k}.png" for s in ("meet", "point") for k in ("depth", "pose", "edges"))
    report = json.loads((project / "build" / "report.json").read_text())
    tasks = {t["id"]: t for t in report["tasks"]}
    meet = tasks["keyframe:pier/meet"]["meta"]
    assert meet["pipeline"] == "StableDiffusionControlNetPipeline" and meet["controlnet"] == {"depth": 1.0, "pose": 0.8}
    assert set(report["gates"]) == {"keyframe:pier/meet", "keyframe:pier/point"}
    assert report["gates"]["keyframe:pier/meet"] == meet["gates"]
    assert set(meet["gates"]["tries"][0]["elements"]) == {"Mira"}  # scored inside her mask
    assert set(tasks["layout:pier/meet"]["meta"]["elements"]) == {"Mira", "Tom", "Pier"}
    code, second, err = build_json(project)
    assert code == 0 and second["executed"] == [] and second["model_loads"] == 0, err
    done = studio("plan", str(project))
    g = report["gates"]["keyframe:pier/meet"]
    kept = g["tries"][g["kept"]]
    assert "gates:" in done.stdout
    assert (f"keyframe:pier/meet  kept try {g['kept'] + 1} of {len(g['tries'])}, seed {kept['seed']}: "
            f"identity {kept['identity']:.3f} (min 0.2), prompt {kept['prompt']:.3f} (min 0)") in done.stdout
    shown = json.loads(studio("plan", str(project), "--format", "json").stdout)["gates"]
    assert shown == report["gates"]


def test_the_preview_shows_each_tries_seed_scores_and_verdict(built: tuple[Path, dict], browser: Any) -> None:  # noqa: F811
    """The preview's state (its JSON) and its page: the shot's detail panel lists the gate tries."""
    from playwright.sync_api import expect

    project, _ = built
    report = json.loads((project / "build" / "report.json").read_text())
    cache = project / ".studio"
    state = PreviewState(project / "build")
    plan = load_plan(project, cache, DigestCache(cache / "files.json"), [])
    store = Store(cache)
    state.planned(plan, {tid: r for tid, _, key in plan.index if (r := store.lookup(key)) is not None}, store)
    shots = {s["id"]: s for scene in state.view()["scenes"] for s in scene["shots"]}
    for name in ("meet", "point"):
        g, shown = report["gates"][f"keyframe:pier/{name}"], shots[f"pier/{name}"]["gates"]
        assert shown["kept"] == g["kept"] and shown["current"] and shown["thresholds"] == g["thresholds"]
        assert shown["tries"] == [{"seed": str(t["seed"]), **{k: t[k] for k in ("identity", "prompt", "passed")}}
                                  for t in g["tries"]]  # seeds past 2**53 stay exact in the page
    watch = Watch(project)
    try:
        page = browser.new_page()
        page.goto(watch.url)
        page.wait_for_selector("#build[data-state='idle']", timeout=120_000)
        page.locator("article.card[data-id='pier/meet']").click()
        g = report["gates"]["keyframe:pier/meet"]
        expect(page.locator("#d-gates tr")).to_have_count(len(g["tries"]))
        kept = g["tries"][g["kept"]]
        row = page.locator("#d-gates tr.kept td").all_inner_texts()
        assert row[:3] == [str(g["kept"] + 1), str(kept["seed"]), f"{kept['identity']:.3f} / 0.2"]
        assert row[4].startswith("pass" if kept["passed"] else "fail") and row[4].endswith("kept")
        assert page.locator("#d-gates-summary").inner_text().startswith(
            f"kept try {g['kept'] + 1} of {len(g['tries'])}, seed {kept['seed']}")
    finally:
        watch.close()


def test_check_plan_and_noop_build_import_no_ml_library(built: tuple[Path, dict]) -> None:
    project, _ = built
    done = subprocess.run([sys.executable, "-c", NOOP_PROBE, str(project)], capture_output=True, text=True, cwd=ROOT)
    assert json.loads(done.stdout) == {"codes": [0, 0, 0], "heavy": []}, done.stderr


@pytest.mark.slow
def test_a_blocking_edit_rerenders_that_shots_layout_and_keyframe_only(built: tuple[Path, dict],
                                                                      tmp_path: Path) -> None:
    project = tmp_path / "tiny-control"
    shutil.copytree(built[0], project)
    path = project / "film.studio.yaml"
    path.write_text(path.read_text().replace("{who: Mira, at: left}", "{who: Mira, at: center}"))
    code, summary, err = build_json(project)
    assert code == 0, err
    executed = set(summary["executed"])
    # that shot's tasks (its storyboard panel: the PDF's picture), and the whole-film outputs that show its
    # picture (the storyboards) or its clip
    panel = {"panel:pier/meet"} if "pdf" in CATALOG else set()  # planned for the PDF (the export extra)
    assert {t for t in executed if ":" in t} == {"layout:pier/meet", "keyframe:pier/meet", "motion:pier/meet",
                                                 "shot:pier/meet"} | panel
    assert {"film"} <= executed <= {
        "layout:pier/meet", "keyframe:pier/meet", "panel:pier/meet", "motion:pier/meet", "shot:pier/meet", "film",
        "storyboard", "storyboard_pdf", "timeline"}, executed
