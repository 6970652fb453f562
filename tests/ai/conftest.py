"""Tiny random-weight models for the AI backend tests, built once per session from configs.

The tests skip (with the reason) only where torch is missing; CI installs the AI extra.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

AI_MISSING = "the AI extra is not installed (pip install -e '.[ai]')"
HAVE_AI = all(importlib.util.find_spec(m) is not None for m in ("torch", "diffusers", "transformers"))


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> directory (or file, for the LoRA) of every tiny model, saved with save_pretrained."""
    if not HAVE_AI:
        pytest.skip(AI_MISSING)
    from bench.make_tiny_models import make_all

    return make_all(tmp_path_factory.mktemp("tiny-models"))
