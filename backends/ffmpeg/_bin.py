"""The ffmpeg binary and how we run it.

Always the binary that the ``imageio-ffmpeg`` wheel ships, never one from ``PATH``: its version
(and its libx264) decides the output bytes, so it must be the same everywhere. Every failure is
turned into a :class:`~backends.base.BackendError` whose message ends with the relevant tail of
ffmpeg's own complaint.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from backends.base import BackendError

__all__ = ["decode_audio", "decode_audios", "ffmpeg_exe", "ffmpeg_reason", "run_ffmpeg"]

_QUIET = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"]
"""Global options for every call: only real errors on stderr, no interactive keys."""


@cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a broken installation
        raise BackendError("the ffmpeg backend needs the 'imageio-ffmpeg' package: pip install imageio-ffmpeg") from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:  # pragma: no cover - a broken installation
        raise BackendError(f"imageio-ffmpeg ships no usable ffmpeg binary ({exc})") from exc


_ADDRESS = re.compile(r"\s*@ 0x[0-9a-f]+")
_PREFIX = re.compile(r"^\[[^\]]*\]\s*")
_WRAPPERS = re.compile(r"^(Error opening input files?|Error opening input|Error while \w+ \w+)\s*:\s*")
_NOISE = re.compile(
    r"^(Conversion failed|Error opening (input|output) file |Error parsing options|Failed to set value|"
    r"To ignore this|Exiting with exit code|Error opening output files)"
)
"""ffmpeg's generic follow-up lines, which only repeat that the real error above happened."""


def ffmpeg_reason(stderr: bytes | str, lines: int = 2) -> str:
    """The last meaningful lines of ffmpeg's stderr, without pointers or wrappers, for a message."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    kept: list[str] = []
    for raw in text.splitlines():
        line = _PREFIX.sub("", _ADDRESS.sub("", raw)).strip()
        if _NOISE.match(line):
            continue
        line = _WRAPPERS.sub("", line)
        if line and line not in kept:
            kept.append(line)
    return "; ".join(kept[-lines:]) if kept else "no message from ffmpeg"


def _drain(stream: object, into: list[bytes]) -> None:
    into.append(stream.read())  # type: ignore[attr-defined]


PIPE_BYTES = 1 << 20
"""The pipe that feeds ffmpeg frames, widened from Linux's 64 KiB (the most an unprivileged process
may ask for by default): a 720p frame is 2.7 MB, and through 64 KiB it took 42 round trips between
the writer and ffmpeg. Measured on 72 frames: 3,040 context switches -> 210, the processes' system
time 0.17-0.31 -> 0.13-0.16 s; the bytes written are the same."""


def _widen(fd: int) -> None:
    with contextlib.suppress(ImportError, OSError, AttributeError):  # not Linux, or a lower limit: as it is
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def run_ffmpeg(
    args: Sequence[str],
    *,
    what: str,
    stdin_chunks: Iterable[bytes | memoryview] | None = None,
    on_chunk: Callable[[int], None] | None = None,
    stdout: bool = False,
) -> bytes:
    """Run ffmpeg with ``args`` (the binary and the quiet options are added).

    ``stdin_chunks`` are written to ffmpeg's stdin in order (``on_chunk(i)`` after chunk ``i``,
    counted from 1). Returns stdout when ``stdout`` is set, else ffmpeg's stderr. A non-zero exit
    raises ``BackendError("<what>: <ffmpeg's reason>")``.
    """
    cmd = [ffmpeg_exe(), *_QUIET, *args]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if stdin_chunks is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if proc.stdin is not None:
        _widen(proc.stdin.fileno())
    err: list[bytes] = []
    out: list[bytes] = []
    readers = [threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)]
    if stdout:
        readers.append(threading.Thread(target=_drain, args=(proc.stdout, out), daemon=True))
    for reader in readers:
        reader.start()
    broken = False
    try:
        if stdin_chunks is not None:
            assert proc.stdin is not None
            try:
                for i, chunk in enumerate(stdin_chunks, 1):
                    proc.stdin.write(chunk)
                    if on_chunk is not None:
                        on_chunk(i)
            except BrokenPipeError:
                broken = True
            finally:
                try:
                    proc.stdin.close()
                except BrokenPipeError:
                    broken = True
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        for reader in readers:
            reader.join()
    stderr = b"".join(err)
    if code != 0 or broken:
        raise BackendError(f"{what}: {ffmpeg_reason(stderr)}")
    return b"".join(out) if stdout else stderr


def _decoding(index: int, sample_rate: int, channels: int, out: str) -> list[str]:
    """Output options decoding input ``index`` to raw float32 at ``sample_rate`` into ``out``."""
    return [
        "-map", f"{index}:a:0",
        "-ac", str(channels),
        "-af", f"aresample={sample_rate}:resampler=swr",
        "-f", "f32le", "-c:a", "pcm_f32le",
        out,
    ]  # fmt: skip


def decode_audio(path: Path, *, label: str, sample_rate: int, channels: int = 1) -> np.ndarray:
    """Decode any audio file to float32 samples at ``sample_rate``, shape ``(samples, channels)``.

    The message of a damaged file reads ``"<label>: cannot decode audio (<reason>)"``.
    """
    args = ["-threads", "1", "-i", str(path), *_decoding(0, sample_rate, channels, "pipe:1")]
    try:
        raw = run_ffmpeg(args, what=label, stdout=True)
    except BackendError as exc:
        reason = str(exc).removeprefix(f"{label}: ")
        if "matches no streams" in reason:
            reason = "the file has no audio stream"
        raise BackendError(f"{label}: cannot decode audio ({reason})") from None
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels).copy()


def decode_audios(
    sources: Sequence[tuple[Path, str, int]], *, sample_rate: int, scratch: Path
) -> list[np.ndarray]:
    """:func:`decode_audio` of each ``(path, label, channels)``, in one ffmpeg run: the same samples.

    Each file has its own decoder and resampler in that run, as in a run of its own, and its own
    raw output file in ``scratch``. One run instead of one per file saves starting ffmpeg, its
    pipes and threads once per file: the bench soundtrack's three lines and its music decode in
    about half the CPU time. When the run fails, each file is decoded on its own, so that the
    message names the file that could not be decoded.
    """
    if len(sources) <= 1:
        return [decode_audio(path, label=label, sample_rate=sample_rate, channels=channels)
                for path, label, channels in sources]
    args: list[str] = []
    for path, _, _ in sources:
        args += ["-threads", "1", "-i", str(path)]
    outputs = [scratch / f"decoded{i}.f32" for i in range(len(sources))]
    for i, ((_, _, channels), out) in enumerate(zip(sources, outputs, strict=True)):
        args += _decoding(i, sample_rate, channels, str(out))
    try:
        run_ffmpeg(["-y", *args], what="decoding audio")
    except BackendError:
        for path, label, channels in sources:  # raises the failing file's own message
            decode_audio(path, label=label, sample_rate=sample_rate, channels=channels)
        raise
    decoded = []
    for (_, _, channels), out in zip(sources, outputs, strict=True):
        decoded.append(np.fromfile(out, dtype="<f4").reshape(-1, channels))
        out.unlink()
    return decoded
