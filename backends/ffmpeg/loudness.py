"""EBU R128 loudness normalisation of the film's mix, in numpy: measure, gain, true-peak limit.

ffmpeg's ``loudnorm`` works at 192 kHz in both of its passes and falls back to a dynamic mode
when the gain that reaches the target would push the true peak over the ceiling; on 30 s of film
the two passes took about 2 s. Here the same job costs a small fraction of that:

1. the integrated loudness per ITU-R BS.1770-4 (:func:`integrated_loudness`): K-weighting (the
   high shelf and the RLB high-pass of the recommendation, applied as their impulse response by
   FFT convolution), mean squares of 400 ms blocks every 100 ms, an absolute gate at -70 LUFS and
   a relative gate 10 LU under the loudness of the blocks that pass it;
2. one linear gain to the target, rounded to 0.01 dB;
3. only when the true peak (4x oversampling with the interpolator of BS.1770-4 Annex 2,
   :func:`true_peak`) would then exceed the ceiling, a look-ahead limiter (:func:`limiter_gain`):
   each over gets the gain it needs, reached by a linear ramp ahead of it and left by a slower
   ramp after it, computed only around the overs; the gain is corrected until the limited mix
   is within :data:`TOLERANCE` of the target.

Determinism: the output samples only ever meet additions, multiplications, divisions,
comparisons and running minima, elementwise, which IEEE arithmetic makes the same on every
machine; no transcendental function is applied per sample (numpy's SIMD ``exp``/``log`` may
differ in the last bit between CPUs). The measurements (FFTs, sums) reach the output only through
gains rounded to 0.01 dB, chosen by comparisons that a last-bit difference could only tip on an
exact boundary; scalar decibel conversions are rounded to 12 significant digits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["CEILING", "TOLERANCE", "Normalised", "integrated_loudness", "limiter_gain", "normalise", "true_peak"]

CEILING = -1.0
"""Highest true peak of the normalised film, dBTP."""
TOLERANCE = 0.1
"""How close (LU) a limited film must come to the target before the gain correction stops."""
ATTACK = 0.005
"""Seconds a full-scale (1.0) change of the limiter's gain takes on the way down (the look-ahead)."""
RELEASE = 0.4
"""Seconds a full-scale change takes on the way back up."""
_MARGIN = 0.98
"""The limiter aims this factor under the ceiling, so that its ramps never graze it."""
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0
_OFFSET = -0.691
"""BS.1770's loudness is ``-0.691 + 10 log10(sum of the channels' weighted mean squares)``."""

_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875, 0.1373291015625,
         0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500, 0.4650878906250,
         0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
    ]
)  # fmt: skip
_PHASES = np.concatenate([_PHASES, _PHASES[::-1, ::-1]])
"""BS.1770-4 Annex 2: the 48-tap interpolator as 4 phases of 12 taps (phases 2, 3 mirror 1, 0)."""
_TAPS = _PHASES.shape[1]
_TAP_GAIN = float(np.abs(_PHASES).sum(axis=1).max()) * 1.001
"""No interpolated value exceeds this times the largest sample under its taps."""
_CHUNK = 256
"""The true peak is interpolated only in chunks of this many samples that could reach the level asked about."""


@dataclass(frozen=True)
class Normalised:
    """The normalised mix and what was done to it."""

    samples: np.ndarray
    """float32, shape ``(samples, channels)``."""
    input_loudness: float | None
    """Integrated loudness before normalisation, LUFS; None when (nearly) silent."""
    loudness: float | None
    """Integrated loudness after normalisation, LUFS (what :func:`integrated_loudness` of
    ``samples`` gives, to rounding)."""
    gain: float
    """The linear gain applied before the limiter, dB."""
    mode: str
    """``linear`` (one gain), ``limited`` (one gain and the true-peak limiter) or ``none`` (silence)."""


def _linear(db: float) -> float:
    return float(f"{10 ** (db / 20):.12g}")


def _planar(x: np.ndarray) -> np.ndarray:
    """float32 ``(channels, samples)`` from ``(samples, channels)``: numpy reduces long rows fast."""
    return np.ascontiguousarray(np.asarray(x, np.float32).T)


# -- 1. The integrated loudness ------------------------------------------------------------------


