"""``end:`` on diffusers video models: which pipeline classes take an end frame (told from the project
alone, without an ML library), and the end picture in the motion task's key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.compiler.helpers import codes, compile_text, keys

COMMIT = "c" * 40


def project(end: str, params: str = "", weights: str = "vid", b_action: str = "a boat") -> str:
    return f"""\
studio: 1
project: {{title: End, models: {{video: vid}}}}
models:
  vid: {{backend: diffusers, kind: video, weights: {weights}{params}}}
scenes:
  - id: s
    shots:
      - {{id: a, duration: 1, action: "the sea"{end}}}
      - {{id: b, duration: 1, action: "{b_action}"}}
"""


def weights_dir(folder: Path, pipeline: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}")
    if pipeline is not None:
        (folder / "model_index.json").write_text(json.dumps({"_class_name": pipeline, "vae": ["diffusers", "X"]}))


@pytest.mark.parametrize(("pipeline", "params", "refused"), [
    ("LTXImageToVideoPipeline", "", False),
    ("LTXConditionPipeline", "", False),
    ("StableVideoDiffusionPipeline", "", True),
    ("CogVideoXImageToVideoPipeline", "", True),
    (None, "", False),  # the class cannot be told: the backend decides when it loads the model
    ("LTXImageToVideoPipeline", ", params: {pipeline: CogVideoXImageToVideoPipeline}", True),  # params win
    ("StableVideoDiffusionPipeline", ", params: {pipeline: LTXConditionPipeline}", False),
])
def test_the_pipeline_class_decides_whether_a_shot_may_end_on_a_picture(
        tmp_path: Path, pipeline: str | None, params: str, refused: bool) -> None:
    weights_dir(tmp_path / "vid", pipeline)
    result = compile_text(tmp_path, project(", end: {shot: s/b}", params))
    assert ("E352" in codes(result)) == refused, [d.message for d in result.diagnostics]
    assert result.ok != refused


@pytest.mark.parametrize("index", ["not json {", "[1, 2]", '{"_class_name": 7}', "x" * 70_000])
def test_an_unreadable_model_index_leaves_the_decision_to_the_backend(tmp_path: Path, index: str) -> None:
    weights_dir(tmp_path / "vid", None)
    (tmp_path / "vid" / "model_index.json").write_text(index)
    result = compile_text(tmp_path, project(", end: {shot: s/b}"))
    assert result.ok, [d.message for d in result.diagnostics]


def test_the_class_of_a_cached_hub_repo_is_read_from_its_snapshot(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    hub = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    repo = hub / "models--org--vid"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    weights_dir(repo / "snapshots" / COMMIT, "StableVideoDiffusionPipeline")
    assert "E352" in codes(compile_text(tmp_path / "p", project(", end: {shot: s/b}", weights="org/vid")))
    weights_dir(repo / "snapshots" / COMMIT, "LTXImageToVideoPipeline")
    assert compile_text(tmp_path / "p", project(", end: {shot: s/b}", weights="org/vid")).ok


def test_the_end_picture_is_an_input_of_exactly_its_motion(tmp_path: Path) -> None:
    weights_dir(tmp_path / "vid", "LTXImageToVideoPipeline")
    Image.new("RGB", (4, 4), (1, 2, 3)).save(tmp_path / "end.png")
    base = keys(compile_text(tmp_path, project("")))
    pictured = compile_text(tmp_path, project(", end: {image: end.png}"))
    assert pictured.plan is not None
    motion = pictured.plan.tasks["motion:s/a"]  # type: ignore[index]
    assert motion.params["end"] == {"file": "end"} and "end" in motion.files
    changed = {t for t, k in keys(pictured).items() if base[t] != k}
    assert changed == {"motion:s/a", "shot:s/a", "film", "timeline"}
    Image.new("RGB", (4, 4), (9, 9, 9)).save(tmp_path / "end.png")  # a changed end image: that motion again
    repainted = keys(compile_text(tmp_path, project(", end: {image: end.png}")))
    assert {t for t, k in repainted.items() if keys(pictured)[t] != k} == {"motion:s/a", "shot:s/a", "film",
                                                                            "timeline"}
    chained = keys(compile_text(tmp_path, project(", end: {shot: s/b}")))
    other = keys(compile_text(tmp_path, project(", end: {shot: s/b}", b_action="a ship")))
    # the end shot's keyframe changed: its own tasks and the motion ending on it, nothing else of shot a
    assert chained["motion:s/a"] != other["motion:s/a"] and chained["keyframe:s/a"] == other["keyframe:s/a"]


def test_compiler_and_backend_agree_on_the_pipelines_that_take_an_end() -> None:
    from backends.diffusers.motion import END_CALLS, VIDEO_PIPELINES
    from compiler.endframe import END_FRAME_PIPELINES

    assert END_FRAME_PIPELINES == {name for name, a in VIDEO_PIPELINES.items() if a.ends_with}
    assert {a.ends_with for a in VIDEO_PIPELINES.values() if a.ends_with} <= set(END_CALLS)
