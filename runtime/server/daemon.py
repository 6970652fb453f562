"""The server half: a process that has imported studio once and forks a worker for each command.

Started in the background by :func:`runtime.server.client.start_server` after a command that found
no server. It binds its socket at once (a client that comes while it is still importing waits for it
rather than importing everything a second time), imports the compiler, the build and the embedded
backends (never an ML library), then serves until it has been idle for ``address.idle_seconds()``.

Each command runs in a forked worker that becomes the client's process in all but pid: the client's
working directory, environment, standard streams (received as file descriptors), arguments and
signals. It runs :func:`runtime.cli.main` exactly as ``studio`` would, so output, files and exit
status are the same bytes as without a server; only the imports are already done. Workers share
nothing with each other (fork: copy-on-write), so a crashed or killed worker costs only its command,
and two commands run side by side as two processes would. One server serves one key (see
``address``); a lock file next to its socket keeps a second one for the same key from starting.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib
import io
import json
import os
import pkgutil
import select
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .address import idle_seconds
from .client import send_message

__all__ = ["PRELOAD", "main", "preload"]

PRELOAD = ("runtime.build", "runtime.commands.check", "runtime.commands.render", "runtime.executors.local")
"""Modules a command imports, loaded before the first command (with every module of the packages in
:data:`PRELOAD_PACKAGES`)."""
PRELOAD_PACKAGES = ("backends.procedural", "backends.ffmpeg", "backends.export", "backends.espeak")
"""The embedded backends: what an animatic build runs, none of them an ML library."""
MAX_REQUEST = 4 << 20
WARM_PROJECT = """\
studio: 1
project: {title: Warm-up, fps: 24, resolution: [320, 180], style: plain}
styles:
  plain: {prompt: "{{ action }}, {{ shot.type | replace('_', ' ') }} shot", negative: "text", palette: ["#1b4965"]}
voices:
  a: {engine: espeak, language: en, pitch: 50, rate: 160}
elements:
  Ana: {kind: character, trigger: "@Ana", description: a girl in a red coat, voice: a}
  Bo: {kind: character, trigger: "@Bo", description: a boy with a blue scarf}
  Pier: {kind: location, trigger: "@Pier", description: a wooden pier by the sea}
scenes:
  - id: pier
    heading: EXT. PIER - NIGHT
    shots:
      - {id: a, type: wide, duration: 2, action: "@Ana waves at @Bo on @Pier", camera: {move: pan_right}}
      - id: b
        type: close_up
        action: "@Ana points at the sea"
        dialogue: [{character: Ana, line: "Look!"}]
        transition: {type: dissolve, duration: 0.5}
"""
"""Compiled and planned once by the server before its first command: the compiler's first run builds
lazy state (templates, validators, regular expressions) that every command would otherwise build
again. In memory only; its paths are never read."""


def preload() -> list[str]:
    """Import what commands need; the names that could not be imported (an extra not installed)."""
    missing = []
    names = list(PRELOAD)
    for package in PRELOAD_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            missing.append(package)
            continue
        names += [info.name for info in pkgutil.walk_packages(module.__path__, package + ".")]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def warm() -> None:
    """Compile and plan :data:`WARM_PROJECT` (nothing is read or written); import numpy's random
    module and find the ffmpeg binary, which every motion task needs first."""
    from backends import CATALOG
    from compiler.pipeline import compile_text
    from runtime.cli import _parser

    _parser()
    with contextlib.suppress(Exception):
        compile_text(WARM_PROJECT, Path("/nonexistent/warm.studio.yaml"), backends=CATALOG)
    with contextlib.suppress(Exception):
        import numpy.random  # noqa: F401 - numpy imports it on first use: the seeded noise of every shot

        from backends.ffmpeg._bin import ffmpeg_exe

        ffmpeg_exe()  # found once (imageio-ffmpeg runs ``ffmpeg -version`` to check it: 15 ms a process)


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        send_message(conn, message)


def _receive(conn: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """The request (one JSON line) and the file descriptors sent with it."""
    data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3)
    buffer = bytearray(data)
    while data and b"\n" not in buffer and len(buffer) < MAX_REQUEST:
        data = conn.recv(65536)
        buffer += data
    try:
        request = json.loads(bytes(buffer).partition(b"\n")[0])
    except ValueError:
        request = None
    return (request if isinstance(request, dict) else None), list(fds)


def _same_user(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _take(lock: int, path: Path) -> bool:
    """Take the key's lock; False if a server that answers holds it. A server that is leaving holds
    it a moment longer than it listens, so a lock held with nobody listening is waited for (5 s at most)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            pass
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(str(path)) == 0 or time.monotonic() > deadline:
                return False
        time.sleep(0.05)


