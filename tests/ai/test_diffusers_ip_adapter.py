"""Reference images through an IP-Adapter: the tiny SD pipeline with the tiny IP-Adapter
(bench/make_tiny_models.py ``tiny_ip_adapter``), loaded the way a project's model configuration loads it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backends.base import BackendError
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import keyframe, model
from tests.conftest import ROOT, copy_example

pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)

TINY_AI = ROOT / "examples" / "tiny-ai"
MIRA = TINY_AI / "refs" / "mira.png"


def ip_model(tiny: dict[str, Path], where: Path | None = None, **option: Any) -> dict[str, Any]:
    """The tiny SD model with ``params.ip_adapter`` and the resolved adapter, as ``ModelRef.config()`` gives it."""
    from bench.make_tiny_models import IP_ADAPTER_WEIGHTS

    where = where or tiny["ip"]
    option = {"weight_name": IP_ADAPTER_WEIGHTS, "scale": 0.7, **option}
    option = {k: v for k, v in option.items() if v is not None}
    return model("tiny-sd", "image", tiny["sd"], steps=3, guidance=5.0, scheduler="euler",
                 ip_adapter={"weights": f"models/{where.name}", **option},
                 adapters={"ip_adapter": {"weights": f"models/{where.name}", "path": str(where), "revision": None}})


@pytest.fixture(scope="module")
def sd_ip(tiny: dict[str, Path]) -> Iterator[Any]:
    import backends.diffusers as backend

    handle = backend.load(ip_model(tiny))
    yield handle
    backend.unload(handle)


def element(name: str, count: int = 1) -> dict[str, Any]:
    """A bound element's task parameters (``ElementR.params()``) with ``count`` reference images."""
    return {"name": name, "description": "", "color": None,
            "references": [f"ref:{name}/{n}" for n in range(1, count + 1)]}


def with_mira(workdir: Path, seed: int, picture: Path = MIRA, **extra: Any) -> Any:
    files = extra.pop("files", {"ref:Mira/1": picture})
    return keyframe(workdir, seed, files=files, characters=[element("Mira")], **extra)


def pixels(result: Any) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(result.outputs["image"]) as img:
        return np.asarray(img).astype(int)


def picture(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (40, 40)) -> Path:
    from PIL import Image

    Image.new("RGB", size, colour).save(path)
    return path


def test_the_tiny_ip_adapter_loads_through_load(sd_ip: Any, tiny: dict[str, Path]) -> None:
    from diffusers.models.attention_processor import IPAdapterAttnProcessor, IPAdapterAttnProcessor2_0
    from transformers import CLIPVisionModelWithProjection

    import backends.diffusers as backend

    pipe = sd_ip.pipe
    assert sd_ip.ip_adapter is True
    assert isinstance(pipe.image_encoder, CLIPVisionModelWithProjection)
    assert pipe.feature_extractor.crop_size == {"height": 32, "width": 32}  # made for the 32x32 encoder
    ip = [n for n, p in pipe.unet.attn_processors.items()
          if isinstance(p, (IPAdapterAttnProcessor, IPAdapterAttnProcessor2_0))]
    assert len(ip) == 4 and all(n.endswith("attn2.processor") for n in ip)  # every cross-attention, nothing else
    assert len(pipe.unet.encoder_hid_proj.image_projection_layers) == 1
    plain = backend.load(model("tiny-sd", "image", tiny["sd"]))
    try:
        assert plain.ip_adapter is False and plain.pipe.image_encoder is None
        assert backend.memory_gb(sd_ip) > backend.memory_gb(plain)  # the image encoder and the adapter count
    finally:
        backend.unload(plain)


