"""``studio build --executor ray``: the local build's bytes and events, retries, Ctrl-C, on a small Ray instance."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LUCA, ROOT
from tests.runtime.helpers import build_json, outputs_bytes, tiny_copy
from tests.runtime.ray_helpers import PLACED, RayCluster
from tests.runtime.remote_helpers import build_env, studio_env


@pytest.fixture(scope="module")
def local_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, Any], list[Any]]:
    project = tiny_copy(LUCA, tmp_path_factory.mktemp("local") / "luca")
    code, summary, err = build_json(project)
    assert code == 0, err
    return outputs_bytes(project / "build"), summary, [json.loads(line) for line in err.splitlines()]


def _events(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines()]  # every line is JSON, Ray's own output never shows


def test_ray_build_gives_the_local_bytes_and_events(cluster: RayCluster, local_build: Any, tmp_path: Path) -> None:
    local_bytes, local_summary, local_events = local_build
    project = tiny_copy(LUCA, tmp_path / "luca")
    code, summary, err = build_env(project, "--executor", "ray", "--ray-address", cluster.address, env=cluster.env)
    assert code == 0, err
    assert outputs_bytes(project / "build") == local_bytes
    assert sorted(summary["executed"]) == sorted(local_summary["executed"]) and not summary["failed"]
    events = _events(err)
    assert {e["event"] for e in events} == {e["event"] for e in local_events} == {"build", "started", "step",
                                                                                   "finished"}
    assert events[0] == local_events[0]
    for kind in ("started", "finished"):
        assert sorted(e["id"] for e in events if e["event"] == kind) == sorted(
            e["id"] for e in local_events if e["event"] == kind)
    for event in events:
        local_keys = next(set(e) for e in local_events if e["event"] == event["event"])
        assert set(event) <= local_keys | {"message"}
    assert summary["model_loads_lower_bound"] == local_summary["model_loads_lower_bound"]
    assert summary["model_loads"] >= summary["model_loads_lower_bound"]  # CPU backends load once per worker
    report = json.loads((project / "build" / "report.json").read_text())
    assert {t["status"] for t in report["tasks"]} == {"executed"}

    # nothing stale: the next build never needs the cluster (this address has none)
    code, summary, err = build_env(project, "--executor", "ray", "--ray-address", "127.0.0.1:9")
    assert code == 0 and summary["executed"] == [] and summary["model_loads"] == 0, err


def test_a_killed_worker_task_is_retried(cluster: RayCluster, local_build: Any, tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    env = {k: v for k, v in os.environ.items() if k not in ("STUDIO_CACHE", "STUDIO_REMOTE_CACHE")} | cluster.env
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json",
                             "--ray-address", cluster.address], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killed: list[str] = []
    while proc.poll() is None and not killed:  # a worker in the middle of a studio task: kill it
        for pid, title in cluster.studio_workers():
            os.kill(pid, signal.SIGKILL)
            killed.append(title)
            break
        else:
            time.sleep(0.01)
    out, err = proc.communicate(timeout=600)
    assert killed, "the build finished before a worker could be killed"
    assert proc.returncode == 0, err[-3000:]
    summary = json.loads(out)
    assert not summary["failed"] and not summary["skipped"], killed
    assert outputs_bytes(project / "build") == local_build[0]
    for event in _events(err):  # what Ray says about the dead worker arrives as warnings (W610), never raw
        assert event["event"] != "warning" or event["code"] in ("W610", "W609"), event


def test_ctrl_c_cancels_the_cluster_tasks_and_exits_130(cluster: RayCluster, local_build: Any,
                                                        tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    env = {k: v for k, v in os.environ.items() if k not in ("STUDIO_CACHE", "STUDIO_REMOTE_CACHE")} | cluster.env
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json",
                             "--ray-address", cluster.address], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # interrupt once tasks run on the cluster
        if '"event": "finished"' in line:
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest[-2000:]
    assert "interrupted" in rest
    deadline = time.monotonic() + 30
    while cluster.studio_workers() and time.monotonic() < deadline:  # killed workers take a moment to go
        time.sleep(0.1)
    assert cluster.studio_workers() == []
    code, summary, err = build_env(project, "--ray-address", cluster.address, env=cluster.env)
    assert code == 0, err
    assert summary["cached"], "what finished before Ctrl-C is kept"
    assert outputs_bytes(project / "build") == local_build[0]


def test_without_ray_the_executor_says_how_to_install_it(tmp_path: Path) -> None:
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\n"
        "class _NoRay:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'ray' or name.startswith('ray.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _NoRay())\n")
    project = tiny_copy(LUCA, tmp_path / "luca")
    done = studio_env("build", str(project), "--executor", "ray",
                      env={"PYTHONPATH": f"{hide}{os.pathsep}{ROOT}"})
    assert done.returncode == 2, done.stderr
    assert done.stderr == ("studio: error[E601]: --executor ray needs Ray, which is not installed: "
                           "pip install 'studio[ray]'\n")


def test_cluster_options_are_checked(tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    done = studio_env("build", str(project), "--executor", "local", "--ray-address", "auto")
    assert done.returncode == 2 and "error[E602]" in done.stderr


def test_a_worker_with_other_backend_versions_fails_its_tasks_with_e608(cluster: RayCluster, tmp_path: Path) -> None:
    """The driver sees another imageio-ffmpeg (a dist-info earlier on its path, as on a machine with
    another wheel): its backend versions, which enter every key, are not the workers'. Every task a
    worker takes fails with E608 naming the difference, rather than caching results under keys that
    do not describe how they were made."""
    other = tmp_path / "other-wheel"
    dist = other / "imageio_ffmpeg-0.0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: imageio-ffmpeg\nVersion: 0.0.1\n")
    project = tiny_copy(LUCA, tmp_path / "luca")
    code, summary, err = build_env(project, "--executor", "ray", "--ray-address", cluster.address,
                                   env={**cluster.env, "PYTHONPATH": f"{other}{os.pathsep}{ROOT}"})
    assert code == 1, err
    messages = [f["message"] for f in summary["failed"]]
    assert messages and all("E608" in m for m in messages), messages
    assert "+imageio-ffmpeg-0.0.1" in messages[0] and "install the same studio on every node" in messages[0]


def test_a_model_no_node_can_hold_waits_on_a_joined_cluster_with_w609(cluster: RayCluster, tmp_path: Path) -> None:
    """A cluster studio joined may grow (an autoscaler): a model asking for 2 GPUs where no node has one
    is warning W609 while the build waits, not a failure (on an instance studio started, E609:
    tests/runtime/test_ray_cluster.py). The wait ends with Ctrl-C."""
    project = tmp_path / "placed"
    project.mkdir()
    (project / "film.studio.yaml").write_text(PLACED)
    env = {k: v for k, v in os.environ.items() if k not in ("STUDIO_CACHE", "STUDIO_REMOTE_CACHE")} | cluster.env
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json",
                             "--ray-address", cluster.address], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    warning: dict[str, Any] = {}
    for line in proc.stderr:  # the build waits: the warning arrives before anything could finish
        event = json.loads(line)
        if event["event"] == "warning":
            warning = event
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest[-2000:]
    assert warning.get("code") == "W609", (warning, rest[-2000:])
    assert "model 'sketch' asks for 2 GPU" in warning["message"] and "waiting for the cluster to grow" in \
        warning["message"]
