"""Caption images for burnt-in subtitles, drawn with Pillow.

The ffmpeg build does have libass and drawtext, but both pick their font through fontconfig from
whatever the machine has installed, so the same task would give different pixels on different
machines. Pillow's built-in font (``ImageFont.load_default``) ships inside the wheel, so these
images are the same everywhere; ffmpeg overlays them on the frames of each line.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = ["render_caption"]


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
