"""Reference images masked per element: each element's IP-Adapter images steer only the region its layout
mask gives it (the tiny SD pipeline and tiny IP-Adapter of bench/make_tiny_models.py; masks from the real
layout task or drawn here)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from backends import procedural
from backends.base import Artifact, TaskRun
from compiler.plan import LAYOUT_PARAMS
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import keyframe
from tests.ai.test_diffusers_ip_adapter import MIRA, element, ip_model, picture, pixels, with_mira

pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)


@pytest.fixture(scope="module")
def sd_ip(tiny: dict[str, Path]) -> Any:
    import backends.diffusers as backend

    handle = backend.load(ip_model(tiny))
    yield handle
    backend.unload(handle)


def mask(path: Path, box: tuple[int, int, int, int] | None, size: tuple[int, int] = (64, 48)) -> Path:
    """A layout mask: 255 inside ``box`` (None: nowhere)."""
    from PIL import Image, ImageDraw

    img = Image.new("L", size, 0)
    if box is not None:
        ImageDraw.Draw(img).rectangle(box, fill=255)
    img.save(path)
    return path


def laid_out(task: TaskRun, masks: dict[str, Path]) -> TaskRun:
    return dataclasses.replace(task, inputs={"layout": Artifact({f"mask:{n}": p for n, p in masks.items()})})


def test_a_mask_changes_the_picture_deterministically(sd_ip: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    left = {"Mira": mask(tmp_path / "left.png", (0, 0, 31, 47))}
    right = {"Mira": mask(tmp_path / "right.png", (32, 0, 63, 47))}
    a, b = (backend.run(laid_out(with_mira(tmp_path, 3), left), sd_ip) for _ in range(2))
    assert a.outputs["image"].read_bytes() == b.outputs["image"].read_bytes()
    assert a.meta["reference_masks"] == ["Mira"] and a.meta["references"] == 1
    other = backend.run(laid_out(with_mira(tmp_path, 3), right), sd_ip)
    unmasked = backend.run(with_mira(tmp_path, 3), sd_ip)
    assert "reference_masks" not in unmasked.meta  # no layout: the references steer the whole picture
    assert (pixels(a) != pixels(other)).any() and (pixels(a) != pixels(unmasked)).any()


def test_a_mask_covering_nothing_or_everything(sd_ip: Any, tmp_path: Path) -> None:
    import numpy as np

    import backends.diffusers as backend

    nothing = backend.run(laid_out(with_mira(tmp_path, 5), {"Mira": mask(tmp_path / "none.png", None)}), sd_ip)
    plain = backend.run(keyframe(tmp_path, 5), sd_ip)
    assert nothing.outputs["image"].read_bytes() == plain.outputs["image"].read_bytes()  # steers nowhere
    unseen = backend.run(laid_out(with_mira(tmp_path, 5), {"Pier": mask(tmp_path / "all0.png", (0, 0, 63, 47))}),
                         sd_ip)  # the layout does not show Mira at all
    assert unseen.outputs["image"].read_bytes() == plain.outputs["image"].read_bytes()
    everything = backend.run(laid_out(with_mira(tmp_path, 5), {"Mira": mask(tmp_path / "all.png", (0, 0, 63, 47))}),
                             sd_ip)
    unmasked = backend.run(with_mira(tmp_path, 5), sd_ip)
    gap = np.abs(pixels(everything) - pixels(unmasked)).max()
    assert gap <= 2 < np.abs(pixels(unmasked) - pixels(plain)).max()  # the whole picture: as unmasked


def test_each_element_steers_its_own_region(sd_ip: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    red = picture(tmp_path / "red.png", (220, 30, 30))
    files = {"ref:Mira/1": MIRA, "ref:Pier/1": red, "ref:Pier/2": MIRA}

    def task(masks: dict[str, Path]) -> TaskRun:
        return laid_out(keyframe(tmp_path, 6, files=files, location=element("Pier", 2), characters=[element("Mira")]),
                        masks)

    split = {"Mira": mask(tmp_path / "m.png", (20, 10, 43, 47)), "Pier": mask(tmp_path / "p.png", (0, 0, 19, 47))}
    swapped = {"Mira": split["Pier"], "Pier": split["Mira"]}
    a, b = backend.run(task(split), sd_ip), backend.run(task(swapped), sd_ip)
    assert a.meta["reference_masks"] == ["Pier", "Mira"] and a.meta["references"] == 3
    assert (pixels(a) != pixels(b)).any()


def test_masks_from_the_layout_task_and_batched_equals_unbatched(sd_ip: Any, tmp_path: Path) -> None:
    import backends.diffusers as backend

    def task(seed: int) -> TaskRun:
        t = with_mira(tmp_path, seed, action="Mira waves", setting={"interior": False, "time": "day", "place": "PIER"},
                      speakers=[], props=[])
        work = tmp_path / f"layout-{seed}-{len(list(tmp_path.iterdir()))}"
        work.mkdir()
        laid = procedural.run(TaskRun("layout:s/a", "layout", {k: v for k, v in t.params.items() if k in LAYOUT_PARAMS},
                                      {}, {"ref:Mira/1": MIRA}, work), {})
        assert "mask:Mira" in laid.outputs
        return dataclasses.replace(t, inputs={"layout": Artifact(laid.outputs, laid.meta)})

    batched = backend.run_batch([task(3), keyframe(tmp_path, 4, "the sea"), task(5)], sd_ip)
    single = [backend.run(t, sd_ip) for t in reversed([task(3), keyframe(tmp_path, 4, "the sea"), task(5)])][::-1]
    assert [r.outputs["image"].read_bytes() for r in batched] == [r.outputs["image"].read_bytes() for r in single]
    assert batched[0].meta["reference_masks"] == ["Mira"]
    # the scale is set per task: an unmasked task after a masked one is as it would be alone
    assert (pixels(batched[0]) != pixels(backend.run(with_mira(tmp_path, 3), sd_ip))).any()
