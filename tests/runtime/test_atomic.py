"""The atomic-write promise: a file that studio replaces is, at every instant, absent, its old content
or its complete new content; never a mix, never a prefix.

1. A process writing large contents through ``runtime.store.atomic_write`` (the store's records,
   reports, manifests) is SIGKILLed at random points: the target is then absent or one of the
   contents it wrote, complete.
2. The same for ``runtime.deliver.deliver``, which copies objects of the store into ``build/``.
3. A reader polling ``build/`` during real builds never reads a partial deliverable.

The writer says on stdout when it starts and ends each write; the kill follows a random number of
those lines, so kills land inside writes (between 'writing' and 'wrote') and between them, with no
sleep anywhere. Each write uses another size, so where inside a write a kill lands varies too.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runtime.store import Store
from tests.conftest import LUCA, ROOT
from tests.runtime.helpers import build_json, tiny_copy

FAST_TRIALS = 12
SLOW_TRIALS = 200

WRITER = """
import sys
from pathlib import Path
from runtime.store import atomic_write

target, seed, step = Path(sys.argv[1]), int(sys.argv[2]), 0
while True:
    size = (1 + (seed * 7919 + step * 104729) % 24) << 19  # 0.5 to 12 MiB
    data = bytes([(seed + step) % 251]) * size
    print(f"writing {seed} {step} {size}", flush=True)
    atomic_write(target, data)
    print(f"wrote {seed} {step}", flush=True)
    step += 1
"""

DELIVERER = """
import json, sys
from pathlib import Path
from runtime.deliver import deliver
from runtime.store import ActionRecord, Store

store, out, versions = Store(Path(sys.argv[1])), Path(sys.argv[2]), json.loads(sys.argv[3])
step = int(sys.argv[4])
while True:
    digest, size = versions[step % len(versions)]
    record = ActionRecord("key", {"film": {"digest": digest, "size": size}})
    print(f"delivering {step}", flush=True)
    deliver(out, {"film": "film"}, {"film": record}, store)
    print(f"delivered {step}", flush=True)
    step += 1
"""


def kill_after(command: list[str], lines: int) -> int:
    """Run ``command`` (a Python writer) and SIGKILL it right after its ``lines``-th line of output;
    returns how many lines it printed."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", *command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = 0
    try:
        for _ in proc.stdout:
            seen += 1
            if seen >= lines:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
    assert seen >= lines, f"the writer stopped by itself after {seen} lines: {err[-2000:]}"
    return seen


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_atomic_write(tmp_path: Path, n: int) -> None:
    rng = random.Random(20261204)
    target = tmp_path / "out" / "object.bin"
    outcomes = {"absent": 0, "complete": 0}
    for trial in range(n):
        kill_after([WRITER, str(target), str(trial)], rng.randrange(1, 7))
        if not target.exists():
            outcomes["absent"] += 1
            continue
        data = target.read_bytes()
        assert data and data == data[:1] * len(data) and len(data) % (1 << 19) == 0, (
            f"trial {trial}: {len(data)} bytes: a partial write is visible")
        outcomes["complete"] += 1
    assert outcomes["complete"], outcomes  # the kills did not all land before the first write


def test_atomic_write_killed_at_random_points_leaves_old_or_new(tmp_path: Path) -> None:
    check_atomic_write(tmp_path, FAST_TRIALS)


@pytest.mark.slow
def test_atomic_write_killed_at_random_points_leaves_old_or_new_many(tmp_path: Path) -> None:
    check_atomic_write(tmp_path, SLOW_TRIALS)


def check_deliver(tmp_path: Path, n: int) -> None:
    store = Store(tmp_path / "store")
    versions = []
    for i, size in enumerate((9 << 20, 5 << 20, 12 << 20)):  # three films of different lengths
        source = tmp_path / f"film{i}.mp4"
        source.write_bytes(bytes([i + 1]) * size)
        versions.append(store.put_file(source))
    contents = {d for d, _ in versions}
    out = tmp_path / "build"
    rng = random.Random(20261205)
    step = 0
    for trial in range(n):
        step += kill_after([DELIVERER, str(store.root), str(out), json.dumps(versions), str(step)],
                           rng.randrange(1, 7)) // 2
        film = out / "final.mp4"
        if film.exists():
            assert digest(film.read_bytes()) in contents, f"trial {trial}: build/final.mp4 is partial"
        manifest = out / ".studio-manifest.json"
        if manifest.exists():
            json.loads(manifest.read_bytes())  # never a torn manifest either
    assert (out / "final.mp4").exists()