@cache
def _k_weighting(sample_rate: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(b, a) of the K-weighting (high shelf, then RLB high-pass) as one 4th-order filter.

    The analogue prototypes of BS.1770 bilinear-transformed at ``sample_rate`` (libebur128's
    derivation); at 48 kHz they are the coefficients the recommendation tabulates.
    """
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10 ** (gain / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0)
    shelf_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1 + k / q + k * k
    pass_b = (1.0, -2.0, 1.0)
    pass_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)

    def product(p: tuple[float, ...], r: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(sum(p[i] * r[n - i] for i in range(3) if 0 <= n - i < 3) for n in range(5))

    return product(shelf_b, pass_b), product(shelf_a, pass_a)


def _k_response(sample_rate: int, taps: int) -> np.ndarray:
    """The first ``taps`` samples of the K-weighting's impulse response (the filter run on a click)."""
    b, a = _k_weighting(sample_rate)
    h = [0.0] * taps
    s = [0.0] * 4
    for n in range(taps):
        x = 1.0 if n == 0 else 0.0
        y = b[0] * x + s[0]
        s = [b[1] * x - a[1] * y + s[1], b[2] * x - a[2] * y + s[2], b[3] * x - a[3] * y + s[3], b[4] * x - a[4] * y]
        h[n] = y
    return np.array(h)


@cache
def _k_spectrum(sample_rate: int) -> tuple[int, int, np.ndarray]:
    """(taps, FFT size, spectrum) of the truncated K-weighting response for overlap-add.

    Its slowest poles (the 38 Hz high-pass) leave under 1e-15 of its energy after 70 ms; it is
    cut after about 170 ms.
    """
    taps = 1 << max(6, math.ceil(math.log2(sample_rate / 6)))
    size = 4 * taps
    return taps, size, np.fft.rfft(_k_response(sample_rate, taps), n=size).astype(np.complex64)


def _k_weighted(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """``x`` (planar) through the K-weighting: FFT convolution, overlap-add, float32.

    Segments that are all zeros (silence, or a difference that is zero outside the limiter's
    stretches) are left out of the FFTs: their pieces are zero.
    """
    taps, size, spectrum = _k_spectrum(sample_rate)
    hop = size - taps
    channels, n = x.shape
    segments = max(1, -(-n // hop))
    padded = np.zeros((channels, segments * hop), np.float32)
    padded[:, :n] = x
    blocks = padded.reshape(channels, segments, hop)
    sounding = np.flatnonzero(blocks.any(axis=(0, 2)))
    pieces = np.zeros((channels, segments, size), np.float32) if len(sounding) < segments else blocks
    if len(sounding) == segments:
        pieces = np.fft.irfft(np.fft.rfft(blocks, n=size) * spectrum, n=size)
    elif len(sounding):
        pieces[:, sounding] = np.fft.irfft(np.fft.rfft(blocks[:, sounding], n=size) * spectrum, n=size)
    out = pieces[:, :, :hop].copy()
    out[:, 1:, :taps] += pieces[:, :-1, hop:]
    return out.reshape(channels, segments * hop)[:, :n]


def _power(weighted: np.ndarray) -> np.ndarray:
    """Per sample, the sum over channels of the squared K-weighted signal (float64)."""
    squared = weighted.astype(np.float64)
    np.square(squared, out=squared)
    return squared.sum(axis=0)



def _block_powers(power: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean of ``power`` in each 400 ms block, 100 ms apart (one block when shorter)."""
    hop = max(1, round(0.1 * sample_rate))
    steps = len(power) // hop
    if steps < 4:
        return np.array([float(power.sum()) / max(len(power), 1)])
    energy = power[: steps * hop].reshape(steps, hop).sum(axis=1)
    return (energy[:-3] + energy[1:-2] + energy[2:-1] + energy[3:]) / (4 * hop)


def _gated(powers: np.ndarray) -> float | None:
    """BS.1770's gated loudness of the blocks' powers; None when none passes the absolute gate."""
    loud = powers[powers > 10 ** ((_ABSOLUTE_GATE - _OFFSET) / 10)]
    if len(loud) == 0:
        return None
    gated = loud[loud > float(loud.mean()) * 10 ** (_RELATIVE_GATE / 10)]
    return _OFFSET + 10 * math.log10(float(gated.mean()))


def _loudness(x: np.ndarray, sample_rate: int) -> float | None:
    return _gated(_block_powers(_power(_k_weighted(x, sample_rate)), sample_rate))


def integrated_loudness(x: np.ndarray, sample_rate: int) -> float | None:
    """Gated integrated loudness (LUFS) of ``x`` (``(samples, channels)``, front channels).

    None when no block is louder than the absolute gate (-70 LUFS).
    """
    return _loudness(_planar(x), sample_rate)


# -- 2. True peak ----------------------------------------------------------------------------------


def _candidates(x: np.ndarray, floor: float) -> np.ndarray:
    """Indices of the chunks whose interpolated values may exceed ``floor``.

    Chunk ``c``'s values have their newest tap in ``[c * _CHUNK, (c + 1) * _CHUNK)`` and their
    oldest up to ``_TAPS - 1`` samples earlier; none exceeds :data:`_TAP_GAIN` times the largest.
    """
    chunks = -(-x.shape[1] // _CHUNK)
    peak = np.zeros(chunks * _CHUNK, np.float32)
    peak[: x.shape[1]] = np.abs(x[0])
    for channel in x[1:]:
        np.maximum(peak[: x.shape[1]], np.abs(channel), out=peak[: x.shape[1]])
    peak = peak.reshape(chunks, _CHUNK)
    reach = peak.max(axis=1)
    if chunks > 1:
        np.maximum(reach[1:], peak[:-1, _CHUNK - (_TAPS - 1) :].max(axis=1), out=reach[1:])
    return np.flatnonzero(reach.astype(np.float64) * _TAP_GAIN > floor)


def _chunk_peaks(x: np.ndarray, chunks: np.ndarray) -> np.ndarray:
    """True peak (all channels, all phases, and the sample itself) at each sample of each chunk.

    Entry ``[i, j]`` covers the interpolated values whose newest tap is sample ``chunks[i] * _CHUNK + j``.
    """
    best = np.zeros((len(chunks), _CHUNK), np.float32)
    rows = chunks[:, None] * _CHUNK + np.arange(_CHUNK + _TAPS - 1)[None, :]
    for channel in x:
        padded = np.concatenate([np.zeros(_TAPS - 1, np.float32), channel, np.zeros(_CHUNK, np.float32)])
        windows = padded[rows]
        np.maximum(best, np.abs(windows[:, _TAPS - 1 :]), out=best)
        for phase in _PHASES:
            acc = np.zeros((len(chunks), _CHUNK), np.float32)
            for k, h in enumerate(phase):
                acc += np.float32(h) * windows[:, _TAPS - 1 - k : _TAPS - 1 - k + _CHUNK]
            np.maximum(best, np.abs(acc), out=best)
    return best


def _true_peak(x: np.ndarray, floor: float) -> float:
    """The true peak of planar ``x`` when it exceeds ``floor``, else something no higher than ``floor``."""
    chunks = _candidates(x, floor)
    return float(_chunk_peaks(x, chunks).max()) if len(chunks) else 0.0


def true_peak(x: np.ndarray) -> float:
    """The true peak of ``x`` (linear, all channels): the largest 4x-oversampled absolute value."""
    planar = _planar(x)
    if planar.size == 0:
        return 0.0
    return _true_peak(planar, float(np.abs(planar).max()) * 0.999)


# -- 3. The limiter ---------------------------------------------------------------------------------


def _envelope(need: np.ndarray, sample_rate: int) -> np.ndarray:
    """The limiter's gain over a stretch that starts and ends at gain 1, from each sample's need.

    ``min_j (need[j] + slope * |n - j|)`` with the release slope after ``j`` and the attack slope
    before it, as two running minima; never above ``need`` nor 1.
    """
    release = 1.0 / (RELEASE * sample_rate)
    attack = 1.0 / (ATTACK * sample_rate)
    ramp = np.arange(len(need), dtype=np.float64)
    gain = np.minimum.accumulate(need - release * ramp) + release * ramp  # ramps up after each over
    gain = np.minimum.accumulate((gain + attack * ramp)[::-1])[::-1] - attack * ramp  # ramps down before
    np.minimum(gain, need, out=gain)
    return np.minimum(gain, 1.0, out=gain)


def _stretches(x: np.ndarray, ceiling: float, sample_rate: int) -> list[tuple[int, np.ndarray]]:
    """The limiter's gain where it is not 1: (first sample, gain from there on) of each stretch."""
    chunks = _candidates(x, ceiling)
    if len(chunks) == 0:
        return []
    peaks = _chunk_peaks(x, chunks).astype(np.float64)
    holds = (peaks > ceiling).any(axis=1)
    if not holds.any():
        return []
    chunks, need = chunks[holds], ceiling / np.maximum(peaks[holds], ceiling)
    n = x.shape[1]
    count = -(-n // _CHUNK)
    # The gain leaves 1 at most ATTACK (plus the taps) before an over and returns to it at most
    # RELEASE after: only the chunks in that reach are computed, in runs of consecutive chunks.
    back = math.ceil((ATTACK * sample_rate + _TAPS) / _CHUNK)
    ahead = math.ceil(RELEASE * sample_rate / _CHUNK) + 1
    marks = np.zeros(count + 1, np.int64)
    np.add.at(marks, np.maximum(chunks - back, 0), 1)
    np.add.at(marks, np.minimum(chunks + ahead + 1, count), -1)
    active = np.concatenate([[0], (np.cumsum(marks)[:count] > 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(active))
    stretches = []
    for first, end in zip(edges[::2], edges[1::2], strict=True):
        inside = slice(*np.searchsorted(chunks, [first, end]))
        stretch = np.ones((end - first) * _CHUNK + _TAPS)
        stretch[:-_TAPS].reshape(-1, _CHUNK)[chunks[inside] - first] = need[inside]
        spread = stretch[:-_TAPS].copy()
        for k in range(1, _TAPS):  # an over whose newest tap is sample m needs its gain on m - 11 .. m
            np.minimum(spread, stretch[k : k + len(spread)], out=spread)
        stretches.append((int(first) * _CHUNK, _envelope(spread, sample_rate)[: n - first * _CHUNK]))
    return stretches


def limiter_gain(x: np.ndarray, ceiling: float, sample_rate: int) -> np.ndarray | None:
    """Per-sample gain (float64) that keeps the true peak of ``x * gain`` under ``ceiling`` (linear).

    Each over needs ``ceiling / peak`` on every sample under the interpolator's taps; the gain
    ramps down to it linearly ahead of time (:data:`ATTACK`) and back up after (:data:`RELEASE`),
    both as running minima (``min_j (need[j] + slope * |n - j|)``). None when nothing goes over.
    """
    planar = _planar(x)
    stretches = _stretches(planar, ceiling, sample_rate)
    if not stretches:
        return None
    gain = np.ones(planar.shape[1])
    for first, part in stretches:
        gain[first : first + len(part)] = part
    return gain


def _limit(x: np.ndarray, ceiling: float, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Planar ``x`` under the limiter (again, rarely, until its ramps leave no over behind), and the
    gain it applied per sample. ``x`` is limited in place, only where the gain is not 1."""
    applied = np.ones(x.shape[1])
    for _ in range(4):
        stretches = _stretches(x, ceiling * _MARGIN, sample_rate)
        if not stretches:
            break
        for first, gain in stretches:
            end = first + len(gain)
            x[:, first:end] = (x[:, first:end] * gain).astype(np.float32)
            applied[first:end] *= gain
        if _true_peak(x, ceiling) <= ceiling:
            break
    return x, applied


# -- 4. Normalisation ------------------------------------------------------------------------------


def normalise(x: np.ndarray, sample_rate: int, target: float, ceiling: float = CEILING) -> Normalised:
    """``x`` (``(samples, channels)``) brought to ``target`` LUFS with its true peak under ``ceiling`` dBTP.

    While the limiter is in play, the loudness of each try is estimated from the K-weighted input
    and the limiter's gain (the weighting is linear and the gain changes slowly beside it), so
    the K-weighting runs once. The loudness of the result is then measured, exactly: as the
    weighting is linear, the weighted result is the weighted input times the gain plus the
    weighted difference the limiter made, which is zero outside its stretches and weighted only
    where it is not.
    """
    planar = _planar(x)
    weighted = _k_weighted(planar, sample_rate)
    power = _power(weighted)
    measured = _gated(_block_powers(power, sample_rate))
    if measured is None:
        return Normalised(planar.T.copy(), None, None, 0.0, "none")
    limit = _linear(ceiling)
    gain = round(target - measured, 2)
    out = planar * np.float32(_linear(gain))
    if _true_peak(out, limit) <= limit:
        return Normalised(out.T.copy(), measured, measured + gain, gain, "linear")
    tried: list[tuple[float, float]] = []
    for _ in range(6):
        out, applied = _limit(planar * np.float32(_linear(gain)), limit, sample_rate)
        estimate = _gated(_block_powers(power * np.square(applied), sample_rate))
        assert estimate is not None  # the limiter never takes a block under the gate that the gain lifted
        tried.append((gain, estimate + gain))
        if abs(estimate + gain - target) <= TOLERANCE:
            break
        slope = 1.0  # loudness gained per dB of gain: 1 without the limiter, less with it
        if len(tried) > 1 and tried[-1][0] != tried[-2][0]:
            slope = min(1.0, max(0.1, (tried[-1][1] - tried[-2][1]) / (tried[-1][0] - tried[-2][0])))
        gain = round(gain + (target - tried[-1][1]) / slope, 2)
    scale = np.float32(_linear(tried[-1][0]))
    weighted *= scale
    weighted += _k_weighted(out - planar * scale, sample_rate)
    loudness = _gated(_block_powers(_power(weighted), sample_rate))
    return Normalised(out.T.copy(), measured, loudness, tried[-1][0], "limited")
