"""Separable bilinear resampling of uint8 pictures in 8-bit fixed point, and alpha compositing.

Every camera view is an axis-aligned affine map (a zoom and a shift), so sampling is separable:
each output column reads two source columns with one weight, each output row two source rows.
Index and weight vectors are computed per frame in float64 and rounded to 1/256 pixel; the
pixel maths is integer (uint16), hence exact and identical on every machine.

Three sources share one interface, ``frame(i, box) -> uint8 (rows, cols, channels)``:
- ``Still``: one view for all frames (computed once);
- ``Plane``: a constant zoom (pans, tilts, shake, the static camera's drift): the picture is
  resampled once at that zoom and each frame is a quarter-pixel shift of it, each shift made once;
- ``Sampler``: a changing zoom (zoom, dolly): both passes per frame, columns first on only
  the source rows that the view needs.

``over`` lays a premultiplied picture over a frame (a figure resampled to a changing size).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._camera import View

Box = tuple[int, int, int, int]
"""Output rows y0:y1 and columns x0:x1."""


@dataclass(frozen=True)
class Axis:
    i0: np.ndarray
    i1: np.ndarray
    w: np.ndarray
    """Weight of ``i1`` in 256ths (uint16)."""
    inv: np.ndarray
    """256 - w."""

    def __getitem__(self, s: slice) -> Axis:
        return Axis(self.i0[s], self.i1[s], self.w[s], self.inv[s])


def axis(n_out: int, n_src: int, start: float, step: float) -> Axis:
    """Output index k samples source position ``start + k * step`` (pixel-centre indices)."""
    pos = np.clip(start + np.arange(n_out, dtype=np.float64) * step, 0.0, n_src - 1)
    i0 = np.floor(pos).astype(np.intp)
    w = np.floor((pos - i0) * 256.0 + 0.5).astype(np.intp)
    carry = w == 256
    i0 = np.minimum(i0 + carry, n_src - 1)
    w = np.where(carry, 0, w).astype(np.uint16)
    return Axis(i0, np.minimum(i0 + 1, n_src - 1), w, (256 - w).astype(np.uint16))


def _window(view: View, src_h: int, src_w: int, out_h: int, out_w: int) -> tuple[float, float, float]:
    """(start row, start column, step) of ``view``: the picture covers the frame at zoom 1."""
    step = 1.0 / (max(out_w / src_w, out_h / src_h) * view.zoom)
    starts = []
    for centre, n_src, n_out in ((view.cy, src_h, out_h), (view.cx, src_w, out_w)):
        half = n_out * step / 2.0
        c = min(max(centre * n_src, half), n_src - half)
        starts.append(c - half + step / 2.0 - 0.5)
    return starts[0], starts[1], step


class Scratch:
    """Reusable work buffers: fresh multi-megabyte arrays every frame cost more (page faults)
    than the arithmetic on them."""

    def __init__(self) -> None:
        self._flat: dict[tuple[int, str], np.ndarray] = {}

    def get(self, slot: int, shape: tuple[int, ...], dtype: type[np.generic]) -> np.ndarray:
        n = math.prod(shape)
        key = (slot, np.dtype(dtype).str)
        flat = self._flat.get(key)
        if flat is None or flat.size < n:
            flat = self._flat[key] = np.empty(n, dtype)
        return flat[:n].reshape(shape)


def _lerp(
    a: np.ndarray,
    b: np.ndarray,
    inv: np.ndarray | int,
    w: np.ndarray | int,
    scratch: Scratch,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``(a * inv + b * w) / 256``, rounded, as uint8 (into ``out`` when given)."""
    t = scratch.get(0, a.shape, np.uint16)
    u = scratch.get(1, a.shape, np.uint16)
    # widen, then multiply in place: a multiply that casts uint8 to uint16 on the way is slower
    np.copyto(t, a)
    np.multiply(t, inv, out=t)
    np.copyto(u, b)
    np.multiply(u, w, out=u)
    np.add(t, u, out=t)
    np.add(t, 128, out=t)
    res = np.empty(a.shape, np.uint8) if out is None else out
    np.right_shift(t, 8, out=res, casting="unsafe")
    return res


def _take_cols(src: np.ndarray, idx: np.ndarray, out: np.ndarray, channel: int | None = None) -> np.ndarray:
    """``src[:, idx]`` of a C-contiguous ``(h, w, c)`` array as ``(h, len(idx) * c)``, via one
    flat ``take`` (faster than fancy indexing on the middle axis); only ``channel`` when given.

    Takes into ``out`` use ``mode="clip"``: the indices (``axis``) are in range by construction,
    and the default mode writes to a buffer first, in case one is not, then copies it (the row
    takes ran three times as long)."""
    h, w, c = src.shape
    cols = idx * c + channel if channel is not None else (idx[:, None] * c + np.arange(c)).ravel()
    return np.take(src.reshape(h, w * c), cols, axis=1, out=out, mode="clip")


