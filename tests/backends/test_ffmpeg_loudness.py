"""EBU R128 loudness in numpy: BS.1770 measurement, true peak, the limiter, normalisation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from backends.ffmpeg import loudness
from backends.ffmpeg.loudness import CEILING, integrated_loudness, limiter_gain, normalise, true_peak
from tests.backends.test_ffmpeg_support import ebur128

SR = 48000


def sine(seconds: float, freq: float, amp: float, *, rate: int = SR, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def stereo(left: np.ndarray, right: np.ndarray | None = None) -> np.ndarray:
    return np.stack([left, left if right is None else right], axis=1).astype(np.float32)


def film_like(seconds: float = 12.0, seed: int = 7) -> np.ndarray:
    """Speech-like bursts over quiet music with sharp hits: gated, peaky, stereo."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SR)
    t = np.arange(n) / SR
    music = 0.02 * np.sin(2 * np.pi * 220 * t)[:, None] * np.array([1.0, 0.7])
    voice = rng.standard_normal(n) * 0.15 * (np.sin(2 * np.pi * 0.4 * t) > 0.2) * (1 + np.sin(2 * np.pi * 180 * t))
    hits = np.zeros(n)
    hits[rng.integers(0, n - 500, 30)] = 0.9
    hits = np.convolve(hits, np.exp(-np.arange(400) / 60.0))[:n] * np.sin(2 * np.pi * 3000 * t)
    return (music + (voice + hits)[:, None]).astype(np.float32)


def test_k_weighting_at_48k_is_the_tabulated_filter() -> None:
    """BS.1770-4 table 1 and 2 (the shelf and the RLB high-pass), multiplied into one filter."""
    shelf_b = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    shelf_a = [1.0, -1.69065929318241, 0.73248077421585]
    pass_b, pass_a = [1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621]
    b, a = loudness._k_weighting(SR)
    assert b == pytest.approx(np.convolve(shelf_b, pass_b), abs=1e-9)
    assert a == pytest.approx(np.convolve(shelf_a, pass_a), abs=1e-9)


@pytest.mark.parametrize("rate", [48000, 44100])
def test_fft_k_weighting_equals_the_recursive_filter(rate: int) -> None:
    x = np.random.default_rng(1).standard_normal((3000, 2)).astype(np.float32)
    b, a = loudness._k_weighting(rate)
    expected = np.zeros((2, len(x)))
    for c in range(2):
        state = [0.0] * 4  # transposed direct form II, sample by sample
        for i, v in enumerate(x[:, c].astype(float)):
            y = b[0] * v + state[0]
            state = [b[k + 1] * v - a[k + 1] * y + (state[k + 1] if k < 3 else 0.0) for k in range(4)]
            expected[c, i] = y
    got = loudness._k_weighted(np.ascontiguousarray(x.T), rate)
    assert np.abs(got - expected).max() < 1e-5 * np.abs(expected).max()


def test_full_scale_997hz_in_one_channel_reads_minus_3_lufs() -> None:
    """The calibration of BS.1770: a 0 dBFS 997 Hz sine in one front channel is -3.01 LKFS."""
    assert integrated_loudness(stereo(sine(5, 997, 1.0), np.zeros(5 * SR)), SR) == pytest.approx(-3.01, abs=0.02)


