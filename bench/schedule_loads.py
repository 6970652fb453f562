"""Model loads and wall time: studio's model-grouped schedule against plain document order.

A project whose shots alternate between two image models (plus a video model), with a memory
budget that fits one model at a time, runs through the real executor and model manager with a
stand-in backend that sleeps while loading (``--load`` seconds) and while rendering (``--run``).
Usage: python bench/schedule_loads.py [--shots 24] [--load 0.5] [--run 0.02]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends import CATALOG  # noqa: E402
from backends.base import Result, TaskRun  # noqa: E402
from bench.machine import header  # noqa: E402
from compiler import compile_project  # noqa: E402
from compiler.schedule import schedule  # noqa: E402
from runtime.executor import Executor  # noqa: E402
from runtime.models import ModelManager  # noqa: E402
from runtime.store import Store  # noqa: E402
from runtime.tasks import Task  # noqa: E402


def project(shots: int) -> str:
    lines = ["studio: 1", "project: {title: Alternating, vram_gb: 8}", "models:",
             "  a: {backend: diffusers, kind: image, weights: org/model-a, vram_gb: 6}",
             "  b: {backend: diffusers, kind: image, weights: org/model-b, vram_gb: 6}",
             "  v: {backend: diffusers, kind: video, weights: org/video, vram_gb: 7}",
             "scenes:", "  - id: s", "    models: {video: v}", "    shots:"]
    lines += [f"      - {{id: x{i}, duration: 1, models: {{image: {'ab'[i % 2]}}}}}" for i in range(shots)]
    return "\n".join(lines) + "\n"


class Quiet:
    def started(self, task: Task) -> None: ...
    def step(self, task: Task, done: int, total: int) -> None: ...
    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None: ...


def stand_in(load_s: float, run_s: float, concurrent: bool) -> types.ModuleType:
    module = types.ModuleType("stand_in")
    module.CONCURRENT = concurrent

    def load(config: dict[str, Any]) -> str:
        time.sleep(load_s if config else 0.0)
        return str(config.get("name"))

    def run(task: TaskRun, handle: Any) -> Result:
        time.sleep(run_s)
        path = task.workdir / "out"
        path.write_text(task.id)
        return Result({k: path for k in ("image", "video", "clip", "dialogue", "film", "srt", "audio")},
                      {"duration": 1.0})

    module.load, module.unload, module.run = load, lambda handle: None, run
    return module


def measure(tasks: dict[str, Task], order: list[str], budget: float, load_s: float, run_s: float) -> tuple[int, float]:
    gpu, cpu = stand_in(load_s, run_s, False), stand_in(0.0, run_s, True)

    def backend(name: str) -> types.ModuleType:
        return gpu if name == "diffusers" else cpu

    with tempfile.TemporaryDirectory() as tmp:
        models = ModelManager(budget, backend)
        executor = Executor(tasks, Store(Path(tmp)), models, backend, Quiet(), jobs=2)
        start = time.perf_counter()
        outcome = executor.run(order, {})
        elapsed = time.perf_counter() - start
        assert all(s == "executed" for s in outcome.status.values()), outcome.failures
        return models.loads, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", type=int, default=24)
    parser.add_argument("--load", type=float, default=0.5)
    parser.add_argument("--run", type=float, default=0.02)
    opts = parser.parse_args()
    print(header())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "film.studio.yaml"
        path.write_text(project(opts.shots))
        result = compile_project(path, backends=CATALOG)
    assert result.plan is not None, result.diagnostics
    tasks = {t.id: Task.from_spec(t) for t in result.plan.tasks.values()}
    items = [(t.id, t.model_identity, t.model["vram_gb"] if t.model else 0.0, list(t.inputs.values()))
             for t in tasks.values()]
    planned = schedule(items, 8)
    loads, grouped = measure(tasks, list(planned.order), 8, opts.load, opts.run)
    naive_loads, naive = measure(tasks, list(tasks), 8, opts.load, opts.run)
    print(f"{opts.shots} shots alternating 2 image models + 1 video model, budget fits one model, "
          f"load {opts.load} s, render {opts.run} s per task")
    print(f"schedule:       {loads:>3} loads (lower bound {planned.lower_bound}), {grouped:.2f} s")
    print(f"document order: {naive_loads:>3} loads, {naive:.2f} s")
    print(f"wall time ratio (schedule / document order): {grouped / naive:.2f}")


if __name__ == "__main__":
    main()
