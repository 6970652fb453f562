"""Motion: the shot's camera move over its keyframe, or an audio-reactive pattern.

In: a motion ``TaskRun`` with the ``keyframe`` input (its ``image``, and when present its
``background`` and ``foreground`` layers, which give parallax: the figures move a little more
than the backdrop). Out: ``video``, H.264 of exactly ``frames`` frames at ``fps``, encoded by
``backends.ffmpeg.encode`` while the frames are generated.

Camera moves, their ``amount`` and directions are described in ``_camera``; sampling in
``_warp``; patterns in ``pattern``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from backends.base import Artifact, BackendError, Result, TaskRun

from ._camera import PARALLAX, check_camera, path, uses_parallax
from ._io import read_image
from ._spec import check_seed, check_size
from ._warp import Scratch, over, premultiply, source


@dataclass(frozen=True)
class Layers:
    image: np.ndarray
    """uint8 RGB."""
    background: np.ndarray | None
    """uint8 RGB, same size as ``image``."""
    foreground: tuple[np.ndarray, np.ndarray] | None
    """Premultiplied RGB and alpha ``(h, w, 1)``, uint8, same size as ``image``."""
    focus: tuple[float, float]


def run_motion(task: TaskRun) -> Result:
    from backends.ffmpeg.encode import encode_frames

    p = task.params
    width, height = check_size(p, task.id)
    fps, frames = _count(p, "fps", task.id), _count(p, "frames", task.id)
    seed = check_seed(p, task.id)
    keyframe = task.inputs.get("keyframe")
    meta: dict[str, Any] = {"frames": frames, "fps": fps}
    if p.get("pattern"):
        from .pattern import pattern_frames

        palette_from = load_layers(keyframe, task.id).image if keyframe is not None else None
        video = pattern_frames(p["pattern"], task.files, palette_from, width, height, frames, fps, seed, task.id)
        meta["pattern"] = p["pattern"].get("style", "cppn")
    else:
        if keyframe is None:
            raise BackendError(f"{task.id}: a motion task needs its keyframe input")
        move, amount = check_camera(p.get("camera"), task.id)
        video = camera_frames(load_layers(keyframe, task.id), move, amount, frames, fps, width, height, seed)
        meta.update(move=move, amount=amount)
    out = task.workdir / "video.mp4"
    encode_frames(
        prefetch(video),
        out,
        fps=fps,
        crf=int(p.get("crf", 18)),
        keyframes_at=[int(k) for k in p.get("keyframes_at") or [0]],
        threads=task.threads,
        progress=task.progress,
        total=frames,
    )
    return Result(outputs={"video": out}, meta=meta)


def prefetch(frames: Iterator[np.ndarray], depth: int = 2) -> Iterator[np.ndarray]:
    """Render the next frames on a helper thread while the caller writes this one to ffmpeg.

    Without it, rendering and the blocking pipe write take turns; with it they overlap (numpy
    releases the GIL). The frames and their order are unchanged, so the output is the same.
    """
    done = object()
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for frame in frames:
                if not put(frame):
                    return
            put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer and raised there
            put(exc)

    worker = threading.Thread(target=work, name="procedural-frames", daemon=True)
    worker.start()
    try:
        while (item := box.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _count(p: Mapping[str, Any], key: str, task_id: str) -> int:
    value = p.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BackendError(f"{task_id}: {key} must be a whole number of at least 1, got {value!r}")
    return value


def load_layers(keyframe: Artifact, task_id: str) -> Layers:
    """The keyframe's picture and, when it has them (and they match), its two layers."""
    if "image" not in keyframe.outputs:
        raise BackendError(f"{task_id}: the keyframe input has no 'image' output")
    image = read_image(keyframe.outputs["image"], "the keyframe image")
    background = foreground = None
    if "background" in keyframe.outputs and "foreground" in keyframe.outputs:
        bg = read_image(keyframe.outputs["background"], "the keyframe background")
        fg = read_image(keyframe.outputs["foreground"], "the keyframe foreground", mode="RGBA")
        if bg.shape[:2] == image.shape[:2] == fg.shape[:2]:
            background, foreground = bg, premultiply(fg)
    return Layers(image, background, foreground, _focus(keyframe.meta.get("focus")))


def _focus(value: object) -> tuple[float, float]:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return min(1.0, max(0.0, float(value[0]))), min(1.0, max(0.0, float(value[1])))
    return 0.5, 0.5


def camera_frames(
    layers: Layers, move: str, amount: float, frames: int, fps: int, width: int, height: int, seed: int
) -> Iterator[np.ndarray]:
    """The frames of the move: uint8 ``(height, width, 3)``, one per frame, lazily."""
    layered = layers.background is not None and layers.foreground is not None and uses_parallax(move)
    views = path(
        move,
        amount,
        frames,
        fps=fps,
        seed=seed,
        focus=layers.focus,
        aspect=width / height,
        parallax=PARALLAX if layered else 0.0,
    )
    if not layered or all(v == views[0] for v in views):
        flat = source(layers.image, [v[0] for v in views], height, width)
        for i in range(frames):
            yield flat.frame(i)
        return
    assert layers.background is not None and layers.foreground is not None
    back = source(layers.background, [v[0] for v in views], height, width)
    front = source(layers.foreground[0], [v[1] for v in views], height, width)
    alpha = source(layers.foreground[1], [v[1] for v in views], height, width)
    scratch = Scratch()
    for i in range(frames):
        frame = back.frame(i)
        if not frame.flags.writeable:
            frame = frame.copy()
        for box in alpha.boxes(i):
            over(frame, front.frame(i, box), alpha.frame(i, box), box, scratch)
        yield frame
