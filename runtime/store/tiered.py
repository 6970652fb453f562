"""Two levels: the local store first, a remote store (shared directory or S3) behind it.

- Look-up: local first; a local miss is read through from the remote: the record, then each
  object it names, downloaded and re-hashed into the local store, then the local record (last,
  as always). A remote record whose objects are missing or damaged is a miss.
- Commit: the task's outputs are committed locally first, then uploaded (objects, then the
  record), so the remote never holds a record before its objects.
- Trouble with the remote (unreachable, no permission, a full disk) never fails a build: it is
  reported once as a warning and the build goes on with the local store alone.

Everything else (``object_path``, ``workdir``, the index) is the local store's: backends and
deliveries only ever read local files. The remote is opened on first use, so a build that finds
everything locally never imports s3fs nor sends a request.
"""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .interface import ActionRecord
from .local import Store
from .remote import RemoteError, RemoteStore, open_remote

__all__ = ["TieredStore"]

Warn = Callable[[str, str], None]
"""``(code, message)``: how the build shows a warning (text or a JSON line)."""


def _stderr_warning(code: str, message: str) -> None:
    sys.stderr.write(f"studio: warning[{code}]: {message}\n")


class TieredStore(Store):
    def __init__(self, root: Path, remote: str | RemoteStore, warn: Warn | None = None) -> None:
        super().__init__(root)
        self.remote_url = remote if isinstance(remote, str) else remote.location
        self._remote: RemoteStore | None = None if isinstance(remote, str) else remote
        self._disabled = False
        self._lock = threading.Lock()
        self.warn = warn or _stderr_warning
        self.pulled: set[str] = set()
        """Keys read through from the remote during this build."""
        self.pushed = 0
        self.manifest_id: str | None = None
        """Set by a build: before the remote is first read, the plan's keys are announced under
        this id (one project on one machine), so that ``studio cache gc`` keeps them."""
        self._announced = False

    # --- the remote, opened on first use; disabled after the first failure ------------------------
    @property
    def remote(self) -> RemoteStore | None:
        with self._lock:
            if self._disabled:
                return None
            if self._remote is None:
                try:
                    self._remote = open_remote(self.remote_url)
                    self._remote.check()
                except (RemoteError, ValueError) as exc:
                    self._disable(str(exc))
                    return None
            return self._remote

    def _disable(self, message: str) -> None:
        if not self._disabled:
            self._disabled = True
            self.warn("W605", f"{message}; going on with the local cache alone")

    def _failed(self, exc: RemoteError) -> None:
        with self._lock:
            self._disable(str(exc))

    # --- reading ---------------------------------------------------------------------------------
    def lookup(self, key: str) -> ActionRecord | None:
        record = super().lookup(key)
        if record is not None:
            return record
        return self.lookup_many([key]).get(key)

    def lookup_many(self, keys: Iterable[str]) -> dict[str, ActionRecord]:
        keys = list(keys)
        found = super().lookup_many(keys)
        missing = [k for k in keys if k not in found]
        remote = self.remote if missing else None
        if remote is None:
            return found
        if self.manifest_id is not None and not self._announced:
            self._announced = True
            self.announce(self.manifest_id, keys)
        try:
            records = remote.read_records(missing)
            pulled = remote.parallel(self._pull, list(records.values()))
        except RemoteError as exc:
            self._failed(exc)
            return found
        for record in pulled:
            if record is not None:
                found[record.key] = record
                self.pulled.add(record.key)
        return found

    def _pull(self, record: ActionRecord) -> ActionRecord | None:
        """Make ``record`` a local hit: its objects, then the record; None if the remote's copy is
        incomplete or damaged."""
        if not self.ensure(record):
            return None
        return self.put_record(record)

    def ensure(self, record: ActionRecord) -> bool:
        """Every object of ``record`` in the local store, fetched from the remote if need be."""
        for digest, size in sorted(record.digests().items()):
            if self.object_ok(digest, size):
                continue
            remote = self.remote
            if remote is None:
                return False
            self.tmp.mkdir(parents=True, exist_ok=True)
            part = self.tmp / f"pull-{uuid.uuid4().hex}"
            try:
                if not remote.fetch_object(digest, size, part):
                    return False
            except RemoteError as exc:
                self._failed(exc)
                return False
            self.adopt_object(part, digest)
        return True

    # --- writing ---------------------------------------------------------------------------------
    def commit(self, key: str, outputs: Mapping[str, Path], meta: Mapping[str, Any],
               info: Mapping[str, Any]) -> ActionRecord:
        record = super().commit(key, outputs, meta, info)
        self.push(record)
        return record

    def push(self, record: ActionRecord) -> None:
        """Upload a locally committed record to the remote (objects first, the record last)."""
        remote = self.remote
        if remote is None:
            return
        try:
            remote.publish(record, self.object_path)
        except (RemoteError, OSError) as exc:
            self._failed(exc if isinstance(exc, RemoteError) else RemoteError(f"{self.remote_url}: {exc}"))
            return
        with self._lock:
            self.pushed += 1

    def announce(self, ident: str, keys: Iterable[str]) -> None:
        """Tell the remote's ``gc`` which keys this build uses (before it reads or writes them)."""
        remote = self.remote
        if remote is None:
            return
        try:
            remote.write_manifest(ident, keys)
        except RemoteError as exc:
            self._failed(exc)
