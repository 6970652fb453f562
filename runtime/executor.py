"""The executor: runs the stale tasks of a plan through their backends and stores the results.

Model-bound tasks (backends that are not ``CONCURRENT``, i.e. GPU models) run one at a time in
the schedule's order, so each model loads as few times as the schedule promised. CPU tasks
(procedural pictures, eSpeak, ffmpeg) run beside them on up to ``jobs`` threads. A failed task
marks its dependents skipped; independent branches still finish. Cancelling (Ctrl-C) stops
dispatching at once; nothing half-made is ever committed to the store.
"""

from __future__ import annotations

import contextlib
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
        serial_inflight = 0
        running: dict[str, threading.Thread] = {}
        events: queue.Queue[tuple[str, ActionRecord | None, str | None, str | None, float]] = queue.Queue()
        remaining = self.models.remaining  # tasks left per model: a model with none is evicted first
        remaining.clear()
        for identity in (self.tasks[tid].model_identity for tid in order):
            if identity is not None:
                remaining[identity] = remaining.get(identity, 0) + 1

        def done_with(tid: str) -> None:
            identity = self.tasks[tid].model_identity
            if identity is not None:
                remaining[identity] -= 1

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
                    done_with(user)
                    self.reporter.finished(self.tasks[user], "skipped", 0.0, None)
                    stack.extend(users.get(user, ()))

        def start(tids: list[str]) -> None:
            batch = [self.tasks[t] for t in tids]
            inputs = {d: out.records[d] for task in batch for d in task.inputs.values()}
            thread = threading.Thread(target=self._work, args=(batch, inputs, events), name=f"studio:{tids[0]}",
                                      daemon=True)
            for task in batch:
                running[task.id] = thread
                self.reporter.started(task)
            thread.start()

        def next_batch() -> list[str]:
            """The next model task, with the ready tasks after it that the backend can batch with it."""
            nonlocal next_serial
            first = self.tasks[serial[next_serial]]
            batch = [first.id]
            next_serial += 1
            size = int((first.model or {}).get("config", {}).get("batch_size", 1))
            key = self._batch_key(first) if size > 1 else None
            while key is not None and len(batch) < size and next_serial < len(serial):
                candidate = self.tasks[serial[next_serial]]
                if candidate.model_identity != first.model_identity or waiting[candidate.id] \
                        or candidate.id in out.status or self._batch_key(candidate) != key:
                    break
                batch.append(candidate.id)
                next_serial += 1
            return batch

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
                if not serial_inflight and next_serial < len(serial) and waiting[serial[next_serial]] == 0:
                    batch = next_batch()
                    start(batch)
                    serial_inflight = len(batch)
                while ready and len(running) - serial_inflight < self.jobs:
                    _, tid = heapq.heappop(ready)
                    if tid not in out.status:
                        start([tid])
                if not running:
                    break
                try:
                    tid, done, message, detail, seconds = events.get(timeout=0.2)
                except queue.Empty:
                    continue
                running.pop(tid).join()
                done_with(tid)
                if not concurrent[tid]:
                    serial_inflight -= 1
                out.seconds[tid] = seconds
                if done is not None:
                    out.status[tid] = "executed"
                    out.records[tid] = done
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
            for thread in set(running.values()):
                if thread.ident is not None:  # Ctrl-C may land between registering a thread and starting it
                    thread.join(timeout=2.0)
        return out

    def _concurrent(self, task: Task) -> bool:
        if task.model is None:
            return True
        try:
            return bool(getattr(self.load_backend(task.backend), "CONCURRENT", False))
        except ImportError:
            return True  # the failure surfaces when the task runs

    def _batch_key(self, task: Task) -> Any:
        try:
            backend = self.load_backend(task.backend)
        except ImportError:
            return None
        if not hasattr(backend, "run_batch") or not hasattr(backend, "batch_key"):
            return None
        return backend.batch_key(task.kind, task.params)

    def _work(self, batch: list[Task], records: dict[str, ActionRecord],
              events: queue.Queue[tuple[str, ActionRecord | None, str | None, str | None, float]]) -> None:
        """Run one task, or a batch of one model's tasks, and post one event per task."""
        start = time.perf_counter()
        first = batch[0]
        try:
            stored = self._run(batch, records)
            for task, record in zip(batch, stored, strict=True):
                events.put((task.id, record, None, None, time.perf_counter() - start))
            return
        except BackendError as exc:
            failure: tuple[str, str | None] = (str(exc) or type(exc).__name__, None)
        except ImportError as exc:
            hint = " (install the AI extras: pip install -e '.[ai]')" \
                if first.backend in ("diffusers", "transformers") else ""
            failure = (f"backend '{first.backend}' cannot be loaded: {exc}{hint}", None)
        except Exception as exc:  # a bug in a backend must not take the build down
            failure = (f"internal error in backend '{first.backend}': {type(exc).__name__}: {exc}",
                       traceback.format_exc())
        for task in batch:
            events.put((task.id, None, failure[0], failure[1], time.perf_counter() - start))

    def _run(self, batch: list[Task], records: dict[str, ActionRecord]) -> list[ActionRecord]:
        backend = self.load_backend(batch[0].backend)
        with contextlib.ExitStack() as stack:
            runs = []
            for task in batch:
                inputs = {role: self._artifact(records[tid]) for role, tid in task.inputs.items()}
                params = settle(task.kind, task.params, {role: a.meta for role, a in inputs.items()})
                workdir = stack.enter_context(self.store.workdir())
                runs.append(TaskRun(task.id, task.kind, params, inputs, task.file_paths(), workdir, TASK_THREADS,
                                    self._progress(task), self.cancel))
            m = batch[0].model
            if m is None:
                results = [backend.run(runs[0], backend.load({}))]  # tool tasks: no model configuration
            else:
                with self.models.use(m["identity"], batch[0].backend, m["config"], float(m["vram_gb"])) as handle:
                    results = backend.run_batch(runs, handle) if len(runs) > 1 else [backend.run(runs[0], handle)]
            if len(results) != len(batch):
                raise BackendError(f"backend '{batch[0].backend}' returned {len(results)} results for "
                                   f"{len(batch)} tasks")
            stored = []
            for task, run, result in zip(batch, runs, results, strict=True):
                self._check(task, result, run.workdir)
                if self.cancel.is_set():
                    raise BackendError("cancelled")
                info: dict[str, Any] = {"task": task.id, "backend": task.backend,
                                        "model": task.model["name"] if task.model else None,
                                        "seed": task.params.get("seed"), "batch": len(batch)}
                stored.append(self.store.commit(task.key, result.outputs, result.meta, info))
            return stored

    def _progress(self, task: Task) -> Callable[[int, int], None]:
        return lambda done, total: self.reporter.step(task, done, total)

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
