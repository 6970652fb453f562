"""The executor: runs the stale tasks of a plan through their backends and stores the results.

Model-bound tasks (backends that are not ``CONCURRENT``, i.e. GPU models) run one at a time in
the schedule's order, so each model loads as few times as the schedule promised. CPU tasks
(procedural pictures, eSpeak, ffmpeg) run beside them on up to ``jobs`` threads. A failed task
marks its dependents skipped; independent branches still finish. Cancelling (Ctrl-C) stops
dispatching at once; nothing half-made is ever committed to the store.
"""

from __future__ import annotations

import heapq
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from backends.base import Artifact, BackendError, Result, TaskRun
from compiler.settle import settle

from .models import ModelManager
from .store import ActionRecord, Store
from .tasks import Task

__all__ = ["Executor", "Outcome", "Reporter", "TASK_THREADS"]

TASK_THREADS = 2
"""Threads a task may use for numerics and encoding. Fixed, not the machine's core count:
thread counts change the bytes some encoders and kernels produce."""


class Reporter(Protocol):
    def started(self, task: Task) -> None: ...
    def step(self, task: Task, done: int, total: int) -> None: ...
    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None: ...


@dataclass
class Outcome:
    status: dict[str, str] = field(default_factory=dict)
    """Task id -> executed, cached, failed or skipped."""
    records: dict[str, ActionRecord] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    """Task id -> traceback of an unexpected (non-backend) error, for report.json."""
    seconds: dict[str, float] = field(default_factory=dict)
    cancelled: bool = False


