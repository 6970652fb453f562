"""Staged motion: figures drawn from the keyframe's layout in every frame, over the camera's backdrop.

Frames come straight from ``StagedShot.frames`` (no encoding) where pixels matter; whole motion
tasks run through the real encoder at a tiny size.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile
from PIL import Image

from backends.base import Artifact
from backends.procedural._camera import check_camera
from backends.procedural._mouth import levels
from backends.procedural.motion import StagedShot
from backends.procedural.staging.layout import Staging
from backends.procedural.staging.timeline import Line

W, H, FPS = 192, 108, 24


def element(name: str, description: str, color: str | None = None) -> dict[str, Any]:
    return {"name": name, "description": description, "color": color, "references": []}


ALBERTO = element("Alberto", "a bold boy in a yellow tank top", "#e9c46a")
LUCA = element("Luca", "a shy boy with curly brown hair and a green shirt")
COVE = element("Cove", "a rocky cove by the sea")


def keyframe(run, **overrides: Any) -> Artifact:  # type: ignore[no-untyped-def]
    params: dict[str, Any] = {
        "width": W, "height": H, "seed": 2, "prompt": "", "negative": "", "action": "", "shot_type": "medium",
        "palette": [], "caption": False, "location": COVE, "characters": [ALBERTO, LUCA], "props": [],
        "setting": {"interior": False, "time": "day", "place": "COVE"}, "speakers": [],
    }  # fmt: skip
    params.update(overrides)
    result = run("keyframe", params)
    return Artifact(result.outputs, result.meta)


def shot(kf: Artifact, move: str = "static", seconds: float = 3.0, lines: list[Line] | None = None,
         amount: float | None = None) -> StagedShot:
    m, a = check_camera({"move": move, "amount": amount}, "t")
    return StagedShot(kf, "t", m, a, round(seconds * FPS), FPS, W, H, 5, lines or [])


def longest_still(frames: list[np.ndarray]) -> int:
    best = run = 1
    for a, b in itertools.pairwise(frames):
        run = run + 1 if np.array_equal(a, b) else 1
        best = max(best, run)
    return best


# --- never frozen ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("shot_type", "characters"), [("medium", [ALBERTO, LUCA]), ("close_up", [LUCA]),
                                                         ("establishing", [])])
def test_a_static_camera_never_holds_a_frame_for_half_a_second(run, shot_type: str, characters: list) -> None:
    kf = keyframe(run, shot_type=shot_type, characters=characters)
    frames = list(shot(kf, "static", 6.0).frames())
    assert longest_still(frames) <= FPS // 2


def test_hold_is_a_freeze_frame(run) -> None:
    frames = list(shot(keyframe(run), "hold", 2.0).frames())
    assert longest_still(frames) == len(frames)


def test_figures_breathe_a_few_pixels_and_blink(run) -> None:
    kf = keyframe(run, shot_type="close_up", characters=[LUCA])
    held = next(iter(shot(kf, "hold", 0.5).frames()))
    drawn = (held != np.asarray(Image.open(kf.outputs["background"]))).any(axis=-1)
    frames = np.stack(list(shot(kf, "static", 8.0).frames()))
    change = np.abs(frames[1:].astype(int) - frames[:-1]).max(axis=-1)
    assert change[:, drawn].max() > 40  # a blink: the eyes close
    moved = (change > 8).mean(axis=(1, 2))
    assert moved.max() < 0.2  # small changes: no jumps


# --- the voice moves the mouth --------------------------------------------------------------------


def speech(path: Path, seconds: float, rate: int = 16000) -> Path:
    """Syllables: bursts of a tone at 4 per second, with silences between."""
    t = np.arange(int(seconds * rate)) / rate
    envelope = (np.mod(t, 0.25) < 0.15) * np.minimum(1.0, t * 20)
    soundfile.write(path, (0.5 * np.sin(2 * np.pi * 220 * t) * envelope).astype(np.float32), rate, subtype="PCM_16")
    return path


def test_mouth_levels_follow_loudness_and_are_integers(tmp_path: Path) -> None:
    data, rate = soundfile.read(speech(tmp_path / "a.wav", 1.0), dtype="int16")
    first, opening = levels(data, rate, 0.5, FPS)
    assert first == 12 and len(opening) == 24
    assert set(opening) >= {0, 3}  # open on the syllables, shut between
    assert levels(data, rate, 0.5, FPS) == (first, opening)
    assert levels(np.zeros(1000, np.int16), rate, 0.0, FPS)[1] == (0,) * 2


def test_the_mouth_moves_while_a_line_plays_and_rests_between_lines(run, tmp_path: Path) -> None:
    kf = keyframe(run, shot_type="close_up", characters=[LUCA], speakers=["Luca"])
    data, rate = soundfile.read(speech(tmp_path / "a.wav", 1.0), dtype="int16")
    lines = []
    for start in (0.25, 2.0):
        first, opening = levels(data, rate, start, FPS)
        lines.append(Line("Luca", start, start + 1.0, opening, first))
    staged = shot(kf, "static", 3.5, lines)
    frames = list(staged.frames())
    x0, y0, x1, y1 = staged.setups()[0]["mouths"]["Luca"]
    dark = [int((f[y0:y1, x0:x1].astype(int).sum(axis=-1) < 200).sum()) for f in frames]

    def during(start: float) -> list[int]:
        return dark[round(start * FPS) + 1 : round((start + 1.0) * FPS) - 1]

    assert max(during(0.25)) - min(during(0.25)) > 10 and max(during(2.0)) - min(during(2.0)) > 10
    between = dark[round(1.35 * FPS) : round(1.95 * FPS)]
    assert max(between) - min(between) <= 2 and max(between) < max(during(0.25))


def test_two_speakers_in_a_close_up_cut_between_singles(run) -> None:
    kf = keyframe(run, shot_type="close_up", speakers=["Alberto", "Luca"])
    lines = [Line("Alberto", 0.25, 1.2), Line("Luca", 1.5, 2.5)]
    setups = shot(kf, "static", 3.0, lines).setups()
    assert [(s["speaker"], s["start"], s["end"]) for s in setups] == [("Alberto", 0, 36), ("Luca", 36, 72)]
    assert set(setups[0]["mouths"]) == {"Alberto"} and set(setups[1]["mouths"]) == {"Luca"}


# --- the camera and the figures -------------------------------------------------------------------


def centre_of(frames: list[np.ndarray], mask_of) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for f in frames:
        ys, xs = np.nonzero(mask_of(f))
        out.append(float(xs.mean()))
    return out


def test_a_pan_moves_the_figures_more_than_the_backdrop(run) -> None:
    """Parallax: the backdrop travels the pan's amount, the figures a quarter more."""
    from backends.procedural._camera import path

    kf = keyframe(run, shot_type="wide", characters=[element("Red", "a figure", "#ff0000")], location=None)
    frames = list(shot(kf, "pan_right", 1.0, amount=0.3).frames())
    figure = centre_of(frames, lambda f: (f[..., 0] > 200) & (f[..., 1] < 60) & (f[..., 2] < 60))
    views = path("pan_right", 0.3, len(frames), fps=FPS, seed=5, aspect=W / H, parallax=0.25)
    (bg0, _), (bg1, _) = views[0], views[-1]
    backdrop = (bg1.cx - bg0.cx) * W * bg0.zoom
    assert figure[0] - figure[-1] == pytest.approx(1.25 * backdrop, rel=0.05)


