"""The content-addressed store under ``.studio/``: objects by SHA-256, an action record per task key.

Layout::

    .studio/objects/ab/abcdef...        an output file, named by the SHA-256 of its bytes (read-only)
    .studio/actions/12/1234...json      action record: the task key's outputs (digests) and metadata
    .studio/tmp/                        work directories and files being written

Every write is temp file -> fsync -> rename, and the action record is written last, so a build
killed at any instant leaves nothing that a later build trusts but that is incomplete. A record is
a hit only when every object it names is present and intact. Objects carry a fixed mtime: a
changed mtime means someone wrote to the file, and the object is re-hashed before it is trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._atomic import atomic_copy, atomic_write, fsync_dir, hash_file
from .interface import ActionRecord, ObjectInfo, commit_outputs, parse_record, record_bytes

__all__ = ["Store"]

_OBJECT_MTIME_NS = 1_000_000_000 * 1_000_000_000  # 2001-09-09: "never touched since stored"


class Store:
    """The local store: the first level of the cache, and the only one a build reads objects from."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)
        self.objects = root / "objects"
        self.actions = root / "actions"
        self.tmp = root / "tmp"
        self._objects_str = str(self.objects)
        self._index: dict[str, Any] | None = None

    # --- paths ---------------------------------------------------------------------------
    def object_path(self, digest: str) -> Path:
        return self.objects / digest[:2] / digest

    def _object_str(self, digest: str) -> str:
        return f"{self._objects_str}/{digest[:2]}/{digest}"

    def record_path(self, key: str) -> Path:
        return self.actions / key[:2] / f"{key}.json"

    def exists(self) -> bool:
        return self.actions.is_dir()

    @contextlib.contextmanager
    def workdir(self) -> Iterator[Path]:
        """An empty directory for a task's outputs; removed afterwards whatever happens."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(dir=self.tmp, prefix="task-"))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    # --- reading -------------------------------------------------------------------------
    def read_record(self, key: str) -> ActionRecord | None:
        """The record for ``key`` if it parses; objects are not checked (see ``lookup``)."""
        try:
            raw = self.record_path(key).read_bytes()
        except OSError:
            return None
        return parse_record(key, raw)

    def lookup(self, key: str) -> ActionRecord | None:
        """A hit: the record and every object it names, intact. Anything less is a miss."""
        record = self._indexed(key)
        if record is not None and all(self.object_ok(o["digest"], o["size"]) for o in record.outputs.values()):
            return record
        record = self.read_record(key)
        if record is None:
            return None
        for out in record.outputs.values():
            if not self.object_ok(out["digest"], out["size"]):
                return None
        return record

    def lookup_many(self, keys: Iterable[str]) -> dict[str, ActionRecord]:
        return {key: record for key in keys if (record := Store.lookup(self, key)) is not None}  # this level only

    # The index: one file holding the records of the last build, so that a no-op build reads one
    # file instead of thousands. Records never change once written, so an entry can only be
    # missing or name objects that are gone, and both fall back to the record file itself.
    def _indexed(self, key: str) -> ActionRecord | None:
        if self._index is None:
            try:
                raw = json.loads((self.root / "index.json").read_bytes())
                self._index = raw if isinstance(raw, dict) else {}
            except (OSError, ValueError):
                self._index = {}
        entry = self._index.get(key)
        if not isinstance(entry, dict):
            return None
        try:
            return ActionRecord(key, entry["outputs"], entry.get("meta") or {}, entry.get("info") or {})
        except (KeyError, TypeError):
            return None

    def write_index(self, records: Iterator[ActionRecord] | list[ActionRecord]) -> None:
        data = {r.key: {"outputs": r.outputs, "meta": r.meta, "info": r.info} for r in records}
        atomic_write(self.root / "index.json", json.dumps(data, separators=(",", ":")).encode())
        self._index = data

    def drop_index(self) -> None:
        with contextlib.suppress(OSError):
            (self.root / "index.json").unlink()
        self._index = {}

    def object_ok(self, digest: str, size: int | None = None) -> bool:
        """True if the object is present and intact; a damaged object is removed."""
        path = self._object_str(digest)
        try:
            st = os.stat(path)
        except OSError:
            return False
        if size is not None and st.st_size != size:
            self._discard(Path(path))
            return False
        if st.st_mtime_ns == _OBJECT_MTIME_NS:
            return True
        try:  # touched since it was stored: trust it only if the bytes are still right
            actual, _ = hash_file(Path(path))
        except OSError:
            return False
        if actual != digest:
            self._discard(Path(path))
            return False
        self._seal(Path(path))
        return True

    def has_object(self, digest: str, size: int) -> bool:
        return self.object_ok(digest, size)

    def fetch_object(self, digest: str, size: int, dest: Path) -> bool:
        """Copy an intact object to ``dest`` (atomically); False if it is missing or damaged."""
        if not self.object_ok(digest, size):
            return False
        try:
            atomic_copy(self.object_path(digest), dest)
        except FileNotFoundError:
            return False
        return True

    def adopt_object(self, tmp: Path, digest: str) -> None:
        """Move a file already checked to hold ``digest`` (in ``tmp/``) into the objects."""
        final = self.object_path(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        self._seal(tmp)
        os.replace(tmp, final)
        fsync_dir(final.parent)

    def _discard(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            path.chmod(stat.S_IWUSR | stat.S_IRUSR)
            path.unlink()

    def _seal(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.utime(path, ns=(_OBJECT_MTIME_NS, _OBJECT_MTIME_NS))

    # --- writing -------------------------------------------------------------------------
    def put_file(self, source: Path) -> tuple[str, int]:
        """Copy ``source`` into the store; returns its digest and size."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="obj-")
        tmp = Path(tmp_name)
        try:
            h = hashlib.sha256()
            size = 0
            with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
                while block := src.read(1 << 20):
                    h.update(block)
                    dst.write(block)
                    size += len(block)
                dst.flush()
                os.fsync(dst.fileno())
            digest = h.hexdigest()
            final = self.object_path(digest)
            if self.object_ok(digest, size):
                tmp.unlink()
                return digest, size
            final.parent.mkdir(parents=True, exist_ok=True)
            self._seal(tmp)
            os.replace(tmp, final)
            fsync_dir(final.parent)
            return digest, size
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def commit(self, key: str, outputs: Mapping[str, Path], meta: Mapping[str, Any],
               info: Mapping[str, Any]) -> ActionRecord:
        """Store a finished task: its objects first, the record last."""
        return commit_outputs(self, key, outputs, meta, info)

    def put_record(self, record: ActionRecord) -> ActionRecord:
        """Write the record (atomically; one build holds the lock, so the last writer wins)."""
        atomic_write(self.record_path(record.key), record_bytes(record))
        return record

    def forget(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self.record_path(key).unlink()
        self.drop_index()

    # --- maintenance ---------------------------------------------------------------------
    def iter_objects(self) -> Iterator[tuple[str, Path]]:
        if not self.objects.is_dir():
            return
        for sub in sorted(self.objects.iterdir()):
            if sub.is_dir():
                for path in sorted(sub.iterdir()):
                    yield path.name, path

    def iter_records(self) -> Iterator[ActionRecord]:
        if not self.actions.is_dir():
            return
        for sub in sorted(self.actions.iterdir()):
            if sub.is_dir():
                for path in sorted(sub.glob("*.json")):
                    record = self.read_record(path.stem)
                    if record is not None:
                        yield record

    def records(self) -> Iterator[ActionRecord]:
        return self.iter_records()

    def stored_objects(self) -> Iterator[ObjectInfo]:
        for digest, path in self.iter_objects():
            try:
                st = path.stat()
            except OSError:
                continue
            yield ObjectInfo(digest, st.st_size, st.st_ctime)

    def clean_tmp(self, older_than: float = 0.0) -> None:
        """Remove leftovers of killed builds (only call while holding the build lock)."""
        if not self.tmp.is_dir():
            return
        now = time.time()
        for path in self.tmp.iterdir():
            try:
                if now - path.lstat().st_mtime >= older_than:
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink()
            except OSError:
                pass

    def discard_object(self, digest: str) -> None:
        self._discard(self.object_path(digest))
        self.drop_index()

    def verify_object(self, digest: str, path: Path | None = None) -> bool:
        try:
            actual, _ = hash_file(path if path is not None else self.object_path(digest))
        except OSError:
            return False
        return actual == digest

    def verify(self, digest: str) -> bool:
        """Re-hash the object; a damaged one is removed."""
        if self.verify_object(digest):
            return True
        self.discard_object(digest)
        return False
