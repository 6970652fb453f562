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


_VERSIONS = {"procedural": "4", "espeak": "1", "ffmpeg": "6", "diffusers": "3", "transformers": "2",
             "openai": "1", "otio": "1", "pdf": "2", "exr": "1"}
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


def _library(*packages: str) -> str | None:
    """The versions of the libraries an export backend writes its files with (a new OpenTimelineIO,
    reportlab or OpenEXR may write other bytes), or None when one is not installed: the backend is
    then absent from the catalog and its deliverables are not planned (``compiler.deliverables``)."""
    try:
        return "".join(f"+{p}-{metadata.version(p)}" for p in packages)
    except metadata.PackageNotFoundError:
        return None


_EXPORT = {"otio": _library("opentimelineio"), "pdf": _library("reportlab"),
           "exr": _library("OpenEXR", "opencolorio", "numpy")}
"""The ``export`` extra's backends (their tasks are cheap next to AI renders, so library versions may
enter their keys). The masters' colour conversion takes only a matrix and a curve from OpenColorIO
and applies them in numpy (``backends.export._colour``); numpy's version pins that arithmetic."""
CATALOG.update({name: _VERSIONS[name] + libs for name, libs in _EXPORT.items() if libs is not None})

_MODULES = {name: f"backends.{name}" for name in CATALOG}
_MODULES.update({name: f"backends.export.{name}" for name in _EXPORT})


def load_backend(name: str) -> ModuleType:
    """Import a backend module (only when one of its tasks runs)."""
    return importlib.import_module(_MODULES[name])
