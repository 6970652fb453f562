"""Reading untrusted paths: regular files only, never blocking, never more than a bound.

A project file (or a path it names) may point at something that is not a file: a FIFO, whose
``open`` blocks until a writer comes; ``/dev/zero``, which never ends; a directory; a name no file
system accepts (a component over 255 bytes gives ``ENAMETOOLONG`` from every call). Everything
studio reads of a user's choosing goes through here:

- ``problem(path)`` says in words why a path cannot be read as a file (or None), from ``stat``
  alone: it opens nothing, so it cannot block or trigger a device;
- ``open_regular(path, limit)`` opens with ``O_NONBLOCK`` and checks the *opened* descriptor
  again (``fstat``), so a file swapped for a FIFO in between is refused, not waited on;
- ``read_regular(path, limit)`` reads the whole file, refusing one larger than ``limit``.

Errors are ``Unreadable`` with a message for the user; the caller gives it a code and a place.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = ["MAX_COMPONENT", "Unreadable", "kind", "name_problem", "open_regular", "problem", "read_regular"]

MAX_COMPONENT = 255
"""Longest file name component (bytes) that Linux, macOS and Windows file systems accept."""
MAX_PATH = 4096


class Unreadable(OSError):
    """A path that cannot be read as a regular file; ``str(exc)`` says why, e.g. 'is a FIFO (named pipe),
    not a file'. An ``OSError``, so code that reports unreadable files reports these too."""


def kind(mode: int) -> str:
    """What a ``stat`` mode describes, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def name_problem(path: Path | str) -> str | None:
    """Why no file system would accept this name, or None."""
    encoded = os.fsencode(path)
    if b"\x00" in encoded:
        return "has a NUL character in its name"
    if len(encoded) > MAX_PATH:
        return f"has a path longer than {MAX_PATH} bytes"
    for part in encoded.split(b"/"):
        if len(part) > MAX_COMPONENT:
            shown = os.fsdecode(part)
            return f"has a name component longer than {MAX_COMPONENT} bytes ('{shown[:24]}...', {len(part)} bytes)"
    return None


def problem(path: Path, limit: int | None = None) -> str | None:
    """Why ``path`` (symlinks followed) is not a readable regular file of at most ``limit`` bytes, or None.
    'does not exist' for a missing path (the caller usually has better words for that case)."""
    named = name_problem(path)
    if named:
        return named
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return _regular(st, limit)


def _regular(st: os.stat_result, limit: int | None) -> str | None:
    if not stat.S_ISREG(st.st_mode):
        return f"is {kind(st.st_mode)}, not a file"
    if limit is not None and st.st_size > limit:
        return f"is too large ({st.st_size:,} bytes; at most {limit:,})"
    return None


def open_regular(path: Path, limit: int | None = None) -> BinaryIO:
    """``path`` opened for reading if it is a regular file of at most ``limit`` bytes; never blocks."""
    why = problem(path, limit)
    if why:
        raise Unreadable(why)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from None
    try:
        why = _regular(os.fstat(fd), limit)  # what was opened, not what the name meant a moment ago
        if why:
            raise Unreadable(why)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path, limit: int) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes."""
    with open_regular(path, limit) as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew while we read
        raise Unreadable(f"is too large (more than {limit:,} bytes)")
    return data
