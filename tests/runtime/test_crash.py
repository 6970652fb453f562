"""Kills, crashes and concurrent builds never leave anything a later build trusts but is incomplete."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LUCA, ROOT
from tests.runtime.helpers import build_json, outputs_bytes, tiny_copy


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    project = tiny_copy(LUCA, tmp_path_factory.mktemp("clean") / "luca")
    code, _, err = build_json(project)
    assert code == 0, err
    return outputs_bytes(project / "build")


def _start(project: Path, cache: Path, *extra: str) -> subprocess.Popen[str]:
    """``studio build --format json`` with its progress events on a pipe."""
    env = dict(os.environ, STUDIO_CACHE=str(cache))
    return subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json", *extra],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _events(proc: subprocess.Popen[str]) -> Iterator[dict[str, Any]]:
    """The build's JSON progress events, as it reports them (ends when it exits)."""
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("{"):
            yield json.loads(line)


def _records(cache: Path) -> int:
    return len(list((cache / "actions").glob("*/*.json")))


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


PEEK = 'action: "@Luca peeks over a rock at the water"'


def _edit(n: int) -> str:
    """The n-th edit of the peek shot's action: a new one every trial, so every killed build has work."""
    return f'action: "@Luca peeks over rock number {n} at the water"'


@pytest.mark.slow
def test_sigkill_at_random_moments(tmp_path: Path, clean_build: dict[str, bytes]) -> None:
    """24 builds killed after a random number of their own progress events (0: during start-up), each
    building a new edit over a store that finished builds warm. The number of events an edit's build
    reports is measured first, so the kill is drawn among them: drawn among a fixed 50, most kills fell
    after builds that had already exited (a warm store's edit reports about 20), and the test failed."""
    rng = random.Random(20261122)
    project = tiny_copy(LUCA, tmp_path / "luca")
    path = project / "film.studio.yaml"
    original = path.read_text()
    cache = tmp_path / "cache"
    assert build_json(project, cache=cache)[0] == 0
    path.write_text(original.replace(PEEK, _edit(24)))
    proc = _start(project, cache)
    reported = sum(1 for _ in _events(proc))
    assert proc.wait() == 0 and reported >= 4, reported
    landed = 0
    for trial in range(24):
        path.write_text(original.replace(PEEK, _edit(trial)))
        proc = _start(project, cache)
        wanted = rng.randrange(0, reported)
        seen = sum(1 for _ in zip(range(wanted), _events(proc), strict=False))
        landed += seen == wanted and proc.poll() is None
        _kill(proc)
        if trial % 6 == 5:  # now and then, let a build finish so later kills hit a warm store
            assert build_json(project, cache=cache)[0] == 0
    assert landed >= 12, f"only {landed} of 24 kills landed while a build ran"
    path.write_text(original)
    code, summary, err = build_json(project, cache=cache)
    assert code == 0, err
    assert not summary["failed"]
    assert outputs_bytes(project / "build") == clean_build


def test_one_kill_then_a_clean_result(tmp_path: Path, clean_build: dict[str, bytes]) -> None:
    """Killed once two tasks have finished: the kill lands mid-build (some records, not all, no film),
    and the next build finishes the work and gives the same bytes as a clean one."""
    project = tiny_copy(LUCA, tmp_path / "luca")
    cache = tmp_path / "cache"
    proc = _start(project, cache)
    total = finished = 0
    for event in _events(proc):
        total = event.get("tasks", total)
        finished += event.get("event") == "finished" and event.get("status") == "executed"
        if finished == 2:
            break
    _kill(proc)
    kept = _records(cache)
    assert finished == 2, "the build ended before two tasks finished"
    assert 2 <= kept < total, (kept, total)
    assert not (project / "build" / "final.mp4").exists()
    code, summary, err = build_json(project, cache=cache)
    assert code == 0, err
    assert len(summary["cached"]) == kept  # what finished before the kill is trusted, the rest made again
    assert outputs_bytes(project / "build") == clean_build


def test_ctrl_c_exits_130_and_keeps_nothing_partial(tmp_path: Path, clean_build: dict[str, bytes]) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    cache = tmp_path / "cache"
    env = dict(os.environ, STUDIO_CACHE=str(cache))
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # interrupt once tasks are running, however slow start-up is
        if '"event": "finished"' in line:
            break
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=30) == 130, rest[-2000:]
    assert time.monotonic() - start < 10
    code, _, err = build_json(project, cache=cache)
    assert code == 0, err
    assert outputs_bytes(project / "build") == clean_build


def test_two_concurrent_builds(tmp_path: Path, clean_build: dict[str, bytes]) -> None:
    """The second build waits for the first: the first is paused (SIGSTOP) once it is running tasks,
    so it surely holds the lock when the second starts, and let go once the second says it waits."""
    project = tiny_copy(LUCA, tmp_path / "luca")
    cache = tmp_path / "cache"
    first = _start(project, cache)
    second: subprocess.Popen[str] | None = None
    try:
        assert next((e for e in _events(first) if e.get("event") == "started"), None), "the first build ran nothing"
        first.send_signal(signal.SIGSTOP)  # running tasks, so it holds the lock
        env = dict(os.environ, STUDIO_CACHE=str(cache))
        second = subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert second.stderr is not None
        waiting = next((line for line in second.stderr if "waiting" in line), None)
        assert waiting is not None and f"pid {first.pid}" in waiting, "the second build did not wait for the first"
        first.send_signal(signal.SIGCONT)
        _, err1 = first.communicate(timeout=300)
        _, err2 = second.communicate(timeout=300)
    finally:
        first.send_signal(signal.SIGCONT)
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                _kill(proc)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert "0 executed" in err2  # the second found everything the first made
    assert outputs_bytes(project / "build") == clean_build


def test_two_clean_builds_in_different_directories_are_identical(tmp_path: Path,
                                                                  clean_build: dict[str, bytes]) -> None:
    project = tiny_copy(LUCA, tmp_path / "elsewhere" / "x")
    assert build_json(project)[0] == 0
    assert outputs_bytes(project / "build") == clean_build
