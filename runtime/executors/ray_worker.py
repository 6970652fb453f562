"""What runs inside Ray's worker processes: CPU tasks, model actors and the progress sink.

Nothing here imports Ray: the driver wraps these with ``ray.remote``, and a worker imports this
module (studio must be installed on every node; ``check_versions`` refuses a node whose backends
would make other bytes for the same keys).

Where a worker puts what it makes: a worker that sees the driver's store (the same machine, or a
filesystem every node mounts at the same path; the driver leaves a token file there to tell) uses
it directly. Any other worker keeps a cache of its own (``$STUDIO_WORKER_CACHE``, default
``~/.cache/studio/ray``) with the build's remote cache behind it: it fetches its inputs and the
user's files from the remote and uploads what it makes there, where the driver fetches it. Without
a remote cache such a worker cannot work, and says so (E607). ``STUDIO_WORKER_STORE=remote`` in a
node's environment makes its workers go through the remote even when they see the driver's disk.
Bytes never travel through Ray's object store or the driver: only records (digests) do.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.base import BackendError, ProgressFn

from ..store import ActionRecord, Store, TieredStore
from ..tasks import Task
from .base import failure_message, run_batch

__all__ = ["ModelActor", "ProgressSink", "WorkerContext", "WorkerResult", "run_tasks"]

_STEP_INTERVAL = 0.25
"""Seconds between two progress messages of one task (the last step always goes)."""


@dataclass(frozen=True)
class WorkerContext:
    """What every worker needs to know about the build (small: it travels with every call)."""

    store_root: str
    token: str
    """The name of a file the driver wrote under ``store_root/ray/``: a worker that sees it shares the store."""
    remote: str | None
    catalog: dict[str, str]
    """The driver's backend versions (they are in every key)."""
    file_sizes: dict[str, int] = field(default_factory=dict)
    """Digest -> size of the user files the stale tasks read (uploaded to the remote by the driver)."""


@dataclass
class WorkerResult:
    records: list[ActionRecord] | None
    failure: tuple[str, str | None] | None = None
    loads: int = 0
    load_seconds: float = 0.0
    seconds: float = 0.0
    warnings: list[tuple[str, str]] = field(default_factory=list)
    node: str = ""
    uploaded: int = 0
    """Results this call wrote to the remote cache."""


@dataclass
class _Opened:
    store: Store
    shared: bool
    warnings: list[tuple[str, str]]


_OPENED: dict[tuple[str, str, str | None], _Opened] = {}
_HANDLES: dict[str, Any] = {}
"""Loaded handles of CPU backends' models (procedural looks, ...), kept for the worker's life."""
_LOCK = threading.Lock()


def check_versions(ctx: WorkerContext) -> None:
    from backends import CATALOG

    if CATALOG != ctx.catalog:
        differ = sorted(k for k in set(CATALOG) | set(ctx.catalog) if CATALOG.get(k) != ctx.catalog.get(k))
        raise BackendError(f"E608: this Ray worker ({os.uname().nodename}) has other backend versions than the "
                           f"build ({', '.join(f'{k} {CATALOG.get(k)} != {ctx.catalog.get(k)}' for k in differ)}): "
                           "install the same studio on every node")


def open_store(ctx: WorkerContext) -> _Opened:
    """The store this worker commits to (opened once per build and process)."""
    key = (ctx.store_root, ctx.token, ctx.remote)
    with _LOCK:
        opened = _OPENED.get(key)
        if opened is not None:
            return opened
        check_versions(ctx)
        warnings: list[tuple[str, str]] = []
        warn = lambda code, message: warnings.append((code, message))  # noqa: E731 - the driver shows them
        root = Path(ctx.store_root)
        shared = os.environ.get("STUDIO_WORKER_STORE") != "remote" and (root / "ray" / ctx.token).is_file()
        if not shared:
            if ctx.remote is None:
                raise BackendError(f"E607: this Ray worker ({os.uname().nodename}) cannot see the build's cache "
                                   f"{ctx.store_root}: give the build a --remote-cache every node can reach "
                                   "(docs/cluster.md)")
            base = os.environ.get("STUDIO_WORKER_CACHE") or str(Path.home() / ".cache" / "studio" / "ray")
            root = Path(base) / hashlib.sha256(ctx.remote.encode()).hexdigest()[:16]
        store: Store = TieredStore(root, ctx.remote, warn) if ctx.remote else Store(root)
        if not shared:
            store.clean_tmp(older_than=86400.0)  # work directories of killed workers, long gone
        opened = _Opened(store, shared, warnings)
        if len(_OPENED) > 8:  # a long-lived worker serves many builds (studio watch): keep the latest
            _OPENED.clear()
        _OPENED[key] = opened
        return opened


def _inputs(opened: _Opened, records: dict[str, ActionRecord]) -> None:
    if opened.shared:
        return
    assert isinstance(opened.store, TieredStore)
    for tid, record in records.items():
        if not opened.store.ensure(record):
            raise BackendError(f"input {tid} is neither in this worker's cache nor in the remote cache")


def _files(opened: _Opened, ctx: WorkerContext) -> Any:
    """How a task finds the user's files here: their paths where the driver's disk is visible, else
    copies fetched from the remote by digest (under their own names: some tools look at them)."""
    if opened.shared:
        return Task.file_paths

    def files(task: Task) -> dict[str, Path]:
        store = opened.store
        assert isinstance(store, TieredStore)
        paths = {}
        for role, f in task.files.items():
            dest = store.root / "files" / f["digest"] / Path(f["path"]).name
            if not dest.is_file():
                remote = store.remote
                size = ctx.file_sizes.get(f["digest"])
                if remote is None or size is None or not remote.fetch_object(f["digest"], size, dest):
                    raise BackendError(f"{task.id}: the file {f['path']} is not in the remote cache")
            paths[role] = dest
        return paths

    return files


