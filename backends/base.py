"""The backend protocol: what the runtime hands a backend and what it gets back.

A backend is one module (or package) exposing ``NAME``, ``VERSION``, ``KINDS`` and the functions
``load(model) -> handle``, ``unload(handle)`` and ``run(task, handle) -> Result``. Optional:
``CONCURRENT`` (True for CPU backends whose tasks may run beside others; model backends leave it
False and run one task at a time in the schedule's order), ``memory_gb(handle) -> float`` (what
the loaded model really takes, for the model manager's budget), and batching:
``batch_key(kind, params) -> hashable | None`` with ``run_batch(tasks, handle) -> list[Result]``
(ready tasks of one model with equal batch keys run as one call, up to the model's
``batch_size``; results must equal unbatched ones). The runtime imports a backend only when a
task needs it, so nothing here may import heavy libraries.

Exceptions::

    BackendError            a task cannot be rendered; ``str(exc)`` is shown to the user as is
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Artifact", "BackendError", "ProgressFn", "Result", "TaskRun", "pick_device"]

ProgressFn = Callable[[int, int], None]
"""Progress callback: ``(done, total)`` in the task's own steps (frames, denoising steps)."""


class BackendError(Exception):
    """A task failed for a reason the user can act on; the message says what to do."""


@dataclass(frozen=True)
class Artifact:
    """A finished task's outputs as a dependent task sees them."""

    outputs: Mapping[str, Path]
    """Output name -> file (read-only; never modify it)."""
    meta: Mapping[str, Any] = field(default_factory=dict)
    """JSON-able metadata the producing backend returned (e.g. ``duration``)."""


@dataclass(frozen=True)
class TaskRun:
    """One task to render, with its parameters settled and its inputs materialised."""

    id: str
    """Task id, e.g. ``keyframe:cove/peek``; for messages and progress only."""
    kind: str
    """Task kind: keyframe, motion, speech, shot, transition, film, subtitles, storyboard."""
    params: Mapping[str, Any]
    """JSON-like parameters from the plan (see backends/README.md for each kind)."""
    inputs: Mapping[str, Artifact]
    """Role -> artifact of an input task (roles per kind in backends/README.md)."""
    files: Mapping[str, Path]
    """Role -> user file (reference image, music), already checked to exist."""
    workdir: Path
    """An empty directory; write every output file here."""
    threads: int = 1
    """Threads the backend may use for numerics/encoding (fixed by settings, not the machine)."""
    progress: ProgressFn | None = None
    cancel: threading.Event | None = None
    """Set when the user pressed Ctrl-C: long backends check ``cancelled()`` between steps."""
    models: Mapping[str, Any] = field(default_factory=dict)
    """Role -> the loaded handle of another model the task uses besides its own, loaded and scheduled
    by the runtime like any model (``gates``: the embed model that scores a gated keyframe)."""

    def report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()


@dataclass(frozen=True)
class Result:
    outputs: dict[str, Path]
    """Output name -> file inside ``TaskRun.workdir``."""
    meta: dict[str, Any] = field(default_factory=dict)
    """JSON-able metadata recorded with the outputs (e.g. ``{"duration": 1.93}``)."""


def end_path(task: TaskRun) -> Path:
    """The end picture's file (``end``: ``{file: role}`` or ``{input: role}``, another shot's keyframe);
    one lookup for every video backend."""
    end = task.params["end"]
    if end.get("input"):
        artifact = task.inputs.get(str(end["input"]))
        path = artifact.outputs.get("image") if artifact is not None else None
    else:
        path = task.files.get(str(end.get("file")))
    if path is None:
        raise BackendError(f"{task.id}: the end picture {end!r} was not provided")
    return Path(path)


def pick_device() -> str:
    """Where a torch model runs: CUDA, else Apple's MPS, else the CPU (torch is imported only here,
    by backends that already need it)."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"
