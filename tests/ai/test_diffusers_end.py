"""First and last frame on a diffusers video model: tiny random-weight LTX-Video (built from configs,
saved and loaded with from_pretrained) ends a shot on a picture through LTXConditionPipeline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from backends.base import Artifact, BackendError
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import model, motion

pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from PIL import Image

    folder = tmp_path_factory.mktemp("pictures")
    made = {"key": Image.radial_gradient("L").convert("RGB"),
            "end": Image.linear_gradient("L").convert("RGB"),
            "other": Image.linear_gradient("L").rotate(90).convert("RGB")}
    for name, image in made.items():
        image.resize((64, 48)).save(folder / f"{name}.png")
    return {name: folder / f"{name}.png" for name in made}


@pytest.fixture(scope="module")
def ltx(tiny: dict[str, Path]) -> Any:
    import backends.diffusers as backend

    handle = backend.load(model("tiny-ltx", "video", tiny["ltx"], steps=1, size=[64, 32], fps=8, window=9))
    yield handle
    backend.unload(handle)


def ending(tmp_path: Path, pictures: dict[str, Path], frames: int, end: str | None, by_input: bool = False) -> Any:
    task = motion(tmp_path, pictures["key"], frames=frames, fps=8)
    if end is None:
        return task
    if by_input:  # another shot's keyframe
        return replace(task, params={**task.params, "end": {"input": "end"}},
                       inputs={**task.inputs, "end": Artifact({"image": pictures[end]})})
    return replace(task, params={**task.params, "end": {"file": "end"}}, files={"end": pictures[end]})


def test_an_end_picture_changes_the_clip_deterministically(ltx: Any, tmp_path: Path,
                                                          pictures: dict[str, Path]) -> None:
    import backends.diffusers as backend

    plain, ended, other, by_input, plain_after = backend.run_batch([
        ending(tmp_path, pictures, 6, None), ending(tmp_path, pictures, 6, "end"),
        ending(tmp_path, pictures, 6, "other"), ending(tmp_path, pictures, 6, "end", by_input=True),
        ending(tmp_path, pictures, 6, None)], ltx)
    assert ended.meta["chunks"] == [9] and ended.meta["end"] == {"chunk": 0, "frame": 5}  # 6 frames at 8 fps
    assert "end" not in plain.meta
    video = {name: r.outputs["video"].read_bytes() for name, r in
             {"plain": plain, "ended": ended, "other": other, "input": by_input, "after": plain_after}.items()}
    assert video["ended"] == video["input"]  # a file or another shot's keyframe: the same picture, the same bytes
    assert len({video["plain"], video["ended"], video["other"]}) == 3
    assert video["after"] == video["plain"]  # the end's pipeline leaves the plain one as it was
    alone = backend.run(ending(tmp_path, pictures, 6, "other"), ltx)
    assert alone.outputs["video"].read_bytes() == video["other"]  # one at a time equals the batch


def test_a_chained_shot_conditions_only_its_last_chunk_on_the_end(ltx: Any, tmp_path: Path,
                                                                    pictures: dict[str, Path]) -> None:
    import numpy as np
    from PIL import Image

    import backends.diffusers as backend
    from backends.diffusers._run import Steps, generator
    from backends.diffusers.motion import VIDEO_PIPELINES, _generate

    task = ending(tmp_path, pictures, 30, "end")
    task = replace(task, params={**task.params, "fps": 12})  # 21 frames at the model's 8 fps: 4 chunks of 9
    result = backend.run(task, ltx)
    assert result.meta["chunks"] == [9, 9, 9, 9] and result.meta["end"] == {"chunk": 3, "frame": 8}

    counts, overlap = result.meta["chunks"], result.meta["overlap"]
    settings = {"prompt": "the sea, camera pan left", "negative": "", "fps": 8, "guidance": None}
    first = Image.open(pictures["key"]).convert("RGB").resize((64, 32))
    end = (Image.open(pictures["end"]).convert("RGB").resize((64, 32)), 8)

    def render(end_frame: Any) -> Any:
        progress = Steps([task], len(counts))
        return _generate(ltx, VIDEO_PIPELINES["LTXImageToVideoPipeline"], counts, overlap, first, (64, 32),
                         settings, 1, generator(5), progress, end_frame)

    plain, ended = render(None), render(end)
    assert plain.shape == ended.shape == (21, 32, 64, 3)
    fade = 21 - counts[-1]  # where the last chunk begins (its first frames cross-fade into the one before)
    assert np.array_equal(plain[:fade], ended[:fade])  # the earlier chunks: exactly as without an end
    assert not np.array_equal(plain[fade:], ended[fade:])


def test_a_pipeline_that_cannot_take_an_end_refuses_it(tiny: dict[str, Path], tmp_path: Path,
                                                      pictures: dict[str, Path]) -> None:
    import backends.diffusers as backend

    handle = backend.load(model("tiny-ad", "video", tiny["animatediff"], steps=1, size=[32, 32], window=8))
    try:
        with pytest.raises(BackendError, match="cannot end a shot on a picture.*LTXConditionPipeline"):
            backend.run(ending(tmp_path, pictures, 6, "end"), handle)
    finally:
        backend.unload(handle)


def test_a_model_loaded_as_the_condition_pipeline_renders_the_same_end(tiny: dict[str, Path], ltx: Any,
                                                                         tmp_path: Path,
                                                                         pictures: dict[str, Path]) -> None:
    import backends.diffusers as backend

    handle = backend.load(model("tiny-ltx-c", "video", tiny["ltx"], steps=1, size=[64, 32], fps=8, window=9,
                                pipeline="LTXConditionPipeline"))
    try:
        assert type(handle.pipe).__name__ == "LTXConditionPipeline"
        ended = backend.run(ending(tmp_path, pictures, 6, "end"), handle)
        plain = backend.run(ending(tmp_path, pictures, 6, None), handle)  # conditioned on the keyframe only
    finally:
        backend.unload(handle)
    via_i2v = backend.run(ending(tmp_path, pictures, 6, "end"), ltx)
    assert ended.outputs["video"].read_bytes() == via_i2v.outputs["video"].read_bytes()
    assert plain.outputs["video"].read_bytes() != ended.outputs["video"].read_bytes()
    assert plain.meta["pipeline"] == "LTXConditionPipeline" and "end" not in plain.meta
