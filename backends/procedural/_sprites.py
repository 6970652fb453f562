"""Sprites: premultiplied uint8 pictures of one figure part, shifted and laid over frames fast.

A figure part is drawn once per pose (``_compose`` caches it) and then only placed: at whole
pixels by slicing, at quarter pixels through a bilinear shift. Laying a sprite over a frame
writes its opaque pixels in two passes of bytes (``parts``) and blends only its edge pixels (a few
percent of them), so a frame of several figures costs little more than copying the figures.

A shift moves little: the parts are flat-shaded, and bilinear weights summing to one leave a pixel
as it is wherever the pixels it mixes are equal. So ``lay`` draws a shifted sprite as the sprite
itself (its own opaque mask and edges, made once) plus a patch: the values of the shifted pixels
whose neighbourhood is not uniform (their places found once per shift direction, one to two
percent of a figure, the values once per quarter-pixel phase), laid over what was under them.
The same numbers as the shifted copy (``shifted``), without making one per phase: close-ups,
whose figures are larger than the frame, made a new copy of a megapixel sprite for nearly every
phase of their breathing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._io import to_uint8

__all__ = ["QUANT", "Sprite", "from_layer"]

QUANT = 4
"""Sub-pixel positions per pixel: sprites are placed to a quarter pixel."""


@dataclass
class Sprite:
    rgb: np.ndarray
    """Premultiplied colour, uint8 ``(h, w, 3)`` (RGB, or Y'CbCr for a sprite from :meth:`ycbcr`)."""
    alpha: np.ndarray
    """uint8 ``(h, w)``."""
    dx: int
    dy: int
    """Top-left pixel relative to the anchor's pixel."""
    _parts: tuple[np.ndarray, np.ndarray, _Pixels] | None = field(default=None, repr=False)
    _shifted: dict[tuple[int, int], Sprite] = field(default_factory=dict, repr=False)
    _ycbcr: Sprite | None = field(default=None, repr=False)
    _seams: dict[tuple[bool, bool], _Seam] = field(default_factory=dict, repr=False)
    _patches: dict[tuple[int, int], _Pixels] = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        return self.alpha.size == 0 or not self.alpha.any()

    def parts(self) -> tuple[np.ndarray, np.ndarray, _Pixels]:
        """(what a frame keeps under the sprite: uint8 ``(h, w * 3)``, 0 under its opaque pixels and
        255 elsewhere; the opaque pixels' colour, 0 elsewhere; the edge pixels). Laying the opaque
        pixels is then ``frame & keep | opaque``: two passes of bytes, twice as fast as a masked copy
        (and ten times as fast as one with a broadcast channel axis)."""
        if self._parts is None:
            solid = self.alpha == 255
            ys, xs = np.nonzero((self.alpha > 0) & ~solid)
            keep = np.repeat(np.where(solid, np.uint8(0), np.uint8(255)), 3, axis=1)
            opaque = self.rgb.reshape(keep.shape) & ~keep
            self._parts = (keep, opaque, _Pixels(ys, xs, self.rgb[ys, xs], self.alpha[ys, xs]))
        return self._parts

    def shifted(self, qx: int, qy: int) -> Sprite:
        """This sprite moved right by ``qx`` and down by ``qy`` quarter pixels (bilinear, exact
        integer weights), one pixel larger where it moved."""
        if qx == 0 and qy == 0:
            return self
        key = (qx, qy)
        if key not in self._shifted:
            self._shifted[key] = Sprite(_shift(self.rgb, qx, qy), _shift(self.alpha[..., None], qx, qy)[..., 0],
                                        self.dx, self.dy)
        return self._shifted[key]

    def brighter(self, gain: tuple[float, float, float]) -> Sprite:
        """The sprite with its colour multiplied (premultiplied colour never passes alpha)."""
        k = np.asarray(gain, np.float32)
        rgb = np.minimum(self.rgb.astype(np.float32) * k + np.float32(0.5), self.alpha[..., None].astype(np.float32))
        return Sprite(rgb.astype(np.uint8), self.alpha, self.dx, self.dy)

    def ycbcr(self) -> Sprite:
        """This sprite's colour as premultiplied BT.709 Y'CbCr (``rgb`` then holds Y', Cb, Cr), made once."""
        if self._ycbcr is None:
            from backends.ffmpeg.ycbcr import from_premultiplied

            self._ycbcr = Sprite(from_premultiplied(self.rgb, self.alpha), self.alpha, self.dx, self.dy)
        return self._ycbcr

    def lay(self, frame: np.ndarray, x: int, y: int, qx: int, qy: int) -> None:
        """``shifted(qx, qy).blit(frame, x, y)``, the same bytes, without a shifted copy."""
        if qx == 0 and qy == 0:
            self.blit(frame, x, y)
            return
        patch = self._patches.get((qx, qy))
        if patch is None:
            patch = self._patches[(qx, qy)] = _patch(self._seam(qx != 0, qy != 0), qx, qy)
        fh, fw = frame.shape[:2]
        at, colour, inv = patch.clipped(x, y, fw, fh)
        values = _values(frame)
        under = np.take(values, at)  # before the sprite itself covers any of it
        self.blit(frame, x, y)
        values[at] = _over(under, colour, inv)

    def _seam(self, sx: bool, sy: bool) -> _Seam:
        """Where a shift right (``sx``) and/or down (``sy``) changes pixels, and their neighbourhoods.

        All three directions at once: a diagonal shift's pixels include the other two's, so one
        scan finds them all (a figure breathes and sways through all three)."""
        if not self._seams:
            h, w = self.alpha.shape
            q = np.zeros((h + 2, w + 2), np.uint32)  # one pixel as one number, zero all round
            bytes_ = q.view(np.uint8).reshape(h + 2, w + 2, 4)
            bytes_[1:-1, 1:-1, :3] = self.rgb
            bytes_[1:-1, 1:-1, 3] = self.alpha
            here = q[1:, 1:]  # (y, x) of the (h + 1, w + 1) shifted sprite: mixes here, left, up, up-left
            across = here != q[1:, :-1]
            moved = across | (here != q[:-1, 1:])
            moved[1:] |= across[:-1]
            ys, xs = np.nonzero(moved)
            at = (ys + 1) * (w + 2) + xs + 1
            flat = q.reshape(-1)
            taps = np.stack([flat[at], flat[at - 1], flat[at - (w + 2)], flat[at - (w + 3)]])
            seam = _Seam(ys, xs, taps.view(np.uint8).reshape(4, len(ys), 4).astype(np.uint16))
            self._seams[(True, True)] = seam
            self._seams[(True, False)] = seam.where(taps[0] != taps[1])
            self._seams[(False, True)] = seam.where(taps[0] != taps[2])
        return self._seams[(sx, sy)]

    def blit(self, frame: np.ndarray, x: int, y: int) -> None:
        """Lay the sprite over ``frame`` (uint8 RGB) with its top-left pixel at (x, y)."""
        h, w = self.alpha.shape
        fh, fw = frame.shape[:2]
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, fw), min(y + h, fh)
        if x0 >= x1 or y0 >= y1:
            return
        keep, opaque, edges = self.parts()
        values = _values(frame)
        sx0, sy0, sx1, sy1 = x0 - x, y0 - y, x1 - x, y1 - y
        region = values[y0 * fw * 3 : y1 * fw * 3].reshape(y1 - y0, fw * 3)[:, x0 * 3 : x1 * 3]
        np.bitwise_and(region, keep[sy0:sy1, sx0 * 3 : sx1 * 3], out=region)
        np.bitwise_or(region, opaque[sy0:sy1, sx0 * 3 : sx1 * 3], out=region)
        if len(edges.ys):
            at, colour, inv = edges.clipped(x, y, fw, fh)
            values[at] = _over(np.take(values, at), colour, inv)


