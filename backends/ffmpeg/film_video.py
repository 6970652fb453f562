"""The film's picture: shot bodies and transition segments, joined by stream copy.

Each shot's body (the frames between its transitions) is cut by stream copy out of the ``video``
of the shot's input (a video-only file: the motion's video, or, when the shot burned words in, the
shot's own; ``compiler.plan``): the motion backend put key frames at the cut points, the encoder
uses no B-frames, so cutting at a key frame start and at any end is exact to the frame. The concat
demuxer then joins bodies and transition segments without decoding anything, reading each body
straight from its file with an in and out point. The file must hold nothing but the picture: the
demuxer stops a file at the first packet of *any* stream past the out point, and a clip's audio
would stop it a frame early (cutting the clips themselves needed a video-only copy of them first,
an ffmpeg run of 35 ms in every film).

Stream copy needs two things of a segment: its first frame is a key frame, and its parameter
sets (SPS/PPS) equal those of the others. When every clip and transition has the same parameter
sets, those are the film's; otherwise the studio encoder's at this size are (probed by encoding one
frame), and a segment that differs (a clip made by another encoder) or does not start on a key
frame (a video model that ignored ``keyframes_at``) is re-encoded with the studio settings: it
costs time, never a wrong frame.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import ffmpeg
import numpy as np

from backends.base import BackendError, TaskRun

from .encode import encode_frames, encode_graph
from .mp4 import VideoTrack, read_video_track
from .timeline import Placement

__all__ = ["Segment", "concat_list", "studio_config"]

DEFAULT_CRF = 18
"""Quality of a re-encoded segment when the film's parameters give no ``crf`` (the project's)."""


class Segment:
    """One entry of the concat list: a video-only file, optionally cut to frames ``[first, end)``."""

    def __init__(self, path: Path, frames: int, first: int | None = None, end: int | None = None) -> None:
        self.path, self.frames, self.first, self.end = path, frames, first, end

    def directives(self, fps: int) -> str:
        quoted = str(self.path.resolve()).replace("'", "'\\''")
        lines = [f"file '{quoted}'", f"duration {self.frames / fps:.6f}"]
        # The demuxer seeks to the key frame at ``first`` (microseconds, far finer than a tick)
        # and stops at the first packet at or after ``outpoint``: half a frame before ``end`` is
        # safe from rounding either way.
        if self.first:
            lines.append(f"inpoint {self.first / fps:.6f}")
        if self.end is not None:
            lines.append(f"outpoint {(self.end - 0.5) / fps:.6f}")
        return "\n".join(lines)


@cache
def studio_config(width: int, height: int, fps: int) -> bytes:
    """The ``avcC`` (SPS + PPS) that the studio encoder writes at this size and frame rate."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="studio-avcc-") as tmp:
        path = Path(tmp) / "probe.mp4"
        encode_frames([np.zeros((height, width, 3), np.uint8)], path, fps=fps, crf=DEFAULT_CRF)
        return read_video_track(path).config


def _check_size(task: TaskRun, track: VideoTrack, label: str) -> None:
    want = (int(task.params.get("width") or track.width), int(task.params.get("height") or track.height))
    if (track.width, track.height) != want:
        raise BackendError(f"{label} is {track.width}x{track.height}, the film is {want[0]}x{want[1]}")


def _crf(task: TaskRun) -> int:
    return int(task.params.get("crf", DEFAULT_CRF))


def _re_encode(task: TaskRun, source: Path, out: Path, first: int, end: int, crf: int, label: str) -> Segment:
    cut = ffmpeg.input(str(source), threads=str(task.threads)).video.trim(start_frame=first, end_frame=end)
    encode_graph(cut, out, fps=int(task.params["fps"]), crf=crf, threads=task.threads, what=f"{label}: re-encoding")
    return Segment(out, end - first)


def _body(task: TaskRun, k: int, p: Placement, track: VideoTrack, config: bytes, scratch: Path) -> Segment | None:
    """The shot's body: cut from its ``video`` by the concat list, else re-encoded."""
    video = Path(task.inputs[p.shot].outputs["video"])
    if track.frames != p.frames:
        raise BackendError(f"{p.shot}: the video has {track.frames} frames, its metadata says {p.frames}")
    _check_size(task, track, f"{p.shot}: the video")
    first, end = p.body
    if end <= first:
        return None
    # The concat list reads track 1 of every file (a file holding other streams is re-encoded).
    if first in track.keyframes and track.config == config and track.track_id == 1 and track.tracks == 1:
        return Segment(video, end - first, first, end if end < track.frames else None)
    return _re_encode(task, video, scratch / f"body{k}.mp4", first, end, _crf(task), p.shot)


def _transition(task: TaskRun, k: int, p: Placement, track: VideoTrack, config: bytes, scratch: Path) -> Segment:
    assert p.transition is not None
    path = Path(task.inputs[p.transition].outputs["video"])
    if track.frames != p.cut_out:
        raise BackendError(f"{p.transition}: the segment has {track.frames} frames, the timeline needs {p.cut_out}")
    _check_size(task, track, f"{p.transition}: the segment")
    if track.config == config and 0 in track.keyframes:
        return Segment(path, track.frames)
    return _re_encode(task, path, scratch / f"transition{k}.mp4", 0, track.frames, _crf(task), p.transition)


def _tracks(task: TaskRun, placed: list[Placement]) -> dict[str, VideoTrack]:
    """Every clip's and transition segment's video track, by input role, each read once."""
    tracks = {}
    for p in placed:
        tracks[p.shot] = read_video_track(Path(task.inputs[p.shot].outputs["video"]), label=f"{p.shot}: video")
        if p.transition is not None:
            path = Path(task.inputs[p.transition].outputs["video"])
            tracks[p.transition] = read_video_track(path, label=f"{p.transition}: video")
    return tracks


def concat_list(task: TaskRun, placed: list[Placement], scratch: Path) -> Path:
    """Write the concat demuxer's list of the film's video segments, in order.

    When every clip and transition segment has the same parameter sets, those are the film's: they
    join by copy as they are, and the studio encoder's own need not be probed (an encode of one frame,
    0.05 s of every one-shot edit in a new process)."""
    fps = int(task.params["fps"])
    tracks = _tracks(task, placed)
    configs = {t.config for t in tracks.values()}
    if len(configs) == 1 and b"" not in configs:
        config = configs.pop()
    else:
        first = tracks[placed[0].shot]
        config = studio_config(
            int(task.params.get("width") or first.width), int(task.params.get("height") or first.height), fps
        )
    segments: list[Segment] = []
    for k, p in enumerate(placed):
        body = _body(task, k, p, tracks[p.shot], config, scratch)
        if body is not None:
            segments.append(body)
        if p.transition is not None:
            segments.append(_transition(task, k, p, tracks[p.transition], config, scratch))
        task.report(k + 1, len(placed) + 2)
    text = "ffconcat version 1.0\nstream\nexact_stream_id 1\n" + "\n".join(s.directives(fps) for s in segments) + "\n"
    path = scratch / "video.ffconcat"
    path.write_text(text, encoding="utf-8")
    return path
