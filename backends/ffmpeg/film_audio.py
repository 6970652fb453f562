"""The film's soundtrack: dialogue placed per shot, music and effects under it.

Steps: (1) the dialogue bus: each shot's dialogue (mono samples) at the shot's start in the film;
(2) the tracks: each file (decoded once, by the caller, with every other source in one ffmpeg
run: :func:`._bin.decode_audios`) looped, faded, scaled and placed in numpy, split into a bus that
ducks under the dialogue and one that does not; (3) ducking: ffmpeg's ``sidechaincompress``
keyed by the dialogue computes the gain, numpy applies it (:func:`_duck`); (4) the sum.
:mod:`.loudness` then normalises it.

The ducking reads a raw float32 file rather than a pipe: a pipe hands the filter chunks whose
sizes depend on timing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from backends.base import BackendError

from ._bin import run_ffmpeg
from .audio import add_at, samples_for
from .timeline import Placement, track_start

__all__ = ["CHANNELS", "DUCKING", "build_mix", "track_files", "track_gain"]

DUCKING = {"threshold": 0.02, "ratio": 8, "attack": 20, "release": 400, "knee": 2}
"""sidechaincompress settings for music under dialogue (about -12 dB while someone speaks)."""
CHANNELS = 2


def track_gain(volume: Any) -> float:
    """A track's ``volume`` as a linear factor: a number is a factor, ``"-6dB"`` is decibels."""
    if isinstance(volume, str):
        text = volume.strip()
        match = re.fullmatch(r"([-+]?\d+(?:\.\d+)?)\s*dB", text, flags=re.IGNORECASE)
        if match:
            return float(10 ** (float(match.group(1)) / 20))
        volume = text
    try:
        gain = float(volume if volume is not None else 1.0)
    except ValueError:
        raise BackendError(f"track volume {volume!r} is neither a number nor a level like '-6dB'") from None
    if gain < 0 or not math.isfinite(gain):
        raise BackendError(f"track volume {volume!r} must be a finite, non-negative factor")
    return gain


def _dialogue_bus(
    placed: Sequence[Placement], dialogue: Mapping[str, np.ndarray], fps: int, sample_rate: int, total: int
) -> np.ndarray:
    bus = np.zeros(total, dtype=np.float32)
    for p in placed:
        add_at(bus, dialogue[p.shot], round(p.start * sample_rate / fps))
    return bus


def _fade(region: np.ndarray, fade_in: int, fade_out: int) -> None:
    if fade_in > 0:
        n = min(fade_in, len(region))
        region[:n] *= (np.arange(n, dtype=np.float32) / fade_in)[:, None]
    if fade_out > 0:
        n = min(fade_out, len(region))
        region[len(region) - n :] *= (np.arange(n - 1, -1, -1, dtype=np.float32) / fade_out)[:, None]


def _place_track(track: Mapping[str, Any], start: float, samples: np.ndarray, sample_rate: int, total: int
                 ) -> tuple[np.ndarray, int]:
    """The track's samples as heard in the film (looped, trimmed, faded, scaled) and where they start."""
    at = samples_for(start, sample_rate)
    skip = max(0, -at)
    room = total - max(at, 0)
    if room <= 0 or len(samples) == 0:
        return np.zeros((0, CHANNELS), np.float32), 0
    if track.get("loop"):
        repeats = -(-(skip + room) // len(samples))
        samples = np.tile(samples, (repeats, 1))
    region = samples[skip : skip + room].copy()
    _fade(
        region,
        samples_for(track.get("fade_in") or 0.0, sample_rate),
        samples_for(track.get("fade_out") or 0.0, sample_rate),
    )
    region *= np.float32(track_gain(track.get("volume", 1.0)))
    return region, max(at, 0)


def _duck(music: np.ndarray, dialogue: np.ndarray, sample_rate: int, scratch: Path) -> np.ndarray:
    """``music`` compressed by ``sidechaincompress`` whenever ``dialogue`` speaks.

    The compressor's gain depends on the key alone: its detector reads only the key, and each
    music sample is only multiplied by the gain (in double; with the default level, makeup and mix
    of 1 the product is exactly sample times gain). So ffmpeg computes the gain alone, compressing
    a main input of ones, written out as float64, and numpy multiplies: one rounding of the same
    double product to float32, the samples the compressor itself gives, from half the data through
    ffmpeg. It starts at the key's first sound: before it the detector stays at exactly 0 and the
    gain at exactly 1. Ones and key travel interleaved in one two-channel input and are split
    inside the graph: from two inputs the compressor would see the key in chunks that depend on
    thread timing, and its output depends on the chunking.
    """
    first = int(np.flatnonzero(dialogue)[0])
    source = scratch / "duck.f32"
    both = np.ones((len(music) - first, 2), "<f4")
    both[:, 1] = dialogue[first:]
    both.tofile(source)
    split = ffmpeg.input(str(source), f="f32le", ar=sample_rate, ac=2).audio.asplit()
    gain = ffmpeg.filter(
        [
            split[0].filter("channelmap", map="0", channel_layout="mono"),
            split[1].filter("channelmap", map="1", channel_layout="mono"),
        ],
        "sidechaincompress",
        **DUCKING,
    )
    args = ["-filter_complex_threads", "1", *gain.output("pipe:1", f="f64le", **{"c:a": "pcm_f64le"}).get_args()]
    out = np.frombuffer(run_ffmpeg(args, what="ducking the music", stdout=True), dtype="<f8")
    ducked = music.copy()
    end = first + min(len(out), len(music) - first)
    ducked[first:end] = music[first:end] * out[: end - first, None]
    return ducked


def build_mix(
    placed: Sequence[Placement],
    dialogue: Mapping[str, np.ndarray],
    tracks: Sequence[Mapping[str, Any]],
    decoded: Mapping[str, np.ndarray],
    *,
    fps: int,
    sample_rate: int,
    total: int,
    scratch: Path,
) -> np.ndarray:
    """The film's audio: ``total`` samples, stereo float32, shape ``(total, 2)``.

    ``decoded`` holds each track's file (by its role), stereo at ``sample_rate`` (:func:`track_files`).
    """
    speech = _dialogue_bus(placed, dialogue, fps, sample_rate, total)
    ducked = np.zeros((total, CHANNELS), np.float32)
    mix = np.zeros((total, CHANNELS), np.float32)
    for track in tracks:
        region, at = _place_track(track, track_start(track, placed, fps), decoded[str(track["file"])], sample_rate,
                                  total)
        add_at(ducked if track.get("duck") else mix, region, at)
    if np.any(ducked) and np.any(speech):
        ducked = _duck(ducked, speech, sample_rate, scratch)
    mix += ducked
    mix += speech[:, None]
    return mix


def track_files(tracks: Sequence[Mapping[str, Any]], files: Mapping[str, Path]) -> dict[str, Path]:
    """The file of every track, by role (each once), checked to be among the task's ``files``."""
    used = {}
    for track in tracks:
        role = str(track["file"])
        if role not in files:
            raise BackendError(f"audio track {role!r}: no such file among the task's files")
        used[role] = files[role]
    return used
