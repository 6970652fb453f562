"""The ``ffmpeg`` backend: shot mixing, transitions, the soundtrack, film assembly and subtitles.

Everything runs through the ffmpeg binary that the ``imageio-ffmpeg`` wheel ships (never one from
``PATH``), with filter graphs built by ``ffmpeg-python``. :mod:`.encode` holds the one set of
H.264 settings every video in studio is encoded with (the procedural motion backend imports
:func:`~backends.ffmpeg.encode.encode_frames`), so that the film joins shots by stream copy.

Modules: ``encode`` (encoder settings), ``shot``, ``transition``, ``soundtrack`` (+ ``film_audio``
and ``loudness``, EBU R128 normalisation in numpy), ``film`` (+ ``film_video``), ``subtitles``, ``timeline``
(where shots sit in the film), ``mp4`` (frame counts and key frames read from the MP4 index),
``captions`` (burnt-in captions drawn with Pillow), ``audio``, ``aac`` (the AAC settings and the
band it codes), ``ycbcr`` (BT.709 Y'CbCr in integers: frames drawn in the encoder's colours), ``_bin``.
"""

from __future__ import annotations

from typing import Any

from backends.base import BackendError, Result, TaskRun

__all__ = ["KINDS", "NAME", "VERSION", "load", "run", "unload", "warm"]

NAME = "ffmpeg"
VERSION = "6"
KINDS = frozenset({"shot", "transition", "soundtrack", "film", "subtitles"})


def load(model: Any) -> None:
    """Nothing to load: the binary is found (and checked to exist) when a task runs."""


def unload(handle: Any) -> None:
    """Nothing to release."""


def warm() -> None:
    """Import the task modules (ffmpeg-python, numpy, soundfile) ahead of the first task (``studio watch``)."""
    from . import film, shot, soundtrack, subtitles, transition  # noqa: F401


def run(task: TaskRun, handle: Any = None) -> Result:
    """Render one task of a kind in :data:`KINDS`."""
    if task.kind == "shot":
        from .shot import run_shot

        return run_shot(task)
    if task.kind == "transition":
        from .transition import run_transition

        return run_transition(task)
    if task.kind == "soundtrack":
        from .soundtrack import run_soundtrack

        return run_soundtrack(task)
    if task.kind == "film":
        from .film import run_film

        return run_film(task)
    if task.kind == "subtitles":
        from .subtitles import run_subtitles

        return run_subtitles(task)
    raise BackendError(f"{task.id}: the ffmpeg backend does not render '{task.kind}' tasks")
