"""Consistency gates in the plan: keys and check-time diagnostics (no ML library; stand-in weights)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.compiler.helpers import codes, compile_text, keys


def project(gates: str, model_gates: str = "", clip_kind: str = "embed") -> str:
    return f"""\
studio: 1
project:
  title: Gates
  models: {{image: img, video: procedural}}
  gates: {gates}
models:
  img: {{backend: diffusers, kind: image, weights: sd{model_gates}}}
  pro: {{backend: procedural, kind: image}}
  clip: {{backend: transformers, kind: {clip_kind}, weights: clip}}
elements:
  Ana: {{kind: character, description: a girl, references: [ana.png]}}
scenes:
  - id: s
    shots:
      - {{id: a, duration: 1, action: "@Ana waves"}}
      - {{id: b, duration: 1, action: "the sea", models: {{image: pro}}}}
"""


def write(root: Path, clip: str = "clip") -> None:
    from PIL import Image

    for name in ("sd", "clip"):
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "config.json").write_text(json.dumps({"name": name if name != "clip" else clip}))
    Image.new("RGB", (8, 8), (1, 2, 3)).save(root / "ana.png")


GATES = "{model: clip, identity: {min: 0.6}, prompt: {min: 0.2}, retries: 2}"


def compiled(root: Path, text: str, clip: str = "clip") -> dict[str, str]:
    write(root, clip)
    return keys(compile_text(root, text))


def test_gates_enter_only_the_gated_keyframes_keys(tmp_path: Path) -> None:
    write(tmp_path / "0")
    result = compile_text(tmp_path / "0", project(GATES))
    assert result.plan is not None, [d.message for d in result.diagnostics]
    a = result.plan.tasks["keyframe:s/a"]  # type: ignore[index]
    assert a.params["gates"]["retries"] == 2 and a.params["gates"]["identity"] == 0.6
    assert "gates:model" in a.files and a.inputs == {"layout": "layout:s/a"}  # identity: scored in masks
    assert "gates" not in result.plan.tasks["keyframe:s/b"].params  # type: ignore[index]  # procedural
    base = keys(result)
    more = compiled(tmp_path / "1", project(GATES.replace("retries: 2", "retries: 3")))
    stricter = compiled(tmp_path / "2", project(GATES.replace("0.2", "0.3")))
    other_clip = compiled(tmp_path / "3", project(GATES), clip="retrained")
    for changed in (more, stricter, other_clip):
        assert changed["keyframe:s/a"] != base["keyframe:s/a"]
        assert changed["keyframe:s/b"] == base["keyframe:s/b"] and changed["layout:s/a"] == base["layout:s/a"]
    own = compiled(tmp_path / "4", project("null", model_gates=", gates: " + GATES))
    assert own["keyframe:s/a"] == base["keyframe:s/a"]
    prompt_only = compile_text(tmp_path / "4", project("{model: clip, prompt: {min: 0.2}}"))
    assert prompt_only.plan is not None and "layout:s/a" not in prompt_only.plan.tasks


def test_gates_mistakes_are_diagnosed(tmp_path: Path) -> None:
    write(tmp_path)
    assert "E308" in codes(compile_text(tmp_path, project(GATES, clip_kind="image")))
    assert "E301" in codes(compile_text(tmp_path, project(GATES.replace("model: clip", "model: clap"))))
    assert "W350" in codes(compile_text(tmp_path, project("{model: clip}")))
    bad = compile_text(tmp_path, project("{model: clip, prompt: {min: 2}}"))
    assert bad.plan is None
    ignored = compile_text(tmp_path, project("null").replace("pro: {backend: procedural, kind: image}",
                                                            "pro: {backend: procedural, kind: image, gates: "
                                                            + GATES + "}"))
    assert codes(ignored).count("W351") == 1
