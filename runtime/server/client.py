"""The client half: hand a command to a running build server, or start one for the next command.

Runs before anything but the standard library is imported (that is the point: the command's process
costs a Python start and a few milliseconds). The request is one JSON line (arguments, working
directory, environment) sent with the client's standard input, output and error as file descriptors
(``SCM_RIGHTS``), so the server's worker writes to the same terminal or pipe, and ``isatty`` and
colours behave as in a process of its own. The worker answers with its pid, then its exit status.
The worker leads a process group of its own (its ffmpeg runs are in it), and this process's signals
reach it as a terminal's would reach a command run here: Ctrl-C (SIGINT) and SIGHUP go to the whole
group, SIGTERM to the worker; Ctrl-Z (SIGTSTP) stops the group, then this process, and the group
continues when this process does (``fg``, ``bg``).
"""

from __future__ import annotations

import array
import json
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

from .address import COMMANDS, enabled, server_dir, server_key, socket_path

__all__ = ["forward", "read_message", "send_message", "start_server"]

STARTUP_SECONDS = 20.0
"""How long a client waits for a server to take its command (a fresh server is still importing)
before it runs the command itself."""
_TO_GROUP = (signal.SIGINT, signal.SIGHUP)
"""What a terminal sends to a whole foreground process group (the command and its ffmpeg runs)."""


def read_message(conn: socket.socket, buffer: bytearray) -> dict[str, Any] | None:
    """The next message (a JSON object on one line) from ``conn``, reading on from ``buffer`` (what
    follows it stays there); None when the peer closed first or sent something else."""
    while b"\n" not in buffer:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        buffer += chunk
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def send_message(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


def _connect(key: str) -> socket.socket | None:
    directory = server_dir()
    if directory is None:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(socket_path(directory, key)))
    except OSError:
        conn.close()
        return None
    return conn


def forward(argv: Sequence[str]) -> int | None:
    """Run ``studio ARGV`` in a build server; its exit status, or ``None`` when no server took it
    (none is running for this code, servers are off, or it did not answer in time): then the caller
    runs the command itself. Once a worker has started, its status is the command's, whatever happens."""
    if not argv or argv[0] not in COMMANDS or not enabled():
        return None
    key = server_key()
    conn = _connect(key)
    if conn is None:
        return None
    with conn:
        fds = array.array("i", [0, 1, 2])
        try:
            request = {"key": key, "argv": list(argv), "cwd": os.getcwd(), "env": dict(os.environ), **_process()}
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendmsg([json.dumps(request).encode() + b"\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
            conn.settimeout(STARTUP_SECONDS)
            buffer = bytearray()
            started = read_message(conn, buffer)
        except OSError:
            return None
        except KeyboardInterrupt:  # before the worker took the command: it finds us gone and stops
            return 130
        if started is None or not isinstance(started.get("pid"), int):
            return None
        return _wait(conn, buffer, started["pid"])


LIMITS = ("RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_STACK")
"""Resource limits a worker takes from its client (``ulimit``), where they are lower than the server's."""


def _process() -> dict[str, Any]:
    """What else a process inherits from its shell: the file-creation mask, resource limits, niceness."""
    import resource

    mask = os.umask(0o022)
    os.umask(mask)
    limits = {name: resource.getrlimit(getattr(resource, name)) for name in LIMITS if hasattr(resource, name)}
    return {"umask": mask, "limits": limits, "nice": os.getpriority(os.PRIO_PROCESS, 0)}


def _signal(pid: int, signum: int, group: bool) -> None:
    try:
        if group:
            os.killpg(pid, signum)  # the worker leads its group: its pid is the group's id
        else:
            os.kill(pid, signum)
    except OSError:
        pass


def _wait(conn: socket.socket, buffer: bytearray, pid: int) -> int:
    """The worker's exit status, passing this process's signals on to it meanwhile."""
    conn.settimeout(None)

    def pass_on(signum: int, _frame: object) -> None:
        _signal(pid, signum, signum in _TO_GROUP)

    def suspend(_signum: int, _frame: object) -> None:
        """Ctrl-Z: stop the worker's group (SIGSTOP: it has no terminal to stop it), then this process;
        once this process continues (``fg``, ``bg``), the group does too. (Where the kernel discards
        the SIGTSTP, in an orphaned process group, nothing stops, as for a command run here.)"""
        _signal(pid, signal.SIGSTOP, True)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        try:
            os.kill(os.getpid(), signal.SIGTSTP)  # this process stops here until SIGCONT
        finally:
            signal.signal(signal.SIGTSTP, suspend)
            _signal(pid, signal.SIGCONT, True)

    handlers = {signal.SIGINT: pass_on, signal.SIGHUP: pass_on, signal.SIGTERM: pass_on, signal.SIGTSTP: suspend}
    previous = {s: signal.signal(s, h) for s, h in handlers.items()}
    try:
        while True:
            try:
                done = read_message(conn, buffer)
                break
            except InterruptedError:
                continue
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if done is None or not isinstance(done.get("exit"), int):
        sys.stderr.write("studio: the build server's worker ended without an exit status (it was killed, or "
                         "crashed); run again with STUDIO_SERVER=0 to run the command in this process\n")
        return 1
    return int(done["exit"])


def start_server(wait: float = 0.0) -> bool:
    """Start a build server for this code in the background, for the next command (nothing happens if
    servers are off, one is already running, or it cannot start: the next command then runs itself).
    It is a new session with no terminal, so Ctrl-C in this one never reaches it. With ``wait``,
    wait that many seconds at most for its socket (it answers once it has imported everything).
    Whether a server for this code is, or will shortly be, listening."""
    if not enabled():
        return False
    directory = server_dir()
    if directory is None:
        return False
    key = server_key()
    path = socket_path(directory, key)
    probe = _connect(key)
    if probe is not None:
        probe.close()
        return True
    import subprocess  # here, not at the top: a command handed to a server never needs it
    import time

    # The server's interpreter flags and sys.path are this process's (both are part of the key).
    boot = "import json, sys; sys.path[:] = json.loads(sys.argv[1]); from runtime.server.daemon import main; main()"
    flags = subprocess._args_from_interpreter_flags()  # type: ignore[attr-defined]
    args = [sys.executable, *flags, "-c", boot, json.dumps(sys.path), key, str(path)]
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True, cwd="/")
    except OSError:
        return False
    deadline = time.monotonic() + wait
    while True:  # (of servers started at once, one takes the key's lock; the others leave)
        probe = _connect(key)
        if probe is not None:
            probe.close()
            return True
        if time.monotonic() >= deadline:
            return wait == 0.0 and proc.poll() is None
        time.sleep(0.02)
