"""The ``film`` task: shots and transitions joined by stream copy, the soundtrack, subtitles.

Steps: (1) place the timeline (:mod:`.timeline`) and check every input against it; (2) list
the shot bodies and transition segments for the concat demuxer, cut by stream copy
(:mod:`.film_video`); (3) mix and measure the soundtrack (:mod:`.film_audio`); (4) one ffmpeg
run muxes the copied video, the loudness-normalised AAC audio and the soft subtitles.

meta: ``frames``, ``duration``, ``input_loudness`` (LUFS of the mix before normalisation, null
when silent) and ``normalisation`` (``linear``, ``dynamic`` or ``none``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import ffmpeg

from backends.base import BackendError, Result, TaskRun

from ._bin import run_ffmpeg
from .encode import AUDIO_SETTINGS, muxer_args
from .film_audio import build_mix, loudnorm_args, measure_loudness, normalisation_mode
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


def _mux(task: TaskRun, concat: Path, mix: Path, audio_filter: dict[str, Any] | None, total: int, out: Path) -> None:
    params = task.params
    fps, sample_rate = int(params["fps"]), int(params["sample_rate"])
    video = ffmpeg.input(str(concat), f="concat", safe=0).video
    audio = ffmpeg.input(str(mix), f="f32le", ar=sample_rate, ac=2).audio
    if audio_filter is not None:
        audio = audio.filter("loudnorm", **audio_filter)
    samples = round(total * sample_rate / fps)
    audio = (
        audio.filter("aresample", sample_rate, resampler="swr")
        .filter("apad", whole_len=samples)
        .filter("atrim", end_sample=samples)
    )
    streams = [video, audio]
    options: dict[str, Any] = {
        "c:v": "copy",
        # Re-time every packet to exactly N frames: the concat demuxer adds durations in
        # microseconds, which may drift by a tick over many segments.
        "bsf:v": f"setts=ts=round(N/({fps}*TB)):duration=round(1/({fps}*TB))",
        **AUDIO_SETTINGS,
        "b:a": "192k",
        "ar": str(sample_rate),
        "ac": "2",
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
    with tempfile.TemporaryDirectory(prefix=".film-", dir=task.workdir) as tmp:
        scratch = Path(tmp).resolve()
        concat = concat_list(task, placed, scratch)
        dialogue = {p.shot: Path(task.inputs[p.shot].outputs["dialogue"]) for p in placed}
        mix, audible = build_mix(
            placed, dialogue, params.get("audio", ()), task.files,
            fps=fps, sample_rate=sample_rate, total=round(total * sample_rate / fps), scratch=scratch,
        )  # fmt: skip
        loudness = measure_loudness(mix, sample_rate=sample_rate, target=target, scratch=scratch) if audible else None
        task.report(len(placed) + 1, len(placed) + 2)
        _mux(task, concat, mix, None if loudness is None else loudnorm_args(loudness, target), total, out)
    track = read_video_track(out, label=f"{task.id}: film")
    if track.frames != total:
        raise BackendError(f"{task.id}: the film came out with {track.frames} frames instead of {total}")
    task.report(len(placed) + 2, len(placed) + 2)
    meta = {
        "frames": total,
        "duration": total / fps,
        "input_loudness": None if loudness is None else round(loudness.input_i, 2),
        "normalisation": normalisation_mode(loudness, target),
    }
    return Result(outputs={"film": out}, meta=meta)
