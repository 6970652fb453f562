"""The ``pdf`` backend: ``storyboard_pdf`` tasks, a printable storyboard made with fpdf2.

Steps: (1) each shot's length in frames, settled by the runtime from the shot's length parameters
and its speech exactly as the shot itself is (``compiler.settle``), so the board gives the real
length before any motion exists; (2) each keyframe scaled to its printed size at 200 dpi and embedded as JPEG;
(3) the pages (:mod:`._board`): a title page (title, length, scenes, cast), then the panels in
order, ``panels_per_page`` to a landscape page.

The text is set in DejaVu Sans (regular and bold, shipped in ``fonts/`` and embedded as subsets), so
the PDF looks the same on every machine and printer and its text can be searched and copied. A
character the font lacks (Chinese, Japanese, Arabic, ...) prints as U+FFFD; meta ``missing_glyphs``
counts them. Determinism: a fixed creation date, and the document id derives from the content.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from backends.base import BackendError, Result, TaskRun

__all__ = ["CONCURRENT", "KINDS", "NAME", "VERSION", "load", "run", "unload"]

NAME = "pdf"
VERSION = "1"
KINDS = frozenset({"storyboard_pdf"})
CONCURRENT = True

DPI = 200
"""Resolution keyframes are printed at (they are scaled down to it, never up)."""
JPEG_QUALITY = 88


def load(model: Mapping[str, Any]) -> None:
    return None


def unload(handle: object) -> None:
    return None



def _keyframe_jpeg(path: Path, width_mm: float) -> bytes:
    """The keyframe scaled (never up) to ``width_mm`` at ``DPI``, as JPEG bytes."""
    from PIL import Image

    with Image.open(path) as img:
        picture = img.convert("RGB")
    width = min(picture.width, max(16, round(width_mm / 25.4 * DPI)))
    if width < picture.width:
        picture = picture.resize((width, max(1, round(picture.height * width / picture.width))),
                                 Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False, subsampling=0)
    return out.getvalue()


def _checked(task: TaskRun) -> tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]:
    params = task.params
    for name in ("title", "fps", "width", "height", "shots", "panels_per_page", "paper"):
        if name not in params:
            raise BackendError(f"{task.id}: missing parameter '{name}'")
    for shot in params["shots"]:
        if not isinstance(shot.get("frames"), int):
            raise BackendError(f"{task.id}: shot {shot.get('id')!r} has no settled 'frames'")
        artifact = task.inputs.get(str(shot["keyframe"]))
        if artifact is None or "image" not in artifact.outputs:
            raise BackendError(f"{task.id}: no keyframe input '{shot['keyframe']}' with an 'image' output")
    return params, list(params["shots"])


def run(task: TaskRun, handle: object = None) -> Result:
    from ._board import Board, panel_size

    params, shots = _checked(task)
    fps = int(params["fps"])
    # 1. lengths
    frames = [int(shot["frames"]) for shot in shots]  # settled by the runtime, as the shots' own
    overlaps = sum(round(float(s["transition"]["duration"]) * fps) for s in shots[:-1] if s.get("transition"))
    board = Board(str(params["paper"]), int(params["panels_per_page"]), (int(params["width"]), int(params["height"])))
    # 2. pictures at their printed size
    image_mm = panel_size(board)[0]
    pictures = []
    for k, shot in enumerate(shots):
        pictures.append(_keyframe_jpeg(Path(task.inputs[str(shot["keyframe"])].outputs["image"]), image_mm))
        task.report(k + 1, len(shots) + 1)
    # 3. pages
    board.title_page(str(params["title"]), shots, total_frames=sum(frames) - overlaps, fps=fps,
                     cast=list(params.get("cast", ())))
    for number, (shot, length, picture) in enumerate(zip(shots, frames, pictures, strict=True), 1):
        board.panel(number, shot, length, fps, picture)
    out = task.workdir / "storyboard.pdf"
    out.write_bytes(board.output())
    task.report(len(shots) + 1, len(shots) + 1)
    return Result(outputs={"storyboard.pdf": out},
                  meta={"pages": board.pages, "panels": len(shots), "missing_glyphs": board.missing})
