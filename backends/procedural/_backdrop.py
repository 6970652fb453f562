"""Backdrops: sky, sea, land, cliffs, trees, buildings or a room, painted in float32 numpy.

``paint_backdrop`` (and ``render_backdrop``, which keeps a few in the process) returns an opaque
planar ``(3, h, w)`` float32 image in 0..1. Structure comes from a generator keyed on the location
(the same place in every shot); only arithmetic is used, so the pixels are the same on every machine.
"""

from __future__ import annotations

import collections
import threading

import numpy as np

from ._noise import box_blur, fractal_noise, noise_1d, rng_for, smoothstep, wave
from ._palette import RGB, mix, scale
from ._scene import Scene

F32 = np.float32


def col(c: RGB) -> np.ndarray:
    """A colour shaped ``(3, 1, 1)`` to broadcast over planar images."""
    return np.asarray(c, F32)[:, None, None]


class _Painter:
    """The planar image being painted plus its pixel-centre coordinates."""

    def __init__(self, h: int, w: int, horizon: float, ground: float, key: str) -> None:
        self.h, self.w = h, w
        self.hz, self.ground = horizon, ground
        self.img = np.zeros((3, h, w), F32)
        self.Y = (np.arange(h, dtype=F32) + 0.5)[:, None]
        self.X = (np.arange(w, dtype=F32) + 0.5)[None, :]
        self.rng = rng_for(0, "location", key)

    def blend(self, cover: np.ndarray, color: RGB | np.ndarray) -> None:
        """Paint ``color`` (a colour or a planar array) with coverage ``cover`` (``(h, w)``-like), only
        on the rows the cover touches (most shapes cover a band of the frame)."""
        c = col(color) if isinstance(color, tuple) else color
        rows = np.flatnonzero(np.asarray(cover).reshape(cover.shape[0], -1).any(axis=1)) \
            if cover.ndim == 2 and cover.shape[0] == self.h else None
        if rows is None or len(rows) == 0:
            if rows is None:
                self.img += (c - self.img) * cover
            return
        y0, y1 = int(rows[0]), int(rows[-1]) + 1
        part = self.img[:, y0:y1]
        colour = c if c.shape[1] == 1 else c[:, y0:y1]
        part += (colour - part) * cover[y0:y1]

    def gradient(self, top: RGB, bottom: RGB, y0: float, y1: float) -> np.ndarray:
        """A planar column ``(3, h, 1)`` from ``top`` at row ``y0`` to ``bottom`` at ``y1``."""
        t = np.clip((self.Y - F32(y0)) / F32(max(y1 - y0, 1.0)), 0.0, 1.0)
        return col(top) + (col(bottom) - col(top)) * t

    def fill(self, y0: float, y1: float, x0: float, x1: float, color: RGB | np.ndarray) -> None:
        """Fill the box (whole pixels); ``color`` is a colour or a planar column ``(3, h, 1)``."""
        ys, xs = slice(max(0, int(y0)), max(0, int(y1))), slice(max(0, int(x0)), max(0, int(x1)))
        self.img[:, ys, xs] = col(color) if isinstance(color, tuple) else color[:, ys]

    def silhouette(self, top: np.ndarray, bottom: float, color: RGB | np.ndarray) -> None:
        """Fill from the line ``top`` (one y per column) down to row ``bottom``, anti-aliased."""
        cover = np.clip(self.Y - top[None, :] + 0.5, 0.0, 1.0) * np.clip(F32(bottom) - self.Y + 0.5, 0.0, 1.0)
        self.blend(cover, color)


_MEMO: collections.OrderedDict[tuple[object, ...], np.ndarray] = collections.OrderedDict()
_MEMO_LOCK = threading.Lock()
MEMO_SIZE = 6
"""Backdrops kept in the process by ``render_backdrop`` (a backdrop at 720p is 11 MB). A build paints
each backdrop once in its own task (``backdrop.run_backdrop``, unmemoised: no two tasks paint the
same one); the memo serves keyframes painted without that task (direct callers: tests, benches), whose
shots of one place and framing share one."""


def paint_backdrop(scene: Scene, colours: dict[str, RGB], w: int, h: int, horizon: float, ground: float,
                   blur: int = 0) -> np.ndarray:
    """The backdrop for ``scene``; ``horizon`` and ``ground`` are rows in pixels, ``blur`` a box-blur
    radius (depth of field). Painted on every call."""
    img = _paint(scene, colours, w, h, horizon, ground)
    return box_blur(img, blur) if blur else img


