"""The ``film`` task: shots and transitions joined by stream copy, the soundtrack, subtitles.

Steps: (1) place the timeline (:mod:`.timeline`) and check every input against it, the
soundtrack's length included; (2) list the shot bodies and transition segments for the concat
demuxer, cut by stream copy (:mod:`.film_video`); (3) one ffmpeg run muxes the copied video, the
``soundtrack`` task's AAC (copied too: nothing is encoded here) and the soft subtitles.

meta: ``frames``, ``duration``, and the soundtrack's ``input_loudness`` (LUFS of the mix before
normalisation, null when silent), ``loudness`` (LUFS after) and ``normalisation`` (``linear``:
one gain; ``limited``: one gain and the true-peak limiter; ``none``: silence).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import ffmpeg

from backends.base import BackendError, Result, TaskRun

from ._bin import run_ffmpeg
from .encode import muxer_args
from .film_video import concat_list
from .mp4 import read_video_track
from .timeline import Placement, place_shots, shot_frames

__all__ = ["run_film"]

SUBTITLE_MODES = ("none", "soft", "burn")


def _check_inputs(task: TaskRun) -> tuple[list[Placement], int]:
    params = task.params
    for name in ("fps", "sample_rate", "timeline"):
        if name not in params:
            raise BackendError(f"{task.id}: missing parameter '{name}'")
    if params.get("subtitles", "soft") not in SUBTITLE_MODES:
        raise BackendError(f"{task.id}: subtitles must be one of {', '.join(SUBTITLE_MODES)}")
    fps = int(params["fps"])
    lengths = {}
    for entry in params["timeline"]:
        role = str(entry["shot"])
        shot = task.inputs.get(role)
        if shot is None or "video" not in shot.outputs:
            raise BackendError(f"{task.id}: no shot input '{role}' with a 'video' output")
        lengths[role] = shot_frames(role, shot, fps)
        transition = entry.get("transition")
        if transition is not None and (transition not in task.inputs or "video" not in task.inputs[transition].outputs):
            raise BackendError(f"{task.id}: no transition input '{transition}' with a 'video' output")
    return place_shots(params["timeline"], lengths, fps)


def _subtitle_file(task: TaskRun) -> Path | None:
    if task.params.get("subtitles", "soft") == "none" or "subtitles" not in task.inputs:
        return None
    srt = task.inputs["subtitles"].outputs.get("srt")
    if srt is None or "-->" not in Path(srt).read_text(encoding="utf-8", errors="replace"):
        return None  # no cues: an empty subtitle track would only confuse players
    return Path(srt)


def _soundtrack(task: TaskRun, total: int) -> tuple[Path, dict[str, Any]]:
    """The soundtrack's file and meta, checked to last exactly as long as the picture."""
    soundtrack = task.inputs.get("soundtrack")
    if soundtrack is None or "audio" not in soundtrack.outputs:
        raise BackendError(f"{task.id}: no 'soundtrack' input with an 'audio' output")
    fps, sample_rate = int(task.params["fps"]), int(task.params["sample_rate"])
    expected = round(total * sample_rate / fps)
    if int(soundtrack.meta.get("samples", -1)) != expected:
        raise BackendError(f"{task.id}: the soundtrack has {soundtrack.meta.get('samples')} samples but the picture "
                           f"needs {expected} ({total} frames at {fps} fps)")
    return Path(soundtrack.outputs["audio"]), dict(soundtrack.meta)


def _mux(task: TaskRun, concat: Path, soundtrack: Path, out: Path) -> None:
    fps = int(task.params["fps"])
    video = ffmpeg.input(str(concat), f="concat", safe=0).video
    streams = [video, ffmpeg.input(str(soundtrack)).audio]
    options: dict[str, Any] = {
        "c:v": "copy",
        # Re-time every packet to exactly N frames: the concat demuxer adds durations in
        # microseconds, which may drift by a tick over many segments.
        "bsf:v": f"setts=ts=round(N/({fps}*TB)):duration=round(1/({fps}*TB))",
        "c:a": "copy",
    }
    srt = _subtitle_file(task)
    if srt is not None:
        streams.append(ffmpeg.input(str(srt), f="srt")["s"])
        options |= {"c:s": "mov_text"}
    args = ffmpeg.output(*streams, str(out), **options, **muxer_args()).get_args()
    run_ffmpeg(["-y", *args], what=f"{task.id}: muxing the film")


def run_film(task: TaskRun) -> Result:
    """Render ``film`` (MP4: H.264 and AAC by stream copy, mov_text subtitles, +faststart)."""
    placed, total = _check_inputs(task)
    soundtrack, sound = _soundtrack(task, total)
    fps = int(task.params["fps"])
    out = task.workdir / "film.mp4"
    with tempfile.TemporaryDirectory(prefix=".film-", dir=task.workdir) as tmp:
        concat = concat_list(task, placed, Path(tmp).resolve())
        task.report(len(placed) + 1, len(placed) + 2)
        _mux(task, concat, soundtrack, out)
    track = read_video_track(out, label=f"{task.id}: film")
    if track.frames != total:
        raise BackendError(f"{task.id}: the film came out with {track.frames} frames instead of {total}")
    task.report(len(placed) + 2, len(placed) + 2)
    meta = {
        "frames": total,
        "duration": total / fps,
        "input_loudness": sound.get("input_loudness"),
        "loudness": sound.get("loudness"),
        "normalisation": sound.get("normalisation"),
    }
    return Result(outputs={"film": out}, meta=meta)
