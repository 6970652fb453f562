"""The build server (runtime/server): commands handed to a resident process behave, byte for byte and
exit status for exit status, like commands run in a process of their own."""

from __future__ import annotations

import array
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LUCA, ROOT
from tests.runtime.helpers import outputs_bytes, tiny_copy

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="build servers are Linux-only")


def _env(directory: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, STUDIO_SERVER="1", STUDIO_SERVER_DIR=str(directory), **extra)


def _studio(*args: str, env: dict[str, str], cwd: Path = ROOT, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300, preexec_fn=lambda: os.umask(umask))


def _servers(env: dict[str, str], cwd: Path = ROOT) -> list[dict]:
    done = _studio("server", "status", "--format", "json", env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["servers"]


def _served(env: dict[str, str], cwd: Path = ROOT) -> int:
    """Commands served by the server this client would use."""
    current = [s for s in _servers(env, cwd) if s["current"]]
    assert len(current) == 1, current
    return int(current[0]["served"])


@pytest.fixture(scope="module")
def server_dir() -> Iterator[Path]:
    """A private socket directory (short: a Unix socket's path has at most 107 bytes), its servers
    stopped at the end."""
    directory = Path(tempfile.mkdtemp(prefix="studio-srv-", dir="/tmp"))
    yield directory
    _studio("server", "stop", env=_env(directory))
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def env(server_dir: Path) -> dict[str, str]:
    """The environment of a client whose server (for the repository as working directory) is running."""
    env = _env(server_dir)
    done = _studio("server", "start", env=env)
    assert done.returncode == 0 and "current" in done.stdout, done.stdout + done.stderr
    return env


def test_a_build_through_the_server_gives_the_same_bytes(tmp_path: Path, env: dict[str, str]) -> None:
    alone, served = tiny_copy(LUCA, tmp_path / "alone"), tiny_copy(LUCA, tmp_path / "served")
    by_itself = _studio("build", str(alone), "--format", "json",
                        env=dict(env, STUDIO_SERVER="0", STUDIO_CACHE=str(tmp_path / "c1")))
    before = _served(env)
    through = _studio("build", str(served), "--format", "json", env=dict(env, STUDIO_CACHE=str(tmp_path / "c2")),
                      umask=0o027)
    assert _served(env) == before + 1
    assert (served / "build").stat().st_mode & 0o777 == 0o750  # the client's umask, not the server's
    assert (by_itself.returncode, through.returncode) == (0, 0), through.stderr
    assert outputs_bytes(alone / "build") == outputs_bytes(served / "build")
    assert sorted(json.loads(by_itself.stdout)["executed"]) == sorted(json.loads(through.stdout)["executed"])
    assert any((tmp_path / "c2").iterdir())  # the client's STUDIO_CACHE, not the server's environment
    again = _studio("build", str(served), env=dict(env, STUDIO_CACHE=str(tmp_path / "c2")))
    assert again.returncode == 0 and " 0 executed" in again.stderr, again.stderr


def test_check_from_another_directory_reads_and_prints_like_a_process(tmp_path: Path, server_dir: Path) -> None:
    """Relative paths in arguments and diagnostics are the client's (the worker works in its directory)."""
    env = _env(server_dir)
    assert _studio("server", "start", env=env, cwd=tmp_path).returncode == 0
    project = tmp_path / "p" / "film.studio.yaml"
    project.parent.mkdir()
    project.write_text("studio: 1\nproject: {title: T, fps: 24, resolution: [320, 180]}\nelements:\n"
                       "  A: {kind: character, trigger: \"@A\", descripton: x}\nscenes:\n"
                       "  - id: s\n    shots: [{id: a, action: \"@B runs\", duration: -1}]\n", encoding="utf-8")
    for fmt in ("text", "json"):
        by_itself = _studio("check", "p/film.studio.yaml", "--format", fmt, env=dict(env, STUDIO_SERVER="0"),
                            cwd=tmp_path)
        before = _served(env, tmp_path)
        through = _studio("check", "p/film.studio.yaml", "--format", fmt, env=env, cwd=tmp_path)
        assert _served(env, tmp_path) == before + 1
        assert by_itself.returncode == 1
        assert fmt == "json" or "p/film.studio.yaml:" in by_itself.stdout + by_itself.stderr
        assert (through.returncode, through.stdout, through.stderr) == (
            by_itself.returncode, by_itself.stdout, by_itself.stderr)


def test_usage_errors_and_help_come_back_as_from_a_process(env: dict[str, str]) -> None:
    for args in (["build"], ["plan", "--format", "xml", "x"], ["check", "--help"], ["build", "/nonexistent/dir"]):
        by_itself = _studio(*args, env=dict(env, STUDIO_SERVER="0"))
        through = _studio(*args, env=env)
        assert (through.returncode, through.stdout, through.stderr) == (
            by_itself.returncode, by_itself.stdout, by_itself.stderr), args


def _build_events(project: Path, cache: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], Iterator[dict]]:
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json"],
                            cwd=ROOT, env=dict(env, STUDIO_CACHE=str(cache)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    stream = proc.stderr

    def events() -> Iterator[dict]:
        for line in stream:
            if line.startswith("{"):
                yield json.loads(line)

    return proc, events()


def test_ctrl_c_reaches_the_worker(tmp_path: Path, env: dict[str, str]) -> None:
    project, cache = tiny_copy(LUCA, tmp_path / "luca"), tmp_path / "cache"
    before = _served(env)
    proc, events = _build_events(project, cache, env)
    assert next((e for e in events if e.get("event") == "finished"), None), "no task finished"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert _served(env) == before + 1
    # The worker stopped and let go of the build lock: a build that will not wait runs at once.
    done = _studio("build", str(project), "--no-wait", env=dict(env, STUDIO_CACHE=str(cache)))
    assert done.returncode == 0, done.stderr
    assert (project / "build" / "final.mp4").is_file()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _state(pid: int) -> str:
    """The process's state letter (``T``: stopped), or ``gone``."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def _until(condition, what: str, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_ctrl_z_stops_the_worker_with_its_ffmpeg_runs_and_fg_resumes_them(tmp_path: Path, env: dict[str, str]
                                                                          ) -> None:
    """Ctrl-Z in the client's terminal stops the command as it would stop one run in that process:
    the worker and the ffmpeg it runs stop, the client stops, and they all go on when it continues."""
    project, cache = tiny_copy(LUCA, tmp_path / "luca"), tmp_path / "cache"
    server = next(s for s in _servers(env) if s["current"])
    # A process group of its own in this session, as a shell's job (the kernel discards SIGTSTP in
    # an orphaned group).
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json"],
                            cwd=ROOT, env=dict(env, STUDIO_CACHE=str(cache)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, process_group=0)
    assert proc.stderr is not None
    events = (json.loads(line) for line in proc.stderr if line.startswith("{"))
    assert next((e for e in events if e.get("event") == "started" and e.get("kind") == "motion"), None)
    (worker,) = _children(int(server["pid"]))
    assert os.getpgid(worker) == worker  # its own group, with its ffmpeg runs
    os.kill(proc.pid, signal.SIGTSTP)
    _until(lambda: _state(proc.pid) == "T", "the client did not stop")
    _until(lambda: _state(worker) == "T", "the worker did not stop")
    running = [pid for pid in _children(worker) if _state(pid) not in ("T", "gone")]
    assert not running, f"the worker's ffmpeg runs go on: {running}"
    os.kill(proc.pid, signal.SIGCONT)
    _until(lambda: _state(worker) not in ("T",), "the worker did not continue")
    rest = "".join(line for line in proc.stderr)
    assert proc.wait(timeout=120) == 0, rest
    assert (project / "build" / "final.mp4").is_file()


def test_a_killed_worker_fails_its_command_and_nothing_else(tmp_path: Path, env: dict[str, str]) -> None:
    project, cache = tiny_copy(LUCA, tmp_path / "luca"), tmp_path / "cache"
    server = next(s for s in _servers(env) if s["current"])
    proc, events = _build_events(project, cache, env)
    assert next((e for e in events if e.get("event") == "started"), None), "no task started"
    workers = _children(int(server["pid"]))
    assert workers, "the server has no worker"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    rest = "".join(line for line in proc.stderr or [])
    assert proc.wait(timeout=60) == 1
    assert "ended without an exit status" in rest
    assert _studio("check", str(project), env=env).returncode == 0  # the server still serves
    assert _studio("build", str(project), env=dict(env, STUDIO_CACHE=str(cache))).returncode == 0


def test_a_server_refuses_requests_for_other_code(tmp_path: Path, env: dict[str, str], server_dir: Path) -> None:
    server = next(s for s in _servers(env) if s["current"])
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(str(server_dir / f"{server['key']}.sock"))
        request = {"key": "0" * 16, "argv": ["check", str(LUCA)], "cwd": str(ROOT), "env": {}}
        conn.sendmsg([json.dumps(request).encode() + b"\n"],
                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))])
        conn.settimeout(30)
        assert conn.recv(4096) == b""  # closed without starting a worker
    # A client whose imports would differ (another environment variable read at import) runs itself.
    before = _served(env)
    done = _studio("check", str(LUCA), env=dict(env, PYTHONHASHSEED="7"))
    assert done.returncode == 0, done.stderr
    assert _served(env) == before


def test_an_idle_server_leaves_and_stop_stops_servers(tmp_path: Path) -> None:
    directory = Path(tempfile.mkdtemp(prefix="studio-idle-", dir="/tmp"))
    try:
        env = _env(directory, STUDIO_SERVER_IDLE="1")
        assert _studio("server", "start", env=env).returncode == 0
        deadline = time.monotonic() + 60
        while list(directory.glob("*.sock")) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling for an exit, not synchronising on a guess
        assert not list(directory.glob("*.sock")), "the idle server is still there"
        env = _env(directory)
        started = _studio("server", "start", env=env)
        assert started.returncode == 0 and "current; up" in started.stdout
        stopped = _studio("server", "stop", env=env)
        assert stopped.stdout == "stopped 1 build server\n"
        assert "no build server is running" in _studio("server", "status", env=env).stdout
        off = _studio("server", "start", env=dict(env, STUDIO_SERVER="0"))
        assert off.returncode == 1 and "off" in off.stderr
    finally:
        _studio("server", "stop", env=_env(directory))
        shutil.rmtree(directory, ignore_errors=True)


def test_the_server_imports_no_ml_library() -> None:
    probe = ("import sys; from runtime.server.daemon import preload, warm; missing = preload(); warm(); "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'diffusers', 'transformers', 'ray', "
             "'openai', 'llguidance', 's3fs'}), missing)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] []"
