"""User files a project refers to (reference images, audio): checked, confined, digested.

Project files are untrusted: a referenced path must stay inside the project directory (or a
directory the *user* allowed on the command line), must be a regular file (a FIFO, a device or a
directory is named as such, never opened in a way that could block: ``studio_lang.readfile``) of a
bounded size, and must be readable media. An image is also bounded in pixels relative to the
frame (``max_pixels``): its header is read first, so a 13000x13000 PNG of 500 KB is refused before
a byte of it is decoded, and ``open_image`` decodes the ones that pass at the size a task needs.
Files enter cache keys by content digest only, never by path. ``FileDigester`` is the seam the
runtime uses to plug in a stat-keyed digest cache.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from studio_lang.diagnostics import Diagnostic, Span
from studio_lang.readfile import Unreadable, name_problem, open_regular
from studio_lang.readfile import problem as path_problem

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["FileDigester", "FileRef", "ProjectFiles", "hash_file", "image_size", "max_pixels", "open_image"]

Media = Literal["image", "audio"]
FileDigester = Callable[[Path], str]
"""Returns the SHA-256 hex digest of a file's content."""

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM")
_AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif"}
MAX_BYTES: dict[str, int] = {"image": 256 * 2**20, "audio": 4 * 2**30}
"""Largest referenced file read, per media: more is not a picture or a soundtrack someone meant."""
MIN_PIXELS = 2048 * 2048
FRAME_FACTOR = 16
"""An image may have ``FRAME_FACTOR`` times the frame's pixels (a 4x larger picture each way), and
never fewer than ``MIN_PIXELS``: every task scales it down to the frame (or to 224x224 for an
IP-Adapter), so more pixels only cost memory and time."""


_REDUCIBLE = frozenset({"L", "LA", "La", "RGB", "RGBA", "RGBa", "I", "F"})


def max_pixels(frame: tuple[int, int] | None) -> int:
    """The most pixels a reference or start image may have for a film of ``frame`` (width, height)."""
    return max(MIN_PIXELS, FRAME_FACTOR * frame[0] * frame[1]) if frame else MIN_PIXELS


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def open_image(path: Path, size: tuple[int, int] | None = None, limit: int | None = None) -> Image:
    """A checked image (``ProjectFiles`` passed it), decoded no larger than ``size`` needs.

    The pixel count is read from the header and refused past ``limit`` before decoding (Pillow's
    own bomb check only starts at 89 million pixels). With a ``size``, a JPEG decodes at 1/2 to 1/8
    scale (``draft``) and any other format is reduced by an integer factor (a box filter) right after
    decoding, never below ``size`` either way, so the caller's final resample starts from less than
    twice the size it needs each way instead of the whole picture. Raises OSError or ValueError with
    the reason (the caller names the file)."""
    import warnings

    from PIL import Image as PILImage

    with open_regular(path, MAX_BYTES["image"]) as f, warnings.catch_warnings():
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        try:
            img = PILImage.open(f)
        except PILImage.DecompressionBombError as exc:  # past twice Pillow's limit: the header alone says so
            found = re.search(r"\((\d+) pixels\)", str(exc))
            count = f"{int(found.group(1)):,}" if found else "too many"
            raise ValueError(f"it has {count} pixels" + (f"; at most {limit:,}" if limit else "")) from None
        try:
            width, height = img.size
            if limit is not None and width * height > limit:
                raise ValueError(f"{width}x{height} is {width * height:,} pixels; at most {limit:,}")
            if size is not None:
                img.draft("RGB", size)
            img.load()  # the first frame, decoded while the file is open
        except BaseException:
            img.close()
            raise
        factor = min(img.size[0] // max(size[0], 1), img.size[1] // max(size[1], 1)) if size is not None else 1
        if factor > 1:
            source = img if img.mode in _REDUCIBLE else img.convert("RGBA")  # palette or 1-bit pictures
            reduced = source.reduce(factor)
            img.close()  # the full-size picture goes now, not when the caller is done
            return reduced
        return img


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height from an image's header (nothing decoded), or None."""
    import warnings

    from PIL import Image as PILImage

    try:
        with open_regular(path) as f, warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(f) as img:
                return img.size
    except Exception:  # noqa: BLE001 - Pillow raises many types; None says "unknown"
        return None


@dataclass(frozen=True)
class FileRef:
    """A checked user file."""

    path: str
    """As written in the project, normalised (posix, relative); for messages and roles."""
    absolute: Path
    digest: str


class ProjectFiles:
    """Checks and digests the files of one project; each file is checked once per compile."""

    def __init__(self, root: Path, allowed: Sequence[Path] = (), digester: FileDigester = hash_file,
                 frame: tuple[int, int] | None = None) -> None:
        self.root = root.resolve()
        self.allowed = tuple(p.resolve() for p in allowed)
        self.digester = digester
        self.frame = frame
        """The film's (width, height): images are bounded by ``max_pixels(frame)``."""
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
        named = name_problem(candidate)
        if named:
            return Diagnostic.error("E305", f"'{_short(written)}' {named}", span, "shorten the file or folder name")
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError) as exc:
            return Diagnostic.error("E305", f"cannot resolve '{written}': {exc}", span)
        if not self.inside(real):
            return Diagnostic.error(
                "E306", f"'{written}' is outside the project directory", span,
                "keep referenced files inside the project, or allow the directory with --allow-path")
        why = path_problem(real, MAX_BYTES[media])
        if why == "does not exist":
            hint = "check the spelling; paths are relative to the project file's directory"
            near = _nearby(real)
            if near:
                hint = f"did you mean '{near}'?"
            return Diagnostic.error("E305", f"file not found: '{written}'", span, hint)
        if why and "too large" not in why:
            kinds = "PNG, JPEG, WebP" if media == "image" else "WAV, FLAC, OGG"
            return Diagnostic.error("E305", f"'{written}' {why}", span, f"name an {media} file ({kinds})")
        limit = max_pixels(self.frame)
        trouble = why or _probe(real, media, limit)
        if trouble:
            hint = "re-export the file" if media == "image" else "re-export it as WAV or FLAC"
            if media == "image" and "pixels" in trouble:
                why_limit = f"{FRAME_FACTOR} times the {self.frame[0]}x{self.frame[1]} frame" \
                    if self.frame and limit > MIN_PIXELS else "2048x2048, the least any frame allows"
                fit = _fit(real, limit)
                hint = f"images here may have {limit:,} pixels ({why_limit}): scale it down" \
                    + (f", e.g. to {fit}" if fit else "")
            return Diagnostic.error("E307", f"'{written}' {trouble}", span, hint)
        try:
            digest = self.digester(real)
        except Unreadable as exc:
            return Diagnostic.error("E305", f"'{written}' {exc}", span)
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


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _fit(path: Path, limit: int) -> str | None:
    """A size within ``limit`` pixels with the image's aspect ratio, for a hint."""
    size = image_size(path)
    if size is None:
        return None
    scale = math.sqrt(limit / (size[0] * size[1]))
    return f"{max(int(size[0] * scale) // 2 * 2, 2)}x{max(int(size[1] * scale) // 2 * 2, 2)}"


