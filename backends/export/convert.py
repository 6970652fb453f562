"""``studio export``: the built ``timeline.otio`` in another editor's format, through OpenTimelineIO's
adapter plugins (``otio_json`` ships with OpenTimelineIO; ``fcpx_xml`` and ``cmx_3600`` are
plugins, installed with the ``export`` extra or on their own).

The media paths are rewritten for where the new file lies: relative to it (``otio``, ``edl``), or
absolute ``file://`` URLs (``fcpxml``: Final Cut Pro reads only those). What a format cannot hold is
adapted, never silently wrong: FCPXML (through its adapter) counts every clip in video frames, so
dialogue and music are placed to the nearest frame; an EDL has one picture track and no fade to
black into nothing, so the film's closing fade is left out of it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["FORMATS", "SUFFIXES", "ExportError", "export_timeline"]

FORMATS: dict[str, tuple[str, str | None]] = {
    "otio": ("otio_json", None),
    "fcpxml": ("fcpx_xml", "otio-fcpx-xml-adapter"),
    "edl": ("cmx_3600", "otio-cmx3600-adapter"),
}
"""Format -> (OpenTimelineIO adapter, the package that provides it when OpenTimelineIO does not)."""
SUFFIXES = {".otio": "otio", ".fcpxml": "fcpxml", ".edl": "edl"}


class ExportError(Exception):
    """What went wrong, in words for the user (``args[0]``)."""


def _otio() -> Any:
    try:
        import opentimelineio
    except ImportError:
        raise ExportError("studio export needs OpenTimelineIO: pip install 'studio[export]'") from None
    return opentimelineio


def _relink(timeline: Any, otio: Any, source_dir: Path, out_dir: Path, *, absolute: bool) -> None:
    for clip in timeline.find_clips():
        ref = clip.media_reference
        if not isinstance(ref, otio.schema.ExternalReference) or not ref.target_url:
            continue
        url = ref.target_url
        if "://" in url or os.path.isabs(url):
            continue
        path = (source_dir / url).resolve()
        ref.target_url = path.as_uri() if absolute else Path(os.path.relpath(path, out_dir.resolve())).as_posix()


def _to_frames(timeline: Any, otio: Any, fps: float) -> None:
    """Every audio clip and gap counted in video frames (rounded), as the FCPXML adapter needs."""
    def frames(t: Any) -> Any:
        return otio.opentime.RationalTime(round(t.rescaled_to(fps).value), fps)

    def span(r: Any) -> Any:
        return otio.opentime.TimeRange(frames(r.start_time), frames(r.duration))

    for track in timeline.audio_tracks():
        for item in track:
            if item.source_range is not None:
                item.source_range = span(item.source_range)
            ref = getattr(item, "media_reference", None)
            if ref is not None and ref.available_range is not None:
                ref.available_range = span(ref.available_range)


def _without_closing_fade(timeline: Any, otio: Any) -> None:
    for track in timeline.video_tracks():
        closing = len(track) >= 2 and isinstance(track[-2], otio.schema.Transition)
        if closing and isinstance(track[-1], otio.schema.Gap) and track[-1].duration().value == 0:
            del track[-1]
            del track[-1]


def export_timeline(source: Path, fmt: str, out: Path) -> str:
    """The text of ``source`` (a timeline.otio) written as ``fmt``, for a file at ``out``."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (expected {', '.join(FORMATS)})")
    otio = _otio()
    adapter, package = FORMATS[fmt]
    if adapter not in otio.adapters.available_adapter_names():
        raise ExportError(f"writing {fmt} needs OpenTimelineIO's '{adapter}' adapter, which is not installed: "
                          f"pip install {package}")
    try:
        timeline = otio.adapters.read_from_file(str(source), adapter_name="otio_json")
    except Exception as exc:  # OpenTimelineIO's own exception types, and JSON errors
        raise ExportError(f"{source}: not a readable OpenTimelineIO file ({exc})") from None
    if not isinstance(timeline, otio.schema.Timeline):
        raise ExportError(f"{source}: holds a {type(timeline).__name__}, not a timeline")
    _relink(timeline, otio, source.parent, out.parent, absolute=fmt == "fcpxml")
    if fmt == "fcpxml":
        _to_frames(timeline, otio, timeline.global_start_time.rate if timeline.global_start_time else 24.0)
    if fmt == "edl":
        _without_closing_fade(timeline, otio)
    try:
        text: str = otio.adapters.write_to_string(timeline, adapter)
    except Exception as exc:  # an adapter's own limits, reported as they are
        raise ExportError(f"the {adapter} adapter cannot write this timeline: {type(exc).__name__}: {exc}") from None
    return text if text.endswith("\n") else text + "\n"
