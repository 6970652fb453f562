"""Music features per video frame: band energies (low, mid, high) and onsets (spectral flux).

Each frame looks at a window of the track centred on the frame's time (``offset`` + i / fps),
Welch-windowed, through numpy's FFT. Energies are normalised by the whole track's loud level
(95th percentile), so a quiet passage stays quiet and the same track gives consistent values in
every shot; silence gives zeros. Values are rounded to 1/1024 so that the last-bit differences
an FFT could have on another CPU do not reach the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from backends.base import BackendError

BANDS = ((20.0, 250.0), (250.0, 2000.0), (2000.0, 10000.0))
_CHUNK = 256


@dataclass(frozen=True)
class Features:
    low: np.ndarray
    mid: np.ndarray
    high: np.ndarray
    onset: np.ndarray
    """Spectral flux, normalised: about 1 on a clear beat, 0 in steady sound."""

    @property
    def level(self) -> np.ndarray:
        return (self.low + self.mid + self.high) / 3.0


def read_track(path: Path, role: str) -> tuple[np.ndarray, int]:
    """Mono float32 samples (channels averaged) and the sample rate."""
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, ValueError, soundfile.LibsndfileError) as exc:
        raise BackendError(f"cannot read the music track {role} ({path}): {exc}") from None
    if data.shape[0] == 0:
        raise BackendError(f"the music track {role} ({path}) has no samples")
    mono = data[:, 0].copy()
    for ch in range(1, data.shape[1]):
        mono += data[:, ch]
    return mono / np.float32(data.shape[1]), int(rate)


def _window_size(rate: int, fps: int) -> int:
    n = 256
    while n < 2 * rate / fps:
        n *= 2
    return n


def _spectra(samples: np.ndarray, centres: np.ndarray, n: int) -> np.ndarray:
    """Magnitude spectra ``(len(centres), n // 2 + 1)`` of windows centred on sample indices."""
    x = (np.arange(n) - n / 2 + 0.5) / (n / 2)
    welch = (1.0 - x * x).astype(np.float32)
    padded = np.concatenate([np.zeros(n, np.float32), samples, np.zeros(n, np.float32)])
    starts = np.clip(centres - n // 2 + n, 0, len(padded) - n)
    windows = padded[starts[:, None] + np.arange(n)[None, :]] * welch
    return np.abs(np.fft.rfft(windows, axis=1)).astype(np.float64)


def _measure(samples: np.ndarray, rate: int, centres: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Band magnitudes ``(k, 3)`` and spectral flux ``(k,)`` (the first window's flux is 0)."""
    freqs = np.arange(n // 2 + 1) * (rate / n)
    masks = [(freqs >= lo) & (freqs < min(hi, rate / 2)) for lo, hi in BANDS]
    bands, flux = [], []
    previous: np.ndarray | None = None
    for start in range(0, len(centres), _CHUNK):
        spec = _spectra(samples, centres[start : start + _CHUNK], n)
        bands.append(np.stack([spec[:, m].mean(axis=1) if m.any() else np.zeros(len(spec)) for m in masks], axis=1))
        before = spec[:1] if previous is None else previous[None]
        flux.append(np.maximum(np.diff(np.concatenate([before, spec]), axis=0), 0.0).sum(axis=1))
        previous = spec[-1]
    return np.concatenate(bands), np.concatenate(flux)


def analyse(samples: np.ndarray, rate: int, fps: int, frames: int, offset: float) -> Features:
    """Features for ``frames`` video frames starting ``offset`` seconds into the track."""
    n = _window_size(rate, fps)
    hop = rate / fps
    shot = np.floor((offset * fps + np.arange(-1, frames) + 0.5) * hop).astype(np.int64)
    whole = np.floor((np.arange(int(len(samples) / hop) + 1) + 0.5) * hop).astype(np.int64)
    ref_bands, ref_flux = _measure(samples, rate, whole, n)
    band_ref = np.maximum(np.percentile(ref_bands, 95, axis=0), 1e-3)
    flux_ref = max(float(np.percentile(ref_flux, 95)), 1e-3)
    bands, flux = _measure(samples, rate, shot, n)
    bands, flux = bands[1:] / band_ref, flux[1:] / flux_ref
    decay = max(0.0, 1.0 - 4.0 / fps)
    smooth = np.empty_like(bands)
    onset = np.empty_like(flux)
    level, hit = np.zeros(3), 0.0
    for i in range(frames):
        level = np.maximum(bands[i], level * decay)
        hit = max(float(flux[i]), hit * decay)
        smooth[i], onset[i] = level, hit
    smooth, onset = _quantise(np.clip(smooth, 0.0, 2.0)), _quantise(np.clip(onset, 0.0, 2.0))
    return Features(smooth[:, 0], smooth[:, 1], smooth[:, 2], onset)


def _quantise(a: np.ndarray) -> np.ndarray:
    return np.round(a * 1024.0) / 1024.0
