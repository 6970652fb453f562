"""The ``openai`` backend: language models at an OpenAI-compatible endpoint (``backends.llm.remote``).

One task kind, ``enhance`` (a shot's prompt rewritten; see backends/llm/enhance.py). ``load``
makes a client (no request is sent), ``unload`` closes it. The endpoint and key come from
``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``; neither enters a key, a record or a message.
"""

from __future__ import annotations

from typing import Any

from backends.base import BackendError, Result, TaskRun

__all__ = ["CONCURRENT", "KINDS", "NAME", "VERSION", "load", "memory_gb", "run", "unload"]

NAME = "openai"
VERSION = "1"
KINDS = frozenset({"enhance"})
CONCURRENT = False


def load(model: dict[str, Any]) -> Any:
    from backends.llm import LLMError, require
    from backends.llm.remote import load_remote

    try:
        require(model)
        return load_remote(model)
    except LLMError as exc:
        raise BackendError(str(exc)) from None


def memory_gb(handle: Any) -> float:
    return 0.0  # the model lives on the server


def unload(handle: Any) -> None:
    handle.close()


def run(task: TaskRun, handle: Any) -> Result:
    from backends.llm.enhance import enhance

    return enhance(task, handle, handle.params)