def test_a_dolly_grows_the_figures_and_moves_them_more_than_the_backdrop(run) -> None:
    """A dolly is a zoom toward the focus with parallax: figures grow with the picture, and where they
    go follows the nearer (foreground) view."""
    from backends.procedural._camera import path

    kf = keyframe(run, shot_type="wide", characters=[element("Red", "a figure", "#ff0000")], location=None,
                  blocking=[{"who": "Red", "at": 0.25}])
    frames = list(shot(kf, "dolly_in", 1.0, amount=0.5).frames())

    def red(f: np.ndarray) -> np.ndarray:
        return (f[..., 0] > 200) & (f[..., 1] < 60) & (f[..., 2] < 60)

    size = [int(red(f).sum()) for f in frames]
    assert size[-1] == pytest.approx(1.5 * 1.5 * size[0], rel=0.15)
    x = [float(np.nonzero(red(f))[1].mean()) for f in (frames[0], frames[-1])]
    focus_x = json.loads(kf.outputs["layout"].read_text())["staging"]["setups"][0]["focus"][0] * W
    (bg0, fg0), (bg1, fg1) = path("dolly_in", 0.5, len(frames), fps=FPS, seed=5, aspect=W / H, parallax=0.25,
                                  focus=(focus_x / W, 0.5))[::len(frames) - 1]
    assert (focus_x - x[1]) / (focus_x - x[0]) == pytest.approx(fg1.zoom / fg0.zoom, rel=0.1)
    assert fg1.zoom > bg1.zoom  # the figures travel more than the backdrop would