def _values(frame: np.ndarray) -> np.ndarray:
    """The frame's bytes as one flat view (a reshaped copy would take the writes)."""
    if not frame.flags.c_contiguous:
        raise ValueError("sprites are laid on C-contiguous frames")
    return frame.reshape(-1)


def _over(under: np.ndarray, colour: np.ndarray, inv: np.ndarray) -> np.ndarray:
    """Premultiplied ``colour`` over ``under`` (uint8 values) with 255 - alpha ``inv``, rounded
    exactly (``(u * inv + 128) * 257 >> 16``), as uint8."""
    out = under.astype(np.uint16)
    out *= inv
    out += 128
    out += out >> 8
    out >>= 8
    out += colour
    return out.astype(np.uint8)


@dataclass
class _Seam:
    """The pixels a shift changes, in the shifted sprite's coordinates, and the pixels mixed into each:
    uint16 ``(4, n, 4)``, at (y, x), (y, x - 1), (y - 1, x), (y - 1, x - 1) of the unshifted sprite
    (zero outside it), colour and alpha."""

    ys: np.ndarray
    xs: np.ndarray
    taps: np.ndarray

    def where(self, keep: np.ndarray) -> _Seam:
        return _Seam(self.ys[keep], self.xs[keep], self.taps[:, keep])


