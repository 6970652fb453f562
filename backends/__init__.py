"""Render backends. The catalog is static so that ``studio check``/``plan`` and no-op builds
know backend versions (they are part of every cache key) without importing any backend."""

from __future__ import annotations

import importlib
from importlib import metadata
from types import ModuleType

__all__ = ["CATALOG", "load_backend"]


def _bundled(package: str) -> str:
    """The version of a wheel that ships a binary a backend runs: a new eSpeak NG or ffmpeg build
    may change output bytes, so it is part of the backend's version (and of every key)."""
    try:
        return f"+{package}-{metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return f"+{package}-missing"


_VERSIONS = {"procedural": "1", "espeak": "1", "ffmpeg": "3", "diffusers": "1", "transformers": "2", "openai": "1"}
"""Backend name -> the ``VERSION`` its module declares (a test keeps them equal)."""

_FFMPEG = _bundled("imageio-ffmpeg")
"""Every backend that encodes or filters through the bundled ffmpeg (x264 clips, audio retiming)."""

CATALOG: dict[str, str] = {
    "procedural": _VERSIONS["procedural"] + _FFMPEG,  # motion clips are x264-encoded
    "espeak": _VERSIONS["espeak"] + _bundled("espeakng-loader"),
    "ffmpeg": _VERSIONS["ffmpeg"] + _FFMPEG,
    "diffusers": _VERSIONS["diffusers"] + _FFMPEG,  # motion clips are x264-encoded
    "transformers": _VERSIONS["transformers"] + _FFMPEG,  # pitch and tempo through ffmpeg
    "openai": _VERSIONS["openai"],
}
"""Backend name -> version that enters cache keys. Library versions (torch, diffusers, numpy, Pillow)
do not enter: an upgrade that changes numerics slightly would otherwise re-render every AI shot,
hours of GPU time; a build with a fresh ``--cache DIR`` (or without ``.studio``) renders everything anew."""

_MODULES = {name: f"backends.{name}" for name in CATALOG}


def load_backend(name: str) -> ModuleType:
    """Import a backend module (only when one of its tasks runs)."""
    return importlib.import_module(_MODULES[name])
