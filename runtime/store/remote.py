"""A remote cache: the same objects and action records as ``.studio/``, somewhere several machines reach.

Layout under the root (a shared directory, or ``s3://bucket/prefix``)::

    objects/ab/abcdef...        an output, named by the SHA-256 of its bytes
    actions/12/1234....json     action record of a task key
    builds/<id>.json            the keys the latest build of one project on one machine uses (for gc)

``RemoteStore`` holds the logic that every remote shares (records last, first writer wins,
verification on fetch, batch look-ups); an implementation supplies a handful of primitives on
paths relative to the root. Remote objects are never trusted blindly: ``fetch_object`` re-hashes
what it downloads, and a damaged object makes its record a miss (and is replaced by the next
upload of that digest). Errors of the storage itself (unreachable, no permission, no bucket)
raise ``RemoteError``, whose message names the cache by ``location`` and never carries credentials.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ._atomic import hash_file
from .interface import ActionRecord, ObjectInfo, _is_digest, commit_outputs, parse_record, record_bytes

__all__ = ["Manifest", "RemoteError", "RemoteStore", "open_remote", "parse_remote_url", "remote_url_from_env"]

T = TypeVar("T")
R = TypeVar("R")

_PARALLEL = 16
"""Requests in flight at once for batch look-ups, fetches and listings (network latency, not CPU)."""


class RemoteError(Exception):
    """The remote cache cannot be used: ``args[0]`` says why, for people (no credentials in it)."""


def remote_url_from_env(flag: str | None) -> str | None:
    """The remote cache a build uses: ``--remote-cache``, else ``$STUDIO_REMOTE_CACHE``, else none."""
    url = flag if flag is not None else os.environ.get("STUDIO_REMOTE_CACHE", "")
    return url.strip() or None


def parse_remote_url(url: str) -> tuple[str, str]:
    """``("s3", "bucket/prefix")`` or ``("dir", "/absolute/path")``; ``ValueError`` for anything else
    (another scheme, no bucket, credentials in the URL). Imports nothing and sends nothing."""
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if "@" in parts.netloc:
            raise ValueError(f"remote cache URL {_redact(url)} carries credentials: give them through the "
                             "environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...) or the provider's config files")
        if not parts.netloc:
            raise ValueError(f"remote cache URL {url!r} names no bucket: s3://BUCKET/PREFIX")
        return "s3", f"{parts.netloc}/{parts.path.strip('/')}".rstrip("/")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"remote cache URL {_redact(url)}: file:// URLs name a local path (file:///mnt/cache)")
        path = parts.path
    elif parts.scheme and len(parts.scheme) > 1:  # "C:" is a drive, not a scheme
        raise ValueError(f"remote cache URL {_redact(url)}: unsupported scheme '{parts.scheme}://' (use "
                         "s3://BUCKET/PREFIX for S3-compatible storage, or a directory on a shared filesystem)")
    else:
        path = url
    if not path:
        raise ValueError("remote cache URL is empty")
    return "dir", str(Path(path).expanduser().absolute())


def open_remote(url: str) -> RemoteStore:
    """The remote store ``url`` names: ``s3://bucket/prefix``, or a directory (a path or ``file://``).

    Raises ``ValueError`` for a URL that names no supported store (see ``parse_remote_url``), and
    ``RemoteError`` when the store cannot be opened (a missing extra, a directory that does not exist)."""
    kind, where = parse_remote_url(url)
    if kind == "s3":
        from .s3 import S3Store

        bucket, _, prefix = where.partition("/")
        return S3Store(bucket, prefix)
    from .shared_dir import SharedDirStore

    return SharedDirStore(Path(where))


def _redact(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://***@{host}{parts.path}" if "@" in parts.netloc else url


class Manifest:
    """The keys one project's latest build on one machine uses; ``gc`` keeps what they name."""

    def __init__(self, ident: str, mtime: float, keys: frozenset[str]) -> None:
        self.id, self.mtime, self.keys = ident, mtime, keys


