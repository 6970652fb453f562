"""The procedural ``backdrop`` task and the keyframe that reads it: the real backend, no mocks.

A keyframe made from a backdrop task's output is byte for byte the keyframe that paints its own
backdrop; the ``.npy`` it reads is untrusted and anything but the expected array is refused.
"""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from backends import CATALOG, procedural
from backends.base import Artifact, BackendError, Result, TaskRun
from backends.procedural.backdrop import read_backdrop
from compiler import compile_project
from compiler.plan import BACKDROP_PARAMS
from tests.conftest import LUCA, ROOT

W, H = 96, 54
PARAMS: dict[str, Any] = {
    "width": W, "height": H, "shot_type": "medium", "palette": ["#1b4965", "#f4a261"],
    "location": {"name": "Cove", "description": "a rocky cove with turquoise water", "color": None, "references": []},
    "setting": {"interior": False, "time": "dusk", "place": "HIDDEN COVE"},
}  # fmt: skip
KEYFRAME: dict[str, Any] = {
    **PARAMS, "seed": 5, "action": "@Luca waves", "caption": False,
    "props": [{"name": "Ball", "description": "a red ball", "color": None, "references": []}],
    "characters": [{"name": "Luca", "description": "a shy boy", "color": "#2a9d8f", "references": []}],
}  # fmt: skip


def run(kind: str, params: dict[str, Any], workdir: Path, inputs: dict[str, Artifact] | None = None,
        files: dict[str, Path] | None = None, look: str = "flat") -> Result:
    workdir.mkdir(parents=True)
    task = TaskRun(f"{kind}:test", kind, params, inputs or {}, files or {}, workdir)
    return procedural.run(task, procedural.load({"params": {"look": look}} if kind == "keyframe" else {}))


def test_the_backdrop_is_the_painting_as_floats(tmp_path: Path) -> None:
    result = run("backdrop", PARAMS, tmp_path / "b")
    assert set(result.outputs) == {"backdrop"} and result.outputs["backdrop"].name == "backdrop.npy"
    array = np.load(result.outputs["backdrop"], allow_pickle=False)
    assert array.dtype == np.dtype("<f4") and array.shape == (3, H, W)
    assert 0.0 <= array.min() and array.max() <= 1.0
    assert result.meta == {"scene": "exterior", "time": "dusk", "features": ["cliff", "sea"], "size": [W, H]}
    again = run("backdrop", PARAMS, tmp_path / "again")
    assert again.outputs["backdrop"].read_bytes() == result.outputs["backdrop"].read_bytes()


def test_a_backdrop_reads_only_its_own_parameters(tmp_path: Path) -> None:
    assert set(BACKDROP_PARAMS) == procedural.backdrop.PARAMS  # the compiler's and the backend's lists agree
    with pytest.raises(BackendError, match="not action"):
        run("backdrop", {**PARAMS, "action": "@Luca waves"}, tmp_path / "b")


@pytest.mark.parametrize(("look", "start"), [("flat", False), ("sketch", False), ("paint", True)])
def test_a_keyframe_from_the_backdrop_task_is_the_keyframe_that_paints_it(tmp_path: Path, look: str,
                                                                          start: bool) -> None:
    """The props drawn, the look applied and a starting picture laid under it on the backdrop task's floats."""
    backdrop = run("backdrop", PARAMS, tmp_path / "b")
    params, files = dict(KEYFRAME), {}
    if start:
        picture = tmp_path / "start.png"
        Image.new("RGB", (40, 30), (200, 40, 90)).save(picture)
        params["start"], files = {"file": "start", "strength": 0.6}, {"start": picture}
    given = run("keyframe", params, tmp_path / "given", {"backdrop": Artifact(backdrop.outputs)}, files, look)
    painted = run("keyframe", params, tmp_path / "painted", files=files, look=look)
    assert set(given.outputs) == set(painted.outputs) == {"image", "background", "layout"}
    for name in given.outputs:
        assert given.outputs[name].read_bytes() == painted.outputs[name].read_bytes(), name
    assert given.meta == painted.meta


def test_the_luca_example_s_keyframes_are_byte_identical_with_and_without_their_backdrop_tasks(
        tmp_path: Path) -> None:
    """Every procedural keyframe of the reference project at its own 1280x720, planned as a build plans
    it (a ledge to leap from, the sketch look, a reference picture's colours, a night-less heading):
    with the backdrop task's output and painting its own."""
    result = compile_project(LUCA, backends=CATALOG)
    assert result.plan is not None
    tasks = result.plan.tasks
    keyframes = [t for t in tasks.values() if t.kind == "keyframe"]
    assert len(keyframes) == 4 and all("backdrop" in t.inputs for t in keyframes)
    for n, keyframe in enumerate(keyframes):
        b = tasks[keyframe.inputs["backdrop"]]
        made = run("backdrop", b.params, tmp_path / f"b{n}", files={r: f.absolute for r, f in b.files.items()})
        files = {role: f.absolute for role, f in keyframe.files.items()}
        look = str((keyframe.model.params if keyframe.model else {}).get("look", "flat"))
        given = run("keyframe", keyframe.params, tmp_path / f"given{n}", {"backdrop": Artifact(made.outputs)},
                    files, look)
        painted = run("keyframe", keyframe.params, tmp_path / f"painted{n}", files=files, look=look)
        for name in ("image", "background", "layout"):
            assert given.outputs[name].read_bytes() == painted.outputs[name].read_bytes(), (keyframe.id, name)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    path = run("backdrop", PARAMS, tmp_path_factory.mktemp("good") / "b").outputs["backdrop"]
    return np.load(path, allow_pickle=False)


