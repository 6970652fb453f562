"""Storyboard: a contact sheet of the keyframes with each shot's id, type, length and lines.

In: a storyboard ``TaskRun``: ``title`` and ``shots`` (``input`` role, ``id``, ``type``,
``duration`` (settled seconds), ``auto``, ``action``, ``dialogue``), and the keyframe tasks as
inputs by their ids. Out: ``image``, one PNG: the title, then a grid (up to four across) of
thumbnails, each with its caption underneath; meta ``shots`` and ``durations`` (the lengths shown).
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
from ._warp import axis, resample

THUMB_W = 320
COLUMNS = 4
MARGIN, GAP = 32, 24
TITLE, LABEL, BODY = 30, 15, 13
PAPER, INK, GREY = (246, 244, 239), (30, 30, 34), (96, 96, 104)


def run_storyboard(task: TaskRun) -> Result:
    shots = _check(task)
    thumbs = [thumbnail(read_image(_keyframe(task, s), f"the keyframe of shot {s.get('id')}")) for s in shots]
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


def _keyframe(task: TaskRun, shot: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    role = shot.get("input")
    artifact = task.inputs.get(role) if isinstance(role, str) else None
    if artifact is None or "image" not in artifact.outputs:
        raise BackendError(f"{task.id}: the keyframe {role!r} of shot {shot.get('id')!r} is missing")
    return artifact.outputs["image"]


def thumbnail(img: np.ndarray, width: int = THUMB_W, height: int = THUMB_W * 9 // 16) -> np.ndarray:
    """Crop to the thumbnail's aspect ratio and shrink by area averaging (exact integers)."""
    h, w = img.shape[:2]
    if w * height > h * width:
        cw = round(h * width / height)
        img = img[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    else:
        ch = round(w * height / width)
        img = img[(h - ch) // 2 : (h - ch) // 2 + ch]
    if img.shape[0] < height or img.shape[1] < width:
        sy, sx = img.shape[0] / height, img.shape[1] / width
        return resample(
            np.ascontiguousarray(img),
            axis(height, img.shape[0], sy / 2 - 0.5, sy),
            axis(width, img.shape[1], sx / 2 - 0.5, sx),
        )
    return _area(_area(img, height, 0), width, 1)


def _area(img: np.ndarray, n: int, ax: int) -> np.ndarray:
    size = img.shape[ax]
    edges = np.array([k * size // n for k in range(n + 1)])
    sums = np.cumsum(img.astype(np.int64), axis=ax)
    sums = np.concatenate([np.zeros_like(np.take(sums, [0], axis=ax)), sums], axis=ax)
    total = np.take(sums, edges[1:], axis=ax) - np.take(sums, edges[:-1], axis=ax)
    count = (edges[1:] - edges[:-1]).reshape([-1 if a == ax else 1 for a in range(img.ndim)])
    return ((total * 2 + count) // (count * 2)).astype(np.uint8)


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
    lines += [(t, BODY, GREY) for t in wrap(str(shot.get("action") or ""), BODY, width, max_lines=2) if t]
    spoken = [
        f"{d.get('character', '')}: {d.get('text', '')}" for d in shot.get("dialogue") or [] if isinstance(d, Mapping)
    ]
    lines += [(t, BODY, INK) for t in wrap("\n".join(spoken), BODY, width, max_lines=4) if t]
    return lines


def contact_sheet(title: str, shots: list[Mapping[str, Any]], thumbs: list[np.ndarray]) -> np.ndarray:
    cols = max(1, min(COLUMNS, len(shots)))
    rows = math.ceil(len(shots) / cols)
    tw, th = THUMB_W, THUMB_W * 9 // 16
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
