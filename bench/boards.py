"""The storyboards' share of ``bench/render_film.py``'s builds: the contact sheet (``storyboard``), the
printable board (``storyboard_pdf``) and the per-shot ``panel`` tasks they assemble, in the clean build
and in the one-shot edit.

Builds render_film's project (``project()``: 30 s, ten shots) from an empty cache, edits one shot's
action, builds again, and prints from each build's report.json the task seconds of those kinds and how
many ran, the tasks re-run, the longest motion task (the boards run beside it in the edit), the build's
wall seconds and the CPU seconds of its whole process tree. Task seconds are wall time on the
executor's threads: on a shared 2-core machine they grow with the load and with the tasks beside them
(one process, one GIL), so each build also counts the thread CPU seconds of the board kinds' backend
``run`` calls (``board CPU``: the build runs in a child that wraps them; store commits not counted).
``--code DIR`` measures another checkout of studio (an older commit unpacked with ``git archive``)
and ``--alternate`` runs the two trees in turn, ``--repeat`` times each, under the same load.
Usage: python bench/boards.py [--seconds 30] [--repeat N] [--code DIR] [--alternate]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import header  # noqa: E402
from bench.render_film import PACKAGES, lay_out  # noqa: E402

KINDS = ("panel", "storyboard", "storyboard_pdf")
EDIT = ("@Cove glitters, @Luca watches the waves", "@Cove glitters at noon, @Luca watches")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _build(code: Path, path: Path, cache: Path) -> tuple[float, dict, float]:
    """(CPU seconds of the build's process tree, its report, thread CPU seconds of the board tasks' runs)."""
    env = dict(os.environ, STUDIO_CACHE=str(cache), PYTHONPATH=str(code))
    cpu, counts = _cpu(), path.parent / "board-cpu.json"
    done = subprocess.run([sys.executable, __file__, "--child", str(code), str(counts), str(path)],
                          env=env, capture_output=True, text=True, cwd=code)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return _cpu() - cpu, json.loads((path / "build" / "report.json").read_text()), \
        json.loads(counts.read_text())["cpu"]


def child(code: Path, counts: Path, project: Path) -> int:
    """``studio build PROJECT`` in this process, the board kinds' backend runs counted in thread CPU seconds."""
    import functools
    import importlib
    import threading

    sys.path[:] = [str(code)] + [p for p in sys.path if p != str(ROOT)]  # the studio measured: --code's
    assert not any(m.split(".")[0] in ("runtime", "backends", "compiler") for m in sys.modules)
    from runtime.cli import main as studio

    assert Path(studio.__code__.co_filename).is_relative_to(code), studio.__code__.co_filename

    total, lock = [0.0], threading.Lock()

    def counted(run):  # type: ignore[no-untyped-def]
        @functools.wraps(run)
        def wrapper(task, *args, **kwargs):  # type: ignore[no-untyped-def]
            if task.kind not in KINDS:
                return run(task, *args, **kwargs)
            start = time.thread_time()
            try:
                return run(task, *args, **kwargs)
            finally:
                with lock:
                    total[0] += time.thread_time() - start
        return wrapper

    for name in ("backends.procedural", "backends.export.pdf"):
        module = importlib.import_module(name)
        module.run = counted(module.run)  # type: ignore[attr-defined]
    exit_code = studio(["build", str(project), "--format", "json"])
    counts.write_text(json.dumps({"cpu": total[0]}))
    return exit_code


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
        work, cache = lay_out(Path(tmp), seconds)
        cpu, report, boards = _build(code, work, cache)
        clean = {**_figures(report), "cpu": cpu, "board_cpu": boards}
        text = (work / "film.studio.yaml").read_text().replace(*EDIT, 1)
        (work / "film.studio.yaml").write_text(text)
        cpu, report, boards = _build(code, work, cache)
        return clean, {**_figures(report), "cpu": cpu, "board_cpu": boards}


def line(tree: str, build: str, f: dict[str, float]) -> str:
    boards = sum(f[k] for k in KINDS)
    return (f"{tree:<6} {build:<6} {f['panel']:6.2f} {f['storyboard']:6.2f} {f['storyboard_pdf']:6.2f} "
            f"{boards:7.2f} {f['board_cpu']:7.2f} {int(f['count']):3d} {int(f['tasks']):6d} {f['motion']:7.2f} "
            f"{f['build']:7.2f} {f['cpu']:7.1f}")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        raise SystemExit(child(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])))
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--code", type=Path, default=ROOT, help="the studio checkout to measure")
    parser.add_argument("--alternate", action="store_true", help="measure this checkout too, in turn with --code")
    opts = parser.parse_args()
    other = opts.code.resolve()
    trees = [("this", ROOT), ("other", other)] if opts.alternate else [("this" if other == ROOT else "other", other)]
    print(header("numpy", "reportlab", "fpdf"))  # fpdf: what the board used before reportlab (--code)
    for _, code in trees:
        subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=code, check=True,
                       stdout=subprocess.DEVNULL)
    print("task seconds of the board tasks run (panel: all panel tasks together), their backends' thread CPU")
    print("seconds (board CPU), how many ran (n), tasks run, the longest motion task, the build's wall seconds")
    print("and its process tree's CPU seconds")
    print(f"{'tree':<6} {'build':<6} {'panel':>6} {'sheet':>6} {'pdf':>6} {'boards':>7} {'b.CPU':>7} {'n':>3} "
          f"{'tasks':>6} {'motion':>7} {'wall':>7} {'CPU-s':>7}")
    for _ in range(opts.repeat):
        for name, code in trees:
            clean, edit = once(code, opts.seconds)
            print(line(name, "clean", clean), flush=True)
            print(line(name, "edit", edit), flush=True)


if __name__ == "__main__":
    main()