def render_backdrop(scene: Scene, colours: dict[str, RGB], w: int, h: int, horizon: float, ground: float,
                    blur: int = 0) -> np.ndarray:
    """``paint_backdrop``, kept in the process (``_MEMO``). A new array each call."""
    key = (scene, tuple(sorted(colours.items())), w, h, horizon, ground, blur)
    with _MEMO_LOCK:
        done = _MEMO.get(key)
        if done is not None:
            _MEMO.move_to_end(key)
            return done.copy()
    img = paint_backdrop(scene, colours, w, h, horizon, ground, blur)
    img.flags.writeable = False
    with _MEMO_LOCK:
        _MEMO[key] = img
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return img.copy()


def _paint(scene: Scene, colours: dict[str, RGB], w: int, h: int, horizon: float, ground: float) -> np.ndarray:
    p = _Painter(h, w, horizon, ground, scene.key)
    if scene.interior:
        _interior(p, scene, colours)
    else:
        _sky(p, scene, colours)
        _land(p, scene, colours)
    _light(p)
    return np.clip(p.img, 0.0, 1.0)


def _sky(p: _Painter, scene: Scene, c: dict[str, RGB]) -> None:
    t = np.clip(p.Y / F32(max(p.hz, 1.0)), 0.0, 1.0)
    p.img[:] = col(c["sky_top"]) + (col(c["sky_low"]) - col(c["sky_top"])) * (t * np.sqrt(t))
    u = p.rng.random(4)
    sx = p.w * (0.18 + 0.64 * u[0])
    sy = p.hz * ((0.55 + 0.25 * u[1]) if scene.time in ("dusk", "dawn") else (0.18 + 0.3 * u[1]))
    radius = 0.055 * p.h
    dx, dy = p.X - F32(sx), p.Y - F32(sy)
    d2 = (dx * dx + dy * dy) * F32(1.0 / (radius * radius))
    p.blend(F32(0.45) / (1.0 + d2 * F32(0.6)), c["sun"])
    p.blend(np.clip((1.0 - np.sqrt(d2)) * F32(radius) + 0.5, 0.0, 1.0), c["sun"])
    if scene.time == "night":
        stars = (p.rng.random((p.h, p.w), dtype=F32) > F32(0.9985)) & (p.Y < F32(p.hz * 0.9))
        p.blend(stars * F32(0.9), (1.0, 1.0, 0.95))
    clouds = fractal_noise(p.rng, p.h, p.w, cells=2, octaves=4, stretch=3.0)
    fade = smoothstep(0.0, 0.35, 1.0 - p.Y / F32(max(p.hz, 1.0)))
    p.blend(smoothstep(0.5, 0.72, clouds) * fade * F32(0.85), c["cloud"])


def _haze(c: dict[str, RGB], role: str, amount: float) -> RGB:
    return mix(c[role], c["sky_low"], amount)


def _land(p: _Painter, scene: Scene, c: dict[str, RGB]) -> None:
    f = scene.features
    if "mountains" in f or not f:
        for depth, (height, haze) in enumerate(((0.22, 0.55), (0.12, 0.3))):
            line = p.hz - p.h * height * (0.35 + 0.65 * noise_1d(p.rng, p.w, 3 + 2 * depth, 4))
            p.silhouette(line, p.hz + 1, _haze(c, "far" if depth == 0 else "grass", haze))
    if "forest" in f:
        bumps = np.abs(wave(p.X[0] * F32(14.0 / p.w) + noise_1d(p.rng, p.w, 3)))
        line = p.hz - p.h * (0.07 + 0.06 * noise_1d(p.rng, p.w, 4) + 0.03 * bumps)
        p.silhouette(line, p.hz + 1, _haze(c, "foliage", 0.35))
    if "city" in f:
        _skyline(p, c)
    if "sea" in f:
        near = c["sand"]
    elif "city" in f and "forest" not in f:
        near = c["street"]
    else:
        near = c["grass"]
    p.silhouette(np.full(p.w, p.hz, F32), p.h, p.gradient(mix(near, c["sky_low"], 0.3), near, p.hz, p.h))
    grain = fractal_noise(p.rng, p.h, p.w, cells=6, octaves=3, stretch=3.0)
    below = np.clip(p.Y - F32(p.hz), 0.0, 1.0)
    p.img *= 1.0 + (grain - 0.5) * F32(0.18) * below
    if "sea" in f:
        _sea(p, c)
    if "city" in f:
        _street(p, c)
    left = None
    if "cliff" in f:
        left = _cliff(p, c)
    if "tower" in f:
        _tower(p, c, left, "lighthouse" in f)
    if "forest" in f:
        _trees(p, c)


