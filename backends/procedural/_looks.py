"""Looks: the same scene drawn flat, as a pencil sketch or as a painting.

``backdrop_look`` styles the backdrop (opaque planar float32 ``(3, h, w)``); ``figure_look`` a
figure's sprite (premultiplied planar colour plus alpha ``(h, w)``), with its scales taken from the
frame (``frame_h``) and its hatching from the sprite's place in the frame (``origin``), so a sprite
looks the same as the figure drawn on the whole frame would.

- flat: clean flat colours, posterised a little, crisp edges;
- sketch: grey paper, pencil edge lines, hatching in the shadows, a faint colour wash;
- paint: soft blurred forms, brush dabs and a drifting colour temperature.
"""

from __future__ import annotations

import numpy as np

from ._noise import box_blur, fractal_noise, rng_for

F32 = np.float32

Img = np.ndarray


def backdrop_look(look: str, bg: Img, seed: int) -> Img:
    """``look`` is one of ``backends.procedural.LOOKS`` (checked by ``load``)."""
    if look == "flat":
        return _posterise(bg)
    if look == "sketch":
        return _sketch(bg, None, seed)
    return _paint(bg, seed)


def figure_look(look: str, rgb: Img, alpha: Img, seed: int, frame_h: int, origin: tuple[int, int]) -> tuple[Img, Img]:
    """A figure sprite in ``look``; ``origin`` is its top-left pixel (x, y) in the frame."""
    if look == "flat":
        return rgb, alpha
    if look == "sketch":
        return _sketch_layer(rgb, alpha, seed, frame_h, origin)
    return _paint_layer(rgb, alpha, seed, frame_h)


def padding(look: str, frame_h: int) -> int:
    """Pixels a look spreads a sprite by (the paint look's blur)."""
    return 2 * max(1, round(frame_h * 16 / 9 / 360)) + 1 if look == "paint" else 1


def _posterise(img: Img, levels: int = 24) -> Img:
    return np.floor(img * F32(levels - 1) + 0.5) * F32(1.0 / (levels - 1))


def _luma(rgb: Img) -> Img:
    return rgb[0] * F32(0.299) + rgb[1] * F32(0.587) + rgb[2] * F32(0.114)


def _edges(plane: Img) -> Img:
    """Central-difference gradient magnitude (L1) of an ``(h, w)`` plane."""
    p = np.pad(plane, 1, mode="edge")
    return np.abs(p[1:-1, 2:] - p[1:-1, :-2]) + np.abs(p[2:, 1:-1] - p[:-2, 1:-1])


def _paper(h: int, w: int, seed: int, frame_h: int | None = None) -> Img:
    """Paper: smooth fibres, no per-pixel grain (which would bloat the PNGs and the video)."""
    rng = rng_for(seed, "paper")
    cells = max(1, round(12 * h / (frame_h or h)))
    fibres = fractal_noise(rng, h, w, cells=cells, octaves=4, stretch=2.0)
    return F32(0.86) + F32(0.07) * fibres


def _hatching(lum: Img, frame_h: int | None = None, origin: tuple[int, int] = (0, 0)) -> Img:
    h, w = lum.shape
    period = max(4, round((frame_h or h) / 110))
    width = max(1, period // 4)
    yi = np.arange(origin[1], origin[1] + h)[:, None]
    xi = np.arange(origin[0], origin[0] + w)[None, :]
    one = ((xi + yi) % period < width) & (lum < 0.55)
    two = ((xi - yi) % period < width) & (lum < 0.3)
    return one * F32(0.32) + two * F32(0.32)


def _sketch(rgb: Img, alpha: Img | None, seed: int, frame_h: int | None = None,
            origin: tuple[int, int] = (0, 0)) -> Img:
    h, w = rgb.shape[1:]
    lum = _luma(rgb)
    edge = _edges(lum) if alpha is None else np.maximum(_edges(lum), _edges(alpha))
    lines = np.clip(edge * F32(5.0) - F32(0.12), 0.0, 1.0)
    ink = np.clip(lines * F32(0.85) + _hatching(lum, frame_h, origin), 0.0, 0.9)
    grey = _paper(h, w, seed, frame_h) * (F32(0.7) + F32(0.3) * lum) * (1.0 - ink)
    wash = F32(0.78) + F32(0.22) * rgb / np.maximum(lum, F32(0.05))
    return np.clip(grey * wash, 0.0, 1.0)


def _sketch_layer(rgb: Img, alpha: Img, seed: int, frame_h: int, origin: tuple[int, int]) -> tuple[Img, Img]:
    straight = rgb / np.maximum(alpha, F32(1e-6))
    return _sketch(straight, alpha, seed, frame_h, origin) * alpha, alpha


def _dabs(img: Img, seed: int, vertical: bool, frame_h: int | None = None) -> Img:
    """Brush dabs: each elongated cell (brick-offset rows) takes the colour at its centre."""
    if vertical:
        return _dabs(img.transpose(0, 2, 1), seed, False, frame_h).transpose(0, 2, 1)
    h, w = img.shape[1:]
    long = max(3, round((frame_h or min(h, w)) / 40))
    short = max(2, long // 3)
    rng = rng_for(seed, "dabs", vertical)
    rows = np.arange(h) // short
    offset = rng.integers(0, long, size=rows[-1] + 1)[rows]
    cols = (np.arange(w)[None, :] + offset[:, None]) // long
    cy = np.minimum(rows * short + short // 2, h - 1)[:, None]
    cx = np.clip(cols * long - offset[:, None] + long // 2, 0, w - 1)
    jitter = F32(0.94) + F32(0.12) * rng.random((rows[-1] + 1, cols.max() + 1), dtype=F32)
    flat = (cy * w + cx).ravel()
    picked = np.stack([np.take(plane.ravel(), flat).reshape(h, w) for plane in img])
    return picked * jitter[rows[:, None], cols]


_WARM = np.asarray([1.0, 0.45, -0.8], F32)[:, None, None]


def _texture(img: Img, seed: int, frame_h: int | None = None) -> Img:
    h, w = img.shape[1:]
    strokes = (_dabs(img, seed, False, frame_h) + _dabs(img, seed, True, frame_h)) * F32(0.5)
    cells = max(1, round(3 * h / (frame_h or h)))
    temperature = fractal_noise(rng_for(seed, "temperature"), h, w, cells=cells, octaves=2)
    out = img * F32(0.35) + strokes * F32(0.65)
    out += (temperature - F32(0.5)) * F32(0.08) * _WARM
    return out


def _paint(rgb: Img, seed: int) -> Img:
    soft = box_blur(rgb, max(1, round(rgb.shape[1] / 300)))
    return np.clip(_texture(soft, seed), 0.0, 1.0)


def _paint_layer(rgb: Img, alpha: Img, seed: int, frame_h: int) -> tuple[Img, Img]:
    radius = max(1, round(frame_h * 16 / 9 / 360))
    soft_rgb, soft_alpha = box_blur(rgb, radius), box_blur(alpha, radius)
    return np.clip(_texture(soft_rgb, seed, frame_h), 0.0, soft_alpha), soft_alpha
