"""The ``shot`` task: a shot's motion video plus its dialogue, exactly ``duration`` long.

Steps: (1) check the motion video against the planned frames; (2) mix the dialogue lines into a
mono WAV of exactly ``round(duration * sample_rate)`` samples; (3) burn the subtitles and the
action caption (``caption``) in when asked, over the finished frames (after the camera move:
nothing crops or scales them), re-encoding with the studio settings and the motion's own key
frames so the film can still cut it by stream copy; else keep the motion stream as is; (4) mux
the clip: video copied, dialogue in AAC (coded up to the speech's band, :mod:`.aac`).

Outputs: ``clip`` (the shot to watch, delivered), ``dialogue`` (WAV), ``video`` (the clip's picture
alone, as a video-only file: what the film cuts and joins, so it never has to strip the audio
first), and, for a shot that burned something, ``picture``: the motion video without it, which
transitions blend before laying their own captions on top.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from backends.base import BackendError, Result, TaskRun
from compiler.plan import burns_words

from ._bin import decode_audios, run_ffmpeg
from .aac import aac_args, bandwidth
from .audio import add_at, samples_for, write_wav
from .captions import render_action_caption, render_caption
from .encode import encode_graph, muxer_args
from .mp4 import VideoTrack, read_video_track

__all__ = ["decode_lines", "mix_dialogue", "overlay_images", "run_shot", "subtitle_spans"]

SUBTITLE_MODES = ("none", "soft", "burn")


def _check_inputs(task: TaskRun) -> tuple[Path, VideoTrack]:
    params = task.params
    for name in ("fps", "frames", "duration", "sample_rate", "crf"):
        if name not in params:
            raise BackendError(f"{task.id}: missing parameter '{name}'")
    mode = params.get("subtitles", "none")
    if mode not in SUBTITLE_MODES:
        raise BackendError(f"{task.id}: subtitles must be one of {', '.join(SUBTITLE_MODES)} (got {mode!r})")
    motion = task.inputs.get("motion")
    if motion is None or "video" not in motion.outputs:
        raise BackendError(f"{task.id}: no 'motion' input with a 'video' output")
    video = Path(motion.outputs["video"])
    track = read_video_track(video, label=f"{task.id}: motion video")
    if track.frames != int(params["frames"]):
        raise BackendError(f"{task.id}: the motion video has {track.frames} frames, the shot needs {params['frames']}")
    size = (int(params.get("width") or track.width), int(params.get("height") or track.height))
    if (track.width, track.height) != size:
        raise BackendError(
            f"{task.id}: the motion video is {track.width}x{track.height}, the shot is {size[0]}x{size[1]}"
        )
    for line in params.get("lines", ()):
        role = line.get("input")
        if role not in task.inputs or "audio" not in task.inputs[role].outputs:
            raise BackendError(f"{task.id}: dialogue line {role!r} has no speech input with an 'audio' output")
    return video, track


def decode_lines(lines: Sequence[Mapping[str, Any]], audio: Mapping[str, Path], *, sample_rate: int, scratch: Path
                 ) -> dict[str, np.ndarray]:
    """Each line's speech (``audio``: the line's input role -> file), mono at ``sample_rate``, by role."""
    roles = sorted({str(line["input"]) for line in lines})
    sources = [(audio[role], f"dialogue {role}", 1) for role in roles]
    decoded = decode_audios(sources, sample_rate=sample_rate, scratch=scratch)
    return {role: samples[:, 0] for role, samples in zip(roles, decoded, strict=True)}


def mix_dialogue(
    lines: Sequence[Mapping[str, Any]], speech: Mapping[str, np.ndarray], *, duration: float, sample_rate: int
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Place each line's speech at its ``start`` and sum them into a buffer of exactly ``duration``.

    ``speech`` maps a line's input role to its samples (:func:`decode_lines`). Returns the mono
    samples and the lines with their ``end`` (start + speech length, clipped to the shot).
    """
    total = samples_for(duration, sample_rate)
    bus = np.zeros(total, dtype=np.float32)
    placed = []
    for line in lines:
        samples = speech[str(line["input"])]
        start = float(line.get("start", 0.0))
        add_at(bus, samples, samples_for(start, sample_rate))
        end = min(start + len(samples) / sample_rate, float(duration))
        placed.append(
            {
                "start": round(start, 6),
                "end": round(max(end, start), 6),
                "character": line.get("character"),
                "text": line.get("text", ""),
            }
        )
    return bus, placed