def test_deliver_killed_at_random_points_leaves_old_or_new(tmp_path: Path) -> None:
    check_deliver(tmp_path, FAST_TRIALS)


@pytest.mark.slow
def test_deliver_killed_at_random_points_leaves_old_or_new_many(tmp_path: Path) -> None:
    check_deliver(tmp_path, SLOW_TRIALS)


class Reader:
    """Polls every file under ``build/`` until stopped, on two threads: one only ``stat``s each file,
    pass after pass (a file caught half-copied shows a size no complete version has; a stat is
    cheap, so passes are frequent), the other reads a file whenever its size, mtime or inode changed
    (and parses it if it is JSON)."""

    def __init__(self, build: Path) -> None:
        self.build = build
        self.sizes: dict[str, set[int]] = {}
        self.seen: dict[str, set[str]] = {}
        self.torn_json: list[str] = []
        self.passes = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._sample, daemon=True),
                        threading.Thread(target=self._read, daemon=True)]
        for thread in self.threads:
            thread.start()

    def _files(self, folder: str) -> list[str]:
        out: list[str] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        out += self._files(entry.path)
                    elif not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
                        out.append(entry.path)  # a temp file is being written under a name no reader asks for
        except FileNotFoundError:
            pass
        return out

    def _sample(self) -> None:
        while not self.stop.is_set():
            self.passes += 1
            for path in self._files(str(self.build)):
                try:
                    size = os.stat(path).st_size
                except FileNotFoundError:
                    continue
                self.sizes.setdefault(os.path.relpath(path, self.build), set()).add(size)

    def _read(self) -> None:
        known: dict[str, tuple[int, int, int]] = {}
        while not self.stop.is_set():
            for path in self._files(str(self.build)):
                try:
                    st = os.stat(path)
                    rel = os.path.relpath(path, self.build)
                    if known.get(rel) == (st.st_size, st.st_mtime_ns, st.st_ino):
                        continue
                    known[rel] = (st.st_size, st.st_mtime_ns, st.st_ino)
                    data = Path(path).read_bytes()
                except FileNotFoundError:
                    continue
                if rel.endswith(".json"):
                    try:
                        json.loads(data)
                    except ValueError:
                        self.torn_json.append(rel)
                else:
                    self.seen.setdefault(rel, set()).add(digest(data))

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def check_reader(tmp_path: Path, builds: int) -> None:
    """Builds that alternate two versions of the project (after the first two, all from the cache:
    each only re-delivers the edited shot's keyframe and clip, the film, the boards) while a reader
    polls build/: every size it saw and every content it read of a file belong to complete versions."""
    project = tiny_copy(LUCA, tmp_path / "luca")
    text = (project / "film.studio.yaml").read_text()
    edits = [[text, text.replace("small waves rolling in", "big waves rolling in")][n % 2] for n in range(builds)]
    build = project / "build"
    sizes: dict[str, set[int]] = {}
    contents: dict[str, set[str]] = {}
    reader = Reader(build)
    try:
        for version in edits:
            (project / "film.studio.yaml").write_text(version)
            before = reader.passes
            code, _, err = build_json(project, cache=tmp_path / "cache")
            assert code == 0, err
            assert reader.passes > before, "the reader did not poll during the build"
            for path in build.rglob("*"):
                if path.is_file():
                    rel = str(path.relative_to(build))
                    sizes.setdefault(rel, set()).add(path.stat().st_size)
                    contents.setdefault(rel, set()).add(digest(path.read_bytes()))
    finally:
        reader.close()
    assert not reader.torn_json, f"a reader read torn JSON: {reader.torn_json}"
    torn = {rel: sorted(seen - sizes.get(rel, set())) for rel, seen in reader.sizes.items()
            if not rel.endswith(".json") and seen - sizes.get(rel, set())}
    assert not torn, f"a reader saw deliverables at sizes no complete version has: {torn}"
    partial = {rel: len(seen - contents.get(rel, set())) for rel, seen in reader.seen.items()
               if seen - contents.get(rel, set())}
    assert not partial, f"a reader read partial deliverables: {partial}"
    assert {"final.mp4", "storyboard.png"} <= set(reader.seen)


def test_a_reader_never_sees_a_partial_deliverable(tmp_path: Path) -> None:
    check_reader(tmp_path, 2)


@pytest.mark.slow
def test_a_reader_never_sees_a_partial_deliverable_many(tmp_path: Path) -> None:
    check_reader(tmp_path, 8)
