"""Any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp's server, LM Studio, OpenAI) through the
``openai`` SDK.

Where the server is and who we are come from the environment only (``OPENAI_BASE_URL``,
``OPENAI_API_KEY``): never from a project file, never into a cache key or a message. A schema is
sent as a strict ``response_format``; many servers ignore it, so the caller validates every answer
anyway. A server that refuses ``response_format`` is asked again without it.

Failures: connection errors, timeouts, rate limits (429, after ``Retry-After`` when it is short)
and server errors (5xx) are retried with exponential backoff up to ``retries`` times within the
call's time limit; other refusals (401, 403, 404, 400) are not. Either way the caller gets one
``LLMError`` whose message says what happened and what to do.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from .request import (
    INSTALL_HINT,
    CallContext,
    Completion,
    LLMCancelled,
    LLMError,
    LLMLimit,
    LLMUnavailable,
    Request,
)

__all__ = ["DEFAULTS", "RemoteLLM", "load_remote"]

DEFAULTS = {"retries": 4, "backoff": 0.5, "call_timeout": 120.0}
"""Per-model ``params``: retries after the first try, first backoff (doubling), seconds per HTTP call."""
_MAX_RETRY_AFTER = 30.0


def _openai() -> Any:
    try:
        import openai
    except ImportError as exc:
        raise LLMUnavailable(f"an OpenAI-compatible endpoint needs the openai package ({exc}); {INSTALL_HINT}") \
            from None
    return openai


def _where() -> str:
    """The endpoint for messages: the base URL without credentials, query or fragment."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1")
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def load_remote(config: dict[str, Any]) -> RemoteLLM:
    openai = _openai()
    model = config.get("weights")
    if not model:
        raise LLMUnavailable(f"model '{config.get('name')}' names no model: set weights to the model's name at the "
                             "endpoint (e.g. llama3.1:8b)")
    params = {**DEFAULTS, **(config.get("params") or {})}
    client = openai.OpenAI(api_key=os.environ.get("OPENAI_API_KEY") or "unused", max_retries=0,
                           timeout=float(params["call_timeout"]))
    return RemoteLLM(str(config.get("name") or model), str(model), client, params)


@dataclass
class RemoteLLM:
    name: str
    model: str
    client: Any
    params: dict[str, Any]
    strict: bool = True
    """Send ``response_format``; switched off once the server refuses it."""
    constrains: bool = False

    def complete(self, request: Request, ctx: CallContext | None = None) -> Completion:
        ctx = ctx or CallContext()
        start = time.perf_counter()
        deadline = start + request.timeout
        retries = int(self.params["retries"])
        delay = float(self.params["backoff"])
        attempt = 0
        while True:
            if ctx.cancel.is_set():
                raise LLMCancelled(f"'{request.name}' was cancelled")
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise LLMLimit(f"'{request.name}': no answer from {_where()} within {request.timeout:g} s")
            try:
                return self._call(request, ctx, start, min(remaining, float(self.params["call_timeout"])))
            except _Retry as exc:
                attempt += 1
                wait = exc.after if exc.after is not None else delay
                if attempt > retries or time.perf_counter() + wait > deadline:
                    raise LLMError(f"'{request.name}': {exc.args[0]} ({attempt} tr{'ies' if attempt > 1 else 'y'}); "
                                   f"check that the server at {_where()} is running and serves '{self.model}'") \
                        from None
                ctx.cancel.wait(wait)
                delay *= 2

    def _call(self, request: Request, ctx: CallContext, start: float, timeout: float) -> Completion:
        openai = _openai()
        kwargs: dict[str, Any] = {
            "model": self.model, "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens, "timeout": timeout,
            "temperature": request.temperature if request.seed is not None else 0.0,
        }
        if request.seed is not None:
            kwargs["seed"] = int(request.seed)
        if request.schema is not None and self.strict:
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                "name": _schema_name(request.name), "schema": request.schema, "strict": True}}
        try:
            response = self.client.chat.completions.create(**kwargs)
        except openai.APITimeoutError:
            raise _Retry(f"the request timed out after {timeout:g} s") from None
        except openai.APIConnectionError as exc:
            raise _Retry(f"cannot reach the server ({_cause(exc)})") from None
        except openai.RateLimitError as exc:
            raise _Retry("rate limited (429)", _retry_after(exc)) from None
        except openai.InternalServerError as exc:
            raise _Retry(f"the server failed ({exc.status_code})") from None
        except openai.BadRequestError as exc:
            if "response_format" in kwargs:
                self.strict = False  # a server that does not know response_format: ask without it
                return self._call(request, ctx, start, timeout)
            raise LLMError(f"'{request.name}': the server refused the request (400: {_message(exc)})") from None
        except openai.AuthenticationError:
            raise LLMUnavailable(f"the server at {_where()} refused the key (401); set OPENAI_API_KEY") from None
        except openai.PermissionDeniedError as exc:
            raise LLMUnavailable(f"the server at {_where()} refused access (403: {_message(exc)})") from None
        except openai.NotFoundError:
            raise LLMUnavailable(f"the server at {_where()} does not serve '{self.model}' (404); check the model "
                                 "name (ollama list, or GET /v1/models)") from None
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise _Retry(f"the server failed ({exc.status_code})") from None
            raise LLMError(f"'{request.name}': the server refused the request ({exc.status_code}: "
                           f"{_message(exc)})") from None
        except (openai.APIError, ValueError) as exc:  # a body that is not the protocol's JSON
            raise _Retry(f"the server's answer was not valid ({type(exc).__name__})") from None
        return self._completion(request, response, start)

    def _completion(self, request: Request, response: Any, start: float) -> Completion:
        try:
            choice = response.choices[0]
            text = choice.message.content
            finish = choice.finish_reason
        except (AttributeError, IndexError, TypeError):
            raise _Retry("the server's answer had no message") from None
        if finish == "length" and not request.truncate:
            raise LLMLimit(f"'{request.name}' reached its limit of {request.max_tokens} tokens before the answer "
                           "was complete")
        if not isinstance(text, str):
            raise _Retry("the server's answer had no text")
        usage = getattr(response, "usage", None)
        tokens = int(getattr(usage, "completion_tokens", 0) or 0) if usage is not None else 0
        return Completion(text, tokens, time.perf_counter() - start, False)

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # closing a client never fails a command
            pass


class _Retry(Exception):
    """A failure that another try may cure; ``after``: seconds the server asked us to wait."""

    def __init__(self, message: str, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


def _retry_after(exc: Any) -> float | None:
    try:
        value = float(exc.response.headers.get("retry-after"))
    except (AttributeError, TypeError, ValueError):
        return None
    return min(max(value, 0.0), _MAX_RETRY_AFTER)


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return type(cause).__name__ if cause is not None else type(exc).__name__


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        text = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(text, str):
            return text[:200]
    return str(getattr(exc, "message", "") or type(exc).__name__)[:200]


def _schema_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)
    return cleaned[:64] or "answer"