class Server:
    def __init__(self, key: str, path: Path) -> None:
        self.key, self.path = key, path
        self.started = time.time()
        self.served = 0

    def serve(self) -> int:
        lock = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        if not _take(lock, self.path):
            return 0  # another server serves this key
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a server that died left it; the lock says none is running
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old)
        bound = os.stat(self.path).st_ino
        listener.listen(64)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
        try:
            preload()
            warm()
            idle = idle_seconds()
            while True:
                ready, _, _ = select.select([listener], [], [], idle)
                if not ready:
                    return 0
                conn, _ = listener.accept()
                with conn:
                    if not self._handle(conn, listener):
                        return 0
        finally:
            listener.close()
            os.close(lock)  # first: a server starting now takes over the key, and binds a socket of its own
            with contextlib.suppress(OSError):
                if os.stat(self.path).st_ino == bound:  # still ours
                    self.path.unlink()

    def _handle(self, conn: socket.socket, listener: socket.socket) -> bool:
        """Serve one connection; False when the server should stop."""
        if not _same_user(conn):
            return True
        conn.settimeout(10)
        try:
            request, fds = _receive(conn)
        except OSError:
            return True
        try:
            if request is None:
                return True
            if request.get("stop"):
                _send(conn, {"stopped": os.getpid()})
                return False
            if request.get("status"):
                _send(conn, {"pid": os.getpid(), "key": self.key, "started": self.started, "served": self.served,
                             "idle_seconds": idle_seconds()})
                return True
            if request.get("key") != self.key or len(fds) != 3 or not isinstance(request.get("argv"), list):
                return True  # the client then runs the command itself
            self.served += 1
            if os.fork() == 0:
                _worker(conn, fds, request, listener)
            return True
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)


def _stdio(fd: int, mode: str) -> io.TextIOWrapper:
    """A text stream on ``fd`` as Python makes ``sys.std*`` (line-buffered on a terminal and for stderr)."""
    raw = io.FileIO(fd, mode, closefd=False)
    binary: Any = io.BufferedWriter(raw) if mode == "w" else io.BufferedReader(raw)
    return io.TextIOWrapper(binary, encoding=getattr(sys.__stdout__, "encoding", None) or "utf-8",
                            errors="backslashreplace" if fd == 2 else "strict",
                            line_buffering=fd == 2 or (fd == 1 and raw.isatty()))


def _worker(conn: socket.socket, fds: list[int], request: dict[str, Any], listener: socket.socket) -> None:
    """In the forked child: become the client's process, run its command, report its status, exit."""
    code = 1
    try:
        listener.close()
        for s in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        fds.clear()
        sys.stdin, sys.stdout, sys.stderr = _stdio(0, "r"), _stdio(1, "w"), _stdio(2, "w")
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in dict(request.get("env") or {}).items()})
        tempfile.tempdir = None  # found again from the client's TMPDIR
        _inherit(request)
        argv = [str(a) for a in request["argv"]]
        sys.argv = ["studio", *argv]
        try:
            os.chdir(str(request.get("cwd")))
        except OSError as exc:
            sys.stderr.write(f"studio: cannot work in {request.get('cwd')}: {exc.strerror or exc}\n")
            code = 2
        else:
            with contextlib.suppress(OSError):
                os.setpgid(0, 0)  # a group of its own, with its ffmpeg runs: the client signals it whole
            try:
                send_message(conn, {"pid": os.getpid()})
            except OSError:  # the client is gone (interrupted while we started): run nothing
                os._exit(130)
            code = _run(argv)
    except BaseException as exc:  # noqa: BLE001 - the worker must report and exit, whatever happened
        with contextlib.suppress(BaseException):
            sys.excepthook(type(exc), exc, exc.__traceback__)  # as an uncaught exception in a process
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        _send(conn, {"exit": code})
        os._exit(code)


def _inherit(request: dict[str, Any]) -> None:
    """The client's file-creation mask, its resource limits where lower than ours, and its niceness
    where higher (a process may not raise a hard limit or lower its niceness)."""
    import resource

    with contextlib.suppress(TypeError, ValueError):
        os.umask(int(request.get("umask", 0o022)) & 0o777)
    limits = request.get("limits")
    for name, pair in (limits.items() if isinstance(limits, dict) else ()):
        with contextlib.suppress(AttributeError, TypeError, ValueError, OSError):
            which = getattr(resource, str(name))
            soft, hard = (int(v) for v in pair)
            ours_soft, ours_hard = resource.getrlimit(which)
            new_hard = _lower(hard, ours_hard)
            resource.setrlimit(which, (_lower(_lower(soft, ours_soft), new_hard), new_hard))
    with contextlib.suppress(TypeError, ValueError, OSError):
        nice = int(request.get("nice", 0)) - os.getpriority(os.PRIO_PROCESS, 0)
        if nice > 0:
            os.nice(nice)


def _lower(a: int, b: int) -> int:
    """The lower of two resource limits (``RLIM_INFINITY`` is the highest)."""
    import resource

    return b if a == resource.RLIM_INFINITY else a if b == resource.RLIM_INFINITY else min(a, b)


def _run(argv: list[str]) -> int:
    """``studio ARGV`` as :func:`runtime.cli.entry` runs it: main, the atexit handlers (a local Ray
    instance is shut down there), and every thread that is not a daemon finished."""
    from runtime.cli import main as cli_main

    try:
        code = cli_main(argv)
    except SystemExit as exc:  # argparse: --help, a usage error
        if isinstance(exc.code, str):
            sys.stderr.write(exc.code + "\n")
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    return code


def main() -> None:
    """``python -c ... daemon.main()`` as the client starts it: argv is (sys.path as JSON, key, socket)."""
    _paths, key, path = sys.argv[1:4]
    sys.exit(Server(key, Path(path)).serve())
