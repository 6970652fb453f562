"""Look inside rendered media with the bundled ffmpeg (imageio-ffmpeg ships no ffprobe).

For tests, benchmarks and checks in other backends: per-frame hashes of the decoded video (which
show whether two files hold the same pictures, e.g. a stream-copied cut), decoded frames, decoded
audio.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._bin import decode_audio, run_ffmpeg
from .mp4 import read_video_track

__all__ = ["decode_audio", "frame_hashes", "read_frames", "video_frames"]


def frame_hashes(path: Path) -> list[str]:
    """MD5 of every decoded video frame (ffmpeg's ``framemd5``), in display order."""
    text = run_ffmpeg(
        ["-threads", "1", "-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "framemd5", "pipe:1"],
        what=f"hashing {path.name}",
        stdout=True,
    ).decode()
    return [line.rsplit(",", 1)[1].strip() for line in text.splitlines() if line and not line.startswith("#")]


def read_frames(path: Path, width: int, height: int) -> np.ndarray:
    """Every frame decoded to RGB24, shape ``(frames, height, width, 3)``."""
    raw = run_ffmpeg(
        [
            "-threads",
            "1",
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "pipe:1",
        ],
        what=f"decoding {path.name}",
        stdout=True,
    )
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def video_frames(path: Path) -> int:
    """Number of frames in the video track (from the index, no decoding)."""
    return read_video_track(path).frames
