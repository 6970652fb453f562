"""The ``otio`` backend: ``timeline`` tasks, the film as an OpenTimelineIO timeline for editors.

Steps: (1) place the shots exactly as the film does (``backends.ffmpeg.timeline.place_shots``, from
the shots' settled frame counts); (2) the picture track: one clip per shot referencing
``shots/<id>.mp4``, the transitions between them centred on the cut (a transition of ``n`` frames
takes ``n // 2`` frames before the cut and the rest after it; the fade out of the last shot takes
its last ``n`` frames, into an empty gap), so that each clip with its transition handles covers
its media exactly, frame for frame, and the track is exactly as long as the film; a marker per
shot (its id, type, camera and action) and one per dialogue line, on the clip that is on screen
when the line starts; (3) dialogue tracks: each line its own clip named by its character, with
the line in its metadata, where the soundtrack puts it (to the sample; overlapping lines go to a
second track); (4) music and effect tracks at their placements, looped like the soundtrack loops
them, their volume, ducking and fades in the metadata (OTIO has no standard for gain); (5) write
``timeline.otio`` with the ``otio_json`` adapter, and copy each track's file to
``tracks/<id>.<ext>`` so that every media path resolves relative to ``build/``.

params, inputs and outputs: backends/README.md (timeline). Determinism: the JSON is written in the
objects' order with fixed indentation, and nothing in it depends on time or on absolute paths.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.base import Artifact, BackendError, Result, TaskRun
from backends.ffmpeg.timeline import Placement, place_shots, shot_frames, track_start

__all__ = ["CONCURRENT", "KINDS", "NAME", "VERSION", "load", "run", "unload", "warm"]

NAME = "otio"
VERSION = "1"
KINDS = frozenset({"timeline"})
CONCURRENT = True

SCHEMA_KEY = "studio"
"""Metadata namespace of everything studio adds to OTIO objects."""


def load(model: Mapping[str, Any]) -> None:
    return None


def unload(handle: object) -> None:
    return None


def warm() -> None:
    """Import OpenTimelineIO ahead of the first timeline (``studio watch``)."""
    opentimelineio()


def opentimelineio() -> Any:
    """The library, or a BackendError that says how to install it."""
    try:
        import opentimelineio
    except ImportError as exc:
        raise BackendError("timeline.otio needs OpenTimelineIO: pip install 'studio[export]'") from exc
    return opentimelineio


@dataclass(frozen=True)
class _Cut:
    """One shot on the picture track, in frames: the media range its clip shows."""

    first: int
    """First media frame of the clip: the frames before it belong to the transition into it, before
    the cut (its ``in_offset``), and are the clip's head handle."""
    end: int
    """Media frame after the clip's last: the frames from here belong to its own transition, after
    the cut (its ``out_offset``), and are the clip's tail handle."""
    record: int
    """Film frame where the clip starts."""


