"""The procedural backend's motion: camera moves over a picture and audio-reactive patterns.

Frames are checked straight from the generators (no encoding) where the picture matters; the
task itself runs through the real ``backends.ffmpeg.encode`` at a tiny size. Staged shots (figures
drawn from the keyframe's layout) are in ``test_procedural_staged.py``.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile

from backends import procedural
from backends.base import Artifact, BackendError, Result, TaskRun
from backends.procedural._camera import MOVES, View, path
from backends.procedural.motion import camera_frames
from backends.procedural.pattern import STYLES, pattern_frames

W, H = 160, 90
GREY = (120, 120, 120)


def picture(*, bar_x: int | None = None, bar_y: int | None = None, square: int | None = None) -> np.ndarray:
    img = np.empty((H, W, 3), np.uint8)
    img[:] = GREY
    if bar_x is not None:
        img[:, bar_x : bar_x + 4] = (220, 20, 20)
    if bar_y is not None:
        img[bar_y : bar_y + 4] = (220, 20, 20)
    if square is not None:
        img[H // 2 - square // 2 : H // 2 + square // 2, W // 2 - square // 2 : W // 2 + square // 2] = (220, 20, 20)
    return img


def red(frame: np.ndarray) -> np.ndarray:
    return (frame[..., 0] > 150) & (frame[..., 1] < 100)


def centroid(frame: np.ndarray, axis: int) -> float:
    """Where the red is, to a fraction of a pixel (weighted by how red each pixel is)."""
    weight = np.clip(frame[..., 0].astype(float) - frame[..., 1], 0, None)
    coords = np.arange(frame.shape[axis], dtype=float) + 0.5
    profile = weight.sum(axis=1 - axis)
    return float((profile * coords).sum() / profile.sum())


def frames_of(img: np.ndarray, move: str, amount: float, n: int = 24, seed: int = 1) -> list[np.ndarray]:
    return list(camera_frames(img, move, amount, n, 24, W, H, seed))


# --- directions, easing, sub-pixel motion ---------------------------------------------------------


def test_pan_right_moves_the_scene_left_in_frame() -> None:
    """The camera turns right, so what it sees slides left (and pan_left the other way)."""
    right = [centroid(f, 1) for f in frames_of(picture(bar_x=78), "pan_right", 0.3)]
    left = [centroid(f, 1) for f in frames_of(picture(bar_x=78), "pan_left", 0.3)]
    assert all(b <= a for a, b in itertools.pairwise(right)) and right[0] - right[-1] > 20
    assert all(b >= a for a, b in itertools.pairwise(left)) and left[-1] - left[0] > 20


def test_tilt_up_moves_the_scene_down_in_frame() -> None:
    up = [centroid(f, 0) for f in frames_of(picture(bar_y=43), "tilt_up", 0.3)]
    down = [centroid(f, 0) for f in frames_of(picture(bar_y=43), "tilt_down", 0.3)]
    assert up[-1] - up[0] > 10 and down[0] - down[-1] > 10


def test_moves_are_eased_and_sub_pixel() -> None:
    xs = [centroid(f, 1) for f in frames_of(picture(bar_x=78), "pan_right", 0.05, n=48)]
    steps = -np.diff(xs)
    assert steps[0] < steps[len(steps) // 2] / 3 and steps[-1] < steps[len(steps) // 2] / 3
    assert 0 <= steps.min() and steps.max() <= 0.51  # at most half a pixel a frame (quarter-pixel steps), yet it moves
    assert len(set(np.round(xs, 3))) > 24  # in quarter pixels


def test_zoom_in_enlarges_and_zoom_out_shrinks() -> None:
    zoom_in = [red(f).sum() for f in frames_of(picture(square=20), "zoom_in", 0.5)]
    zoom_out = [red(f).sum() for f in frames_of(picture(square=20), "zoom_out", 0.5)]
    assert zoom_in[-1] > 1.8 * zoom_in[0] and zoom_out[0] > 1.8 * zoom_out[-1]
    assert all(b >= a for a, b in itertools.pairwise(zoom_in))
    first = frames_of(picture(square=20), "zoom_in", 0.5)[0]
    assert centroid(first, 1) == pytest.approx(W / 2, abs=0.5)


def test_hold_repeats_the_keyframe_and_static_drifts() -> None:
    img = picture(square=10)
    assert all(np.array_equal(f, img) for f in frames_of(img, "hold", 0.0, n=5))
    assert all(np.array_equal(f, img) for f in frames_of(img, "pan_right", 0.0, n=5))
    big = np.repeat(np.repeat(picture(bar_x=78), 4, axis=0), 4, axis=1)  # drift is slow: see it on a big frame
    xs = [centroid(f, 1) for f in camera_frames(big, "static", 0.006, 72, 24, 4 * W, 4 * H, 1)]
    assert 2.0 < abs(xs[-1] - xs[0]) < 6.0  # 0.6 % of the width over the shot
    assert all(d <= 0 for d in np.diff(xs)) or all(d >= 0 for d in np.diff(xs))


def test_shake_jitters_around_the_centre_and_depends_on_the_seed() -> None:
    a = [centroid(f, 1) for f in frames_of(picture(square=10), "shake", 0.5, seed=1)]
    b = [centroid(f, 1) for f in frames_of(picture(square=10), "shake", 0.5, seed=1)]
    c = [centroid(f, 1) for f in frames_of(picture(square=10), "shake", 0.5, seed=2)]
    assert a == b and a != c
    assert np.std(a) > 0.3 and max(abs(x - W / 2) for x in a) < 0.08 * H + 2


@pytest.mark.parametrize("move", MOVES)
@pytest.mark.parametrize("amount", [0.01, 0.3, 1.0])
@pytest.mark.parametrize("parallax", [0.0, 0.25])
def test_every_view_stays_inside_the_picture(move: str, amount: float, parallax: float) -> None:
    def inside(v: View) -> bool:
        half = 0.5 / v.zoom
        return v.zoom >= 1.0 and all(-1e-9 <= c - half and c + half <= 1 + 1e-9 for c in (v.cx, v.cy))

    views = path(move, amount, 30, fps=24, seed=3, focus=(0.9, 0.1), parallax=parallax)
    assert len(views) == 30 and all(inside(bg) and inside(fg) for bg, fg in views)


def test_a_keyframe_of_another_size_is_cropped_to_cover_the_frame() -> None:
    square = np.zeros((200, 200, 3), np.uint8)
    square[:, :100] = 255
    frames = list(camera_frames(square, "zoom_in", 0.2, 3, 24, W, H, 1))
    assert all(f.shape == (H, W, 3) for f in frames)
    assert frames[0][:, : W // 2 - 2].min() == 255 and frames[0][:, W // 2 + 2 :].max() == 0


# --- the task: encoding, determinism, errors -----------------------------------------------------


@pytest.fixture
def run(tmp_path: Path):
    counter = itertools.count()

    def run(
        kind: str,
        params: dict[str, Any],
        inputs: dict[str, Artifact] | None = None,
        files: dict[str, Path] | None = None,
    ) -> Result:
        workdir = tmp_path / f"task{next(counter)}"
        workdir.mkdir()
        task = TaskRun(
            id=f"{kind}:cove/peek", kind=kind, params=params, inputs=inputs or {}, files=files or {}, workdir=workdir
        )
        return procedural.run(task, procedural.load({"backend": "procedural", "params": {}}))

    return run


@pytest.fixture
def keyframe(run) -> Artifact:
    def el(name: str, description: str, color: str | None = None) -> dict[str, Any]:
        return {"name": name, "description": description, "color": color, "references": []}

    result = run("keyframe", {
        "width": W, "height": H, "seed": 1, "prompt": "", "negative": "", "action": "", "shot_type": "wide",
        "palette": [], "caption": False, "location": el("Cove", "a cove by the sea"),
        "characters": [el("Luca", "a boy", "#d02020")], "props": [],
    })  # fmt: skip
    return Artifact(result.outputs, result.meta)


def motion_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "width": W, "height": H, "fps": 12, "frames": 12, "duration": 1.0, "seed": 5, "shot_type": "wide",
        "camera": {"move": "pan_right", "amount": None}, "keyframes_at": [0, 6], "crf": 23, "pattern": None,
    }  # fmt: skip
    params.update(overrides)
    return params


def test_motion_task_encodes_exactly_the_frames_and_is_reproducible(run, keyframe: Artifact) -> None:
    first = run("motion", motion_params(), {"keyframe": keyframe})
    second = run("motion", motion_params(), {"keyframe": keyframe})
    video = first.outputs["video"]
    assert video.read_bytes() == second.outputs["video"].read_bytes()
    assert imageio_ffmpeg.count_frames_and_secs(str(video))[0] == 12
    assert {k: first.meta[k] for k in ("frames", "fps", "move", "amount")} == {
        "frames": 12, "fps": 12, "move": "pan_right", "amount": 0.15}
    assert [s["setup"] for s in first.meta["setups"]] == [0]


@pytest.mark.parametrize(
    ("params", "inputs", "message"),
    [
        (
            motion_params(camera={"move": "spin", "amount": None}),
            True,
            "unknown camera move 'spin'; known moves: static",
        ),
        (motion_params(camera={"move": "pan_left", "amount": 2}), True, "camera amount must be a number from 0 to 1"),
        (motion_params(frames=0), True, "frames must be a whole number of at least 1"),
        (motion_params(), False, "needs its keyframe input"),
        (
            motion_params(pattern={"track": "audio:theme", "style": "cppn", "offset": 0}),
            True,
            "music track 'audio:theme' was not provided",
        ),
    ],
)
def test_bad_motion_parameters_are_reported(
    run, keyframe: Artifact, params: dict[str, Any], inputs: bool, message: str
) -> None:
    with pytest.raises(BackendError, match=message):
        run("motion", params, {"keyframe": keyframe} if inputs else {})


def test_an_unreadable_keyframe_is_reported(run, tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(BackendError, match="cannot read the keyframe image"):
        run("motion", motion_params(), {"keyframe": Artifact({"image": tmp_path / "bad.png"})})


# --- audio-reactive patterns -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds: one of silence, then one of loud beats, a bass tone and hiss."""
    rate = 8000
    t = np.arange(2 * rate) / rate
    loud = t >= 1.0
    beat = np.mod(t, 0.25) < 0.03
    noise = np.random.default_rng(0).uniform(-1, 1, len(t))
    signal = loud * (0.5 * np.sin(2 * np.pi * 70 * t) + 0.2 * np.sin(2 * np.pi * 900 * t) + 0.3 * noise * beat)
    path = tmp_path_factory.mktemp("audio") / "song.wav"
    soundfile.write(path, np.stack([signal, signal], axis=1).astype(np.float32), rate)
    return path


