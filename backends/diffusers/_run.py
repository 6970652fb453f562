"""What every diffusers task needs while it runs: seeds, threads, sizes, progress and cancelling."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backends.base import BackendError, TaskRun

from ._load import Loaded

__all__ = ["Steps", "call", "generation_size", "generator", "merged", "numeric_setup", "resized_rgb"]


def merged(task: TaskRun, handle: Loaded) -> dict[str, Any]:
    """The model's parameters with the task's on top (the task's are the plan's: prompt, seed, size)."""
    return {**handle.params, **task.params}


def numeric_setup(task: TaskRun, handle: Loaded) -> None:
    """Fix what changes numerics on this device: torch's intra-op thread count on CPU."""
    import torch

    if handle.device == "cpu" and torch.get_num_threads() != max(1, task.threads):
        torch.set_num_threads(max(1, task.threads))


def generator(seed: int) -> Any:
    """One generator per task (per item of a batch) from its seed. It lives on the CPU on every device:
    the initial noise is then the same on a CPU, a CUDA GPU and a Mac for the same seed."""
    import torch

    return torch.Generator(device="cpu").manual_seed(int(seed) % (2**63))


def call(pipe: Any, kwargs: dict[str, Any], task_id: str) -> Any:
    """Run the pipeline; a setting it refuses (a size it cannot take, say) is the user's to change."""
    try:
        return pipe(**kwargs)
    except ValueError as exc:
        text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise BackendError(f"{task_id}: {type(pipe).__name__} refused the settings: {text}; adjust the model's "
                           "params (size, size_multiple, steps, window)") from None


def generation_size(params: Mapping[str, Any], native: tuple[int, int], multiple: int) -> tuple[int, int]:
    """The size the pipeline renders at, before resizing to the project's resolution.

    ``size``: ``project`` (the task's width and height), ``native`` (the model's native pixel count in
    the project's aspect ratio) or ``[w, h]``; rounded to a multiple the pipeline accepts
    (``size_multiple``, default from the pipeline's latent stride)."""
    width: float = int(params["width"])
    height: float = int(params["height"])
    size = params.get("size", "project")
    multiple = int(params.get("size_multiple") or multiple)
    if size == "native":
        area = native[0] * native[1]
        width = math.sqrt(area * width / height)
        height = width * int(params["height"]) / int(params["width"])
    elif isinstance(size, (list, tuple)):
        width, height = size
    return (max(multiple, int(round(width / multiple)) * multiple),
            max(multiple, int(round(height / multiple)) * multiple))


def resized_rgb(image: Any, width: int, height: int) -> Any:
    """An RGB Pillow image of exactly ``width`` x ``height`` (Lanczos when the size changes)."""
    from PIL import Image

    image = image.convert("RGB")
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    return image


@dataclass
class Steps:
    """Denoising-step progress across the pipeline calls of one task (chunks, batch items), and the
    Ctrl-C check between steps: a cancelled task interrupts the pipeline and fails with 'cancelled'."""

    tasks: list[TaskRun]
    total: int
    done: int = 0
    cancelled: bool = False

    def callback(self, pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.done += 1
        for task in self.tasks:
            task.report(min(self.done, self.total), self.total)
        if any(task.cancelled() for task in self.tasks):
            self.cancelled = True
            pipe._interrupt = True  # diffusers pipelines stop at the next step when this is set
        return kwargs

    def check(self) -> None:
        if self.cancelled or any(task.cancelled() for task in self.tasks):
            raise BackendError("cancelled")
