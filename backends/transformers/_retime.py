"""Pitch shift and time stretch of a mono line, with the ffmpeg binary that imageio-ffmpeg ships.

:func:`retime` raises the pitch by a ratio by resampling (ffmpeg's ``swr``: the samples are read
as if recorded at ``rate * pitch`` and resampled to ``rate``, which also shortens them by
``pitch``) and then corrects the length with ``atempo`` (WSOLA: tempo without pitch), chained so
that each instance stays within 0.5..2, where it blends rather than skips. The result is fitted to
exactly ``round(len / tempo)`` samples (atempo's output is off by part of a window at the ends):
trailing zeros or a trimmed tail of a few milliseconds. Float32 PCM travels through pipes (no
files, no metadata); one thread, and ``-cpuflags 0`` so that ffmpeg runs its plain C code rather
than the SIMD variant the machine happens to have, whose rounding differs: same input -> same
bytes. The bundled ffmpeg's version is part of the backend's version (``backends.CATALOG``).
"""

from __future__ import annotations

import math
from typing import Any

from backends.ffmpeg._bin import run_ffmpeg

__all__ = ["retime"]

_SAME = 1e-4
"""Ratios closer to 1 than this are 1 (a pitch ratio is rounded to a whole input rate anyway)."""


def _tempo_chain(tempo: float) -> list[str]:
    """``atempo`` instances whose product is ``tempo``, each within 0.5..2 (equal steps)."""
    if abs(tempo - 1.0) < _SAME:
        return []
    count = max(1, math.ceil(abs(math.log2(tempo)) - 1e-9))
    step = tempo ** (1.0 / count)
    return [f"atempo={step:.12f}"] * count


def retime(samples: Any, sample_rate: int, pitch: float = 1.0, tempo: float = 1.0, *, what: str = "retime") -> Any:
    """``samples`` (float32, mono) with the pitch multiplied by ``pitch`` and the duration divided by
    ``tempo``: exactly ``round(len(samples) / tempo)`` samples at ``sample_rate``."""
    import numpy as np

    samples = np.ascontiguousarray(samples, dtype="<f4").reshape(-1)
    pitch = 1.0 if abs(pitch - 1.0) < _SAME else pitch
    tempo = 1.0 if abs(tempo - 1.0) < _SAME else tempo
    chain = _chain(sample_rate, pitch, tempo)
    if not chain or samples.size < 2:
        return samples.copy()
    args = [
        "-cpuflags", "0", "-threads", "1", "-filter_threads", "1",
        "-f", "f32le", "-ar", str(round(sample_rate * pitch)), "-ac", "1", "-i", "pipe:0",
        "-af", ",".join(chain), "-threads", "1",
        "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1",
    ]  # fmt: skip
    out = np.frombuffer(run_ffmpeg(args, what=what, stdin_chunks=[samples.tobytes()], stdout=True), dtype="<f4")
    target = max(1, round(samples.size / tempo))
    if out.size >= target:
        return out[:target].copy()
    return np.concatenate([out, np.zeros(target - out.size, dtype=np.float32)])


def _chain(sample_rate: int, pitch: float, tempo: float) -> list[str]:
    """The filters: resample from the rate that raises the pitch, then the atempo that is left."""
    source_rate = round(sample_rate * pitch)
    chain = [f"aresample={sample_rate}:resampler=swr"] if source_rate != sample_rate else []
    return chain + _tempo_chain(tempo * sample_rate / source_rate)
