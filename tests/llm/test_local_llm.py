"""The local backend: constrained decoding always yields a sentence of the grammar, the same
request gives the same bytes, and every limit ends a call with a clear error."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from backends.llm import (
    CallContext,
    LLMCancelled,
    LLMLimit,
    LLMUnavailable,
    Message,
    Request,
    SpecError,
    config_from_spec,
    open_llm,
)
from runtime.authoring import schemas
from runtime.authoring.ask import validation_errors

ASK = (Message("system", "Answer in JSON."), Message("user", "Write a film."))


@pytest.mark.parametrize("schema", [
    schemas.cast_schema(),
    schemas.outline_schema(["Cove", "Hill"], ["Luca", "Mira"], (1, 2)),
    schemas.shots_schema(["@Luca", "@Mira", "@Cove"], ["Luca", "Mira"], (1, 2)),
], ids=["cast", "outline", "shots"])
@pytest.mark.parametrize("seed", [None, 7])
def test_constrained_answers_match_their_schema(local_llm: Any, schema: dict[str, Any], seed: int | None) -> None:
    answer = local_llm.complete(Request(ASK, schema=schema, max_tokens=6000, seed=seed))
    assert answer.constrained
    data = json.loads(answer.text)
    assert validation_errors(data, schema) == []


def test_the_same_request_gives_the_same_bytes(local_llm: Any) -> None:
    schema = schemas.cast_schema()
    greedy = [local_llm.complete(Request(ASK, schema=schema, max_tokens=3000)).text for _ in range(2)]
    seeded = [local_llm.complete(Request(ASK, schema=schema, max_tokens=3000, seed=3)).text for _ in range(2)]
    other = local_llm.complete(Request(ASK, schema=schema, max_tokens=3000, seed=4)).text
    assert greedy[0] == greedy[1] and seeded[0] == seeded[1]
    assert len({greedy[0], seeded[0], other}) == 3


def test_a_lark_grammar_constrains_free_text(local_llm: Any) -> None:
    grammar = 'start: WORD (" " WORD)*\nWORD: /[a-z]{1,6}/\n'
    answer = local_llm.complete(Request(ASK, grammar=grammar, max_tokens=40, truncate=True))
    assert answer.text and all(w.isalpha() and w.islower() and len(w) <= 6 for w in answer.text.split(" "))


def test_token_time_and_cancel_limits_end_a_call(local_llm: Any) -> None:
    with pytest.raises(LLMLimit, match="limit of 5 tokens"):
        local_llm.complete(Request(ASK, schema=schemas.cast_schema(), max_tokens=5, name="cast"))
    with pytest.raises(LLMLimit, match="longer than its limit"):
        local_llm.complete(Request(ASK, max_tokens=100, timeout=0.0))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LLMCancelled):
        local_llm.complete(Request(ASK, max_tokens=100), CallContext(cancel=cancel))
    truncated = local_llm.complete(Request(ASK, max_tokens=5, truncate=True))
    assert truncated.tokens == 5


def test_progress_reports_tokens(local_llm: Any) -> None:
    seen: list[int] = []
    answer = local_llm.complete(Request(ASK, schema=schemas.cast_schema(), max_tokens=3000),
                                CallContext(progress=lambda _name, n, _s: seen.append(n)))
    assert seen and seen[-1] == answer.tokens and seen == sorted(seen)


def test_specs(tmp_path: Path, tiny_llm: Path) -> None:
    assert config_from_spec(f"hf:{tiny_llm}")["path"] == str(tiny_llm)
    repo = config_from_spec("hf:HuggingFaceTB/SmolLM2-135M-Instruct")
    assert (repo["backend"], repo["weights"], repo["path"]) == ("transformers", "HuggingFaceTB/SmolLM2-135M-Instruct",
                                                                 None)
    gguf = config_from_spec("hf:org/name:model.Q4.gguf")
    assert gguf["params"] == {"gguf_file": "model.Q4.gguf"} and gguf["weights"] == "org/name"
    assert config_from_spec("openai:llama3.1:8b")["weights"] == "llama3.1:8b"
    for bad in ("llama", "hf:", f"hf:{tmp_path}/missing.gguf", "gpt:x"):
        with pytest.raises(SpecError):
            config_from_spec(bad)


def test_unreadable_weights_fail_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(LLMUnavailable, match="no config.json"):
        open_llm(config_from_spec(f"hf:{tmp_path / 'empty'}"))
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(LLMUnavailable, match="not a .gguf file"):
        open_llm(config_from_spec(f"hf:{tmp_path / 'weights.bin'}"))
