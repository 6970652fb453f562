"""Beyond one machine: the Ray executor's overhead, and a build served by the remote cache.

1. A 200-shot procedural film (``bench/synthetic.py``, rendered at ``--size``): a clean build with the
   local executor against one with ``--executor ray`` joining a Ray instance on the same machine
   (started once beforehand, as a cluster is); the overhead is ray / local - 1 (target: under 10 %).
   ``--own-instance`` adds a Ray build that starts (and stops) its own local instance.
2. The remote cache: machine A (a checkout with its own ``.studio/``) builds with ``--remote-cache``;
   machine B, another checkout with an empty store, then builds everything from the remote (0
   executed); against a no-op build (everything in the local store). A shared directory, and S3
   (moto's server on loopback) with ``--s3``.

Every figure is the fastest of ``--repeat`` runs, each a ``studio build`` subprocess (wall time, Python
start-up included) with a fresh store, bounded by ``--timeout``. The development machine's 2 cores are
shared with other work: single runs vary a lot, the minimum is the stable figure.
Usage: python bench/cluster.py [--shots 200] [--size 320x180] [--repeat 3] [--s3] [--own-instance]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synthetic import write_project  # noqa: E402

_HEAD = """
import logging, sys, ray
ray.init(include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()
"""


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("STUDIO_CACHE", "STUDIO_REMOTE_CACHE", "RAY_ADDRESS")}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **(extra or {})}


def build(project: Path, cache: Path, *args: str, env: dict[str, str] | None = None,
          timeout: float = 1200) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    out = cache / "build"  # each "machine" delivers its own build/
    done = subprocess.run([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json",
                           "--cache", str(cache), "--out", str(out), *args], capture_output=True, text=True,
                          cwd=ROOT, env=_env(env), timeout=timeout)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"build failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, json.loads(done.stdout)


@contextmanager
def ray_instance(tmp: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A Ray instance of the machine's CPUs in a process of its own (ended by closing its stdin)."""
    token = secrets.token_hex(16)
    env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token, "RAY_USAGE_STATS_ENABLED": "0"}
    with open(tmp / "ray.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-c", _HEAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=log, text=True, env=_env(env), cwd=tmp)
        try:
            assert proc.stdout is not None
            address = proc.stdout.readline().strip()
            if not address:
                raise SystemExit(f"Ray did not start: {(tmp / 'ray.log').read_text()[-2000:]}")
            yield address, env
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=120)


@contextmanager
def s3_remote() -> Iterator[tuple[str, dict[str, str]]]:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], aws_access_key_id="bench", aws_secret_access_key="bench",
                 region_name="us-east-1").create_bucket(Bucket="bench")
    try:
        yield "s3://bench/cache", env
    finally:
        server.stop()


def film(tmp: Path, shots: int, size: str) -> Path:
    project = write_project(tmp / "film", shots)  # (creates tmp)
    w, h = size.split("x")
    text = project.read_text()
    project.write_text(re.sub(r"resolution: \[\d+, \d+\]", f"resolution: [{w}, {h}]", text))
    return project.parent


def fastest(runs: list[float]) -> str:
    return f"{min(runs):.1f} s (runs: {', '.join(f'{r:.1f}' for r in runs)})"


