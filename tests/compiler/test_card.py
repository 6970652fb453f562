"""A shot's ``card`` (a title card) is drawn by the procedural backend whatever the image model."""

from __future__ import annotations

from pathlib import Path

from tests.compiler.helpers import codes, compile_text

PROJECT = """\
studio: 1
project: {title: Cards, models: {image: sd, video: ltx}}
models:
  sd: {backend: diffusers, kind: image, weights: org/sd}
  ltx: {backend: diffusers, kind: video, weights: org/ltx}
elements:
  Luca: {kind: character, description: a boy}
scenes:
  - id: s
    shots:
      - {id: a, action: '@Luca waves', duration: 2}
      - {id: end, card: THE END, duration: 2}
"""


def test_card_shots_are_procedural_and_carry_their_text(tmp_path: Path) -> None:
    result = compile_text(tmp_path / "p", PROJECT)
    assert result.plan is not None, result.diagnostics
    tasks = {str(k): v for k, v in result.plan.tasks.items()}
    assert tasks["keyframe:s/a"].backend == "diffusers" and "card" not in tasks["keyframe:s/a"].params
    card = tasks["keyframe:s/end"]
    assert card.backend == "procedural" and card.params["card"] == "THE END"
    assert tasks["motion:s/end"].backend == "procedural"


def test_card_text_must_be_short_and_not_empty(tmp_path: Path) -> None:
    # a length limit (E202 today; issue 10 makes length limits E204)
    assert {"E202", "E204"} & set(codes(compile_text(tmp_path / "a", PROJECT.replace("card: THE END", "card: ''"))))
    long = PROJECT.replace("card: THE END", f"card: {'x' * 501}")
    assert {"E202", "E204"} & set(codes(compile_text(tmp_path / "b", long)))
