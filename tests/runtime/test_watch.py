"""``studio watch``: builds, rebuilds on a change, cancels a build a change overtakes, keeps models
loaded between builds, ignores its own output, stops on Ctrl-C with 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.build import BuildOptions
from runtime.watch import watch
from tests.conftest import LUCA, ROOT
from tests.runtime.helpers import tiny_copy

PEEK = 'action: "@Luca peeks over a rock at the water"'


def report(project: Path) -> dict[str, Any]:
    return {t["id"]: t for t in json.loads((project / "build" / "report.json").read_text())["tasks"]}


def edit(project: Path, old: str, new: str) -> None:
    path = project / "film.studio.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


class Watching:
    """``watch`` on a thread, with a hook each time it goes idle (a build finished)."""

    def __init__(self, project: Path, **options: Any) -> None:
        self.stop = threading.Event()
        self.idle = threading.Semaphore(0)
        self.code: int | None = None
        opts = BuildOptions(project, format="json", jobs=2, **options)
        self.thread = threading.Thread(target=self._run, args=(opts,), daemon=True)
        self.thread.start()

    def _run(self, opts: BuildOptions) -> None:
        self.code = watch(opts, debounce_ms=100, stop=self.stop, on_idle=self.idle.release)

    def wait_idle(self, timeout: float = 120) -> None:
        assert self.idle.acquire(timeout=timeout), "watch did not finish a build in time"

    def close(self) -> int | None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        return self.code


def test_an_edit_rebuilds_what_it_touches_with_models_kept_loaded(tmp_path: Path, capfd: Any) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    w = Watching(project)
    try:
        w.wait_idle()
        first = report(project)
        assert all(t["status"] == "executed" for t in first.values())
        (project / "build" / "notes.txt").write_text("the watch ignores its own output folder")
        edit(project, PEEK, 'action: "@Luca peeks over a big rock at the water"')
        w.wait_idle()
        second = report(project)
        executed = {tid for tid, t in second.items() if t["status"] == "executed"}
        assert {"keyframe:cove/peek", "motion:cove/peek", "film"} <= executed
        assert not {tid for tid in executed if tid.startswith(("keyframe:", "speech:")) and "peek" not in tid}
    finally:
        assert w.close() == 0
    out, err = capfd.readouterr()
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [e["paths"] for e in events if e.get("event") == "changed"] == [["film.studio.yaml"]]
    assert sum(e.get("event") == "watching" for e in events) == 2
    summaries = [json.loads(line) for line in out.splitlines()]
    assert summaries[0]["model_loads"] >= 1
    assert summaries[1]["model_loads"] == 0 and summaries[1]["model_loads_lower_bound"] >= 1  # still loaded


def test_an_edit_during_a_build_cancels_it_and_the_next_build_finishes(tmp_path: Path, capfd: Any) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca", size=(960, 540))  # builds for seconds: time to edit
    w = Watching(project)
    try:
        objects = project / ".studio" / "objects"
        deadline = time.monotonic() + 60
        while not (objects.is_dir() and any(objects.rglob("*"))):  # the first task has finished
            assert time.monotonic() < deadline
            time.sleep(0.02)
        edit(project, PEEK, 'action: "@Luca peeks over a big rock at the water"')
        w.wait_idle()
        final = report(project)
        assert all(t["status"] in ("executed", "cached") for t in final.values())
        assert any(t["status"] == "cached" for t in final.values())  # the cancelled build's work was kept
    finally:
        assert w.close() == 0
    err = capfd.readouterr().err
    assert "film.studio.yaml changed; finished tasks are kept in the cache" in err


def test_a_project_with_errors_is_reported_and_waited_on(tmp_path: Path, capfd: Any) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    edit(project, "type: medium", "type: meduim")
    w = Watching(project)
    try:
        w.wait_idle()
        assert not (project / "build" / "report.json").exists()
        edit(project, "type: meduim", "type: medium")
        w.wait_idle()
        assert (project / "build" / "final.mp4").is_file()
    finally:
        assert w.close() == 0
    assert "E2" in capfd.readouterr().err  # the diagnostic was shown


def test_ctrl_c_stops_the_watch_with_130(tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_CACHE"}
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "watch", str(project), "--format", "json"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith('{"event": "watching"'):
                break
        else:
            pytest.fail("watch never reported that it was watching")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    finally:
        proc.kill()
        proc.wait()
    assert (project / "build" / "final.mp4").is_file()


WARM_PROBE = """
import sys, threading
from pathlib import Path
from runtime.build import BuildOptions
from runtime.watch import watch
stop = threading.Event()
seen = []
def idle():
    seen.append(sorted(m for m in ("backends.procedural.motion", "backends.ffmpeg.soundtrack", "reportlab", "torch",
                                   "compiler.pipeline") if m in sys.modules))
    stop.set()
opts = BuildOptions(path=Path(sys.argv[1]), cache=Path(sys.argv[2]), format="json")
watch(opts, debounce_ms=100, stop=stop, on_idle=idle)
print(",".join(seen[0]))
"""


def test_a_fresh_watch_imports_what_its_next_build_needs_while_it_waits(tmp_path: Path) -> None:
    """The first build of a watch over a built project is a no-op and imports no backend; the first
    edit would pay for numpy, the drawing modules and reportlab, and for the compiler (the plan came
    from the plan cache). The watch warms the plan's backends while it waits (each backend's
    ``warm()``), never one the plan does not use (torch), and checks the project once."""
    project = tiny_copy(LUCA, tmp_path / "luca")
    cache = tmp_path / "cache"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    built = subprocess.run([sys.executable, "-m", "runtime.cli", "build", str(project), "--cache", str(cache)],
                           cwd=ROOT, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    done = subprocess.run([sys.executable, "-c", WARM_PROBE, str(project), str(cache)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    warmed = "backends.ffmpeg.soundtrack,backends.procedural.motion,compiler.pipeline,reportlab"
    assert done.stdout.split()[-1] == warmed
