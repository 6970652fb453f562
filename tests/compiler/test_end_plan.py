"""``end:`` in the plan: keys and diagnostics."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.compiler.helpers import codes, compile_text, keys


def project(end: str, video: str = "procedural") -> str:
    return f"""\
studio: 1
project: {{title: End, models: {{video: {video}}}}}
models:
  vid: {{backend: diffusers, kind: video, weights: vid}}
scenes:
  - id: s
    shots:
      - {{id: a, duration: 1, action: "the sea"{end}}}
      - {{id: b, duration: 1, action: "a boat"}}
"""


def test_an_end_picture_enters_only_its_motion_key(tmp_path: Path) -> None:
    Image.new("RGB", (4, 4), (1, 2, 3)).save(tmp_path / "end.png")
    base = keys(compile_text(tmp_path, project("")))
    pictured = compile_text(tmp_path, project(", end: {image: end.png}"))
    assert pictured.plan is not None
    assert pictured.plan.tasks["motion:s/a"].params["end"] == {"file": "end"}  # type: ignore[index]
    changed = {t for t, k in keys(pictured).items() if base[t] != k}
    assert changed == {"motion:s/a", "shot:s/a", "film", "timeline"}  # the timeline reads the shots
    chained = compile_text(tmp_path, project(", end: {shot: s/b}"))
    assert chained.plan is not None
    assert chained.plan.tasks["motion:s/a"].inputs["end"] == "keyframe:s/b"  # type: ignore[index]
    assert list(chained.plan.tasks).index("keyframe:s/b") < list(chained.plan.tasks).index("motion:s/a")
    Image.new("RGB", (4, 4), (9, 9, 9)).save(tmp_path / "end.png")
    repainted = keys(compile_text(tmp_path, project(", end: {image: end.png}")))
    assert repainted["motion:s/a"] != keys(pictured)["motion:s/a"]


def test_end_mistakes_are_diagnosed(tmp_path: Path) -> None:
    (tmp_path / "vid").mkdir()
    (tmp_path / "vid" / "model_index.json").write_text('{"_class_name": "StableVideoDiffusionPipeline"}')
    assert "E351" in codes(compile_text(tmp_path, project(", end: {}")))
    assert "E301" in codes(compile_text(tmp_path, project(", end: {shot: s/zz}")))
    refused = compile_text(tmp_path, project(", end: {shot: s/b}", video="vid"))
    assert "E352" in codes(refused)
    e352 = next(d for d in refused.diagnostics if d.code == "E352")
    assert "StableVideoDiffusionPipeline" in e352.message and "LTXConditionPipeline" in (e352.hint or "")


STAGED = """\
studio: 1
project: {{title: End}}
elements:
  Luca: {{kind: character, description: a shy boy}}
scenes:
  - id: s
    shots:
      - {{id: a, duration: 1, action: "@Luca waits", end: {{shot: s/b}}}}
      - {{id: b, duration: 1, action: "@Luca waits"{blocking}}}
      - {{id: c, duration: 1, action: "@Luca waits"}}
"""


def test_the_end_shots_blocking_is_part_of_the_moving_shots_key(tmp_path: Path) -> None:
    """The procedural motion moves the figures to the end shot's layout (its keyframe's): moving Luca in
    shot b re-renders b (its storyboard panels) and a's motion toward it, nothing else."""
    base = keys(compile_text(tmp_path, STAGED.format(blocking="")))
    moved = keys(compile_text(tmp_path, STAGED.format(blocking=", blocking: [{who: Luca, at: far_right}]")))
    changed = {t for t, k in moved.items() if base[t] != k}
    assert changed == {"keyframe:s/b", "panel:s/b", "motion:s/b", "shot:s/b", "motion:s/a", "shot:s/a", "film",
                       "timeline", "storyboard", "storyboard_pdf"}
