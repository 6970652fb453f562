"""Progress reporting: rich bars on a terminal, plain lines otherwise, JSON lines with --format json.

Reporters are called from worker threads; each one serialises its own output.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, TextIO

from studio_lang.diagnostics import printable

from .tasks import Task

__all__ = ["JsonReporter", "PlainReporter", "RichReporter", "make_reporter"]


class PlainReporter:
    """One line per finished task: for logs and pipes."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        stream = stream if stream is not None else sys.stderr  # now, not when the module was imported
        self.total = total
        self.done = 0
        self.stream = stream
        self.lock = threading.Lock()

    def started(self, task: Task) -> None:
        pass

    def step(self, task: Task, done: int, total: int) -> None:
        pass

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        with self.lock:
            self.done += 1
            tail = f": {message}" if message else ""
            line = f"[{self.done}/{self.total}] {status:<8} {task.id} ({seconds:.2f} s){tail}"
            self.stream.write(printable(line) + "\n")
            self.stream.flush()

    def close(self) -> None:
        pass


class JsonReporter:
    """JSON lines on stderr: ``{"event": "started"|"step"|"finished", "id", ...}``."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        stream = stream if stream is not None else sys.stderr  # now, not when the module was imported
        self.stream = stream
        self.lock = threading.Lock()
        self.last_step: dict[str, float] = {}
        self.emit({"event": "build", "tasks": total})

    def emit(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.stream.write(json.dumps(event) + "\n")
            self.stream.flush()

    def started(self, task: Task) -> None:
        self.emit({"event": "started", "id": task.id, "kind": task.kind})

    def step(self, task: Task, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last_step.get(task.id, 0.0) < 0.25:
            return
        self.last_step[task.id] = now
        self.emit({"event": "step", "id": task.id, "done": done, "total": total})

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        event: dict[str, Any] = {"event": "finished", "id": task.id, "status": status, "seconds": round(seconds, 3)}
        if message:
            event["message"] = message
        self.emit(event)

    def close(self) -> None:
        pass


class RichReporter:
    """An overall bar plus one bar per running task with its own steps and ETA."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        stream = stream if stream is not None else sys.stderr  # now, not when the module was imported
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(file=stream)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=self.console, transient=False)
        self.overall = self.progress.add_task("build", total=total)
        self.rows: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.progress.start()

    def started(self, task: Task) -> None:
        with self.lock:
            self.rows[task.id] = self.progress.add_task(f"  {task.id}", total=None)

    def step(self, task: Task, done: int, total: int) -> None:
        with self.lock:
            row = self.rows.get(task.id)
            if row is not None:
                self.progress.update(row, completed=done, total=total)

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        with self.lock:
            row = self.rows.pop(task.id, None)
            if row is not None:
                self.progress.remove_task(row)
            self.progress.advance(self.overall)
            if status == "failed":  # the message is text, never markup or escape codes
                from rich.markup import escape

                self.console.print(f"[red]failed[/red] {task.id}: {escape(printable(message or ''))}")

    def close(self) -> None:
        self.progress.stop()


def make_reporter(fmt: str, total: int) -> PlainReporter | JsonReporter | RichReporter:
    if fmt == "json":
        return JsonReporter(total)
    if sys.stderr.isatty():
        return RichReporter(total)
    return PlainReporter(total)
