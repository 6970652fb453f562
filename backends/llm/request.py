"""What an LLM is asked and what it answers: plain data, no heavy imports.

Exceptions::

    LLMError                 a call failed for a reason the user can act on; ``str(exc)`` says what to do
    ├── LLMUnavailable       the backend cannot be used here (the ``llm`` extra is missing, bad weights, no server)
    ├── LLMLimit             the token or time limit of one call was reached
    └── LLMCancelled         the caller stopped the call (Ctrl-C)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Completion", "INSTALL_HINT", "LLMCancelled", "LLMError", "LLMLimit", "LLMUnavailable", "Message", "Progress",
    "Request",
]

INSTALL_HINT = "install the llm extra: pip install 'studio[llm]' (from a checkout: pip install -e '.[llm]')"

Role = Literal["system", "user", "assistant"]


class LLMError(Exception):
    """A call to a language model failed; the message says what happened and what to do."""


class LLMUnavailable(LLMError):
    """The model cannot be used: a library is missing, the weights cannot be read, the server refuses."""


class LLMLimit(LLMError):
    """A call reached its token or time limit before the answer was complete."""


class LLMCancelled(LLMError):
    """The caller cancelled the call."""


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Request:
    """One call. At most one of ``schema`` (a JSON Schema the answer must match) and ``grammar`` (a
    Lark grammar in llguidance's dialect) constrains the answer; a local model cannot write anything
    else, a remote one is asked to and checked by the caller."""

    messages: tuple[Message, ...]
    schema: dict[str, Any] | None = None
    grammar: str | None = None
    max_tokens: int = 1024
    """Answer tokens at most; reaching it raises ``LLMLimit``."""
    timeout: float = 300.0
    """Seconds for the whole call (every retry included)."""
    seed: int | None = None
    """None: greedy decoding. A number: sampling at ``temperature`` from a generator seeded with it."""
    temperature: float = 0.7
    repetition_penalty: float = 1.0
    """Local models: divide the logits of tokens already in the answer (>1 discourages loops)."""
    name: str = "answer"
    """What the call is for (progress lines and messages)."""
    truncate: bool = False
    """At ``max_tokens``, return the answer so far instead of raising ``LLMLimit`` (for free text)."""

    def __post_init__(self) -> None:
        if self.schema is not None and self.grammar is not None:
            raise ValueError("a request takes a schema or a grammar, not both")


@dataclass(frozen=True)
class Completion:
    text: str
    tokens: int
    """Answer tokens (as the model counts them)."""
    seconds: float
    constrained: bool
    """Whether the decoder itself enforced the schema or grammar (a local model always does)."""


Progress = Callable[[str, int, float], None]
"""``(call name, answer tokens so far, seconds so far)``; called every few tokens."""


@dataclass
class CallContext:
    """What a backend needs beside the request: progress and cancellation."""

    progress: Progress | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
