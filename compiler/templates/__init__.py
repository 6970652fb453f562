"""Style prompts: Jinja templates, checked when compiled and rendered within bounds.

Every style's template is compiled, used by a shot or not, and checked statically against the
variables the renderer provides (``VARIABLES``): an unknown variable (``{{ acton }}``) or a field
a variable does not have (``{{ shot.kind }}``) is E303 where the style is written, not only when a
shot happens to render it. Rendering happens in ``sandbox.py``: locked down, every
string-building operation checked before it allocates, and a step budget for loops and macros, so
that any template renders or fails with E304 in bounded time and memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError

from . import budget, sandbox
from .check import VARIABLES, TemplateProblem, check_names

__all__ = ["MAX_OUTPUT", "VARIABLES", "PromptTemplate", "TemplateProblem", "compile_template"]

MAX_OUTPUT = budget.MAX_TEXT
"""Longest text a template may produce (characters)."""



MEMO_TEMPLATES = 64
"""Compiled templates kept between compiles (by their source), each with the prompts it rendered."""
MEMO_RENDERS = 20_000
"""Prompts a template keeps (by the ``repr`` of their variables); the memo is emptied when full."""
_compiled: OrderedDict[str, PromptTemplate] = OrderedDict()
_lock = threading.Lock()


class PromptTemplate:
    """A compiled template. Rendering is a pure function of the variables (the sandbox has no clock,
    no randomness and no I/O), so each result, a problem included, is remembered: the language
    server compiles the whole film at every keystroke, and its prompts are mostly those of the last
    compile (a tenth of a 2,000-shot compile otherwise)."""

    def __init__(self, template: jinja2.Template, call_cost: int) -> None:
        self._template = template
        self._call_cost = call_cost
        self._rendered: dict[str, str | TemplateProblem] = {}

    def render(self, variables: Mapping[str, Any]) -> str:
        key = repr(variables)
        found = self._rendered.get(key)
        if found is None:
            try:
                found = self._render(variables)
            except TemplateProblem as exc:
                found = exc
            if len(self._rendered) >= MEMO_RENDERS:
                self._rendered.clear()
            self._rendered[key] = found
        if isinstance(found, TemplateProblem):  # a fresh exception each time, with the same fields
            raise TemplateProblem(found.code, str(found), found.line, found.hint, found.needle)
        return found

    def _render(self, variables: Mapping[str, Any]) -> str:
        try:
            text = sandbox.render(self._template, variables, self._call_cost)
        except jinja2.UndefinedError as exc:
            raise TemplateProblem("E303", f"template error: {exc.message}") from None
        except (SecurityError, MemoryError) as exc:
            raise TemplateProblem("E304", f"template not allowed: {exc or 'it needs too much memory'}") from None
        except jinja2.TemplateError as exc:
            raise TemplateProblem("E303", f"template error: {exc}") from None
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError, RecursionError) as exc:
            raise TemplateProblem("E303", f"template error: {type(exc).__name__}: {exc}") from None
        return " ".join(text.split())


def compile_template(source: str) -> PromptTemplate:
    """The compiled template of ``source`` (one compiled before is reused: see ``PromptTemplate``)."""
    with _lock:
        found = _compiled.get(source)
        if found is not None:
            _compiled.move_to_end(source)
            return found
    template = _compile(source)
    with _lock:
        _compiled[source] = template
        while len(_compiled) > MEMO_TEMPLATES:
            _compiled.popitem(last=False)
    return template


def _compile(source: str) -> PromptTemplate:
    env = sandbox.environment()
    try:
        tree = env.parse(source)
        check_names(tree)
        call_cost = sandbox.costs(tree)
        code = env.compile(sandbox.instrument(tree))
        template = env.template_class.from_code(env, code, env.make_globals(None), None)
        return PromptTemplate(template, call_cost)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem("E303", f"template syntax error: {exc.message}", exc.lineno) from None
    except SecurityError as exc:
        raise TemplateProblem("E304", f"template not allowed: {exc}") from None
    except (SyntaxError, RecursionError, MemoryError):  # Python's own limits on the compiled template
        raise TemplateProblem("E304", "template not allowed: it nests blocks or expressions too deeply",
                              None, "flatten the template: at most about 15 nested blocks") from None
    except jinja2.TemplateError as exc:
        raise TemplateProblem("E303", f"template error: {exc}") from None
