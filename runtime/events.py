"""Listening to a build as it goes: what ``studio watch --serve``'s page is told.

A ``BuildListener`` hears a build's plan (or its diagnostics), each task starting, stepping and
finishing, and the end; ``studio watch`` adds the changes that start a build. Methods are called
from the build's threads (steps from workers) and must return quickly. ``guarded`` wraps a listener
so that a mistake in it is reported once on stderr and never stops a build.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .tasks import Task

if TYPE_CHECKING:
    from .build import LoadedPlan
    from .executor import Reporter
    from .store import ActionRecord, Store

__all__ = ["BuildListener", "Heard", "guarded"]


class BuildListener:
    """Ignores everything; a listener overrides what it needs."""

    def changed(self, paths: list[str]) -> None:
        """Files of the project changed (relative paths); a build follows."""

    def planned(self, plan: LoadedPlan, cached: Mapping[str, ActionRecord], store: Store) -> None:
        """The plan is known (``plan.ok`` false: only its diagnostics); ``cached`` holds the hits."""

    def started(self, task: Task) -> None: ...

    def step(self, task: Task, done: int, total: int) -> None: ...

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        """``status``: executed (its record is in the store), failed or skipped."""

    def done(self, code: int, out_dir: Path | None) -> None:
        """The build ended with exit ``code`` (130: cancelled); deliverables are in ``out_dir``."""


class _Guarded(BuildListener):
    def __init__(self, inner: BuildListener) -> None:
        self.inner = inner
        self.failed = False

    def _call(self, name: str, *args: Any) -> None:
        try:
            getattr(self.inner, name)(*args)
        except Exception:
            if not self.failed:
                self.failed = True
                sys.stderr.write(f"studio: internal error in a build listener ({name}); the build goes on\n"
                                 + traceback.format_exc())

    def changed(self, paths: list[str]) -> None:
        self._call("changed", paths)

    def planned(self, plan: LoadedPlan, cached: Mapping[str, ActionRecord], store: Store) -> None:
        self._call("planned", plan, cached, store)

    def started(self, task: Task) -> None:
        self._call("started", task)

    def step(self, task: Task, done: int, total: int) -> None:
        self._call("step", task, done, total)

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        self._call("finished", task, status, seconds, message)

    def done(self, code: int, out_dir: Path | None) -> None:
        self._call("done", code, out_dir)


def guarded(listener: BuildListener | None) -> BuildListener:
    return _Guarded(listener) if listener is not None else BuildListener()


class Heard:
    """A progress reporter that also tells a listener."""

    def __init__(self, reporter: Reporter, listener: BuildListener) -> None:
        self.reporter = reporter
        self.listener = listener

    def started(self, task: Task) -> None:
        self.reporter.started(task)
        self.listener.started(task)

    def step(self, task: Task, done: int, total: int) -> None:
        self.reporter.step(task, done, total)
        self.listener.step(task, done, total)

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        self.reporter.finished(task, status, seconds, message)
        self.listener.finished(task, status, seconds, message)

    def close(self) -> None:
        close = getattr(self.reporter, "close", None)
        if close is not None:
            close()
