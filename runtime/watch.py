"""``studio watch``: build, then build again whenever a file of the project changes.

The loop: (1) build as ``studio build`` does; (2) wait for a change under the project's directory
(and the ``--allow-path`` directories), ignoring the store, the deliverables and editor scratch
files; (3) build again. A change during a build cancels it between tasks (and between denoising
steps): finished tasks are kept in the store, so the next build resumes where this one stopped.
Models stay loaded between builds (the model manager lives as long as the watch), so an edited
prompt re-renders its keyframe without loading the image model again. Changes arriving together
(an editor's save, a script writing several files) are debounced into one build.

Output: each build prints what ``studio build`` prints; between builds a ``watching`` line (text)
or ``{"event": "watching"}`` / ``{"event": "changed", "paths": [...]}`` JSON lines on stderr.
Ctrl-C stops the watch with exit code 130; no other exit ends it (a project with errors is
reported and waited on).
"""

from __future__ import annotations

import contextlib
import json
import queue
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .build import BuildOptions, build, cache_root_for
from .events import BuildListener, guarded
from .tasks import Task

if TYPE_CHECKING:
    from .build import LoadedPlan
    from .store import ActionRecord, Store

__all__ = ["watch"]


class _Cancel(threading.Event):
    """The build's cancel event, with the reason a change gives (Ctrl-C leaves it None)."""

    reason: str | None = None


def _say(fmt: str, text: str, event: dict[str, object]) -> None:
    sys.stderr.write(json.dumps(event) + "\n" if fmt == "json" else text + "\n")
    sys.stderr.flush()


def _roots(opts: BuildOptions) -> tuple[Path, list[Path], list[Path]]:
    """(the project directory, the directories to watch, the paths whose changes never count)."""
    project_dir = (opts.path if opts.path.is_dir() else opts.path.parent).resolve()
    cache = cache_root_for(project_dir, opts.cache).resolve()
    out = (opts.out if opts.out is not None else project_dir / "build").resolve()
    roots = [project_dir, *(p.resolve() for p in opts.allow_paths if p.is_dir())]
    return project_dir, roots, [cache, out]


def watch(opts: BuildOptions, debounce_ms: int = 300, stop: threading.Event | None = None,
          on_idle: Callable[[], None] | None = None) -> int:
    """Build ``opts.path`` now and after every change until Ctrl-C (or ``stop``, for tests)."""
    import watchfiles

    from backends import load_backend

    from .models import ModelManager

    project_dir, roots, ignored = _roots(opts)
    stop = stop or threading.Event()
    changes: queue.Queue[set[str]] = queue.Queue()
    cancel = _Cancel()
    building = threading.Event()
    watch_filter = watchfiles.DefaultFilter(ignore_paths=[str(p) for p in ignored])

    def watcher() -> None:
        for batch in watchfiles.watch(*roots, watch_filter=watch_filter, debounce=debounce_ms, step=50,
                                      stop_event=stop, rust_timeout=500, yield_on_timeout=False,
                                      raise_interrupt=False):
            paths = _lasting(batch)
            if not paths:
                continue
            changes.put(paths)
            if building.is_set():
                cancel.reason = f"{_shown(sorted(paths)[0], project_dir)} changed"
                cancel.set()
        if building.is_set():  # stopped (tests, an embedding program): the build stops too
            cancel.reason = "stopped"
            cancel.set()

    listener = guarded(opts.listener)  # the preview page (studio watch --serve) hears what changed
    thread = threading.Thread(target=watcher, name="studio-watch", daemon=True)
    thread.start()
    models = ModelManager(None, load_backend)
    plans = _Plans(opts.listener)
    warmed: set[str] = set()
    try:
        while not stop.is_set():
            cancel.clear()
            cancel.reason = None
            building.set()
            try:
                code = build(replace(opts, cancel=cancel, models=models, listener=plans))
            finally:
                building.clear()
            if code == 130 and cancel.reason is None:
                return 130  # Ctrl-C during the build
            if code != 130:  # finished (or refused): idle until the next change
                _say(opts.format, f"studio: watching {project_dir} for changes (Ctrl-C to stop)",
                     {"event": "watching", "path": str(project_dir)})
                warmed |= warm(plans.backends() - warmed, load_backend)
                warm_compiler(opts.path, opts.allow_paths)
                if on_idle is not None:
                    on_idle()
            paths = _next_changes(changes, stop)
            if paths is None:
                break
            shown = [_shown(p, project_dir) for p in sorted(paths)]
            _say(opts.format, "studio: changed: " + ", ".join(shown[:5]) + (" ..." if len(shown) > 5 else ""),
                 {"event": "changed", "paths": shown})
            listener.changed(shown)
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        stop.set()
        models.close()
        thread.join(timeout=2.0)