@pytest.mark.parametrize(
    "signal",
    [
        pytest.param(lambda: stereo(sine(6, 1000, 0.25)), id="1k"),
        pytest.param(lambda: stereo(sine(6, 60, 0.5), sine(6, 60, 0.1)), id="60Hz-unbalanced"),
        pytest.param(lambda: stereo(sine(6, 8000, 0.1)), id="8k"),
        pytest.param(lambda: stereo(sine(6, 440, 0.5) * (np.arange(6 * SR) % SR < SR // 3)), id="bursts-gated"),
        pytest.param(lambda: film_like(), id="film-like"),
    ],
)
def test_integrated_loudness_agrees_with_ffmpeg_ebur128(signal: Callable[[], np.ndarray]) -> None:
    """Within ffmpeg's rounding (0.1 LU), unless a block sits right at the relative gate."""
    x = signal()
    ours = integrated_loudness(x, SR)
    theirs, _ = ebur128(x, SR)
    assert ours == pytest.approx(theirs, abs=0.1)


def test_a_film_shorter_than_one_block_is_measured_whole() -> None:
    """BS.1770 needs 400 ms for a block; a shorter film still gets a loudness (ebur128 gives none)."""
    assert integrated_loudness(stereo(sine(0.3, 500, 0.3)), SR) == pytest.approx(
        integrated_loudness(stereo(sine(3, 500, 0.3)), SR), abs=0.05
    )


def test_silence_has_no_loudness() -> None:
    assert integrated_loudness(np.zeros((SR, 2), np.float32), SR) is None
    assert integrated_loudness(stereo(sine(2, 1000, 1e-5)), SR) is None  # under the -70 LUFS gate


def test_true_peak_finds_the_peak_between_samples() -> None:
    """A quarter-rate sine sampled 45 degrees off its crests: the samples show 3 dB less than the wave."""
    x = stereo(sine(1, SR / 4, 0.5, phase=np.pi / 4))
    assert np.abs(x).max() == pytest.approx(0.5 / np.sqrt(2), rel=1e-3)
    assert 20 * np.log10(true_peak(x) / 0.5) == pytest.approx(0.0, abs=0.2)


def test_true_peak_skips_only_chunks_that_cannot_reach_it() -> None:
    """The pruned computation equals interpolating everything."""
    x = film_like(3.0)
    full = np.abs(x).max()
    for phase in loudness._PHASES:
        for c in range(2):
            full = max(full, np.abs(np.convolve(x[:, c].astype(float), phase)).max())
    assert true_peak(x) == pytest.approx(full, rel=1e-5)


def test_limiter_gain_keeps_overs_under_the_ceiling_with_bounded_ramps() -> None:
    x = stereo(sine(10, 300, 0.3))
    for at in (1.0, 4.0, 4.1, 8.0):  # clicks of up to +6 dBFS
        x[round(at * SR) : round(at * SR) + 50] = 2.0
    ceiling = 10 ** (CEILING / 20)
    assert limiter_gain(x * np.float32(0.1), ceiling, SR) is None
    gain = limiter_gain(x, ceiling, SR)
    assert gain is not None and gain.shape == (len(x),) and gain.max() <= 1.0
    assert gain.min() == pytest.approx(ceiling / true_peak(x), rel=0.01)
    assert true_peak((x * gain[:, None]).astype(np.float32)) <= ceiling * 1.002
    steps = np.diff(gain)
    assert steps.min() >= -1 / (loudness.ATTACK * SR) - 1e-9
    assert steps.max() <= 1 / (loudness.RELEASE * SR) + 1e-9
    assert gain[round(2 * SR) : round(3.9 * SR)].min() == 1.0, "the gain returns to 1 between the clicks"


def test_linear_normalisation_hits_the_target() -> None:
    x = stereo(sine(5, 1000, 0.05), sine(5, 1000, 0.04))
    result = normalise(x, SR, -20.0)
    assert result.mode == "linear"
    assert result.samples.dtype == np.float32 and result.samples.shape == x.shape
    assert integrated_loudness(result.samples, SR) == pytest.approx(-20.0, abs=0.01)
    assert result.loudness == pytest.approx(-20.0, abs=0.01)
    assert np.allclose(result.samples, x * 10 ** (result.gain / 20), rtol=1e-6)


def test_limited_normalisation_hits_the_target_under_the_ceiling() -> None:
    result = normalise(film_like(), SR, -14.0)
    assert result.mode == "limited"
    assert 20 * np.log10(true_peak(result.samples)) <= CEILING + 1e-6
    measured = integrated_loudness(result.samples, SR)
    assert measured == pytest.approx(-14.0, abs=loudness.TOLERANCE + 0.05)
    assert result.loudness == pytest.approx(measured, abs=0.05)
    theirs, _ = ebur128(result.samples, SR)
    assert theirs == pytest.approx(-14.0, abs=0.3)


def test_silence_is_left_alone() -> None:
    x = np.zeros((SR, 2), np.float32)
    result = normalise(x, SR, -16.0)
    assert (result.mode, result.input_loudness, result.loudness, result.gain) == ("none", None, None, 0.0)
    assert not result.samples.any()


def test_normalisation_is_deterministic() -> None:
    x = film_like()
    first = normalise(x, SR, -14.0)
    again = normalise(np.asfortranarray(x.copy()), SR, -14.0)
    assert first.samples.tobytes() == again.samples.tobytes()
    assert (first.gain, first.loudness, first.mode) == (again.gain, again.loudness, again.mode)