def resample(src: np.ndarray, rows: Axis, cols: Axis, scratch: Scratch | None = None,
             channel: int | None = None) -> np.ndarray:
    """Bilinear samples of ``src`` (uint8 ``(h, w, c)``) at the grid ``rows`` x ``cols``: columns
    first, on only the source rows needed, then rows. Returns a new array (one channel of it when
    ``channel`` is given: ``(rows, cols, 1)``).

    The maths runs on 2-D ``(rows, cols * c)`` views with weights repeated per channel, so every
    numpy loop is long and contiguous (a trailing broadcast axis of 1 would make it crawl).
    """
    scratch = scratch or Scratch()
    c = src.shape[2] if channel is None else 1
    lo, hi = int(rows.i0[0]), int(rows.i1[-1]) + 1
    part = src[lo:hi]
    if not part.flags.c_contiguous:
        part = np.ascontiguousarray(part)
    shape = (hi - lo, len(cols.i0) * c)
    a = _take_cols(part, cols.i0, scratch.get(3, shape, np.uint8), channel)
    if cols.w.any():
        b = _take_cols(part, cols.i1, scratch.get(4, shape, np.uint8), channel)
        inv, w = np.repeat(cols.inv, c)[None, :], np.repeat(cols.w, c)[None, :]
        a = _lerp(a, b, inv, w, scratch, scratch.get(2, shape, np.uint8))
    out_shape = (len(rows.i0), shape[1])
    if not rows.w.any():
        return np.take(a, rows.i0 - lo, axis=0).reshape(len(rows.i0), len(cols.i0), c)
    top = np.take(a, rows.i0 - lo, axis=0, out=scratch.get(5, out_shape, np.uint8), mode="clip")
    bottom = np.take(a, rows.i1 - lo, axis=0, out=scratch.get(6, out_shape, np.uint8), mode="clip")
    out = _lerp(top, bottom, rows.inv[:, None], rows.w[:, None], scratch)
    return out.reshape(len(rows.i0), len(cols.i0), c)


