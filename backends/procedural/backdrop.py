"""Backdrop tasks: a shot's painted backdrop, made once and cached apart from its keyframe.

Painting a backdrop is most of a keyframe's time (about 140 of 200 ms at 1280x720) and reads only
the place: the size, the location, the scene heading, the palette and the shot type's framing and
depth blur; never the action, the figures or the seed. So the compiler plans it as its own task,
shared by every shot with the same backdrop parameters, and an edit of a shot's action re-runs its
keyframe without repainting.

In: a ``backdrop`` ``TaskRun`` whose parameters are that part of the keyframe's (``width``,
``height``, ``shot_type``, ``palette``, ``location``, ``setting``; backends/README.md) and the
location's reference images when its colours come from them.
Out: ``backdrop``, the painting exactly as ``_backdrop.render_backdrop`` returns it: planar float32
``(3, height, width)`` in 0..1, little-endian, as a ``.npy`` file. Not 8-bit pixels: the keyframe
draws the ledge and the props and applies its look on these floats, and rounding them first would
change its bytes. The keyframe reads it back with ``read_backdrop``, which trusts nothing in it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from backends.base import BackendError, Result, TaskRun

from ._backdrop import paint_backdrop, render_backdrop
from ._scene import FRAMING, Scene, classify, scene_colours
from ._spec import KeyframeSpec, check_keyframe

__all__ = ["DEPTH_BLUR", "DTYPE", "PARAMS", "painted", "read_backdrop", "run_backdrop"]

DEPTH_BLUR = {
    "medium": 0.0025,
    "close_up": 0.007,
    "extreme_close_up": 0.011,
    "over_the_shoulder": 0.005,
    "insert": 0.008,
}
"""Backdrop blur radius per shot type, as a fraction of the frame height (depth of field)."""
PARAMS = frozenset({"width", "height", "shot_type", "palette", "location", "setting"})
"""A backdrop task's parameters (``compiler.plan.BACKDROP_PARAMS``): what the painting reads."""
DTYPE = np.dtype("<f4")
_HEADER_MAX = 4096
"""Bytes a ``.npy`` header may take (numpy writes about 128)."""


def painted(spec: KeyframeSpec, scene: Scene, colours: dict[str, Any], memo: bool = True) -> np.ndarray:
    """The shot's backdrop, painted: planar float32 ``(3, h, w)``. ``memo`` shares it within the process
    (``render_backdrop``): for keyframes painted without a backdrop task."""
    h = spec.height
    horizon, ground = (f * h for f in FRAMING[spec.shot_type])
    blur = round(DEPTH_BLUR.get(spec.shot_type, 0.0) * h)
    paint = render_backdrop if memo else paint_backdrop
    return paint(scene, colours, spec.width, h, horizon, ground, blur)


def run_backdrop(task: TaskRun) -> Result:
    """Paint the backdrop and write it as ``backdrop.npy``."""
    extra = sorted(set(task.params) - PARAMS)
    if extra:
        raise BackendError(f"{task.id}: a backdrop reads {', '.join(sorted(PARAMS))}; not {', '.join(extra)}")
    spec = check_keyframe(task.id, task.params, task.files)
    scene = classify(spec.location, spec.setting)
    img = painted(spec, scene, scene_colours(scene, spec.location, spec.palette), memo=False)
    task.report(1, 1)
    path = task.workdir / "backdrop.npy"
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(img, DTYPE), allow_pickle=False)
    meta = {"scene": "interior" if scene.interior else "exterior", "time": scene.time,
            "features": sorted(scene.features), "size": [spec.width, spec.height]}
    return Result(outputs={"backdrop": path}, meta=meta)


def read_backdrop(path: Path, width: int, height: int, what: str) -> np.ndarray:
    """A ``backdrop`` output read back: a new, writable planar float32 ``(3, height, width)`` array.

    Untrusted: the file must be a ``.npy`` of exactly that shape, little-endian float32, C order,
    nothing before or after the data, every value in 0..1 (no NaN); anything else is a
    ``BackendError``. Never unpickles; reads no more than the header and the expected data."""
    count = 3 * height * width
    try:
        with open(path, "rb") as f:
            header = _header(f, what)
            if header != ((3, height, width), False, DTYPE):
                raise BackendError(f"{what} is not a {width}x{height} backdrop (planar float32 3x{height}x{width}): "
                                   f"shape {header[0]}, dtype {header[2]}{', Fortran order' if header[1] else ''}")
            size, expected = os.fstat(f.fileno()).st_size - f.tell(), count * DTYPE.itemsize
            if size != expected:
                raise BackendError(f"{what} holds {size} bytes of pixels, not {expected}: it is "
                                   f"{'truncated' if size < expected else 'padded'}")
            data = np.fromfile(f, dtype=DTYPE, count=count)
            if data.size != count:  # changed while read
                raise BackendError(f"{what} was cut short while it was read")
    except OSError as exc:
        raise BackendError(f"cannot read {what}: {exc}") from None
    lo, hi = data.min(), data.max()
    if not (lo >= 0.0 and hi <= 1.0):  # NaN fails both
        raise BackendError(f"{what} holds values outside 0..1 ({lo}..{hi})")
    return data.astype(np.float32, copy=False).reshape(3, height, width)


def _header(f: Any, what: str) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """(shape, Fortran order, dtype) of a ``.npy`` header; its dictionary is read as a literal, bounded."""
    try:
        version = np.lib.format.read_magic(f)
        read: Mapping[tuple[int, int], Any] = {(1, 0): np.lib.format.read_array_header_1_0,
                                               (2, 0): np.lib.format.read_array_header_2_0}
        if version not in read:
            raise ValueError(f"unsupported .npy version {version}")
        shape, fortran, dtype = read[version](f, max_header_size=_HEADER_MAX)
    except (ValueError, SyntaxError, TypeError, EOFError) as exc:
        raise BackendError(f"{what} is not a backdrop (.npy): {exc}") from None
    return tuple(shape), bool(fortran), np.dtype(dtype)
