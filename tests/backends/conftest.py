"""Fixtures shared by the backend tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backends import procedural
from backends.base import Artifact, Result, TaskRun


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    """``run(kind, params, inputs)``: one procedural task in a fresh work directory under ``tmp_path``
    (id ``<kind>:cove/x``, no files, the default look). A module that defines its own ``run``
    (another id, files, a look) uses that one."""
    counter = itertools.count()

    def run(kind: str, params: dict[str, Any], inputs: dict[str, Artifact] | None = None) -> Result:
        workdir = tmp_path / f"task{next(counter)}"
        workdir.mkdir()
        task = TaskRun(f"{kind}:cove/x", kind, params, inputs or {}, {}, workdir)
        return procedural.run(task, procedural.load({"backend": "procedural", "params": {}}))

    return run
