"""The Jinja environment style prompts render in: locked down, and bounded by construction.

On top of jinja2's immutable sandbox: no loader (``include``/``import``/``extends`` fail), no
globals (``range``, ``lipsum``, ``namespace``), undefined variables are errors, only the filters of
``filters.py`` and the methods ``Env.call`` lists can be called; ``*``, ``+`` and ``%`` are checked
before they allocate, integers stay below ``MAX_INT_BITS``. The parsed template is rewritten
(``_Instrument``) so that each loop iteration is charged the size of the loop's body, each ``~``
is checked, each list, tuple or dict written in the template is weighed, every ``in`` is charged
by the size of what it searches, and every printed value is weighed before it is printed.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

from .budget import (
    MAX_INT_BITS,
    MAX_TEXT,
    STR_METHODS,
    Budget,
    Formatter,
    active,
    budget,
    check_percent,
    join,
    text_size,
    weight,
)
from .filters import filters, search_cost, tests

__all__ = ["Env", "costs", "environment", "instrument", "render"]

_DICT_METHODS = frozenset({"get", "items", "keys", "values"})
_SEQUENCE_METHODS = frozenset({"count", "index"})
_LOOP_METHODS = frozenset({"cycle", "changed"})


# --- the environment -----------------------------------------------------------------------------

class Env(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the power operator is not allowed in prompts")
        if operator == "*":
            self._check_repeat(left, right)
        elif operator == "+" and not isinstance(left, (int, float)):
            budget().produce(weight(left) + weight(right))
        elif operator == "%" and isinstance(left, str):
            check_percent(left, right)
        return super().call_binop(context, operator, left, right)

    @staticmethod
    def _check_repeat(left: Any, right: Any) -> None:
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SecurityError(f"a number in a prompt would grow beyond {MAX_INT_BITS} bits")
            return
        sequence, count = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            if count > MAX_TEXT:
                raise SecurityError("a repeated string in a prompt would be too long")
            budget().produce(max(count, 0) * max(weight(sequence) - (2 if isinstance(sequence, str) else 0), 1))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) \
                or value.__name__ not in ("format", "format_map") or not isinstance(value.__self__, str):
            return None
        template: str = value.__self__
        is_map = value.__name__ == "format_map"

        def checked_format(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                return Formatter(self).vformat(template, (), args[0])
            return Formatter(self).vformat(template, args, kwargs)

        checked_format.studio_checked = True  # type: ignore[attr-defined]
        return checked_format

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - jinja's spelling
        b = budget()
        b.step()
        if getattr(__obj, "studio_checked", False):
            return __context.call(__obj, *args, **kwargs)
        if isinstance(__obj, Macro):
            b.step(b.call_cost)
            return __context.call(__obj, *args, **kwargs)
        if isinstance(__obj, LoopContext):  # a recursive loop's next level
            b.step(b.call_cost)
            if args:
                args = (_counted(args[0], b.call_cost), *args[1:])
            return __context.call(__obj, *args, **kwargs)
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str) and name in STR_METHODS:
            b.spend(len(owner) // 8)
            b.produce(STR_METHODS[name](owner, *args))
        elif isinstance(owner, str) and name == "join" and len(args) == 1:
            return join(owner, args[0])
        elif not ((isinstance(owner, dict) and name in _DICT_METHODS)
                  or (isinstance(owner, (list, tuple)) and name in _SEQUENCE_METHODS)
                  or (isinstance(owner, LoopContext) and name in _LOOP_METHODS)):
            what = f"{type(owner).__name__}.{name}" if owner is not None else name or type(__obj).__name__
            raise SecurityError(f"calling {what}() is not allowed in prompts")
        return super().call(__context, __obj, *args, **kwargs)

    # the hooks the instrumented template calls (``_Instrument``)
    def studio_iter(self, iterable: Iterable[Any], cost: int) -> Iterator[Any]:
        return _counted(iterable, cost)

    def studio_concat(self, *values: Any) -> str:
        budget().produce(sum(text_size(v) for v in values))
        return "".join(map(str, values))

    def studio_value(self, value: Any) -> Any:
        """A list, tuple or dict the template wrote: weighed like any value it builds."""
        budget().produce(weight(value))
        return value

    def studio_compare(self, left: Any, *pairs: Any) -> bool:
        """A comparison with ``in``: each operand evaluated once, left to right, as Python does, the
        search charged by the size of what is searched."""
        for op, right in zip(pairs[::2], pairs[1::2]):
            if op in ("in", "notin"):
                search_cost(right)
            if not _COMPARE[op](left, right):
                return False
            left = right
        return True

    def studio_out(self, value: Any) -> Any:
        if callable(value) and not isinstance(value, jinja2.Undefined):
            raise SecurityError("a prompt cannot print a function or method; call it or drop it")
        budget().produce(text_size(value))
        return value


for _checked in ("studio_iter", "studio_concat", "studio_out", "studio_value", "studio_compare"):
    getattr(Env, _checked).studio_checked = True


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b, "lteq": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "gteq": lambda a, b: a >= b, "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}


def _counted(iterable: Iterable[Any], cost: int) -> Iterator[Any]:
    b = budget()
    for item in iterable:
        b.step(cost)
        yield item


def _finalize(value: Any) -> Any:
    # a function's repr holds a memory address: never deterministic, never what the author meant
    if callable(value) and not isinstance(value, jinja2.Undefined):
        raise SecurityError("a prompt cannot print a function or method; call it or drop it")
    return value


@functools.lru_cache(maxsize=1)
def environment() -> Env:
    env = Env(loader=None, undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False,
              auto_reload=False, cache_size=0, finalize=_finalize)
    env.globals.clear()
    env.filters = filters()  # type: ignore[assignment]
    env.tests = tests()  # type: ignore[assignment]
    return env


# --- instrumenting a parsed template -------------------------------------------------------------

def _size(body: Iterable[nodes.Node]) -> int:
    return sum(1 + sum(1 for _ in node.find_all(nodes.Node)) for node in body)


def costs(tree: nodes.Template) -> int:
    """The largest body (loop, macro, call block) in a template, in nodes: what a macro call or a
    recursive loop iteration is charged."""
    bodies = [_size(n.body) for n in tree.find_all((nodes.For, nodes.Macro, nodes.CallBlock))]  # type: ignore[attr-defined]
    return max(bodies, default=1)


def _hook(name: str, *args: nodes.Node) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name), list(args), [], None, None)  # type: ignore[arg-type]


class _Instrument(NodeTransformer):
    """Loops count their iterations, ``~`` is checked, every printed value is weighed."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        cost = max(_size(node.body) + (_size([node.test]) if node.test is not None else 0), 1)
        node.iter = _hook("studio_iter", node.iter, nodes.Const(cost))
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _hook("studio_concat", *node.nodes)

    def visit_Compare(self, node: nodes.Compare) -> nodes.Node:
        self.generic_visit(node)
        if not any(op.op in ("in", "notin") for op in node.ops):
            return node
        args: list[nodes.Node] = [node.expr]
        for op in node.ops:
            args += [nodes.Const(op.op), op.expr]
        return _hook("studio_compare", *args)

    def _literal(self, node: nodes.Expr) -> nodes.Node:
        self.generic_visit(node)
        if getattr(node, "ctx", "load") != "load":
            return node
        return _hook("studio_value", node)

    visit_List = visit_Tuple = visit_Dict = _literal

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [_hook("studio_out", child) for child in node.nodes]
        return node


def instrument(tree: nodes.Template) -> nodes.Template:
    """``tree`` with its loops, concatenations and outputs routed through the budget (in place)."""
    result = _Instrument().visit(tree)
    assert isinstance(result, nodes.Template)
    result.set_environment(environment())
    return result


def render(template: jinja2.Template, variables: Mapping[str, Any], call_cost: int) -> str:
    """Render under a fresh budget; the output is assembled piece by piece within ``MAX_TEXT``."""
    b = Budget(call_cost)
    token = active.set(b)
    try:
        parts: list[str] = []
        length = 0
        for piece in template.generate(**variables):
            length += len(piece)
            if length > MAX_TEXT:
                raise SecurityError(f"a prompt grew beyond {MAX_TEXT:,} characters")
            parts.append(piece)
        return "".join(parts)
    finally:
        active.reset(token)
