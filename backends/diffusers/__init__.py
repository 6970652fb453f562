"""The ``diffusers`` backend: keyframes (text-to-image) and motion (image-to-video) with real models.

Kinds: ``keyframe`` with an image model (any pipeline ``AutoPipelineForText2Image`` loads, or the
class named by ``params.pipeline``), ``motion`` with a video model (LTX-Video, Stable Video
Diffusion, CogVideoX image-to-video, AnimateDiff with a motion adapter; LTX-Video also ends a shot on
an ``end`` picture). See ``keyframe`` and
``motion`` for the parameters, ``_load`` for devices, dtypes and loading.

Determinism: one CPU ``torch.Generator`` per task seeded from the task's seed, torch's thread
count fixed to the task's ``threads`` on CPU, cuDNN in deterministic mode on CUDA. Batches
(``batch_key``/``run_batch``) render their items one after another in one call, so a batched
result equals the unbatched one bit for bit.

Progress: every denoising step reports ``(done, total)``; Ctrl-C interrupts the pipeline at the
next step and the task fails with "cancelled". Failures the user can act on (missing weights,
out of memory, a feature the pipeline lacks) are ``BackendError``s that say what to do. torch and
diffusers are imported only when a task loads a model.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from backends.base import BackendError, Result, TaskRun

from ._load import Loaded, load, memory_gb, unload

__all__ = ["CONCURRENT", "KINDS", "NAME", "VERSION", "batch_key", "load", "memory_gb", "run", "run_batch", "unload"]

NAME = "diffusers"
VERSION = "3"
"""3: IP-Adapter reference images masked per element by the shot's layout (``keyframe._ip_kwargs``)."""
KINDS = frozenset({"keyframe", "motion"})
CONCURRENT = False


def run(task: TaskRun, handle: Loaded) -> Result:
    return run_batch([task], handle)[0]


def batch_key(kind: str, params: Mapping[str, Any]) -> Hashable | None:
    """Tasks of one model with equal keys may run as one call: same kind and output shape."""
    if kind == "keyframe":
        return (kind, params.get("width"), params.get("height"))
    if kind == "motion":
        return (kind, params.get("width"), params.get("height"), params.get("fps"), params.get("frames"))
    return None


def run_batch(tasks: list[TaskRun], handle: Loaded) -> list[Result]:
    import warnings

    from .keyframe import run_keyframes
    from .motion import run_motion

    kinds = {task.kind for task in tasks}
    if len(kinds) != 1:
        raise BackendError(f"a diffusers batch mixes task kinds: {', '.join(sorted(kinds))}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        if tasks[0].kind == "keyframe":
            return run_keyframes(tasks, handle)
        if tasks[0].kind == "motion":
            return [run_motion(task, handle) for task in tasks]
    raise BackendError(f"{tasks[0].id}: the diffusers backend renders keyframe and motion tasks, not {tasks[0].kind}")
