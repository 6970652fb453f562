"""The ``espeak`` backend: real speech from the eSpeak NG library in the espeakng-loader wheel.

One task kind, ``speech`` (see backends/README.md): ``text`` spoken with ``language`` and an
optional ``variant`` (``f1``, ``m3``, ``klatt``, ...; ``speaker`` is used as the variant only
when no variant is given and it names one, otherwise ignored), ``pitch`` 0-100, ``rate`` 80-450
words per minute, ``volume`` 0-200, ``range`` 0-100, and an ``emotion`` that adds deltas from
the voice's ``emotions`` mapping or the built-in ``EMOTIONS`` table.

Output: ``audio``, a mono 16-bit PCM WAV at the library's native rate (22050 Hz), written by the
``wave`` module (a bare 44-byte header, no metadata that could vary). Meta: ``duration`` (exactly
``samples / sample_rate`` seconds), ``sample_rate``, ``samples``.

Silence policy: eSpeak NG pads a line with silence; we trim it so that ``auto`` shot durations
are tight. Everything before the first sample louder than 1% of the line's peak is dropped but
for ``LEAD_SECONDS``; everything after the last such sample is dropped but for
``TAIL_SECONDS``, which keeps the natural decay of the last sound. Pauses inside the line stay.
A line at volume 0 is silent and kept untrimmed; a line with nothing speakable in it (only
punctuation, say) is a BackendError.

Determinism: the same task gives the same bytes in every run and on every call in a process;
see ``_lib`` for why each synthesis runs in a freshly loaded library instance.

Cancelling: setting ``cancel_event`` stops a synthesis in progress within one audio buffer
(well under a millisecond of work) and makes every later ``run`` fail with BackendError until
it is cleared. A KeyboardInterrupt (Ctrl-C) that arrives during synthesis stops it the same way
and is re-raised from ``run`` once the library is in a clean state.
"""

from __future__ import annotations

import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np

from backends.base import BackendError, Result, TaskRun
from backends.espeak import _lib
from backends.espeak._voice import EMOTIONS, LIMITS, Speech, settle

__all__ = [
    "EMOTIONS",
    "KINDS",
    "LEAD_SECONDS",
    "LIMITS",
    "NAME",
    "TAIL_SECONDS",
    "VERSION",
    "Handle",
    "cancel_event",
    "load",
    "run",
    "unload",
]

NAME = "espeak"
VERSION = "1"
KINDS = frozenset({"speech"})

LEAD_SECONDS = 0.02
"""Silence kept before the first audible sample."""
TAIL_SECONDS = 0.12
"""Silence (and decay) kept after the last audible sample."""
_AUDIBLE = 0.01
"""A sample is audible above this fraction of the line's peak (-40 dB)."""

cancel_event = threading.Event()
"""Set to abort the synthesis in progress and refuse new ones; clear to synthesise again."""


class Handle:
    """What ``load`` returns: the voice catalogue. The library itself is loaded per synthesis."""

    def __init__(self, catalogue: _lib.Catalogue) -> None:
        self.catalogue = catalogue

    @property
    def sample_rate(self) -> int:
        return self.catalogue.sample_rate

    def __repr__(self) -> str:
        return f"<espeak handle: eSpeak NG {self.catalogue.version}, {self.sample_rate} Hz>"


def load(model: dict[str, Any]) -> Handle:
    """Read the voice catalogue (once per process); cheap to call again."""
    return Handle(_lib.catalogue())


def unload(handle: Handle) -> None:
    """Nothing to release: no library instance outlives a synthesis."""


def run(task: TaskRun, handle: Handle) -> Result:
    """Speak one dialogue line into ``audio.wav``."""
    # 1. check the parameters and settle voice, pitch, rate, volume and range
    if task.kind not in KINDS:
        raise BackendError(f"the espeak backend cannot render {task.kind} tasks, only speech")
    speech = settle(task.params, handle.catalogue)
    if cancel_event.is_set():
        raise BackendError("speech synthesis cancelled")

    # 2. synthesise
    samples, sample_rate = _synthesize(task, speech)
    if samples.size == 0 or (speech.volume > 0 and not samples.any()):
        raise BackendError(f"eSpeak NG found nothing to speak in {speech.text!r}; write the line in words")

    # 3. trim the silence around the line
    samples = _trim(samples, sample_rate)

    # 4. write the WAV
    path = task.workdir / "audio.wav"
    _write_wav(path, samples, sample_rate)
    return Result(
        outputs={"audio": path},
        meta={
            "duration": samples.size / sample_rate,
            "sample_rate": sample_rate,
            "samples": int(samples.size),
        },
    )


def _synthesize(task: TaskRun, speech: Speech) -> tuple[np.ndarray, int]:
    total = len(speech.text)

    def progress(position: int) -> None:
        task.report(min(position, total), total)

    samples, sample_rate = _lib.synthesize(
        speech.text,
        speech.voice,
        speech.parameters(),
        cancel=cancel_event,
        progress=progress if task.progress is not None else None,
    )
    task.report(total, total)
    return samples, sample_rate


def _trim(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Drop the silence before and after the line (see the module docstring)."""
    magnitude = np.abs(samples.astype(np.int32))
    peak = int(magnitude.max())
    if peak == 0:
        return samples
    audible = np.flatnonzero(magnitude > max(1, int(peak * _AUDIBLE)))
    start = max(0, int(audible[0]) - round(LEAD_SECONDS * sample_rate))
    end = min(samples.size, int(audible[-1]) + 1 + round(TAIL_SECONDS * sample_rate))
    return samples[start:end]


def _write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.astype("<i2").tobytes())
