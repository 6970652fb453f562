"""Title cards: a shot's ``card`` text is drawn procedurally on a plain ground, never generated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backends import procedural
from backends.base import BackendError, Result, TaskRun
from tests.backends.test_procedural import COVE, LUCA, H, W, keyframe_params, pixels


def run(tmp_path: Path, name: str, **params: object) -> Result:
    workdir = tmp_path / name
    workdir.mkdir()
    task = TaskRun(id="keyframe:end/card", kind="keyframe", params=keyframe_params(**params), inputs={}, files={},
                   workdir=workdir)
    return procedural.run(task, procedural.load({"backend": "procedural", "params": {"look": "flat"}}))


def test_a_card_is_its_text_on_a_plain_ground(tmp_path: Path) -> None:
    result = run(tmp_path, "a", card="THE END")
    assert set(result.outputs) == {"image"} and result.meta["card"] is True and result.meta["figures"] == []
    image = pixels(result.outputs["image"]).astype(int)
    assert image.shape == (H, W, 3)
    ground = image[0, 0]
    assert ground.sum() < 100  # near-black
    ink = np.abs(image - ground).sum(axis=-1) > 200
    ys, xs = np.nonzero(ink)
    assert ink.sum() > 50  # letters are drawn ...
    assert H * 0.3 < ys.mean() < H * 0.7 and W * 0.3 < xs.mean() < W * 0.7  # ... in the middle
    # nothing of the scene shows: another location, cast or shot type gives the same bytes
    other = run(tmp_path, "b", card="THE END", location=None, characters=[LUCA], shot_type="close_up")
    assert other.outputs["image"].read_bytes() == result.outputs["image"].read_bytes()
    assert run(tmp_path, "c", card="FIN").outputs["image"].read_bytes() != result.outputs["image"].read_bytes()
    assert COVE["name"] == "Cove"


def test_a_long_card_wraps_inside_the_frame_and_the_palette_sets_the_ground(tmp_path: Path) -> None:
    text = "Thirty years later, on the other side of the mountains, in a town nobody remembers"
    image = pixels(run(tmp_path, "a", card=text, palette=["#203040", "#f0e0c0"]).outputs["image"]).astype(int)
    assert tuple(image[0, 0]) == (0x20, 0x30, 0x40)
    ink = np.abs(image - image[0, 0]).sum(axis=-1) > 200
    ys, xs = np.nonzero(ink)
    assert xs.min() > 0 and xs.max() < W - 1 and ys.min() > 0 and ys.max() < H - 1
    assert ys.max() - ys.min() > H * 0.15  # several lines


@pytest.mark.parametrize("card", ["", "   ", 5])
def test_a_bad_card_is_refused(tmp_path: Path, card: object) -> None:
    with pytest.raises(BackendError, match="card"):
        run(tmp_path, "a", card=card)
