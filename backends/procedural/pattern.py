"""Audio-reactive pattern shots: frames driven by the music's band energies and onsets.

``params["pattern"] = {"track": "audio:<id>", "style": "cppn" | "fractal" | "noise",
"offset": seconds}``. The keyframe's content is ignored; its dominant colours become the
palette. Per frame: time advances faster when the mids are loud, the bass zooms, the highs add
fine detail, onsets flash; silence is dim and still.

- ``cppn``: a tiny fixed random MLP (seeded from ``seed``) maps (x, y, r, time, energies) to
  colour, the classic compositional pattern-producing network look;
- ``fractal``: a Julia set whose constant orbits with the music;
- ``noise``: domain-warped fractal noise with contour lines, octaves weighted by the bands.

Patterns are computed at 1/``SCALE`` of the frame size and upsampled bilinearly (they are
smooth), with arithmetic only (``wave`` for sines, rational functions for tanh), so the
frames are the same bytes on every machine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from backends.base import BackendError

from ._audio import Features, analyse, read_track
from ._io import to_uint8
from ._noise import rng_for, wave
from ._palette import dominant_colors_of, hash_color, luma
from ._warp import Scratch, axis, resample

STYLES = ("cppn", "fractal", "noise")
SCALE = 5
"""Patterns are computed at 1/SCALE of the frame size, then upsampled."""
F32 = np.float32


class Generator(Protocol):
    def render(self, phase: float, low: float, mid: float, high: float, onset: float) -> tuple[np.ndarray, np.ndarray]:
        """(colour ``(h, w, 3)``, palette position ``(h, w)``), both float32 in 0..1."""
        ...


def check_pattern(pattern: object, files: Mapping[str, Path], task_id: str) -> tuple[str, Path, str, float]:
    if not isinstance(pattern, Mapping):
        raise BackendError(f"{task_id}: pattern must be {{'track', 'style', 'offset'}}, got {pattern!r}")
    role = pattern.get("track")
    if not isinstance(role, str) or role not in files:
        raise BackendError(f"{task_id}: the pattern's music track {role!r} was not provided")
    style = pattern.get("style") or "cppn"
    if style not in STYLES:
        raise BackendError(f"{task_id}: unknown pattern style {style!r}; known styles: {', '.join(STYLES)}")
    offset = pattern.get("offset") or 0.0
    if isinstance(offset, bool) or not isinstance(offset, (int, float)) or offset < 0:
        raise BackendError(f"{task_id}: pattern offset must be seconds (a number >= 0), got {offset!r}")
    return role, Path(files[role]), style, float(offset)


def pattern_frames(
    pattern: Mapping[str, Any],
    files: Mapping[str, Path],
    keyframe: np.ndarray | None,
    width: int,
    height: int,
    frames: int,
    fps: int,
    seed: int,
    task_id: str,
) -> Iterator[np.ndarray]:
    role, path, style, offset = check_pattern(pattern, files, task_id)
    samples, rate = read_track(path, role)
    features = analyse(samples, rate, fps, frames, offset)
    return render_pattern(style, features, palette_of(keyframe, seed), width, height, fps, seed)


def palette_of(image: np.ndarray | None, seed: int) -> np.ndarray:
    """Colours for the pattern, dark to light: the keyframe's dominant colours, else seeded."""
    colours = dominant_colors_of([(image[::4, ::4].reshape(-1, 3), None)], 4) if image is not None else []
    k = 0
    while len(colours) < 3:
        colours.append(hash_color(f"{seed}/{k}"))
        k += 1
    colours.sort(key=luma)
    return np.asarray(colours, np.float32)


def render_pattern(
    style: str, features: Features, palette: np.ndarray, width: int, height: int, fps: int, seed: int
) -> Iterator[np.ndarray]:
    lw, lh = max(8, round(width / SCALE)), max(8, round(height / SCALE))
    kinds: dict[str, type[Cppn | Julia | Flow]] = {"cppn": Cppn, "fractal": Julia, "noise": Flow}
    generator: Generator = kinds[style](lw, lh, palette, seed)
    step = max(lw / width, lh / height)
    rows = axis(height, lh, (lh - height * step) / 2 + step / 2 - 0.5, step)
    cols = axis(width, lw, (lw - width * step) / 2 + step / 2 - 0.5, step)
    scratch = Scratch()
    phase = 0.0
    for i in range(len(features.low)):
        low, mid, high, onset = (float(a[i]) for a in (features.low, features.mid, features.high, features.onset))
        phase += (0.15 + 1.1 * min(mid, 1.5)) / fps
        colour, value = generator.render(phase, low, mid, high, onset)
        brightness = 0.22 + 0.6 * min((low + mid + high) / 3.0, 1.2) + 0.3 * min(onset, 1.0)
        small = palette_map(palette, value) * F32(0.8) + colour * F32(0.2)
        yield resample(to_uint8(small * F32(brightness)), rows, cols, scratch)


