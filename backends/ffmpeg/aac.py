"""The AAC settings of shot clips and the soundtrack, and the band the encoder is told to code.

ffmpeg's native encoder with the ``twoloop`` coder, bit-exact. Its cost on 30 s of stereo at
48 kHz and 192 kbit/s is about 0.8 CPU-s, most of the soundtrack task (``bench/render_soundtrack.py``).
Two ways to make it cheaper were measured on the ``render_film.py`` bench mix (decoded AAC
against the float mix, SNR per octave band from 60 Hz to 11 kHz):

- the ``fast`` coder costs the same in this ffmpeg (0.84 against 0.82 CPU-s), so ``twoloop``
  stays; turning off M/S, intensity stereo, PNS or TNS saves little and costs quality;
- telling the encoder how wide the sound is does both: by default it codes up to a cutoff
  derived from the bitrate (18 kHz at 96 kbit/s a channel) and spends bits and search on bands
  that hold nothing. Every source of a mix is resampled from its own rate, so the mix holds
  nothing above the highest Nyquist frequency among its sources (the resampler's stop band lies
  60 dB and more under the signal there). The bench mix (music at 16 kHz, eSpeak at 22.05 kHz)
  coded up to 11,025 Hz took 0.65 CPU-s instead of 0.82, and came out closer to the mix in every
  band (40, 38, 26, 26, 32, 28 dB before; 51, 51, 48, 43, 41, 37 dB after).

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