def executors(tmp: Path, project: Path, repeat: int, own_instance: bool, timeout: float) -> None:
    local: list[float] = []
    ray: list[float] = []
    own: list[float] = []
    summary: dict[str, Any] = {}
    one_shot = film(tmp / "one-shot", 1, "320x180")
    fixed_local: list[float] = []
    fixed_ray: list[float] = []
    with ray_instance(tmp) as (address, env):
        for i in range(repeat):  # what Ray costs whatever the film: connecting, starting workers, stopping
            fixed_local.append(build(one_shot, tmp / f"fixed-local-{i}", timeout=timeout)[0])
            fixed_ray.append(build(one_shot, tmp / f"fixed-ray-{i}", "--ray-address", address, env=env,
                                   timeout=timeout)[0])
            print(f"  (1-shot film, run {i + 1}: local {fixed_local[-1]:.1f} s, Ray {fixed_ray[-1]:.1f} s)", flush=True)
        for i in range(repeat):  # interleaved, so that both see the same machine load
            seconds, summary = build(project, tmp / f"local-{i}", timeout=timeout)
            local.append(seconds)
            seconds, ray_summary = build(project, tmp / f"ray-{i}", "--ray-address", address, env=env, timeout=timeout)
            ray.append(seconds)
            if sorted(ray_summary["executed"]) != sorted(summary["executed"]):
                raise SystemExit("the Ray build ran other tasks than the local one")
            print(f"  (run {i + 1}: local {local[-1]:.1f} s, Ray {ray[-1]:.1f} s)", flush=True)
            for kind in ("local", "ray"):
                shutil.rmtree(tmp / f"{kind}-{i}")
    if own_instance:
        for i in range(repeat):
            seconds, _ = build(project, tmp / f"own-{i}", "--executor", "ray", timeout=timeout)
            own.append(seconds)
            shutil.rmtree(tmp / f"own-{i}")
    tasks = len(summary["executed"])
    print(f"{tasks} tasks, clean builds:")
    print(f"  local executor:                     {fastest(local)}")
    print(f"  Ray, joining an instance:           {fastest(ray)}")
    print(f"  Ray overhead:                       {min(ray) / min(local) - 1:+.1%}")
    fixed = min(fixed_ray) - min(fixed_local)
    print(f"  of which fixed (a 1-shot film: {fastest(fixed_local)} local, {fastest(fixed_ray)} Ray): {fixed:.1f} s; "
          f"the rest per task: {(min(ray) - min(local) - fixed) / tasks * 1000:.0f} ms")
    if own:
        print(f"  Ray, starting its own instance:     {fastest(own)} ({min(own) / min(local) - 1:+.1%})")


def remote_cache(tmp: Path, project: Path, repeat: int, url: str, env: dict[str, str], timeout: float) -> None:
    kind = "s3" if url.startswith("s3://") else "dir"
    tmp = tmp / kind
    tmp.mkdir()
    seconds, summary = build(project, tmp / "machine-a", "--remote-cache", url, env=env, timeout=timeout)
    print(f"remote cache ({'S3, moto on loopback' if kind == 's3' else 'a shared directory'}): machine A's clean "
          f"build {seconds:.1f} s ({len(summary['executed'])} tasks, all uploaded)")
    hit: list[float] = []
    noop: list[float] = []
    for i in range(repeat):
        seconds, summary = build(project, tmp / f"machine-b-{i}", "--remote-cache", url, env=env, timeout=timeout)
        assert summary["executed"] == [], summary["executed"]
        hit.append(seconds)
        seconds, summary = build(project, tmp / f"machine-b-{i}", "--remote-cache", url, env=env, timeout=timeout)
        assert summary["executed"] == []
        noop.append(seconds)
        shutil.rmtree(tmp / f"machine-b-{i}")
    print(f"  machine B, everything from the remote: {fastest(hit)}")
    print(f"  machine B again, a local no-op:         {fastest(noop)}")
    print(f"  ratio:                                  {min(hit) / min(noop):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shots", type=int, default=200)
    parser.add_argument("--size", default="320x180", help="render size (default 320x180: bounded on 2 cores)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds one build may take")
    parser.add_argument("--s3", action="store_true", help="also the remote cache on S3 (moto on loopback)")
    parser.add_argument("--own-instance", action="store_true", help="also Ray builds that start their own instance")
    parser.add_argument("--skip-executors", action="store_true")
    parser.add_argument("--skip-remote", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.machine import header

    print(header("ray", "s3fs"), flush=True)
    print(f"{args.shots} shots at {args.size}, fastest of {args.repeat}; {os.cpu_count()} CPUs "
          f"(load average {os.getloadavg()[0]:.1f} at the start)")
    with tempfile.TemporaryDirectory(prefix="studio-bench-cluster-") as name:
        tmp = Path(name)
        project = film(tmp, args.shots, args.size)
        if not args.skip_executors:
            executors(tmp, project, args.repeat, args.own_instance, args.timeout)
        if args.skip_remote:
            return
        shared = tmp / "team-cache"
        shared.mkdir()
        remote_cache(tmp, project, args.repeat, str(shared), {}, args.timeout)
        if args.s3:
            with s3_remote() as (url, env):
                remote_cache(tmp, project, args.repeat, url, env, args.timeout)


if __name__ == "__main__":
    main()
