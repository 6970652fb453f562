"""Layout tasks: the control images (depth, pose, edges, masks) of a shot's staging.

Golden pictures are in ``tests/golden/layout``; after an intended change to the drawing or the
staging, regenerate them with ``STUDIO_UPDATE_GOLDEN=1 python -m pytest
tests/backends/test_procedural_layout.py`` and look at them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from backends import procedural
from backends.base import TaskRun
from backends.procedural.control import COLOURS, figure_depth
from compiler.plan import LAYOUT_PARAMS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "layout"
W, H = 160, 90


def element(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "description": description, "color": None, "references": []}


def params(shot_type: str = "wide", **extra: Any) -> dict[str, Any]:
    return {
        "width": W, "height": H, "seed": 3, "prompt": "p", "negative": "", "caption": False,
        "action": "@Luca points at @Alberto", "shot_type": shot_type, "palette": [],
        "location": element("Cove", "a rocky beach"), "props": [element("Boat", "a red boat")],
        "characters": [element("Luca", "a boy in a blue shirt"), element("Alberto", "a tall boy")],
        "setting": {"interior": False, "time": "day", "place": "COVE"}, "speakers": [], **extra,
    }  # fmt: skip


def run(kind: str, p: dict[str, Any], workdir: Path) -> Any:
    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "layout":
        p = {k: v for k, v in p.items() if k in LAYOUT_PARAMS}  # exactly what the plan gives a layout task
    return procedural.run(TaskRun(f"{kind}:cove/a", kind, p, {}, {}, workdir), procedural.load({"params": {}}))


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


@pytest.mark.parametrize("shot_type", ["wide", "medium", "close_up"])
def test_control_images_match_their_goldens(shot_type: str, tmp_path: Path) -> None:
    result = run("layout", params(shot_type), tmp_path)
    names = ["depth", "pose", "edges", *(n for n in result.outputs if n.startswith("mask:"))]
    for name in names:
        image = pixels(result.outputs[name])
        golden = GOLDEN / f"{shot_type}-{name.replace(':', '-')}.png"
        if os.environ.get("STUDIO_UPDATE_GOLDEN"):
            golden.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(golden, optimize=True)
        expected = pixels(golden)
        assert image.shape == expected.shape, name
        assert np.array_equal(image, expected), f"{shot_type} {name}: {int((image != expected).sum())} values differ"


def test_layout_is_the_keyframes_layout_and_masks_cover_the_figures(tmp_path: Path) -> None:
    """One layout, two renders: the layout task stages exactly as the animatic's keyframe does."""
    p = params("wide")
    layout = run("layout", p, tmp_path / "l")
    key = run("keyframe", p, tmp_path / "k")
    staged = json.loads(layout.outputs["layout"].read_text())
    drawn = json.loads(key.outputs["layout"].read_text())
    assert staged["staging"] == drawn["staging"] and staged["size"] == drawn["size"] == [W, H]
    assert set(layout.meta["elements"]) == {"Cove", "Boat", "Luca", "Alberto"}
    masks = {n.split(":", 1)[1]: pixels(f) > 0 for n, f in layout.outputs.items() if n.startswith("mask:")}
    total = sum(m.astype(int) for m in masks.values())
    assert total.max() == 1 and total.min() == 1  # every pixel belongs to exactly one element
    image = pixels(key.outputs["image"]).astype(int)
    background = pixels(key.outputs["background"]).astype(int)
    figures = np.abs(image - background).max(axis=-1) > 40  # where the keyframe drew a figure
    covered = masks["Luca"] | masks["Alberto"]
    assert (figures & covered).sum() > 0.9 * figures.sum()
    depth = pixels(layout.outputs["depth"])
    actors = {a["name"]: a for s in staged["staging"]["setups"] for a in s["actors"]}
    for name in ("Luca", "Alberto"):
        values = depth[masks[name]]
        assert np.all(values == round(figure_depth(actors[name]["depth"]) * 255))
    assert depth[0].max() == 0  # the sky is far


def test_pose_draws_openpose_colours_for_every_figure(tmp_path: Path) -> None:
    result = run("layout", params("medium"), tmp_path)
    pose = pixels(result.outputs["pose"])
    boxes = result.meta["figures"]
    for name, (x0, y0, x1, y1) in boxes.items():
        inside = pose[y0:y1, x0:x1].reshape(-1, 3)
        colours = {tuple(int(c) for c in px) for px in inside}
        assert len(colours & {tuple(c) for c in COLOURS}) >= 8, name
    assert pose[:, :10].max() == 0  # black where no one stands


def test_a_blocking_edit_moves_the_control_images(tmp_path: Path) -> None:
    a = run("layout", params("wide"), tmp_path / "a")
    b = run("layout", params("wide", blocking=[{"who": "Luca", "at": "far_right"}]), tmp_path / "b")
    again = run("layout", params("wide"), tmp_path / "c")
    for name in ("depth", "pose", "edges"):
        assert a.outputs[name].read_bytes() == again.outputs[name].read_bytes()  # deterministic
        assert a.outputs[name].read_bytes() != b.outputs[name].read_bytes()
    assert b.meta["figures"]["Luca"][0] > a.meta["figures"]["Luca"][0]


def test_control_images_show_whole_figures_whatever_a_start_pictures_strength(tmp_path: Path) -> None:
    """The keyframe fades its figures to a starting picture's strength; the control images never do (a
    ControlNet conditions on where the figures stand, the diffusion applies the strength; the gates'
    masks must cover the figures). The plan gives layout tasks no ``start``; given one, nothing changes."""
    board = tmp_path / "board.png"
    Image.new("RGB", (64, 36), (40, 200, 90)).save(board)
    def started(kind: str, p: dict[str, Any]) -> Any:
        work = tmp_path / f"started-{kind}"
        work.mkdir()
        return procedural.run(TaskRun(f"{kind}:cove/a", kind, {**p, "start": {"file": "start", "strength": 0.3}},
                                      {}, {"start": board}, work), procedural.load({"params": {}}))

    plain = run("layout", params("wide"), tmp_path / "plain")
    layout = started("layout", {k: v for k, v in params("wide").items() if k in LAYOUT_PARAMS})
    for name in ("depth", "pose", "edges", "mask:Luca", "mask:Alberto"):
        assert layout.outputs[name].read_bytes() == plain.outputs[name].read_bytes(), name
    key = started("keyframe", params("wide"))
    assert json.loads(key.outputs["layout"].read_text())["staging"]["opacity"] == 0.3  # what motion fades by
