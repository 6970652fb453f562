from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/*.studio.yaml"))
LUCA = ROOT / "examples" / "luca"


@pytest.fixture
def luca(tmp_path: Path) -> Path:
    """A private copy of the reference project."""
    dest = tmp_path / "luca"
    shutil.copytree(LUCA, dest)
    return dest
