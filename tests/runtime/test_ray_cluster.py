"""The Ray executor's longer trials (slow tier): a Ray instance of its own, workers that do not see the
driver's disk, AI models on actors placed on (logical) GPUs, a model actor killed mid-task."""

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

from tests.conftest import LUCA, ROOT, copy_example, skip_without_ai
from tests.runtime.helpers import build_json, outputs_bytes, tiny_copy
from tests.runtime.ray_helpers import PLACED, RayCluster, ray_cluster
from tests.runtime.remote_helpers import build_env

pytestmark = pytest.mark.slow

TINY_AI = ROOT / "examples" / "tiny-ai"


@pytest.fixture(scope="module")
def luca_bytes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    project = tiny_copy(LUCA, tmp_path_factory.mktemp("local") / "luca")
    code, _, err = build_json(project)
    assert code == 0, err
    return outputs_bytes(project / "build")


@pytest.fixture(scope="module")
def tiny_ai_local(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, Any]]:
    skip_without_ai(TINY_AI)
    project = tmp_path_factory.mktemp("local-ai") / "tiny-ai"
    copy_example(TINY_AI, project)
    code, summary, err = build_json(project)
    assert code == 0, err
    return outputs_bytes(project / "build"), summary


def test_a_local_ray_instance_without_an_address(tmp_path: Path, luca_bytes: dict[str, bytes]) -> None:
    pytest.importorskip("ray")
    project = tiny_copy(LUCA, tmp_path / "luca")
    code, summary, err = build_env(project, "--executor", "ray")
    assert code == 0, err
    assert all(line.startswith("{") for line in err.splitlines()), err
    assert outputs_bytes(project / "build") == luca_bytes


def test_workers_that_do_not_see_the_store_go_through_the_remote(tmp_path: Path,
                                                                 luca_bytes: dict[str, bytes]) -> None:
    remote = tmp_path / "team-cache"
    remote.mkdir()
    node_cache = tmp_path / "node-cache"
    with ray_cluster(tmp_path, env={"STUDIO_WORKER_STORE": "remote", "STUDIO_WORKER_CACHE": str(node_cache)}) as c:
        lonely = tiny_copy(LUCA, tmp_path / "lonely")
        code, summary, err = build_env(lonely, "--ray-address", c.address, env=c.env)
        assert code == 1 and summary["failed"], err
        assert all("E607" in f["message"] and "--remote-cache" in f["message"] for f in summary["failed"])
        project = tiny_copy(LUCA, tmp_path / "luca")
        code, summary, err = build_env(project, "--ray-address", c.address, "--remote-cache", str(remote),
                                       env=c.env)
    assert code == 0, err
    assert outputs_bytes(project / "build") == luca_bytes
    report = json.loads((project / "build" / "report.json").read_text())
    assert report["remote_cache"]["written"] == len(summary["executed"])  # every result came through the remote
    assert any(node_cache.rglob("objects/*/*")), "the workers kept their own cache"


@pytest.mark.parametrize("gpus", [1, 2])
def test_ai_models_on_actors_placed_on_gpus(tmp_path: Path, tiny_ai_local: tuple[dict[str, bytes], dict[str, Any]],
                                            gpus: int) -> None:
    """Logical GPUs: each AI model's actor asks for one (the default on a cluster with GPUs). One GPU:
    models take turns and each loads once; two: a model may render on both."""
    local_bytes, local_summary = tiny_ai_local
    project = tmp_path / "tiny-ai"
    copy_example(TINY_AI, project)
    with ray_cluster(tmp_path, num_gpus=gpus) as c:
        code, summary, err = build_env(project, "--ray-address", c.address, env=c.env)
    assert code == 0, err
    assert outputs_bytes(project / "build") == local_bytes
    assert summary["model_loads_lower_bound"] == local_summary["model_loads_lower_bound"]
    if gpus == 1:
        assert summary["model_loads"] == summary["model_loads_lower_bound"]
    else:
        assert summary["model_loads"] >= summary["model_loads_lower_bound"]


def test_a_model_actor_killed_mid_task_is_restarted(tmp_path: Path, luca_bytes: dict[str, bytes],
                                                   cluster: RayCluster) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    env = {k: v for k, v in os.environ.items() if k not in ("STUDIO_CACHE", "STUDIO_REMOTE_CACHE")} | cluster.env
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json",
                             "--ray-address", cluster.address], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killed = []
    while proc.poll() is None and not killed:  # the eSpeak actor, speaking
        for pid, title in cluster.studio_workers():
            if title.startswith("ray::studio:speech:"):
                os.kill(pid, signal.SIGKILL)
                killed.append(title)
                break
        else:
            time.sleep(0.005)
    out, err = proc.communicate(timeout=600)
    assert killed, "the build finished before the actor could be killed"
    assert proc.returncode == 0, err[-3000:]
    summary = json.loads(out)
    assert not summary["failed"]
    assert summary["model_loads"] >= summary["model_loads_lower_bound"]
    assert outputs_bytes(project / "build") == luca_bytes


def test_a_model_no_node_can_hold_fails_at_once_on_its_own_instance(tmp_path: Path) -> None:
    """A model asking for 2 GPUs on a machine with none: its tasks fail with E609 (and their dependents
    are skipped) instead of waiting for resources that a Ray instance studio started will never get."""
    pytest.importorskip("ray")
    project = tmp_path / "placed"
    project.mkdir()
    (project / "film.studio.yaml").write_text(PLACED)
    code, summary, err = build_env(project, "--executor", "ray")
    assert code == 1, err
    failed = {f["id"]: f["message"] for f in summary["failed"]}
    assert failed and all("E609" in m and "'sketch' asks for 2 GPU" in m for m in failed.values()), failed
    assert summary["skipped"]
