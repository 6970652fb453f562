"""Prompt enhancement as tasks: ``enhance:<scene>/<shot>`` of a model of kind llm, keyed and cached,
scheduled so that the language model does all its work in one residency before the image model
loads (loads at the lower bound under a budget that fits one model), explained when it re-runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compiler import compile_project
from compiler.settle import settle
from tests.runtime.helpers import build_json, studio

PROJECT = """\
studio: 1
project: {{title: Enhanced, fps: 12, resolution: [160, 96], seed: 5, style: painted, vram_gb: 1.5,
          models: {{image: {image}, video: procedural}}}}
models:
  writer: {{backend: transformers, kind: llm, weights: models/writer, vram_gb: 1}}
{image_model}styles:
  painted:
    prompt: "{{{{ action }}}}, {{{{ shot.type }}}} shot, oil painting"
    enhance: {{model: writer, instructions: {instructions}}}
  plain: {{prompt: "{{{{ action }}}}"}}
elements:
  Mira: {{kind: character, description: a girl with a red kite}}
scenes:
  - id: hill
    shots:
      - {{id: run, type: wide, duration: 1, action: "@Mira runs up the hill"}}
      - {{id: fly, duration: 1, action: "@Mira lets the kite go"}}
      - {{id: sky, duration: 1, action: "Clouds", style: plain}}
output: {{storyboard: false, subtitles: none}}
"""
TINY_SD = "  tiny-sd: {backend: diffusers, kind: image, weights: models/tiny-sd, vram_gb: 1, params: {steps: 1}}\n"


def project(root: Path, writer: Path, image: str = "procedural", instructions: str = "golden light") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "models").mkdir(exist_ok=True)
    if not (root / "models" / "writer").exists():
        shutil.copytree(writer, root / "models" / "writer")
    text = PROJECT.format(image=image, image_model=TINY_SD if image == "tiny-sd" else "", instructions=instructions)
    (root / "film.studio.yaml").write_text(text)
    return root


def test_the_plan_groups_enhancements_before_the_image_model(tmp_path: Path) -> None:
    """No model runs here: the weights only need to exist to be digested."""
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "config.json").write_text("{}")
    sd = tmp_path / "p" / "models" / "tiny-sd"
    sd.mkdir(parents=True)
    (sd / "model_index.json").write_text("{}")
    result = compile_project(project(tmp_path / "p", weights, "tiny-sd"), backends=__import__("backends").CATALOG)
    assert result.plan is not None, result.diagnostics
    plan = result.plan
    assert result.diagnostics == []
    enhance = [t for t in plan.tasks.values() if t.kind == "enhance"]
    assert [t.id for t in enhance] == ["enhance:hill/run", "enhance:hill/fly"]  # 'sky' has a style without it
    assert all(t.model is not None and t.model.name == "writer" for t in enhance)
    keyframe = plan.tasks["keyframe:hill/run"]  # type: ignore[index]
    assert keyframe.inputs == {"enhance": "enhance:hill/run"} and keyframe.params["prompt_from"] == "enhance"
    assert "prompt_from" not in plan.tasks["keyframe:hill/sky"].params  # type: ignore[index]
    order = list(plan.schedule.order)
    assert max(order.index(t.id) for t in enhance) < min(order.index(t) for t in order if t.startswith("keyframe"))
    assert plan.schedule.loads == plan.schedule.lower_bound == 3  # writer, tiny-sd, procedural: once each
    text = studio("plan", str(tmp_path / "p")).stdout
    assert "model writer (transformers): 2 tasks" in text and "enhance:hill/run" in text


def test_enhancing_for_a_model_that_reads_no_prompt_is_flagged(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "config.json").write_text("{}")
    result = compile_project(project(tmp_path / "p", weights))
    assert result.ok and [(d.code, d.span.line if d.span else 0) for d in result.diagnostics] == [("W335", 9)]


def test_a_card_of_an_enhanced_style_is_not_flagged_and_gets_no_enhancement(tmp_path: Path) -> None:
    """A card is drawn as text on the procedural model: it gets no enhance task, so it is no reason for
    W335 (which said its style's enhancements were made for nothing) while the style's other shots are
    rendered by a model that reads prompts."""
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "config.json").write_text("{}")
    root = project(tmp_path / "p", weights, "tiny-sd")
    (root / "models" / "tiny-sd").mkdir()
    (root / "models" / "tiny-sd" / "model_index.json").write_text("{}")
    text = (root / "film.studio.yaml").read_text()
    sky = '      - {id: sky, duration: 1, action: "Clouds", style: plain}\n'
    (root / "film.studio.yaml").write_text(text.replace(sky, sky + "      - {id: end, card: THE END, duration: 1}\n"))
    result = compile_project(root, backends=__import__("backends").CATALOG)
    assert result.plan is not None and result.diagnostics == [], result.diagnostics
    assert result.film is not None and result.film.shots[-1].enhance is None
    assert sorted(t for t in result.plan.tasks if t.startswith("enhance:")) == ["enhance:hill/fly", "enhance:hill/run"]


def test_the_enhanced_prompt_replaces_the_keyframes_own() -> None:
    params = {"prompt": "@Mira runs", "prompt_from": "enhance", "seed": 1}
    assert settle("keyframe", params, {"enhance": {"prompt": "Mira runs at dusk, oil"}}) == {
        "prompt": "Mira runs at dusk, oil", "seed": 1}


def test_enhancements_run_once_are_cached_and_explained(tiny_llm: Path, tmp_path: Path) -> None:
    root = project(tmp_path / "film", tiny_llm)
    code, first, err = build_json(root)
    assert code == 0, err
    assert {"enhance:hill/run", "enhance:hill/fly"} <= set(first["executed"])
    assert first["model_loads"] == first["model_loads_lower_bound"] == 2  # writer, procedural
    report = {t["id"]: t for t in json.loads((root / "build" / "report.json").read_text())["tasks"]}
    assert report["enhance:hill/run"]["meta"]["prompt"] and report["enhance:hill/run"]["model"] == "writer"
    code, again, err = build_json(root)
    assert code == 0 and again["executed"] == [] and again["model_loads"] == 0, err
    project(root, tiny_llm, instructions="blue night")
    code, third, err = build_json(root, "--explain")
    assert code == 0, err
    assert set(third["executed"]) >= {"enhance:hill/run", "enhance:hill/fly"}
    assert "keyframe:hill/sky" not in third["executed"]
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    reasons = {e["id"]: e["reason"] for e in events if e.get("event") == "explain"}
    assert reasons["enhance:hill/run"] == 'param instructions: "golden light" -> "blue night"'
    assert reasons["keyframe:hill/run"] == "input enhance:hill/run changed"


@pytest.mark.slow
def test_loads_stay_at_the_bound_with_a_real_image_model(tiny_llm: Path, tmp_path: Path) -> None:
    pytest.importorskip("diffusers")
    from bench.make_tiny_models import tiny_sd

    root = project(tmp_path / "film", tiny_llm, "tiny-sd")
    tiny_sd(root / "models" / "tiny-sd")
    code, first, err = build_json(root)
    assert code == 0, err
    assert first["model_loads"] == first["model_loads_lower_bound"] == 3
    order = [t["id"] for t in json.loads((root / "build" / "report.json").read_text())["tasks"]]
    assert all(f"enhance:hill/{s}" in order for s in ("run", "fly"))
    code, again, err = build_json(root)
    assert code == 0 and again["executed"] == [], err
