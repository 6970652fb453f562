"""The ``film`` task: shots and transitions joined by stream copy, the soundtrack, subtitles.

Steps: (1) place the timeline (:mod:`.timeline`) and check every input against it; (2) list
the shot bodies and transition segments for the concat demuxer, cut by stream copy
(:mod:`.film_video`), in a second thread while (3) the soundtrack is mixed (:mod:`.film_audio`)
and normalised to the target loudness (:mod:`.loudness`); (4) one ffmpeg run muxes the copied
video, the soundtrack in AAC and the soft subtitles.

meta: ``frames``, ``duration``, ``input_loudness`` (LUFS of the mix before normalisation, null
when silent), ``loudness`` (LUFS after) and ``normalisation`` (``linear``: one gain; ``limited``:
one gain and the true-peak limiter; ``none``: silence).
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from backends.base import BackendError, Result, TaskRun

from ._bin import run_ffmpeg
from .encode import AUDIO_SETTINGS, muxer_args
from .film_audio import CHANNELS, build_mix
from .film_video import concat_list
from .loudness import integrated_loudness, normalise
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
        if shot is None or "clip" not in shot.outputs or "dialogue" not in shot.outputs:
            raise BackendError(f"{task.id}: no shot input '{role}' with 'clip' and 'dialogue' outputs")
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


def _mux(task: TaskRun, concat: Path, mix: Path, out: Path) -> None:
    params = task.params
    fps, sample_rate = int(params["fps"]), int(params["sample_rate"])
    video = ffmpeg.input(str(concat), f="concat", safe=0).video
    audio = ffmpeg.input(str(mix), f="f32le", ar=sample_rate, ac=CHANNELS).audio  # exactly the film's samples
    streams = [video, audio]
    options: dict[str, Any] = {
        "c:v": "copy",
        # Re-time every packet to exactly N frames: the concat demuxer adds durations in
        # microseconds, which may drift by a tick over many segments.
        "bsf:v": f"setts=ts=round(N/({fps}*TB)):duration=round(1/({fps}*TB))",
        **AUDIO_SETTINGS,
        "b:a": "192k",
        "ar": str(sample_rate),
        "ac": str(CHANNELS),
    }
    srt = _subtitle_file(task)
    if srt is not None:
        streams.append(ffmpeg.input(str(srt), f="srt")["s"])
        options |= {"c:s": "mov_text"}
    args = ffmpeg.output(*streams, str(out), **options, **muxer_args()).get_args()
    run_ffmpeg(
        ["-y", "-filter_threads", "1", "-filter_complex_threads", "1", *args], what=f"{task.id}: muxing the film"
    )


def run_film(task: TaskRun) -> Result:
    """Render ``film`` (MP4: H.264 by stream copy, AAC, mov_text subtitles, +faststart)."""
    placed, total = _check_inputs(task)
    params = task.params
    fps, sample_rate = int(params["fps"]), int(params["sample_rate"])
    target = float(params.get("loudness", -16.0))
    out = task.workdir / "film.mp4"
    with tempfile.TemporaryDirectory(prefix=".film-", dir=task.workdir) as tmp, ThreadPoolExecutor(1) as pool:
        scratch = Path(tmp).resolve()
        video = pool.submit(concat_list, task, placed, scratch)  # mostly ffmpeg runs: the GIL is free
        dialogue = {p.shot: Path(task.inputs[p.shot].outputs["dialogue"]) for p in placed}
        mix = build_mix(
            placed, dialogue, params.get("audio", ()), task.files,
            fps=fps, sample_rate=sample_rate, total=round(total * sample_rate / fps), scratch=scratch,
        )  # fmt: skip
        sound = normalise(mix, sample_rate, target)
        soundtrack = scratch / "soundtrack.f32"
        np.ascontiguousarray(sound.samples, "<f4").tofile(soundtrack)
        concat = video.result()
        task.report(len(placed) + 1, len(placed) + 2)
        # The exact loudness of a limited soundtrack (for the record) is measured while ffmpeg encodes.
        loudness = pool.submit(integrated_loudness, sound.samples, sample_rate) if sound.mode == "limited" else None
        _mux(task, concat, soundtrack, out)
        measured = sound.loudness if loudness is None else loudness.result()
    track = read_video_track(out, label=f"{task.id}: film")
    if track.frames != total:
        raise BackendError(f"{task.id}: the film came out with {track.frames} frames instead of {total}")
    task.report(len(placed) + 2, len(placed) + 2)
    meta = {
        "frames": total,
        "duration": total / fps,
        "input_loudness": None if sound.input_loudness is None else round(sound.input_loudness, 2),
        "loudness": None if measured is None else round(measured, 2),
        "normalisation": sound.mode,
    }
    return Result(outputs={"film": out}, meta=meta)
