"""Layout tasks in the plan and ControlNet model parameters: keys and check-time diagnostics.

No ML library: the weights are a few bytes standing in for real ones (the compiler only digests them).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.compiler.helpers import codes, compile_text, keys


def project(controlnet: str, blocking: str = "", extra: str = "") -> str:
    return f"""\
studio: 1
project:
  title: Control
  models: {{image: img, video: procedural}}
models:
  img:
    backend: diffusers
    kind: image
    weights: sd
    params: {{steps: 2, controlnet: {controlnet}}}
{extra}
elements:
  Ana: {{kind: character, description: a girl in a red coat}}
  Bo: {{kind: character, description: a boy}}
scenes:
  - id: s
    shots:
      - {{id: a, type: wide, duration: 1, action: "@Ana waves at @Bo"{blocking}}}
      - {{id: b, duration: 1, action: "@Bo sits", models: {{image: procedural}}}}
"""


def write_weights(root: Path) -> None:
    for name in ("sd", "cn-depth", "cn-pose"):
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "config.json").write_text(json.dumps({"name": name}))


DEPTH = "{weights: cn-depth, kind: depth, scale: 0.8}"
POSE = "{weights: cn-pose, kind: pose}"


def compiled(tmp_path: Path, text: str) -> dict[str, str]:
    write_weights(tmp_path)
    return keys(compile_text(tmp_path, text))


def test_a_controlnet_model_plans_a_layout_task_as_its_keyframes_input(tmp_path: Path) -> None:
    write_weights(tmp_path)
    result = compile_text(tmp_path, project(f"[{DEPTH}, {POSE}]"))
    assert result.plan is not None, [d.message for d in result.diagnostics]
    tasks = result.plan.tasks
    assert tasks["keyframe:s/a"].inputs == {"layout": "layout:s/a"}  # type: ignore[comparison-overlap]
    assert tasks["layout:s/a"].backend == "procedural" and tasks["layout:s/a"].model is None
    assert "layout:s/b" not in tasks  # a procedural keyframe stages itself
    assert tasks["layout:s/a"].params["action"] == "Ana waves at Bo"
    roles = sorted(a.role for a in tasks["keyframe:s/a"].model.adapters)  # type: ignore[union-attr]
    assert roles == ["controlnet:depth", "controlnet:pose"]


def test_keys_follow_the_layout_and_the_controlnets_not_their_order(tmp_path: Path) -> None:
    base = compiled(tmp_path / "1", project(f"[{DEPTH}, {POSE}]"))
    swapped = compiled(tmp_path / "2", project(f"[{POSE}, {DEPTH}]"))
    assert swapped == base
    moved = compiled(tmp_path / "3", project(f"[{DEPTH}, {POSE}]", ", blocking: [{who: Ana, at: right}]"))
    assert moved["layout:s/a"] != base["layout:s/a"] and moved["keyframe:s/a"] != base["keyframe:s/a"]
    assert moved["keyframe:s/b"] == base["keyframe:s/b"]
    weaker = compiled(tmp_path / "4", project(f"[{DEPTH.replace('0.8', '0.5')}, {POSE}]"))
    assert weaker["layout:s/a"] == base["layout:s/a"] and weaker["keyframe:s/a"] != base["keyframe:s/a"]
    other = tmp_path / "5"
    write_weights(other)
    (other / "cn-pose" / "config.json").write_text('{"name": "other"}')
    retrained = keys(compile_text(other, project(f"[{DEPTH}, {POSE}]")))
    assert retrained["layout:s/a"] == base["layout:s/a"] and retrained["keyframe:s/a"] != base["keyframe:s/a"]


def test_controlnet_mistakes_are_diagnosed(tmp_path: Path) -> None:
    write_weights(tmp_path)
    bad_kind = compile_text(tmp_path / "k", project("{weights: cn-depth, kind: canny}"))
    assert "E313" in codes(bad_kind)
    assert any("did you mean 'edges'" in d.message or "depth, pose, edges" in d.message for d in bad_kind.diagnostics)
    write_weights(tmp_path / "k2")
    twice = compile_text(tmp_path / "k2", project(f"[{DEPTH}, {DEPTH}]"))
    assert any("two ControlNets of kind depth" in d.message for d in twice.diagnostics)
    write_weights(tmp_path / "m")
    missing = compile_text(tmp_path / "m", project("{weights: ./nowhere, kind: depth}"))
    assert missing.plan is None and any("nowhere" in d.message for d in missing.diagnostics)
    assert [d.span.line for d in missing.diagnostics if "nowhere" in d.message] == [10]  # the controlnet line
    video = project(DEPTH, extra="  vid: {backend: diffusers, kind: video, weights: sd, params: {controlnet: "
                    + DEPTH + "}}")
    write_weights(tmp_path / "v")
    assert "E312" in codes(compile_text(tmp_path / "v", video))
