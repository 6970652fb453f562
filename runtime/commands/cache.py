"""``studio cache stats | gc | verify``: look after the store."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from ..lock import BuildLock, LockBusy
from ..storage import storage_error
from ..store import Store

__all__ = ["cache_command", "human_size", "parse_size"]

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3,
          "t": 1024**4, "tb": 1024**4, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"not a size: {text!r} (try 500M or 2G)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def human_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def _live_keys(root: Path) -> set[str]:
    """Keys of every task in the latest build of every project using this cache."""
    keys: set[str] = set()
    history = root / "history"
    if history.is_dir():
        for path in history.glob("*.json"):
            try:
                keys |= {t["key"] for t in json.loads(path.read_bytes()).values()}
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
    return keys


def stats(store: Store, fmt: str) -> int:
    objects = [(d, p.stat().st_size) for d, p in store.iter_objects()]
    records = sum(1 for _ in store.iter_records())
    try:
        last = json.loads((store.root / "last-build.json").read_bytes())
    except (OSError, ValueError):
        last = {}
    total = sum(s for _, s in objects)
    data: dict[str, Any] = {"cache": str(store.root), "objects": len(objects), "bytes": total,
            "records": records, "last_build": {"hits": last.get("hits"), "misses": last.get("misses")}}
    if fmt == "json":
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        sys.stdout.write(f"cache: {data['cache']}\nobjects: {data['objects']} ({human_size(data['bytes'])})\n"
                         f"action records: {records}\n"
                         f"last build: {last.get('hits', '-')} hits, {last.get('misses', '-')} misses\n")
    return 0


def gc(store: Store, max_size: int | None, fmt: str) -> int:
    live = _live_keys(store.root)
    records = list(store.iter_records())
    keep_digests = {o["digest"] for r in records if r.key in live for o in r.outputs.values()}
    # older records survive while the store fits in max_size, newest first; without a size, none do
    others = sorted((r for r in records if r.key not in live), key=lambda r: -float(r.info.get("created", 0)))
    sizes = {d: p.stat().st_size for d, p in store.iter_objects()}
    budget = max_size if max_size is not None else 0
    used = sum(sizes.get(d, 0) for d in keep_digests)
    dropped_records = 0
    for record in others:
        extra = {o["digest"] for o in record.outputs.values()} - keep_digests
        cost = sum(sizes.get(d, 0) for d in extra)
        if max_size is not None and used + cost <= budget:
            keep_digests |= extra
            used += cost
        else:
            store.forget(record.key)
            dropped_records += 1
    freed = removed = 0
    for digest, size in sizes.items():
        if digest not in keep_digests:
            store.discard_object(digest)
            freed += size
            removed += 1
    store.clean_tmp(older_than=0)
    data = {"removed_objects": removed, "removed_records": dropped_records, "freed_bytes": freed,
            "kept_bytes": used}
    if fmt == "json":
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        sys.stdout.write(f"removed {removed} objects and {dropped_records} records, freed {human_size(freed)}; "
                         f"{human_size(used)} kept\n")
    return 0


def verify(store: Store, fmt: str) -> int:
    corrupt: list[str] = []
    checked = 0
    start = time.perf_counter()
    for digest, path in store.iter_objects():
        checked += 1
        if not store.verify_object(digest, path):
            corrupt.append(digest)
            store.discard_object(digest)
    data: dict[str, Any] = {"checked": checked, "corrupt": corrupt, "seconds": round(time.perf_counter() - start, 3)}
    if fmt == "json":
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        for digest in corrupt:
            sys.stdout.write(f"corrupt object {digest}: removed (the next build re-renders it)\n")
        sys.stdout.write(f"verified {checked} objects: {len(corrupt)} corrupt\n")
    return 1 if corrupt else 0


def cache_command(action: str, root: Path, max_size: str | None, fmt: str) -> int:
    store = Store(root)
    if not root.is_dir():
        sys.stderr.write(f"studio: no cache at {root}\n")
        return 1
    if action == "stats":
        return stats(store, fmt)
    size = None
    if max_size is not None:
        try:
            size = parse_size(max_size)
        except ValueError as exc:
            sys.stderr.write(f"studio: {exc}\n")
            return 2
    try:
        with BuildLock(root, wait=False):
            return gc(store, size, fmt) if action == "gc" else verify(store, fmt)
    except LockBusy as exc:
        sys.stderr.write(f"studio: {exc.args[0]} is using {root}; try again when it has finished\n")
        return 1
    except OSError as exc:  # a read-only or unwritable cache: one clear message
        found = storage_error(exc, {"cache": root}, any_errno=True)
        if found is None:
            raise
        sys.stderr.write(f"studio: {found}\n")
        return 1