def test_references_steer_the_keyframe_deterministically(sd_ip: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    a, b = (backend.run(with_mira(tmp_path, 3), sd_ip) for _ in range(2))
    assert a.outputs["image"].read_bytes() == b.outputs["image"].read_bytes()
    without = backend.run(keyframe(tmp_path, 3), sd_ip)
    assert (pixels(a) != pixels(without)).any()
    assert pixels(a).shape == (48, 64, 3) and a.meta["pipeline"] == "StableDiffusionPipeline"
    # an element whose reference file the task was not given contributes nothing
    missing = backend.run(keyframe(tmp_path, 3, characters=[element("Mira")]), sd_ip)
    assert missing.outputs["image"].read_bytes() == without.outputs["image"].read_bytes()


def test_another_reference_picture_another_keyframe(sd_ip: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    red = picture(tmp_path / "red.png", (220, 30, 30))
    blue = picture(tmp_path / "blue.png", (30, 30, 220))
    mira, r, b = (pixels(backend.run(with_mira(tmp_path, 4, p), sd_ip)) for p in (MIRA, red, blue))
    assert (mira != r).any() and (r != b).any()


def test_every_reference_reaches_the_adapter(sd_ip: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    red = picture(tmp_path / "red.png", (220, 30, 30), (64, 32))
    files = {"ref:Mira/1": MIRA, "ref:Pier/1": red}
    both = backend.run(keyframe(tmp_path, 6, files=files, location=element("Pier"), characters=[element("Mira")]),
                       sd_ip)
    mira_only = backend.run(with_mira(tmp_path, 6), sd_ip)
    pier_only = backend.run(keyframe(tmp_path, 6, files=files, location=element("Pier")), sd_ip)
    assert (pixels(both) != pixels(mira_only)).any() and (pixels(both) != pixels(pier_only)).any()


def test_scale_zero_ignores_the_references(tiny: dict[str, Path], sd_ip: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    off = backend.load(ip_model(tiny, scale=0))
    weak = backend.load(ip_model(tiny, scale=0.2))
    try:
        at_zero = backend.run(with_mira(tmp_path, 8), off)
        plain = backend.run(keyframe(tmp_path, 8), off)
        assert at_zero.outputs["image"].read_bytes() == plain.outputs["image"].read_bytes()
        at_weak = pixels(backend.run(with_mira(tmp_path, 8), weak))
        at_default = pixels(backend.run(with_mira(tmp_path, 8), sd_ip))  # 0.7
        assert (at_weak != pixels(at_zero)).any() and (at_weak != at_default).any()
        # the scale is set per task: a task without references after one with them is the plain picture
        assert backend.run(keyframe(tmp_path, 8), weak).outputs["image"].read_bytes() == \
            plain.outputs["image"].read_bytes()
    finally:
        backend.unload(off)
        backend.unload(weak)


def test_batched_equals_unbatched_with_references(sd_ip: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    red = picture(tmp_path / "red.png", (220, 30, 30))

    def tasks() -> list[Any]:
        return [with_mira(tmp_path, 3), keyframe(tmp_path, 4, "the sea"), with_mira(tmp_path, 5, red, prompt="a boy")]

    batched = backend.run_batch(tasks(), sd_ip)
    single = [backend.run(task, sd_ip) for task in reversed(tasks())][::-1]  # another order: no state carries over
    assert [r.outputs["image"].read_bytes() for r in batched] == [r.outputs["image"].read_bytes() for r in single]


def test_image_to_image_keyframes_take_the_references_too(sd_ip: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    board = picture(tmp_path / "board.png", (40, 160, 90), (80, 60))
    start = {"file": "start", "strength": 0.7}
    plain = backend.run(keyframe(tmp_path, 9, files={"start": board}, start=start), sd_ip)
    a, b = (backend.run(with_mira(tmp_path, 9, start=start, files={"start": board, "ref:Mira/1": MIRA}), sd_ip)
            for _ in range(2))
    assert a.meta["pipeline"] == "StableDiffusionImg2ImgPipeline"
    assert a.outputs["image"].read_bytes() == b.outputs["image"].read_bytes()
    assert (pixels(a) != pixels(plain)).any()


def test_a_changed_reference_changes_the_keyframe_keys(tmp_path: Path) -> None:
    from backends import CATALOG
    from compiler import compile_project

    project = tmp_path / "tiny-ai"
    copy_example(TINY_AI, project)
    before = compile_project(project, backends=CATALOG)
    picture(project / "refs" / "mira.png", (220, 30, 30), (96, 96))
    after = compile_project(project, backends=CATALOG)
    assert before.plan is not None and after.plan is not None
    old = {t.id: t.key for t in before.plan.tasks.values()}
    new = {t.id: t.key for t in after.plan.tasks.values()}
    assert "ref:Mira/1" in after.plan.tasks["keyframe:pier/talk"].files
    changed = {t for t in old if old[t] != new[t]}
    assert {"keyframe:pier/wide", "keyframe:pier/talk"} <= changed  # the keyframes Mira is in
    assert "keyframe:pier/sea" not in changed and "speech:pier/talk/1" not in changed


def test_the_adapters_weights_and_options_are_in_the_model_key(tmp_path: Path) -> None:
    from backends import CATALOG
    from compiler import compile_project

    project = tmp_path / "tiny-ai"
    copy_example(TINY_AI, project)
    keys = []
    for change in (None, "encoder", "scale"):
        if change == "encoder":
            config = project / "models" / "tiny-ip-adapter" / "image_encoder" / "config.json"
            config.write_text(config.read_text().replace('"layer_norm_eps": 1e-05', '"layer_norm_eps": 1.5e-05'))
        elif change == "scale":
            film = project / "film.studio.yaml"
            film.write_text(film.read_text().replace("scale: 0.7", "scale: 0.6"))
        result = compile_project(project, backends=CATALOG)
        assert result.plan is not None, [d.message for d in result.diagnostics]
        keys.append({t.id: t.key for t in result.plan.tasks.values()})
    for a, b in zip(keys, keys[1:], strict=False):
        assert a["keyframe:pier/sea"] != b["keyframe:pier/sea"]  # every keyframe of the model, references or not
        assert a["speech:pier/talk/1"] == b["speech:pier/talk/1"]


def test_local_layouts_and_their_defaults(tiny: dict[str, Path], tmp_path: Path) -> None:
    """A local copy of h94/IP-Adapter (models/ip-adapter_sd15.safetensors, models/image_encoder) needs no
    options; an encoder elsewhere is found with image_encoder_folder."""
    import backends.diffusers as backend
    from backends.diffusers._load import IP_WEIGHT_NAME
    from bench.make_tiny_models import IP_ADAPTER_WEIGHTS

    h94 = tmp_path / "h94-copy"
    (h94 / "models").mkdir(parents=True)
    shutil.copy(tiny["ip"] / IP_ADAPTER_WEIGHTS, h94 / "models" / IP_WEIGHT_NAME)
    shutil.copytree(tiny["ip"] / "image_encoder", h94 / "models" / "image_encoder")
    apart = tmp_path / "apart"
    apart.mkdir()
    shutil.copy(tiny["ip"] / IP_ADAPTER_WEIGHTS, apart / IP_ADAPTER_WEIGHTS)
    shutil.copytree(tiny["ip"] / "image_encoder", apart / "encoders" / "clip")
    expected = None
    for where, option in ((tiny["ip"], {}), (h94, {"weight_name": None}),
                          (apart, {"image_encoder_folder": "encoders/clip"})):
        handle = backend.load(ip_model(tiny, where, **option))
        try:
            assert handle.ip_adapter
            image = backend.run(with_mira(tmp_path, 2), handle).outputs["image"].read_bytes()
        finally:
            backend.unload(handle)
        expected = expected or image
        assert image == expected  # the same weights, wherever they lie


def test_ip_adapter_problems_say_what_to_do(tiny: dict[str, Path], tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    import backends.diffusers as backend
    from bench.make_tiny_models import IP_ADAPTER_WEIGHTS

    weights = tiny["ip"] / IP_ADAPTER_WEIGHTS
    with pytest.raises(BackendError, match="is a single file and model 'tiny-sd' has no image encoder"):
        backend.load(ip_model(tiny, weights))
    no_encoder = tmp_path / "no-encoder"
    no_encoder.mkdir()
    shutil.copy(weights, no_encoder / IP_ADAPTER_WEIGHTS)
    with pytest.raises(BackendError, match="has no image encoder in 'image_encoder'.*image_encoder_folder"):
        backend.load(ip_model(tiny, no_encoder))
    with pytest.raises(BackendError, match="IP-Adapter weights not found or unreadable.*no file named "
                                           "ip-adapter_sd15.safetensors"):
        backend.load(ip_model(tiny, weight_name=None))  # the default name is not in the tiny directory
    other = tmp_path / "other-base"
    shutil.copytree(tiny["ip"], other)
    state = load_file(weights)
    state["ip_adapter.3.to_k_ip.weight"] = torch.zeros(16, 8)  # made for a cross-attention width of 8
    save_file(state, str(other / IP_ADAPTER_WEIGHTS))
    with pytest.raises(BackendError, match="does not fit model 'tiny-sd'.*made for this base model"):
        backend.load(ip_model(tiny, other))
    del state["ip_adapter.3.to_k_ip.weight"]
    save_file(state, str(other / IP_ADAPTER_WEIGHTS))
    with pytest.raises(BackendError, match="does not fit model 'tiny-sd'.*KeyError"):
        backend.load(ip_model(tiny, other))
