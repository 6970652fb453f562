"""Out of space, read-only, no permission: a storage problem is one clear message, never a traceback.

A build writes in two places, the cache (``.studio/`` or ``--cache``) and the output directory
(``build/`` or ``--out``). When either cannot take a write, the build stops with one line naming
the directory and the problem, and exits 1; everything written up to then went through temp file
-> fsync -> rename, so nothing half-written is ever trusted (and a later build picks up from there).

Some writers say why they failed (``OSError.errno``); others only in words (ffmpeg: "No space left
on device"), or not at all (numpy's ``tofile``: "1716000 requested and 197632 written", a short
write; libsndfile's "System error."). ``task_problem`` reads all three, and else probes the
directory with a write of its own while the failed task's files still lie there: if the probe fails
too, that was the problem.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import resource
from pathlib import Path

__all__ = ["StorageError", "problem_of", "storage_error", "task_problem", "where"]

_PROBLEMS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EFBIG: "a file would exceed the largest size allowed (file system or ulimit -f)",
    errno.ENOTDIR: "a file is in the way where a directory should be",
    errno.EEXIST: "a file is in the way where a directory should be",
    errno.ENAMETOOLONG: "a file name is too long for the file system",
    errno.EIO: "an input/output error (a failing disk, or a network file system gone)",
    errno.EMLINK: "too many links in one directory",
}
_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_WRITES = _SPACE | {errno.EROFS}
"""Problems only a write has: blamed on a directory even outside the cache (a full /tmp, say)."""
_PROBE_BYTES = 1 << 20
_SAID = [(re.compile(pattern, re.IGNORECASE), code) for pattern, code in (
    (r"no space left on device", errno.ENOSPC), (r"disk quota exceeded", errno.EDQUOT),
    (r"read-only file system", errno.EROFS), (r"file too large", errno.EFBIG),
    (r"\d+ requested and \d+ written", errno.ENOSPC),  # numpy: a short write to a regular file
    (r"^system error\.?$", errno.ENOSPC),  # libsndfile, when its write fails
)]
"""What writers that lose the errno say instead."""
"""The probe: a task's failure is blamed on its directory when 1 MiB more cannot be written there."""


class StorageError(Exception):
    """A directory studio writes to cannot take the write; ``str()`` is the message for the user."""

    def __init__(self, directory: Path, problem: str, role: str, space: bool = False) -> None:
        self.directory, self.problem, self.role = directory, problem, role
        hint = {"cache": "use --cache DIR", "output": "choose another directory with --out DIR"}.get(role, "")
        if space:
            hint = ("free some space (studio cache gc)" if role == "cache" else "free some space") \
                + (f" or {hint}" if hint else "")
        what = {"cache": "the cache", "output": "the output directory"}.get(role, "the directory")
        super().__init__(f"cannot write to {what} {directory}: {problem}" + (f"; {hint}" if hint else ""))


def problem_of(exc: BaseException, *, any_errno: bool = False) -> str | None:
    """The storage problem an exception reports through its errno, in words; None for any other error
    (``any_errno``: every OSError with an errno counts, in the system's words when not in the table)."""
    code = getattr(exc, "errno", None)
    if not isinstance(exc, OSError) or code is None:
        return None
    if code in _PROBLEMS:
        return _PROBLEMS[code]
    return (exc.strerror or os.strerror(code)).lower() if any_errno else None


def where(exc: BaseException, places: dict[str, Path]) -> tuple[Path, str]:
    """The directory to name for ``exc`` and its role: the place (``cache``, ``output``) its file lies
    under, else the directory of the file itself."""
    filename = getattr(exc, "filename2", None) or getattr(exc, "filename", None)  # a copy's destination first
    if filename:
        path = Path(os.path.abspath(os.fsdecode(filename)))
        for role, root in places.items():
            root = Path(os.path.abspath(root))
            if path == root or root in path.parents:
                return root, role
        return path.parent, "directory"
    role, root = next(iter(places.items()))
    return root, role


def storage_error(exc: BaseException, places: dict[str, Path], *, any_errno: bool = False) -> StorageError | None:
    """``exc`` as a StorageError when it is one (by errno), naming the right directory."""
    problem = problem_of(exc, any_errno=any_errno)
    if problem is None:
        return None
    directory, role = where(exc, places)
    return StorageError(directory, problem, role, getattr(exc, "errno", None) in _SPACE)


def _size_limited() -> bool:
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return soft != resource.RLIM_INFINITY


def task_problem(exc: BaseException, workdir: Path, cache: Path) -> StorageError | None:
    """Whether a task's failure was the cache's storage: said by the errno, or else found by a probe
    write of its own in the task's work directory (while the failed task's files are still there)."""
    found = storage_error(exc, {"cache": cache})
    if found is not None and (found.role == "cache" or getattr(exc, "errno", None) in _WRITES):
        return found  # (a file elsewhere it could not read, say model weights, is the task's own failure)
    if found is None:
        text = str(exc).strip()
        for pattern, code in _SAID:
            if pattern.search(text):
                if code == errno.ENOSPC and _size_limited():
                    code = errno.EFBIG  # a short write under ulimit -f is the limit, not the disk
                return StorageError(cache, _PROBLEMS[code], "cache", code in _SPACE)
    probe = workdir / ".studio-space-probe"
    try:
        with open(probe, "wb") as f:
            f.write(b"\0" * _PROBE_BYTES)
            f.flush()
            os.fsync(f.fileno())
    except OSError as failed:
        problem = problem_of(failed)
        return StorageError(cache, problem, "cache", failed.errno in _SPACE) if problem is not None else None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None
