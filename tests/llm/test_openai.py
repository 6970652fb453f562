"""The openai backend against a server on loopback speaking the chat-completions protocol: retries
where they help, one clear error where they do not, never a key in a message, and the same
validate-and-repair path as the local backend (the server may ignore ``response_format``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backends.llm import LLMError, LLMLimit, LLMUnavailable, Message, Request, open_llm
from runtime.authoring.ask import MalformedAnswer, Stats, ask_json
from tests.llm.openai_server import Reply, serve

pytest.importorskip("openai")

KEY = "sk-test-0123456789"
ASK = (Message("user", "Say hello."),)
SCHEMA = {"type": "object", "properties": {"hello": {"type": "string"}}, "required": ["hello"],
          "additionalProperties": False}


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("STUDIO_LLM", raising=False)


def client(url: str, monkeypatch: pytest.MonkeyPatch, **params: Any) -> Any:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    return open_llm({"name": "test", "kinds": ["llm"], "backend": "openai", "weights": "test-model",
                     "params": {"backoff": 0.01, "call_timeout": 5, **params}})


def script(*replies: Reply) -> Any:
    queue = list(replies)
    return lambda _body: queue.pop(0) if len(queue) > 1 else queue[0]


def test_server_errors_rate_limits_and_broken_answers_are_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    replies = script(Reply(status=500), Reply(status=503), Reply(status=429, headers={"retry-after": "0"}),
                     Reply(body=b'{"choices": ['), Reply(body=b'{"id": "x"', truncated=True), Reply('{"hello":"hi"}'))
    with serve(replies) as (url, received):
        answer = client(url, monkeypatch, retries=6).complete(Request(ASK, schema=SCHEMA))
    assert answer.text == '{"hello":"hi"}' and len(received) == 6
    first = received[0]
    assert first["headers"]["authorization"] == f"Bearer {KEY}"
    assert first["body"]["response_format"]["json_schema"] == {"name": "answer", "schema": SCHEMA, "strict": True}
    assert first["body"]["temperature"] == 0.0 and first["body"]["max_tokens"] == 1024


def test_when_retries_do_not_help_one_message_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(script(Reply(status=500))) as (url, received):
        with pytest.raises(LLMError) as info:
            client(url, monkeypatch, retries=2).complete(Request(ASK, name="cast"))
    assert len(received) == 3
    assert str(info.value) == (f"'cast': the server failed (500) (3 tries); check that the server at {url} is "
                               "running and serves 'test-model'")
    with serve(script(Reply(delay=30))) as (url, received):
        with pytest.raises(LLMError, match="timed out after 0.5 s"):
            client(url, monkeypatch, retries=1, call_timeout=0.5).complete(Request(ASK))
    assert len(received) == 2


def test_refusals_are_not_retried_and_never_show_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for status, kind, words in ((401, LLMUnavailable, "refused the key (401); set OPENAI_API_KEY"),
                                (404, LLMUnavailable, "does not serve 'test-model' (404)"),
                                (403, LLMUnavailable, "refused access (403")):
        with serve(script(Reply(status=status))) as (url, received):
            with pytest.raises(kind) as info:
                client(url, monkeypatch).complete(Request(ASK))
        assert len(received) == 1 and words in str(info.value) and KEY not in str(info.value)


def test_a_server_that_rejects_response_format_is_asked_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def responder(body: dict[str, Any]) -> Reply:
        return Reply(status=400) if "response_format" in body else Reply('{"hello": "plain"}')

    with serve(responder) as (url, received):
        llm = client(url, monkeypatch)
        assert llm.complete(Request(ASK, schema=SCHEMA)).text == '{"hello": "plain"}'
        llm.complete(Request(ASK, schema=SCHEMA))
    assert ["response_format" in r["body"] for r in received] == [True, False, False]


def test_a_cut_answer_is_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(script(Reply('{"hel', finish="length"))) as (url, _):
        with pytest.raises(LLMLimit, match="limit of 1024 tokens"):
            client(url, monkeypatch).complete(Request(ASK))


def test_answers_are_validated_and_asked_again_with_the_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    replies = script(Reply("Sure! Here it is: hello"), Reply('{"hello": 3}'),
                     Reply('```json\n{"hello": "fenced"}\n```'))
    with serve(replies) as (url, received):
        stats = Stats()
        data = ask_json(client(url, monkeypatch), Request(ASK, schema=SCHEMA, name="greeting"), stats)
    assert data == {"hello": "fenced"} and stats.calls[0].attempts == 3
    feedback = received[2]["body"]["messages"][-1]["content"]
    assert "hello: 3 is not of type 'string'" in feedback
    with serve(script(Reply("no JSON here"))) as (url, received):
        with pytest.raises(MalformedAnswer, match="not the JSON asked for after 3 tries"):
            ask_json(client(url, monkeypatch), Request(ASK, schema=SCHEMA, name="greeting"), Stats())


# --- the commands through an endpoint --------------------------------------------------------------------
CAST = {"title": "The Gull", "logline": "A keeper and a gull share a stormy night.", "look": "ink and watercolor",
        "characters": [{"name": "Ada", "description": "an old keeper in a yellow coat", "pitch": 40, "rate": 150}],
        "locations": [{"name": "Lighthouse", "description": "a white tower on black rocks"}], "props": []}
OUTLINE = {"scenes": [{"id": "night", "heading": "EXT. LIGHTHOUSE - NIGHT", "location": "Lighthouse",
                       "characters": ["Ada"], "summary": "Ada feeds a gull in the storm."}]}
SHOTS = {"shots": [
    {"id": "storm", "type": "wide", "camera": "pan_left", "action": "@Lighthouse in the storm", "dialogue": [],
     "duration": 4, "transition": "cut"},
    {"id": "bread", "type": "close_up", "camera": "static", "action": "@Ada holds out bread",
     "dialogue": [{"character": "Ada", "line": "Come on, little one.", "emotion": "tender"}], "duration": "auto",
     "transition": "fade"}]}


def by_phase(answers: dict[str, list[str]]) -> Any:
    def responder(body: dict[str, Any]) -> Reply:
        name = body.get("response_format", {}).get("json_schema", {}).get("name", "")
        phase = name.split("_")[0]
        queue = answers[phase]
        return Reply(queue.pop(0) if len(queue) > 1 else queue[0])
    return responder


def test_studio_new_through_an_endpoint_that_errs_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from compiler import compile_project
    from runtime.cli import main

    wrong = json.loads(json.dumps(SHOTS))
    wrong["shots"][1]["dialogue"][0]["character"] = "Bob"  # not in the cast: refused by the schema, asked again
    answers = {"cast": [json.dumps(CAST)], "outline": [json.dumps(OUTLINE)],
               "scene": [json.dumps(wrong), json.dumps(SHOTS)]}
    with serve(by_phase(answers)) as (url, received):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        assert main(["new", "a keeper and a gull", "-o", str(tmp_path / "film"), "--llm", "openai:test-model",
                     "--length", "8"]) == 0
    err = capsys.readouterr().err
    assert KEY not in err and "wrote" in err
    assert len(received) == 4
    assert "'Bob' is not one of ['Ada']" in received[3]["body"]["messages"][-1]["content"]
    result = compile_project(tmp_path / "film")
    assert result.ok and result.diagnostics == []
    assert result.spec is not None and [s.id for s in result.spec.scenes[0].shots] == ["storm", "bread"]


def test_studio_new_says_what_failed_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from runtime.cli import main

    with serve(script(Reply(status=401))) as (url, _):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        assert main(["new", "x", "-o", str(tmp_path / "film"), "--llm", "openai:test-model"]) == 1
    err = capsys.readouterr().err
    assert "error[E502]" in err and "401" in err and KEY not in err and "Traceback" not in err
    assert not (tmp_path / "film").exists()
    with serve(script(Reply("I would rather write prose."))) as (url, _):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        assert main(["new", "x", "-o", str(tmp_path / "film"), "--llm", "openai:test-model"]) == 1
    assert "error[E505]" in capsys.readouterr().err and not (tmp_path / "film").exists()


def test_studio_edit_repairs_what_the_compiler_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A long line added to a 2.5 s shot (W302): the problem goes back, the model fixes the duration too."""

    from runtime.cli import main
    from tests.conftest import LUCA, copy_example

    copy_example(LUCA, tmp_path / "luca")
    line = {"character": "Luca", "line": "I have never seen so much water in all my life, not even in a dream, "
                                         "and I do not know if I am brave enough to go in.", "emotion": "shy"}
    first = {"operations": [{"op": "add_line", "shot": "cove/peek", "line": line}]}
    fixed = {"operations": [*first["operations"],
                            {"op": "set", "path": "shot:cove/peek", "field": "duration", "value": "auto"}]}
    with serve(script(Reply(json.dumps(first)), Reply(json.dumps(fixed)))) as (url, received):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        assert main(["edit", str(tmp_path / "luca"), "let Luca say how he feels", "--llm", "openai:m"]) == 0
    assert len(received) == 2
    assert "W302" in received[1]["body"]["messages"][-1]["content"]
    out = capsys.readouterr().out
    assert "+        duration: auto" in out and "+            line: I have never seen" in out