def palette_map(palette: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Colours along the palette for ``v`` in 0..1, linearly between neighbours."""
    pos = np.clip(v, 0.0, 1.0) * F32(len(palette) - 1)
    i0 = np.minimum(pos.astype(np.intp), len(palette) - 2)
    t = (pos - i0)[..., None]
    return palette[i0] * (1.0 - t) + palette[i0 + 1] * t


def _tanh(x: np.ndarray) -> np.ndarray:
    """A rational tanh (Lambert), exact arithmetic; saturates outside +-3."""
    x = np.clip(x, -3.0, 3.0)
    x2 = x * x
    return x * (27.0 + x2) / (27.0 + 9.0 * x2)


def _grid(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates: y in -1..1, x scaled by the aspect ratio."""
    y = ((np.arange(h, dtype=F32) + 0.5) / F32(h) * 2.0 - 1.0)[:, None]
    x = ((np.arange(w, dtype=F32) + 0.5) / F32(h) * 2.0 - F32(w / h))[None, :]
    return np.broadcast_to(x, (h, w)), np.broadcast_to(y, (h, w))


class Cppn:
    HIDDEN = (10, 8)

    def __init__(self, w: int, h: int, palette: np.ndarray, seed: int) -> None:
        rng = rng_for(seed, "cppn")
        h1, h2 = self.HIDDEN
        x, y = _grid(w, h)
        r = np.sqrt(x * x + y * y)
        w_xyr = rng.uniform(-1.6, 1.6, (3, h1)).astype(F32)
        self.spatial = [x * w_xyr[0, j] + y * w_xyr[1, j] + r * w_xyr[2, j] for j in range(h1)]
        self.w_feat = rng.uniform(-1.5, 1.5, (5, h1))
        self.b1 = rng.uniform(-0.5, 0.5, h1)
        self.w2 = rng.uniform(-1.2, 1.2, (h1, h2)).astype(F32)
        self.b2 = rng.uniform(-0.5, 0.5, h2)
        self.w3 = rng.uniform(-1.5, 1.5, (h2, 3)).astype(F32)

    def render(self, phase: float, low: float, mid: float, high: float, onset: float) -> tuple[np.ndarray, np.ndarray]:
        feats = (float(wave(phase * 0.3)), float(wave(phase * 0.3 + 0.25)), low, mid, high)
        scale = F32(1.0 / (1.0 + 0.5 * min(low, 1.5)))
        hidden = []
        for j, plane in enumerate(self.spatial):
            bias = self.b1[j] + sum(f * self.w_feat[k, j] for k, f in enumerate(feats)) + 0.8 * onset
            hidden.append(_tanh(plane * scale + F32(bias)))
        detail = F32(1.0 + 0.8 * min(high, 1.5))
        second = []
        for k in range(self.w2.shape[1]):
            acc = hidden[0] * self.w2[0, k]
            for j in range(1, len(hidden)):
                acc += hidden[j] * self.w2[j, k]
            second.append(wave((acc + F32(self.b2[k])) * detail * F32(0.35)))
        out = []
        for c in range(3):
            acc = second[0] * self.w3[0, c]
            for k in range(1, len(second)):
                acc += second[k] * self.w3[k, c]
            out.append(_tanh(acc * F32(0.5)) * F32(0.5) + F32(0.5))
        colour = np.stack(out, axis=-1)
        return colour, out[0] * F32(0.7) + out[1] * F32(0.3)


class Julia:
    ITERATIONS = 24

    def __init__(self, w: int, h: int, palette: np.ndarray, seed: int) -> None:
        self.x, self.y = _grid(w, h)
        self.turn = rng_for(seed, "julia").random()

    def render(self, phase: float, low: float, mid: float, high: float, onset: float) -> tuple[np.ndarray, np.ndarray]:
        angle = self.turn + phase * 0.04
        radius = 0.7885 + 0.01 * min(high, 1.5)
        cr, ci = F32(radius * float(wave(angle + 0.25))), F32(radius * float(wave(angle)))
        zoom = F32(1.1 / (1.0 + 0.3 * min(low, 1.5) + 0.15 * min(onset, 1.5)))
        zr, zi = self.x * zoom, self.y * zoom
        count = np.zeros(zr.shape, F32)
        trap = np.full(zr.shape, 4.0, F32)
        for _ in range(self.ITERATIONS):
            zr2, zi2 = zr * zr, zi * zi
            m = zr2 + zi2
            alive = m < 16.0
            count += alive
            np.minimum(trap, m, out=trap)
            zi = np.where(alive, 2.0 * zr * zi + ci, zi)
            zr = np.where(alive, zr2 - zi2 + cr, zr)
        v = np.sqrt(count * F32(1.0 / self.ITERATIONS))
        sheen = np.clip(F32(1.0) - np.sqrt(trap), 0.0, 1.0) * F32(0.5)
        bands = np.abs(wave(count * F32(0.09) - F32(phase * 0.15)))
        colour = np.stack([bands, v, sheen + v * F32(0.5)], axis=-1)
        return colour, np.clip(v * F32(0.8) + bands * F32(0.25) + sheen * F32(0.2), 0.0, 1.0)


class Flow:
    OCTAVES = 4

    def __init__(self, w: int, h: int, palette: np.ndarray, seed: int) -> None:
        rng = rng_for(seed, "flow")
        self.x, self.y = _grid(w, h)
        self.grids = [rng.random(64 * 64, dtype=F32) for _ in range(self.OCTAVES + 2)]
        self.drift = rng.uniform(-1.0, 1.0, (self.OCTAVES + 2, 2))

    def _noise(self, k: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        grid = self.grids[k]
        iu, iv = np.floor(u), np.floor(v)
        fu, fv = u - iu, v - iv
        fu *= fu * (3.0 - 2.0 * fu)
        fv *= fv * (3.0 - 2.0 * fv)
        row0 = (iv.astype(np.intp) & 63) * 64
        row1 = (row0 + 64) & 4095
        j0 = iu.astype(np.intp) & 63
        j1 = (j0 + 1) & 63
        g00, g01 = np.take(grid, row0 + j0), np.take(grid, row0 + j1)
        g10, g11 = np.take(grid, row1 + j0), np.take(grid, row1 + j1)
        top = g00 + (g01 - g00) * fu
        return top + (g10 + (g11 - g10) * fu - top) * fv

    def render(self, phase: float, low: float, mid: float, high: float, onset: float) -> tuple[np.ndarray, np.ndarray]:
        def at(k: int, freq: float) -> tuple[np.ndarray, np.ndarray]:
            dx, dy = self.drift[k] * phase
            return self.x * F32(freq) + F32(dx + 16.0), self.y * F32(freq) + F32(dy + 16.0)

        warp_u = self._noise(self.OCTAVES, *at(self.OCTAVES, 1.5))
        warp_v = self._noise(self.OCTAVES + 1, *at(self.OCTAVES + 1, 1.5))
        bend = F32(0.8 + 1.2 * min(low, 1.5))
        amps = (0.6 + 0.8 * low, 0.4 + 0.6 * mid, 0.25 + 0.5 * mid, 0.1 + 0.6 * high)
        total = np.zeros(self.x.shape, F32)
        for k, amp in enumerate(amps):
            u, v = at(k, 1.6 * 2**k)
            total += F32(amp) * self._noise(k, u + warp_u * bend, v + warp_v * bend)
        value = total * F32(1.0 / sum(amps))
        lines = np.clip((np.abs(wave(value * F32(7.0) + F32(phase * 0.2))) - F32(0.9)) * F32(10.0), 0.0, 1.0)
        lines *= F32(0.3 + 0.7 * min(onset, 1.0))
        colour = np.stack([value + lines, value, F32(1.0) - value], axis=-1)
        return np.clip(colour, 0.0, 1.0), np.clip(value * F32(1.4) - F32(0.2), 0.0, 1.0) + lines * F32(0.3)
