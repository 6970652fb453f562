"""One structured question to a language model: ask, parse, validate, ask again with the reasons.

A local model decodes under the schema and is right the first time; a remote one may ignore the
schema (many servers do), so every answer is parsed as JSON and validated against the same schema.
An invalid answer goes back to the model with what was wrong, up to ``retries`` times; then one
``LLMError`` says so. The only envelope accepted around the JSON is one Markdown code fence (what
chat models add by habit); nothing is ever regex-searched out of prose.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from backends.llm import LLM, CallContext, Completion, LLMError, Message, Request

__all__ = ["Asked", "MalformedAnswer", "Stats", "ask_json", "parse_answer", "validation_errors"]

_FENCE = re.compile(r"^```[A-Za-z]*\n(.*)\n```$", re.DOTALL)
_MAX_REASONS = 6


class MalformedAnswer(LLMError):
    """The model kept answering something other than the JSON asked for."""


@dataclass
class Asked:
    name: str
    tokens: int
    seconds: float
    constrained: bool
    attempts: int


@dataclass
class Stats:
    """Every call of a draft or an edit: what the progress line and the benchmark report."""

    calls: list[Asked] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return sum(c.tokens for c in self.calls)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.calls)


def parse_answer(text: str) -> Any:
    """The JSON document an answer holds (bare, or in one Markdown code fence); ValueError if none."""
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        fenced = _FENCE.match(stripped)
        if fenced is None:
            raise
        return json.loads(fenced.group(1))


def validation_errors(data: Any, schema: dict[str, Any]) -> list[str]:
    """What is wrong with ``data`` under ``schema``, in words, at most a few reasons."""
    try:
        import jsonschema
    except ImportError:  # the llm extra brings it; without it only parsing is checked
        return []
    validator = jsonschema.Draft202012Validator(schema)
    out: list[str] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        for leaf in _closest(error):
            where = "/".join(str(p) for p in leaf.absolute_path) or "the answer"
            out.append(f"{where}: {leaf.message[:200]}")
        if len(out) >= _MAX_REASONS:
            break
    return out[:_MAX_REASONS]


def _closest(error: Any) -> list[Any]:
    """An ``anyOf`` error's reasons in the alternative that came closest (fewest problems, deepest)."""
    if not error.context:
        return [error]
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)
    best = min(branches.values(), key=lambda errs: (len(errs), -max(len(e.absolute_path) for e in errs)))
    return [leaf for sub in best for leaf in _closest(sub)]


def ask_json(llm: LLM, request: Request, stats: Stats, ctx: CallContext | None = None, retries: int = 2) -> Any:
    """The parsed, schema-valid answer to ``request`` (which carries a schema)."""
    assert request.schema is not None
    tokens = 0
    seconds = 0.0
    constrained = False
    for attempt in range(retries + 1):
        completion: Completion = llm.complete(request, ctx)
        tokens += completion.tokens
        seconds += completion.seconds
        constrained = completion.constrained
        try:
            data = parse_answer(completion.text)
            reasons = validation_errors(data, request.schema)
        except ValueError as exc:
            reasons = [f"it is not one JSON document ({exc})"]
        if not reasons:
            stats.calls.append(Asked(request.name, tokens, seconds, constrained, attempt + 1))
            return data
        if attempt == retries:
            break
        feedback = ("That answer does not match the required JSON:\n- " + "\n- ".join(reasons)
                    + "\nAnswer again with only the corrected JSON object.")
        request = replace(request, messages=(*request.messages, Message("assistant", completion.text[:4000]),
                                             Message("user", feedback)))
    stats.calls.append(Asked(request.name, tokens, seconds, constrained, retries + 1))
    raise MalformedAnswer(f"'{request.name}': the model's answer was not the JSON asked for after {retries + 1} tries "
                   f"({reasons[0]})")
