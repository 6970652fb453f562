"""One contract, every store: the local ``.studio/``, a shared directory and S3 (moto's server on loopback).

Each implementation comes with a harness that damages it the way the real world does (a file
overwritten, an object deleted, a writer killed half-way), through the storage itself, never
through the store's code."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from runtime.store import ActionRecord, CacheStore, Store, open_remote
from tests.runtime.remote_helpers import S3Server, s3_env


@dataclass
class Harness:
    store: CacheStore
    put_raw: Callable[[str, bytes], None]
    """Write bytes at a path relative to the store's root, behind the store's back."""
    delete_raw: Callable[[str], None]
    partial_object: Callable[[bytes], None]
    """Leave what a writer killed half-way through uploading these bytes would leave."""

    def object_rel(self, digest: str) -> str:
        return f"objects/{digest[:2]}/{digest}"

    def record_rel(self, key: str) -> str:
        return f"actions/{key[:2]}/{key}.json"


def _local(tmp_path: Path) -> Harness:
    store = Store(tmp_path / "local")
    root = store.root

    def put_raw(rel: str, data: bytes) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.chmod(0o644)
        path.write_bytes(data)

    def partial(data: bytes) -> None:  # the local store writes objects under tmp/ and renames them
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        (root / "tmp" / "obj-killed").write_bytes(data[: len(data) // 2])

    return Harness(store, put_raw, lambda rel: (root / rel).unlink(), partial)


def _shared(tmp_path: Path) -> Harness:
    root = tmp_path / "shared"
    root.mkdir()
    store = open_remote(str(root))

    def put_raw(rel: str, data: bytes) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.chmod(0o644)
        path.write_bytes(data)

    def partial(data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        path = root / "objects" / digest[:2] / f".{digest}.0123456789ab.tmp"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[: len(data) // 2])

    return Harness(store, put_raw, lambda rel: (root / rel).unlink(), partial)


def _s3(server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Harness:
    s3_env(server, monkeypatch)
    bucket = server.new_bucket()
    store = open_remote(f"s3://{bucket}/team/cache")
    client = server.client()

    def partial(data: bytes) -> None:  # a multipart upload that never completed
        digest = hashlib.sha256(data).hexdigest()
        upload = client.create_multipart_upload(Bucket=bucket, Key=f"team/cache/objects/{digest[:2]}/{digest}")
        client.upload_part(Bucket=bucket, Key=f"team/cache/objects/{digest[:2]}/{digest}", PartNumber=1,
                           UploadId=upload["UploadId"], Body=data[: len(data) // 2])

    return Harness(store, lambda rel, data: client.put_object(Bucket=bucket, Key=f"team/cache/{rel}", Body=data),
                   lambda rel: client.delete_object(Bucket=bucket, Key=f"team/cache/{rel}"), partial)


@pytest.fixture(params=["local", "shared-dir", "s3"])
def h(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    if request.param == "local":
        return _local(tmp_path)
    if request.param == "shared-dir":
        return _shared(tmp_path)
    return _s3(request.getfixturevalue("s3"), monkeypatch)


def _outputs(tmp_path: Path, **files: bytes) -> dict[str, Path]:
    out = {}
    for name, data in files.items():
        path = tmp_path / "work" / f"{name}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out[name] = path
    return out


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_commit_then_lookup_and_fetch(h: Harness, tmp_path: Path) -> None:
    record = h.store.commit("k" * 64, _outputs(tmp_path, image=b"picture", audio=b"sound"), {"duration": 2.5},
                            {"task": "keyframe:a/b"})
    assert record.outputs == {"audio": {"digest": _digest(b"sound"), "size": 5},
                              "image": {"digest": _digest(b"picture"), "size": 7}}
    found = h.store.lookup("k" * 64)
    assert found is not None and found.outputs == record.outputs and found.meta == {"duration": 2.5}
    assert found.info["task"] == "keyframe:a/b" and "created" in found.info
    dest = tmp_path / "fetched" / "image.png"
    assert h.store.fetch_object(_digest(b"picture"), 7, dest) and dest.read_bytes() == b"picture"
    assert [r.key for r in h.store.records()] == ["k" * 64]
    assert sorted((o.digest, o.size) for o in h.store.stored_objects()) == sorted(
        [(_digest(b"picture"), 7), (_digest(b"sound"), 5)])


def test_misses_are_none(h: Harness, tmp_path: Path) -> None:
    h.store.commit("a" * 64, _outputs(tmp_path, out=b"x"), {}, {})
    assert h.store.lookup("b" * 64) is None
    assert h.store.read_record("b" * 64) is None
    assert set(h.store.lookup_many(["a" * 64, "b" * 64])) == {"a" * 64}
    assert not h.store.fetch_object("c" * 64, 1, tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()


def test_objects_are_idempotent(h: Harness, tmp_path: Path) -> None:
    first = h.store.put_file(_outputs(tmp_path, a=b"same bytes")["a"])
    second = h.store.put_file(_outputs(tmp_path, b=b"same bytes")["b"])
    assert first == second == (_digest(b"same bytes"), 10)
    assert [o.digest for o in h.store.stored_objects()] == [first[0]]


def test_record_with_a_missing_object_is_a_miss(h: Harness, tmp_path: Path) -> None:
    h.store.commit("a" * 64, _outputs(tmp_path, one=b"first", two=b"second"), {}, {})
    h.delete_raw(h.object_rel(_digest(b"second")))
    assert h.store.lookup("a" * 64) is None
    assert h.store.lookup_many(["a" * 64]) == {}


def test_object_of_another_size_is_a_miss(h: Harness, tmp_path: Path) -> None:
    h.store.commit("a" * 64, _outputs(tmp_path, out=b"the right bytes"), {}, {})
    h.put_raw(h.object_rel(_digest(b"the right bytes")), b"short")
    assert h.store.lookup("a" * 64) is None


def test_damaged_object_is_never_handed_out(h: Harness, tmp_path: Path) -> None:
    h.store.commit("a" * 64, _outputs(tmp_path, out=b"the right bytes"), {}, {})
    digest = _digest(b"the right bytes")
    h.put_raw(h.object_rel(digest), b"THE WRONG BYTES")  # same size
    dest = tmp_path / "fetched"
    assert not h.store.fetch_object(digest, 15, dest)
    assert not dest.exists()
    assert not h.store.verify(digest)
    assert digest not in {o.digest for o in h.store.stored_objects()}  # verify removed it
    assert h.store.lookup("a" * 64) is None
    h.store.commit("a" * 64, _outputs(tmp_path, out=b"the right bytes"), {}, {})  # the next commit repairs it
    assert h.store.fetch_object(digest, 15, dest) and dest.read_bytes() == b"the right bytes"


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'{"version": 1, "key": "other"}',
                                 b'{"version": 99, "key": "KEY", "outputs": {}}',
                                 b'{"version": 1, "key": "KEY", "outputs": {"o": {"digest": "../../etc", "size": 1}}}',
                                 b'{"version": 1, "key": "KEY", "outputs": {"o": {"size": 1}}}', b""])
def test_damaged_records_are_misses(h: Harness, raw: bytes) -> None:
    key = "d" * 64
    h.put_raw(h.record_rel(key), raw.replace(b"KEY", key.encode()))
    assert h.store.read_record(key) is None
    assert h.store.lookup(key) is None
    assert h.store.lookup_many([key]) == {}
    assert list(h.store.records()) == []


def test_half_written_objects_are_invisible(h: Harness, tmp_path: Path) -> None:
    data = b"a large output " * 1000
    h.partial_object(data)
    assert list(h.store.stored_objects()) == []
    record = ActionRecord("e" * 64, {"out": {"digest": _digest(data), "size": len(data)}})
    h.put_raw(h.record_rel("e" * 64), json.dumps(record.to_json()).encode())  # a record a buggy writer put first
    assert h.store.lookup("e" * 64) is None


def test_concurrent_writers_of_one_key_leave_one_valid_record(h: Harness, tmp_path: Path) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def writer(i: int) -> None:
        try:
            outputs = _outputs(tmp_path / str(i), clip=b"identical output", log=f"writer {i}".encode())
            barrier.wait()
            h.store.commit("f" * 64, outputs, {"writer": i}, {})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    record = h.store.lookup("f" * 64)
    assert record is not None
    log = tmp_path / "log"
    assert h.store.fetch_object(record.outputs["log"]["digest"], record.outputs["log"]["size"], log)
    assert log.read_bytes() == f"writer {record.meta['writer']}".encode()  # record and objects agree


def test_forget_and_discard(h: Harness, tmp_path: Path) -> None:
    h.store.commit("a" * 64, _outputs(tmp_path, out=b"bytes"), {}, {})
    h.store.forget("a" * 64)
    assert h.store.lookup("a" * 64) is None and list(h.store.records()) == []
    h.store.discard_object(_digest(b"bytes"))
    assert list(h.store.stored_objects()) == []
    h.store.forget("a" * 64)  # nothing there: fine
    h.store.discard_object(_digest(b"bytes"))


def test_put_record_keeps_a_standing_record_for_remotes(h: Harness, tmp_path: Path) -> None:
    first = h.store.commit("a" * 64, _outputs(tmp_path, out=b"first"), {"n": 1}, {})
    second = h.store.commit("a" * 64, _outputs(tmp_path, out=b"second"), {"n": 2}, {})
    standing = h.store.lookup("a" * 64)
    assert standing is not None
    if isinstance(h.store, Store):
        assert standing.meta == second.meta == {"n": 2}  # the local store: one build at a time, the last wins
    else:
        assert standing.meta == first.meta == second.meta == {"n": 1}  # shared: the first writer wins
