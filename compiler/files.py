"""User files a project refers to (reference images, audio): checked, confined, digested.

Project files are untrusted: a referenced path must stay inside the project directory (or a
directory the *user* allowed on the command line), must exist and must be readable media.
Files enter cache keys by content digest only, never by path. ``FileDigester`` is the seam the
runtime uses to plug in a stat-keyed digest cache.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from studio_lang.diagnostics import Diagnostic, Span

__all__ = ["FileDigester", "FileRef", "ProjectFiles", "hash_file"]

Media = Literal["image", "audio"]
FileDigester = Callable[[Path], str]
"""Returns the SHA-256 hex digest of a file's content."""

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM")
_AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif"}


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class FileRef:
    """A checked user file."""

    path: str
    """As written in the project, normalised (posix, relative); for messages and roles."""
    absolute: Path
    digest: str


class ProjectFiles:
    """Checks and digests the files of one project; each file is checked once per compile."""

    def __init__(self, root: Path, allowed: Sequence[Path] = (), digester: FileDigester = hash_file) -> None:
        self.root = root.resolve()
        self.allowed = tuple(p.resolve() for p in allowed)
        self.digester = digester
        self._cache: dict[tuple[str, str], FileRef | Diagnostic] = {}

    def check(self, written: str, media: Media, span: Span) -> FileRef | Diagnostic:
        key = (written, media)
        if key not in self._cache:
            self._cache[key] = self._check(written, media, span)
        found = self._cache[key]
        if isinstance(found, Diagnostic):  # report at this use, not the first one
            return Diagnostic(found.severity, found.code, found.message, span, found.hint)
        return found

    def _check(self, written: str, media: Media, span: Span) -> FileRef | Diagnostic:
        if "\x00" in written:
            return Diagnostic.error("E305", "file name contains a NUL character", span)
        pure = PurePosixPath(written.replace("\\", "/"))
        candidate = Path(written) if pure.is_absolute() else self.root / Path(*pure.parts)
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError) as exc:
            return Diagnostic.error("E305", f"cannot resolve '{written}': {exc}", span)
        if not self.inside(real):
            return Diagnostic.error(
                "E306", f"'{written}' is outside the project directory", span,
                "keep referenced files inside the project, or allow the directory with --allow-path")
        if not real.is_file():
            hint = "check the spelling; paths are relative to the project file's directory"
            near = _nearby(real)
            if near:
                hint = f"did you mean '{near}'?"
            return Diagnostic.error("E305", f"file not found: '{written}'", span, hint)
        problem = _probe(real, media)
        if problem:
            return Diagnostic.error("E307", f"'{written}' {problem}", span,
                                    "re-export the file" if media == "image" else "re-export it as WAV or FLAC")
        try:
            digest = self.digester(real)
        except OSError as exc:
            return Diagnostic.error("E307", f"cannot read '{written}': {exc.strerror or exc}", span)
        return FileRef(pure.as_posix(), real, digest)

    def inside(self, real: Path) -> bool:
        """Whether a resolved path lies in the project directory or a directory the user allowed."""
        return any(real == base or base in real.parents for base in (self.root, *self.allowed))


def _nearby(path: Path) -> str | None:
    import difflib

    try:
        names = os.listdir(path.parent)
    except OSError:
        return None
    match = difflib.get_close_matches(path.name, names, n=1, cutoff=0.7)
    return match[0] if match else None


def _probe(path: Path, media: Media) -> str | None:
    """Why the file is not usable media, or None. Full decode for images (they are small)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if media == "image":
        if not head.startswith(_IMAGE_MAGIC):
            return "is not an image (PNG, JPEG, GIF, WebP or BMP)"
        try:
            from PIL import Image

            with Image.open(path) as img:
                img.load()
        except Exception as exc:  # Pillow raises many types for damaged data
            return f"is not a readable image ({type(exc).__name__}: {exc})"
        return None
    if path.suffix.lower() not in _AUDIO_SUFFIXES:
        return f"has an unsupported audio type '{path.suffix}' (use WAV, FLAC or OGG)"
    try:
        import soundfile

        info = soundfile.info(str(path))
    except Exception as exc:  # libsndfile errors are RuntimeError/LibsndfileError
        return f"is not readable audio ({exc})"
    if info.frames <= 0 or info.samplerate <= 0:
        return "holds no audio"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _wav_truncated(path)
    return None


def _wav_truncated(path: Path) -> str | None:
    """Why a WAV file is cut short (its data chunk promises more bytes than follow), or None.

    libsndfile plays such a file up to where it ends, so a half-copied music track would go
    unnoticed. A size of 0 or 0xFFFFFFFF is a streaming writer's "unknown" and passes."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            chunk = f.read(8)
            declared = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                present = size - offset - 8
                if declared in (0, 0xFFFFFFFF) or declared <= present:
                    return None
                return (f"is cut short: its header promises {declared} bytes of audio but {present} follow "
                        "(an interrupted copy or export?)")
            offset += 8 + declared + (declared & 1)
    return None
