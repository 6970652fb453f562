"""Caches that make a no-op build cheap, both crash-safe (written whole, atomically, or ignored).

- ``DigestCache``: user files are hashed once per (device, inode, size, mtime_ns).
- ``PlanCache``: the compiled plan of a project file whose bytes, referenced files and studio
  version are unchanged is reused without parsing (re-parsing an unchanged source is wasted work).
  ``file_digest`` hashes a file (the content a plan was built from, for files edited just now).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from studio_lang.readfile import open_regular

from .store import atomic_write

__all__ = ["DigestCache", "PlanCache", "file_digest", "file_signature", "studio_fingerprint"]

_RACY_SECONDS = 2.0
"""A file modified this recently may change again within its mtime tick: never cache its digest."""


def file_signature(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


class DigestCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.dirty = False
        try:
            raw = json.loads(path.read_bytes())
            self.entries: dict[str, list[Any]] = raw if isinstance(raw, dict) else {}
        except (OSError, ValueError):
            self.entries = {}

    def __call__(self, path: Path) -> str:
        key = str(path)
        sig = file_signature(path)
        entry = self.entries.get(key)
        if sig is not None and isinstance(entry, list) and entry[:4] == sig:
            return str(entry[4])
        h = hashlib.sha256()
        with open_regular(path) as f:  # a regular file only: never waits on a FIFO swapped in since the check
            while block := f.read(1 << 20):
                h.update(block)
        digest = h.hexdigest()
        after = file_signature(path)
        if sig is not None and after == sig and time.time() - sig[3] / 1e9 > _RACY_SECONDS:
            self.entries[key] = [*sig, digest]
            self.dirty = True
        return digest

    def save(self) -> None:
        if self.dirty:
            atomic_write(self.path, json.dumps(self.entries, sort_keys=True).encode())
            self.dirty = False


def studio_fingerprint() -> str:
    """Changes whenever studio's own code may plan differently (version, or edited sources)."""
    import compiler
    import studio_lang

    h = hashlib.sha256(b"studio-plan-cache-1")
    for package in (studio_lang, compiler):
        assert package.__file__ is not None
        root = Path(package.__file__).parent
        for path in sorted([*root.glob("*.py"), *root.glob("*.lark")]):
            st = path.stat()
            h.update(f"{package.__name__}/{path.name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


class PlanCache:
    """One entry per project file, in two parts: a small head (signatures of every file the plan
    was built from, and each task's id, kind and key: all a no-op build needs) and the full tasks,
    read only when something must run. The head names the digest of the tasks it belongs to.

    A file modified within ``_RACY_SECONDS`` of the save may change again without its signature
    changing: its entry also keeps the digest of the content the plan was built from, and a load
    re-hashes it (once: when it is old enough the head is rewritten without it). So the build that
    follows an edit leaves a plan cache that the next build hits."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "plans"

    def _entry(self, project: Path) -> Path:
        return self.dir / (hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:32] + ".json")

    def load(self, project: Path, fingerprint: str) -> dict[str, Any] | None:
        """The head, if every file it was built from is unchanged."""
        try:
            entry = self._entry(project)
            data = json.loads(entry.read_bytes())
            if data.get("fingerprint") != fingerprint:
                return None
            for name, sig in data["files"].items():
                if file_signature(Path(name)) != sig:
                    return None
            racy: dict[str, str] = data.get("racy") or {}
            for name, digest in racy.items():
                if file_digest(Path(name)) != digest:
                    return None
            if racy and all(time.time() - data["files"][name][3] / 1e9 > _RACY_SECONDS for name in racy):
                data.pop("racy")  # old enough now: the signatures alone vouch for the content
                atomic_write(entry, json.dumps(data, separators=(",", ":")).encode())
            return data
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None

    def load_tasks(self, head: dict[str, Any]) -> list[dict[str, Any]] | None:
        try:
            raw = (self.dir / f"{head['tasks_digest']}.tasks.json").read_bytes()
            if hashlib.sha256(raw).hexdigest() != head["tasks_digest"]:
                return None
            tasks = json.loads(raw)
            return tasks if isinstance(tasks, list) else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @staticmethod
    def encode(tasks: list[dict[str, Any]]) -> tuple[bytes, str]:
        """The tasks file's bytes and their digest (which also names the plan: same digest, same plan)."""
        raw = json.dumps(tasks, separators=(",", ":")).encode()
        return raw, hashlib.sha256(raw).hexdigest()

    def save(self, project: Path, fingerprint: str, files: dict[Path, str | None], head: dict[str, Any],
             tasks: tuple[bytes, str]) -> bool:
        """Save a plan built from ``files`` (path -> digest of the content it was built from, or None
        when unknown); False when a file's signature cannot vouch for its content (changed just now,
        digest unknown) or is gone."""
        sigs = {}
        racy = {}
        now = time.time()
        for path, digest in files.items():
            sig = file_signature(path)
            if sig is None:
                return False
            name = str(path.resolve())
            if now - sig[3] / 1e9 < _RACY_SECONDS:
                if digest is None:
                    return False
                racy[name] = digest
            sigs[name] = sig
        raw, digest = tasks
        entry = self._entry(project)
        for old in self.dir.glob("*.tasks.json") if self.dir.is_dir() else ():
            if old.name != f"{digest}.tasks.json" and now - old.stat().st_mtime > 3600:
                old.unlink(missing_ok=True)  # tasks of plans long replaced
        atomic_write(self.dir / f"{digest}.tasks.json", raw)
        record = {"fingerprint": fingerprint, "files": sigs, **({"racy": racy} if racy else {}), "tasks_digest": digest,
                  **head}
        atomic_write(entry, json.dumps(record, separators=(",", ":")).encode())
        return True


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()
