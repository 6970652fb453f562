"""Colours: parsing, stable hashes, mixing and the dominant colours of reference images.

Colours are ``(r, g, b)`` tuples of Python floats in 0..1. Everything here uses plain IEEE
arithmetic (no ``sin``/``exp``/``pow``), so the same input gives the same bits on every machine.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from backends.base import BackendError

RGB = tuple[float, float, float]

_HEX = re.compile(r"#([0-9a-fA-F]{6})")
_BINS = 512  # 3 bits per channel


def parse_color(text: object, what: str) -> RGB:
    """``#rrggbb`` -> colour; anything else is the user's mistake, named by ``what``."""
    match = _HEX.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise BackendError(f"{what}: {text!r} is not a colour; write colours as '#rrggbb'")
    digits = match.group(1)
    r, g, b = (int(digits[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
    return (r, g, b)


def stable_unit(*parts: object) -> float:
    """A number in [0, 1) that depends only on ``parts`` (a SHA-256, not Python's ``hash``)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def stable_choice(n: int, *parts: object) -> int:
    """An index in ``range(n)`` that depends only on ``parts``."""
    return min(n - 1, int(stable_unit(*parts) * n))


def hsv(h: float, s: float, v: float) -> RGB:
    """HSV (all in 0..1) to RGB with arithmetic only."""
    h6 = (h % 1.0) * 6.0
    sector = int(h6)
    f = h6 - sector
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][sector % 6]


def hash_color(text: str) -> RGB:
    """A pleasant, saturated colour that depends only on ``text``."""
    return hsv(
        stable_unit(text, "hue"),
        0.45 + 0.3 * stable_unit(text, "saturation"),
        0.55 + 0.3 * stable_unit(text, "value"),
    )


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def scale(c: RGB, k: float) -> RGB:
    return (min(1.0, c[0] * k), min(1.0, c[1] * k), min(1.0, c[2] * k))


def luma(c: RGB) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def distance2(a: RGB, b: RGB) -> float:
    d0, d1, d2 = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return d0 * d0 + d1 * d1 + d2 * d2


def toward_palette(c: RGB, palette: Sequence[RGB], amount: float = 0.5) -> RGB:
    """Pull ``c`` toward its nearest palette colour, keeping roughly its lightness."""
    if not palette:
        return c
    nearest = min(palette, key=lambda p: distance2(c, p))
    m = mix(c, nearest, amount)
    target, got = luma(c), max(luma(m), 0.02)
    return scale(m, 0.5 + 0.5 * target / got)


def dominant_colors(images: Sequence[tuple[str, Path]], count: int = 3) -> list[RGB]:
    """The most prominent colours of some image files, most prominent first.

    Colours that fill much of an image's border are taken for its background (reference
    sheets are figures on a plain ground) and count for little.
    """
    return dominant_colors_of([read_pixels(role, path) for role, path in images], count)


def _bins(px: np.ndarray) -> np.ndarray:
    return (px[:, 0] >> 5) << 6 | (px[:, 1] >> 5) << 3 | (px[:, 2] >> 5)


def dominant_colors_of(pixel_sets: Sequence[tuple[np.ndarray, np.ndarray | None]], count: int = 3) -> list[RGB]:
    """The most prominent colours of ``(pixels, border pixels or None)`` sets (``(n, 3)`` uint8).

    Pixels are binned at 3 bits per channel; saturated pixels weigh more than greys, near-white
    or near-black pixels (paper) and background colours weigh little. A bin's colour is the
    mean of its pixels. Integer weights keep the sums exact.
    """
    weight = np.zeros(_BINS, np.float64)
    sums = np.zeros((_BINS, 3), np.float64)
    for pixels, border in pixel_sets:
        px = pixels.astype(np.int64)
        hi, lo = px.max(axis=1), px.min(axis=1)
        w = 4 + (hi - lo) // 32
        w = np.where((lo > 230) | (hi < 25), 1, w)
        bins = _bins(px)
        if border is not None and len(border):
            share = np.bincount(_bins(border.astype(np.int64)), minlength=_BINS) / len(border)
            w = np.where(share[bins] >= 0.25, 1, w * 4)
        weight += np.bincount(bins, weights=w, minlength=_BINS)
        for ch in range(3):
            sums[:, ch] += np.bincount(bins, weights=w * px[:, ch], minlength=_BINS)
    order = np.argsort(-weight, kind="stable")
    picked: list[RGB] = []
    for b in order:
        if weight[b] <= 0 or len(picked) == count:
            break
        mean = sums[b] / weight[b] / 255.0
        colour = (float(mean[0]), float(mean[1]), float(mean[2]))
        if all(distance2(colour, p) > 0.02 for p in picked):
            picked.append(colour)
    return picked


def read_pixels(role: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The opaque pixels of an image as ``(n, 3)`` uint8 (subsampled to at most ~256x256), and
    those of its one-pixel border."""
    from compiler.files import open_image  # decoded reduced: a 256x256 sample is all that is needed

    try:
        with open_image(path, (256, 256)) as im:
            rgba = np.asarray(im.convert("RGBA"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise BackendError(f"cannot read the reference image {role} ({path}): {exc}") from None
    step = max(1, math.ceil(max(rgba.shape[0], rgba.shape[1]) / 256))
    small = rgba[::step, ::step]
    flat = small.reshape(-1, 4)
    opaque = flat[flat[:, 3] >= 128, :3]
    if len(opaque) == 0:
        raise BackendError(f"the reference image {role} ({path}) is fully transparent")
    edge = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    return opaque, edge[edge[:, 3] >= 128, :3]
