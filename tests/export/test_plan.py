"""The export deliverables as tasks: planned when the extra is there, keyed, reported when it is not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from backends import CATALOG
from compiler import compile_project
from studio_lang.diagnostics import render_text
from tests.compiler.helpers import keys
from tests.conftest import LUCA, ROOT, copy_example
from tests.export.conftest import with_masters
from tests.runtime.helpers import build_json, studio, tiny_copy

WITHOUT_EXPORT = {name: version for name, version in CATALOG.items() if name not in ("otio", "pdf", "exr")}


def copy(tmp_path: Path, output: str = "") -> Path:
    project = tmp_path / "luca"
    copy_example(LUCA, project)
    if output:
        path = project / "film.studio.yaml"
        path.write_text(path.read_text().replace("\noutput:\n", "\noutput:\n" + output, 1))
    return project


def test_masters_are_one_task_per_shot_from_its_keyframe_and_motion(tmp_path: Path) -> None:
    result = compile_project(copy(tmp_path, "  masters: exr\n"), backends=CATALOG)
    assert result.plan is not None, result.diagnostics
    tasks = result.plan.tasks
    masters = [t for t in tasks if t.startswith("masters:")]
    assert masters == ["masters:cove/establishing", "masters:cove/peek", "masters:cove/dare", "masters:jump/leap"]
    assert tasks["masters:cove/peek"].inputs == {"keyframe": "keyframe:cove/peek", "motion": "motion:cove/peek"}
    assert tasks["masters:cove/peek"].backend == "exr" and tasks["timeline"].backend == "otio"
    assert set(tasks["storyboard_pdf"].inputs) == {f"panel:{s}" for s in ("cove/establishing", "cove/peek",
                                                                          "cove/dare", "jump/leap")} \
        | {"speech:cove/dare/1", "speech:cove/dare/2"}  # dare is auto: its length comes from its speech
    assert tasks["panel:cove/peek"].inputs == {"keyframe": "keyframe:cove/peek"}


def test_an_action_edit_changes_the_board_and_timeline_keys_not_other_masters(tmp_path: Path) -> None:
    before = keys(compile_project(copy(tmp_path / "a", "  masters: exr\n"), backends=CATALOG))
    project = copy(tmp_path / "b", "  masters: exr\n")
    path = project / "film.studio.yaml"
    path.write_text(path.read_text().replace("peeks over a rock", "peeks over a stone"))
    after = keys(compile_project(project, backends=CATALOG))
    changed = {t for t in before if before[t] != after[t]}
    assert {"storyboard_pdf", "timeline", "masters:cove/peek"} <= changed
    assert not {"masters:cove/establishing", "masters:cove/dare", "masters:jump/leap"} & changed


def test_without_the_extra_defaults_are_left_out_with_one_note(tmp_path: Path) -> None:
    result = compile_project(copy(tmp_path), backends=WITHOUT_EXPORT)
    assert result.plan is not None
    assert not {"timeline", "storyboard_pdf"} & set(result.plan.tasks)
    assert result.plan.tasks["panel:cove/peek"].params["print"] is None  # the contact sheet's picture only
    assert render_text(result.diagnostics, result.sources) == (
        "note[W360]: timeline.otio and storyboard.pdf are not made: opentimelineio and reportlab are not installed "
        "(pip install 'studio[export]'; or turn them off in 'output')\n")
    off = compile_project(copy(tmp_path / "off", "  timeline: false\n  storyboard_pdf: {enabled: false}\n"),
                          backends=WITHOUT_EXPORT)
    assert off.diagnostics == [] and off.plan is not None


def test_asking_for_what_cannot_be_made_is_an_error_at_check_time(tmp_path: Path) -> None:
    project = copy(tmp_path, "  masters: exr\n  timeline: true\n")
    result = compile_project(project, installed=WITHOUT_EXPORT)  # as studio check compiles
    text = render_text(result.diagnostics, result.sources)
    assert [d.code for d in result.diagnostics] == ["W360", "E420", "E420"]
    assert ("film.studio.yaml:106:12: error[E420]: the EXR masters cannot be made here: the 'exr' backend needs "
            "OpenEXR and opencolorio (not installed)\n"
            "    |\n"
            "106 |   masters: exr\n"
            "    |            ^^^ install the export extra (pip install 'studio[export]'), or take 'masters' out of "
            "'output'\n") in text
    assert "error[E420]: timeline.otio cannot be made here" in text
    assert "storyboard.pdf is not made" in text  # on by default only: a note


def test_panels_per_page_takes_the_documented_grids(tmp_path: Path) -> None:
    result = compile_project(copy(tmp_path, "  storyboard_pdf: {panels_per_page: 5}\n"))
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "E205" and "panels_per_page" in diagnostic.message
    assert "1, 2, 3, 4, 6, 8, 9, 12" in (diagnostic.hint or "")


PROBE = """
import io, sys, contextlib
from runtime.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
libraries = ("opentimelineio", "reportlab", "OpenEXR", "PyOpenColorIO")
print(code, ",".join(sorted(m for m in libraries if m in sys.modules)))
"""


def test_check_plan_and_noop_builds_import_no_export_library(built: Path, export_cache: Path) -> None:
    for args in (["check", str(built)], ["plan", str(built)], ["build", str(built), "--cache", str(export_cache)],
                 ["build", str(built), "--cache", str(export_cache)]):
        out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT,
                             check=True).stdout.split()
        assert out == ["0"], (args, out)


def test_an_action_edit_remakes_the_pdf_and_the_timeline_not_other_shots_masters(
        built: Path, export_cache: Path, tmp_path: Path) -> None:
    project = with_masters(tiny_copy(LUCA, tmp_path / "luca"))
    path = project / "film.studio.yaml"
    path.write_text(path.read_text().replace("peeks over a rock", "peeks over a stone"))
    code, summary, err = build_json(project, cache=export_cache)
    assert code == 0, err
    executed = set(summary["executed"])
    assert {"keyframe:cove/peek", "storyboard_pdf", "timeline", "masters:cove/peek"} <= executed
    assert not {"masters:cove/establishing", "masters:cove/dare", "masters:jump/leap"} & executed
    report = json.loads((project / "build" / "report.json").read_text())
    assert report["outputs"]["timeline"].endswith("timeline.otio")
    assert studio("check", str(project)).returncode == 0
