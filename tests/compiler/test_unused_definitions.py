"""Model names in definitions no shot uses yet are checked like the used ones: the scoring model of
gates no keyframe applies (a model config's or the project's) and the language model of a style's
prompt enhancement. A typo there is reported by ``check`` now, once, with a hint."""

from __future__ import annotations

import json
from pathlib import Path

from studio_lang.diagnostics import Diagnostic
from tests.compiler.helpers import compile_text

PROJECT = """\
studio: 1
project:
  title: Unused
  models: {{image: procedural, video: procedural}}{project_gates}
models:
  clip: {{backend: transformers, kind: embed, weights: clip}}
  writer: {{backend: transformers, kind: llm, weights: writer}}
  spare: {{backend: procedural, kind: image, gates: {{model: {spare_gates}, prompt: {{min: 0.2}}}}}}
styles:
  used: {{prompt: "{{{{ action }}}}"}}
  unused: {{prompt: "{{{{ action }}}}", enhance: {{model: {enhance}}}}}
elements:
  Ana: {{kind: character, description: a girl}}
scenes:
  - id: s
    shots:
      - {{id: a, duration: 1, action: "@Ana waves", style: {shot_style}}}
"""


def compiled(root: Path, spare_gates: str = "clip", enhance: str = "writer", project_gates: str = "",
             shot_style: str = "used") -> list[Diagnostic]:
    for name in ("clip", "writer"):
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "config.json").write_text(json.dumps({"name": name}))
    gates = f"\n  gates: {{model: {project_gates}, prompt: {{min: 0.2}}}}" if project_gates else ""
    text = PROJECT.format(spare_gates=spare_gates, enhance=enhance, project_gates=gates, shot_style=shot_style)
    return compile_text(root, text).diagnostics


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, int, str | None]]:
    return [(d.code, d.span.line if d.span else 0, d.hint) for d in diagnostics]


def test_all_spelt_right_is_clean(tmp_path: Path) -> None:
    assert compiled(tmp_path, project_gates="clip") == []


def test_a_typo_in_the_gates_of_an_unused_model_is_reported(tmp_path: Path) -> None:
    assert found(compiled(tmp_path, spare_gates="clp")) == [("E301", 8, "did you mean 'clip'?")]


def test_a_gates_model_of_the_wrong_kind_is_reported(tmp_path: Path) -> None:
    assert [d.code for d in compiled(tmp_path, spare_gates="writer")] == ["E308"]


def test_a_typo_in_project_gates_no_keyframe_applies_is_reported(tmp_path: Path) -> None:
    """Every shot renders procedurally, so no keyframe is gated: the name is still checked."""
    assert found(compiled(tmp_path, project_gates="clipp")) == [("E301", 5, "did you mean 'clip'?")]


def test_a_typo_in_the_enhancement_of_an_unused_style_is_reported(tmp_path: Path) -> None:
    assert found(compiled(tmp_path, enhance="writr")) == [("E301", 11, "did you mean 'writer'?")]
    assert [d.code for d in compiled(tmp_path / "kind", enhance="clip")] == ["E308"]


def test_a_used_style_with_a_typo_is_reported_once(tmp_path: Path) -> None:
    """Bound at its definition and again by the shot: one diagnostic (the shot also gets W335: its
    procedural image model reads no prompt)."""
    diagnostics = compiled(tmp_path, enhance="writr", shot_style="unused")
    assert [d.code for d in diagnostics if d.is_error] == ["E301"]
