"""Which ready task starts first: the one at the head of the longest chain still to run.

With two cores and ten shots, the order of ready CPU tasks decides how long a build takes: a
one-shot edit has the shot's motion, the contact sheet and the PDF storyboard ready at once, and
the motion task heads the chain to the film (motion -> film) while the boards end there.
Starting the boards first left a core idle at the end (measured: 0.3 s of a 1.8 s edit). So the
local executor ranks ready tasks by their *critical path*: a task's estimated seconds plus the
longest estimated path through the stale tasks that wait on it (as Bazel and Buck do), ties
broken by plan order.

Estimates come from the seconds each task id took the last time it ran for this project (kept
beside the build history, ``durations``), else from its kind (``GUESS``, seconds measured on the
2-core development machine with the procedural backends; motion per frame). Only the order of
starting changes: every task's bytes are the same whatever the order, so a wrong estimate costs
time, never correctness.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..store import atomic_write
from ..tasks import Task

__all__ = ["GUESS", "critical_paths", "estimate", "load_durations", "save_durations"]

GUESS = {"backdrop": 0.15, "keyframe": 0.1, "speech": 0.05, "shot": 0.08, "transition": 0.25, "subtitles": 0.01,
         "soundtrack": 1.0, "film": 0.2, "storyboard": 0.1, "storyboard_pdf": 0.5, "timeline": 0.03,
         "panel": 0.04}
"""Seconds a task of each kind takes when it has never run here; a motion task: ``PER_FRAME`` each."""
PER_FRAME = 0.015
DEFAULT = 0.1
_MAX_ENTRIES = 100_000


def estimate(task: Task, durations: Mapping[str, float]) -> float:
    seen = durations.get(task.id)
    if seen is not None:
        return seen
    if task.kind == "motion":
        p = task.params
        frames = p.get("frames")
        if not isinstance(frames, int):
            duration, fps = p.get("duration"), p.get("fps")
            frames = int(duration * fps) if isinstance(duration, int | float) and isinstance(fps, int) else 72
        return PER_FRAME * max(1, frames)
    return GUESS.get(task.kind, DEFAULT)


def critical_paths(tasks: Mapping[str, Task], order: Sequence[str], durations: Mapping[str, float]) -> dict[str, float]:
    """Task id -> its estimate plus the longest chain of estimates through the tasks of ``order``
    that depend on it (``order`` is topological, so one pass from the end settles every task)."""
    stale = set(order)
    users: dict[str, list[str]] = {}
    for tid in order:
        for dep in tasks[tid].inputs.values():
            if dep in stale:
                users.setdefault(dep, []).append(tid)
    path: dict[str, float] = {}
    for tid in reversed(order):
        path[tid] = estimate(tasks[tid], durations) + max((path[u] for u in users.get(tid, ())), default=0.0)
    return path


def load_durations(path: Path) -> dict[str, float]:
    """The seconds recorded at ``path`` (a file of this cache, read as untrusted: anything odd is ignored)."""
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {k: float(v) for k, v in raw.items()
            if isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
            and math.isfinite(v) and 0 <= v < 1e7}


def save_durations(path: Path, previous: Mapping[str, float], seconds: Mapping[str, float],
                   status: Mapping[str, str], keep: Sequence[str]) -> None:
    """Record the seconds of the tasks that executed now over ``previous``; only ids in ``keep`` (the
    plan's tasks) stay, so the file never outgrows the project."""
    wanted = set(keep)
    merged = {k: v for k, v in previous.items() if k in wanted}
    merged.update({tid: round(s, 3) for tid, s in seconds.items() if status.get(tid) == "executed" and tid in wanted})
    if len(merged) > _MAX_ENTRIES or merged == dict(previous):
        return
    with contextlib.suppress(OSError):  # a hint for the next build's order, never worth failing this one
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(merged, sort_keys=True).encode())
