"""No-op build time of synthetic projects (1,000 and 10,000 shots), Python start-up included.

Rendering 10,000 shots is not what this measures, so the store is filled directly: every task of
the plan gets a small stand-in record, then `studio build` runs twice (the first fills the plan
cache and build/, the second is the no-op a user waits for). Targets (issue 3): 1,000 shots
under 0.5 s, 10,000 under 3 s on the 2-core development machine.

Then the reference project right after an edit (issue 10, item 18): the project file is written
anew (as an editor saves it), `studio build` runs (it compiles; the film is already in the store),
and the no-op build right after it is timed against the later ones.
Usage: python bench/build_noop.py [--sizes 1000 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends import CATALOG  # noqa: E402
from bench.machine import header  # noqa: E402
from bench.synthetic import write_project  # noqa: E402
from compiler import compile_project  # noqa: E402
from runtime.store import Store  # noqa: E402


def fill_store(project: Path, cache: Path) -> int:
    result = compile_project(project, backends=CATALOG)
    assert result.plan is not None, result.diagnostics
    store = Store(cache)
    stand_in = cache / "stand-in.bin"
    cache.mkdir(parents=True, exist_ok=True)
    for task in result.plan.tasks.values():
        stand_in.write_bytes(task.key.encode())
        outputs = {"film": "film", "shot": "clip", "keyframe": "image", "speech": "audio", "subtitles": "srt",
                   "storyboard": "image", "motion": "video", "transition": "video", "soundtrack": "audio"}
        # a kind added later gets a role named after it: a no-op build reads no task's outputs
        store.commit(task.key, {outputs.get(task.kind, task.kind): stand_in}, {"duration": 1.0}, {"task": task.id})
    return len(result.plan.tasks)


def timed(project: Path, cache: Path) -> float:
    env = dict(os.environ, STUDIO_CACHE=str(cache))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "runtime.cli", "build", str(project)], env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or " 0 executed" not in done.stderr:
        raise SystemExit(f"not a no-op build:\n{done.stderr[-1500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    print(header())
    baseline = min(_python_startup() for _ in range(3))
    print(f"python start-up alone: {baseline:.3f} s")
    print(f"{'shots':>6} {'tasks':>6} {'first build s':>13} {'no-op best s':>12} {'no-op median s':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        for shots in opts.sizes:
            project = write_project(Path(tmp) / str(shots), shots)
            old = time.time() - 60  # the plan cache trusts only files older than a couple of seconds
            os.utime(project, (old, old))
            cache = Path(tmp) / f"cache-{shots}"
            tasks = fill_store(project, cache)
            first = timed(project, cache)
            runs = sorted(timed(project, cache) for _ in range(opts.runs))
            print(f"{shots:>6} {tasks:>6} {first:>13.2f} {runs[0]:>12.3f} {runs[len(runs) // 2]:>14.3f}")
    after_an_edit(opts.runs)


def after_an_edit(runs: int) -> None:
    """The reference project: the first no-op build right after the build that follows an edit."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "luca"
        shutil.copytree(root / "examples" / "luca", project, ignore=shutil.ignore_patterns(".studio", "build"))
        cache = Path(tmp) / "cache"
        build(project, cache)  # renders the film once
        firsts, laters = [], []
        for _ in range(runs):
            path = project / "film.studio.yaml"
            path.write_bytes(path.read_bytes())  # saved again by an editor: a new mtime, just now
            build(project, cache)  # the build after the edit (compiles; nothing to render)
            firsts.append(timed(project, cache))
            laters.append(min(timed(project, cache) for _ in range(3)))
    firsts.sort()
    laters.sort()
    print(f"reference project, no-op build right after the build that follows an edit: median "
          f"{firsts[len(firsts) // 2]:.3f} s (best {firsts[0]:.3f} s); later no-op builds: median "
          f"{laters[len(laters) // 2]:.3f} s (best {laters[0]:.3f} s)")


def build(project: Path, cache: Path) -> None:
    env = dict(os.environ, STUDIO_CACHE=str(cache))
    done = subprocess.run([sys.executable, "-m", "runtime.cli", "build", str(project)], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stderr[-1500:]}")


def _python_startup() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