def test_entrances_walk_in_from_the_edge(run) -> None:
    kf = keyframe(run, shot_type="wide", characters=[element("Red", "a figure", "#ff0000")], location=None,
                  blocking=[{"who": "Red", "enter": "left", "at": "center"}])
    frames = list(shot(kf, "static", 3.0).frames())

    def red(f: np.ndarray) -> np.ndarray:
        return (f[..., 0] > 200) & (f[..., 1] < 60) & (f[..., 2] < 60)

    assert not red(frames[0]).any()  # still off screen
    xs = [float(np.nonzero(red(f))[1].mean()) for f in frames if red(f).any()]
    assert xs[0] < 0.25 * W and abs(xs[-1] - W / 2) < 0.1 * W
    assert all(b >= a - 1.0 for a, b in itertools.pairwise(xs))


# --- the task ------------------------------------------------------------------------------------


def test_motion_task_with_speech_is_reproducible_and_reports_its_setups(run, tmp_path: Path) -> None:
    kf = keyframe(run, shot_type="close_up", speakers=["Alberto", "Luca"])
    lines = {f"line{n}": Artifact({"audio": speech(tmp_path / f"{n}.wav", 0.8)}, {"duration": 0.8}) for n in (1, 2)}
    params = {
        "width": W, "height": H, "fps": FPS, "frames": 48, "duration": 2.0, "seed": 5, "shot_type": "close_up",
        "camera": {"move": "static", "amount": None}, "keyframes_at": [0], "crf": 23, "pattern": None,
        "lines": [{"input": "line1", "character": "Alberto", "off_screen": None, "start": 0.25},
                  {"input": "line2", "character": "Luca", "off_screen": None, "start": 1.1}],
    }  # fmt: skip
    first = run("motion", params, {"keyframe": kf, **lines})
    again = run("motion", params, {"keyframe": kf, **lines})
    assert first.outputs["video"].read_bytes() == again.outputs["video"].read_bytes()
    assert imageio_ffmpeg.count_frames_and_secs(str(first.outputs["video"]))[0] == 48
    assert [s["speaker"] for s in first.meta["setups"]] == ["Alberto", "Luca"]
    off = dict(params, lines=[dict(params["lines"][0]), dict(params["lines"][1], off_screen="O.S.")])
    assert [s["speaker"] for s in run("motion", off, {"keyframe": kf, **lines}).meta["setups"]] == ["Alberto"]


def test_a_layout_that_cannot_be_read_is_reported(run, tmp_path: Path) -> None:
    from backends.base import BackendError

    kf = keyframe(run)
    (tmp_path / "layout.json").write_text("{not json")
    broken = Artifact({**kf.outputs, "layout": tmp_path / "layout.json"}, kf.meta)
    with pytest.raises(BackendError, match="layout cannot be read"):
        shot(broken)
    data = json.loads(kf.outputs["layout"].read_text())
    assert Staging.from_json(data["staging"]).setups


# --- drawn in the encoder's colours ---------------------------------------------------------------


@pytest.mark.parametrize("move", ["static", "pan_right", "zoom_in", "dolly_in", "hold"])
def test_frames_drawn_in_ycbcr_are_the_rgb_frames_converted(run, tmp_path: Path, move: str) -> None:
    """Motion draws in Y'CbCr (backdrop and sprites converted once); every step after is a weighted
    mean, so the frames are the RGB frames converted, up to each step's rounding. A zoom samples
    straight to planar 4:2:0: its chroma once per 2x2 block at the block's centre, where averaging
    the block would blur a sharp edge a little more."""
    from backends.ffmpeg.ycbcr import from_rgb, to_yuv420p

    kf = keyframe(run, shot_type="medium", speakers=["Luca"], action="@Alberto waves at @Luca")
    data, rate = soundfile.read(speech(tmp_path / "a.wav", 1.0), dtype="int16")
    first, opening = levels(data, rate, 0.25, FPS)
    lines = [Line("Luca", 0.25, 1.25, opening, first)]
    m, a = check_camera({"move": move, "amount": None}, "t")
    rgb = StagedShot(kf, "t", m, a, 36, FPS, W, H, 5, lines).frames()
    ycbcr = StagedShot(kf, "t", m, a, 36, FPS, W, H, 5, lines, space="ycbcr").frames()
    for ours, theirs in zip(ycbcr, rgb, strict=True):
        if ours.ndim == 2:  # planar 4:2:0
            diff = np.abs(ours.astype(int) - to_yuv420p(from_rgb(theirs)).reshape(ours.shape))
            luma, chroma = diff[:H], diff[H:]
            assert luma.max() <= 3 and luma.mean() < 0.3
            assert chroma.mean() < 1.0 and chroma.max() <= 24
            continue
        diff = np.abs(ours.astype(int) - from_rgb(theirs))
        assert diff.max() <= 3 and diff.mean() < 0.3
