"""One version of an open document, compiled: diagnostics, the index of its names and, on demand,
its plan with each task's cache status (for hover).

The text is the editor's buffer, not the file on disk; referenced files are read from the project
directory as ``studio check`` reads them (confined, checked, digested through the store's stat-keyed
digest cache, which is never written here). The store is only read: a task is cached when its record
and every object the record names are present with the right size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from compiler.files import ProjectFiles
from compiler.pipeline import Compilation, compile_source
from compiler.plan import Plan, TaskSpec
from studio_lang.loader import decode
from studio_lang.source import SourceFile

from ..build import cache_root_for
from ..explain import explain, history_path, load_history
from ..filecache import DigestCache
from ..store import ActionRecord, Store
from ..tasks import Task
from .index import Index, build_index

__all__ = ["Analysis", "Settings", "Superseded", "TaskState", "analyse"]


class Superseded(Exception):
    """A newer version of the document arrived: this compile's result would be thrown away."""


@dataclass(frozen=True)
class Settings:
    """What ``studio check`` takes from the command line, from the client's initialization options."""

    allow_paths: tuple[Path, ...] = ()
    cache: Path | None = None


_digests: dict[Path, DigestCache] = {}


def _digester(cache_root: Path) -> DigestCache:
    """One digest cache per store, read once; it learns in memory and is never saved from here."""
    if cache_root not in _digests:
        _digests[cache_root] = DigestCache(cache_root / "files.json")
    return _digests[cache_root]


@dataclass(frozen=True)
class TaskState:
    id: str
    kind: str
    cached: bool
    reason: str | None
    """Why it would run (as ``--explain`` says), when it is not cached."""
    record: ActionRecord | None


@dataclass
class Analysis:
    uri: str
    version: int | None
    source: SourceFile
    path: Path | None
    settings: Settings
    compilation: Compilation
    seconds: float
    _states: dict[str, TaskState] = field(default_factory=dict)

    @property
    def parsed(self) -> bool:
        syntax = self.compilation.syntax
        return syntax is not None and syntax.root is not None

    @cached_property
    def index(self) -> Index | None:
        """The names and where they are written (None when the text did not parse); built after the
        diagnostics are out, so that it never delays them."""
        syntax = self.compilation.syntax
        return build_index(syntax) if syntax is not None and syntax.root is not None else None

    @property
    def directory(self) -> Path | None:
        return self.path.parent if self.path is not None else None

    @property
    def cache_root(self) -> Path | None:
        return cache_root_for(self.path.parent, self.settings.cache) if self.path is not None else None

    @cached_property
    def plan(self) -> Plan | None:
        """The plan of this version (keys only; computed the first time a hover needs it)."""
        film = self.compilation.film
        if film is None:
            return None
        from backends import CATALOG  # the catalog only: no backend module is imported
        from compiler.plan import plan

        return plan(film, CATALOG, is_cached=lambda key: True)  # every task 'cached': no schedule to compute

    @cached_property
    def _history(self) -> dict[str, Any]:
        if self.path is None or self.cache_root is None:
            return {}
        return load_history(history_path(self.cache_root, self.path))

    @cached_property
    def _changed(self) -> set[str]:
        plan = self.plan
        previous = self._history
        if plan is None:
            return set()
        return {tid for tid, t in plan.tasks.items() if (previous.get(tid) or {}).get("key") != t.key}

    def state(self, tid: str) -> TaskState | None:
        """A task's cache status in the store, and why it would run."""
        plan = self.plan
        if plan is None or tid not in plan.tasks or self.cache_root is None:
            return None
        if tid not in self._states:
            spec = plan.tasks[tid]  # type: ignore[index]  # a task id is a TaskId
            record = _lookup(Store(self.cache_root), spec)
            reason = None
            if record is None:
                reason = explain(Task.from_spec(spec), self._history.get(tid), self._changed)
            self._states[tid] = TaskState(tid, spec.kind, record is not None, reason, record)
        return self._states[tid]


def _lookup(store: Store, spec: TaskSpec) -> ActionRecord | None:
    """The store's record of a task if it and its objects are there; reads only (never repairs)."""
    record = store.read_record(spec.key)
    if record is None:
        return None
    for out in record.outputs.values():
        try:
            if os.stat(store.object_path(out["digest"])).st_size != out["size"]:
                return None
        except OSError:
            return None
    return record


def analyse(uri: str, text: str, version: int | None, path: Path | None, settings: Settings,
            checkpoint: Callable[[], None] | None = None) -> Analysis:
    """Compile one version of a document (``path`` is where it lives; its name picks the syntax)."""
    started = time.perf_counter()
    name = path.name if path is not None else uri.rsplit("/", 1)[-1]
    source, problems = decode(text.encode("utf-8", "surrogatepass"), name, path)
    if source is None:
        source = SourceFile(name, "", path)
        compilation = Compilation(path, source, diagnostics=problems)
        return Analysis(uri, version, source, path, settings, compilation, time.perf_counter() - started)
    directory = path.parent if path is not None else Path.cwd()
    cache_root = cache_root_for(directory, settings.cache)
    files = ProjectFiles(directory, settings.allow_paths, _digester(cache_root))
    compilation = compile_source(source, directory, files=files, checkpoint=checkpoint)
    return Analysis(uri, version, source, path, settings, compilation, time.perf_counter() - started)
