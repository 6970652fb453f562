"""Text with Pillow's built-in font (no system fonts): wrapping, captions, labels.

``ImageFont.load_default(size=...)`` is the FreeType font embedded in Pillow, so the same Pillow
build draws the same pixels on every machine.
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_local = threading.local()


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The built-in font at ``size`` px, cached per thread (the runtime runs tasks on several
    threads, and a FreeType face must not be used by two at once)."""
    cache: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = _local.__dict__.setdefault("fonts", {})
    if size not in cache:
        cache[size] = ImageFont.load_default(size=max(6, size))
    return cache[size]


def wrap(text: str, size: int, width: float, max_lines: int = 99) -> list[str]:
    """Greedy word wrap to ``width`` pixels; the last line ends in '…' when text is cut."""
    f = font(size)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if line and f.getlength(trial) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and f.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def caption(img: np.ndarray, text: str) -> np.ndarray:
    """``img`` (uint8 RGB) with ``text`` in white on a dark band along the bottom."""
    h, w = img.shape[:2]
    size = max(8, round(h / 24))
    lines = wrap(text, size, w * 0.9, max_lines=3)
    if not any(lines):
        return img
    line_h = round(size * 1.25)
    band = line_h * len(lines) + size
    out = img.copy()
    region = out[h - band :].astype(np.uint16)
    out[h - band :] = ((region * 2 + 1) // 5).astype(np.uint8)
    pil = Image.fromarray(out)
    draw = ImageDraw.Draw(pil)
    y = h - band + size // 2
    for line in lines:
        x = (w - font(size).getlength(line)) / 2
        draw.text((round(x), y), line, font=font(size), fill=(255, 255, 255))
        y += line_h
    return np.asarray(pil)


def card(width: int, height: int, text: str, palette: tuple[tuple[float, float, float], ...] = ()) -> np.ndarray:
    """A title card: ``text`` wrapped and centred in light letters on a dark ground (the palette's
    darkest colour when it has one, else near-black); colours are 0-1 floats."""
    ground = tuple(round(c * 255) for c in min(palette, key=sum)) if palette else (12, 12, 16)
    ink = (245, 240, 230) if sum(ground) < 384 else (20, 20, 24)
    pil = Image.new("RGB", (width, height), (ground[0], ground[1], ground[2]))
    draw = ImageDraw.Draw(pil)
    size = max(8, round(height / 12))
    lines = wrap(text, size, width * 0.8, max_lines=6)
    while size > 8 and len(lines) * size * 1.3 > height * 0.8:
        size = max(8, round(size * 0.8))
        lines = wrap(text, size, width * 0.8, max_lines=6)
    line_h = round(size * 1.3)
    y = (height - line_h * len(lines)) / 2
    for line in lines:
        x = (width - font(size).getlength(line)) / 2
        draw.text((round(x), round(y)), line, font=font(size), fill=ink)
        y += line_h
    return np.asarray(pil)