def _progress(sink: Any, task: Task) -> ProgressFn:
    last = [0.0]

    def step(done: int, total: int) -> None:
        now = time.monotonic()
        if sink is None or (done < total and now - last[0] < _STEP_INTERVAL):
            return
        last[0] = now
        sink.step.remote(task.id, done, total)

    return step


def _execute(ctx: WorkerContext, batch: list[Task], records: dict[str, ActionRecord], sink: Any,
             handle: Any, backend: Any, used: dict[str, Any] | None = None) -> list[ActionRecord]:
    opened = open_store(ctx)
    _inputs(opened, records)
    return run_batch(batch, records, opened.store, backend, lambda: contextlib.nullcontext((handle, used or {})),
                     lambda t: _progress(sink, t), threading.Event(), _files(opened, ctx))


def _result(records: list[ActionRecord] | None, failure: tuple[str, str | None] | None, start: float,
            ctx: WorkerContext, loads: int = 0, load_seconds: float = 0.0) -> WorkerResult:
    opened = _OPENED.get((ctx.store_root, ctx.token, ctx.remote))
    warnings: list[tuple[str, str]] = []
    uploaded = 0
    if opened is not None:
        warnings, opened.warnings[:] = list(opened.warnings), []
        if isinstance(opened.store, TieredStore):  # calls run one at a time in a worker: this call's uploads
            uploaded, opened.store.pushed = opened.store.pushed, 0
    return WorkerResult(records, failure, loads, load_seconds, time.perf_counter() - start, warnings,
                        os.uname().nodename, uploaded)


def run_tasks(ctx: WorkerContext, batch: list[Task], records: dict[str, ActionRecord], sink: Any) -> WorkerResult:
    """A Ray task: one tool task, or one task of a CPU backend (its model loaded once per worker)."""
    from backends import load_backend

    start = time.perf_counter()
    first = batch[0]
    loads, load_seconds = 0, 0.0
    try:
        backend = load_backend(first.backend)
        if first.model is None:
            handle = backend.load({})
        else:
            identity = first.model["identity"]
            handle = _HANDLES.get(identity)
            if handle is None:
                began = time.perf_counter()
                handle = _HANDLES[identity] = backend.load(first.model["config"])
                loads, load_seconds = 1, time.perf_counter() - began
        stored = _execute(ctx, batch, records, sink, handle, backend)
        return _result(stored, None, start, ctx, loads, load_seconds)
    except Exception as exc:
        return _result(None, failure_message(exc, first.backend), start, ctx, loads, load_seconds)


class ModelActor:
    """A Ray actor holding one loaded model; the driver sends it that model's tasks one call at a time.

    The model loads on the first call (a load that fails fails that call's tasks, and the next call
    tries again, as the local model manager does). If the actor's process dies, Ray restarts it and
    retries the call, which loads the model again; each load is reported with the call that made it."""

    def __init__(self, ctx: WorkerContext, backend: str, config: dict[str, Any]) -> None:
        self.ctx = ctx
        self.backend_name = backend
        self.config = config
        self.handle: Any = None
        self.backend: Any = None
        self.used: dict[str, tuple[Any, Any]] = {}
        """Identity -> (backend, handle) of the models its tasks use besides its own (a gated keyframe's
        embed model): loaded by the actor the first time a task needs one, kept until it closes."""

    def run(self, batch: list[Task], records: dict[str, ActionRecord], sink: Any) -> WorkerResult:
        from backends import load_backend

        start = time.perf_counter()
        loads, load_seconds = 0, 0.0
        try:
            if self.handle is None:
                self.backend = load_backend(self.backend_name)
                open_store(self.ctx)  # a node that cannot work says so before loading a model
                began = time.perf_counter()
                self.handle = self.backend.load(self.config)
                loads, load_seconds = 1, time.perf_counter() - began
            for task in batch:
                for m in task.uses.values():
                    if m["identity"] not in self.used:
                        began = time.perf_counter()
                        backend = load_backend(m["backend"])
                        self.used[m["identity"]] = (backend, backend.load(m["config"]))
                        loads, load_seconds = loads + 1, load_seconds + time.perf_counter() - began
            stored = _execute(self.ctx, batch, records, sink, self.handle, self.backend,
                              {identity: handle for identity, (_, handle) in self.used.items()})
            return _result(stored, None, start, self.ctx, loads, load_seconds)
        except Exception as exc:
            return _result(None, failure_message(exc, self.backend_name), start, self.ctx, loads, load_seconds)

    def close(self) -> None:
        """Unload the model (the driver calls this before it lets the actor go)."""
        if self.handle is not None and self.backend is not None:
            unload = getattr(self.backend, "unload", None)
            if unload is not None:
                unload(self.handle)
            self.handle = None
        for backend, handle in self.used.values():
            unload = getattr(backend, "unload", None)
            if unload is not None:
                unload(handle)
        self.used = {}


class ProgressSink:
    """An async actor collecting the latest step of every running task; the driver drains it."""

    def __init__(self) -> None:
        self.steps: dict[str, tuple[int, int]] = {}
        self.event: asyncio.Event | None = None

    def _event(self) -> asyncio.Event:
        if self.event is None:
            self.event = asyncio.Event()
        return self.event

    async def step(self, tid: str, done: int, total: int) -> None:
        self.steps[tid] = (done, total)
        self._event().set()

    async def drain(self, timeout: float) -> dict[str, tuple[int, int]]:
        """The steps since the last drain, waiting up to ``timeout`` seconds for the first one."""
        event = self._event()
        if not self.steps:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        steps, self.steps = self.steps, {}
        event.clear()
        return steps
