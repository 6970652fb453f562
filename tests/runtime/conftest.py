from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.runtime.remote_helpers import S3Server, s3_server


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """One S3-protocol server on loopback for the whole session; each test takes its own bucket."""
    with s3_server() as server:
        yield server
