"""Kills, crashes and concurrent builds never leave anything a later build trusts but is incomplete."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import LUCA, ROOT
from tests.runtime.helpers import build_json, outputs_bytes, tiny_copy


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    project = tiny_copy(LUCA, tmp_path_factory.mktemp("clean") / "luca")
    code, _, err = build_json(project)
    assert code == 0, err
    return outputs_bytes(project / "build")


def _start(project: Path, cache: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, STUDIO_CACHE=str(cache))
    return subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_sigkill_at_random_moments(tmp_path: Path, clean_build: dict[str, bytes]) -> None:
    rng = random.Random(20261122)
    project = tiny_copy(LUCA, tmp_path / "luca")
    cache = tmp_path / "cache"
    for trial in range(24):
        proc = _start(project, cache)
        time.sleep(rng.uniform(0.05, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if trial % 6 == 5:  # now and then, let a build finish so later kills hit a warm store
            assert build_json(project, cache=cache)[0] == 0
    code, summary, err = build_json(project, cache=cache)
    assert code == 0, err
    assert not summary["failed"]
    assert outputs_bytes(project / "build") == clean_build


def test_one_kill_then_a_clean_result(tmp_path: Path, clean_build: dict[str, bytes]) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    cache = tmp_path / "cache"
    proc = _start(project, cache)
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    code, _, err = build_json(project, cache=cache)
    assert code == 0, err
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
    project = tiny_copy(LUCA, tmp_path / "luca")
    cache = tmp_path / "cache"
    env = dict(os.environ, STUDIO_CACHE=str(cache))
    cmd = [sys.executable, "-m", "runtime.cli", "build", str(project)]
    first = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    second = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err1 = first.communicate(timeout=300)
    _, err2 = second.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert "waiting" in err2
    assert "0 executed" in err2  # the second found everything the first made
    assert outputs_bytes(project / "build") == clean_build


def test_two_clean_builds_in_different_directories_are_identical(tmp_path: Path,
                                                                  clean_build: dict[str, bytes]) -> None:
    project = tiny_copy(LUCA, tmp_path / "elsewhere" / "x")
    assert build_json(project)[0] == 0
    assert outputs_bytes(project / "build") == clean_build
