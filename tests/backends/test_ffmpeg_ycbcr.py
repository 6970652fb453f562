"""Y'CbCr frames: the integer BT.709 conversion, 4:2:0 averaging, and encoding them as they are."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from backends.base import BackendError
from backends.ffmpeg.encode import SWS_FLAGS, encode_frames
from backends.ffmpeg.mp4 import read_video_track
from backends.ffmpeg.ycbcr import from_premultiplied, from_rgb, to_yuv420p

KR, KB = 0.2126, 0.0722


def reference(rgb: np.ndarray) -> np.ndarray:
    """BT.709 limited range in floating point, as the standard writes it."""
    r, g, b = (rgb[..., c].astype(np.float64) / 255.0 for c in range(3))
    y = KR * r + (1 - KR - KB) * g + KB * b
    return np.stack([16 + 219 * y, 128 + 224 * (b - y) / (2 * (1 - KB)), 128 + 224 * (r - y) / (2 * (1 - KR))], -1)


def picture(h: int = 72, w: int = 128, seed: int = 0) -> np.ndarray:
    """Smooth gradients with a few hard-edged shapes, like the animatic's pictures."""
    yy, xx = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    rgb = np.stack([255 * xx, 255 * yy, 255 * (1 - xx) * yy], -1)
    rng = np.random.default_rng(seed)
    for _ in range(6):
        y0, x0 = rng.integers(0, h - 8), rng.integers(0, w - 8)
        rgb[y0 : y0 + rng.integers(4, 30), x0 : x0 + rng.integers(4, 40)] = rng.integers(0, 256, 3)
    return np.floor(rgb + 0.5).astype(np.uint8)


def test_primaries_black_white_and_greys_are_exact() -> None:
    rgb = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]]], np.uint8)
    got = from_rgb(rgb)
    assert got[0, 0].tolist() == [16, 128, 128] and got[0, 1].tolist() == [235, 128, 128]
    assert got[0, 5, 1:].tolist() == [128, 128]  # a grey has no colour
    assert np.abs(got - reference(rgb)).max() <= 0.5 + 1e-9  # rounded, never off by more


def test_every_colour_is_within_rounding_of_the_standard() -> None:
    levels = np.arange(0, 256, 5, dtype=np.uint8)
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(1, -1, 3)
    assert np.abs(from_rgb(rgb) - reference(rgb)).max() <= 0.51


