"""What every store implements (the local ``.studio/``, a shared directory, S3), and the action record.

The contract (``tests/runtime/store/test_contract.py`` holds every implementation to it):

- objects are named by the SHA-256 of their bytes; putting one twice is harmless (idempotent);
- ``commit`` puts a task's objects first and its action record last, so a writer killed at any
  instant leaves either nothing or a complete result;
- ``lookup`` is a hit only when the record parses and every object it names is present with its
  size; ``fetch_object`` re-hashes what it copies and refuses damaged bytes. A record whose objects
  are missing or damaged is a miss, never an exception;
- ``put_record`` is atomic: readers see the old record or the new one, never a mix; concurrent
  writers of one key (several machines finishing the same task) leave one valid record;
- ``records``/``stored_objects`` enumerate what is stored (temporary files of unfinished writes never
  appear); ``forget``/``discard_object`` remove one entry, and removing what is not there is fine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["RECORD_VERSION", "ActionRecord", "CacheStore", "ObjectInfo", "commit_outputs", "parse_record",
           "record_bytes"]

RECORD_VERSION = 1


@dataclass(frozen=True)
class ActionRecord:
    key: str
    outputs: dict[str, dict[str, Any]]
    """Output name -> ``{"digest", "size"}``."""
    meta: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    """Who made it: task id, backend, model, seed, seconds, created."""

    def to_json(self) -> dict[str, Any]:
        return {"version": RECORD_VERSION, "key": self.key, "outputs": self.outputs, "meta": self.meta,
                "info": self.info}

    def digests(self) -> dict[str, int]:
        """Digest -> size of every object the record names."""
        return {o["digest"]: int(o["size"]) for o in self.outputs.values()}


def record_bytes(record: ActionRecord) -> bytes:
    return json.dumps(record.to_json(), sort_keys=True).encode()


def parse_record(key: str, raw: bytes | None) -> ActionRecord | None:
    """The record for ``key`` in ``raw``, or None for anything else (garbage, another key, another
    version, a digest that is not one): a damaged record is a miss."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        if data.get("version") != RECORD_VERSION or data.get("key") != key:
            return None
        outputs: dict[str, dict[str, Any]] = {}
        for name, value in data["outputs"].items():
            digest, size = str(value["digest"]), int(value["size"])
            if not _is_digest(digest) or size < 0:
                return None
            outputs[str(name)] = {"digest": digest, "size": size}
        return ActionRecord(key, outputs, dict(data.get("meta") or {}), dict(data.get("info") or {}))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _is_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


@dataclass(frozen=True)
class ObjectInfo:
    digest: str
    size: int
    mtime: float
    """When it was stored (seconds since the epoch; the store's own clock for remote stores)."""


class CacheStore(Protocol):
    """One level of the cache. ``location`` names it in messages (never with credentials)."""

    location: str

    def lookup(self, key: str) -> ActionRecord | None: ...
    def lookup_many(self, keys: Iterable[str]) -> dict[str, ActionRecord]: ...
    def read_record(self, key: str) -> ActionRecord | None: ...
    def put_file(self, source: Path) -> tuple[str, int]: ...
    def put_record(self, record: ActionRecord) -> ActionRecord: ...
    def commit(self, key: str, outputs: Mapping[str, Path], meta: Mapping[str, Any],
               info: Mapping[str, Any]) -> ActionRecord: ...
    def has_object(self, digest: str, size: int) -> bool: ...
    def fetch_object(self, digest: str, size: int, dest: Path) -> bool: ...
    def records(self) -> Iterator[ActionRecord]: ...
    def stored_objects(self) -> Iterator[ObjectInfo]: ...
    def forget(self, key: str) -> None: ...
    def discard_object(self, digest: str) -> None: ...
    def verify(self, digest: str) -> bool: ...


def commit_outputs(store: CacheStore, key: str, outputs: Mapping[str, Path], meta: Mapping[str, Any],
                   info: Mapping[str, Any]) -> ActionRecord:
    """Store a finished task in ``store``: its objects first, the record last, so that a record never
    names an object that is not there (what every store's ``commit`` does)."""
    stored = {}
    for name, path in sorted(outputs.items()):
        digest, size = store.put_file(path)
        stored[name] = {"digest": digest, "size": size}
    return store.put_record(ActionRecord(key, stored, dict(meta), {**info, "created": round(time.time(), 3)}))
