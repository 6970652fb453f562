"""Storyboard: a contact sheet of the keyframes with each shot's id, type, length, moves and lines.

In: a storyboard ``TaskRun``: ``title``, ``fps`` and ``shots`` (``input`` role, ``id``, ``type``,
``duration`` (settled seconds: exact, ``auto`` shots too, since the runtime settles them from their
speech), ``auto``, ``action``, ``dialogue``, ``camera``, ``transition``), and the keyframe tasks as
inputs by their ids. Out: ``image``, one PNG: the title, then a grid (up to four across) of
thumbnails, each with its caption underneath; meta ``shots`` and ``durations`` (the lengths shown).

On each thumbnail: the camera move as arrows (a pan or tilt one arrow across, a zoom or dolly
corner arrows in or out, a shake a zigzag, a hold a bar), the figures' moves (entrances, exits,
walks, leaps) as arrows from where they start to where they end, a shot that cuts between singles
as a tag naming them in order ("CUTS Alberto > Luca"; the thumbnail is the first single), and the
transition out of the shot as a tag in the corner.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
    thumbs = []
    for s in shots:
        thumb = thumbnail(read_image(_keyframe(task, s), f"the keyframe of shot {s.get('id')}"))
        meta = task.inputs[str(s["input"])].meta
        cuts = [str(c) for c in meta.get("setups") or [] if c] if meta.get("cutting") == "singles" else []
        thumbs.append(marks(thumb, s, meta.get("moves") or [], cuts if len(cuts) > 1 else []))
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


MARK = (255, 214, 64)
SHADOW = (20, 20, 24)


def _arrow(draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], width: int = 3) -> None:
    """An arrow from ``a`` to ``b`` (pixels), light on a dark outline."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / length, dy / length
    head = [b, (b[0] - 9 * ux + 5 * uy, b[1] - 9 * uy - 5 * ux), (b[0] - 9 * ux - 5 * uy, b[1] - 9 * uy + 5 * ux)]
    stem = (a, (b[0] - 7 * ux, b[1] - 7 * uy))
    for colour, w, grow in ((SHADOW, width + 2, 1.0), (MARK, width, 0.0)):
        draw.line(stem, fill=colour, width=w)
        if grow:
            draw.polygon([(x + grow * (x - b[0]) * 0.15, y + grow * (y - b[1]) * 0.15) for x, y in head], fill=colour)
        else:
            draw.polygon(head, fill=colour)


def marks(thumb: np.ndarray, shot: Mapping[str, Any], moves: list[Any], cuts: Sequence[str] = ()) -> np.ndarray:
    """The thumbnail with the camera move, the figures' moves, the cuts between singles (the
    keyframe shows the first: "CUTS Alberto > Luca") and the transition drawn on it."""
    image = Image.fromarray(thumb)
    draw = ImageDraw.Draw(image)
    w, h = image.size
    move = str((shot.get("camera") or {}).get("move") or "static")
    cx, cy, r = w / 2, h / 2, h * 0.3
    pans = {"pan_left": ((cx + r, cy), (cx - r, cy)), "pan_right": ((cx - r, cy), (cx + r, cy)),
            "tilt_up": ((cx, cy + r), (cx, cy - r)), "tilt_down": ((cx, cy - r), (cx, cy + r))}
    if move in pans:
        _arrow(draw, *pans[move])
    elif move.startswith(("zoom", "dolly")):
        inward = move.endswith("_in")
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            outer, inner = (cx + sx * w * 0.42, cy + sy * h * 0.4), (cx + sx * w * 0.28, cy + sy * h * 0.26)
            _arrow(draw, *((outer, inner) if inward else (inner, outer)), width=2)
        if move.startswith("dolly"):
            draw.ellipse((cx - 4, cy - 4, cx + 4, cy + 4), fill=MARK, outline=SHADOW)
    elif move == "shake":
        pts = [(cx - r + k * r / 3, cy + (6 if k % 2 else -6)) for k in range(7)]
        draw.line(pts, fill=SHADOW, width=5)
        draw.line(pts, fill=MARK, width=3)
    elif move == "hold":
        draw.rectangle((w - 30, 8, w - 10, 28), fill=SHADOW)
        draw.rectangle((w - 26, 12, w - 22, 24), fill=MARK)
        draw.rectangle((w - 18, 12, w - 14, 24), fill=MARK)
    for m in moves:
        if isinstance(m, list) and len(m) == 4 and all(isinstance(v, (int, float)) for v in m):
            a = (min(max(m[0], 0.02), 0.98) * w, min(max(m[1], 0.04), 0.96) * h)
            b = (min(max(m[2], 0.02), 0.98) * w, min(max(m[3], 0.04), 0.96) * h)
            if abs(a[0] - b[0]) + abs(a[1] - b[1]) > 6:
                _arrow(draw, a, b, width=2)
    if cuts:
        tag = "CUTS " + " > ".join(cuts)
        size = font(BODY)
        draw.rectangle((0, 0, size.getlength(tag) + 12, BODY + 10), fill=SHADOW)
        draw.text((6, 3), tag, font=size, fill=MARK)
    transition = shot.get("transition")
    if isinstance(transition, Mapping) and transition.get("type"):
        tag = f"{str(transition['type']).upper()} {float(transition.get('duration', 0)):g}s >"
        size = font(BODY)
        tw = size.getlength(tag)
        draw.rectangle((w - tw - 12, h - BODY - 10, w, h), fill=SHADOW)
        draw.text((w - tw - 6, h - BODY - 7), tag, font=size, fill=MARK)
    return np.asarray(image)


def _area(img: np.ndarray, n: int, ax: int) -> np.ndarray:
    size = img.shape[ax]
    if size % n == 0 and size // n <= 256:  # whole blocks (1280 -> 320): k strided slices summed, rounded the same way
        k = size // n
        index: list[slice] = [slice(None)] * img.ndim
        blocks = np.zeros(img.shape[:ax] + (n,) + img.shape[ax + 1 :], np.uint32)
        for j in range(k):
            index[ax] = slice(j, None, k)
            blocks += img[tuple(index)]
        return ((blocks * 2 + k) // (k * 2)).astype(np.uint8)
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