def _sea(p: _Painter, c: dict[str, RGB]) -> None:
    shore = p.hz + (min(p.ground, p.h) - p.hz) * 0.5
    line = shore + p.h * 0.02 * (noise_1d(p.rng, p.w, 5) - 0.5)
    cover = np.clip(p.Y - F32(p.hz) + 0.5, 0.0, 1.0) * np.clip(line[None, :] - p.Y + 0.5, 0.0, 1.0)
    p.blend(cover, p.gradient(c["sea_far"], c["sea_near"], p.hz, shore))
    streaks = fractal_noise(p.rng, p.h, p.w, cells=10, octaves=2, stretch=8.0)
    p.blend(smoothstep(0.68, 0.85, streaks) * cover * F32(0.55), c["foam"])
    band = p.h * 0.012
    foam = smoothstep(0.0, 1.0, 1.0 - np.abs(p.Y - line[None, :] + F32(band)) / F32(band * 1.5))
    p.blend(foam * F32(0.9), c["foam"])


def _cliff(p: _Painter, c: dict[str, RGB]) -> bool:
    """A rock face on one side and a low headland on the other; True when the face is left."""
    left = bool(p.rng.random() < 0.5)
    edge = p.w * (0.16 + 0.1 * noise_1d(p.rng, p.h, 4, 4))[:, None]
    x = p.X if left else F32(p.w) - p.X
    shoulder = np.clip(1.0 - (F32(p.w * 0.2) - x) / F32(p.w * 0.12), 0.0, 1.0)
    top = F32(p.h * 0.1) + F32(p.h * 0.12) * shoulder * shoulder
    cover = np.clip(edge - x + 0.5, 0.0, 1.0) * np.clip(p.Y - top + 0.5, 0.0, 1.0)
    strata = fractal_noise(p.rng, p.h, p.w, cells=8, octaves=3, stretch=5.0)
    rim = np.clip(1.0 - (edge - x) / F32(p.w * 0.05), 0.0, 1.0)
    p.blend(cover, col(c["rock"]) * (F32(0.75) + F32(0.4) * strata - F32(0.15) * rim))
    far_x = F32(p.w) - p.X[0] if left else p.X[0]
    ramp = np.clip(1.0 - far_x / F32(p.w * 0.4), 0.0, 1.0)
    far_line = p.hz + 1.0 - p.h * (0.09 * ramp * np.sqrt(ramp) + 0.012 * noise_1d(p.rng, p.w, 12) * (ramp > 0))
    p.silhouette(far_line.astype(F32), p.hz + 1, _haze(c, "rock", 0.5))
    return left


def _tower(p: _Painter, c: dict[str, RGB], cliff_left: bool | None, lighthouse: bool) -> None:
    """A tapered tower on the far headland (or the horizon); a lighthouse is white, banded red,
    with a glowing lamp room."""
    if cliff_left is None:
        x, base = p.w * 0.72, p.hz + 1
    else:
        x = p.w * (0.94 if cliff_left else 0.06)
        base = p.hz - p.h * 0.06
    height, half = p.h * 0.2, p.w * 0.018
    body = mix((0.95, 0.94, 0.9), c["sky_low"], 0.15) if lighthouse else _haze(c, "rock", 0.3)
    t = np.clip((F32(base) - p.Y) / F32(height), 0.0, 1.0)
    width = F32(half) * (1.0 - F32(0.35) * t)
    inside = np.clip(width - np.abs(p.X - F32(x)) + 0.5, 0.0, 1.0) * (p.Y > F32(base - height)) * (p.Y < F32(base))
    p.blend(inside, body)
    if lighthouse:
        band = (np.abs(t - F32(0.45)) < F32(0.08)).astype(F32)
        p.blend(inside * band, (0.75, 0.18, 0.16))
    lamp = np.clip(F32(half * 0.8) - np.abs(p.X - F32(x)) + 0.5, 0.0, 1.0)
    lamp = lamp * (p.Y > F32(base - height - p.h * 0.035)) * (p.Y <= F32(base - height))
    p.blend(lamp, (1.0, 0.86, 0.45) if lighthouse else scale(body, 0.8))
    p.fill(base - height - p.h * 0.05, base - height - p.h * 0.035, x - half, x + half, scale(body, 0.5))