@pytest.mark.parametrize("style", STYLES)
def test_patterns_react_to_the_music(song: Path, style: str) -> None:
    pattern = {"track": "audio:song", "style": style, "offset": 0.25}
    frames = list(pattern_frames(pattern, {"audio:song": song}, None, W, H, 18, 12, 3, "motion:x"))
    assert len(frames) == 18 and all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in frames)
    quiet = np.mean([f.mean() for f in frames[:6]])  # 0.25 s .. 0.75 s: silence
    loud = np.mean([f.mean() for f in frames[10:]])  # after 1.08 s: the beats
    assert loud > 2 * quiet
    assert not np.array_equal(frames[12], frames[16])  # it moves while the music plays
    again = list(pattern_frames(pattern, {"audio:song": song}, None, W, H, 18, 12, 3, "motion:x"))
    assert all(np.array_equal(a, b) for a, b in zip(frames, again))


def test_pattern_takes_its_colours_from_the_keyframe(song: Path) -> None:
    pattern = {"track": "audio:song", "style": "noise", "offset": 1.0}
    green = np.zeros((H, W, 3), np.uint8)
    green[..., 1] = 200
    frame = next(iter(pattern_frames(pattern, {"audio:song": song}, green, W, H, 1, 12, 3, "m")))
    assert frame[..., 1].mean() > 2 * frame[..., 0].mean()


