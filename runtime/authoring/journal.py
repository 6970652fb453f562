"""The edit journal: every ``studio edit`` of a project file, for ``studio undo`` and ``studio redo``.

Under the store (``.studio/journal/<hash of the project's path>/``): ``blobs/<sha256>`` holds the
exact bytes of the file before and after each edit, ``log.json`` the edits in order and how many are
applied (``head``). Blobs are written before the log (each atomically), so a killed command leaves a
log that only names bytes that exist.

Undo writes back the bytes before the last applied edit, redo the bytes after the next one; either
refuses when the file is not what the journal expects (someone changed it since), so an external
change is never overwritten. An undo or redo cut short between writing the file and the log is
finished by the next one (the file already holds the target bytes). A new edit after an undo drops
the edits that could have been redone. The journal keeps the last ``KEEP`` edits.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store import atomic_write

__all__ = ["KEEP", "Journal", "JournalError", "Step"]

KEEP = 100


class JournalError(Exception):
    """``code`` E512 (the file changed since), E513 (nothing to undo or redo), E515 (the journal is damaged)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.hint = hint


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Step:
    """What undo or redo will write, and the edit it undoes or redoes."""

    data: bytes
    entry: dict[str, Any]
    done: bool
    """The file already holds ``data`` (a previous undo or redo stopped before updating the log)."""


class Journal:
    def __init__(self, cache_root: Path, project: Path) -> None:
        key = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:32]
        self.dir = cache_root / "journal" / key
        self.project = project

    @contextmanager
    def locked(self) -> Iterator[Journal]:
        """One command at a time changes a project's journal."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield self
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # --- the log --------------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            log = json.loads((self.dir / "log.json").read_bytes())
        except FileNotFoundError:
            return {"project": str(self.project.resolve()), "head": 0, "entries": []}
        except (OSError, ValueError) as exc:
            raise JournalError("E515", f"the edit journal cannot be read ({exc})",
                               f"remove {self.dir} to start a new one (undo history is lost)") from None
        if not isinstance(log, dict) or not isinstance(log.get("entries"), list) or \
                not isinstance(log.get("head"), int) or not 0 <= log["head"] <= len(log["entries"]):
            raise JournalError("E515", "the edit journal is damaged", f"remove {self.dir} to start a new one")
        return log

    def _write(self, log: dict[str, Any]) -> None:
        atomic_write(self.dir / "log.json", json.dumps(log, indent=1).encode())

    def _blob(self, sha: str) -> bytes:
        try:
            data = (self.dir / "blobs" / sha).read_bytes()
        except OSError:
            raise JournalError("E515", f"the edit journal lost the file's bytes ({sha[:12]})",
                               f"remove {self.dir} to start a new one") from None
        if digest(data) != sha:
            raise JournalError("E515", f"the edit journal holds damaged bytes ({sha[:12]})",
                               f"remove {self.dir} to start a new one")
        return data

    def _put(self, data: bytes) -> str:
        sha = digest(data)
        path = self.dir / "blobs" / sha
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
        return sha

    def entries(self) -> tuple[list[dict[str, Any]], int]:
        log = self._read()
        return log["entries"], log["head"]

    # --- operations -------------------------------------------------------------------------------
    def record(self, before: bytes, after: bytes, instruction: str, operations: list[dict[str, Any]]) -> None:
        """An edit that was just written (``before`` -> ``after``)."""
        log = self._read()
        entry = {"before": self._put(before), "after": self._put(after), "instruction": instruction,
                 "operations": operations, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        entries = log["entries"][: log["head"]] + [entry]
        entries = entries[-KEEP:]
        log.update(entries=entries, head=len(entries))
        self._write(log)
        self._collect(entries)

    def _collect(self, entries: list[dict[str, Any]]) -> None:
        live = {e[k] for e in entries for k in ("before", "after")}
        folder = self.dir / "blobs"
        for path in folder.iterdir() if folder.is_dir() else ():
            if path.name not in live and not path.name.startswith("."):
                path.unlink(missing_ok=True)

    def undo_step(self, current: bytes) -> Step:
        entries, head = self.entries()
        if head == 0:
            raise JournalError("E513", f"nothing to undo in {self.project.name}",
                               "the journal holds the edits made with studio edit" if not entries else
                               "every recorded edit is undone already; studio redo re-applies them")
        entry = entries[head - 1]
        now = digest(current)
        if now == entry["before"]:
            return Step(current, entry, True)
        if now != entry["after"]:
            raise _changed(self.project, "undo")
        return Step(self._blob(entry["before"]), entry, False)

    def redo_step(self, current: bytes) -> Step:
        entries, head = self.entries()
        if head == len(entries):
            raise JournalError("E513", f"nothing to redo in {self.project.name}",
                               "redo re-applies edits that studio undo took back")
        entry = entries[head]
        now = digest(current)
        if now == entry["after"]:
            return Step(current, entry, True)
        if now != entry["before"]:
            raise _changed(self.project, "redo")
        return Step(self._blob(entry["after"]), entry, False)

    def moved(self, by: int) -> None:
        """Undo (-1) or redo (+1) is done: move the head."""
        log = self._read()
        log["head"] = min(max(log["head"] + by, 0), len(log["entries"]))
        self._write(log)


def _changed(project: Path, what: str) -> JournalError:
    return JournalError("E512", f"{project.name} changed since the last studio edit, undo or redo; {what} would "
                        "overwrite that change", "keep editing by hand (your editor's undo), or run studio edit "
                        "again: the journal follows from there")
