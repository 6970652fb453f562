"""PNG in and out (Pillow), with errors the user can act on and no metadata chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from backends.base import BackendError


def write_png(path: Path, pixels: np.ndarray, level: int = 3) -> Path:
    """Write uint8 RGB or RGBA; Pillow adds no time or text chunks, so bytes are reproducible.

    zlib level 3: about as small as the default 6 for these pictures, and 2-3x faster; level 1 for
    pictures only the next task reads."""
    Image.fromarray(np.ascontiguousarray(pixels)).save(path, format="PNG", compress_level=level)
    return path


def read_image(path: Path, what: str, mode: str = "RGB") -> np.ndarray:
    """Read an image as uint8 ``mode`` (RGB or RGBA)."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert(mode))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise BackendError(f"cannot read {what} ({path}): {exc}") from None


def read_fitted(path: Path, width: int, height: int, what: str) -> np.ndarray:
    """Read an image as uint8 RGB of exactly ``width`` x ``height``: scaled to cover the frame
    (Lanczos) and cropped about its centre, so the aspect ratio is kept."""
    from compiler.files import open_image  # decoded no larger than the frame needs

    try:
        with open_image(path, (width, height)) as im:
            fitted = ImageOps.fit(im.convert("RGB"), (width, height), Image.Resampling.LANCZOS)
            return np.asarray(fitted)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise BackendError(f"cannot read {what} ({path}): {exc}") from None


def to_uint8(img: np.ndarray) -> np.ndarray:
    """float 0..1 -> uint8, rounding half up (deterministic)."""
    return np.floor(np.clip(img, 0.0, 1.0) * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)


def interleave(planar: np.ndarray) -> np.ndarray:
    """Planar ``(c, h, w)`` -> interleaved ``(h, w, c)``, contiguous."""
    return np.ascontiguousarray(planar.transpose(1, 2, 0))
