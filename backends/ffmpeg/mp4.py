"""Read the video track's sample table from an MP4 without decoding anything.

ffprobe is not shipped by imageio-ffmpeg, and decoding a whole shot to learn its frame count or
where its key frames are would cost more than the stream copy it is meant to check. The sample
table boxes (``stsz``: sample count, ``stss``: sync samples) say both.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from backends.base import BackendError

__all__ = ["VideoTrack", "read_video_track"]

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}
_VISUAL_ENTRY = 78
"""Bytes of a VisualSampleEntry before its child boxes (ISO/IEC 14496-12, 12.1.3)."""


@dataclass(frozen=True)
class VideoTrack:
    """The first video track of an MP4 file."""

    frames: int
    """Number of samples (frames)."""
    keyframes: tuple[int, ...]
    """0-based indices of the sync samples (every frame when the file lists none)."""
    timescale: int
    """Ticks per second of the track's timestamps."""
    width: int = 0
    height: int = 0
    codec: str = ""
    """Sample entry type, e.g. ``avc1``."""
    config: bytes = b""
    """The decoder configuration (``avcC``: SPS and PPS); segments join by stream copy only when equal."""
    track_id: int = 0
    """The track's ID (``tkhd``), which the concat demuxer's ``exact_stream_id`` names."""
    tracks: int = 1
    """Tracks in the file, of every kind (a video-only file has one)."""


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in ``data[start:end]``."""
    found = []
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                break
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"box '{kind.decode('latin-1')}' overruns its parent")
        found.append((kind, pos + header, pos + size))
        pos += size
    return found


def _find_moov(f: BinaryIO) -> bytes:
    f.seek(0, 2)
    end = f.tell()
    pos = 0
    while pos + 8 <= end:
        f.seek(pos)
        head = f.read(16)
        size, kind = struct.unpack_from(">I4s", head)
        if size == 1:
            (size,) = struct.unpack_from(">Q", head, 8)
        elif size == 0:
            size = end - pos
        if size < 8:
            break
        if kind == b"moov":
            f.seek(pos)
            return f.read(size)
        pos += size
    raise ValueError("no 'moov' box (not an MP4 file, or a truncated one)")


def _video_track(moov: bytes) -> VideoTrack:
    traks = [(start, end) for kind, start, end in _boxes(moov, 8, len(moov)) if kind == b"trak"]
    for start, end in traks:
        tables: dict[bytes, tuple[int, int]] = {}
        handler = b""
        timescale = 0
        track_id = 0
        stack = [(start, end)]
        while stack:
            s, e = stack.pop()
            for k, ps, pe in _boxes(moov, s, e):
                if k in _CONTAINERS:
                    stack.append((ps, pe))
                elif k == b"hdlr":
                    handler = moov[ps + 8 : ps + 12]
                elif k == b"tkhd":
                    track_id = struct.unpack_from(">I", moov, ps + (20 if moov[ps] == 1 else 12))[0]
                elif k == b"mdhd":
                    version = moov[ps]
                    timescale = struct.unpack_from(">I", moov, ps + (20 if version == 1 else 12))[0]
                elif k in (b"stsz", b"stss", b"stsd"):
                    tables[k] = (ps, pe)
        if handler != b"vide":
            continue
        if b"stsz" not in tables:
            raise ValueError("the video track has no sample table")
        ps, _ = tables[b"stsz"]
        frames = struct.unpack_from(">I", moov, ps + 8)[0]
        if b"stss" in tables:
            ps, _ = tables[b"stss"]
            count = struct.unpack_from(">I", moov, ps + 4)[0]
            keys = tuple(n - 1 for n in struct.unpack_from(f">{count}I", moov, ps + 8))
        else:
            keys = tuple(range(frames))
        return VideoTrack(frames, keys, timescale, *_sample_entry(moov, *tables.get(b"stsd", (0, 0))), track_id,
                          len(traks))
    raise ValueError("no video track")


def _sample_entry(moov: bytes, start: int, end: int) -> tuple[int, int, str, bytes]:
    """Width, height, codec and decoder configuration from the first entry of ``stsd``."""
    entries = _boxes(moov, start + 8, end) if end > start else []
    if not entries:
        return 0, 0, "", b""
    kind, ps, pe = entries[0]
    width, height = struct.unpack_from(">HH", moov, ps + 24)
    config = b""
    if pe - ps > _VISUAL_ENTRY:
        for child, cs, ce in _boxes(moov, ps + _VISUAL_ENTRY, pe):
            if child in (b"avcC", b"hvcC"):
                config = moov[cs:ce]
    return width, height, kind.decode("latin-1"), config


def read_video_track(path: Path, *, label: str | None = None) -> VideoTrack:
    """The video track of ``path``; a damaged file raises ``BackendError`` naming ``label``."""
    try:
        with open(path, "rb") as f:
            return _video_track(_find_moov(f))
    except (ValueError, struct.error, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        raise BackendError(f"{label or path.name}: cannot read video ({reason})") from None
