"""``studio cache stats|gc|verify --remote-cache``: never removing what a build uses, by age and by size."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from runtime.commands.remote_cache import GRACE, gc, parse_age
from runtime.store import open_remote
from runtime.store.shared_dir import SharedDirStore
from tests.conftest import LUCA
from tests.runtime.helpers import tiny_copy
from tests.runtime.remote_helpers import S3Server, studio_env

DAY = 86400.0


def _age(root: Path, days: float) -> None:
    """Make everything under ``root`` look written ``days`` ago (as if time had passed)."""
    when = time.time() - days * DAY
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (when, when))


def _commit(store: SharedDirStore, tmp_path: Path, key: str, data: bytes) -> None:
    path = tmp_path / "work" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    store.commit(key, {"out": path}, {}, {})


def _store(tmp_path: Path) -> SharedDirStore:
    root = tmp_path / "remote"
    root.mkdir()
    store = open_remote(str(root))
    assert isinstance(store, SharedDirStore)
    return store


def test_gc_keeps_what_builds_announced_and_what_is_young(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _store(tmp_path)
    _commit(store, tmp_path, "a" * 64, b"used by a build")
    _commit(store, tmp_path, "b" * 64, b"nobody's")
    store.write_manifest("project-on-host", ["a" * 64])
    _age(store.root, 10)
    _commit(store, tmp_path, "c" * 64, b"just made by a build in flight")
    orphan = tmp_path / "orphan"
    orphan.write_bytes(b"uploaded, its record not written yet")
    store.put_file(orphan)
    assert gc(store, None, None, "json") == 0
    assert {r.key for r in store.records()} == {"a" * 64, "c" * 64}
    kept = {o.digest for o in store.stored_objects()}
    assert len(kept) == 3  # a's, c's and the young orphan; b's is gone
    assert json.loads(capsys.readouterr().out)["removed_records"] == 1


def test_gc_by_age_drops_stale_manifests_then_their_results(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _commit(store, tmp_path, "a" * 64, b"old project's")
    store.write_manifest("old-project", ["a" * 64])
    _commit(store, tmp_path, "b" * 64, b"unannounced, recent")
    _age(store.root, 40)
    _age(store.root / "actions" / "bb", 2)
    _age(store.root / "objects", 40)
    gc(store, None, parse_age("30d"), "text")
    assert store.manifests() == []
    assert {r.key for r in store.records()} == {"b" * 64}  # younger than 30 days: kept


def test_gc_by_size_keeps_the_newest_that_fit(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for i, key in enumerate(["a" * 64, "b" * 64, "c" * 64]):
        _commit(store, tmp_path, key, bytes([i]) * 1000)
        _age(store.root / "actions" / key[:2], 30 - i)  # a oldest, c newest
    _age(store.root / "objects", 30)
    gc(store, 2500, None, "text")
    assert {r.key for r in store.records()} == {"b" * 64, "c" * 64}
    assert sum(o.size for o in store.stored_objects()) == 2000


def test_gc_removes_leftovers_of_killed_writers_after_the_grace(tmp_path: Path) -> None:
    store = _store(tmp_path)
    leftover = store.root / "objects" / "ab" / ".abcd.0123456789ab.tmp"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half")
    fresh = store.root / "objects" / "ab" / ".abce.0123456789ab.tmp"
    fresh.write_bytes(b"being written")
    when = time.time() - 2 * GRACE
    os.utime(leftover, (when, when))
    gc(store, None, None, "text")
    assert not leftover.exists() and fresh.exists()


def test_the_store_removes_only_old_leftovers_of_killed_writers(tmp_path: Path) -> None:
    """What gc relies on: temporary files older than the threshold go, a younger one (a write in flight)
    and finished files of any age stay; the count says how many went."""
    store = _store(tmp_path)
    _commit(store, tmp_path, "a" * 64, b"kept")
    old = [store.root / top / "ab" / f".abcd.{n:012x}.tmp" for n, top in enumerate(("objects", "actions", "builds"))]
    fresh = store.root / "actions" / "ab" / ".abce.0123456789ab.tmp"
    for path in [*old, fresh]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    _age(store.root, 1)  # everything, the finished files too
    os.utime(fresh, None)
    assert store.remove_leftovers(GRACE) == 3
    assert not any(p.exists() for p in old) and fresh.exists()
    assert {r.key for r in store.records()} == {"a" * 64} and store.remove_leftovers(GRACE) == 0


def test_cache_commands_on_s3(tmp_path: Path, s3: S3Server) -> None:
    url = f"s3://{s3.new_bucket()}/cache"
    project = tiny_copy(LUCA, tmp_path / "p")
    assert studio_env("build", str(project), "--remote-cache", url, env=s3.env).returncode == 0
    stats = json.loads(studio_env("cache", "stats", "--remote-cache", url, "--format", "json", env=s3.env).stdout)
    tasks = len(json.loads(studio_env("plan", str(project), "--format", "json", env=s3.env).stdout)["tasks"])
    assert stats["records"] == tasks and stats["objects"] > 0 and stats["builds"] == 1 and stats["cache"] == url
    done = studio_env("cache", "gc", "--remote-cache", url, "--max-age", "30d", "--format", "json", env=s3.env)
    assert done.returncode == 0 and json.loads(done.stdout)["removed_records"] == 0  # all in use
    s3.client().put_object(Bucket=url.split("/")[2], Key="cache/objects/00/" + "0" * 64, Body=b"not what it says")
    done = studio_env("cache", "verify", "--remote-cache", url, "--format", "json", env=s3.env)
    assert done.returncode == 1 and json.loads(done.stdout)["corrupt"] == ["0" * 64]
    assert studio_env("cache", "verify", "--remote-cache", url, env=s3.env).returncode == 0


def test_cache_command_errors(tmp_path: Path) -> None:
    done = studio_env("cache", "stats", "--remote-cache", str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "error[E606]" in done.stderr and "no such directory" in done.stderr
    done = studio_env("cache", "gc", "--remote-cache", str(tmp_path), "--max-age", "soon")
    assert done.returncode == 2 and "not an age" in done.stderr
    done = studio_env("cache", "gc", str(tmp_path), "--max-age", "3d")
    assert done.returncode == 2 and "--remote-cache" in done.stderr