class _Pixels:
    """Pixels blended one by one (a sprite's edges, a shift's patch), rows ascending, kept as flat
    runs of channel values: colour and 255 - alpha (uint16 ``(n * 3,)``) and where each value lies in
    a frame (``frame.reshape(-1)``). Blending over a trailing axis of 3, or gathering and scattering
    3-byte pixels, took two and a half times as long."""

    def __init__(self, ys: np.ndarray, xs: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> None:
        """``colour`` uint8 or uint16 ``(n, 3)``, ``alpha`` ``(n,)``."""
        self.ys, self.xs = ys, xs
        self.colour = colour.astype(np.uint16).reshape(-1)
        self.inv = np.repeat((255 - alpha.astype(np.uint16)).astype(np.uint16), 3)
        self.reach = (int(ys[-1]) + 1, int(xs.max()) + 1) if len(ys) else (0, 0)
        self._flat: tuple[int, np.ndarray] | None = None
        self._by_column: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def clipped(self, x: int, y: int, fw: int, fh: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indices into the flat values of a ``fw`` x ``fh`` frame, colour, 255 - alpha) of the pixels
        inside it with the sprite's top-left pixel at (x, y). A sprite across the top or bottom edge
        keeps a run of rows, one across the left or right edge only a run of columns (its pixels also
        kept sorted by column): no mask over every pixel each frame."""
        if self._flat is None or self._flat[0] != fw:
            self._flat = (fw, ((self.ys.astype(np.intp) * fw + self.xs) * 3)[:, None] + np.arange(3))
        flat, colour, inv = self._flat[1].reshape(-1), self.colour, self.inv
        across = x < 0 or x + self.reach[1] > fw
        if y < 0 or y + self.reach[0] > fh:
            lo, hi = (3 * int(i) for i in np.searchsorted(self.ys, (-y, fh - y)))
            flat, colour, inv = flat[lo:hi], colour[lo:hi], inv[lo:hi]
            if across:
                xs = self.xs[lo // 3 : hi // 3]
                keep = np.repeat((xs >= -x) & (xs < fw - x), 3)
                flat, colour, inv = flat[keep], colour[keep], inv[keep]
        elif across:
            if self._by_column is None or self._by_column[0] != fw:
                order = np.argsort(self.xs, kind="stable")
                values = ((order * 3)[:, None] + np.arange(3)).reshape(-1)
                self._by_column = (fw, self.xs[order], flat[values], colour[values], inv[values])
            _, xs, flat, colour, inv = self._by_column
            lo, hi = (3 * int(i) for i in np.searchsorted(xs, (-x, fw - x)))
            flat, colour, inv = flat[lo:hi], colour[lo:hi], inv[lo:hi]
        return flat + 3 * (y * fw + x), colour, inv


def _patch(seam: _Seam, qx: int, qy: int) -> _Pixels:
    """The seam's pixels shifted ``qx``/``qy`` quarter pixels: the four-tap sum ``_shift`` makes in
    two separable passes (same integers, rounded once)."""
    q = QUANT
    a, b, c, d = seam.taps
    mixed = a * np.uint16((q - qx) * (q - qy))
    mixed += b * np.uint16(qx * (q - qy))
    mixed += c * np.uint16((q - qx) * qy)
    mixed += d * np.uint16(qx * qy)
    mixed += (q * q) // 2
    mixed >>= 4  # / (q * q)
    keep = (mixed[:, 3] > 0) | (a[:, 3] > 0)  # and where the unshifted sprite, laid first, covers
    mixed = mixed[keep]
    return _Pixels(seam.ys[keep], seam.xs[keep], mixed[:, :3], mixed[:, 3])


def _shift(a: np.ndarray, qx: int, qy: int) -> np.ndarray:
    """``a`` (uint8 ``(h, w, c)``) sampled ``qx``/``qy`` quarter pixels to the right/down.

    Separable and in uint16 (at most 255 * 16), rounded once at the end: the same numbers as the
    four weighted copies summed in one pass, at a third of the cost."""
    h, w, c = a.shape
    q = QUANT
    src = a.astype(np.uint16)
    if qx:
        row = np.zeros((h, w + 1, c), np.uint16)
        np.multiply(src, q - qx, out=row[:, :w])
        row[:, 1:] += src * np.uint16(qx)
    else:
        row = src * np.uint16(q)
    if qy:
        out = np.zeros((h + 1, row.shape[1], c), np.uint16)
        np.multiply(row, q - qy, out=out[:h])
        out[1:] += row * np.uint16(qy)
    else:
        out = row * np.uint16(q)
    out += (q * q) // 2
    out >>= 4  # / (q * q)
    return out.astype(np.uint8)


def from_layer(rgb: np.ndarray, alpha: np.ndarray, dx: int, dy: int) -> Sprite:
    """A sprite from a premultiplied planar float layer, trimmed to its visible pixels."""
    a8 = to_uint8(alpha)
    rows, cols = np.flatnonzero(a8.any(axis=1)), np.flatnonzero(a8.any(axis=0))
    if len(rows) == 0:
        return Sprite(np.zeros((0, 0, 3), np.uint8), np.zeros((0, 0), np.uint8), dx, dy)
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    c8 = np.minimum(to_uint8(rgb[:, y0:y1, x0:x1]), a8[None, y0:y1, x0:x1])
    return Sprite(np.ascontiguousarray(c8.transpose(1, 2, 0)), np.ascontiguousarray(a8[y0:y1, x0:x1]),
                  dx + x0, dy + y0)


def quantise(v: float) -> tuple[int, int]:
    """(whole pixels, quarter pixels) of a coordinate, rounded to the nearest quarter."""
    n = math.floor(v * QUANT + 0.5)
    return n // QUANT, n % QUANT
