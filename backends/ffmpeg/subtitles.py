"""The ``subtitles`` task: an SRT of every dialogue line at its time in the film.

Subtitles depend on the words and their timing only, never on a picture: the task reads the
settled timeline (each shot's ``frames`` and its lines' ``text``, ``start`` and ``end``, seconds
from the shot's start, which the runtime settles from the speech exactly as each shot settles
itself) and shifts each line by its shot's start in the film, which
:func:`~backends.ffmpeg.timeline.place_shots` computes the same way the film does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.base import BackendError, Result, TaskRun

from .timeline import place_shots

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


def film_cues(timeline: Sequence[Mapping[str, Any]], fps: int) -> list[Cue]:
    """Cues of every shot's lines in film time, in order of start.

    Each settled entry gives its shot's ``frames`` and ``lines`` (``start``, ``end``, ``text``).
    A line is clipped to its shot's end; lines that are empty or end before they start are dropped.
    """
    for k, entry in enumerate(timeline):
        if "frames" not in entry:
            raise BackendError(f"subtitles: timeline entry {k + 1} ({entry.get('shot')!r}) is not settled "
                               "(no 'frames')")
    placed, _ = place_shots(timeline, {str(e["shot"]): int(e["frames"]) for e in timeline}, fps)
    cues = []
    for p, entry in zip(placed, timeline, strict=True):
        offset, length = p.start / fps, p.frames / fps
        for line in entry.get("lines", ()):
            text = str(line.get("text", "")).strip()
            start, end = float(line["start"]), min(float(line["end"]), length)
            if text and end > start:
                cues.append(Cue(round(offset + start, 3), round(offset + end, 3), text))
    return sorted(cues)


def run_subtitles(task: TaskRun) -> Result:
    """Write ``subtitles.srt`` for the film's timeline."""
    params = task.params
    for name in ("fps", "timeline"):
        if name not in params:
            raise BackendError(f"{task.id}: missing parameter '{name}'")
    cues = film_cues(params["timeline"], int(params["fps"]))
    path: Path = task.workdir / "subtitles.srt"
    path.write_text(format_srt(cues), encoding="utf-8", newline="\n")
    task.report(1, 1)
    return Result(outputs={"srt": path}, meta={"cues": len(cues)})
