"""A shot's storyboard panel: its pictures, made once per shot and pasted or embedded by the boards.

In: a ``panel`` ``TaskRun``: the shot's keyframe as the ``keyframe`` input (its meta ``moves``,
``setups`` and ``cutting`` mark the figures' moves and the cuts between singles), and ``move`` (the
camera move), ``transition`` (``{"type", "duration"}`` out of the shot, or null), ``sheet`` (make the
contact sheet's picture) and ``print`` (``{"width": pixels}``: make the printable board's picture, or
null). Nothing about the shot's place in the film (its number, start, neighbours) and nothing that
settles with the speech: those are the assembling tasks' (``storyboard``, ``storyboard_pdf``), so an
edit of one shot re-renders its panel alone.
Out: ``thumb`` (PNG, ``THUMB_W`` x ``THUMB_H``: the keyframe cropped and shrunk, with the marks drawn
on it) when ``sheet``; ``print`` (JPEG, the keyframe scaled down to ``print.width`` pixels, never up,
without marks: the PDF prints the moves and the transition as words) when ``print``.

On the thumbnail: the camera move as arrows (a pan or tilt one arrow across, a zoom or dolly corner
arrows in or out, a shake a zigzag, a hold a bar), the figures' moves (entrances, exits, walks,
leaps) as arrows from where they start to where they end, a shot that cuts between singles as a tag
naming them in order ("CUTS Alberto > Luca"; the thumbnail is the first single), and the transition
out of the shot as a tag in the corner.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from backends.base import BackendError, Result, TaskRun

from ._io import read_image, write_png
from ._text import font
from ._warp import axis, resample

__all__ = ["MARK", "THUMB_H", "THUMB_W", "marks", "print_jpeg", "run_panel", "thumbnail"]

THUMB_W = 320
THUMB_H = THUMB_W * 9 // 16
BODY = 13
JPEG_QUALITY = 88
"""The print picture's JPEG quality (4:4:4, baseline): the PDF embeds these bytes as they are."""


def run_panel(task: TaskRun) -> Result:
    keyframe = task.inputs.get("keyframe")
    if keyframe is None or "image" not in keyframe.outputs:
        raise BackendError(f"{task.id}: no keyframe input with an 'image' output")
    sheet, printed = bool(task.params.get("sheet")), task.params.get("print")
    if not sheet and not printed:
        raise BackendError(f"{task.id}: a panel makes the contact sheet's picture ('sheet'), the printed one "
                           "('print') or both")
    if printed and (not isinstance(printed, Mapping) or not isinstance(printed.get("width"), int)
                    or printed["width"] < 1):
        raise BackendError(f"{task.id}: 'print' must be a mapping with a positive integer 'width'")
    image = read_image(keyframe.outputs["image"], f"the keyframe of {task.id}")
    outputs = {}
    if sheet:
        meta = keyframe.meta
        cuts = [str(c) for c in meta.get("setups") or [] if c] if meta.get("cutting") == "singles" else []
        shot = {"camera": {"move": task.params.get("move")}, "transition": task.params.get("transition")}
        drawn = marks(thumbnail(image), shot, meta.get("moves") or [], cuts if len(cuts) > 1 else [])
        outputs["thumb"] = write_png(task.workdir / "thumb.png", drawn, level=1)  # read by the storyboard only
    if printed:
        path = task.workdir / "print.jpg"
        path.write_bytes(print_jpeg(image, int(printed["width"])))
        outputs["print"] = path
    task.report(1, 1)
    return Result(outputs=outputs, meta={})


def print_jpeg(image: np.ndarray, width: int) -> bytes:
    """The picture scaled (Lanczos; never up) to ``width`` pixels across, as JPEG bytes."""
    picture = Image.fromarray(image)
    width = min(picture.width, width)
    if width < picture.width:
        picture = picture.resize((width, max(1, round(picture.height * width / picture.width))),
                                 Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False, subsampling=0)
    return out.getvalue()


def thumbnail(img: np.ndarray, width: int = THUMB_W, height: int = THUMB_H) -> np.ndarray:
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