class RemoteStore:
    """The shared logic of remote stores; subclasses implement the primitives below."""

    location: str

    def __init__(self) -> None:
        self._bad: set[str] = set()
        """Digests found damaged here: the next upload of one replaces it instead of trusting it."""

    # --- primitives --------------------------------------------------------------------------
    def _get(self, rel: str) -> bytes | None:
        """The bytes at ``rel``, or None when there is nothing there."""
        raise NotImplementedError

    def _put(self, rel: str, data: bytes, *, exclusive: bool) -> bool:
        """Store ``data`` at ``rel`` atomically. ``exclusive``: only if nothing is there (False if
        something was); stores that cannot tell may overwrite (records of one key are equivalent)."""
        raise NotImplementedError

    def _upload(self, source: Path, rel: str) -> None:
        """Copy a local file to ``rel`` atomically (readers never see part of it)."""
        raise NotImplementedError

    def _download(self, rel: str, dest: Path) -> bool:
        """Copy ``rel`` to the local ``dest``; False when there is nothing there."""
        raise NotImplementedError

    def _stat(self, rel: str) -> tuple[int, float] | None:
        """(size, mtime) of ``rel``, or None."""
        raise NotImplementedError

    def _list(self, top: str) -> Iterator[tuple[str, int, float]]:
        """(rel, size, mtime) of every finished file under the directory ``top``."""
        raise NotImplementedError

    def _delete(self, rel: str) -> None:
        """Remove ``rel``; nothing there is fine."""
        raise NotImplementedError

    def check(self) -> None:
        """Raise ``RemoteError`` unless the store can be reached (a cheap request)."""
        self._stat("actions/.probe")

    # --- paths -------------------------------------------------------------------------------
    @staticmethod
    def object_rel(digest: str) -> str:
        return f"objects/{digest[:2]}/{digest}"

    @staticmethod
    def record_rel(key: str) -> str:
        return f"actions/{key[:2]}/{key}.json"

    @staticmethod
    def parallel(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]`` on up to ``_PARALLEL`` threads (remote round trips overlap)."""
        items = list(items)
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(min(_PARALLEL, len(items)), thread_name_prefix="studio-remote") as pool:
            return list(pool.map(fn, items))

    # --- reading -----------------------------------------------------------------------------
    def read_record(self, key: str) -> ActionRecord | None:
        return parse_record(key, self._get(self.record_rel(key)))

    def read_records(self, keys: Iterable[str]) -> dict[str, ActionRecord]:
        keys = list(dict.fromkeys(keys))  # tasks with equal keys (the same line in two shots) ask once
        found = self.parallel(self.read_record, keys)
        return {key: record for key, record in zip(keys, found) if record is not None}

    def has_object(self, digest: str, size: int) -> bool:
        if digest in self._bad:
            return False
        st = self._stat(self.object_rel(digest))
        return st is not None and st[0] == size

    def lookup(self, key: str) -> ActionRecord | None:
        record = self.read_record(key)
        if record is None or not all(self.has_object(d, s) for d, s in record.digests().items()):
            return None
        return record

    def lookup_many(self, keys: Iterable[str]) -> dict[str, ActionRecord]:
        records = self.read_records(keys)
        wanted = sorted({(d, s) for r in records.values() for d, s in r.digests().items()})
        present = {d for (d, s), ok in zip(wanted, self.parallel(lambda ds: self.has_object(*ds), wanted)) if ok}
        return {k: r for k, r in records.items() if all(d in present for d in r.digests())}

    def fetch_object(self, digest: str, size: int, dest: Path) -> bool:
        """Download an object to ``dest``, re-hashed on the way; False if missing or damaged."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.parent / f".{dest.name}.{uuid.uuid4().hex[:12]}.part"
        try:
            if not self._download(self.object_rel(digest), part):
                return False
            if hash_file(part) != (digest, size):
                self._bad.add(digest)
                return False
            os.replace(part, dest)
            return True
        finally:
            with contextlib.suppress(OSError):
                part.unlink()

    # --- writing -----------------------------------------------------------------------------
    def put_file(self, source: Path) -> tuple[str, int]:
        digest, size = hash_file(source)
        self.put_object(digest, size, source)
        return digest, size

    def put_object(self, digest: str, size: int, source: Path) -> None:
        """Upload ``source`` (known to hold ``digest``) unless an intact-looking copy is there."""
        if not self.has_object(digest, size):
            self._upload(source, self.object_rel(digest))
            self._bad.discard(digest)

    def put_record(self, record: ActionRecord) -> ActionRecord:
        """Write the record unless a valid one is there: the first writer wins, and a later one gets
        the record that stands (same key, same task: equivalent outputs). A damaged or dangling
        record is replaced."""
        rel = self.record_rel(record.key)
        if self._put(rel, record_bytes(record), exclusive=True):
            return record
        standing = self.lookup(record.key)
        if standing is not None:
            return standing
        self._put(rel, record_bytes(record), exclusive=False)
        return record

    def commit(self, key: str, outputs: Mapping[str, Path], meta: Mapping[str, Any],
               info: Mapping[str, Any]) -> ActionRecord:
        """Store a finished task: its objects first, the record last."""
        return commit_outputs(self, key, outputs, meta, info)

    def publish(self, record: ActionRecord, path_of: Callable[[str], Path]) -> ActionRecord:
        """Upload a record committed elsewhere (the local store): its objects, then the record."""
        for digest, size in sorted(record.digests().items()):
            self.put_object(digest, size, path_of(digest))
        return self.put_record(record)

    # --- maintenance -------------------------------------------------------------------------
    def records(self) -> Iterator[ActionRecord]:
        keys = [rel.rsplit("/", 1)[-1][:-5] for rel, _, _ in self._list("actions") if rel.endswith(".json")]
        for i in range(0, len(keys), 256):
            found = self.read_records(keys[i:i + 256])
            yield from (found[k] for k in keys[i:i + 256] if k in found)

    def record_times(self) -> dict[str, float]:
        """Key -> when its record was written (the store's clock)."""
        return {rel.rsplit("/", 1)[-1][:-5]: mtime for rel, _, mtime in self._list("actions") if rel.endswith(".json")}

    def stored_objects(self) -> Iterator[ObjectInfo]:
        for rel, size, mtime in self._list("objects"):
            name = rel.rsplit("/", 1)[-1]
            if _is_digest(name):
                yield ObjectInfo(name, size, mtime)

    def forget(self, key: str) -> None:
        self._delete(self.record_rel(key))

    def discard_object(self, digest: str) -> None:
        self._delete(self.object_rel(digest))

    def verify(self, digest: str) -> bool:
        """Download and re-hash an object; a damaged one is removed."""
        st = self._stat(self.object_rel(digest))
        if st is None:
            return False
        with tempfile.TemporaryDirectory(prefix="studio-verify-") as tmp:
            if self.fetch_object(digest, st[0], Path(tmp) / digest):
                return True
        self.discard_object(digest)
        return False

    def verify_many(self, digests: Iterable[str]) -> list[bool]:
        """:meth:`verify` of each digest, in parallel; in the same order."""
        return self.parallel(self.verify, digests)

    def write_manifest(self, ident: str, keys: Iterable[str]) -> None:
        data = json.dumps({"keys": sorted(set(keys)), "written": round(time.time(), 3)}, separators=(",", ":"))
        self._put(f"builds/{ident}.json", data.encode(), exclusive=False)

    def manifests(self) -> list[Manifest]:
        found = []
        for rel, _, mtime in self._list("builds"):
            if not rel.endswith(".json"):
                continue
            try:
                keys = json.loads(self._get(rel) or b"")["keys"]
                found.append(Manifest(rel.rsplit("/", 1)[-1][:-5], mtime, frozenset(map(str, keys))))
            except (ValueError, KeyError, TypeError):
                found.append(Manifest(rel.rsplit("/", 1)[-1][:-5], mtime, frozenset()))
        return found

    def drop_manifest(self, ident: str) -> None:
        self._delete(f"builds/{ident}.json")

    def remove_leftovers(self, older_than: float) -> int:
        """Remove the temporary files of writers that were killed, older than ``older_than`` seconds
        (younger ones may be a write in flight), and say how many. Finished files are never touched."""
        found = self._leftovers(older_than)
        for rel in found:
            self._delete(rel)
        return len(found)

    def _leftovers(self, older_than: float) -> list[str]:
        """Temporary files of writers that were killed, older than ``older_than`` seconds (a store whose
        writes are atomic, like S3's, leaves none)."""
        return []

