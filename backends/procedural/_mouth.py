"""Lip flap from the speech itself: a mouth opening (0-3) per video frame from the line's loudness.

Each frame's opening comes from the mean square of the line's 16-bit samples in a window one video
frame wide around that frame's middle, compared with the line's own loud level (the 90th
percentile of its frames): under 1.5 % of it the mouth rests (0), then 1 below 12 %, 2 below 40 %,
else 3. The sums are integers, so the same WAV gives the same mouth on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from backends.base import Artifact, BackendError

from .staging.timeline import Line

__all__ = ["THRESHOLDS", "levels", "speech_lines"]

THRESHOLDS = (15, 120, 400)
"""Per mille of the loud level at which the mouth opens to 1, 2 and 3."""


def levels(samples: np.ndarray, rate: int, start: float, fps: int) -> tuple[int, tuple[int, ...]]:
    """(first video frame, opening per frame from it) for ``samples`` (int16 mono) played from
    ``start`` seconds into the shot."""
    n = len(samples)
    if n == 0:
        return 0, ()
    x = samples.astype(np.int64)
    csum = np.concatenate([[0], np.cumsum(x * x)])
    first = int(np.floor(start * fps))
    last = int(np.ceil((start + n / rate) * fps))
    half = max(1, rate // (2 * fps))
    energy = []
    for i in range(first, last):
        centre = int(round(((i + 0.5) / fps - start) * rate))
        lo, hi = min(max(centre - half, 0), n), min(max(centre + half, 0), n)
        energy.append(int((csum[hi] - csum[lo]) // max(hi - lo, 1)) if hi > lo else 0)
    ranked = sorted(energy)
    loud = max(ranked[min(len(ranked) - 1, (len(ranked) * 9) // 10)], 1)
    out = []
    for e in energy:
        k = e * 1000
        out.append(0 if k < THRESHOLDS[0] * loud else 1 if k < THRESHOLDS[1] * loud else
                   2 if k < THRESHOLDS[2] * loud else 3)
    return first, tuple(out)


def _read(path: Path, what: str) -> tuple[np.ndarray, int]:
    try:
        data, rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    except (RuntimeError, OSError, ValueError, soundfile.LibsndfileError) as exc:
        raise BackendError(f"cannot read {what} ({path}): {exc}") from None
    mono = data[:, 0].astype(np.int64)
    for ch in range(1, data.shape[1]):
        mono += data[:, ch]
    return (mono // data.shape[1]).astype(np.int16), int(rate)


def speech_lines(params: Mapping[str, Any], inputs: Mapping[str, Artifact], fps: int, task_id: str) -> list[Line]:
    """The shot's on-screen lines with their mouth openings (settled ``lines`` with ``start``)."""
    out: list[Line] = []
    raw: Sequence[Any] = params.get("lines") or []
    for line in raw:
        if not isinstance(line, Mapping) or line.get("off_screen") or "start" not in line:
            continue
        artifact = inputs.get(str(line.get("input")))
        if artifact is None or "audio" not in artifact.outputs:
            raise BackendError(f"{task_id}: the speech {line.get('input')!r} of a line is missing")
        samples, rate = _read(Path(artifact.outputs["audio"]), f"the speech of {line.get('character')}")
        start = float(line["start"])
        first, opening = levels(samples, rate, start, fps)
        out.append(Line(str(line.get("character")), start, start + len(samples) / rate, opening, first))
    return out