class Planted:
    """Unpickling it writes a file: proof that a reader unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "unpickled"))


def header(shape: tuple[int, ...]) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return out.getvalue()


def hostile(good: np.ndarray, path: Path, marker: Path) -> dict[str, bytes]:
    def npy(array: np.ndarray, **kw: Any) -> bytes:
        target = path / "x.npy"
        np.save(target, array, **kw)
        return target.read_bytes()

    right = npy(good)
    return {
        "8-bit pixels": npy((good * 255).astype(np.uint8)),
        "interleaved (h, w, 3)": npy(np.ascontiguousarray(good.transpose(1, 2, 0))),
        "another size": npy(good[:, :-1, :]),
        "float64": npy(good.astype(np.float64)),
        "big-endian": npy(good.astype(">f4")),
        "Fortran order": npy(np.asfortranarray(good)),
        "truncated": right[:-7],
        "padded": right + b"\0" * 4,
        "header only": right[:128],
        "empty": b"",
        "not a .npy": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        "a pickle": pickle.dumps(Planted(marker)),
        "an object array": npy(np.array([Planted(marker)], dtype=object), allow_pickle=True),
        "a huge shape": header((3, H * 100_000, W)) + right[128:],  # refused before anything is read
        "NaN": npy(np.where(np.arange(good.size).reshape(good.shape) == 5, np.float32("nan"), good)),
        "out of range": npy(good * np.float32(2.0)),
    }


def test_a_keyframe_refuses_a_hostile_backdrop(tmp_path: Path, good: np.ndarray) -> None:
    marker = tmp_path / "unpickled.txt"
    cases = hostile(good, tmp_path, marker)
    for n, (name, data) in enumerate(cases.items()):
        bad = tmp_path / f"bad{n}.npy"
        bad.write_bytes(data)
        with pytest.raises(BackendError, match="backdrop") as refused:
            run("keyframe", KEYFRAME, tmp_path / f"k{n}", {"backdrop": Artifact({"backdrop": bad})})
        assert "keyframe:test" in str(refused.value), name
        with pytest.raises(BackendError):
            read_backdrop(bad, W, H, "the backdrop")
    assert not marker.exists()  # nothing was unpickled
    missing = tmp_path / "missing.npy"
    with pytest.raises(BackendError, match="cannot read"):
        run("keyframe", KEYFRAME, tmp_path / "gone", {"backdrop": Artifact({"backdrop": missing})})
    with pytest.raises(BackendError, match="no 'backdrop' output"):
        run("keyframe", KEYFRAME, tmp_path / "none", {"backdrop": Artifact({"image": missing})})


def test_the_reader_gives_a_writable_copy_of_exactly_the_floats(tmp_path: Path, good: np.ndarray) -> None:
    path = tmp_path / "b.npy"
    np.save(path, good, allow_pickle=False)
    read = read_backdrop(path, W, H, "the backdrop")
    assert read.flags.writeable and read.flags.c_contiguous and read.dtype == np.float32
    assert np.array_equal(read, good)


RACE = """
import json, sys, tempfile, threading
from pathlib import Path
from backends import procedural
from backends.base import TaskRun
backdrop, keyframe = json.loads(sys.argv[1]), json.loads(sys.argv[2])
start, errors = threading.Barrier(4), []
def go(kind, params, workdir):
    workdir.mkdir()
    start.wait()
    try:
        procedural.run(TaskRun(kind + ":x", kind, params, {}, {}, workdir), {"look": "flat"})
    except Exception as exc:
        errors.append(repr(exc))
with tempfile.TemporaryDirectory() as tmp:
    threads = [threading.Thread(target=go, args=(kind, params, Path(tmp) / str(n))) for n, (kind, params)
               in enumerate([("backdrop", backdrop), ("keyframe", keyframe)] * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print(json.dumps(errors))
"""


def test_kinds_that_start_together_import_their_modules_without_a_deadlock() -> None:
    """A build starts backdrops beside keyframes on fresh imports: without one import at a time, two threads
    importing ``staging`` submodules deadlocked (``_DeadlockError``, ``cannot import name``) in about half
    the runs of this script. Fresh processes, four tasks let go at once by a barrier; each must succeed."""
    for _ in range(4):
        done = subprocess.run([sys.executable, "-c", RACE, json.dumps(PARAMS), json.dumps(KEYFRAME)],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [], done.stdout
