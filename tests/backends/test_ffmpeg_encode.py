"""The studio H.264 encoder: exact frames, key frames where asked, same bytes every run."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import ffmpeg
import numpy as np
import pytest

from backends.base import BackendError
from backends.ffmpeg.encode import encode_frames, encode_graph, keyframe_expr
from backends.ffmpeg.mp4 import read_video_track
from backends.ffmpeg.probe import frame_hashes, read_frames
from tests.backends.test_ffmpeg_support import CRF, FPS, H, W, pictures


def avcc(path: Path) -> bytes:
    """The avcC box payload (SPS + PPS) of an MP4's H.264 track."""
    data = path.read_bytes()
    at = data.index(b"avcC")
    (size,) = struct.unpack(">I", data[at - 4 : at])
    return data[at + 4 : at - 4 + size]


def test_exact_frame_count_and_key_frames(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    encode_frames(pictures(30, 1), path, fps=FPS, crf=CRF, keyframes_at=[0, 7, 19])
    track = read_video_track(path)
    assert track.frames == 30
    assert track.keyframes == (0, 7, 19)
    assert len(frame_hashes(path)) == 30


def test_key_frames_are_forced_even_without_frame_zero(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    encode_frames(pictures(20, 2), path, fps=FPS, crf=CRF, keyframes_at=[12])
    assert read_video_track(path).keyframes == (0, 12)


def test_same_frames_give_the_same_bytes(tmp_path: Path) -> None:
    frames = pictures(24, 3)
    encode_frames(frames, tmp_path / "a.mp4", fps=FPS, crf=CRF, keyframes_at=[0, 12], threads=2)
    encode_frames(iter(frames), tmp_path / "b.mp4", fps=FPS, crf=CRF, keyframes_at=[0, 12], threads=2)
    data = (tmp_path / "a.mp4").read_bytes()
    assert data == (tmp_path / "b.mp4").read_bytes()
    assert b"x264 - core" not in data, "x264's version SEI was not removed"
    assert not re.search(rb"Lav[fc]\d", data), "a libav* version string leaked into the file"


def test_colours_survive_encoding(tmp_path: Path) -> None:
    """RGB -> BT.709 limited-range YUV -> RGB gives back the colours the renderer drew."""
    colours = [(220, 40, 30), (30, 200, 60), (40, 50, 210), (128, 128, 128), (250, 240, 200), (10, 10, 10)]
    frames = [np.full((H, W, 3), c, np.uint8) for c in colours]
    path = tmp_path / "v.mp4"
    encode_frames(frames, path, fps=FPS, crf=18)
    decoded = read_frames(path, W, H).astype(np.int16)
    assert decoded.shape == (len(colours), H, W, 3)
    means = decoded.reshape(len(colours), -1, 3).mean(axis=1)
    assert np.abs(means - np.array(colours)).max() < 4


def test_graph_encodes_share_the_parameter_sets(tmp_path: Path) -> None:
    """Segments join by stream copy only when SPS and PPS are byte-identical."""
    encode_frames(pictures(12, 5), tmp_path / "frames.mp4", fps=FPS, crf=30)
    source = ffmpeg.input(str(tmp_path / "frames.mp4")).video.filter("negate")
    encode_graph(source, tmp_path / "graph.mp4", fps=FPS, crf=18, keyframes_at=[0, 5])
    assert avcc(tmp_path / "frames.mp4") == avcc(tmp_path / "graph.mp4")
    assert read_video_track(tmp_path / "graph.mp4").keyframes == (0, 5)


def test_progress_counts_frames(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    encode_frames(pictures(5, 6), tmp_path / "v.mp4", fps=FPS, crf=CRF, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, 5) for i in range(1, 6)]


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ([], "no frames"),
        ([np.zeros((36, 64, 3), np.float32)], "uint8 RGB"),
        ([np.zeros((36, 64), np.uint8)], "uint8 RGB"),
        ([np.zeros((35, 64, 3), np.uint8)], "even"),
        ([np.zeros((36, 64, 3), np.uint8), np.zeros((36, 66, 3), np.uint8)], "all frames must match"),
    ],
)
def test_bad_frames_are_refused(tmp_path: Path, frames: list[np.ndarray], message: str) -> None:
    with pytest.raises(BackendError, match=message):
        encode_frames(frames, tmp_path / "v.mp4", fps=FPS, crf=CRF)


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="crf"):
        encode_frames(pictures(2, 1), tmp_path / "v.mp4", fps=FPS, crf=60)
    with pytest.raises(BackendError, match="negative"):
        keyframe_expr([-1])


def test_damaged_video_is_a_backend_error(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    encode_frames(pictures(4, 1), path, fps=FPS, crf=CRF)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])
    with pytest.raises(BackendError, match="damaged.mp4: cannot read video"):
        read_video_track(damaged)
    (tmp_path / "text.mp4").write_text("not a video")
    with pytest.raises(BackendError, match="cannot read video"):
        read_video_track(tmp_path / "text.mp4")
