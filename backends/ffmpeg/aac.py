"""The AAC settings of shot clips and the soundtrack, and the band the encoder is told to code.

ffmpeg's native encoder with the ``twoloop`` coder, bit-exact. It is most of the soundtrack
task's CPU time (``bench/render_soundtrack.py`` prints both, and the comparison below, on the
``render_film.py`` bench mix; the figures are in bench/README.md). What was tried:

- the ``fast`` coder costs as much as ``twoloop`` in this ffmpeg, so ``twoloop`` stays; switching
  off intensity stereo, PNS or TNS saves next to nothing, switching off M/S stereo leaves the
  decoded AAC much further from the mix;
- telling the encoder how wide the sound is saves about a fifth of its time and makes the result
  better: by default it codes up to a cutoff derived from the bitrate (18 kHz at 96 kbit/s a
  channel) and spends bits and search on bands that hold nothing. Every source of a mix is
  resampled from its own rate, so the mix holds nothing above the highest Nyquist frequency among
  its sources (the resampler's stop band lies 60 dB and more under the signal there; the
  limiter's and the ducking's slow gain changes add nothing audible above it). Coded up to that
  band, the bench mix (music at 16 kHz, eSpeak at 22.05 kHz: 11,025 Hz) came out 9 to 22 dB
  closer to the float mix in every octave band from 62.5 Hz to 11 kHz (SNR of the decoded AAC).

A source whose rate cannot be read from its header (:func:`source_rate`) counts as full band, and
then, as for 48 kHz sources, the encoder keeps its own cutoff: such mixes encode as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import soundfile as sf

__all__ = ["aac_args", "bandwidth", "source_rate"]

SETTINGS: dict[str, str] = {"c:a": "aac", "aac_coder": "twoloop", "flags:a": "+bitexact"}


def source_rate(path: Path) -> int | None:
    """The sample rate in the header of an audio file, None when soundfile cannot read it."""
    try:
        return int(sf.info(str(path)).samplerate)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError):
        return None


def bandwidth(sources: Iterable[Path], sample_rate: int) -> int:
    """The highest frequency (Hz) a mix of ``sources`` at ``sample_rate`` can hold: the highest
    Nyquist frequency among them, ``sample_rate / 2`` when one is unknown."""
    top = 0
    for path in sources:
        rate = source_rate(path)
        top = max(top, sample_rate if rate is None else min(rate, sample_rate))
    return top // 2


def _default_cutoff(bitrate: int, channels: int, sample_rate: int) -> int:
    """The cutoff ffmpeg's AAC encoder picks for a bitrate (``AAC_CUTOFF_FROM_BITRATE``, psymodel.h)."""
    per_channel = bitrate // channels
    return min(max(per_channel // 5, per_channel * 15 // 32 - 5500), 3000 + per_channel // 4,
               12000 + per_channel // 16, 22000, sample_rate // 2)


def aac_args(bitrate: int, channels: int, sample_rate: int, band: int) -> dict[str, Any]:
    """ffmpeg output options: AAC at ``bitrate`` bit/s, coded up to ``band`` Hz where that is below
    the encoder's own cutoff (a silent mix, ``band`` 0, keeps the encoder's)."""
    args: dict[str, Any] = {**SETTINGS, "b:a": str(bitrate), "ac": str(channels), "ar": str(sample_rate)}
    if 0 < band < _default_cutoff(bitrate, channels, sample_rate):
        args["cutoff"] = str(band)
    return args
