"""The procedural backend: deterministic pictures and motion with numpy alone.

Kinds:
- ``keyframe``: a backdrop from the scene heading and the location (sky, sea, land, cliffs,
  trees, city or a room, by day or night), props as simple shapes and the shot's characters
  staged from its action text and blocking (``staging``), in a ``look`` (flat, sketch, paint)
  chosen by the model's ``params``; it also writes the staging as ``layout``;
- ``backdrop``: a keyframe's painted backdrop alone (the place, its light and framing), shared by
  the shots that show the same one and cached apart, so an edit of a shot's action repaints nothing;
- ``motion``: the shot played out: every frame draws the figures as the staging has them then
  (moves, poses, breathing, blinks, the speaker's mouth from the speech) over the camera's view
  of the backdrop; or an audio-reactive pattern when the shot has ``pattern``;
- ``layout``: the control images of a shot's staging (depth, OpenPose-style skeletons, edges,
  per-element masks) for a conditioned image model (``control``);
- ``panel``: a shot's storyboard pictures, once per shot: the contact sheet's thumbnail with its
  camera move, figures' moves, cuts and transition marked, and the printable board's JPEG (``panel``);
- ``storyboard``: a contact sheet of the panels with each shot's caption and exact length.

No weights, no GPU; the same task gives the same bytes on every run and machine. Heavy modules
are imported when a task runs, so importing this package stays cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from backends.base import BackendError, Result, TaskRun

__all__ = ["CONCURRENT", "KINDS", "LOOKS", "NAME", "VERSION", "load", "run", "unload", "warm"]

NAME = "procedural"
VERSION = "4"
KINDS = frozenset({"backdrop", "keyframe", "layout", "motion", "panel", "storyboard"})
CONCURRENT = True
"""Pure CPU work with no shared state: tasks run beside each other on the executor's threads."""
LOOKS = ("flat", "paint", "sketch")
"""Values of the model parameter ``look``; the default is ``flat``."""
_IMPORTS = threading.Lock()
"""Tasks of several kinds start together on the executor's threads (a backdrop beside a keyframe), and
their modules are imported when they first run: one thread at a time. Two threads importing submodules
of one package (``staging``) while its ``__init__`` imports them too deadlock (Python's
``_DeadlockError``, or a half-initialised module's missing name)."""


def load(model: Mapping[str, Any]) -> dict[str, Any]:
    """Check the model's parameters; the handle is just those settings."""
    params = model.get("params") or {}
    look = params.get("look", "flat")
    if look not in LOOKS:
        raise BackendError(f"unknown look {look!r} for the procedural backend; known looks: {', '.join(LOOKS)}")
    return {"look": look}


def unload(handle: Mapping[str, Any]) -> None:
    """Nothing to free."""


def warm() -> None:
    """Import what the animatic's tasks import when they run (numpy, Pillow, the drawing modules):
    ``studio watch`` calls it while it waits, so the first edit does not pay for it."""
    with _IMPORTS:
        from . import backdrop, keyframe, motion, panel, storyboard  # noqa: F401


def run(task: TaskRun, handle: Mapping[str, Any]) -> Result:
    with _IMPORTS:
        runner = _runner(task.kind)
    if runner is None:
        raise BackendError(f"{task.id}: the procedural backend renders {', '.join(sorted(KINDS))}, "
                           f"not {task.kind!r} tasks")
    return runner(task, handle)


def _runner(kind: str) -> Callable[[TaskRun, Mapping[str, Any]], Result] | None:
    """The function that runs a task of ``kind`` (its module imported), or None for a kind not served."""
    if kind == "backdrop":
        from .backdrop import run_backdrop

        return lambda task, handle: run_backdrop(task)
    if kind == "keyframe":
        from .keyframe import run_keyframe

        return lambda task, handle: run_keyframe(task, str(handle.get("look", "flat")))
    if kind == "layout":
        from .control import run_layout

        return lambda task, handle: run_layout(task)
    if kind == "motion":
        from .motion import run_motion

        return lambda task, handle: run_motion(task)
    if kind == "panel":
        from .panel import run_panel

        return lambda task, handle: run_panel(task)
    if kind == "storyboard":
        from .storyboard import run_storyboard

        return lambda task, handle: run_storyboard(task)
    return None
