"""The storyboards' share of ``bench/render_film.py``'s builds: the contact sheet (``storyboard``), the
printable board (``storyboard_pdf``) and the per-shot ``panel`` tasks they assemble, in the clean build
and in the one-shot edit.

Builds render_film's project (``project()``: 30 s, ten shots) from an empty cache, edits one shot's
action, builds again, and prints from each build's report.json the task seconds of those kinds, the
tasks re-run, the edit's critical path through the boards against the edited shot's motion, and the
CPU seconds of each build's whole process tree. Task seconds are wall time on the executor's threads:
on a shared 2-core machine they grow with the load, so ``--code DIR`` measures another checkout of
studio (an older commit unpacked with ``git archive``) and ``--alternate`` runs the two trees in turn,
``--repeat`` times each, to compare them under the same load.
Usage: python bench/boards.py [--seconds 30] [--repeat N] [--code DIR] [--alternate]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import header  # noqa: E402
from bench.render_film import PACKAGES, project  # noqa: E402

KINDS = ("panel", "storyboard", "storyboard_pdf")
EDIT = ("@Cove glitters, @Luca watches the waves", "@Cove glitters at noon, @Luca watches")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _build(code: Path, path: Path, cache: Path) -> tuple[float, dict]:
    env = dict(os.environ, STUDIO_CACHE=str(cache), PYTHONPATH=str(code))
    cpu = _cpu()
    done = subprocess.run([sys.executable, "-m", "runtime.cli", "build", str(path), "--format", "json"],
                          env=env, capture_output=True, text=True, cwd=code)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return _cpu() - cpu, json.loads((path / "build" / "report.json").read_text())


def _figures(report: dict) -> dict[str, float]:
    ran = [t for t in report["tasks"] if t["status"] == "executed"]
    out: dict[str, float] = {kind: sum(t["seconds"] for t in ran if t["kind"] == kind) for kind in KINDS}
    out["count"] = sum(1 for t in ran if t["kind"] in KINDS)
    out["tasks"] = len(ran)
    out["motion"] = max((t["seconds"] for t in ran if t["kind"] == "motion"), default=0.0)
    out["build"] = report["seconds"]
    return out


def once(code: Path, seconds: float) -> tuple[dict[str, float], dict[str, float]]:
    """(clean build figures, one-shot edit figures) of ``code``'s studio."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "film"
        shutil.copytree(ROOT / "examples" / "luca", work)
        (work / "film.studio.yaml").write_text(project(seconds))
        cache = Path(tmp) / "cache"
        cpu, report = _build(code, work, cache)
        clean = {**_figures(report), "cpu": cpu}
        text = (work / "film.studio.yaml").read_text().replace(*EDIT, 1)
        (work / "film.studio.yaml").write_text(text)
        cpu, report = _build(code, work, cache)
        return clean, {**_figures(report), "cpu": cpu}


def line(tree: str, build: str, f: dict[str, float]) -> str:
    boards = sum(f[k] for k in KINDS)
    return (f"{tree:<6} {build:<6} {f['panel']:6.2f} {f['storyboard']:6.2f} {f['storyboard_pdf']:6.2f} "
            f"{boards:7.2f} {int(f['count']):5d} {int(f['tasks']):6d} {f['motion']:7.2f} {f['build']:7.2f} "
            f"{f['cpu']:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--code", type=Path, default=ROOT, help="the studio checkout to measure")
    parser.add_argument("--alternate", action="store_true", help="measure this checkout too, in turn with --code")
    opts = parser.parse_args()
    other = opts.code.resolve()
    trees = [("this", ROOT), ("other", other)] if opts.alternate else [("this" if other == ROOT else "other", other)]
    print(header("numpy", "fpdf"))
    for _, code in trees:
        subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=code, check=True,
                       stdout=subprocess.DEVNULL)
    print("task seconds of the board tasks run (panel: all panel tasks together; n: how many board tasks ran),")
    print("tasks run, the longest motion task, the build's wall seconds and its process tree's CPU seconds")
    print(f"{'tree':<6} {'build':<6} {'panel':>6} {'sheet':>6} {'pdf':>6} {'boards':>7} {'n':>5} {'tasks':>6} "
          f"{'motion':>7} {'wall':>7} {'CPU-s':>7}")
    for _ in range(opts.repeat):
        for name, code in trees:
            clean, edit = once(code, opts.seconds)
            print(line(name, "clean", clean), flush=True)
            print(line(name, "edit", edit), flush=True)


if __name__ == "__main__":
    main()
