"""A tiny random-weight causal language model, built from a config with a tokenizer written in
``bench/make_tiny_models.py`` and saved with ``save_pretrained``, so the local backend loads it
through the same ``from_pretrained`` path real weights take. Its text is nonsense; under the
authoring schemas, nonsense that checks clean."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

LLM_MISSING = "the llm extra is not installed (pip install -e '.[llm]')"
HAVE_LLM = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers", "llguidance"))


@pytest.fixture(scope="session")
def tiny_llm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAVE_LLM:
        pytest.skip(LLM_MISSING)
    import torch
    import transformers

    from bench.make_tiny_models import tiny_llm as build

    torch.set_num_threads(1)
    transformers.utils.logging.disable_progress_bar()
    return build(tmp_path_factory.mktemp("tiny-llm") / "tiny-llm")


@pytest.fixture(scope="session")
def local_llm(tiny_llm: Path):  # type: ignore[no-untyped-def]
    from backends.llm import config_from_spec, open_llm

    llm = open_llm(config_from_spec(f"hf:{tiny_llm}"))
    yield llm
    llm.close()