class _Plans(BuildListener):
    """Passes everything on to ``inner`` and keeps the latest plan (whose backends to warm)."""

    def __init__(self, inner: BuildListener | None) -> None:
        self.inner = inner or BuildListener()
        self.plan: LoadedPlan | None = None
        self._seen: tuple[str, set[str]] | None = None

    def backends(self) -> set[str]:
        """The backends of the latest plan's tasks (read once per plan: a no-op build's tasks come
        from the plan cache only when asked)."""
        plan = self.plan
        if plan is None or not plan.ok:
            return set()
        if self._seen is None or self._seen[0] != plan.tasks_digest:
            try:
                self._seen = (plan.tasks_digest, {t.backend for t in plan.tasks.values()})
            except Exception:  # a plan cache that went away: nothing to warm this time
                return set()
        return self._seen[1]

    def changed(self, paths: list[str]) -> None:
        self.inner.changed(paths)

    def planned(self, plan: LoadedPlan, cached: Mapping[str, ActionRecord], store: Store) -> None:
        self.plan = plan
        self.inner.planned(plan, cached, store)

    def started(self, task: Task) -> None:
        self.inner.started(task)

    def step(self, task: Task, done: int, total: int) -> None:
        self.inner.step(task, done, total)

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        self.inner.finished(task, status, seconds, message)

    def done(self, code: int, out_dir: Path | None) -> None:
        self.inner.done(code, out_dir)


def warm(names: AbstractSet[str], load_backend: Callable[[str], ModuleType]) -> set[str]:
    """Run each backend's optional ``warm()`` (its task modules and their libraries imported) while the
    watch waits, so the first edit does not pay for imports a no-op start never made (the animatic's:
    numpy, Pillow, reportlab). Returns the names tried; a backend that fails to warm is left for its task
    to report."""
    for name in sorted(names):
        with contextlib.suppress(Exception):
            hook = getattr(load_backend(name), "warm", None)
            if hook is not None:
                hook()
    return set(names)


def warm_compiler(path: Path, allow_paths: Sequence[Path]) -> None:
    """Check the project once while the watch waits, when no build of this process has compiled it
    (the first build came from the plan cache): the first edit would otherwise import the compiler
    (its pydantic models alone take 0.1 s) and make its lazy state. Measured on ``bench/render_film.py``'s
    project: the first edit's keyframe started 0.16-0.19 s after the change, the next edits' 0.01 s.
    A check only reads the project (no planning, no hashing); what it finds is not shown (the next
    build reports it)."""
    if "compiler.pipeline" in sys.modules:  # compiled already: nothing left to warm
        return
    with contextlib.suppress(Exception):
        from compiler import compile_project, plan  # noqa: F401 - the planner is imported for its import

        compile_project(path, allowed_paths=allow_paths)


def _next_changes(changes: queue.Queue[set[str]], stop: threading.Event) -> set[str] | None:
    """The paths of the next change (all those queued, merged); None once ``stop`` is set. After a
    build a change cancelled, that change is already queued."""
    paths: set[str] = set()
    while not paths:
        if stop.is_set():
            return None
        try:
            paths |= changes.get(timeout=0.2)
        except queue.Empty:
            continue
    while True:
        try:
            paths |= changes.get_nowait()
        except queue.Empty:
            return paths


def _lasting(batch: AbstractSet[tuple[object, str]]) -> set[str]:
    """The changed paths, less scratch files that came and went within the batch (``sed -i``'s, an
    editor's backup): a file added and gone again changed nothing the project can use."""
    import watchfiles

    added = {path for change, path in batch if change == watchfiles.Change.added}
    return {path for _, path in batch if path not in added or Path(path).exists()}


def _shown(path: str, project_dir: Path) -> str:
    try:
        return Path(path).relative_to(project_dir).as_posix()
    except ValueError:
        return path