def test_pattern_motion_task_encodes(run, keyframe: Artifact, song: Path) -> None:
    params = motion_params(pattern={"track": "audio:song", "style": "cppn", "offset": 0.5})
    result = run("motion", params, {"keyframe": keyframe}, {"audio:song": song})
    assert imageio_ffmpeg.count_frames_and_secs(str(result.outputs["video"]))[0] == 12
    assert result.meta["pattern"] == "cppn"


def test_bad_patterns_are_reported(song: Path, tmp_path: Path) -> None:
    (tmp_path / "noise.wav").write_bytes(b"RIFF nonsense")
    with pytest.raises(BackendError, match="unknown pattern style 'plasma'; known styles: cppn, fractal, noise"):
        list(pattern_frames({"track": "audio:s", "style": "plasma"}, {"audio:s": song}, None, W, H, 1, 12, 1, "m"))
    with pytest.raises(BackendError, match=r"cannot read the music track audio:s"):
        list(
            pattern_frames(
                {"track": "audio:s", "style": "cppn"}, {"audio:s": tmp_path / "noise.wav"}, None, W, H, 1, 12, 1, "m"
            )
        )


@pytest.mark.parametrize("move", ["pan_left", "zoom_out", "shake"])
def test_camera_frames_in_ycbcr_are_the_rgb_frames_converted(move: str) -> None:
    from backends.ffmpeg.ycbcr import from_rgb

    rng = np.random.default_rng(7)
    img = np.repeat(np.repeat(rng.integers(0, 256, (H // 8, W // 8, 3), dtype=np.uint8), 8, 0), 8, 1)
    rgb = camera_frames(img, move, 0.3, 12, 24, W, H, 1)
    ycbcr = camera_frames(img, move, 0.3, 12, 24, W, H, 1, space="ycbcr")
    for ours, theirs in zip(ycbcr, rgb, strict=True):
        assert np.abs(ours.astype(int) - from_rgb(theirs)).max() <= 2


def test_a_zoom_sampled_to_planar_420_matches_sampling_444_then_averaging() -> None:
    """``Sampler.i420``: Y' exactly as the full sampling; chroma once per 2x2 block at its centre, within
    a level of the block's mean where the picture is smooth (and identical at zoom 1 up to rounding)."""
    from backends.ffmpeg.ycbcr import from_rgb, to_yuv420p
    from backends.procedural._camera import View
    from backends.procedural._warp import Sampler, resample

    yy, xx = np.mgrid[0:90, 0:160]
    img = from_rgb(np.stack([xx * 1.5, yy * 2.5, (xx + yy)], -1).clip(0, 255).astype(np.uint8))
    views = [View(1.0, 0.5, 0.5), View(1.3, 0.45, 0.55), View(1.9, 0.6, 0.4)]
    sampler = Sampler(img, views, 90, 160)
    for i in range(len(views)):
        planar = sampler.i420(i)
        full = resample(img, *sampler.axes(i))
        assert planar.shape == (135, 160)
        assert np.array_equal(planar[:90], full[..., 0])
        assert np.abs(planar.astype(int) - to_yuv420p(full).reshape(135, 160)).max() <= 1
