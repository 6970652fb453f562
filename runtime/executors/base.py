"""What every executor shares: the interface, the outcome, and the body of a task.

An executor takes the stale tasks in the schedule's order (and the cached records of the rest),
runs each through its backend, commits the outputs to the store, and reports progress; a failed
task marks its dependents skipped. ``run_batch`` is the one place a task is rendered, whichever
executor (a thread here, a Ray worker or actor elsewhere) runs it, so both give the same bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from backends.base import Artifact, BackendError, ProgressFn, Result, TaskRun
from compiler.settle import settle

from ..storage import StorageError, task_problem
from ..store import ActionRecord, Store
from ..tasks import Task

__all__ = ["TASK_THREADS", "ExecutorUnavailable", "Outcome", "Reporter", "TaskExecutor", "failure_message", "run_batch"]

TASK_THREADS = 2
"""Threads a task may use for numerics and encoding. Fixed, not the machine's core count:
thread counts change the bytes some encoders and kernels produce."""


class ExecutorUnavailable(Exception):
    """The executor cannot start (not installed, a cluster that cannot be reached): ``args[0]`` says
    why and what to do; ``code`` is its stable code (docs/diagnostics.md)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


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
    loads: int = 0
    """Models loaded while running (every worker's and actor's loads, on every machine)."""
    load_seconds: float = 0.0
    storage: StorageError | None = None
    """The cache could not take a task's outputs (out of space, read-only...): the build stopped there."""


class TaskExecutor(Protocol):
    def run(self, order: Sequence[str], cached: Mapping[str, ActionRecord]) -> Outcome:
        """Run ``order`` (a topological order of the stale tasks); ``cached`` holds the hits."""
        ...


def run_batch(batch: list[Task], records: Mapping[str, ActionRecord], store: Store, backend: ModuleType,
              model: Callable[[], AbstractContextManager[Any]], progress: Callable[[Task], ProgressFn],
              cancel: threading.Event, files: Callable[[Task], Mapping[str, Path]] = Task.file_paths,
              ) -> list[ActionRecord]:
    """Render one task, or a batch of one model's tasks, and commit the results (objects, then records).

    ``model()`` holds, for the duration of the call, the loaded model (or the tool handle) and the
    models the batch's tasks use besides it (``Task.uses``), as ``(handle, {identity: handle})``;
    each task gets its own in ``TaskRun.models`` by role. ``records`` holds the records of every
    input, whose objects are in ``store``. A failure that was the cache's storage (out of space,
    read-only, ...) is raised as ``StorageError``."""
    with contextlib.ExitStack() as stack:
        runs: list[TaskRun] = []
        try:
            return _render(batch, records, store, backend, model, progress, cancel, files, stack, runs)
        except (StorageError, KeyboardInterrupt):
            raise
        except Exception as exc:  # was it the cache's disk? ask while the failed task's files still lie there
            workdir = runs[-1].workdir if runs else store.tmp
            problem = task_problem(exc, workdir, store.root)
            if problem is not None:
                raise problem from exc
            raise


def _render(batch: list[Task], records: Mapping[str, ActionRecord], store: Store, backend: ModuleType,
            model: Callable[[], AbstractContextManager[Any]], progress: Callable[[Task], ProgressFn],
            cancel: threading.Event, files: Callable[[Task], Mapping[str, Path]], stack: contextlib.ExitStack,
            runs: list[TaskRun]) -> list[ActionRecord]:
    for task in batch:
        inputs = {role: _artifact(store, records[tid]) for role, tid in task.inputs.items()}
        params = settle(task.kind, task.params, {role: a.meta for role, a in inputs.items()})
        workdir = stack.enter_context(store.workdir())
        runs.append(TaskRun(task.id, task.kind, params, inputs, files(task), workdir, TASK_THREADS,
                            progress(task), cancel))
    with model() as (handle, used):
        for i, task in enumerate(batch):
            if task.uses:
                mine = {role: used[m["identity"]] for role, m in task.uses.items() if m["identity"] in used}
                runs[i] = dataclasses.replace(runs[i], models=mine)
        results = backend.run_batch(runs, handle) if len(runs) > 1 else [backend.run(runs[0], handle)]
    if len(results) != len(batch):
        raise BackendError(f"backend '{batch[0].backend}' returned {len(results)} results for {len(batch)} tasks")
    stored = []
    for task, run, result in zip(batch, runs, results, strict=True):
        _check(task, result, run.workdir)
        if cancel.is_set():
            raise BackendError("cancelled")
        info: dict[str, Any] = {"task": task.id, "backend": task.backend,
                                "model": task.model["name"] if task.model else None,
                                "seed": task.params.get("seed"), "batch": len(batch)}
        stored.append(store.commit(task.key, result.outputs, result.meta, info))
    return stored


def failure_message(exc: Exception, backend: str) -> tuple[str, str | None]:
    """What a failed task shows the user, and a traceback for report.json when it is a bug."""
    if isinstance(exc, BackendError):
        return str(exc) or type(exc).__name__, None
    if isinstance(exc, ImportError):
        hint = " (install the AI extras: pip install -e '.[ai]')" if backend in ("diffusers", "transformers") else ""
        return f"backend '{backend}' cannot be loaded: {exc}{hint}", None
    return (f"internal error in backend '{backend}': {type(exc).__name__}: {exc}",  # a bug must not end the build
            "".join(traceback.format_exception(exc)))


def _artifact(store: Store, record: ActionRecord) -> Artifact:
    return Artifact({name: store.object_path(o["digest"]) for name, o in record.outputs.items()}, record.meta)


def _check(task: Task, result: Result, workdir: Path) -> None:
    if not isinstance(result, Result) or not result.outputs:
        raise BackendError(f"backend '{task.backend}' returned no outputs for {task.id}")
    for name, path in result.outputs.items():
        resolved = Path(path).resolve()
        if workdir.resolve() not in resolved.parents or not resolved.is_file():
            raise BackendError(f"backend '{task.backend}' output '{name}' of {task.id} is not a file in its "
                               "work directory")
