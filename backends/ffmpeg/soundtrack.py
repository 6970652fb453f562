"""The ``soundtrack`` task: the film's audio, mixed, normalised and encoded once.

It reads the speech and the music and effect files, never a picture: an edit that changes only
what we see (an action, a camera move) leaves it cached, and the film task then only joins the
video and copies this AAC stream in.

Steps: (1) place the timeline from the settled shot lengths (:mod:`.timeline`, the same
placement the film makes from the clips); every line and track file is decoded in one ffmpeg
run (:func:`._bin.decode_audios`); (2) each shot's dialogue: its lines at their settled starts
(:func:`.shot.mix_dialogue`, as the shot mixes them); (3) the tracks and ducking
(:mod:`.film_audio`); (4) EBU R128 normalisation (:mod:`.loudness`); (5) AAC in an M4A, coded up
to the highest frequency the sources hold (:mod:`.aac`).

On the 30 s bench film of ``bench/render_film.py`` (``bench/render_soundtrack.py`` times it) the
AAC encoder is about two thirds of the task's CPU time: the mixing, ducking and loudness work
around it is kept to what numpy does in a few passes over the samples.

params: ``fps``, ``sample_rate``, ``loudness`` (LUFS), ``audio`` (tracks: ``file`` role,
``start``, ``at`` a shot role or null, ``volume``, ``duck``, ``loop``, ``fade_in``,
``fade_out``), ``timeline`` (per shot: ``shot`` role, ``transition``, ``cut_in``, ``cut_out``,
and, settled, ``frames`` and ``lines`` ``[{"input": speech role, "start"}]``). inputs: the speech
tasks by their roles. files: the tracks. outputs: ``audio`` (M4A). meta: ``samples``,
``duration``, ``input_loudness`` (LUFS before normalisation, null when silent), ``loudness``
(after) and ``normalisation`` (``linear``, ``limited`` or ``none``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from backends.base import BackendError, Result, TaskRun

from ._bin import decode_audios, run_ffmpeg
from .aac import aac_args, bandwidth
from .encode import muxer_args
from .film_audio import CHANNELS, build_mix, track_files
from .loudness import normalise
from .shot import mix_dialogue
from .timeline import place_shots

__all__ = ["run_soundtrack"]


def _speech(task: TaskRun) -> dict[str, Path]:
    """Line role -> speech file, every line of the timeline checked."""
    audio = {}
    for entry in task.params["timeline"]:
        if "frames" not in entry:
            raise BackendError(f"{task.id}: timeline entry {entry.get('shot')!r} is not settled (no 'frames')")
        for line in entry.get("lines", ()):
            role = str(line["input"])
            artifact = task.inputs.get(role)
            if artifact is None or "audio" not in artifact.outputs:
                raise BackendError(f"{task.id}: dialogue line {role!r} has no speech input with an 'audio' output")
            audio[role] = Path(artifact.outputs["audio"])
    return audio


def run_soundtrack(task: TaskRun) -> Result:
    """Render ``audio`` (see the module docstring)."""
    params = task.params
    for name in ("fps", "sample_rate", "timeline"):
        if name not in params:
            raise BackendError(f"{task.id}: missing parameter '{name}'")
    fps, sample_rate = int(params["fps"]), int(params["sample_rate"])
    speech = _speech(task)
    tracks = params.get("audio", ())
    music = track_files(tracks, task.files)
    # 1. where every shot sits
    timeline = params["timeline"]
    placed, total = place_shots(timeline, {str(e["shot"]): int(e["frames"]) for e in timeline}, fps)
    samples = round(total * sample_rate / fps)
    out = task.workdir / "soundtrack.m4a"
    with tempfile.TemporaryDirectory(prefix=".soundtrack-", dir=task.workdir) as tmp:
        scratch = Path(tmp).resolve()
        # every line and every track's file, in one ffmpeg run
        lines, files = sorted(speech), sorted(music)
        decoded = decode_audios([(speech[role], f"dialogue {role}", 1) for role in lines]
                                + [(music[role], str(music[role]), CHANNELS) for role in files],
                                sample_rate=sample_rate, scratch=scratch)
        said = {role: d[:, 0] for role, d in zip(lines, decoded[: len(lines)], strict=True)}
        # 2. each shot's dialogue, as the shot mixes it
        dialogue = {str(entry["shot"]): mix_dialogue(entry.get("lines", ()), said, duration=int(entry["frames"]) / fps,
                                                     sample_rate=sample_rate)[0] for entry in timeline}
        task.report(1, 3)
        # 3. tracks, ducking, the sum; 4. loudness
        mix = build_mix(placed, dialogue, tracks, dict(zip(files, decoded[len(lines):], strict=True)),
                        fps=fps, sample_rate=sample_rate, total=samples, scratch=scratch)
        del dialogue, decoded
        sound = normalise(mix, sample_rate, float(params.get("loudness", -16.0)))
        del mix
        task.report(2, 3)
        # 5. AAC, coded up to the highest frequency any source holds (.aac)
        raw = scratch / "soundtrack.f32"
        np.ascontiguousarray(sound.samples, "<f4").tofile(raw)
        band = bandwidth([*speech.values(), *music.values()], sample_rate)
        source = ffmpeg.input(str(raw), f="f32le", ar=sample_rate, ac=CHANNELS).audio
        args = ffmpeg.output(source, str(out), **aac_args(192_000, CHANNELS, sample_rate, band),
                             **muxer_args()).get_args()
        run_ffmpeg(["-y", "-filter_threads", "1", *args], what=f"{task.id}: encoding the soundtrack")
    task.report(3, 3)
    meta: dict[str, Any] = {
        "samples": samples,
        "duration": samples / sample_rate,
        "input_loudness": None if sound.input_loudness is None else round(sound.input_loudness, 2),
        "loudness": None if sound.loudness is None else round(sound.loudness, 2),
        "normalisation": sound.mode,
    }
    return Result(outputs={"audio": out}, meta=meta)
