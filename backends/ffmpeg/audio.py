"""Sample-exact audio placement in numpy: the dialogue of a shot, the buses of a film.

Placing and summing is done here rather than in an ffmpeg graph (``adelay`` + ``amix``) because
it must be exact to the sample and amix's weighting and end-of-stream handling are easy to get
subtly wrong; ffmpeg still decodes and resamples every file (:func:`._bin.decode_audio`) and does
the dynamics (ducking, loudness) in :mod:`.film_audio`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = ["add_at", "samples_for", "write_wav"]


def samples_for(seconds: float, sample_rate: int) -> int:
    """Whole samples in ``seconds`` (rounded to the nearest sample)."""
    return round(float(seconds) * sample_rate)


def add_at(bus: np.ndarray, clip: np.ndarray, at: int) -> None:
    """Add ``clip`` into ``bus`` starting at sample ``at``; what falls outside is dropped."""
    begin, end = max(at, 0), min(at + len(clip), len(bus))
    if begin < end:
        bus[begin:end] += clip[begin - at : end - at]


def write_wav(path: Path, samples: np.ndarray, sample_rate: int, *, subtype: str = "PCM_16") -> Path:
    """Write ``samples`` (float, ``[-1, 1]``) as a WAV file; values outside the range are clipped."""
    data = np.clip(np.nan_to_num(samples, nan=0.0), -1.0, 1.0).astype(np.float32)
    sf.write(str(path), data, sample_rate, subtype=subtype, format="WAV")
    return path
