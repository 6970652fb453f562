"""BT.709 limited-range Y'CbCr in 8-bit integers: what every studio video carries, made in numpy.

The procedural motion backend draws its frames in Y'CbCr instead of RGB: its backdrop and each
figure sprite are converted once (:func:`from_rgb`, :func:`from_premultiplied`), and everything
done to them afterwards (bilinear camera moves, quarter-pixel shifts, alpha compositing, fades) is
a weighted mean, which commutes with the conversion (an affine map), so the frames come out in
Y'CbCr up to rounding. :func:`to_yuv420p` then only has to take the luma plane out and average
each 2x2 block of chroma, and ffmpeg reads ``yuv420p`` as it is. Converting every RGB frame in
ffmpeg instead (swscale, bit-exact) cost 2.2 ms of CPU a 720p frame, plus 1 ms of system time
for the twice larger pipe: about 2.5 CPU-s of ``bench/render_film.py``'s 30 s film.

All arithmetic is integer (16-bit fixed-point coefficients, rounding half up), so the same
picture gives the same bytes on every machine. Chroma is sited between the four luma samples it
averages, as swscale's RGB -> yuv420p conversion did.
"""

from __future__ import annotations

import numpy as np

__all__ = ["from_premultiplied", "from_rgb", "to_yuv420p"]

_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB
_ONE = 1 << 16
_HALF = 1 << 15
OFFSETS = (16, 128, 128)
"""Y', Cb and Cr of black."""


def _rows() -> tuple[tuple[int, int, int], ...]:
    """Coefficients of R, G, B (0-255) for Y', Cb and Cr, in 65536ths; each chroma row sums to 0 (greys
    have no colour) and the luma row to 219/255 (white is exactly 235)."""
    y = [219 / 255 * k for k in (_KR, _KG, _KB)]
    cb = [224 / 255 / (2 * (1 - _KB)) * k for k in (-_KR, -_KG, 1 - _KB)]
    cr = [224 / 255 / (2 * (1 - _KR)) * k for k in (1 - _KR, -_KG, -_KB)]
    out = []
    for row, total in ((y, round(219 / 255 * _ONE)), (cb, 0), (cr, 0)):
        fixed = [round(c * _ONE) for c in row]
        biggest = max(range(3), key=lambda i: abs(row[i]))
        fixed[biggest] += total - sum(fixed)
        out.append((fixed[0], fixed[1], fixed[2]))
    return tuple(out)


ROWS = _rows()
_ALPHA_OFFSETS = np.array(
    [[(o * a * _ONE + 127) // 255 for a in range(256)] for o in OFFSETS], dtype=np.int32
)
"""``OFFSETS[c] * alpha / 255`` in 65536ths for every alpha: the offset a premultiplied pixel carries."""


def _convert(rgb: np.ndarray, offsets: list[np.ndarray | int]) -> np.ndarray:
    h, w = rgb.shape[:2]
    channels = [rgb[..., c].astype(np.int32) for c in range(3)]
    out = np.empty((h, w, 3), np.uint8)
    acc = np.empty((h, w), np.int32)
    tmp = np.empty((h, w), np.int32)
    for c, (kr, kg, kb) in enumerate(ROWS):
        np.multiply(channels[0], kr, out=acc)
        np.multiply(channels[1], kg, out=tmp)
        acc += tmp
        np.multiply(channels[2], kb, out=tmp)
        acc += tmp
        acc += offsets[c]  # the rounding half included
        acc >>= 16  # 16-235 (Y') or 16-240 (Cb, Cr) for any RGB: no clipping needed
        out[..., c] = acc
    return out


def from_rgb(rgb: np.ndarray) -> np.ndarray:
    """An opaque RGB picture (uint8 ``(h, w, 3)``) as Y'CbCr (uint8 ``(h, w, 3)``: Y', Cb, Cr)."""
    return _convert(rgb, [o * _ONE + _HALF for o in OFFSETS])


def from_premultiplied(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Premultiplied RGB (uint8 ``(h, w, 3)``, never above ``alpha``) as premultiplied Y'CbCr: the
    colour of each pixel at ``alpha / 255``, offsets included, so compositing it over a Y'CbCr picture
    (``colour + under * (255 - alpha) / 255``) gives what compositing in RGB and converting gives."""
    a = alpha.astype(np.intp)
    out = _convert(rgb, [np.take(_ALPHA_OFFSETS[c], a) + _HALF for c in range(3)])
    np.minimum(out, alpha[..., None], out=out)  # premultiplied colour never exceeds alpha
    return out


def to_yuv420p(frame: np.ndarray) -> np.ndarray:
    """A Y'CbCr 4:4:4 frame (uint8 ``(h, w, 3)``, h and w even) as planar 4:2:0 bytes, ffmpeg's
    ``yuv420p``: the Y' plane, then Cb and Cr, each the rounded mean of a 2x2 block."""
    h, w = frame.shape[:2]
    out = np.empty(h * w * 3 // 2, np.uint8)
    np.copyto(out[: h * w].reshape(h, w), frame[..., 0])
    pairs = frame.reshape(h // 2, 2, w * 3)
    rows = np.add(pairs[:, 0], pairs[:, 1], dtype=np.uint16).reshape(h // 2, w // 2, 6)  # two rows summed
    quarter = h * w // 4
    sums = np.empty((h // 2, w // 2), np.uint16)
    for c, start in ((1, h * w), (2, h * w + quarter)):
        np.add(rows[..., c], rows[..., c + 3], out=sums)  # and two columns: the 2x2 block's sum
        sums += 2
        np.right_shift(sums, 2, out=out[start : start + quarter].reshape(h // 2, w // 2), casting="unsafe")
    return out
