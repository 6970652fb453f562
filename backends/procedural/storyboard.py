"""Storyboard: a contact sheet of the shots' panels with each shot's id, type, length, moves and lines.

In: a storyboard ``TaskRun``: ``title``, ``fps`` and ``shots`` (``input`` role, ``id``, ``type``,
``duration`` (settled seconds: exact, ``auto`` shots too, since the runtime settles them from their
speech), ``auto``, ``action``, ``dialogue``, ``camera``, ``transition``), and the shots' ``panel``
tasks as inputs by their ids (each a ``thumb``: the keyframe shrunk, with its camera move, figures'
moves, cuts and transition drawn on it, ``panel.py``). Out: ``image``, one PNG: the title, then a grid
(up to four across) of the thumbnails, pasted as they are, each with its caption underneath (what
depends on the film's order and the speech: the length); meta ``shots`` and ``durations`` (the
lengths shown).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from backends.base import BackendError, Result, TaskRun

from ._io import read_image, write_png
from ._text import font, wrap
from .panel import THUMB_H, THUMB_W

COLUMNS = 4
MARGIN, GAP = 32, 24
TITLE, LABEL, BODY = 30, 15, 13
PAPER, INK, GREY = (246, 244, 239), (30, 30, 34), (96, 96, 104)


def run_storyboard(task: TaskRun) -> Result:
    shots = _check(task)
    thumbs = [read_image(_panel(task, s), f"the panel of shot {s.get('id')}") for s in shots]
    for s, thumb in zip(shots, thumbs, strict=True):
        if thumb.shape != (THUMB_H, THUMB_W, 3):
            raise BackendError(f"{task.id}: the panel of shot {s.get('id')!r} is not {THUMB_W}x{THUMB_H}")
    sheet = contact_sheet(str(task.params.get("title") or ""), shots, thumbs)
    task.report(1, 1)
    durations = [round(float(s["duration"]), 3) for s in shots if isinstance(s.get("duration"), (int, float))]
    return Result(outputs={"image": write_png(task.workdir / "storyboard.png", sheet)},
                  meta={"shots": len(shots), "durations": durations})


def _check(task: TaskRun) -> list[Mapping[str, Any]]:
    shots = task.params.get("shots") or []
    if not isinstance(shots, list) or not all(isinstance(s, Mapping) for s in shots):
        raise BackendError(f"{task.id}: shots must be a list of shot descriptions")
    return shots


def _panel(task: TaskRun, shot: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    role = shot.get("input")
    artifact = task.inputs.get(role) if isinstance(role, str) else None
    if artifact is None or "thumb" not in artifact.outputs:
        raise BackendError(f"{task.id}: the panel {role!r} of shot {shot.get('id')!r} is missing")
    return artifact.outputs["thumb"]


def _seconds(value: float) -> str:
    """``4.92``, ``2.5``, ``3``: to the hundredth, without trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _caption(shot: Mapping[str, Any], width: int) -> list[tuple[str, int, tuple[int, int, int]]]:
    """(text, size, colour) lines under a thumbnail."""
    duration = shot.get("duration")  # settled by the runtime: exact, also for auto shots
    length = f"{_seconds(float(duration))} s" if isinstance(duration, (int, float)) else ""
    head = " · ".join(
        x for x in (str(shot.get("id") or ""), str(shot.get("type") or "").replace("_", " "), length) if x
    )
    lines = [(head, LABEL, INK)]
    camera = shot.get("camera") or {}
    move = str(camera.get("move") or "static")
    if move != "static":
        amount = camera.get("amount")
        strength = f" {amount:g}" if isinstance(amount, (int, float)) else ""
        lines.append((f"camera: {move.replace('_', ' ')}{strength}", BODY, GREY))
    lines += [(t, BODY, GREY) for t in wrap(str(shot.get("action") or ""), BODY, width, max_lines=2) if t]
    spoken = [
        f"{d.get('character', '')}: {d.get('text', '')}" for d in shot.get("dialogue") or [] if isinstance(d, Mapping)
    ]
    lines += [(t, BODY, INK) for t in wrap("\n".join(spoken), BODY, width, max_lines=4) if t]
    return lines


def contact_sheet(title: str, shots: list[Mapping[str, Any]], thumbs: list[np.ndarray]) -> np.ndarray:
    cols = max(1, min(COLUMNS, len(shots)))
    rows = math.ceil(len(shots) / cols)
    tw, th = THUMB_W, THUMB_H
    captions = [_caption(s, tw) for s in shots]
    text_h = max((sum(round(size * 1.35) for _, size, _ in c) for c in captions), default=0) + GAP
    title_h = round(TITLE * 1.6) + GAP if title else 0
    width = 2 * MARGIN + cols * tw + (cols - 1) * GAP
    height = 2 * MARGIN + title_h + rows * (th + 8 + text_h)
    sheet = np.empty((height, width, 3), np.uint8)
    sheet[:] = PAPER
    places = []
    for k, thumb in enumerate(thumbs):
        x = MARGIN + (k % cols) * (tw + GAP)
        y = MARGIN + title_h + (k // cols) * (th + 8 + text_h)
        sheet[y - 1 : y + th + 1, x - 1 : x + tw + 1] = INK
        sheet[y : y + th, x : x + tw] = thumb
        places.append((x, y + th + 8))
    image = Image.fromarray(sheet)
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((MARGIN, MARGIN), title, font=font(TITLE), fill=INK)
    for (x, y), lines in zip(places, captions):
        for text, size, colour in lines:
            draw.text((x, y), text, font=font(size), fill=colour)
            y += round(size * 1.35)
    return np.asarray(image)
