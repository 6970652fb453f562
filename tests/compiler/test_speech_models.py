"""``models: {speech: ...}`` on a shot or a scene: the voice of its characters who have none.

Found by tests/compiler/test_key_coverage.py: the field was accepted but read by nothing, so an
unknown model name there was not even reported.
"""

from __future__ import annotations

from pathlib import Path

from tests.compiler.helpers import codes, compile_text

PROJECT = """\
studio: 1
project: {{title: Voices}}
models:
  other: {{backend: espeak, kind: speech}}
elements:
  Ana: {{kind: character, description: a girl}}
  Bo: {{kind: character, description: a boy, voice: bo}}
voices:
  bo: {{pitch: 30}}
scenes:
  - id: s
    {scene}
    shots:
      - id: a
        {shot}
        dialogue:
          - {{character: Ana, line: "Hello."}}
          - {{character: Bo, line: "Hi."}}
"""


def speech_models(tmp_path: Path, scene: str = "", shot: str = "") -> dict[str, str]:
    result = compile_text(tmp_path, PROJECT.format(scene=scene, shot=shot))
    assert result.plan is not None, result.diagnostics
    return {t.id: t.model.name for t in result.plan.tasks.values() if t.kind == "speech" and t.model}


def test_a_shot_or_scene_speech_model_voices_the_characters_without_a_voice(tmp_path: Path) -> None:
    assert speech_models(tmp_path / "a") == {"speech:s/a/1": "espeak", "speech:s/a/2": "espeak"}
    assert speech_models(tmp_path / "b", scene="models: {speech: other}") == \
        {"speech:s/a/1": "other", "speech:s/a/2": "espeak"}  # Bo keeps his own voice
    assert speech_models(tmp_path / "c", scene="models: {speech: espeak}", shot="models: {speech: other}") == \
        {"speech:s/a/1": "other", "speech:s/a/2": "espeak"}


def test_an_unknown_speech_model_on_a_shot_is_an_error(tmp_path: Path) -> None:
    result = compile_text(tmp_path, PROJECT.format(scene="", shot="models: {speech: nobody}"))
    assert "E301" in codes(result)
    unknown = next(d for d in result.diagnostics if d.code == "E301")
    assert "nobody" in unknown.message and unknown.span is not None and unknown.span.line == 15
