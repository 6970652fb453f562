"""Style prompts: Jinja templates rendered in a locked-down sandbox.

Project files are untrusted (an LLM may have written them). The environment is jinja2's
immutable sandbox (no access to Python internals), has no loader (no filesystem: ``include``
and ``import`` fail), no ``range``/``lipsum``/``namespace`` globals, undefined variables are
errors, and every string it builds is capped so that a template cannot blow up memory or time.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

__all__ = ["MAX_OUTPUT", "PromptTemplate", "TemplateProblem", "compile_template"]

MAX_OUTPUT = 20_000
"""Longest text a template may produce (characters)."""


class TemplateProblem(Exception):
    """A template that cannot be compiled or rendered; ``code`` is the diagnostic code."""

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.line = line


class _Env(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the power operator is not allowed in prompts")
        if operator == "*" and (isinstance(left, (str, list)) or isinstance(right, (str, list))):
            count = right if isinstance(left, (str, list)) else left
            size = len(left if isinstance(left, (str, list)) else right)
            if isinstance(count, int) and count * max(size, 1) > MAX_OUTPUT:
                raise SecurityError("a repeated string in a prompt would be too long")
        result = super().call_binop(context, operator, left, right)
        _cap(result)
        return result


def _cap(value: Any) -> Any:
    if isinstance(value, (str, list)) and len(value) > MAX_OUTPUT:
        raise SecurityError(f"a prompt grew beyond {MAX_OUTPUT} characters")
    return value


def _capped(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _cap(fn(*args, **kwargs))

    return wrapper


def _finalize(value: Any) -> Any:
    # a function's repr holds a memory address: never deterministic, never what the author meant
    if callable(value) and not isinstance(value, jinja2.Undefined):
        raise SecurityError("a prompt cannot print a function or method; call it or drop it")
    return value


@functools.lru_cache(maxsize=1)
def _environment() -> _Env:
    env = _Env(loader=None, undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False,
               auto_reload=False, cache_size=0, finalize=_finalize)
    env.globals.clear()
    env.filters = {name: _capped(fn) for name, fn in env.filters.items()}
    return env


class PromptTemplate:
    def __init__(self, template: jinja2.Template) -> None:
        self._template = template

    def render(self, variables: Mapping[str, Any]) -> str:
        try:
            text = self._template.render(**variables)
        except jinja2.UndefinedError as exc:
            raise TemplateProblem("E303", f"template error: {exc.message}") from None
        except SecurityError as exc:
            raise TemplateProblem("E304", f"template not allowed: {exc}") from None
        except jinja2.TemplateError as exc:
            raise TemplateProblem("E303", f"template error: {exc}") from None
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError, RecursionError) as exc:
            raise TemplateProblem("E303", f"template error: {type(exc).__name__}: {exc}") from None
        _cap(text)
        return " ".join(text.split())


def compile_template(source: str) -> PromptTemplate:
    try:
        return PromptTemplate(_environment().from_string(source))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem("E303", f"template syntax error: {exc.message}", exc.lineno) from None
    except SecurityError as exc:
        raise TemplateProblem("E304", f"template not allowed: {exc}") from None
    except (jinja2.TemplateError, RecursionError) as exc:
        raise TemplateProblem("E303", f"template error: {exc}") from None
