"""The Ray executor: the same plan, keys and bytes as the local one, on a Ray instance or cluster.

- Tool tasks and tasks of CPU backends (``CONCURRENT``: procedural pictures, ffmpeg) are Ray tasks
  (one CPU each, and what their model asks for: ``num_gpus``, ``vram_gb`` as memory; up to ``jobs``
  at once, default the cluster's CPUs and one more). A worker keeps the models of
  CPU backends it loaded for its life.
- Model tasks go to actors, one per model (``ray_actors.ModelPool``), in the schedule's order as
  their inputs become ready; ready tasks of one model with equal batch keys go in one call.
- Bytes move through the store: a worker commits its outputs (objects, then the record) to the
  store it shares with the driver, or to the remote cache; only records come back through Ray.
- A worker that dies is Ray's to retry (tasks: 3 times; actors restart and retry the call);
  whatever the dead worker left half-written is never trusted (records last).
- Progress: the driver emits the local executor's events (``started`` when a task is sent,
  ``step`` from the workers through a small sink actor, ``finished``), so reporters and
  ``--format json`` readers cannot tell the executors apart.
- Cancel (Ctrl-C, or ``studio watch`` on an edit): running Ray tasks are cancelled (their workers
  killed) and the actors killed; what finished is kept.

``ray_session.connect`` starts a local Ray instance (no address) or joins a cluster.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..store import ActionRecord, Store, TieredStore
from ..tasks import Task
from .base import Outcome, Reporter
from .ray_actors import ModelPool
from .ray_session import RaySession, route_messages_to
from .ray_worker import ProgressSink, WorkerContext, WorkerResult, run_tasks

__all__ = ["RayExecutor"]

_POLL = 0.5
"""Seconds the driver waits for news before it looks at the cancel flag and the actors again."""


class RayExecutor:
    def __init__(self, session: RaySession, tasks: Mapping[str, Task], store: Store, reporter: Reporter, jobs: int,
                 cancel: threading.Event, warn: Callable[[str, str], None] | None = None) -> None:
        self.session = session
        self.ray = session.ray
        self.tasks = tasks
        self.store = store
        self.reporter = reporter
        self.jobs = jobs
        self.cancel = cancel
        self.warn = warn
        """How a warning reaches the user (the build's: a JSON line with --format json); None: text on stderr."""
        self._warned: set[tuple[str, str]] = set()

    # --- set-up ----------------------------------------------------------------------------------
    def _context(self, order: Sequence[str]) -> tuple[WorkerContext, Path]:
        """The build as workers see it; leaves the token that tells a worker it shares the store."""
        from backends import CATALOG

        root = self.store.root.resolve()
        token = secrets.token_hex(16)
        marker = root / "ray" / token
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{os.getpid()}\n")
        remote = self.store.remote_url if isinstance(self.store, TieredStore) else None
        sizes: dict[str, int] = {}
        if isinstance(self.store, TieredStore) and (rs := self.store.remote) is not None:
            # workers on machines that do not see this disk read the user's files from the remote
            for tid in order:
                for f in self.tasks[tid].files.values():
                    path = Path(f["absolute"])
                    if f["digest"] not in sizes and path.is_file():
                        sizes[f["digest"]] = path.stat().st_size
                        try:
                            rs.put_object(f["digest"], sizes[f["digest"]], path)
                        except Exception as exc:  # noqa: BLE001 - the remote reported it; local workers do without
                            self._warn("W605", f"cannot upload {f['path']} to {rs.location}: {exc}")
        return WorkerContext(str(root), token, remote, dict(CATALOG), sizes), marker

    def _concurrent(self, task: Task) -> bool:
        if task.model is None:
            return True
        from backends import load_backend

        try:
            return bool(getattr(load_backend(task.backend), "CONCURRENT", False))
        except ImportError:
            return True  # the failure surfaces when the task runs

    def _batch_key(self, task: Task) -> Any:
        from backends import load_backend

        try:
            backend = load_backend(task.backend)
        except ImportError:
            return None
        if not hasattr(backend, "run_batch") or not hasattr(backend, "batch_key"):
            return None
        return backend.batch_key(task.kind, task.params)

    def _warn(self, code: str, message: str) -> None:
        if (code, message) in self._warned:
            return
        self._warned.add((code, message))
        warn = self.warn or getattr(self.store, "warn", None)
        if warn is not None:
            warn(code, message)
        else:
            sys.stderr.write(f"studio: warning[{code}]: {message}\n")

    # --- the run ---------------------------------------------------------------------------------
    def run(self, order: Sequence[str], cached: Mapping[str, ActionRecord]) -> Outcome:
        ray = self.ray
        ctx, marker = self._context(order)
        sink = ray.remote(ProgressSink).options(num_cpus=0, max_concurrency=64).remote()
        pool = ModelPool(ray, ctx, self.session.started_here, self._warn)
        run = _Run(self, order, cached, ctx, sink, pool)
        route_messages_to(self._warn)
        try:
            run.loop()
        except KeyboardInterrupt:
            self.cancel.set()
            run.out.cancelled = True
        finally:
            if run.out.cancelled:
                run.abort()
            else:
                pool.close()
            ray.kill(sink)
            route_messages_to(None)
            marker.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                marker.parent.rmdir()  # empty unless another build of this store runs on Ray too
        return run.out


class _Run:
    """One run of the Ray executor: the dependency bookkeeping and the dispatch loop."""

    def __init__(self, ex: RayExecutor, order: Sequence[str], cached: Mapping[str, ActionRecord], ctx: WorkerContext,
                 sink: Any, pool: ModelPool) -> None:
        self.ex, self.ray, self.tasks, self.ctx, self.sink, self.pool = ex, ex.ray, ex.tasks, ctx, sink, pool
        self.out = Outcome()
        for tid, record in cached.items():
            self.out.status[tid] = "cached"
            self.out.records[tid] = record
        self.position = {tid: i for i, tid in enumerate(order)}
        self.serial = {tid: not ex._concurrent(self.tasks[tid]) for tid in order}
        self.waiting = {tid: sum(1 for d in self.tasks[tid].inputs.values() if d in self.position) for tid in order}
        self.users: dict[str, list[str]] = {}
        for tid in order:
            for dep in self.tasks[tid].inputs.values():
                if dep in self.position:
                    self.users.setdefault(dep, []).append(tid)
        self.remaining = Counter(self.tasks[t].model_identity for t in order if self.serial[t])
        self.ready_cpu: list[tuple[int, str]] = []
        self.ready_model: list[tuple[int, str]] = []
        self.inflight: dict[Any, tuple[list[str], Any]] = {}
        """Ray reference -> the tasks of the call, and the actor it went to (None: a Ray task)."""
        self.cpu_inflight = 0
        self.started: dict[str, float] = {}
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        # One task more than the CPUs: Ray hands it to the first worker that frees up, without waiting
        # for the driver to hear of the finished task and send another (``--jobs N``: exactly N).
        self.capacity = ex.jobs or max(1, cpus) + 1
        self.remote_run = self.ray.remote(run_tasks)
        for tid in order:
            if self.waiting[tid] == 0:
                self._push(tid)

    def _push(self, tid: str) -> None:
        heapq.heappush(self.ready_model if self.serial[tid] else self.ready_cpu, (self.position[tid], tid))

    def _inputs(self, batch: list[Task]) -> dict[str, ActionRecord]:
        return {d: self.out.records[d] for task in batch for d in task.inputs.values()}

    def _start(self, ref: Any, batch: list[Task], actor: Any = None) -> None:
        self.inflight[ref] = ([t.id for t in batch], actor)
        now = time.perf_counter()
        for task in batch:
            self.started[task.id] = now
            self.ex.reporter.started(task)

    # --- dispatch --------------------------------------------------------------------------------
    def dispatch(self) -> None:
        while self.ready_cpu and self.cpu_inflight < self.capacity:
            _, tid = heapq.heappop(self.ready_cpu)
            if tid in self.out.status:
                continue
            task = self.tasks[tid]
            options: dict[str, Any] = {"num_cpus": 1, "max_retries": 3, "name": f"studio:{tid}"}
            if task.model is not None:  # a CPU backend's model may ask for resources too (num_gpus, vram_gb)
                if not self._placeable(task):
                    continue
                demand = self.pool.demand(task)
                if "GPU" in demand:
                    options["num_gpus"] = demand["GPU"]
                if "memory" in demand:
                    options["memory"] = int(demand["memory"])
            ref = self.remote_run.options(**options).remote(self.ctx, [task], self._inputs([task]), self.sink)
            self.cpu_inflight += 1
            self._start(ref, [task])
        held: list[tuple[int, str]] = []
        while self.ready_model:
            item = heapq.heappop(self.ready_model)
            tid = item[1]
            if tid in self.out.status:
                continue
            task = self.tasks[tid]
            if not self._placeable(task):
                continue
            actor = self.pool.idle_actor(task)
            if actor is None:
                held.append(item)
                continue
            batch = self._batch(task, held)
            self._start(self.pool.submit(actor, batch, self._inputs(batch), self.sink), batch, actor)
        for item in held:
            heapq.heappush(self.ready_model, item)

    def _placeable(self, task: Task) -> bool:
        """False (the task failed, E609) when no node of a Ray instance studio started can hold its
        model; on a cluster studio joined, which an autoscaler may grow, a warning and a wait."""
        why = self.pool.infeasible(task)
        if why is None:
            return True
        if self.pool.fixed_cluster:
            self._finish_failed([task.id], f"E609: {why}", None, 0.0)
            return False
        self.ex._warn("W609", f"{why}; waiting for the cluster to grow")
        return True

    def _batch(self, first: Task, held: list[tuple[int, str]]) -> list[Task]:
        """``first`` and the ready tasks of its model that the backend can render with it in one call."""
        assert first.model is not None
        size = int(first.model.get("config", {}).get("batch_size", 1))
        batch = [first]
        if size <= 1 or (key := self.ex._batch_key(first)) is None:
            return batch
        rest = []
        while self.ready_model and len(batch) < size:
            item = heapq.heappop(self.ready_model)
            candidate = self.tasks[item[1]]
            if candidate.model_identity == first.model_identity and item[1] not in self.out.status \
                    and self.ex._batch_key(candidate) == key:
                batch.append(candidate)
            else:
                rest.append(item)
        for item in rest:
            heapq.heappush(self.ready_model, item)
        return batch

    # --- results ---------------------------------------------------------------------------------
    def loop(self) -> None:
        drain = self.sink.drain.remote(_POLL)
        while True:
            if self.ex.cancel.is_set():
                self.out.cancelled = True
                return
            self.dispatch()
            self.pool.make_room()
            if not self.inflight:
                return
            done, _ = self.ray.wait([drain, *self.inflight], num_returns=1, timeout=_POLL)
            if drain in done:
                done = [r for r in done if r != drain]
                drain = self._progress(drain)
            for ref in done:
                self._collect(ref)

    def _progress(self, drain: Any) -> Any:
        try:
            steps = self.ray.get(drain)
        except Exception:  # noqa: BLE001 - progress is a nicety; the build goes on without it
            steps = {}
        running = {t for tids, _ in self.inflight.values() for t in tids}
        for tid, (done, total) in steps.items():
            if tid in running:
                self.ex.reporter.step(self.tasks[tid], done, total)
        return self.sink.drain.remote(_POLL)

    def _collect(self, ref: Any) -> None:
        tids, actor = self.inflight.pop(ref)
        if actor is not None:
            self.pool.done(actor)
        else:
            self.cpu_inflight -= 1
        try:
            result: WorkerResult = self.ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - the worker died more often than Ray retries, or was lost
            result = WorkerResult(None, (f"the Ray worker running it was lost: {type(exc).__name__}: "
                                         f"{str(exc).splitlines()[0] if str(exc) else ''}", None))
        for code, message in result.warnings:
            self.ex._warn(code, message)
        if isinstance(self.ex.store, TieredStore):
            self.ex.store.pushed += result.uploaded
        self.out.loads += result.loads
        self.out.load_seconds += result.load_seconds
        seconds = result.seconds
        if result.records is not None and result.failure is None:
            failure = self._adopt(result.records, result.node)
            if failure is None:
                for tid, record in zip(tids, result.records, strict=True):
                    self._finish_ok(tid, record, seconds)
                return
            result.failure = (failure, None)
        assert result.failure is not None
        self._finish_failed(tids, result.failure[0], result.failure[1], seconds)

    def _adopt(self, records: list[ActionRecord], node: str) -> str | None:
        """Make the records hits of the driver's store (their bytes come through the remote when the
        worker did not share it); a message if they cannot be."""
        store = self.ex.store
        for record in records:
            if Store.lookup(store, record.key) is not None:
                continue
            if isinstance(store, TieredStore) and store.ensure(record):
                store.put_record(record)
                continue
            return f"its outputs, made on {node or 'another node'}, reached neither this machine's cache nor the remote"
        return None

    def _finish_ok(self, tid: str, record: ActionRecord, seconds: float) -> None:
        self.out.status[tid] = "executed"
        self.out.records[tid] = record
        self.out.seconds[tid] = seconds
        self.ex.reporter.finished(self.tasks[tid], "executed", seconds)
        self._settled(tid)
        for user in self.users.get(tid, ()):
            self.waiting[user] -= 1
            if self.waiting[user] == 0 and user not in self.out.status:
                self._push(user)

    def _finish_failed(self, tids: list[str], message: str, detail: str | None, seconds: float) -> None:
        for tid in tids:
            self.out.status[tid] = "failed"
            self.out.failures[tid] = message
            self.out.seconds[tid] = seconds
            if detail:
                self.out.details[tid] = detail
            self.ex.reporter.finished(self.tasks[tid], "failed", seconds, message)
            self._settled(tid)
            stack = list(self.users.get(tid, ()))
            while stack:
                user = stack.pop()
                if user not in self.out.status:
                    self.out.status[user] = "skipped"
                    self.ex.reporter.finished(self.tasks[user], "skipped", 0.0, None)
                    self._settled(user)
                    stack.extend(self.users.get(user, ()))

    def _settled(self, tid: str) -> None:
        """One task of a model is done: the model's actor goes when its last one is."""
        if not self.serial.get(tid):
            return
        identity = self.tasks[tid].model_identity
        self.remaining[identity] -= 1
        if self.remaining[identity] == 0 and identity is not None:
            self.pool.retire(identity)

    def abort(self) -> None:
        """Cancel: stop every running task and actor of this build, now."""
        for ref, (_, actor) in self.inflight.items():
            if actor is None:
                try:
                    self.ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - already finished or gone
                    pass
        self.pool.kill_all()
        self.inflight.clear()
