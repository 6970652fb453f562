"""``--llm SPEC``: a language model named on the command line, without a project.

``hf:<repo id | directory | file.gguf>`` (also ``hf:org/name:file.gguf``, a GGUF file inside a
repo) is a local model through transformers; ``openai:<model>`` a model at the OpenAI-compatible
endpoint that ``OPENAI_BASE_URL`` names. The default is ``$STUDIO_LLM``. A spec becomes the same
configuration dictionary a project's model of kind ``llm`` gives (``ModelRef.config()``).
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

from .request import INSTALL_HINT, LLMUnavailable

__all__ = ["ENV", "SpecError", "config_from_spec", "missing_libraries", "require", "spec_from_env"]

ENV = "STUDIO_LLM"
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_LIBRARIES = {"transformers": ("torch", "transformers", "llguidance"), "openai": ("openai",)}


class SpecError(ValueError):
    """A ``--llm`` value that names no model; the message says how to write one."""


def spec_from_env() -> str | None:
    value = os.environ.get(ENV, "").strip()
    return value or None


def config_from_spec(spec: str) -> dict[str, Any]:
    """The model configuration a spec names (``name`` is the spec itself)."""
    scheme, _, rest = spec.partition(":")
    rest = rest.strip()
    if scheme == "openai" and rest:
        return _config(spec, "openai", rest, None)
    if scheme == "hf" and rest:
        repo, _, file = rest.rpartition(":")
        if repo and file.endswith(".gguf") and _REPO.match(repo) and not Path(rest).expanduser().exists():
            return _config(spec, "transformers", repo, None, {"gguf_file": file})
        local = Path(rest).expanduser()
        if local.exists():
            return _config(spec, "transformers", rest, str(local.resolve()))
        if _REPO.match(rest) and not rest.endswith(".gguf"):
            return _config(spec, "transformers", rest, None)
        raise SpecError(f"'{rest}' is neither a local directory or .gguf file nor a Hugging Face repo id (org/name)")
    raise SpecError(f"'{spec}' is not a model spec: write hf:<repo id, directory or file.gguf> or openai:<model>")


def _config(spec: str, backend: str, weights: str, path: str | None,
            params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": spec, "kinds": ["llm"], "backend": backend, "weights": weights, "revision": None, "path": path,
            "dtype": None, "params": params or {}, "adapters": {}, "vram_gb": 0, "batch_size": 1}


def missing_libraries(config: dict[str, Any]) -> list[str]:
    """Libraries the model's backend needs that are not installed."""
    needed = list(_LIBRARIES.get(str(config.get("backend")), ()))
    gguf = str(config.get("path") or "").endswith(".gguf") or bool((config.get("params") or {}).get("gguf_file"))
    if gguf:
        needed.append("gguf")
    return [name for name in needed if importlib.util.find_spec(name) is None]


def require(config: dict[str, Any]) -> None:
    """Raise ``LLMUnavailable`` with the install command when a library the model needs is missing."""
    missing = missing_libraries(config)
    if missing:
        raise LLMUnavailable(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed; "
                             f"{INSTALL_HINT}")