def subtitle_spans(lines: Sequence[Mapping[str, Any]], fps: int) -> list[tuple[str, int, int]]:
    """(text, first frame, end frame) of each line worth a burned subtitle."""
    spans = []
    for line in lines:
        first, end = round(float(line["start"]) * fps), round(float(line["end"]) * fps)
        if str(line.get("text", "")).strip() and end > first:
            spans.append((str(line["text"]), first, end))
    return spans


def overlay_images(video: Any, images: Sequence[tuple[Path, int, int]]) -> Any:
    """``video`` with each (transparent picture, first frame, end frame) laid over it."""
    for path, first, end in images:
        picture = ffmpeg.input(str(path)).video
        video = ffmpeg.overlay(video, picture, eof_action="repeat", enable=f"between(n,{first},{end - 1})")
    return video


def _burn(task: TaskRun, video: Path, track: VideoTrack, lines: list[dict[str, Any]], out: Path, scratch: Path) -> None:
    params = task.params
    fps, width, height = int(params["fps"]), track.width, track.height
    images: list[tuple[Path, int, int]] = []
    if params.get("subtitles") == "burn":
        for i, (text, first, end) in enumerate(subtitle_spans(lines, fps)):
            images.append((render_caption(text, width, height, scratch / f"subtitle{i}.png"), first, end))
    if str(params.get("caption") or "").strip():
        images.append((render_action_caption(str(params["caption"]), width, height, scratch / "caption.png"), 0,
                       track.frames))
    stream = overlay_images(ffmpeg.input(str(video), threads=str(task.threads)).video, images)
    encode_graph(
        stream, out, fps=fps, crf=int(params["crf"]), keyframes_at=track.keyframes, threads=task.threads,
        what=f"{task.id}: burning subtitles",
    )  # fmt: skip


def _mux(task: TaskRun, video: Path, dialogue: Path, band: int, out: Path) -> None:
    v = ffmpeg.input(str(video), threads=str(task.threads)).video
    a = ffmpeg.input(str(dialogue)).audio
    options = {"c:v": "copy", **aac_args(96_000, 1, int(task.params["sample_rate"]), band)}
    args = ffmpeg.output(v, a, str(out), **options, **muxer_args()).get_args()
    run_ffmpeg(["-y", *args], what=f"{task.id}: muxing the clip")


def run_shot(task: TaskRun) -> Result:
    """Render the shot's ``clip`` (MP4), ``video`` (its picture alone), ``dialogue`` (WAV) and, when
    something was burned in, ``picture``."""
    video, track = _check_inputs(task)
    params = task.params
    sample_rate, duration = int(params["sample_rate"]), float(params["duration"])
    lines = list(params.get("lines", ()))
    task.report(0, 3)
    audio = {str(line["input"]): Path(task.inputs[str(line["input"])].outputs["audio"]) for line in lines}
    clip = task.workdir / "clip.mp4"
    with tempfile.TemporaryDirectory(prefix=".shot-", dir=task.workdir) as tmp:
        scratch = Path(tmp)
        speech = decode_lines(lines, audio, sample_rate=sample_rate, scratch=scratch)
        samples, placed = mix_dialogue(lines, speech, duration=duration, sample_rate=sample_rate)
        dialogue = write_wav(task.workdir / "dialogue.wav", samples, sample_rate)
        task.report(1, 3)
        outputs = {"clip": clip, "dialogue": dialogue}
        if burns_words(params):  # the plan's own test: it joins this video into the film only then
            outputs["picture"] = Path(shutil.copyfile(video, task.workdir / "picture.mp4"))
            _burn(task, video, track, placed, task.workdir / "video.mp4", scratch)
            video = task.workdir / "video.mp4"
        else:
            video = Path(shutil.copyfile(video, task.workdir / "video.mp4"))
        outputs["video"] = video
        task.report(2, 3)
        _mux(task, video, dialogue, bandwidth(audio.values(), sample_rate), clip)
    task.report(3, 3)
    meta = {
        "frames": track.frames,
        "duration": duration,
        "fps": int(params["fps"]),
        "crf": int(params["crf"]),
        "lines": placed,
        "caption": str(params.get("caption") or "") or None,
    }
    return Result(outputs=outputs, meta=meta)
