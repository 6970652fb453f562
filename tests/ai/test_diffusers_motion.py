"""The diffusers backend's motion: chunking arithmetic, and image-to-video on tiny LTX-Video and AnimateDiff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backends.base import BackendError
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import model, motion


@pytest.mark.parametrize(("need", "window", "overlap", "stride"), [
    (21, 9, 5, 4), (97, 97, 9, 8), (300, 97, 9, 8), (5, 97, 9, 8), (40, 16, 4, 1), (2, 16, 4, 1),
])
def test_chunks_cover_the_shot_on_latent_boundaries(need: int, window: int, overlap: int, stride: int) -> None:
    from backends.diffusers.motion import chunk_plan

    counts = chunk_plan(need, window, overlap, stride)
    assert counts[0] + sum(n - overlap for n in counts[1:]) >= need
    assert all(n <= window for n in counts)
    if stride > 1:
        assert all((n - 1) % stride == 0 for n in counts)  # LTX: 8k+1 frames
    if len(counts) > 1:  # the last chunk is no longer than it needs to be
        assert counts[0] + sum(n - overlap for n in counts[1:]) - need < max(stride, 1) + (counts[-1] == 2 + overlap)


def test_overlap_must_fit_in_the_window() -> None:
    from backends.diffusers.motion import chunk_plan

    with pytest.raises(BackendError, match="overlap"):
        chunk_plan(50, 9, 9, 4)


needs_ai = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)


@pytest.fixture(scope="module")
def keyframe_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    path = tmp_path_factory.mktemp("key") / "image.png"
    Image.radial_gradient("L").convert("RGB").resize((64, 48)).save(path)
    return path


def decoded(path: Path, width: int, height: int) -> Any:
    import subprocess

    import imageio_ffmpeg
    import numpy as np

    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


@needs_ai
def test_ltx_shot_longer_than_a_window_is_chunked_exactly(tiny: dict[str, Path], tmp_path: Path,
                                                           keyframe_png: Path) -> None:
    import backends.diffusers as backend

    handle = backend.load(model("tiny-ltx", "video", tiny["ltx"], steps=2, size=[64, 32], fps=8, window=9))
    try:
        first = backend.run(motion(tmp_path, keyframe_png, frames=30), handle)
        again = backend.run(motion(tmp_path, keyframe_png, frames=30), handle)
    finally:
        backend.unload(handle)
    assert first.meta["chunks"] == [9, 9, 9, 9] and first.meta["overlap"] == 5  # stride 4: 4k+1 frames
    assert first.outputs["video"].read_bytes() == again.outputs["video"].read_bytes()
    frames = decoded(first.outputs["video"], 64, 48)
    assert frames.shape[0] == 30


@needs_ai
def test_animatediff_renders_and_patterns_are_refused(tiny: dict[str, Path], tmp_path: Path,
                                                      keyframe_png: Path) -> None:
    import backends.diffusers as backend

    handle = backend.load(model("tiny-ad", "video", tiny["animatediff"], steps=2, size=[32, 32], window=8,
                                strength=0.7))
    try:
        assert type(handle.pipe).__name__ == "AnimateDiffVideoToVideoPipeline"
        result = backend.run(motion(tmp_path, keyframe_png, frames=12, fps=12), handle)
        assert result.meta["chunks"] == [8, 5] and result.meta["model_fps"] == 8
        assert decoded(result.outputs["video"], 64, 48).shape[0] == 12
        pattern = {"track": "audio:theme", "style": "cppn", "offset": 0}
        with pytest.raises(BackendError, match="procedural video model"):
            backend.run(motion(tmp_path, keyframe_png, frames=12, pattern=pattern), handle)
    finally:
        backend.unload(handle)