def _split(offset: float, phases: int = 256) -> tuple[int, int]:
    """(whole pixels, weight of the next pixel in 256ths, rounded to ``phases`` per pixel)."""
    whole = math.floor(offset)
    k = math.floor((offset - whole) * phases + 0.5)
    return (whole + 1, 0) if k == phases else (whole, k * 256 // phases)


class Still:
    """One view for every frame, resampled once."""

    def __init__(self, src: np.ndarray, view: View, out_h: int, out_w: int) -> None:
        y, x, step = _window(view, src.shape[0], src.shape[1], out_h, out_w)
        self.picture = resample(src, axis(out_h, src.shape[0], y, step), axis(out_w, src.shape[1], x, step))
        self.picture.flags.writeable = False
        self.h, self.w = out_h, out_w

    def frame(self, i: int, box: Box | None = None) -> np.ndarray:
        """The frame (shared and read-only) or a box of it."""
        if box is None:
            return self.picture
        y0, y1, x0, x1 = box
        return self.picture[y0:y1, x0:x1]

    def key(self, i: int) -> object:
        """Equal for frames that are the same picture."""
        return 0


class Plane:
    """A constant zoom: resampled once; frames are sub-pixel shifts of that plane.

    Shifts are rounded to ``PHASES`` per pixel and each shifted plane is made once (a pan visits a
    few), so a frame is a slice: no arithmetic per frame."""

    PHASES = 4

    def __init__(self, src: np.ndarray, views: Sequence[View], out_h: int, out_w: int) -> None:
        windows = [_window(v, src.shape[0], src.shape[1], out_h, out_w) for v in views]
        step = windows[0][2]
        y0, x0 = min(w[0] for w in windows), min(w[1] for w in windows)
        self.offsets = [((w[0] - y0) / step, (w[1] - x0) / step) for w in windows]
        n_y = out_h + math.ceil(max(o[0] for o in self.offsets)) + 2
        n_x = out_w + math.ceil(max(o[1] for o in self.offsets)) + 2
        self.q = resample(src, axis(n_y, src.shape[0], y0, step), axis(n_x, src.shape[1], x0, step))
        self.h, self.w = out_h, out_w
        self.scratch = Scratch()
        self.phases: dict[tuple[int, int], np.ndarray] = {}

    def _phase(self, wy: int, wx: int) -> np.ndarray:
        plane = self.phases.get((wy, wx))
        if plane is None:
            a = self.q
            if wx:
                a = _lerp(a[:, :-1], a[:, 1:], 256 - wx, wx, self.scratch)
            if wy:
                a = _lerp(a[:-1], a[1:], 256 - wy, wy, self.scratch)
            plane = self.phases[(wy, wx)] = a if a is not self.q else a.copy()
            plane.flags.writeable = False
        return plane

    def frame(self, i: int, box: Box | None = None) -> np.ndarray:
        """The frame (read-only: a view of a shared plane)."""
        y0, y1, x0, x1 = box or (0, self.h, 0, self.w)
        (iy, wy), (ix, wx) = (_split(o, self.PHASES) for o in self.offsets[i])
        return self._phase(wy, wx)[iy + y0 : iy + y1, ix + x0 : ix + x1]

    def key(self, i: int) -> object:
        return tuple(_split(o, self.PHASES) for o in self.offsets[i])


class Sampler:
    """A changing zoom: both resampling passes every frame (``i420``: straight to planar 4:2:0)."""

    def __init__(self, src: np.ndarray, views: Sequence[View], out_h: int, out_w: int) -> None:
        self.src = np.ascontiguousarray(src)
        self.views = list(views)
        self.h, self.w = out_h, out_w
        self.scratch = Scratch()
        self._cached: tuple[int, tuple[Axis, Axis]] | None = None

    def axes(self, i: int) -> tuple[Axis, Axis]:
        """Row and column maps of frame ``i`` (the last one is kept: ``boxes`` and ``frame``
        ask for the same frame in turn)."""
        if self._cached is None or self._cached[0] != i:
            y, x, step = _window(self.views[i], self.src.shape[0], self.src.shape[1], self.h, self.w)
            maps = (axis(self.h, self.src.shape[0], y, step), axis(self.w, self.src.shape[1], x, step))
            self._cached = (i, maps)
        return self._cached[1]

    def frame(self, i: int, box: Box | None = None) -> np.ndarray:
        rows, cols = self.axes(i)
        if box is not None:
            rows, cols = rows[box[0] : box[1]], cols[box[2] : box[3]]
        return resample(self.src, rows, cols, self.scratch)

    def i420(self, i: int, picture: np.ndarray | None = None) -> np.ndarray:
        """Frame ``i`` of ``picture`` (default: the source; Y'CbCr 4:4:4, the source's size) as planar
        4:2:0, ``(h * 3 // 2, w)``: Y' sampled at every pixel, Cb and Cr once per 2x2 block, at its
        centre. Half the samples of a 4:4:4 frame, and nothing left to average before encoding."""
        src = self.src if picture is None else picture
        y, x, step = _window(self.views[i], self.src.shape[0], self.src.shape[1], self.h, self.w)
        rows, cols = self.axes(i)
        h2, w2 = self.h // 2, self.w // 2
        c_rows = axis(h2, src.shape[0], y + step / 2.0, 2.0 * step)
        c_cols = axis(w2, src.shape[1], x + step / 2.0, 2.0 * step)
        out = np.empty((self.h * 3 // 2, self.w), np.uint8)
        out[: self.h] = resample(src, rows, cols, self.scratch, channel=0).reshape(self.h, self.w)
        chroma = out[self.h :].reshape(2, h2, w2)
        for c in (1, 2):
            chroma[c - 1] = resample(src, c_rows, c_cols, self.scratch, channel=c).reshape(h2, w2)
        return out

    def key(self, i: int) -> object:
        return self.views[i]


def source(src: np.ndarray, views: Sequence[View], out_h: int, out_w: int) -> Still | Plane | Sampler:
    """The cheapest exact source for these views."""
    if all(v == views[0] for v in views):
        return Still(src, views[0], out_h, out_w)
    if all(v.zoom == views[0].zoom for v in views):
        return Plane(src, views, out_h, out_w)
    return Sampler(src, views, out_h, out_w)


def over(dst: np.ndarray, rgb: np.ndarray, alpha: np.ndarray, box: Box, scratch: Scratch) -> None:
    """Composite premultiplied ``rgb`` with ``alpha`` over ``dst`` (uint8 RGB) inside ``box``.

    ``dst = rgb + dst * (255 - alpha) / 255``, rounded; premultiplied colour never exceeds alpha
    (bilinear sampling and rounding are monotonic), so the sum never exceeds 255.
    """
    y0, y1, x0, x1 = box
    h, n = y1 - y0, (x1 - x0) * 3
    region = dst[y0:y1].reshape(h, -1)[:, x0 * 3 : x1 * 3]
    inv = scratch.get(7, (h, n), np.uint8)
    np.subtract(255, np.repeat(alpha.reshape(h, -1), 3, axis=1), out=inv)
    t, u = scratch.get(8, (h, n), np.uint16), scratch.get(9, (h, n), np.uint16)
    np.multiply(region, inv, out=t, dtype=np.uint16)
    np.add(t, 128, out=t)
    np.right_shift(t, 8, out=u)
    np.add(t, u, out=t)
    np.right_shift(t, 8, out=t)
    np.add(t, rgb.reshape(h, n), out=t, dtype=np.uint16)
    np.copyto(region, t, casting="unsafe")
