"""The diffusers backend's keyframes on a tiny random-weight Stable Diffusion pipeline."""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any

import pytest

from backends.base import BackendError
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import keyframe, model

pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)


@pytest.fixture(scope="module")
def sd(tiny: dict[str, Path]) -> Any:
    import backends.diffusers as backend

    handle = backend.load(model("tiny-sd", "image", tiny["sd"], steps=3, guidance=5.0, scheduler="euler"))
    yield handle
    backend.unload(handle)


def pixels(result: Any) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(result.outputs["image"]) as img:
        return np.asarray(img)


def test_same_seed_same_pixels_other_seed_other_pixels(sd: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    a, b, c = (backend.run(keyframe(tmp_path, seed), sd) for seed in (1, 1, 2))
    assert a.outputs["image"].read_bytes() == b.outputs["image"].read_bytes()
    assert (pixels(a) != pixels(c)).any()
    assert pixels(a).shape == (48, 64, 3)
    assert a.meta["steps"] == 3 and a.meta["pipeline"] == "StableDiffusionPipeline"


def test_batched_equals_unbatched(sd: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    tasks = [keyframe(tmp_path, seed, prompt) for seed, prompt in ((3, "the sea"), (4, "a boy at the shore"))]
    assert backend.batch_key("keyframe", tasks[0].params) == backend.batch_key("keyframe", tasks[1].params)
    assert backend.batch_key("keyframe", {**tasks[0].params, "width": 96}) != backend.batch_key(
        "keyframe", tasks[0].params)
    batched = backend.run_batch(tasks, sd)
    single = [backend.run(keyframe(tmp_path, t.params["seed"], t.params["prompt"]), sd) for t in tasks]
    assert [r.outputs["image"].read_bytes() for r in batched] == [r.outputs["image"].read_bytes() for r in single]


def test_native_and_fixed_sizes_are_resized_to_the_project(sd: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    native = backend.run(keyframe(tmp_path, 1, out=(96, 54), size="native"), sd)
    assert native.meta["rendered"][0] * native.meta["rendered"][1] <= 64 * 64 * 1.2  # tiny SD is 64x64 native
    assert pixels(native).shape == (54, 96, 3)
    fixed = backend.run(keyframe(tmp_path, 1, out=(96, 54), size=[40, 24]), sd)
    assert fixed.meta["rendered"] == [40, 24] and pixels(fixed).shape == (54, 96, 3)


def test_lora_changes_the_picture_and_switches_off_again(sd: Any, tiny: dict[str, Path], tmp_path: Path) -> None:
    import backends.diffusers as backend

    lora = [{"owner": "element:Mira", "scale": 1.0, "file": "lora:element:Mira", "repo": None, "revision": None}]
    files = {"lora:element:Mira": tiny["lora"]}
    plain = pixels(backend.run(keyframe(tmp_path, 7), sd))
    styled = backend.run(keyframe(tmp_path, 7, files=files, loras=lora), sd)
    assert styled.meta["loras"] == ["element:Mira"]
    assert (pixels(styled) != plain).any()
    weaker = pixels(backend.run(keyframe(tmp_path, 7, files=files, loras=[{**lora[0], "scale": 0.3}]), sd))
    assert (weaker != pixels(styled)).any()
    assert (pixels(backend.run(keyframe(tmp_path, 7), sd)) == plain).all()


def test_progress_per_step_and_cancel(sd: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    seen: list[tuple[int, int]] = []
    backend.run(keyframe(tmp_path, 1, progress=lambda d, t: seen.append((d, t))), sd)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    cancel = threading.Event()

    def press_ctrl_c(done: int, total: int) -> None:
        cancel.set()

    with pytest.raises(BackendError, match="^cancelled$"):
        backend.run(keyframe(tmp_path, 1, progress=press_ctrl_c, cancel=cancel), sd)


def test_memory_is_measured_and_unload_frees(tiny: dict[str, Path]) -> None:
    import backends.diffusers as backend

    handle = backend.load(model("tiny-sd", "image", tiny["sd"]))
    size = backend.memory_gb(handle)
    weights = sum(p.stat().st_size for p in tiny["sd"].rglob("*.safetensors")) / 1e9
    assert 0.5 * weights < size < 2 * weights  # float32 parameters, as saved
    unet = weakref.ref(handle.pipe.unet)
    backend.unload(handle)
    assert handle.pipe is None and unet() is None


def test_missing_weights_say_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import backends.diffusers as backend

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # never reach the network
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    config = {**model("absent", "image", tmp_path), "path": None, "weights": "org/absent-model"}
    with pytest.raises(BackendError) as caught:
        backend.load(config)
    message = str(caught.value)
    assert message.startswith("weights not found: 'org/absent-model'")
    assert "huggingface-cli download org/absent-model" in message and "Traceback" not in message
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "notes.txt").write_text("not a pipeline")
    with pytest.raises(BackendError, match="not found or unreadable: 'models/broken'"):
        backend.load(model("broken", "image", tmp_path / "broken"))


def test_features_a_pipeline_lacks_are_clean_errors(tiny: dict[str, Path], tmp_path: Path) -> None:
    import backends.diffusers as backend

    video = backend.load(model("tiny-ltx", "video", tiny["ltx"]))
    try:
        with pytest.raises(BackendError, match="is a video model; keyframes need an image model"):
            backend.run(keyframe(tmp_path, 1), video)
        from backends.diffusers._load import _ip_adapter

        with pytest.raises(BackendError, match="does not support IP-Adapter reference images"):
            _ip_adapter(video, {"weights": "h94/IP-Adapter", "path": None, "revision": None}, None)
        with pytest.raises(BackendError, match="no file named model_index.json"):  # a speech model's directory
            backend.load(model("tiny-vits", "image", tiny["vits"]))
    finally:
        backend.unload(video)


@pytest.fixture
def board(tmp_path: Path) -> Path:
    """A starting picture in another aspect ratio than the keyframe (so it is fitted and cropped)."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:90, 0:160]
    path = tmp_path / "board.png"
    Image.fromarray(np.stack([x * 255 // 160, y * 255 // 90, 255 - x * 255 // 160], -1).astype("uint8")).save(path)
    return path


def test_image_to_image_starts_from_the_picture(sd: Any, tmp_path: Path, board: Path) -> None:
    import numpy as np
    from PIL import Image, ImageOps

    import backends.diffusers as backend

    start = {"file": "start", "strength": 0.7}
    plain = pixels(backend.run(keyframe(tmp_path, 5), sd))
    a, b = (backend.run(keyframe(tmp_path, 5, files={"start": board}, start=start), sd) for _ in range(2))
    assert a.outputs["image"].read_bytes() == b.outputs["image"].read_bytes()
    assert a.meta["pipeline"] == "StableDiffusionImg2ImgPipeline" and a.meta["start_strength"] == 0.7
    assert a.meta["steps"] == 2  # int(3 steps x 0.7): image-to-image skips the first steps
    assert (pixels(a) != plain).any()
    # another picture, another keyframe; the text-to-image pipeline is unchanged afterwards
    flipped = tmp_path / "flipped.png"
    with Image.open(board) as img:
        ImageOps.mirror(img).save(flipped)
    other = pixels(backend.run(keyframe(tmp_path, 5, files={"start": flipped}, start=start), sd))
    assert (other != pixels(a)).any()
    assert (pixels(backend.run(keyframe(tmp_path, 5), sd)) == plain).all()
    # strength 0 keeps the picture: fitted to the keyframe's 64x48 (cover, centre crop)
    kept = pixels(backend.run(keyframe(tmp_path, 5, files={"start": board}, start={**start, "strength": 0}), sd))
    with Image.open(board) as img:
        expected = np.asarray(ImageOps.fit(img.convert("RGB"), (64, 48), Image.Resampling.LANCZOS))
    assert kept.shape == (48, 64, 3) and np.abs(kept.astype(int) - expected).max() <= 1


def test_image_to_image_batched_equals_unbatched(sd: Any, tmp_path: Path, board: Path) -> None:
    import backends.diffusers as backend

    def tasks() -> list[Any]:
        return [keyframe(tmp_path, 3, files={"start": board}, start={"file": "start", "strength": 1.0}),
                keyframe(tmp_path, 4, "the sea")]

    batched = backend.run_batch(tasks(), sd)
    single = [backend.run(task, sd) for task in tasks()]
    assert [r.outputs["image"].read_bytes() for r in batched] == [r.outputs["image"].read_bytes() for r in single]
    assert [r.meta["pipeline"] for r in batched] == ["StableDiffusionImg2ImgPipeline", "StableDiffusionPipeline"]


def test_image_to_image_problems_are_backend_errors(sd: Any, tmp_path: Path, board: Path) -> None:
    import backends.diffusers as backend

    with pytest.raises(BackendError, match="denoises no step.*at least 5"):
        backend.run(keyframe(tmp_path, 1, files={"start": board}, start={"file": "start", "strength": 0.2}), sd)
    with pytest.raises(BackendError, match="was not provided"):
        backend.run(keyframe(tmp_path, 1, start={"file": "start", "strength": 0.5}), sd)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(BackendError, match="cannot read the starting image"):
        backend.run(keyframe(tmp_path, 1, files={"start": broken}, start={"file": "start", "strength": 0.5}), sd)
