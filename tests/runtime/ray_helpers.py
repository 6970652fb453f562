"""A small Ray cluster for the Ray executor's tests, in a process of its own.

The test process never imports Ray: a helper process starts a local Ray instance (2 CPUs, a small
object store) and prints its address; builds join it with ``--ray-address``. Closing the helper's
stdin ends it, and Ray's own shutdown takes the instance's processes with it (nothing else on the
machine is touched)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT

_HEAD = """
import json, logging, sys, ray
ray.init(num_cpus=2, object_store_memory=100 * 2**20, include_dashboard=False, logging_level=logging.ERROR,
         log_to_driver=False, **json.loads(sys.argv[1]))
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()
ray.shutdown()
"""

PLACED = """\
studio: 1
project: {title: Placed, models: {image: sketch}}
models:
  sketch: {backend: procedural, kind: image, num_gpus: 2, params: {look: sketch}}
scenes:
  - id: s1
    shots:
      - {id: a, duration: 1, action: "gulls over the bay"}
"""
"""A model asking for 2 GPUs, which no node of the test instances has (E609 on an instance studio
started, W609 on one it joined)."""


class RayCluster:
    def __init__(self, proc: subprocess.Popen[str], address: str, token: str) -> None:
        self.proc = proc
        self.address = address
        self.env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
        """What a driver needs to join (the cluster's own token, not ~/.ray's, which other programs share)."""

    def studio_workers(self) -> list[tuple[int, str]]:
        """(pid, title) of this cluster's worker processes running a studio task right now."""
        import psutil

        found = []
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                title = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if title.startswith("ray::studio:"):
                found.append((child.pid, title))
        return found


@contextmanager
def ray_cluster(tmp: Path, env: dict[str, str] | None = None, **init: object) -> Iterator[RayCluster]:
    """A Ray instance in a process of its own; ``init`` adds ``ray.init`` arguments (``num_gpus=2``
    declares two logical GPUs: actors asking for one are placed as on a GPU machine, and run on the CPU)."""
    pytest.importorskip("ray", reason="the Ray executor's tests need the ray extra: pip install -e '.[ray]'")
    token = secrets.token_hex(16)
    full = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": token, **(env or {})}
    full.pop("RAY_ADDRESS", None)
    log = open(tmp / "ray-head.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-c", _HEAD, json.dumps(init)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=log, text=True, cwd=tmp, env=full)
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        if not address:
            raise AssertionError(f"Ray did not start: {(tmp / 'ray-head.log').read_text()[-2000:]}")
        yield RayCluster(proc, address, token)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
