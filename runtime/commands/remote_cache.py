"""``studio cache stats | gc | verify --remote-cache URL``: look after a shared remote cache.

Several machines use a remote at once, and no lock spans them, so ``gc`` never removes what a
build may be using:
- every build that reads or writes the remote first announces the keys of its plan
  (``builds/<id>.json``, one per project per machine); what a manifest names is kept;
- anything written within the last ``GRACE`` seconds is kept (an object uploaded by a build whose
  record is not written yet, a record a build just made);
- ``--max-age AGE`` drops manifests (and so results) no build has renewed for AGE, and results
  made longer ago than AGE that no manifest names; ``--max-size SIZE`` keeps the newest of the
  rest while the cache fits; with neither, only what the manifests name (and the grace) stays.
"""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Any

from ..store import RemoteError, RemoteStore, open_remote
from .cache import human_size, parse_size

__all__ = ["GRACE", "parse_age", "remote_cache_command"]

GRACE = 3600.0
"""Seconds during which anything just written is kept whatever it looks like (builds in flight)."""

_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text.lower())
    if not match:
        raise ValueError(f"not an age: {text!r} (try 30d, 12h or 90m)")
    return float(match.group(1)) * _AGE_UNITS[match.group(2)]



def _emit(fmt: str, data: dict[str, Any], text: str) -> None:
    sys.stdout.write(json.dumps(data) + "\n" if fmt == "json" else text)


def stats(store: RemoteStore, fmt: str) -> int:
    objects = list(store.stored_objects())
    records = sum(1 for _ in store.record_times())
    builds = len(store.manifests())
    total = sum(o.size for o in objects)
    data = {"cache": store.location, "objects": len(objects), "bytes": total, "records": records, "builds": builds}
    _emit(fmt, data, f"cache: {store.location}\nobjects: {len(objects)} ({human_size(total)})\n"
                     f"action records: {records}\nbuilds using it: {builds}\n")
    return 0


def gc(store: RemoteStore, max_size: int | None, max_age: float | None, fmt: str, now: float | None = None) -> int:
    now = time.time() if now is None else now
    dropped_builds = 0
    live: set[str] = set()
    for manifest in store.manifests():
        if max_age is not None and now - manifest.mtime > max_age:
            store.drop_manifest(manifest.id)
            dropped_builds += 1
        else:
            live |= manifest.keys
    times = store.record_times()
    records = {r.key: r for r in store.records()}
    young = {k for k, t in times.items() if now - t < GRACE}
    keep = {k for k in records if k in live or k in young}
    objects = {o.digest: o for o in store.stored_objects()}
    keep_digests = {d for k in keep for d in records[k].digests()}
    used = sum(objects[d].size for d in keep_digests if d in objects)
    dropped = 0
    for key in sorted(set(times) - set(records) - young):  # unreadable records: never a hit, so never useful
        store.forget(key)
        dropped += 1
    for record in sorted((records[k] for k in set(records) - keep), key=lambda r: -times.get(r.key, 0.0)):
        extra = set(record.digests()) - keep_digests
        cost = sum(objects[d].size for d in extra if d in objects)
        too_old = max_age is not None and now - times.get(record.key, 0.0) > max_age
        fits = max_size is None or used + cost <= max_size
        if not too_old and fits and (max_size is not None or max_age is not None):
            keep_digests |= extra
            used += cost
        else:
            store.forget(record.key)
            dropped += 1
    freed = removed = 0
    for digest, info in objects.items():
        if digest not in keep_digests and now - info.mtime >= GRACE:
            store.discard_object(digest)
            freed += info.size
            removed += 1
    store.remove_leftovers(GRACE)
    data = {"removed_objects": removed, "removed_records": dropped, "removed_builds": dropped_builds,
            "freed_bytes": freed, "kept_bytes": used}
    _emit(fmt, data, f"removed {removed} objects, {dropped} records and {dropped_builds} build manifests, freed "
                     f"{human_size(freed)}; {human_size(used)} kept\n")
    return 0


def verify(store: RemoteStore, fmt: str) -> int:
    start = time.perf_counter()
    digests = [o.digest for o in store.stored_objects()]
    corrupt = [d for d, ok in zip(digests, store.verify_many(digests)) if not ok]
    present = set(digests) - set(corrupt)
    dangling = [r.key for r in store.records()  # a record written since the listing: look again
                if not set(r.digests()) <= present and not all(store.has_object(*o) for o in r.digests().items())]
    for key in dangling:  # a record whose objects are gone is a miss for every build: drop it
        store.forget(key)
    data: dict[str, Any] = {"checked": len(digests), "corrupt": corrupt, "dangling_records": dangling,
                            "seconds": round(time.perf_counter() - start, 3)}
    lines = [f"corrupt object {d}: removed (the next build that makes it uploads it again)\n" for d in corrupt]
    lines.append(f"verified {len(digests)} objects: {len(corrupt)} corrupt; {len(dangling)} records without their "
                 "objects removed\n")
    _emit(fmt, data, "".join(lines))
    return 1 if corrupt else 0


def remote_cache_command(action: str, url: str, max_size: str | None, max_age: str | None, fmt: str) -> int:
    try:
        size = parse_size(max_size) if max_size is not None else None
        age = parse_age(max_age) if max_age is not None else None
    except ValueError as exc:
        sys.stderr.write(f"studio: {exc}\n")
        return 2
    try:
        store = open_remote(url)
        store.check()
        if action == "stats":
            return stats(store, fmt)
        if action == "gc":
            return gc(store, size, age, fmt)
        return verify(store, fmt)
    except RemoteError as exc:
        sys.stderr.write(f"studio: error[E606]: {exc.args[0]}\n")
        return 1
