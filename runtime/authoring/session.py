"""Which language model a command uses, and how its failures read.

``--llm SPEC`` first, then ``$STUDIO_LLM``, then (for ``studio edit``) the project's only model of kind
``llm``. Every failure becomes one coded diagnostic (E501-E509, docs/diagnostics.md) with a hint:
no traceback, whatever the model or the network did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backends.llm import (
    INSTALL_HINT,
    LLM,
    LLMCancelled,
    LLMError,
    LLMLimit,
    LLMUnavailable,
    SpecError,
    config_from_spec,
    missing_libraries,
    open_llm,
    spec_from_env,
)
from studio_lang.diagnostics import Diagnostic

from .ask import MalformedAnswer

__all__ = ["Failure", "choose_llm", "failure", "open_chosen"]


class Failure(Exception):
    """A command cannot go on; ``diagnostic`` says why, ``details`` (rendered diagnostics of a file) come
    before it, ``status`` is the exit code."""

    def __init__(self, diagnostic: Diagnostic, status: int = 1, details: str = "") -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.status = status
        self.details = details


def _project_llm(project: Path | None) -> dict[str, Any] | None:
    """The configuration of the project's only model of kind llm, if it has exactly one."""
    if project is None:
        return None
    from compiler import compile_project

    result = compile_project(project)
    if result.film is None:
        return None
    found = [m for m in result.film.models.values() if "llm" in m.kinds]
    return found[0].config() if len(found) == 1 else None


def choose_llm(spec: str | None, project: Path | None = None) -> dict[str, Any]:
    """The model configuration to use (``Failure`` E501/E503 when there is none or it is malformed)."""
    chosen = spec or spec_from_env()
    if chosen is None:
        config = _project_llm(project)
        if config is not None:
            return config
        raise Failure(Diagnostic.error(
            "E501", "no language model to write with",
            hint="pass --llm hf:<repo id, directory or file.gguf> or --llm openai:<model>, or set STUDIO_LLM"
                 + (" (or define one model of kind llm in the project)" if project else "")), 2)
    try:
        return config_from_spec(chosen)
    except SpecError as exc:
        raise Failure(Diagnostic.error("E503", f"--llm: {exc}"), 2) from None


def open_chosen(config: dict[str, Any]) -> LLM:
    missing = missing_libraries(config)
    if missing:
        raise Failure(Diagnostic.error(
            "E502", f"the language model needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            "not installed", hint=INSTALL_HINT))
    try:
        return open_llm(config)
    except LLMError as exc:
        raise failure(exc) from None


def failure(exc: LLMError) -> Failure:
    """The diagnostic for a failed model call."""
    if isinstance(exc, LLMCancelled):
        return Failure(Diagnostic.error("E504", "interrupted; nothing written"), 130)
    if isinstance(exc, LLMUnavailable):
        return Failure(Diagnostic.error("E502", str(exc)))
    if isinstance(exc, LLMLimit):
        return Failure(Diagnostic.error("E509", str(exc), hint="raise the model's timeout or shorten the request "
                                        "(a shorter --length, a smaller edit)"))
    if isinstance(exc, MalformedAnswer):
        return Failure(Diagnostic.error("E505", str(exc), hint="use a larger model, or a server that honours "
                                        "response_format (vLLM, llama.cpp, Ollama with format)"))
    return Failure(Diagnostic.error("E504", str(exc)))
