"""A real S3-protocol server on loopback (moto's server mode) for the remote-cache tests: no network."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        """What a process needs to reach the server (fake credentials: the server accepts any)."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "studio-test",
                "AWS_SECRET_ACCESS_KEY": "studio-test-secret", "AWS_DEFAULT_REGION": "us-east-1"}

    def new_bucket(self) -> str:
        """An empty bucket of its own for one test."""
        import boto3

        name = f"studio-{uuid.uuid4().hex[:12]}"
        client = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id="studio-test",
                              aws_secret_access_key="studio-test-secret", region_name="us-east-1")
        client.create_bucket(Bucket=name)
        return name

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id="studio-test",
                            aws_secret_access_key="studio-test-secret", region_name="us-east-1")


@contextmanager
def s3_server() -> Iterator[S3Server]:
    pytest.importorskip("moto.server", reason="the S3 tests need moto[server] (the test extra)")
    pytest.importorskip("s3fs", reason="the S3 store needs the s3 extra: pip install -e '.[s3]'")
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


def s3_env(server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point this process's S3 clients at ``server`` (and nowhere else)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


def studio_env(*args: str, env: dict[str, str] | None = None, timeout: float = 600,
               ) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess with extra environment (no STUDIO_CACHE/STUDIO_REMOTE_CACHE unless given)."""
    full = dict(os.environ)
    for name in ("STUDIO_CACHE", "STUDIO_REMOTE_CACHE", "RAY_ADDRESS"):
        full.pop(name, None)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=full, timeout=timeout)


def build_env(project: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    """``studio build --format json`` with extra environment: (exit code, summary, stderr)."""
    done = studio_env("build", str(project), "--format", "json", *extra, env=env)
    try:
        summary = json.loads(done.stdout)
    except ValueError:
        raise AssertionError(f"no JSON summary (exit {done.returncode}):\n{done.stdout}\n{done.stderr}") from None
    return done.returncode, summary, done.stderr