def _trees(p: _Painter, c: dict[str, RGB]) -> None:
    positions = [0.02 + 0.1 * p.rng.random(), 0.88 + 0.1 * p.rng.random(), 0.14 + 0.06 * p.rng.random()]
    dark = scale(c["foliage"], 0.75)
    for i, fx in enumerate(positions):
        x0 = p.w * fx
        width = p.w * (0.03 if i < 2 else 0.02)
        bottom = min(p.ground, p.h) + p.h * 0.02 * (1 if i < 2 else -3)
        trunk = np.clip(F32(width / 2) - np.abs(p.X - F32(x0)) + 0.5, 0.0, 1.0) * (p.Y < F32(bottom))
        p.blend(trunk, c["trunk"])
        blob = fractal_noise(p.rng, p.h, p.w, cells=4, octaves=3)
        u, v = (p.X - F32(x0)) / F32(p.w * 0.13), p.Y / F32(p.h * 0.3)
        d = u * u + v * v
        p.blend(smoothstep(0.45, 0.6, blob + 0.6 - d), dark)


def _skyline(p: _Painter, c: dict[str, RGB]) -> None:
    cell_h, cell_w = max(2, int(p.h * 0.025)), max(2, int(p.w * 0.014))
    x = 0.0
    while x < p.w:
        bw = p.w * (0.05 + 0.07 * p.rng.random())
        top = p.hz - p.h * (0.1 + 0.25 * p.rng.random())
        colour = scale(_haze(c, "building", 0.25), 0.8 + 0.3 * p.rng.random())
        lit = p.rng.random((64, 64)) < (0.5 if colour[2] < 0.3 else 0.3)
        ys, xs = slice(max(0, int(top)), max(0, int(p.hz) + 1)), slice(int(x), min(p.w, int(x + bw)))
        block = p.img[:, ys, xs]
        block[:] = col(colour)
        dy = np.arange(ys.start, ys.stop) - int(top)
        dx = np.arange(xs.start, xs.stop) - int(x)
        window = ((dy % cell_h)[:, None] > max(1, int(p.h * 0.008))) & (
            (dx % cell_w)[None, :] > max(1, int(p.w * 0.005))
        )
        window &= lit[(dy // cell_h)[:, None] % 64, (dx // cell_w)[None, :] % 64] & (dy >= cell_h)[:, None]
        block[:, window] = np.asarray(c["window"], F32)[:, None]
        x += bw


def _street(p: _Painter, c: dict[str, RGB]) -> None:
    p.fill(p.hz, p.hz + (p.h - p.hz) * 0.12, 0, p.w, scale(c["street"], 1.3))
    centre = p.hz + (p.h - p.hz) * 0.55
    dash = (wave(p.X / F32(p.w * 0.08)) > 0.0) & (np.abs(p.Y - F32(centre)) < F32(p.h * 0.006))
    p.blend(dash.astype(F32), c["trim"])


def _interior(p: _Painter, scene: Scene, c: dict[str, RGB]) -> None:
    floor = min(p.hz + p.h * 0.06, p.h - 2.0)
    p.img[:] = p.gradient(scale(c["wall"], 0.92), c["wall_low"], 0.0, floor)
    p.img *= 1.0 - F32(0.05) * (np.abs(wave(p.X / F32(p.w / 24.0))) < 0.06)
    kitchen = "kitchen" in scene.features
    wx = p.w * (0.62 if p.rng.random() < 0.5 else 0.18) if not kitchen else p.w * 0.42
    _window(p, c, wx, p.h * 0.1, wx + p.w * 0.18, floor - p.h * (0.3 if kitchen else 0.22))
    if kitchen:
        _kitchen(p, c, floor)
    else:
        fx = p.w * 0.2 if wx > p.w * 0.5 else p.w * 0.7
        _frame(p, c, fx, floor * 0.3, fx + p.w * 0.1, floor * 0.55)
    if scene.time == "night":  # a lamp: a warm pool of light on the wall
        lx, ly = (p.w * 0.3 if wx > p.w * 0.5 else p.w * 0.78), floor * 0.45
        dx, dy = (p.X - F32(lx)) / F32(p.h * 0.35), (p.Y - F32(ly)) / F32(p.h * 0.35)
        p.img *= 1.0 + F32(0.55) / (1.0 + (dx * dx + dy * dy) * F32(3.0))
    p.fill(floor, p.h, 0, p.w, p.gradient(scale(c["floor"], 0.8), c["floor"], floor, p.h))
    depth = np.maximum(p.Y - F32(floor), 1.0)
    vanish = (p.X - F32(p.w / 2)) / depth * F32(p.h * 0.12)
    seams = (np.abs(wave(vanish / F32(p.w * 0.03))) < 0.06) & (depth > F32(p.h * 0.04))
    rows = np.abs(wave(np.sqrt(depth / F32(p.h)) * F32(7.0))) < 0.05
    fade = smoothstep(0.0, p.h * 0.15, depth) * (p.Y > F32(floor))
    p.blend((seams | rows) * fade * F32(0.45), scale(c["floor"], 0.6))
    p.fill(floor - p.h * 0.025, floor, 0, p.w, c["trim"])
    if "bedroom" in scene.features:
        _bed(p, c, floor, p.w * (0.06 if wx > p.w * 0.5 else 0.6))


def _window(p: _Painter, c: dict[str, RGB], x0: float, y0: float, x1: float, y1: float) -> None:
    bar = max(2, int(p.h * 0.012))
    p.fill(y0 - bar, y1 + bar, x0 - bar, x1 + bar, c["trim"])
    p.fill(y0, y1, x0, x1, p.gradient(c["sky_top"], c["sky_low"], y0, y1))
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    p.fill(y0, y1, xm - bar // 2, xm - bar // 2 + bar, c["trim"])
    p.fill(ym - bar // 2, ym - bar // 2 + bar, x0, x1, c["trim"])


def _frame(p: _Painter, c: dict[str, RGB], x0: float, y0: float, x1: float, y1: float) -> None:
    bar = max(2, int(p.h * 0.01))
    p.fill(y0 - bar, y1 + bar, x0 - bar, x1 + bar, scale(c["furniture"], 0.7))
    p.fill(y0, y1, x0, x1, p.gradient(c["far"], c["grass"], y0, y1))


def _bed(p: _Painter, c: dict[str, RGB], floor: float, x0: float) -> None:
    """A bed against the wall: frame, mattress and blanket, a pillow."""
    x1, top = x0 + p.w * 0.34, floor - p.h * 0.14
    p.fill(floor - p.h * 0.24, floor + p.h * 0.06, x0, x0 + p.w * 0.015, scale(c["furniture"], 0.8))
    p.fill(top, floor + p.h * 0.06, x0, x1, c["furniture"])
    p.fill(top - p.h * 0.03, top + p.h * 0.05, x0 + p.w * 0.015, x1, c["trim"])
    p.fill(top - p.h * 0.01, top + p.h * 0.07, x0 + p.w * 0.09, x1, mix(c["wall"], (0.35, 0.45, 0.7), 0.6))
    p.fill(top - p.h * 0.06, top - p.h * 0.005, x0 + p.w * 0.02, x0 + p.w * 0.08, c["trim"])


def _kitchen(p: _Painter, c: dict[str, RGB], floor: float) -> None:
    top = floor - p.h * 0.2
    p.fill(top, floor, 0, p.w, c["furniture"])
    p.fill(top, top + p.h * 0.02, 0, p.w, c["trim"])
    p.fill(p.h * 0.08, p.h * 0.26, 0, p.w * 0.36, c["furniture"])
    p.fill(p.h * 0.08, p.h * 0.26, p.w * 0.66, p.w, c["furniture"])
    upper = (p.Y < F32(p.h * 0.26)) & (p.Y > F32(p.h * 0.08)) & ((p.X < p.w * 0.36) | (p.X > p.w * 0.66))
    lower = (p.Y > F32(top + p.h * 0.03)) & (p.Y < F32(floor))
    doors = (np.abs(wave(p.X / F32(p.w * 0.1))) < 0.04) & (lower | upper)
    p.blend(doors.astype(F32), scale(c["furniture"], 0.6))


def _light(p: _Painter) -> None:
    """A soft directional light from the upper left or right, and a vignette."""
    lx = 1.0 if p.rng.random() < 0.5 else -1.0
    u = (p.X / F32(p.w) - 0.5) * 2.0
    v = (p.Y / F32(p.h) - 0.5) * 2.0
    p.img *= 1.0 + F32(0.08) * (F32(-lx) * u - v) - F32(0.12) * (u * u * 0.6 + v * v)
