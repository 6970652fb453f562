"""Where a model runs (``num_gpus`` for Ray's placement) reaches the executor but never a cache key."""

from __future__ import annotations

from pathlib import Path

from tests.compiler.helpers import compile_text, keys

PROJECT = """\
studio: 1
project: {{title: Placed, models: {{image: sketch}}}}
models:
  sketch: {{backend: procedural, kind: image, params: {{look: sketch}}{extra}}}
scenes:
  - id: s1
    shots:
      - {{id: a, duration: 2, action: "gulls over the bay"}}
"""


def test_num_gpus_is_placement_not_identity(tmp_path: Path) -> None:
    plain = compile_text(tmp_path / "a", PROJECT.format(extra=""))
    placed = compile_text(tmp_path / "b", PROJECT.format(extra=", num_gpus: 0.5"))
    assert keys(placed) == keys(plain)
    assert placed.plan is not None
    keyframe = placed.plan.tasks["keyframe:s1/a"]
    assert keyframe.model is not None and keyframe.model.config()["num_gpus"] == 0.5


def test_num_gpus_in_the_screenplay_dsl(tmp_path: Path) -> None:
    text = ('studio 1\ntitle "Placed"\nmodel sketch: procedural image num_gpus=2 look=sketch\n\n'
            "SCENE s1\n[a] 2s image=sketch\ngulls over the bay\n")
    result = compile_text(tmp_path, text, name="film.studio")
    assert result.plan is not None, [d.message for d in result.diagnostics]
    model = result.plan.tasks["keyframe:s1/a"].model
    assert model is not None and model.config()["num_gpus"] == 2 and model.params == {"look": "sketch"}


def test_num_gpus_is_checked(tmp_path: Path) -> None:
    result = compile_text(tmp_path, PROJECT.format(extra=", num_gpus: -1"))
    assert result.plan is None and [d.code for d in result.diagnostics] == ["E204"]
