"""Seeded random generators, value noise and a portable sine.

All pixel maths uses + - * / sqrt and floor only: those are exactly rounded by IEEE 754, so
results are bit-identical across machines (numpy's SIMD ``sin``/``exp`` are not).
"""

from __future__ import annotations

import hashlib

import numpy as np


def rng_for(seed: int, *salt: object) -> np.random.Generator:
    """An explicit PCG64 generator for ``seed`` and a purpose, independent of other purposes."""
    text = "\x1f".join([str(int(seed)), *(str(s) for s in salt)])
    key = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:16], "big")
    return np.random.Generator(np.random.PCG64(key))


def wave(x: np.ndarray | float) -> np.ndarray:
    """Approximately ``sin(2*pi*x)`` (error < 0.002) from arithmetic alone."""
    x = np.asarray(x)
    y = x - np.floor(x + 0.5)
    s = 8.0 * y * (1.0 - 2.0 * np.abs(y))
    return s + 0.225 * (s * np.abs(s) - s)


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _cell_weights(n_out: int, cells: int, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos = (np.arange(n_out, dtype=np.float64) + 0.5) * (cells / n_out) + offset
    pos = np.clip(pos, 0.0, cells - 1e-9)
    i0 = np.floor(pos).astype(np.intp)
    t = pos - i0
    t = t * t * (3.0 - 2.0 * t)
    return i0, np.minimum(i0 + 1, cells), t.astype(np.float32)


def value_noise(rng: np.random.Generator, h: int, w: int, cells_y: int, cells_x: int) -> np.ndarray:
    """Smooth noise in [0, 1], float32 ``(h, w)``: a random lattice, smoothstep-interpolated."""
    cells_y, cells_x = max(1, cells_y), max(1, cells_x)
    grid = rng.random((cells_y + 1, cells_x + 1), dtype=np.float32)
    iy0, iy1, ty = _cell_weights(h, cells_y)
    ix0, ix1, tx = _cell_weights(w, cells_x)
    rows = grid[iy0] * (1.0 - ty)[:, None] + grid[iy1] * ty[:, None]
    return rows[:, ix0] * (1.0 - tx) + rows[:, ix1] * tx


def fractal_noise(
    rng: np.random.Generator,
    h: int,
    w: int,
    *,
    cells: int = 3,
    octaves: int = 4,
    gain: float = 0.5,
    stretch: float = 1.0,
) -> np.ndarray:
    """Fractal (fBm) value noise in [0, 1], float32 ``(h, w)``.

    ``cells`` is the lattice size of the first octave along the frame height; ``stretch`` > 1
    makes features wider than tall (clouds, strata).
    """
    total = np.zeros((h, w), np.float32)
    amp, norm = 1.0, 0.0
    aspect = w / max(1, h)
    for octave in range(octaves):
        cy = cells * 2**octave
        cx = max(1, round(cy * aspect / stretch))
        total += np.float32(amp) * value_noise(rng, h, w, cy, cx)
        norm += amp
        amp *= gain
    total *= np.float32(1.0 / norm)
    return total


def noise_1d(rng: np.random.Generator, n: int, cells: int, octaves: int = 3) -> np.ndarray:
    """Fractal noise along one axis, float32 ``(n,)`` in [0, 1]."""
    total = np.zeros(n, np.float32)
    amp, norm = 1.0, 0.0
    for octave in range(octaves):
        c = cells * 2**octave
        grid = rng.random(c + 1, dtype=np.float32)
        i0, i1, t = _cell_weights(n, c)
        total += np.float32(amp) * (grid[i0] * (1.0 - t) + grid[i1] * t)
        norm += amp
        amp *= 0.5
    return total * np.float32(1.0 / norm)


def box_blur(img: np.ndarray, radius: int, passes: int = 2) -> np.ndarray:
    """Separable box blur (``passes`` times, close to a Gaussian) over the last two axes of a
    float32 array (a plane ``(h, w)`` or planar colour ``(3, h, w)``).

    Sliding sums of shifted slices in float32, always added in the same order: the same result
    on every machine.
    """
    if radius < 1:
        return img
    out = img.astype(np.float32)
    for _ in range(passes):
        for axis in (img.ndim - 2, img.ndim - 1):
            out = _box_1d(out, radius, axis)
    return out


def _box_1d(a: np.ndarray, r: int, axis: int) -> np.ndarray:
    n = a.shape[axis]
    pad = [(0, 0)] * a.ndim
    pad[axis] = (r, r)
    padded = np.pad(a, pad, mode="edge")

    def window(k: int) -> np.ndarray:
        index = [slice(None)] * a.ndim
        index[axis] = slice(k, k + n)
        return padded[tuple(index)]

    total = window(0).copy()
    for k in range(1, 2 * r + 1):
        total += window(k)
    total *= np.float32(1.0 / (2 * r + 1))
    return total
