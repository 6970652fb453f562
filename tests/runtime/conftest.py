from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.runtime.ray_helpers import RayCluster, ray_cluster
from tests.runtime.remote_helpers import S3Server, s3_server


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """One S3-protocol server on loopback for the whole session; each test takes its own bucket."""
    with s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    """One small Ray instance (2 CPUs) for the whole session, started when a test first asks for it;
    trials that need another kind (logical GPUs, workers' own environment) start their own."""
    with ray_cluster(tmp_path_factory.mktemp("ray")) as running:
        yield running