@dataclass
class Executor:
    tasks: Mapping[str, Task]
    store: Store
    models: ModelManager
    load_backend: Callable[[str], ModuleType]
    reporter: Reporter
    jobs: int = 2
    cancel: threading.Event = field(default_factory=threading.Event)

    def run(self, order: Sequence[str], cached: Mapping[str, ActionRecord]) -> Outcome:
        """Run ``order`` (a topological order of the stale tasks); ``cached`` holds the hits."""
        out = Outcome()
        for tid, record in cached.items():
            out.status[tid] = "cached"
            out.records[tid] = record
        position = {tid: i for i, tid in enumerate(order)}
        concurrent = {tid: self._concurrent(self.tasks[tid]) for tid in order}
        waiting = {tid: sum(1 for d in self.tasks[tid].inputs.values() if d in position) for tid in order}
        users: dict[str, list[str]] = {}
        for tid in order:
            for dep in self.tasks[tid].inputs.values():
                if dep in position:
                    users.setdefault(dep, []).append(tid)
        ready: list[tuple[int, str]] = []  # concurrent tasks whose inputs exist, by schedule position
        serial = [tid for tid in order if not concurrent[tid]]  # model tasks run in exactly this order
        next_serial = 0
        serial_busy = False
        running: dict[str, threading.Thread] = {}
        events: queue.Queue[tuple[str, ActionRecord | None, str | None, str | None, float]] = queue.Queue()

        def settled(tid: str) -> None:
            for user in users.get(tid, ()):
                waiting[user] -= 1
                if waiting[user] == 0 and concurrent[user] and user not in out.status:
                    heapq.heappush(ready, (position[user], user))

        def skip_dependents(tid: str) -> None:
            stack = list(users.get(tid, ()))
            while stack:
                user = stack.pop()
                if user not in out.status:
                    out.status[user] = "skipped"
                    self.reporter.finished(self.tasks[user], "skipped", 0.0, None)
                    stack.extend(users.get(user, ()))

        def start(tid: str) -> None:
            task = self.tasks[tid]
            inputs = {d: out.records[d] for d in task.inputs.values()}
            thread = threading.Thread(target=self._work, args=(task, inputs, events), name=f"studio:{tid}",
                                      daemon=True)
            running[tid] = thread
            self.reporter.started(task)
            thread.start()

        for tid in order:
            if waiting[tid] == 0 and concurrent[tid]:
                heapq.heappush(ready, (position[tid], tid))
        try:
            while True:
                if self.cancel.is_set():
                    out.cancelled = True
                    break
                while next_serial < len(serial) and out.status.get(serial[next_serial]) == "skipped":
                    next_serial += 1
                if not serial_busy and next_serial < len(serial) and waiting[serial[next_serial]] == 0:
                    start(serial[next_serial])
                    next_serial += 1
                    serial_busy = True
                while ready and len(running) - serial_busy < self.jobs:
                    _, tid = heapq.heappop(ready)
                    if tid not in out.status:
                        start(tid)
                if not running:
                    break
                try:
                    tid, record, message, detail, seconds = events.get(timeout=0.2)
                except queue.Empty:
                    continue
                running.pop(tid).join()
                serial_busy = serial_busy and concurrent[tid]
                out.seconds[tid] = seconds
                if record is not None:
                    out.status[tid] = "executed"
                    out.records[tid] = record
                    self.reporter.finished(self.tasks[tid], "executed", seconds)
                    settled(tid)
                else:
                    out.status[tid] = "failed"
                    out.failures[tid] = message or "failed"
                    if detail:
                        out.details[tid] = detail
                    self.reporter.finished(self.tasks[tid], "failed", seconds, message)
                    skip_dependents(tid)
        except KeyboardInterrupt:
            self.cancel.set()
            out.cancelled = True
        if out.cancelled:
            for thread in running.values():
                thread.join(timeout=2.0)
        return out

    def _concurrent(self, task: Task) -> bool:
        if task.model is None:
            return True
        try:
            return bool(getattr(self.load_backend(task.backend), "CONCURRENT", False))
        except ImportError:
            return True  # the failure surfaces when the task runs

    def _work(self, task: Task, records: dict[str, ActionRecord],
              events: queue.Queue[tuple[str, ActionRecord | None, str | None, str | None, float]]) -> None:
        start = time.perf_counter()
        try:
            record = self._run(task, records)
            events.put((task.id, record, None, None, time.perf_counter() - start))
        except BackendError as exc:
            events.put((task.id, None, str(exc) or type(exc).__name__, None, time.perf_counter() - start))
        except ImportError as exc:
            hint = " (install the AI extras: pip install -e '.[ai]')" if task.backend in ("diffusers", "transformers") \
                else ""
            events.put((task.id, None, f"backend '{task.backend}' cannot be loaded: {exc}{hint}", None,
                        time.perf_counter() - start))
        except Exception as exc:  # a bug in a backend must not take the build down
            events.put((task.id, None, f"internal error in backend '{task.backend}': {type(exc).__name__}: {exc}",
                        traceback.format_exc(), time.perf_counter() - start))

    def _run(self, task: Task, records: dict[str, ActionRecord]) -> ActionRecord:
        inputs = {role: self._artifact(records[tid]) for role, tid in task.inputs.items()}
        params = settle(task.kind, task.params, {role: a.meta for role, a in inputs.items()})
        backend = self.load_backend(task.backend)
        with self.store.workdir() as workdir:
            run = TaskRun(task.id, task.kind, params, inputs, task.file_paths(), workdir, TASK_THREADS,
                          lambda done, total: self.reporter.step(task, done, total))
            if task.model is not None:
                m = task.model
                with self.models.use(m["identity"], task.backend, m["config"], float(m["vram_gb"])) as handle:
                    result = backend.run(run, handle)
            else:
                result = backend.run(run, backend.load({}))  # tool tasks: no model configuration
            self._check(task, result, workdir)
            if self.cancel.is_set():
                raise BackendError("cancelled")
            info: dict[str, Any] = {"task": task.id, "backend": task.backend,
                                    "model": task.model["name"] if task.model else None,
                                    "seed": task.params.get("seed")}
            return self.store.commit(task.key, result.outputs, result.meta, info)

    def _artifact(self, record: ActionRecord) -> Artifact:
        return Artifact({name: self.store.object_path(o["digest"]) for name, o in record.outputs.items()},
                        record.meta)

    @staticmethod
    def _check(task: Task, result: Result, workdir: Path) -> None:
        if not isinstance(result, Result) or not result.outputs:
            raise BackendError(f"backend '{task.backend}' returned no outputs for {task.id}")
        for name, path in result.outputs.items():
            resolved = Path(path).resolve()
            if workdir.resolve() not in resolved.parents or not resolved.is_file():
                raise BackendError(f"backend '{task.backend}' output '{name}' of {task.id} is not a file in its "
                                   "work directory")
