"""The ``subtitles`` task: an SRT of every dialogue line at its time in the film.

Each shot's ``lines`` metadata (seconds from the shot's start) is shifted by the shot's start in
the film, which :func:`~backends.ffmpeg.timeline.place_shots` computes the same way the film does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.base import BackendError, Result, TaskRun

from .timeline import place_shots, shot_frames

__all__ = ["Cue", "film_cues", "format_srt", "run_subtitles"]


@dataclass(frozen=True, order=True)
class Cue:
    start: float
    end: float
    text: str


def _timestamp(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def format_srt(cues: Sequence[Cue]) -> str:
    """SubRip text for ``cues`` (numbered from 1, times rounded to milliseconds)."""
    blocks = []
    for i, cue in enumerate(cues, 1):
        text = "\n".join(line for line in cue.text.splitlines() if line.strip())
        blocks.append(f"{i}\n{_timestamp(cue.start)} --> {_timestamp(cue.end)}\n{text}\n")
    return "\n".join(blocks)


def film_cues(timeline: Sequence[Mapping[str, Any]], shots: Mapping[str, Any], fps: int) -> list[Cue]:
    """Cues of every shot's lines in film time, in order of start.

    ``shots`` maps a shot role to its artifact (``meta["lines"]``: ``start``, ``end``, ``text``).
    A line is clipped to its shot's end; lines that are empty or end before they start are dropped.
    """
    lengths = {role: shot_frames(role, shot, fps) for role, shot in shots.items()}
    placed, _ = place_shots(timeline, lengths, fps)
    cues = []
    for p in placed:
        offset, length = p.start / fps, p.frames / fps
        for line in shots[p.shot].meta.get("lines", ()):
            text = str(line.get("text", "")).strip()
            start, end = float(line["start"]), min(float(line["end"]), length)
            if text and end > start:
                cues.append(Cue(round(offset + start, 3), round(offset + end, 3), text))
    return sorted(cues)


def run_subtitles(task: TaskRun) -> Result:
    """Write ``subtitles.srt`` for the film's timeline."""
    params = task.params
    fps = int(params.get("fps") or 0) or _fps_from_shots(task)
    timeline = params["timeline"]
    shots = {str(e["shot"]): task.inputs[str(e["shot"])] for e in timeline if str(e["shot"]) in task.inputs}
    missing = [str(e["shot"]) for e in timeline if str(e["shot"]) not in task.inputs]
    if missing:
        raise BackendError(f"subtitles: no input for shot(s) {', '.join(missing)}")
    cues = film_cues(timeline, shots, fps)
    path: Path = task.workdir / "subtitles.srt"
    path.write_text(format_srt(cues), encoding="utf-8", newline="\n")
    task.report(1, 1)
    return Result(outputs={"srt": path}, meta={"cues": len(cues)})


def _fps_from_shots(task: TaskRun) -> int:
    """The frame rate, which the plan does not pass: the shots' own ``fps`` (or frames/duration)."""
    for artifact in task.inputs.values():
        meta = artifact.meta
        if meta.get("fps"):
            return int(meta["fps"])
        if meta.get("frames") and meta.get("duration"):
            return round(int(meta["frames"]) / float(meta["duration"]))
    raise BackendError("subtitles: no 'fps' parameter and no shot to infer it from")
