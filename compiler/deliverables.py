"""Optional deliverables: the OpenTimelineIO timeline, the printable storyboard and the EXR masters.

Their backends (``otio``, ``pdf``, ``exr``) need libraries of the ``export`` extra, so an
installation may lack them; the caller says which backends it has (the backend catalog, whose
names the compiler otherwise only uses for keys). What happens without them, decided so that
nothing is lost silently and nobody is nagged for what they did not ask for:

- a deliverable the project asks for in writing (``masters: exr``, ``timeline: true``,
  ``storyboard_pdf: {...}``) is an error, E420, at check time: the build could not give what the
  file says;
- one that is merely on by default (the timeline and the PDF) is left out of the plan, with one
  note, W360, that names what to install.

The names of the files these tasks write follow the deliverables of the tasks they read
(``runtime.deliver``): ``shots/<scene>-<shot>.mp4`` and ``audio/<scene>-<shot>-<n>.wav``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from studio_lang import ast
from studio_lang.diagnostics import Diagnostic, Severity, Span

from . import spec
from .files import FileRef
from .film import Film, ShotR

__all__ = [
    "EXPORT_HINT", "OPTIONAL", "check_installed", "file_stem", "masters_task", "storyboard_pdf_task", "timeline_task",
    "wanted",
]

OPTIONAL: dict[str, tuple[str, str, str]] = {
    "timeline": ("otio", "timeline.otio", "opentimelineio"),
    "storyboard_pdf": ("pdf", "storyboard.pdf", "reportlab"),
    "masters": ("exr", "the EXR masters", "OpenEXR and opencolorio"),
}
"""Task kind -> (backend, what it delivers, the packages its backend needs)."""

EXPORT_HINT = "pip install 'studio[export]'"
_KEYS = {"timeline": "timeline", "storyboard_pdf": "storyboard_pdf", "masters": "masters"}


def file_stem(task_id: str) -> str:
    """The name a task's deliverable is filed under: ``shot:cove/peek`` -> ``cove-peek``."""
    return task_id.split(":", 1)[1].replace("/", "-") if ":" in task_id else task_id


def wanted(output: spec.Output) -> list[str]:
    """The optional kinds the output settings ask for (explicitly or by default)."""
    kinds = []
    if output.timeline:
        kinds.append("timeline")
    if output.storyboard_pdf.enabled:
        kinds.append("storyboard_pdf")
    if output.masters == "exr":
        kinds.append("masters")
    return kinds


def _written(output: spec.Output, kind: str) -> bool:
    """Whether the project file itself asks for ``kind`` (not just a default)."""
    if kind == "masters":
        return True  # off unless written
    return _KEYS[kind] in output.model_fields_set


def check_installed(root: ast.Node | None, output: spec.Output, installed: Collection[str],
                    file: str) -> list[Diagnostic]:
    """E420 for each deliverable asked for in writing whose backend is not installed; one W360 note
    for those that are only on by default."""
    out: list[Diagnostic] = []
    skipped: list[str] = []
    packages: list[str] = []
    for kind in wanted(output):
        backend, what, needs = OPTIONAL[kind]
        if backend in installed:
            continue
        if _written(output, kind):
            span = ast.locate(root, ("output", _KEYS[kind])) if root is not None else Span.point(file)
            out.append(Diagnostic.error(
                "E420", f"{what} cannot be made here: the '{backend}' backend needs {needs} (not installed)",
                span, f"install the export extra ({EXPORT_HINT}), or take '{_KEYS[kind]}' out of 'output'"))
        else:
            skipped.append(what)
            packages.append(needs)
    if skipped:
        out.append(Diagnostic(
            Severity.NOTE, "W360",
            f"{' and '.join(skipped)} {'are' if len(skipped) > 1 else 'is'} not made: {' and '.join(packages)} "
            f"{'are' if len(packages) > 1 else 'is'} not installed ({EXPORT_HINT}; or turn "
            f"{'them' if len(skipped) > 1 else 'it'} off in 'output')", None))
    return out


def _line_id(shot: ShotR, number: int) -> str:
    return f"speech:{shot.scene}/{shot.id}/{number}"


def _transition(shot: ShotR) -> dict[str, Any] | None:
    return None if shot.transition is None else {"type": shot.transition.type, "duration": shot.transition.duration}


def _suffix(file: FileRef) -> str:
    suffix = PurePosixPath(file.path).suffix.lower()
    return suffix if suffix[1:].isalnum() else ".audio"


Task = tuple[dict[str, Any], dict[str, str], dict[str, FileRef]]
"""(params, inputs: role -> task id, files: role -> user file) of a task to add to the plan."""