def test_premultiplied_compositing_agrees_with_compositing_in_rgb() -> None:
    rng = np.random.default_rng(3)
    under = rng.integers(0, 256, (1, 4096, 3), dtype=np.uint8)
    colour = rng.integers(0, 256, (1, 4096, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (1, 4096), dtype=np.uint8)
    alpha[0, :3] = (0, 255, 1)
    a = alpha[..., None].astype(np.float64) / 255.0
    premultiplied = np.floor(colour * a + 0.5).astype(np.uint8)
    in_rgb = np.floor(premultiplied + under * (1 - a) + 0.5).astype(np.uint8)
    pm = from_premultiplied(premultiplied, alpha)
    assert (pm <= alpha[..., None]).all()  # premultiplied colour never passes alpha
    assert pm[0, 0].tolist() == [0, 0, 0]
    assert pm[0, 1].tolist() == from_rgb(premultiplied[:, 1:2])[0, 0].tolist()  # opaque: the plain conversion
    in_ycbcr = pm + from_rgb(under) * (1 - a)
    assert np.abs(in_ycbcr - from_rgb(in_rgb)).max() <= 2.0


def test_to_yuv420p_takes_luma_and_averages_each_2x2_block_of_chroma() -> None:
    frame = from_rgb(picture())
    h, w = frame.shape[:2]
    planar = to_yuv420p(frame)
    assert planar.shape == (h * w * 3 // 2,) and planar.dtype == np.uint8
    assert np.array_equal(planar[: h * w].reshape(h, w), frame[..., 0])
    for c, start in ((1, h * w), (2, h * w * 5 // 4)):
        blocks = frame[..., c].astype(np.int64).reshape(h // 2, 2, w // 2, 2).sum(axis=(1, 3))
        assert np.array_equal(planar[start : start + h * w // 4].reshape(h // 2, w // 2), (blocks + 2) // 4)
    assert np.array_equal(to_yuv420p(frame[:, ::-1][:, ::-1]), planar)  # any strides


def test_the_conversion_agrees_with_ffmpegs_own() -> None:
    """What swscale made of RGB frames before (bit-exact, BT.709 limited): luma within one level,
    chroma within a few at hard edges (where 2x2 averages of converted pixels and converted averages
    differ)."""
    rgb = picture(144, 256)
    h, w = rgb.shape[:2]
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-sws_flags", SWS_FLAGS, "-f", "rawvideo", "-pix_fmt",
           "rgb24", "-s", f"{w}x{h}", "-i", "-", "-vf", "scale=out_color_matrix=bt709:out_range=tv",
           "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"]
    theirs = np.frombuffer(subprocess.run(cmd, input=rgb.tobytes(), capture_output=True, check=True).stdout, np.uint8)
    diff = np.abs(to_yuv420p(from_rgb(rgb)).astype(int) - theirs)
    assert diff[: h * w].max() <= 1
    assert np.mean(diff[h * w :]) < 0.5 and diff[h * w :].max() <= 8


def decode_yuv(path: Path, w: int, h: int) -> np.ndarray:
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "yuv420p",
           "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h * w * 3 // 2)


def test_ycbcr_frames_encode_as_they_are_and_join_rgb_clips_by_stream_copy(tmp_path: Path) -> None:
    rgbs = [np.roll(picture(72, 128), 3 * i, axis=1) for i in range(6)]
    frames = [from_rgb(f) for f in rgbs]
    encode_frames(frames, tmp_path / "y.mp4", fps=24, crf=4, colour="ycbcr")
    encode_frames(rgbs, tmp_path / "r.mp4", fps=24, crf=4)
    decoded = decode_yuv(tmp_path / "y.mp4", 128, 72)
    assert len(decoded) == 6
    for got, frame in zip(decoded, frames, strict=True):
        assert np.abs(got.astype(int) - to_yuv420p(frame)).mean() < 1.0  # only the encoder's loss
    ours, theirs = read_video_track(tmp_path / "y.mp4"), read_video_track(tmp_path / "r.mp4")
    # the same SPS and PPS (colour description included): the film joins both kinds of clip by copy
    assert ours.config and ours.config == theirs.config


def test_ycbcr_encoding_is_deterministic(tmp_path: Path) -> None:
    frames = [from_rgb(np.roll(picture(72, 128), 5 * i, axis=0)) for i in range(4)]
    encode_frames(frames, tmp_path / "a.mp4", fps=24, crf=18, colour="ycbcr")
    encode_frames(frames, tmp_path / "b.mp4", fps=24, crf=18, colour="ycbcr")
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def test_an_unknown_colour_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="unknown frame colour 'bgr'"):
        encode_frames([np.zeros((8, 8, 3), np.uint8)], tmp_path / "x.mp4", fps=24, crf=18, colour="bgr")


def test_planar_frames_encode_exactly_as_the_444_frames_they_average(tmp_path: Path) -> None:
    frames = [from_rgb(np.roll(picture(72, 128), 7 * i, axis=1)) for i in range(4)]
    planar = [to_yuv420p(f).reshape(108, 128) for f in frames]
    encode_frames(frames, tmp_path / "a.mp4", fps=24, crf=18, colour="ycbcr")
    encode_frames(planar, tmp_path / "b.mp4", fps=24, crf=18, colour="ycbcr")
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


@pytest.mark.parametrize(("colour", "frame", "message"), [
    ("ycbcr", np.zeros((100, 64), np.uint8), "planar 4:2:0 frame"),
    ("ycbcr", np.zeros((108, 63), np.uint8), "planar 4:2:0 frame"),
    ("rgb", np.zeros((108, 64), np.uint8), "uint8 RGB"),
])
def test_malformed_planar_frames_are_refused(tmp_path: Path, colour: str, frame: np.ndarray, message: str) -> None:
    with pytest.raises(BackendError, match=message):
        encode_frames([frame], tmp_path / "x.mp4", fps=24, crf=18, colour=colour)
