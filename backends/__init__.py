"""Render backends. The catalog is static so that ``studio check``/``plan`` and no-op builds
know backend versions (they are part of every cache key) without importing any backend."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["CATALOG", "load_backend"]

CATALOG: dict[str, str] = {
    "procedural": "1",
    "espeak": "1",
    "ffmpeg": "1",
    "diffusers": "1",
    "transformers": "1",
}
"""Backend name -> version. A test checks each module's ``VERSION`` against it."""

_MODULES = {name: f"backends.{name}" for name in CATALOG}


def load_backend(name: str) -> ModuleType:
    """Import a backend module (only when one of its tasks runs)."""
    return importlib.import_module(_MODULES[name])
