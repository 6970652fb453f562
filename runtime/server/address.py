"""Where a build server listens, and which one a client may use (the standard library only: the client
runs this before anything else is imported).

A server is only as good as what it imported: the studio code, its libraries and the interpreter. A
client may hand its command to a server only when all of that is the same as its own, so the server's
name (its *key*) is a digest of the interpreter, ``sys.path``, the size and modification time of every
studio module and of the ``sys.path`` directories (installing or removing a package changes its
site-packages directory), and the environment variables read while importing (``PYTHON*``, locale,
``LD_*``, thread-count settings). Settings studio reads when a command runs (``STUDIO_CACHE``...) are
not part of it: each command runs with its client's environment. Changing any of it makes the next
client start a fresh server; the old one leaves when it has been idle for :data:`IDLE_SECONDS`.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

__all__ = ["IDLE_SECONDS", "COMMANDS", "enabled", "server_dir", "server_key", "socket_path"]

IDLE_SECONDS = 900.0
"""A server with no command for this long exits (``STUDIO_SERVER_IDLE`` overrides, in seconds)."""
COMMANDS = frozenset({"build", "check", "plan"})
"""Commands a server runs: the ones a writer or an agent runs again and again. ``watch``, ``lsp`` and
``mcp`` stay resident by themselves; the others are rare or talk to a language model."""
PACKAGES = ("studio_lang", "compiler", "backends", "runtime")
_ENV_PREFIXES = ("PYTHON", "LANG", "LC_", "LD_", "OMP_", "OPENBLAS_", "MKL_", "IMAGEIO_")


def enabled() -> bool:
    """Whether commands go through a build server: on Linux (the server forks, and passes the client's
    terminal over a Unix socket), unless ``STUDIO_SERVER=0``."""
    setting = os.environ.get("STUDIO_SERVER", "1").strip().lower()
    return sys.platform.startswith("linux") and setting not in ("0", "off", "false", "no")


def idle_seconds() -> float:
    try:
        return max(1.0, float(os.environ.get("STUDIO_SERVER_IDLE", IDLE_SECONDS)))
    except ValueError:
        return IDLE_SECONDS


def server_dir() -> Path | None:
    """The private directory that holds the servers' sockets (``$STUDIO_SERVER_DIR``, else
    ``$XDG_RUNTIME_DIR/studio``, else ``/tmp/studio-<uid>``), made with mode 0700; ``None`` when it is
    not this user's alone (then no server is used)."""
    named = os.environ.get("STUDIO_SERVER_DIR")
    if named:
        path = Path(named)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(os.environ["XDG_RUNTIME_DIR"]) / "studio"
    else:
        path = Path("/tmp") / f"studio-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, parents=bool(named), exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return path


def _signature(root: Path) -> list[tuple[str, int, int]]:
    found = []
    for package in PACKAGES:
        for folder, dirs, files in os.walk(root / package):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(".py"):
                    info = os.stat(os.path.join(folder, name))
                    found.append((os.path.join(folder, name), info.st_size, info.st_mtime_ns))
    return found


def server_key() -> str:
    """This process's server name: 16 hex digits (see the module's docstring)."""
    import hashlib  # here: every ``studio`` command imports this module for COMMANDS

    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        digest.update(repr(parts).encode("utf-8", "backslashreplace") + b"\0")

    add(sys.executable, sys.version, tuple(sys.flags), sorted(sys._xoptions.items()), os.getuid())
    # Directories of installed packages change (their mtime) when a package is installed or removed;
    # the first entry (the script's directory, or the working directory) changes for other reasons.
    add(os.path.abspath(sys.path[0] or ".") if sys.path else None)
    for entry in sys.path[1:]:
        try:
            add(os.path.abspath(entry), os.stat(entry).st_mtime_ns)
        except OSError:
            add(entry, None)
    add(sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES)))
    add(_signature(Path(__file__).resolve().parents[2]))
    return digest.hexdigest()[:16]


def socket_path(directory: Path, key: str) -> Path:
    return directory / f"{key}.sock"
