"""Render 30 s of 1280x720 film at 24 fps from an empty cache, then again after a one-shot edit.

Prints the clean build's wall time against the film's length (target: at least 3x real time on
the 2-core development machine, goal 5x), frames per second of keyframes (and the task seconds of the
backdrops they read), motion and encoding, and the rebuild time after editing one shot's action
(target: under a tenth of the clean build) with that shot's keyframe's task seconds (its backdrop stays
cached: the edit repaints nothing).
The edit is timed as a new ``studio build`` process (its start and compile included): through the
build server the clean build started (runtime/server; the script waits until it is ready, as a
writer's edit takes longer than its start), and with no server (``STUDIO_SERVER=0``: Python's
imports included); and inside a running ``studio watch`` (the writer's loop: from the ``changed``
event, after the watch's 300 ms debounce, to the next ``watching`` event): three edits of that shot,
the first in a fresh watch (which imports what the rebuild needs, the PDF library among it) and the
fastest of the next two.
Each build also reports the CPU seconds of its whole process tree (studio, ffmpeg, eSpeak): on a
machine shared with other work, wall time says little and CPU time stays meaningful.
``--repeat N`` runs the pair N times and keeps the fastest of each.
Studio's own modules are byte-compiled first (``compileall``), as an installed package is: the
development shells set ``PYTHONDONTWRITEBYTECODE``, which would make every build compile some 100
modules from source (0.2 to 0.3 CPU-s a build, a tenth of a one-shot edit) and measure that.
Usage: python bench/render_film.py [--seconds 30] [--jobs N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import header  # noqa: E402

SHOT = """\
      - id: s{i}
        type: {type}
        duration: {duration}
        action: "{action}"
        camera: {{move: {move}}}
{extra}"""
PACKAGES = ["studio_lang", "compiler", "backends", "runtime"]
TYPES = ["establishing", "medium", "close_up", "wide", "over_the_shoulder"]
MOVES = ["pan_right", "dolly_in", "zoom_out", "tilt_up", "pan_left"]


def project(seconds: float) -> str:
    luca = (ROOT / "examples" / "luca" / "film.studio.yaml").read_text()
    head = luca.split("scenes:")[0]
    shots = []
    n = max(1, round(seconds / 3))
    for i in range(n):
        extra = ""
        if i % 3 == 1:
            extra = ('        dialogue:\n          - {character: Luca, line: "Look, the sea is calling us."}\n')
        if i % 4 == 2:
            extra += "        transition: {type: dissolve, duration: 0.5}\n"
        action = "@Luca and @Alberto run along @Cove" if i % 2 else "@Cove glitters, @Luca watches the waves"
        shots.append(SHOT.format(i=i, type=TYPES[i % 5], duration=3 + (0.5 if i % 4 == 2 else 0), action=action,
                                 move=MOVES[i % 5], extra=extra))
    audio = "\naudio:\n  - {id: theme, file: audio/theme.wav, volume: 0.6, duck_under_dialogue: true, loop: true}\n"
    return head + "scenes:\n  - id: bench\n    location: Cove\n    shots:\n" + "".join(shots) + audio


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def studio_env(cache: Path, servers: Path | None) -> dict[str, str]:
    """The environment of a ``studio`` command: this cache, and build servers in ``servers`` (off if None)."""
    env = dict(os.environ, STUDIO_CACHE=str(cache), STUDIO_SERVER="0" if servers is None else "1")
    if servers is not None:
        env["STUDIO_SERVER_DIR"] = str(servers)
    return env


def build(path: Path, cache: Path, jobs: int, servers: Path | None = None) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of the build's process tree, report). Through a build server, the CPU
    seconds are the client's alone (the worker is the server's child)."""
    env = studio_env(cache, servers)
    start, cpu = time.perf_counter(), _children_cpu()
    cmd = [sys.executable, "-m", "runtime.cli", "build", str(path), "--format", "json"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return elapsed, cpu, json.loads((path / "build" / "report.json").read_text())


WATCH_EDITS = ("@Cove glitters at dusk, @Luca watches", "@Cove glitters at night, @Luca watches",
               "@Cove glitters at dawn, @Luca watches")


def watched_edits(path: Path, cache: Path, jobs: int, old: str) -> list[float]:
    """Seconds from ``studio watch`` hearing each edit of one shot (its ``changed`` event) to its next
    ``watching``: the first edit in a fresh watch, then the writer's steady state (libraries the
    first rebuild imported, the PDF library among them, stay imported)."""
    env = studio_env(cache, None)
    cmd = [sys.executable, "-m", "runtime.cli", "watch", str(path), "--format", "json"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    took: list[float] = []
    try:
        changed: float | None = None
        for line in proc.stderr:
            event = json.loads(line).get("event") if line.startswith("{") else None
            if event == "changed":
                changed = time.perf_counter()
            elif event == "watching":
                if changed is not None:
                    took.append(time.perf_counter() - changed)
                    changed = None
                if len(took) == len(WATCH_EDITS):
                    return took
                new = WATCH_EDITS[len(took)]
                text = (path / "film.studio.yaml").read_text()
                (path / "film.studio.yaml").write_text(text.replace(old, new, 1))
                old = new
        raise SystemExit("studio watch ended before rebuilding the edits")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def lay_out(tmp: Path, seconds: float) -> tuple[Path, Path]:
    """(the bench project, written into ``tmp`` beside the luca example's files; an empty cache there)."""
    work = tmp / "film"
    shutil.copytree(ROOT / "examples" / "luca", work)
    (work / "film.studio.yaml").write_text(project(seconds))
    return work, tmp / "cache"


def edit(work: Path, old: str, new: str) -> None:
    text = (work / "film.studio.yaml").read_text()
    (work / "film.studio.yaml").write_text(text.replace(old, new, 1))


def once(seconds: float, jobs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work, cache = lay_out(Path(tmp), seconds)
        servers = Path(tmp) / "servers"  # this run's build servers only
        servers.mkdir(mode=0o700)
        try:
            return _once(work, cache, servers, jobs)
        finally:
            subprocess.run([sys.executable, "-m", "runtime.cli", "server", "stop"], env=studio_env(cache, servers),
                           cwd=ROOT, capture_output=True)


def _once(work: Path, cache: Path, servers: Path, jobs: int) -> dict[str, Any]:
    # The first build finds no server: it runs in its own process and starts one as it ends.
    clean, clean_cpu, report = build(work, cache, jobs, servers)
    film = next(t for t in report["tasks"] if t["id"] == "film")
    by_kind: dict[str, float] = {}
    for t in report["tasks"]:
        by_kind[t["kind"]] = by_kind.get(t["kind"], 0.0) + t["seconds"]
    # A writer's edit takes longer than the server's start (imports, about half a second): wait for it.
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "runtime.cli", "server", "start"], env=studio_env(cache, servers),
                   cwd=ROOT, check=True, capture_output=True)
    ready = time.perf_counter() - start
    edit(work, "@Cove glitters, @Luca watches the waves", "@Cove glitters at noon, @Luca watches")
    again, _, report = build(work, cache, jobs, servers)
    ran = [t["id"] for t in report["tasks"] if t["status"] == "executed"]
    redrawn = sum(t["seconds"] for t in report["tasks"] if t["status"] == "executed" and t["kind"] == "keyframe")
    edit(work, "@Cove glitters at noon, @Luca watches", "@Cove glitters at midday, @Luca watches")
    alone, alone_cpu, report = build(work, cache, jobs)
    assert [t["id"] for t in report["tasks"] if t["status"] == "executed"] == ran
    warm = watched_edits(work, cache, jobs, "@Cove glitters at midday, @Luca watches")
    return {"warm": warm, "length": film["meta"]["duration"], "frames": film["meta"]["frames"], "clean": clean,
            "clean_cpu": clean_cpu, "again": again, "alone": alone, "alone_cpu": alone_cpu, "ready": ready,
            "rebuilt": len(ran), "redrawn": redrawn,
            "keyframes": sum(1 for t in report["tasks"] if t["kind"] == "keyframe"),
            "backdrops": sum(1 for t in report["tasks"] if t["kind"] == "backdrop"), **by_kind}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    opts = parser.parse_args()
    print(header("numpy", "imageio_ffmpeg"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    runs = [once(opts.seconds, opts.jobs) for _ in range(opts.repeat)]
    best = min(runs, key=lambda r: r["clean"])
    clean, clean_cpu = best["clean"], min(r["clean_cpu"] for r in runs)
    again, alone, alone_cpu = (min(r[k] for r in runs) for k in ("again", "alone", "alone_cpu"))
    length, frames = best["length"], best["frames"]
    print(f"film: {length:.2f} s, {frames} frames at 1280x720; clean build {clean:.1f} s "
          f"= {length / clean:.2f}x real time (fastest of {len(runs)}); {clean_cpu:.1f} CPU-s "
          f"(at most {length / (clean_cpu / 2):.2f}x on two idle cores)")
    print(f"keyframes: {best['keyframes']} in {best['keyframe']:.1f} task-s "
          f"({best['keyframes'] / best['keyframe']:.2f}/s), on {best['backdrops']} backdrops painted in "
          f"{best.get('backdrop', 0):.1f} task-s")
    print(f"motion (procedural frames + x264): {frames / best['motion']:.0f} frames/s of task time")
    print(f"shots, transitions, soundtrack, film assembly: {best.get('shot', 0):.1f} + "
          f"{best.get('transition', 0):.1f} + {best.get('soundtrack', 0):.1f} + {best.get('film', 0):.1f}"
          f" task-s; speech {best.get('speech', 0):.2f} task-s")
    ready = max(r["ready"] for r in runs)
    print(f"one-shot edit, a new studio build process (the build server ready {ready:.2f} s after the clean "
          f"build): rebuilt {best['rebuilt']} tasks in {again:.2f} s = {again / clean:.3f} of the clean build; "
          f"its keyframe {min(r['redrawn'] for r in runs):.2f} task-s")
    print(f"the same edit with no build server (STUDIO_SERVER=0): {alone:.2f} s = {alone / clean:.3f} of the clean "
          f"build; {alone_cpu:.1f} CPU-s = {alone_cpu / clean_cpu:.2f} of its CPU")
    first = min(r["warm"][0] for r in runs)
    steady = min(min(r["warm"][1:]) for r in runs)
    print(f"the same kind of edit in a running studio watch: the first {first:.2f} s = {first / clean:.2f} of the "
          f"clean build; the next ones {steady:.2f} s = {steady / clean:.2f}")


if __name__ == "__main__":
    main()
