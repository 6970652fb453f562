"""Constrained decoding with llguidance: a JSON Schema or a Lark grammar becomes a token mask.

Before each token the matcher says which tokens may come next (a bit per vocabulary entry); every
other logit is set to -inf, so whatever the weights prefer, the answer is a sentence of the grammar.
JSON is compiled compact (no free whitespace: a model cannot pad an answer forever), and a schema's
bounds (``maxLength``, ``maxItems``, enums) bound the answer's length.
"""

from __future__ import annotations

import json
from typing import Any

from .request import LLMError, LLMUnavailable

__all__ = ["Constraint", "grammar_text", "ll_tokenizer"]


def _llguidance() -> Any:
    try:
        import llguidance
    except ImportError as exc:
        from .request import INSTALL_HINT

        raise LLMUnavailable(f"constrained decoding needs llguidance ({exc}); {INSTALL_HINT}") from None
    return llguidance


def grammar_text(schema: dict[str, Any] | None, lark: str | None) -> str:
    """The llguidance grammar for a JSON Schema (compact JSON) or a Lark grammar."""
    llg = _llguidance()
    if schema is not None:
        return str(llg.LLMatcher.grammar_from_json_schema(json.dumps(schema), overrides={"whitespace_flexible": False}))
    assert lark is not None
    return str(llg.LLMatcher.grammar_from_lark(lark))


def ll_tokenizer(hf_tokenizer: Any, vocab_size: int) -> Any:
    """llguidance's view of a Hugging Face fast tokenizer, padded to the model's logit count."""
    _llguidance()
    import llguidance.hf

    try:
        return llguidance.hf.from_tokenizer(hf_tokenizer, n_vocab=vocab_size)
    except (ValueError, TypeError) as exc:
        raise LLMUnavailable(f"the model's tokenizer cannot drive constrained decoding ({exc}); use a model with a "
                             "fast (tokenizer.json) tokenizer") from None


class Constraint:
    """One answer's matcher: which tokens may come next, and the tokens taken so far."""

    def __init__(self, tokenizer: Any, grammar: str, name: str) -> None:
        llg = _llguidance()
        self.name = name
        self.matcher = llg.LLMatcher(tokenizer, grammar, log_level=0)
        if self.matcher.is_error():
            raise LLMError(f"internal error: the grammar of '{name}' does not compile: {self.matcher.get_error()}")
        self.vocab = int(tokenizer.vocab_size)

    def allowed(self) -> Any:
        """A numpy bool array over the vocabulary: the tokens that may come next."""
        import numpy as np

        bits = np.frombuffer(self.matcher.compute_bitmask(), dtype=np.uint8)
        return np.unpackbits(bits, bitorder="little")[: self.vocab].astype(bool)

    def take(self, token: int) -> None:
        if not self.matcher.consume_token(token):
            raise LLMError(f"internal error: the decoder left the grammar of '{self.name}': "
                           f"{self.matcher.get_error()}")

    @property
    def finished(self) -> bool:
        """Nothing but the end of the answer may come next."""
        return bool(self.matcher.is_stopped())

    @property
    def accepting(self) -> bool:
        return bool(self.matcher.is_accepting())
