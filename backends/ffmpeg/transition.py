"""The ``transition`` task: the blend out of one shot into the next, as its own H.264 segment.

A transition of ``d`` seconds (``n = round(d * fps)`` frames) blends the last ``n`` frames of
``from`` with the first ``n`` frames of ``to`` through ffmpeg's ``xfade``; out of the last shot
(no ``to``) it fades the last ``n`` frames to black. The segment is encoded with the studio
settings so the film joins it to the shot bodies by stream copy.

It blends the shots' pictures without their burned subtitles and captions (a shot's ``picture``
output) and, when ``overlay`` asks, lays them on the blend afterwards, whole: a subtitle of the
outgoing shot stays until its line ends, then the incoming shot's; the outgoing caption gives way
to the incoming one halfway. So a wipe never cuts a subtitle in two and a dissolve never doubles it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import ffmpeg

from backends.base import Artifact, BackendError, Result, TaskRun

from .captions import render_action_caption, render_caption
from .encode import encode_graph
from .mp4 import VideoTrack, read_video_track
from .shot import overlay_images, subtitle_spans

__all__ = ["XFADE", "overlays", "run_transition"]

XFADE = {"dissolve": "fade", "fade": "fadeblack", "wipe": "wipeleft"}
"""Our transition types -> xfade transitions. A film dissolve is a cross-fade, xfade's ``fade``;
xfade's own ``dissolve`` switches random pixels from one picture to the other, a dither that
looks like noise and costs the encoder about nine times the bits and twice the time."""


def _clip(task: TaskRun, role: str) -> tuple[Path, VideoTrack]:
    """The shot's picture without burned text (``picture``), else its ``clip`` (or a motion's ``video``)."""
    artifact: Artifact | None = task.inputs.get(role)
    picture = next((name for name in ("picture", "clip", "video") if artifact is not None and name in artifact.outputs),
                   None)
    if artifact is None or picture is None:
        raise BackendError(f"{task.id}: no '{role}' input with a picture ('picture' or 'clip' of a shot, 'video' "
                           "of a motion)")
    path = Path(artifact.outputs[picture])
    return path, read_video_track(path, label=f"{task.id}: '{role}' clip")


def overlays(task: TaskRun, n: int, fps: int, width: int, height: int, scratch: Path) -> list[tuple[Path, int, int]]:
    """The subtitles and captions of both shots over the transition's ``n`` frames, whole."""
    wanted = task.params.get("overlay") or {}
    source, target = task.inputs["from"].meta, task.inputs["to"].meta if "to" in task.inputs else None
    offset = int(source.get("frames", n)) - n  # the outgoing shot's frame at the transition's first
    images: list[tuple[Path, int, int]] = []
    if wanted.get("subtitles"):
        shown: list[str | None] = [None] * n
        for meta, shift in ((target, 0), (source, offset)):  # the outgoing shot's lines win
            for text, first, end in subtitle_spans(meta.get("lines", []) if meta else [], fps):
                for k in range(max(first - shift, 0), min(end - shift, n)):
                    shown[k] = text
        k = 0
        while k < n:
            said, start = shown[k], k
            while k < n and shown[k] == said:
                k += 1
            if said:
                images.append((render_caption(said, width, height, scratch / f"subtitle{len(images)}.png"), start, k))
    if wanted.get("caption"):
        half = n // 2 if target is not None else n
        for meta, first, end in ((source, 0, half), (target, half, n)):
            text = str((meta or {}).get("caption") or "")
            if text.strip() and end > first:
                images.append((render_action_caption(text, width, height, scratch / f"caption{first}.png"), first, end))
    return images


def _tail(path: Path, track: VideoTrack, n: int, fps: int, threads: int) -> Any:
    """The last ``n`` frames, decoding from the key frame at or before the first of them."""
    first = track.frames - n
    key = max((k for k in track.keyframes if k <= first), default=0)
    # Seek half a frame past the key frame: the demuxer lands on it, whatever the rounding.
    source = ffmpeg.input(str(path), ss=f"{(key + 0.5) / fps:.6f}", noaccurate_seek=None, threads=str(threads))
    return source.video.trim(start_frame=first - key, end_frame=first - key + n).setpts("PTS-STARTPTS")


def _head(path: Path, n: int, fps: int, threads: int) -> Any:
    """The first ``n`` frames (reading stops half a frame after them)."""
    source = ffmpeg.input(str(path), t=f"{(n + 0.5) / fps:.6f}", threads=str(threads))
    return source.video.trim(start_frame=0, end_frame=n).setpts("PTS-STARTPTS")


def run_transition(task: TaskRun) -> Result:
    """Render the transition segment ``video``."""
    params = task.params
    kind = params.get("type")
    if kind not in XFADE:
        raise BackendError(f"{task.id}: unknown transition type {kind!r} (expected one of {', '.join(XFADE)})")
    fps = int(params["fps"])
    n = round(float(params["duration"]) * fps)
    if n < 1:
        raise BackendError(f"{task.id}: a transition of {params['duration']} s lasts less than one frame at {fps} fps")
    src, src_track = _clip(task, "from")
    if src_track.frames < n:
        raise BackendError(f"{task.id}: the transition needs {n} frames but 'from' has only {src_track.frames}")
    tail = _tail(src, src_track, n, fps, task.threads)
    task.report(0, 1)
    if "to" in task.inputs:
        dst, dst_track = _clip(task, "to")
        if dst_track.frames < n:
            raise BackendError(f"{task.id}: the transition needs {n} frames but 'to' has only {dst_track.frames}")
        head = _head(dst, n, fps, task.threads)
        blend = ffmpeg.filter([tail, head], "xfade", transition=XFADE[kind], duration=f"{n / fps:.6f}", offset=0)
        video = blend.trim(start_frame=0, end_frame=n)
    else:
        # The last frame is fully black: the fade spans the n - 1 steps before it.
        video = tail.filter("fade", type="out", start_frame=0, nb_frames=max(n - 1, 1))
    out = task.workdir / "transition.mp4"
    with tempfile.TemporaryDirectory(prefix=".transition-", dir=task.workdir) as tmp:
        if params.get("overlay"):
            video = overlay_images(video, overlays(task, n, fps, src_track.width, src_track.height, Path(tmp)))
        encode_graph(
            video, out, fps=fps, crf=int(params["crf"]), threads=task.threads,
            what=f"{task.id}: encoding the transition",
        )  # fmt: skip
    track = read_video_track(out, label=f"{task.id}: transition")
    if track.frames != n:
        raise BackendError(f"{task.id}: the transition came out with {track.frames} frames instead of {n}")
    task.report(1, 1)
    return Result(outputs={"video": out}, meta={"frames": n, "duration": n / fps})