def _probe(path: Path, media: Media, max_pixels: int) -> str | None:
    """Why the file is not usable media, or None. Images are decoded (reduced) to find damage."""
    try:
        with open_regular(path) as f:
            head = f.read(16)
    except (Unreadable, OSError) as exc:
        return f"cannot be read: {getattr(exc, 'strerror', None) or exc}"
    if media == "image":
        if not head.startswith(_IMAGE_MAGIC):
            return "is not an image (PNG, JPEG, GIF, WebP or BMP)"
        try:
            open_image(path, (256, 256), max_pixels)
        except ValueError as exc:
            if "pixels" in str(exc):
                return f"is too large: {exc}"
            return f"is not a readable image ({type(exc).__name__}: {exc})"
        except Exception as exc:  # Pillow raises many types for damaged data
            return f"is not a readable image ({type(exc).__name__}: {exc})"
        return None
    if path.suffix.lower() not in _AUDIO_SUFFIXES:
        return f"has an unsupported audio type '{path.suffix}' (use WAV, FLAC or OGG)"
    wav = head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if wav:
        trouble = _wav_truncated(path)  # first: it bounds the chunks any reader below walks
        if trouble:
            return trouble
        pcm = _pcm_wav_frames(path)
        if pcm is not None:  # read by the standard library: no numpy or libsndfile in check and plan
            return "holds no audio" if pcm <= 0 else None
    try:
        import soundfile

        with open_regular(path) as f:
            info = soundfile.info(f)
    except Exception as exc:  # libsndfile errors are RuntimeError/LibsndfileError
        return f"is not readable audio ({exc})"
    if info.frames <= 0 or info.samplerate <= 0:
        return "holds no audio"
    return None


def _pcm_wav_frames(path: Path) -> int | None:
    """The frames of an integer PCM WAV file as the standard library reads it, or None when it cannot
    (float samples, WAVE_FORMAT_EXTENSIBLE, damage): libsndfile then decides."""
    import wave

    try:
        with open_regular(path) as f, wave.open(f) as w:
            return w.getnframes() if w.getframerate() > 0 and w.getnchannels() > 0 else 0
    except (wave.Error, EOFError, OSError, Unreadable, ValueError):
        return None


WAV_CHUNKS = 1000
"""Chunks a WAV file may have before its audio: real ones have a handful (fmt, LIST, fact, data);
a file of millions of empty chunks would keep any reader walking them for minutes."""


def _wav_truncated(path: Path) -> str | None:
    """Why a WAV file is cut short (its data chunk promises more bytes than follow) or has more than
    ``WAV_CHUNKS`` chunks before its audio, or None.

    libsndfile plays such a file up to where it ends, so a half-copied music track would go
    unnoticed. A size of 0 or 0xFFFFFFFF is a streaming writer's "unknown" and passes."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        offset = 12
        for _ in range(WAV_CHUNKS):
            if offset + 8 > size:
                return None
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
    return f"has more than {WAV_CHUNKS:,} chunks before its audio (damaged, or not written by an audio program)"