def _cuts(placed: Sequence[Placement]) -> list[_Cut]:
    cuts = []
    record = 0
    for k, p in enumerate(placed):
        last = k == len(placed) - 1
        first = p.cut_in // 2
        end = p.frames - (0 if last else p.cut_out - p.cut_out // 2)
        cuts.append(_Cut(first, end, record))
        record += end - first
    return cuts


def _audio_info(path: Path, label: str) -> tuple[int, int]:
    """(frames, sample rate) of an audio file."""
    import soundfile

    try:
        info = soundfile.info(str(path))
    except Exception as exc:  # soundfile raises its own types, and RuntimeError
        raise BackendError(f"{label}: cannot read audio ({exc})") from None
    return int(info.frames), int(info.samplerate)


class _Builder:
    def __init__(self, task: TaskRun) -> None:
        self.otio = opentimelineio()
        self.task = task
        self.fps = int(task.params["fps"])
        self.rate = int(task.params["sample_rate"])

    def frames(self, value: float) -> Any:
        return self.otio.opentime.RationalTime(value, self.fps)

    def samples(self, value: float, rate: int | None = None) -> Any:
        return self.otio.opentime.RationalTime(value, rate or self.rate)

    def span(self, start: Any, duration: Any) -> Any:
        return self.otio.opentime.TimeRange(start, duration)

    # --- (2) picture -------------------------------------------------------------------------
    def picture(self, shots: Sequence[Mapping[str, Any]], placed: Sequence[Placement], cuts: Sequence[_Cut],
                metas: Sequence[Mapping[str, Any]]) -> Any:
        schema = self.otio.schema
        track = schema.Track(name="Picture", kind=schema.TrackKind.Video)
        for k, (shot, p, cut) in enumerate(zip(shots, placed, cuts, strict=True)):
            ref = schema.ExternalReference(target_url=shot["media"],
                                           available_range=self.span(self.frames(0), self.frames(p.frames)))
            clip = schema.Clip(name=shot["id"], media_reference=ref,
                               source_range=self.span(self.frames(cut.first), self.frames(cut.end - cut.first)),
                               metadata={SCHEMA_KEY: _shot_meta(shot)})
            clip.markers.append(schema.Marker(
                name=shot["id"], marked_range=clip.source_range, color=schema.MarkerColor.GREEN,
                comment=shot.get("action") or "", metadata={SCHEMA_KEY: {"kind": "shot", **_shot_meta(shot)}}))
            track.append(clip)
            if p.transition is not None:
                last = k == len(placed) - 1
                n = p.cut_out
                before = n if last else n // 2
                kind = shot.get("transition_type") or "dissolve"
                track.append(schema.Transition(
                    name=kind,
                    transition_type=schema.TransitionTypes.SMPTE_Dissolve if kind == "dissolve"
                    else schema.TransitionTypes.Custom,
                    in_offset=self.frames(before), out_offset=self.frames(n - before),
                    metadata={SCHEMA_KEY: {"type": kind, "frames": n, "duration": n / self.fps}}))
                if last:  # a fade to black: into nothing
                    track.append(schema.Gap(source_range=self.span(self.frames(0), self.frames(0))))
        for shot, p, meta in zip(shots, placed, metas, strict=True):
            for line, placed_line in zip(shot.get("lines", ()), meta.get("lines", ()), strict=False):
                self.line_marker(track, cuts, p.start + round(float(placed_line["start"]) * self.fps),
                                 round((float(placed_line["end"]) - float(placed_line["start"])) * self.fps),
                                 shot, line)
        return track

    def line_marker(self, track: Any, cuts: Sequence[_Cut], at: int, frames: int, shot: Mapping[str, Any],
                    line: Mapping[str, Any]) -> None:
        """A dialogue marker on the clip on screen at film frame ``at``."""
        clips = [c for c in track if isinstance(c, self.otio.schema.Clip)]
        for clip, cut in zip(clips, cuts, strict=True):
            if cut.record <= at < cut.record + (cut.end - cut.first) or clip is clips[-1]:
                schema = self.otio.schema
                clip.markers.append(schema.Marker(
                    name=f"{line['character']}: {line['text']}",
                    marked_range=self.span(self.frames(cut.first + at - cut.record), self.frames(max(frames, 0))),
                    color=schema.MarkerColor.YELLOW, comment=str(line["text"]),
                    metadata={SCHEMA_KEY: {"kind": "dialogue", "shot": shot["id"], "character": line["character"],
                                           "line": line["text"], "emotion": line.get("emotion")}}))
                return

    # --- (3) dialogue, (4) music and effects -------------------------------------------------
    def lay(self, name: str, items: Sequence[tuple[float, Any]]) -> list[Any]:
        """Audio tracks holding ``(start in samples at the film rate, clip)`` items; an item that
        would overlap the one before it goes to the next track."""
        schema = self.otio.schema
        tracks: list[tuple[Any, float]] = []
        for start, clip in sorted(items, key=lambda item: item[0]):
            length = clip.source_range.duration.rescaled_to(self.rate).value
            i = next((n for n, (_, end) in enumerate(tracks) if end <= start), len(tracks))
            if i == len(tracks):
                tracks.append((schema.Track(name=f"{name} {i + 1}" if i else name, kind=schema.TrackKind.Audio),
                               0.0))
            track, end = tracks[i]
            if start > end:
                track.append(schema.Gap(source_range=self.span(self.samples(0), self.samples(start - end))))
            track.append(clip)
            tracks[i] = (track, start + length)
        return [t for t, _ in tracks]

    def audio_clip(self, name: str, media: str, frames: int, rate: int, first: int, length: int,
                   meta: dict[str, Any]) -> Any:
        schema = self.otio.schema
        ref = schema.ExternalReference(target_url=media,
                                       available_range=self.span(self.samples(0, rate), self.samples(frames, rate)))
        return schema.Clip(name=name, media_reference=ref, metadata={SCHEMA_KEY: meta},
                           source_range=self.span(self.samples(first, rate), self.samples(length, rate)))

    def dialogue(self, shots: Sequence[Mapping[str, Any]], placed: Sequence[Placement],
                 metas: Sequence[Mapping[str, Any]]) -> list[Any]:
        items = []
        for shot, p, meta in zip(shots, placed, metas, strict=True):
            placed_lines = list(meta.get("lines", ()))
            lines = list(shot.get("lines", ()))
            if len(placed_lines) != len(lines):
                raise BackendError(f"{shot['shot']}: the shot placed {len(placed_lines)} lines, the timeline has "
                                   f"{len(lines)}")
            for line, where in zip(lines, placed_lines, strict=True):
                speech = _input(self.task, str(line["input"]), "audio")
                frames, rate = _audio_info(speech, str(line["input"]))
                at = round(p.start * self.rate / self.fps) + round(float(where["start"]) * self.rate)
                meta_line = {"shot": shot["id"], "character": line["character"], "line": line["text"],
                             "emotion": line.get("emotion"), "speech": line["input"]}
                items.append((at, self.audio_clip(str(line["character"]), str(line["media"]), frames, rate, 0,
                                                  frames, meta_line)))
        return self.lay("Dialogue", items)

    def tracks(self, placed: Sequence[Placement], total: int) -> tuple[list[Any], dict[str, Path]]:
        """Music and effect tracks, and the files to deliver beside the timeline."""
        film_end = total * self.rate / self.fps
        by_kind: dict[str, list[tuple[float, Any]]] = {"music": [], "effect": []}
        copies: dict[str, Path] = {}
        for track in self.task.params.get("audio", ()):
            role, media = str(track["file"]), str(track["media"])
            path = self.task.files.get(role)
            if path is None:
                raise BackendError(f"audio track {track.get('id')!r}: no file '{role}' among the task's files")
            copies[media] = path
            frames, rate = _audio_info(path, str(path.name))
            at: float = round(track_start(track, placed, self.fps) * self.rate)
            meta = {k: track.get(k) for k in ("id", "kind", "volume", "duck", "loop", "fade_in", "fade_out")}
            length = frames * self.rate / rate  # at the film rate
            repeats = 0
            while at < film_end and frames and (repeats == 0 or track.get("loop")):
                room = film_end - at
                used = frames if length <= room else round(room * rate / self.rate)
                if used <= 0:
                    break
                clip = self.audio_clip(str(track["id"]), media, frames, rate, 0, used, {**meta, "repeat": repeats})
                by_kind.setdefault(str(track.get("kind", "music")), []).append((at, clip))
                at += used * self.rate / rate
                repeats += 1
        names = {"music": "Music", "effect": "Effects"}
        laid = [t for kind, items in by_kind.items() for t in self.lay(names.get(kind, kind.title()), items)]
        return laid, copies


def _shot_meta(shot: Mapping[str, Any]) -> dict[str, Any]:
    return {"shot": shot["id"], "heading": shot.get("heading"), "type": shot.get("type"),
            "camera": shot.get("camera"), "action": shot.get("action"),
            "dialogue": [{"character": ln["character"], "line": ln["text"], "emotion": ln.get("emotion")}
                         for ln in shot.get("lines", ())]}


def _input(task: TaskRun, role: str, output: str) -> Path:
    artifact: Artifact | None = task.inputs.get(role)
    if artifact is None or output not in artifact.outputs:
        raise BackendError(f"{task.id}: no input '{role}' with an '{output}' output")
    return Path(artifact.outputs[output])


def run(task: TaskRun, handle: object = None) -> Result:
    params = task.params
    for name in ("fps", "sample_rate", "shots", "title"):
        if name not in params:
            raise BackendError(f"{task.id}: missing parameter '{name}'")
    shots = list(params["shots"])
    fps = int(params["fps"])
    for shot in shots:
        if shot["shot"] not in task.inputs:
            raise BackendError(f"{task.id}: no input for {shot['shot']}")
    # 1. where every shot sits, as the film places it
    lengths = {str(s["shot"]): shot_frames(str(s["shot"]), task.inputs[str(s["shot"])], fps) for s in shots}
    placed, total = place_shots(shots, lengths, fps)
    metas = [task.inputs[str(s["shot"])].meta for s in shots]
    b = _Builder(task)
    otio = b.otio
    timeline = otio.schema.Timeline(name=str(params["title"]), global_start_time=b.frames(0), metadata={
        SCHEMA_KEY: {"fps": fps, "resolution": [params.get("width"), params.get("height")], "frames": total,
                     "film": "final.mp4", "soundtrack": "soundtrack.m4a"}})
    # 2. picture, 3. dialogue, 4. music and effects
    timeline.tracks.append(b.picture(shots, placed, _cuts(placed), metas))
    task.report(1, 3)
    for track in b.dialogue(shots, placed, metas):
        timeline.tracks.append(track)
    laid, copies = b.tracks(placed, total)
    for track in laid:
        timeline.tracks.append(track)
    task.report(2, 3)
    # 5. the file, and the tracks' media beside it
    out = task.workdir / "timeline.otio"
    out.write_text(otio.adapters.write_to_string(timeline, "otio_json") + "\n", encoding="utf-8")
    outputs = {"timeline.otio": out}
    for media, source in copies.items():
        dest = task.workdir / media
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        outputs[media] = dest
    task.report(3, 3)
    lines = sum(len(s.get("lines", ())) for s in shots)
    return Result(outputs=outputs, meta={"frames": total, "duration": total / fps, "shots": len(shots),
                                         "lines": lines, "audio_tracks": len(timeline.audio_tracks())})
