"""Out of space, read-only, unwritable (issue 10, item 6): one clear message naming the directory and
the problem, exit 1, no traceback, and nothing half-written trusted afterwards.

The full and read-only cases use real small file systems: a tmpfs of a few hundred KiB or MiB, mounted
for the test (root with CAP_SYS_ADMIN, as in CI's container). Where mounting is not permitted those
tests are skipped, and the size limit is exercised through RLIMIT_FSIZE instead (the kernel refuses
writes past the limit with EFBIG, the same path a full disk takes through every writer)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LUCA, ROOT
from tests.runtime.helpers import build_json, outputs_bytes, studio, tiny_copy


@pytest.fixture(scope="module")
def luca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny luca and a cache holding its clean build (and the clean build's outputs to compare with)."""
    base = tmp_path_factory.mktemp("storage")
    project = tiny_copy(LUCA, base / "luca")
    cache = base / "cache"
    code, _, err = build_json(project, cache=cache)
    assert code == 0, err
    return project, cache


def mount_tmpfs(where: Path, size: str, *options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    opts = ",".join((f"size={size}", "mode=0777", *options))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


@contextlib.contextmanager
def small_fs(where: Path, size: str, *options: str) -> Iterator[Path]:
    if os.geteuid() != 0 or not mount_tmpfs(where, size, *options):
        pytest.skip("mounting a tmpfs needs root with CAP_SYS_ADMIN (see the RLIMIT_FSIZE test instead)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def refused(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == message, done.stderr


def test_an_out_directory_that_cannot_be_created(luca: tuple[Path, Path], tmp_path: Path) -> None:
    project, cache = luca
    (tmp_path / "a-file").write_text("not a directory")
    out = tmp_path / "a-file" / "build"
    refused(studio("build", str(project), "--out", str(out), cache=cache),
            f"studio: cannot write to the output directory {out}: a file is in the way where a directory should be; "
            "choose another directory with --out DIR")
    done = studio("build", str(project), "--out", str(out), "--format", "json", cache=cache)
    summary = json.loads(done.stdout)
    assert done.returncode == 1 and summary["error"].startswith("cannot write to the output directory")


def test_a_cache_that_cannot_be_created(luca: tuple[Path, Path], tmp_path: Path) -> None:
    project, _ = luca
    (tmp_path / "a-file").write_text("not a directory")
    cache = tmp_path / "a-file" / "cache"
    refused(studio("build", str(project), "--cache", str(cache)),
            f"studio: cannot write to the cache {cache}: a file is in the way where a directory should be; "
            "use --cache DIR")


def test_read_only_out_and_cache(luca: tuple[Path, Path], tmp_path: Path) -> None:
    project, cache = luca
    with small_fs(tmp_path / "ro", "1m", "ro") as ro:
        refused(studio("build", str(project), "--out", str(ro / "out"), cache=cache),
                f"studio: cannot write to the output directory {ro / 'out'}: the file system is read-only; "
                "choose another directory with --out DIR")
        refused(studio("build", str(project), "--cache", str(ro / "c")),
                f"studio: cannot write to the cache {ro / 'c'}: the file system is read-only; use --cache DIR")
        refused(studio("cache", "gc", str(project), "--cache", str(ro)),
                f"studio: cannot write to the cache {ro}: the file system is read-only; use --cache DIR")


def test_a_full_out_directory(luca: tuple[Path, Path], tmp_path: Path) -> None:
    project, cache = luca
    clean = outputs_bytes(project / "build")
    with small_fs(tmp_path / "small", "300k") as small:
        out = small / "out"
        refused(studio("build", str(project), "--out", str(out), cache=cache),
                f"studio: cannot write to the output directory {out}: no space left on the device; "
                "free some space or choose another directory with --out DIR")
        left = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert not [name for name in left if name.endswith(".tmp")]  # no half-copied file left behind
        for name, data in left.items():  # every file there is whole
            assert name == ".studio-manifest.json" or data == clean[name], name


def test_a_full_cache_then_room_again(luca: tuple[Path, Path], tmp_path: Path) -> None:
    project, _ = luca
    clean = outputs_bytes(project / "build")
    with small_fs(tmp_path / "small", "3m") as small:
        cache = small / "cache"
        done = studio("build", str(project), "--cache", str(cache), "--out", str(tmp_path / "out"))
        refused(done, f"studio: cannot write to the cache {cache}: no space left on the device; "
                "free some space (studio cache gc) or use --cache DIR")
        assert "internal error" not in done.stderr
        subprocess.run(["mount", "-o", "remount,size=64m", str(small)], check=True)
        code, summary, err = build_json(project, "--out", str(tmp_path / "out"), cache=cache)
        assert code == 0 and summary["cached"], err  # what finished before is kept...
        assert outputs_bytes(tmp_path / "out") == clean  # ...and nothing half-written was trusted


SIZE_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), resource.RLIM_INFINITY))
from runtime.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_a_file_size_limit(luca: tuple[Path, Path], tmp_path: Path) -> None:
    """Without a small file system to mount: the kernel's file size limit (ulimit -f) fails writes the same way."""
    project, _ = luca
    cache = tmp_path / "cache"
    env = dict(os.environ)
    env.pop("STUDIO_CACHE", None)
    done = subprocess.run([sys.executable, "-c", SIZE_LIMITED, str(200_000), "build", str(project), "--cache",
                           str(cache), "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=600)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    last = done.stderr.splitlines()[-1]
    # the first write past the limit may be a task's output in the cache, or a backend's file in the system's
    # temporary directory (the eSpeak NG library copy), whichever runs first
    assert re.fullmatch(rf"studio: cannot write to (the cache {re.escape(str(cache))}|the directory /\S+): a file "
                        r"would exceed the largest size allowed \(file system or ulimit -f\); free some space.*",
                        last), last
