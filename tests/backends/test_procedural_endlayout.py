"""Motion toward another shot's layout: figures travel from the shot's layout to the end shot's.

Frames come straight from ``endlayout.moving_frames`` where pixels matter (positions are measured
on each figure's own costume colour); one motion task runs through the real encoder.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backends import procedural
from backends.base import Artifact, TaskRun
from backends.procedural._camera import check_camera
from backends.procedural.endlayout import moving_frames
from backends.procedural.motion import StagedShot

W, H, FPS, FRAMES = 192, 108, 24, 36
MAGENTA, BLUE, ORANGE = (230, 0, 230), (0, 40, 240), (250, 130, 0)


def element(name: str, description: str, color: str | None = None) -> dict[str, Any]:
    return {"name": name, "description": description, "color": color, "references": []}


LUCA = element("Luca", "a shy boy", "#e600e6")
ALBERTO = element("Alberto", "a bold boy", "#0028f0")
MIRA = element("Mira", "a tall girl", "#fa8200")


def keyframe(run, characters: list[dict[str, Any]], blocking: list[dict[str, Any]], **extra: Any) -> Artifact:  # type: ignore[no-untyped-def]
    params: dict[str, Any] = {
        "width": W, "height": H, "seed": 2, "prompt": "", "negative": "", "action": "", "shot_type": "wide",
        "palette": [], "caption": False, "location": element("Cove", "a sandy beach"), "characters": characters,
        "props": [], "setting": {"interior": False, "time": "day", "place": "BEACH"}, "speakers": [],
        "blocking": blocking, **extra,
    }  # fmt: skip
    result = run("keyframe", params)
    return Artifact(result.outputs, result.meta)


def start_and_end(run) -> tuple[Artifact, Artifact]:  # type: ignore[no-untyped-def]
    """Luca walks from far left (far away) to far right (near) and sits; Alberto leaves, Mira arrives."""
    start = keyframe(run, [LUCA, ALBERTO], [{"who": "Luca", "at": "far_left", "depth": "far"},
                                            {"who": "Alberto", "at": "right"}])
    end = keyframe(run, [LUCA, MIRA], [{"who": "Luca", "at": "far_right", "depth": "near", "pose": "kneel"},
                                       {"who": "Mira", "at": "left"}])
    return start, end


def frames_to(start: Artifact, end: Artifact, move: str = "static",
              space: str = "rgb") -> tuple[list[np.ndarray], dict[str, Any]]:
    m, a = check_camera({"move": move, "amount": None}, "t")
    shot = StagedShot(start, "t", m, a, FRAMES, FPS, W, H, 5, [], space=space)
    frames, meta = moving_frames(shot, end, "t")
    return list(frames), meta


def near(frame: np.ndarray, colour: tuple[int, int, int], tolerance: int = 70) -> np.ndarray:
    return np.abs(frame.astype(int) - colour).sum(axis=-1) < tolerance


def test_a_figure_in_both_layouts_travels_and_grows_steadily(run) -> None:  # type: ignore[no-untyped-def]
    start = keyframe(run, [LUCA], [{"who": "Luca", "at": "far_left", "depth": "far"}])
    end = keyframe(run, [LUCA], [{"who": "Luca", "at": "far_right", "depth": "near", "pose": "kneel"}])
    frames, meta = frames_to(start, end)
    assert meta == {"moved": ["Luca"], "out": [], "in": []}
    xs, sizes = [], []
    for f in frames:
        ys, cols = np.nonzero(near(f, MAGENTA))
        assert len(cols) > 3
        xs.append(float(cols.mean()))
        sizes.append(float(cols.max() - cols.min() + 1) * float(ys.max() - ys.min() + 1))
    # where the layouts put his feet (the costume sits right above them)
    assert abs(xs[0] - 0.12 * W) < 4 and abs(xs[-1] - 0.88 * W) < 4
    assert all(b >= a - 0.6 for a, b in itertools.pairwise(xs))  # never back
    assert xs[FRAMES // 2] > xs[FRAMES // 4] + 10 and xs[3 * FRAMES // 4] > xs[FRAMES // 2] + 10  # through the middle
    assert sizes[-1] > 1.5 * sizes[0]  # far to near
    assert sum(b < a * 0.9 for a, b in itertools.pairwise(sizes)) <= 2  # grows (a kneel's step may dip once)


def test_figures_in_one_layout_fade_and_the_last_frame_is_the_end_keyframe(run) -> None:  # type: ignore[no-untyped-def]
    start, end = start_and_end(run)
    frames, meta = frames_to(start, end)
    assert meta == {"moved": ["Luca"], "out": ["Alberto"], "in": ["Mira"]}
    alberto = [int(near(f, BLUE).sum()) for f in frames]
    mira = [int(near(f, ORANGE).sum()) for f in frames]
    assert alberto[0] > 20 and alberto[-1] == 0 and mira[0] == 0 and mira[-1] > 20
    assert alberto[FRAMES // 2] < alberto[0] and mira[FRAMES // 2] < mira[-1]
    from PIL import Image

    with Image.open(end.outputs["image"]) as im:
        assert np.array_equal(frames[-1], np.asarray(im.convert("RGB")))
    m, a = check_camera({"move": "static", "amount": None}, "t")
    plain = next(StagedShot(start, "t", m, a, FRAMES, FPS, W, H, 5, []).frames())
    assert np.abs(frames[0].astype(int) - plain).mean() < 0.5  # starts as the shot does


@pytest.mark.parametrize("move", ["static", "pan_right", "zoom_in"])
def test_never_frozen_and_deterministic(run, move: str) -> None:  # type: ignore[no-untyped-def]
    start, end = start_and_end(run)
    frames, _ = frames_to(start, end, move)
    again, _ = frames_to(start, end, move)
    assert all(np.array_equal(a, b) for a, b in zip(frames, again, strict=True))
    same = [np.array_equal(a, b) for a, b in itertools.pairwise(frames)]
    still = max((len(list(g)) for same_, g in itertools.groupby(same) if same_), default=0)
    assert still < FPS // 2 - 1  # no picture held for half a second


def test_the_motion_task_moves_to_an_end_keyframe_and_crossfades_to_a_picture(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    start, end = start_and_end(run)
    params = {"width": W, "height": H, "fps": FPS, "frames": 12, "duration": 0.5, "seed": 5, "shot_type": "wide",
              "camera": {"move": "static", "amount": None}, "keyframes_at": [0], "crf": 16, "pattern": None,
              "end": {"input": "end"}}
    moved = run("motion", params, {"keyframe": start, "end": end})
    again = run("motion", params, {"keyframe": start, "end": end})
    assert moved.meta["end_layout"] == {"moved": ["Luca"], "out": ["Alberto"], "in": ["Mira"]}
    assert moved.outputs["video"].read_bytes() == again.outputs["video"].read_bytes()
    card = run("keyframe", {"width": W, "height": H, "seed": 1, "action": "", "prompt": "", "shot_type": "wide",
                            "palette": [], "location": None, "characters": [], "props": [], "card": "THE END"})
    faded = run("motion", params, {"keyframe": start, "end": Artifact(card.outputs, card.meta)})
    assert "end_layout" not in faded.meta and faded.meta["end"] == "end"  # no layout: the cross-fade


def test_figures_over_a_starting_picture_fade_as_a_whole(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Strength 0.5: every figure pixel is half the figure, half what is under it; the figures' parts
    (lower body, upper body) no longer overlap at 0.75."""
    from PIL import Image

    y, x = np.mgrid[0:H, 0:W]
    board = tmp_path / "board.png"
    Image.fromarray(np.stack([x * 255 // W, y * 255 // H, np.full_like(x, 90)], -1).astype(np.uint8)).save(board)

    def picture(**extra: Any) -> dict[str, np.ndarray]:
        workdir = tmp_path / f"k{len(list(tmp_path.iterdir()))}"
        workdir.mkdir()
        p = {"width": W, "height": H, "seed": 7, "prompt": "", "negative": "", "action": "Luca waves at Mira",
             "shot_type": "wide", "palette": [], "caption": False, "location": element("Cove", "a cove by the sea"),
             "characters": [LUCA, MIRA], "props": [], **extra}
        r = procedural.run(TaskRun("keyframe:s/x", "keyframe", p, {}, {"start": board}, workdir),
                           procedural.load({"params": {}}))
        return {k: np.asarray(Image.open(v).convert("RGB")).astype(float) for k, v in r.outputs.items()
                if k in ("image", "background")}

    full, half = picture(), picture(start={"file": "start", "strength": 0.5})
    inside = np.abs(full["image"] - full["background"]).max(-1) > 30
    for _ in range(2):  # away from the edges (antialiased)
        inside &= np.roll(inside, 1, 0) & np.roll(inside, -1, 0) & np.roll(inside, 1, 1) & np.roll(inside, -1, 1)
    under = half["background"]
    span = full["image"] - under
    ok = (np.abs(span) > 40) & inside[..., None]
    alpha = (half["image"] - under)[ok] / span[ok]
    assert len(alpha) > 300
    assert float(np.mean(np.abs(alpha - 0.5) > 0.1)) < 0.01  # was 10 % (the parts' overlaps at 0.75)


@pytest.mark.parametrize("move", ["static", "zoom_in"])
def test_moving_to_the_end_layout_in_ycbcr_is_the_rgb_motion_converted(run, move: str) -> None:  # type: ignore[no-untyped-def]
    from backends.ffmpeg.ycbcr import from_rgb

    start, end = start_and_end(run)
    rgb, meta = frames_to(start, end, move)
    ycbcr, meta2 = frames_to(start, end, move, space="ycbcr")
    assert meta == meta2
    for ours, theirs in zip(ycbcr, rgb, strict=True):
        diff = np.abs(ours.astype(int) - from_rgb(theirs))
        assert diff.max() <= 3 and diff.mean() < 0.3