def timeline_task(film: Film, timeline: Sequence[Mapping[str, Any]], sample_rate: int) -> Task:
    """``timeline``: the film's entries (as the film task has them: shot, transition, cut_in, cut_out).
    inputs: the ``shot:...`` tasks (settled lengths and line starts) and the ``speech:...`` tasks (the
    lines' exact lengths), by id. files: the music and effect tracks, which it delivers beside the
    timeline (``tracks/<id>.<ext>``) so that every media path resolves from ``build/``."""
    inputs: dict[str, str] = {}
    shots = []
    for shot, entry in zip(film.shots, timeline, strict=True):
        inputs[entry["shot"]] = entry["shot"]
        lines = []
        for ln in shot.lines:
            tid = _line_id(shot, ln.number)
            inputs[tid] = tid
            lines.append({"input": tid, "character": ln.character, "text": ln.text, "emotion": ln.emotion,
                          "media": f"audio/{file_stem(tid)}.wav"})
        shots.append({**entry, "id": shot.shot_id, "heading": shot.heading, "type": shot.type,
                      "camera": {"move": shot.camera_move, "amount": shot.camera_amount},
                      "transition_type": shot.transition.type if shot.transition else None,
                      "action": shot.action, "media": f"shots/{file_stem(entry['shot'])}.mp4", "lines": lines})
    audio = [{"id": a.id, "kind": a.kind, "file": f"audio:{a.id}", "media": f"tracks/{a.id}{_suffix(a.file)}",
              "start": a.start, "at": f"shot:{a.at}" if a.at else None, "volume": a.volume, "duck": a.duck,
              "loop": a.loop, "fade_in": a.fade_in, "fade_out": a.fade_out} for a in film.audio]
    params = {"title": film.title, "fps": film.fps, "width": film.width, "height": film.height,
              "sample_rate": sample_rate, "shots": shots, "audio": audio}
    return params, inputs, {f"audio:{a.id}": a.file for a in film.audio}


def storyboard_pdf_task(film: Film) -> Task:
    """inputs: the shots' ``panel`` tasks (their pictures at the printed size) and the speech of ``auto``
    shots, by id: each shot carries the length parameters of its shot task (``duration``, ``cut_in``,
    ``cut_out``, ``lines``), which the runtime settles exactly as it settles the shot
    (``compiler.settle``). The board waits for no motion, so it is there even when a video model fails."""
    inputs: dict[str, str] = {}
    shots = []
    cast: dict[str, dict[str, Any]] = {}
    for k, shot in enumerate(film.shots):
        before = film.shots[k - 1].transition if k else None
        panel = f"panel:{shot.scene}/{shot.id}"  # its picture, made once per shot at the printed size
        inputs[panel] = panel
        lines = []
        if shot.duration is None:
            lines = [{"input": _line_id(shot, ln.number)} for ln in shot.lines]
            inputs.update({line["input"]: line["input"] for line in lines})
        for element in shot.characters:
            cast.setdefault(element.name, {"name": element.name, "description": element.description,
                                           "color": element.color})
        shots.append({"panel": panel, "id": shot.shot_id, "heading": shot.heading, "type": shot.type,
                      "duration": shot.duration if shot.duration is not None else "auto", "lines": lines,
                      "cut_in": before.duration if before is not None else 0.0,
                      "cut_out": shot.transition.duration if shot.transition is not None else 0.0,
                      "camera": {"move": shot.camera_move, "amount": shot.camera_amount},
                      "transition": _transition(shot), "action": shot.action,
                      "dialogue": [{"character": ln.character, "text": ln.text, "emotion": ln.emotion}
                                   for ln in shot.lines]})
    pdf = film.output.storyboard_pdf
    params = {"title": film.title, "fps": film.fps, "width": film.width, "height": film.height,
              "panels_per_page": pdf.panels_per_page, "paper": pdf.paper, "cast": list(cast.values()),
              "shots": shots}
    return params, inputs, {}


def masters_task(film: Film, shot: ShotR) -> Task:
    """One shot's masters, from its keyframe and its motion (not the shot mix: a dialogue edit leaves
    them alone, and burnt-in subtitles never reach them)."""
    name = file_stem(f"masters:{shot.scene}/{shot.id}")
    params = {"name": name, "width": film.width, "height": film.height, "fps": film.fps}
    inputs = {"keyframe": f"keyframe:{shot.scene}/{shot.id}", "motion": f"motion:{shot.scene}/{shot.id}"}
    return params, inputs, {}
