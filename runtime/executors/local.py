"""The local executor: runs the stale tasks of a plan on threads of this machine and stores the results.

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from backends.base import ProgressFn

from ..malloc import tune as tune_malloc
from ..models import ModelManager
from ..storage import StorageError
from ..store import ActionRecord, Store
from ..tasks import Task
from .base import TASK_THREADS, Outcome, Reporter, failure_message, run_batch
from .priority import critical_paths

__all__ = ["TASK_THREADS", "Executor", "Outcome", "Reporter"]

_Event = tuple[str, ActionRecord | None, str | None, str | None, float, StorageError | None]
"""(task id, its record or None, failure message, traceback detail, seconds, storage problem)."""


@dataclass
class Executor:
    tasks: Mapping[str, Task]
    store: Store
    models: ModelManager
    load_backend: Callable[[str], ModuleType]
    reporter: Reporter
    jobs: int = 2
    cancel: threading.Event = field(default_factory=threading.Event)
    first: frozenset[str] = frozenset()
    """Task kinds that go before the others: while a task of these kinds is ready or running, no
    other task starts (``BuildOptions.first``; the preview page's shots before the film)."""
    durations: Mapping[str, float] = field(default_factory=dict)
    """Seconds each task id took when it last ran: among ready tasks, the one heading the longest
    chain still to run starts first (``priority``)."""

    def run(self, order: Sequence[str], cached: Mapping[str, ActionRecord]) -> Outcome:
        """Run ``order`` (a topological order of the stale tasks); ``cached`` holds the hits."""
        if order:  # frames are allocated and freed by the megabyte from here on (numpy has imported ctypes)
            tune_malloc()
        loads, load_seconds = self.models.loads, self.models.load_seconds
        out = self._run_all(order, cached)
        out.loads, out.load_seconds = self.models.loads - loads, self.models.load_seconds - load_seconds
        return out

    def _run_all(self, order: Sequence[str], cached: Mapping[str, ActionRecord]) -> Outcome:
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
        path = critical_paths(self.tasks, order, self.durations)
        ready: list[tuple[int, float, int, str]] = []  # concurrent tasks whose inputs exist: first kinds, then
        # the longest chain of work behind them, then position
        serial = [tid for tid in order if not concurrent[tid]]  # model tasks run in exactly this order
        next_serial = 0
        serial_inflight = 0
        running: dict[str, threading.Thread] = {}
        events: queue.Queue[_Event] = queue.Queue()
        remaining = self.models.remaining  # tasks left per model: a model with none is evicted first
        remaining.clear()
        for tid in order:
            for m in self.tasks[tid].models:
                remaining[m["identity"]] = remaining.get(m["identity"], 0) + 1

        def done_with(tid: str) -> None:
            for m in self.tasks[tid].models:
                remaining[m["identity"]] -= 1

        def settled(tid: str) -> None:
            for user in users.get(tid, ()):
                waiting[user] -= 1
                if waiting[user] == 0 and concurrent[user] and user not in out.status:
                    heapq.heappush(ready, (rank(user), -path[user], position[user], user))

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

        def rank(tid: str) -> int:
            return 0 if self.tasks[tid].kind in self.first else 1

        def holding() -> bool:
            """Whether a task of a ``first`` kind is running or ready: the others wait."""
            if not self.first:
                return False
            if any(rank(t) == 0 for t in running) or (ready and ready[0][0] == 0):
                return True
            if next_serial < len(serial):
                tid = serial[next_serial]
                return waiting[tid] == 0 and tid not in out.status and rank(tid) == 0
            return False

        for tid in order:
            if waiting[tid] == 0 and concurrent[tid]:
                heapq.heappush(ready, (rank(tid), -path[tid], position[tid], tid))
        try:
            while True:
                if self.cancel.is_set():
                    out.cancelled = True
                    break
                while next_serial < len(serial) and out.status.get(serial[next_serial]) == "skipped":
                    next_serial += 1
                if not serial_inflight and next_serial < len(serial) and waiting[serial[next_serial]] == 0 \
                        and (rank(serial[next_serial]) == 0 or not holding()):
                    batch = next_batch()
                    start(batch)
                    serial_inflight = len(batch)
                while ready and len(running) - serial_inflight < self.jobs:
                    if ready[0][0] and holding():
                        break
                    tid = heapq.heappop(ready)[-1]
                    if tid not in out.status:
                        start([tid])
                if not running:
                    break
                try:
                    tid, done, message, detail, seconds, storage = events.get(timeout=0.2)
                except queue.Empty:
                    continue
                running.pop(tid).join()
                done_with(tid)
                if not concurrent[tid]:
                    serial_inflight -= 1
                out.seconds[tid] = seconds
                if storage is not None:  # every task after it would fail the same way: stop, say it once
                    out.storage = out.storage or storage
                    out.status[tid] = "failed"
                    out.failures[tid] = str(storage)
                    self.cancel.set()
                elif done is not None:
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
        if out.cancelled or out.storage is not None:
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

    def _work(self, batch: list[Task], records: dict[str, ActionRecord], events: queue.Queue[_Event]) -> None:
        """Run one task, or a batch of one model's tasks, and post one event per task."""
        start = time.perf_counter()
        first = batch[0]
        try:
            backend = self.load_backend(first.backend)
            stored = run_batch(batch, records, self.store, backend, lambda: self._model(batch, backend),
                               self._progress, self.cancel)
            for task, record in zip(batch, stored, strict=True):
                events.put((task.id, record, None, None, time.perf_counter() - start, None))
            return
        except StorageError as exc:
            for task in batch:
                events.put((task.id, None, str(exc), None, time.perf_counter() - start, exc))
            return
        except Exception as exc:
            message, detail = failure_message(exc, first.backend)
        for task in batch:
            events.put((task.id, None, message, detail, time.perf_counter() - start, None))

    @contextlib.contextmanager
    def _model(self, batch: list[Task], backend: ModuleType) -> Iterator[tuple[Any, dict[str, Any]]]:
        """The batch's model and every model its tasks use besides it, held through the manager."""
        first = batch[0]
        if first.model is None:
            yield backend.load({}), {}  # tool tasks: no model configuration
            return
        used = {m["identity"]: m for task in batch for _, m in sorted(task.uses.items())}
        used.pop(first.model["identity"], None)
        wanted = [(first.model["identity"], first.backend, first.model["config"], float(first.model["vram_gb"])),
                  *((m["identity"], m["backend"], m["config"], float(m["vram_gb"])) for m in used.values())]
        with self.models.hold(wanted) as handles:
            yield handles[0], {identity: handle for (identity, _, _, _), handle in zip(wanted, handles, strict=True)}

    def _progress(self, task: Task) -> ProgressFn:
        return lambda done, total: self.reporter.step(task, done, total)
