"""A premultiplied float32 RGBA canvas and anti-aliased shapes drawn from signed distances.

Each shape is evaluated only inside its bounding box. ``soft`` is the width of the edge in
pixels: 1 gives a crisp anti-aliased edge, large values give a blurred silhouette.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._palette import RGB
from .staging.trig import cos_deg, sin_deg


class Layer:
    """``rgb`` premultiplied by ``alpha``; both float32 in 0..1.

    Colour is planar, ``(3, h, w)``: numpy broadcasts a coverage ``(h, w)`` over the leading
    axis in long contiguous loops, several times faster than over a trailing axis of 3.
    """

    def __init__(self, h: int, w: int, *, opaque: bool = False) -> None:
        self.h, self.w = h, w
        self.rgb = np.zeros((3, h, w), np.float32)
        self.alpha = np.full((h, w), 1.0 if opaque else 0.0, np.float32)
        self.drawn: tuple[int, int, int, int] | None = None
        """Rows y0:y1 and columns x0:x1 holding everything painted so far (None: nothing yet)."""

    def grid(self, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice, np.ndarray, np.ndarray] | None:
        """Slices of the box (clipped) and pixel-centre coordinates: ``ys`` column, ``xs`` row."""
        ix0, iy0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
        ix1, iy1 = min(self.w, int(np.ceil(x1)) + 1), min(self.h, int(np.ceil(y1)) + 1)
        if ix0 >= ix1 or iy0 >= iy1:
            return None
        ys = (np.arange(iy0, iy1, dtype=np.float32) + 0.5)[:, None]
        xs = (np.arange(ix0, ix1, dtype=np.float32) + 0.5)[None, :]
        return slice(iy0, iy1), slice(ix0, ix1), ys, xs

    def paint(self, sy: slice, sx: slice, cover: np.ndarray, color: RGB | np.ndarray, opacity: float = 1.0) -> None:
        """Composite ``color`` (one colour or a planar per-pixel array) with per-pixel ``cover``."""
        a = cover if opacity == 1.0 else cover * np.float32(opacity)
        col = np.asarray(color, np.float32)
        if col.ndim == 1:
            col = col[:, None, None]
        rgb = self.rgb[:, sy, sx]
        rgb += (col - rgb) * a
        alpha = self.alpha[sy, sx]
        alpha += a * (1.0 - alpha)
        box = (sy.start, sy.stop, sx.start, sx.stop)
        d = self.drawn
        self.drawn = box if d is None else (min(d[0], box[0]), max(d[1], box[1]), min(d[2], box[2]), max(d[3], box[3]))

    def composite_over(self, below: np.ndarray) -> np.ndarray:
        """This layer over an opaque planar float32 ``(3, h, w)`` image."""
        return self.rgb + below * (1.0 - self.alpha)


def _cover(d: np.ndarray, soft: float) -> np.ndarray:
    return np.clip(np.float32(0.5) - d * np.float32(1.0 / max(soft, 1e-3)), 0.0, 1.0)


def ellipse(
    layer: Layer,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    color: RGB,
    *,
    soft: float = 1.0,
    opacity: float = 1.0,
    angle: float = 0.0,
) -> None:
    """An ellipse, turned clockwise by ``angle`` degrees."""
    rx, ry = max(rx, 0.25), max(ry, 0.25)
    pad = soft + 1.0
    if angle:
        r = max(rx, ry)
        g = layer.grid(cx - r - pad, cy - r - pad, cx + r + pad, cy + r + pad)
    else:
        g = layer.grid(cx - rx - pad, cy - ry - pad, cx + rx + pad, cy + ry + pad)
    if g is None:
        return
    sy, sx, ys, xs = g
    if angle:
        sn, cs = sin_deg(angle), cos_deg(angle)
        dx, dy = xs - np.float32(cx), ys - np.float32(cy)
        u = (dx * np.float32(cs) + dy * np.float32(sn)) * np.float32(1.0 / rx)
        v = (dy * np.float32(cs) - dx * np.float32(sn)) * np.float32(1.0 / ry)
    else:
        u = (xs - np.float32(cx)) * np.float32(1.0 / rx)
        v = (ys - np.float32(cy)) * np.float32(1.0 / ry)
    k = np.sqrt(u * u + v * v)
    gu, gv = u * np.float32(1.0 / rx), v * np.float32(1.0 / ry)
    grad = np.sqrt(gu * gu + gv * gv) / np.maximum(k, np.float32(1e-6))
    d = (k - 1.0) / np.maximum(grad, np.float32(1e-6))
    layer.paint(sy, sx, _cover(d, soft), color, opacity)


def box(
    layer: Layer,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    color: RGB,
    *,
    radius: float = 0.0,
    soft: float = 1.0,
    opacity: float = 1.0,
) -> None:
    pad = soft + 1.0
    g = layer.grid(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    if g is None:
        return
    sy, sx, ys, xs = g
    hx, hy = (x1 - x0) / 2, (y1 - y0) / 2
    r = min(radius, hx, hy)
    qx = np.abs(xs - np.float32((x0 + x1) / 2)) - np.float32(hx - r)
    qy = np.abs(ys - np.float32((y0 + y1) / 2)) - np.float32(hy - r)
    ox, oy = np.maximum(qx, 0.0), np.maximum(qy, 0.0)
    d = np.sqrt(ox * ox + oy * oy) + np.minimum(np.maximum(qx, qy), 0.0) - np.float32(r)
    layer.paint(sy, sx, _cover(d, soft), color, opacity)


def capsule(
    layer: Layer,
    ax: float,
    ay: float,
    bx: float,
    by: float,
    r: float,
    color: RGB,
    *,
    soft: float = 1.0,
    opacity: float = 1.0,
) -> None:
    pad = r + soft + 1.0
    g = layer.grid(min(ax, bx) - pad, min(ay, by) - pad, max(ax, bx) + pad, max(ay, by) + pad)
    if g is None:
        return
    sy, sx, ys, xs = g
    dx, dy = bx - ax, by - ay
    inv = 1.0 / max(dx * dx + dy * dy, 1e-9)
    px, py = xs - np.float32(ax), ys - np.float32(ay)
    t = np.clip((px * np.float32(dx) + py * np.float32(dy)) * np.float32(inv), 0.0, 1.0)
    ex, ey = px - t * np.float32(dx), py - t * np.float32(dy)
    d = np.sqrt(ex * ex + ey * ey) - np.float32(r)
    layer.paint(sy, sx, _cover(d, soft), color, opacity)


def polygon(
    layer: Layer,
    points: Sequence[tuple[float, float]],
    color: RGB,
    *,
    soft: float = 1.0,
    opacity: float = 1.0,
    radius: float = 0.0,
) -> None:
    """A convex polygon (either winding); ``radius`` rounds it outward."""
    pad = soft + radius + 1.0
    xs_, ys_ = [p[0] for p in points], [p[1] for p in points]
    g = layer.grid(min(xs_) - pad, min(ys_) - pad, max(xs_) + pad, max(ys_) + pad)
    if g is None:
        return
    sy, sx, ys, xs = g
    area = sum(
        points[i][0] * points[(i + 1) % len(points)][1] - points[(i + 1) % len(points)][0] * points[i][1]
        for i in range(len(points))
    )
    sign = 1.0 if area > 0 else -1.0
    d: np.ndarray | None = None
    for i, (ax, ay) in enumerate(points):
        bx, by = points[(i + 1) % len(points)]
        ex, ey = bx - ax, by - ay
        length = max(math.sqrt(ex * ex + ey * ey), 1e-9)
        nx, ny = sign * ey / length, -sign * ex / length
        di = (xs - np.float32(ax)) * np.float32(nx) + (ys - np.float32(ay)) * np.float32(ny)
        d = di if d is None else np.maximum(d, di)
    assert d is not None
    layer.paint(sy, sx, _cover(d - np.float32(radius), soft), color, opacity)
