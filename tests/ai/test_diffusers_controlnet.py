"""Keyframes conditioned on the shot's layout through a tiny random ControlNet (built from a config,
saved and loaded with from_pretrained), the control images made by the real layout task."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from backends import procedural
from backends.base import Artifact, BackendError, TaskRun
from compiler.plan import LAYOUT_PARAMS
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import keyframe, model

pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)


def element(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "description": description, "color": None, "references": []}


STAGED = {"action": "@Luca waves", "shot_type": "medium", "location": element("Cove", "a rocky beach"),
          "characters": [element("Luca", "a boy in a blue shirt")], "props": [],
          "setting": {"interior": False, "time": "day", "place": "COVE"}, "speakers": []}


def layout(tmp_path: Path, **blocking: Any) -> Artifact:
    params = keyframe(tmp_path, 5, **STAGED).params
    params = {k: v for k, v in {**params, **({"blocking": [blocking]} if blocking else {})}.items()
              if k in LAYOUT_PARAMS}
    work = tmp_path / f"layout-{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    result = procedural.run(TaskRun("layout:s/a", "layout", params, {}, {}, work), {})
    return Artifact(result.outputs, result.meta)


def controlled(tmp_path: Path, seed: int, control: Artifact) -> TaskRun:
    return dataclasses.replace(keyframe(tmp_path, seed, **STAGED), inputs={"layout": control})


@pytest.fixture(scope="module")
def cn(tiny: dict[str, Path]) -> Any:
    import backends.diffusers as backend

    net = tiny["controlnet"]
    config = model("tiny-sd", "image", tiny["sd"], steps=2, guidance=5.0,
                   controlnet=[{"weights": "models/tiny-controlnet", "kind": "pose", "scale": 0.8},
                               {"weights": "models/tiny-controlnet", "kind": "depth", "scale": 1.0}],
                   adapters={"controlnet:depth": {"weights": "models/tiny-controlnet", "path": str(net),
                                                  "revision": None},
                             "controlnet:pose": {"weights": "models/tiny-controlnet", "path": str(net),
                                                 "revision": None}})
    handle = backend.load(config)
    yield handle
    backend.unload(handle)


def pixels(result: Any) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(result.outputs["image"]) as img:
        return np.asarray(img)


def test_the_layout_steers_the_picture_deterministically(cn: Any, tiny: dict[str, Path], tmp_path: Path) -> None:
    import backends.diffusers as backend

    left, right = layout(tmp_path, who="Luca", at="far_left"), layout(tmp_path, who="Luca", at="far_right")
    a = backend.run(controlled(tmp_path, 3, left), cn)
    again = backend.run(controlled(tmp_path, 3, left), cn)
    moved = backend.run(controlled(tmp_path, 3, right), cn)
    assert a.outputs["image"].read_bytes() == again.outputs["image"].read_bytes()
    assert (pixels(a) != pixels(moved)).any()
    assert a.meta["pipeline"] == "StableDiffusionControlNetPipeline"
    assert a.meta["controlnet"] == {"depth": 1.0, "pose": 0.8}
    plain = backend.load(model("tiny-sd", "image", tiny["sd"], steps=2, guidance=5.0))
    try:
        free = backend.run(keyframe(tmp_path, 3, **STAGED), plain)
    finally:
        backend.unload(plain)
    assert (pixels(free) != pixels(a)).any()  # the ControlNet changed the picture


def test_batched_equals_unbatched(cn: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    controls = [layout(tmp_path, who="Luca", at="left"), layout(tmp_path, who="Luca", at="right")]
    tasks = [controlled(tmp_path, seed, c) for seed, c in zip((1, 2), controls, strict=True)]
    batched = backend.run_batch(tasks, cn)
    single = [backend.run(controlled(tmp_path, seed, c), cn) for seed, c in zip((1, 2), controls, strict=True)]
    assert [r.outputs["image"].read_bytes() for r in batched] == [r.outputs["image"].read_bytes() for r in single]


def test_a_start_picture_goes_through_the_controlnet_image_to_image_pipeline(cn: Any, tmp_path: Path) -> None:
    from PIL import Image

    import backends.diffusers as backend

    start = tmp_path / "start.png"
    Image.new("RGB", (80, 60), (200, 120, 40)).save(start)
    task = dataclasses.replace(keyframe(tmp_path, 4, files={"start": start}, start={"file": "start", "strength": 0.5},
                                        **STAGED), inputs={"layout": layout(tmp_path)})
    result = backend.run(task, cn)
    assert result.meta["pipeline"] == "StableDiffusionControlNetImg2ImgPipeline" and result.meta["steps"] == 1


def test_a_missing_layout_is_an_error_not_an_unconditioned_picture(cn: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    with pytest.raises(BackendError, match="no layout input"):
        backend.run(keyframe(tmp_path, 1, **STAGED), cn)
