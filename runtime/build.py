"""``studio build``: compile (or reuse the cached plan), find what is stale, run it, deliver.

1. take the project's build lock; clear leftovers of killed builds;
2. load the plan: from the plan cache when the project file, every file it references and the model
   weights its keys were read from are unchanged, else compile (diagnostics -> exit 1);
3. look every task up in the store; the rest is stale; ``--explain`` says why;
4. schedule the stale tasks by model and run them (executor);
5. copy the deliverables into ``build/`` atomically, write ``report.json``, print the summary.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .deliver import deliver
from .events import BuildListener, Heard, guarded
from .explain import history_path, load_history
from .filecache import DigestCache, PlanCache, file_digest, studio_fingerprint
from .lock import BuildLock, LockBusy
from .storage import StorageError, storage_error
from .store import ActionRecord, Store, TieredStore, atomic_write
from .tasks import Task

if TYPE_CHECKING:
    from .models import ModelManager

__all__ = ["BuildOptions", "build", "cache_root_for", "load_plan"]


@dataclass
class BuildOptions:
    path: Path
    out: Path | None = None
    cache: Path | None = None
    format: str = "text"
    explain: bool = False
    jobs: int = 0
    wait: bool = True
    allow_paths: list[Path] = field(default_factory=list)
    cancel: threading.Event | None = None
    """Set to stop the build between tasks and denoising steps (``studio watch`` sets it on an edit)."""
    models: ModelManager | None = None
    """A model manager that outlives this build (``studio watch`` keeps models loaded between
    builds); None: the build loads what it needs and unloads it all at the end."""
    listener: BuildListener | None = None
    """Hears the build as it goes: the plan, every task, the end (``studio watch --serve``'s page)."""
    executor: str = "local"
    """``local`` (threads on this machine) or ``ray`` (a local Ray instance, or ``ray_address``)."""
    ray_address: str | None = None
    remote_cache: str | None = None
    """A second cache level (``s3://bucket/prefix`` or a shared directory); see runtime/store/."""
    first: frozenset[str] = frozenset()
    """Task kinds run before all others (local executor): while one of them is ready or running, no
    other task starts. ``studio watch --serve`` puts the shots' keyframes, speech, motion and clips
    first, so that an edited shot's clip reaches the page before the film and the exports are remade
    (which would otherwise share the cores with its motion)."""


@dataclass
class LoadedPlan:
    project: Path
    title: str
    vram_gb: float | None
    index: list[tuple[str, str, str]]
    """(task id, kind, key) in plan order: all a no-op build needs."""
    diagnostics_text: str
    diagnostics_json: list[dict[str, Any]]
    ok: bool
    tasks_digest: str = ""
    """Names the plan: equal digests, equal tasks."""
    _tasks: dict[str, Task] | None = None
    _head: dict[str, Any] | None = None
    _cache: PlanCache | None = None

    @property
    def tasks(self) -> dict[str, Task]:
        """The full tasks (parameters, inputs, files), read from the plan cache on first use."""
        if self._tasks is None:
            assert self._cache is not None and self._head is not None
            loaded = self._cache.load_tasks(self._head)
            if loaded is None:
                raise _StalePlanCache()
            self._tasks = {t["id"]: Task.from_json(t) for t in loaded}
        return self._tasks


class _StalePlanCache(Exception):
    """The head of a cached plan outlived its tasks file: compile again."""


def cache_root_for(project_dir: Path, override: Path | None) -> Path:
    if override is not None:
        return override
    env = os.environ.get("STUDIO_CACHE")
    return Path(env) if env else project_dir / ".studio"


def _find_project(path: Path) -> Path | None:
    from studio_lang.loader import is_project_file

    if path.is_dir():
        found = [p for p in path.iterdir() if p.is_file() and is_project_file(p)]
        return found[0] if len(found) == 1 else None
    return path if path.is_file() else None


def load_plan(path: Path, cache_root: Path, digests: DigestCache, allow_paths: list[Path],
              use_cache: bool = True) -> LoadedPlan:
    """The plan of the project at ``path``, reusing the plan cache when nothing it read has changed."""
    from backends import CATALOG

    project = _find_project(path)
    fingerprint = hashlib.sha256(json.dumps([studio_fingerprint(), CATALOG, sorted(map(str, allow_paths))])
                                 .encode()).hexdigest()
    cache = PlanCache(cache_root)
    if project is not None and use_cache:
        head = cache.load(project, fingerprint)
        if head is not None:
            index = [(i, k, key) for i, k, key in head["index"]]
            return LoadedPlan(project, head["title"], head["vram_gb"], index, head["diagnostics_text"],
                              head["diagnostics_json"], True, head["tasks_digest"], None, head, cache)
    from compiler import compile_project
    from studio_lang.diagnostics import render_text

    before = _content(project)
    result = compile_project(path, backends=CATALOG, allowed_paths=allow_paths, digester=digests)
    text = render_text(result.diagnostics, result.sources)
    as_json = [d.to_json() for d in result.diagnostics]
    if result.plan is None or result.path is None:
        return LoadedPlan(result.path or path, "", None, [], text, as_json, False, "", {})
    tasks = {str(t.id): Task.from_spec(t) for t in result.plan.tasks.values()}
    film = result.plan.film
    index = [(t.id, t.kind, t.key) for t in tasks.values()]
    encoded = PlanCache.encode([t.to_json() for t in tasks.values()])
    # every file the plan was built from, with the digest of the content it was built from where known:
    # the project file (unchanged while it compiled), the referenced files, the weights the keys were read from
    files: dict[Path, str | None] = {Path(f["absolute"]): f["digest"] for t in tasks.values() for f in t.files.values()}
    files.update((Path(w), None) for w in film.watched)
    files[result.path] = before if before is not None and before == _content(result.path) else None
    cache.save(result.path, fingerprint, files, {
        "title": film.title, "vram_gb": film.vram_gb, "index": index, "diagnostics_text": text,
        "diagnostics_json": as_json}, encoded)
    return LoadedPlan(result.path, film.title, film.vram_gb, index, text, as_json, True, encoded[1], tasks)


def _content(path: Path | None) -> str | None:
    """The digest of a file's bytes, or None when it cannot be read."""
    try:
        return file_digest(path) if path is not None else None
    except OSError:
        return None


def build(opts: BuildOptions) -> int:
    started = time.perf_counter()
    project_dir = opts.path if opts.path.is_dir() else opts.path.parent
    cache_root = cache_root_for(project_dir, opts.cache)
    places = {"cache": cache_root, "output": opts.out if opts.out is not None else project_dir / "build"}

    def waiting(holder: str) -> None:
        sys.stderr.write(f"studio: {holder} is using {cache_root}; waiting for it to finish...\n")

    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        with BuildLock(cache_root, wait=opts.wait, on_wait=waiting):
            return _locked_build(opts, cache_root, started)
    except LockBusy as exc:
        sys.stderr.write(f"studio: {exc.args[0]} is using {cache_root}; not waiting (--no-wait)\n")
        return 1
    except StorageError as exc:
        return _storage_failure(opts, exc, started)
    except OSError as exc:  # out of space, read-only, no permission: where studio writes, one clear message
        found = storage_error(exc, places, any_errno=True)
        if found is None:
            raise
        return _storage_failure(opts, found, started)


def _storage_failure(opts: BuildOptions, exc: StorageError, started: float, status: dict[str, str] | None = None,
                     failures: dict[str, str] | None = None) -> int:
    """Say it once, exit 1: what was finished is in the store; nothing half-written is trusted."""
    sys.stderr.write(f"studio: {exc}\n")
    if opts.format == "json":
        summary = _summary(status or {}, failures or {}, {}, 0, {}, time.perf_counter() - started)
        sys.stdout.write(json.dumps({**summary, "error": str(exc)}) + "\n")
    return 1


def _warner(fmt: str) -> Callable[[str, str], None]:
    """How a build shows a warning that is not about the project (the remote cache, Ray): a JSON
    line with ``--format json``, so that every line of stderr stays JSON, else a text line."""

    def warn(code: str, message: str) -> None:
        if fmt == "json":
            sys.stderr.write(json.dumps({"event": "warning", "code": code, "message": message}) + "\n")
        else:
            sys.stderr.write(f"studio: warning[{code}]: {message}\n")

    return warn


def _open_store(opts: BuildOptions, cache_root: Path) -> Store:
    if opts.remote_cache is None:
        return Store(cache_root)
    return TieredStore(cache_root, opts.remote_cache, _warner(opts.format))


def _locked_build(opts: BuildOptions, cache_root: Path, started: float) -> int:
    store = _open_store(opts, cache_root)
    store.clean_tmp()
    digests = DigestCache(cache_root / "files.json")
    try:
        return _build_plan(opts, cache_root, started, store, digests,
                           load_plan(opts.path, cache_root, digests, opts.allow_paths))
    except _StalePlanCache:
        return _build_plan(opts, cache_root, started, store, digests,
                           load_plan(opts.path, cache_root, digests, opts.allow_paths, use_cache=False))


def _build_plan(opts: BuildOptions, cache_root: Path, started: float, store: Store, digests: DigestCache,
                plan: LoadedPlan) -> int:
    digests.save()
    listener = guarded(opts.listener)
    if opts.format == "json":
        if plan.diagnostics_json:
            sys.stderr.write(json.dumps({"diagnostics": plan.diagnostics_json}) + "\n")
    elif plan.diagnostics_text:
        sys.stderr.write(plan.diagnostics_text)
    if not plan.ok:
        if opts.format == "json":
            sys.stdout.write(json.dumps(_summary({}, {}, {}, 0, {}, time.perf_counter() - started)) + "\n")
        listener.planned(plan, {}, store)
        listener.done(1, None)
        return 1

    if isinstance(store, TieredStore):  # the remote's gc keeps what this build uses from here on
        store.manifest_id = hashlib.sha256(f"{socket.gethostname()}:{plan.project.resolve()}".encode()).hexdigest()[:32]
    hits = store.lookup_many(key for _, _, key in plan.index)
    cached = {tid: hits[key] for tid, _, key in plan.index if key in hits}
    stale = [tid for tid, _, _ in plan.index if tid not in cached]
    kinds = {tid: kind for tid, kind, _ in plan.index}
    listener.planned(plan, cached, store)
    history = _History(cache_root, plan.project)
    if opts.explain and stale:
        _print_explanations(plan.tasks, stale, history.previous(), opts.format)
    changed = history.record(plan)  # before running anything: a killed build still counts as the latest

    outcome_status: dict[str, str] = {tid: "cached" for tid in cached}
    records = dict(cached)
    failures: dict[str, str] = {}
    details: dict[str, str] = {}
    seconds: dict[str, float] = {}
    loads = lower_bound = 0
    load_seconds = 0.0
    cancelled = False
    storage: StorageError | None = None
    if stale:
        from .executors import ExecutorUnavailable

        try:
            outcome = _execute(opts, store, plan, stale, cached, listener, history.durations_path)
        except ExecutorUnavailable as exc:
            sys.stderr.write(f"studio: error[{exc.code}]: {exc.args[0]}\n")
            listener.done(1, None)
            return 1
        storage = outcome.storage
        outcome_status, records, failures = outcome.status, outcome.records, outcome.failures
        details, seconds, cancelled = outcome.details, outcome.seconds, outcome.cancelled
        loads, lower_bound, load_seconds = outcome.loads, outcome.lower_bound, outcome.load_seconds
    out_dir = opts.out if opts.out is not None else plan.project.parent / "build"
    if storage is not None:
        code = _storage_failure(opts, storage, started, outcome_status, failures)
        listener.done(code, None)
        return code
    if cancelled:
        why = getattr(opts.cancel, "reason", None) or "interrupted"  # studio watch says which file changed
        sys.stderr.write(f"studio: {why}; finished tasks are kept in the cache, unfinished ones left nothing "
                         "behind\n")
        listener.done(130, None)
        return 130
    remote = None
    try:  # a write failing from here on is the output directory's (the store's are done)
        delivered = deliver(out_dir, kinds, records, store)
        elapsed = time.perf_counter() - started
        outputs = _outputs(out_dir, delivered)
        if isinstance(store, TieredStore):
            remote = {"url": store.remote_url, "read": len(store.pulled), "written": store.pushed}
        if stale or changed or (remote and remote["read"]) or not (out_dir / "report.json").exists():
            _write_report(out_dir, plan, outcome_status, failures, details, seconds, records, loads, lower_bound,
                          load_seconds, outputs, elapsed, remote)
            report_written = True
        else:
            report_written = False
    except OSError as exc:
        found = storage_error(exc, {"output": out_dir}, any_errno=True)
        if found is None:
            raise
        code = _storage_failure(opts, found, started, outcome_status, failures)
        listener.done(code, None)
        return code
    if report_written:
        store.write_index([records[tid] for tid, _, _ in plan.index if tid in records])
    _save_stats(cache_root, outcome_status)
    summary = _summary(outcome_status, failures, outputs, loads, {"lower_bound": lower_bound}, elapsed)
    summary["warnings"] = [f"{tid}: {r.meta['gates']['warning']}" for tid, r in records.items()
                           if outcome_status.get(tid) == "executed" and "warning" in (r.meta.get("gates") or {})]
    if opts.format == "json":
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        sys.stderr.write(_summary_text(summary, plan.title, lower_bound, out_dir))
        if remote is not None and (remote["read"] or remote["written"]):
            sys.stderr.write(f"remote cache {remote['url']}: {remote['read']} results read, "
                             f"{remote['written']} written\n")
    listener.done(1 if failures else 0, out_dir)
    return 1 if failures else 0


@dataclass
class _Executed:
    storage: StorageError | None
    status: dict[str, str]
    records: dict[str, ActionRecord]
    failures: dict[str, str]
    details: dict[str, str]
    seconds: dict[str, float]
    cancelled: bool
    loads: int
    lower_bound: int
    load_seconds: float


def _execute(opts: BuildOptions, store: Store, plan: LoadedPlan, stale: list[str],
             cached: dict[str, ActionRecord], listener: BuildListener, durations_path: Path) -> _Executed:
    from backends import load_backend
    from compiler.schedule import schedule

    from .executors import Executor, TaskExecutor
    from .executors.priority import load_durations, save_durations
    from .models import ModelManager
    from .progress import make_reporter

    tasks = plan.tasks
    stale_set = set(stale)
    items = [(tid, tasks[tid].model_identity, tasks[tid].vram_gb,
              [d for d in tasks[tid].inputs.values() if d in stale_set]) for tid in stale]
    uses = {tid: [(m["identity"], float(m["vram_gb"])) for _, m in sorted(tasks[tid].uses.items())] for tid in stale
            if tasks[tid].uses}
    order = schedule(items, plan.vram_gb, uses)
    models = opts.models if opts.models is not None else ModelManager(plan.vram_gb, load_backend)
    models.budget = plan.vram_gb
    cancel = opts.cancel if opts.cancel is not None else threading.Event()
    executor: TaskExecutor
    session = None
    durations: dict[str, float] | None = None  # the local executor's estimates (Ray schedules by itself)
    if opts.executor == "ray":  # connect first: a cluster that cannot be reached is one clear error
        from .executors.ray_executor import RayExecutor
        from .executors.ray_session import connect

        session = connect(opts.ray_address)
        reporter = Heard(make_reporter(opts.format, len(stale)), listener)
        executor = RayExecutor(session, tasks, store, reporter, opts.jobs, cancel, _warner(opts.format))
    else:
        reporter = Heard(make_reporter(opts.format, len(stale)), listener)
        durations = load_durations(durations_path)
        executor = Executor(tasks, store, models, load_backend, reporter, opts.jobs or max(1, os.cpu_count() or 1),
                            cancel, opts.first, durations)
    try:
        outcome = executor.run(order.order, cached)
        if durations is not None:
            save_durations(durations_path, durations, outcome.seconds, outcome.status, list(tasks))
    finally:
        reporter.close()
        if opts.models is None:  # a build on its own (studio watch keeps models and Ray between builds)
            models.close()
            if session is not None:
                session.close()
    return _Executed(outcome.storage, outcome.status, outcome.records, outcome.failures, outcome.details,
                     outcome.seconds, outcome.cancelled, outcome.loads, order.lower_bound, outcome.load_seconds)


class _History:
    """The tasks of the latest build of a project (``history/<project>.json``, and the digest that names
    them beside it): what ``--explain`` compares with and what ``studio cache gc`` keeps. Every build
    records its plan, whether it ran anything or found it all cached (after a revert, say); a no-op
    build only reads the small digest file."""

    def __init__(self, cache_root: Path, project: Path) -> None:
        self.path = history_path(cache_root, project)
        self.digest_path = self.path.with_suffix(".digest")
        self.durations_path = self.path.with_suffix(".seconds")  # not *.json: gc reads those as plans
        """Seconds each task took when it last ran (``executors.priority``: which ready task goes first)."""

    def previous(self) -> dict[str, Any]:
        return load_history(self.path)

    def record(self, plan: LoadedPlan) -> bool:
        """Make ``plan`` the latest build; True when it differs from the one recorded."""
        try:
            if self.digest_path.read_text(encoding="ascii") == plan.tasks_digest:
                return False
        except (OSError, ValueError):
            pass
        atomic_write(self.path, json.dumps({t.id: t.to_json() for t in plan.tasks.values()}).encode())
        atomic_write(self.digest_path, plan.tasks_digest.encode("ascii"))  # last: it vouches for the tasks
        return True


def _print_explanations(tasks: dict[str, Task], stale: list[str], previous: dict[str, Any], fmt: str) -> None:
    from studio_lang.diagnostics import printable

    from .explain import explanations

    for tid, reason in explanations(tasks, stale, previous).items():
        if fmt == "json":
            sys.stderr.write(json.dumps({"event": "explain", "id": tid, "reason": reason}) + "\n")
        else:
            sys.stderr.write(printable(f"{tid}: {reason}") + "\n")


def _outputs(out_dir: Path, delivered: dict[str, str]) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    singles = {"final.mp4": "film", "soundtrack.m4a": "soundtrack", "subtitles.srt": "subtitles",
               "storyboard.png": "storyboard", "storyboard.pdf": "storyboard_pdf", "timeline.otio": "timeline"}
    for rel in sorted(delivered):
        path = str(out_dir / rel)
        if rel in singles:
            outputs[singles[rel]] = path
        else:
            outputs.setdefault(rel.split("/", 1)[0], []).append(path)
    outputs["report"] = str(out_dir / "report.json")
    return outputs


def _summary(status: dict[str, str], failures: dict[str, str], outputs: dict[str, Any], loads: int,
             extra: dict[str, Any], elapsed: float) -> dict[str, Any]:
    def ids(kind: str) -> list[str]:
        return [t for t, s in status.items() if s == kind]

    return {"executed": ids("executed"), "cached": ids("cached"),
            "failed": [{"id": t, "message": m} for t, m in failures.items()], "skipped": ids("skipped"),
            "model_loads": loads, "model_loads_lower_bound": extra.get("lower_bound", 0), "outputs": outputs,
            "seconds": round(elapsed, 3)}


def _summary_text(summary: dict[str, Any], title: str, lower_bound: int, out_dir: Path) -> str:
    from studio_lang.diagnostics import printable

    lines = [f"warning: {printable(w)}" for w in summary.get("warnings", [])]
    for failure in summary["failed"]:
        lines.append(f"error: {failure['id']} failed: {failure['message']}")
    if summary["skipped"]:
        lines.append(f"skipped {len(summary['skipped'])} task(s) that depend on failed ones")
    lines.append(f"{title}: {len(summary['executed'])} executed, {len(summary['cached'])} cached, "
                 f"{len(summary['failed'])} failed, {len(summary['skipped'])} skipped; "
                 f"{summary['model_loads']} model loads (lower bound {lower_bound}); {summary['seconds']:.2f} s")
    film = summary["outputs"].get("film")
    if film:
        lines.append(f"film: {film}")
    return "\n".join(map(printable, lines)) + "\n"  # a title or a message may hold escape codes


def _write_report(out_dir: Path, plan: LoadedPlan, status: dict[str, str], failures: dict[str, str],
                  details: dict[str, str], seconds: dict[str, float], records: dict[str, ActionRecord], loads: int,
                  lower_bound: int, load_seconds: float, outputs: dict[str, Any], elapsed: float,
                  remote: dict[str, Any] | None = None) -> None:
    report: dict[str, Any] = {
        "title": plan.title,
        "seconds": round(elapsed, 3),
        "model_loads": loads, "model_loads_lower_bound": lower_bound, "model_load_seconds": round(load_seconds, 3),
        "outputs": outputs,
        "tasks": [
            {"id": tid, "kind": t.kind, "backend": t.backend, "model": t.model["name"] if t.model else None,
             "key": t.key, "status": status.get(tid, "stale"), "seconds": round(seconds.get(tid, 0.0), 3),
             "message": failures.get(tid), "detail": details.get(tid),
             "outputs": records[tid].outputs if tid in records else {},
             "meta": records[tid].meta if tid in records else {}}
            for tid, t in plan.tasks.items()
        ],
        "gates": gate_scores(records),
    }
    if remote is not None:
        report["remote_cache"] = remote  # results read through from it and written to it by this build
    atomic_write(out_dir / "report.json", json.dumps(report, indent=1, sort_keys=False).encode())


def gate_scores(records: Mapping[str, ActionRecord]) -> dict[str, Any]:
    """Task id -> the consistency gates' record of a gated keyframe (every try's scores, the one kept)."""
    return {tid: r.meta["gates"] for tid, r in records.items() if r.meta.get("gates")}


def _save_stats(cache_root: Path, status: dict[str, str]) -> None:
    hits = sum(1 for s in status.values() if s == "cached")
    misses = sum(1 for s in status.values() if s in ("executed", "failed"))
    atomic_write(cache_root / "last-build.json", json.dumps({"hits": hits, "misses": misses}).encode())
