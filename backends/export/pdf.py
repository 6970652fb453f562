"""The ``pdf`` backend: ``storyboard_pdf`` tasks, a printable storyboard made with reportlab.

Steps: (1) each shot's length in frames, settled by the runtime from the shot's length parameters
and its speech exactly as the shot itself is (``compiler.settle``), so the board gives the real
length before any motion exists; (2) the pages (:mod:`._board`): a title page (title, length,
scenes, cast), then the panels in order, ``panels_per_page`` to a landscape page. Each panel's
picture is its shot's ``panel`` task's ``print`` JPEG, made once per shot at the printed size (200
dpi, ``compiler.boards``) and embedded as it is: nothing here decodes or scales a keyframe, so an
edit of one shot re-renders its panel and re-lays the pages.

The text is set in DejaVu Sans (regular and bold, shipped in ``fonts/`` and embedded as subsets), so
the PDF looks the same on every machine and printer and its text can be searched and copied. A
character the font lacks (Chinese, Japanese, Arabic, ...) prints as U+FFFD; meta ``missing_glyphs``
counts them. Determinism: a fixed creation date, and the document id derives from the content
(``._canvas``).

Version 2: drawn with reportlab instead of fpdf2 (0.03 s to import and parse the fonts, instead of 0.2 to
0.28 s, which was most of the task's time in a one-shot edit); the same pages, other bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from backends.base import BackendError, Result, TaskRun

__all__ = ["CONCURRENT", "KINDS", "NAME", "VERSION", "load", "run", "unload", "warm"]

NAME = "pdf"
VERSION = "2"
KINDS = frozenset({"storyboard_pdf"})
CONCURRENT = True


def load(model: Mapping[str, Any]) -> None:
    return None


def unload(handle: object) -> None:
    return None


def warm() -> None:
    """Import reportlab, parse the fonts and set one small page (0.03 s), so the first storyboard of a
    ``studio watch`` pays for none of it."""
    from ._board import Board

    board = Board("a4", 6, (64, 36))
    board.title_page("studio", [], total_frames=24, fps=24, cast=[])
    board.output()


def _checked(task: TaskRun) -> tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]:
    params = task.params
    for name in ("title", "fps", "width", "height", "shots", "panels_per_page", "paper"):
        if name not in params:
            raise BackendError(f"{task.id}: missing parameter '{name}'")
    for shot in params["shots"]:
        if not isinstance(shot.get("frames"), int):
            raise BackendError(f"{task.id}: shot {shot.get('id')!r} has no settled 'frames'")
        artifact = task.inputs.get(str(shot.get("panel")))
        if artifact is None or "print" not in artifact.outputs:
            raise BackendError(f"{task.id}: no panel input {shot.get('panel')!r} with a 'print' output")
    return params, list(params["shots"])


def run(task: TaskRun, handle: object = None) -> Result:
    from ._board import Board

    params, shots = _checked(task)
    fps = int(params["fps"])
    # 1. lengths
    frames = [int(shot["frames"]) for shot in shots]  # settled by the runtime, as the shots' own
    overlaps = sum(round(float(s["transition"]["duration"]) * fps) for s in shots[:-1] if s.get("transition"))
    board = Board(str(params["paper"]), int(params["panels_per_page"]), (int(params["width"]), int(params["height"])))
    # 2. pages, with each panel's picture as its panel task made it
    board.title_page(str(params["title"]), shots, total_frames=sum(frames) - overlaps, fps=fps,
                     cast=list(params.get("cast", ())))
    for number, (shot, length) in enumerate(zip(shots, frames, strict=True), 1):
        picture = Path(task.inputs[str(shot["panel"])].outputs["print"]).read_bytes()
        try:
            board.panel(number, shot, length, fps, picture)
        except ValueError as exc:  # a picture that is no JPEG
            raise BackendError(f"{task.id}: {shot['panel']}: {exc}") from None
        task.report(number, len(shots) + 1)
    out = task.workdir / "storyboard.pdf"
    out.write_bytes(board.output())
    task.report(len(shots) + 1, len(shots) + 1)
    return Result(outputs={"storyboard.pdf": out},
                  meta={"pages": board.pages, "panels": len(shots), "missing_glyphs": board.missing})
