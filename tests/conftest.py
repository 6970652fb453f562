from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted({p.parent for pattern in ("*/*.studio.yaml", "*/*.studio")
                   for p in (ROOT / "examples").glob(pattern)})
"""Every example project, in YAML or in the screenplay DSL."""
LUCA = ROOT / "examples" / "luca"


def skip_without_ai(example: Path) -> None:
    """Skip a build of an example that uses the AI backends when the AI extra is not installed
    (checking it needs no extra: the compiler never imports an ML library)."""
    text = "".join(p.read_text(encoding="utf-8") for p in example.glob("*.studio.yaml"))
    if re.search(r"backend:\s*(diffusers|transformers)", text) and importlib.util.find_spec("torch") is None:
        pytest.skip(f"{example.name} needs the AI extra: pip install -e '.[ai]'")


@pytest.fixture
def luca(tmp_path: Path) -> Path:
    """A private copy of the reference project."""
    dest = tmp_path / "luca"
    shutil.copytree(LUCA, dest)
    return dest
