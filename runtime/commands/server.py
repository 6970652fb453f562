"""``studio server status|stop``: the build servers of this user (see runtime/server/README.md)."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

from ..server.address import enabled, server_dir, server_key
from ..server.client import read_message, send_message, start_server

__all__ = ["server_command"]


def _ask(path: Path, request: dict[str, Any], timeout: float) -> dict[str, Any] | None:
    """The server's one-line answer, or None when nothing answers at ``path`` (a server that died)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(str(path))
        send_message(conn, request)
        return read_message(conn, bytearray())
    except OSError:
        return None
    finally:
        conn.close()


def _remove_dead(path: Path) -> None:
    """Remove the socket and lock file a server that died left (only if no server holds the lock)."""
    lock = Path(f"{path}.lock")
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        path.unlink(missing_ok=True)
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a server holds it: starting, and not answering yet
        path.unlink(missing_ok=True)
        lock.unlink(missing_ok=True)
    finally:
        os.close(fd)


def server_command(action: str, fmt: str, timeout: float = 30.0) -> int:
    """``status``: each server, whether it serves this code (``current``) or older code (``stale``), its
    pid, age and commands served. ``stop``: stop them all. A server still importing answers when it
    is ready (``timeout`` seconds at most)."""
    if action == "start":
        if not enabled() or server_dir() is None:
            sys.stderr.write("studio: build servers are off here (STUDIO_SERVER=0, not Linux, or no private "
                             "directory for their sockets)\n")
            return 1
        if not start_server(wait=timeout):
            sys.stderr.write("studio: the build server did not start (see `studio server status`)\n")
            return 1
        action = "status"
    directory = server_dir()
    current = server_key()
    found = []
    for path in sorted(directory.glob("*.sock")) if directory is not None else []:
        answer = _ask(path, {"stop": True} if action == "stop" else {"status": True}, timeout)
        if answer is None:
            _remove_dead(path)
            continue
        if action == "status":
            answer["current"] = answer.get("key") == current
        found.append(answer)
    if fmt == "json":
        sys.stdout.write(json.dumps({"enabled": enabled(), "directory": str(directory) if directory else None,
                                     "servers": found}, indent=2) + "\n")
        return 0
    if action == "stop":
        sys.stdout.write(f"stopped {len(found)} build server{'' if len(found) == 1 else 's'}\n")
        return 0
    if not enabled():
        sys.stdout.write("build servers are off (STUDIO_SERVER=0, or not Linux): every command runs in its own "
                         "process\n")
    if not found:
        sys.stdout.write("no build server is running (the next studio build starts one)\n" if enabled() else "")
    now = time.time()
    for s in found:
        state = "current" if s["current"] else "stale: other code, leaves when idle"
        up = now - float(s.get("started", now))
        sys.stdout.write(f"build server {s.get('key')} (pid {s.get('pid')}): {state}; up {up:.0f} s, "
                         f"{s.get('served', 0)} commands served, exits after {s.get('idle_seconds', 0):.0f} s idle\n")
    return 0
