"""Caption images for burnt-in subtitles and action captions, drawn with Pillow.

The ffmpeg build does have libass and drawtext, but both pick their font through fontconfig from
whatever the machine has installed, so the same task would give different pixels on different
machines. Pillow's built-in font (``ImageFont.load_default``) ships inside the wheel, so these
images are the same everywhere; ffmpeg overlays them on the finished frames (after the camera move
in the shot, after the blend in a transition), so no move crops them and no wipe cuts them.

Subtitles sit near the bottom, white with a black outline; an action caption (``caption: true``)
sits in a dark band along the top, so the two never overlap.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = ["render_action_caption", "render_caption"]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int
) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}".strip()
            if current and draw.textlength(candidate, font=font) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        if current:
            lines.append(current)
    return lines


def render_caption(text: str, width: int, height: int, path: Path) -> Path:
    """Write a transparent ``width`` x ``height`` PNG with ``text`` centred near the bottom."""
    size = max(8, height // 14)
    stroke = max(1, size // 10)
    font = _font(size)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    lines = _wrap(draw, text, font, int(width * 0.9))
    spacing = max(1, size // 5)
    block = "\n".join(lines)
    left, top, right, bottom = draw.multiline_textbbox(
        (0, 0), block, font=font, spacing=spacing, stroke_width=stroke, align="center"
    )
    x = (width - (right - left)) // 2 - left
    y = height - max(2, height // 18) - (bottom - top) - top
    draw.multiline_text(
        (x, y), block, font=font, fill=(255, 255, 255, 255), spacing=spacing, align="center",
        stroke_width=stroke, stroke_fill=(0, 0, 0, 255),
    )  # fmt: skip
    image.save(path, format="PNG", optimize=False)
    return path


def render_action_caption(text: str, width: int, height: int, path: Path) -> Path:
    """Write a ``width`` x ``height`` PNG with ``text`` (at most three lines) on a dark band at the top."""
    size = max(8, height // 24)
    font = _font(size)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    lines = _wrap(draw, text, font, int(width * 0.92))
    if len(lines) > 3:
        lines = lines[:3]
        while lines[2] and draw.textlength(lines[2] + "\u2026", font=font) > width * 0.92:
            lines[2] = lines[2][:-1]
        lines[2] = lines[2].rstrip() + "\u2026"
    line_h = round(size * 1.3)
    band = line_h * len(lines) + size
    draw.rectangle((0, 0, width, band), fill=(12, 12, 16, 166))
    y = size // 2
    for line in lines:
        draw.text(((width - draw.textlength(line, font=font)) // 2, y), line, font=font, fill=(255, 255, 255, 255))
        y += line_h
    image.save(path, format="PNG", optimize=False)
    return path
