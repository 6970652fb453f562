"""Language models for authoring and prompt enhancement. See backends/llm/README.md.

Nothing here imports torch, transformers, llguidance or openai until a model is opened.
"""

from __future__ import annotations

from typing import Any, Protocol

from .request import (
    INSTALL_HINT,
    CallContext,
    Completion,
    LLMCancelled,
    LLMError,
    LLMLimit,
    LLMUnavailable,
    Message,
    Progress,
    Request,
)
from .spec import SpecError, config_from_spec, missing_libraries, require, spec_from_env

__all__ = [
    "INSTALL_HINT", "LLM", "CallContext", "Completion", "LLMCancelled", "LLMError", "LLMLimit", "LLMUnavailable",
    "Message", "Progress", "Request", "SpecError", "config_from_spec", "missing_libraries", "open_llm", "require",
    "spec_from_env",
]


class LLM(Protocol):
    """What both backends give: one call at a time, then ``close``."""

    name: str
    constrains: bool
    """Whether the decoder itself enforces a request's schema or grammar (a local model does)."""

    def complete(self, request: Request, ctx: CallContext | None = None) -> Completion: ...

    def close(self) -> None: ...


def open_llm(config: dict[str, Any]) -> LLM:
    """Load (local) or connect to (openai) the model a configuration names."""
    require(config)
    if config.get("backend") == "openai":
        from .remote import load_remote

        return load_remote(config)
    if config.get("backend") == "transformers":
        from .local import load_local

        return load_local(config)
    raise LLMUnavailable(f"backend '{config.get('backend')}' has no language models; use transformers or openai")
