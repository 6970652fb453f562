"""The Jinja environment style prompts render in: locked down, and bounded by construction.

A project file is untrusted (an LLM may have written it), so a template must neither reach Python
internals nor exhaust the machine. On top of jinja2's immutable sandbox:

- no loader (``include``/``import``/``extends`` fail), no globals (``range``, ``lipsum``,
  ``namespace``), undefined variables are errors, and only a listed set of filters (no ``random``:
  prompts enter cache keys and must be deterministic) and methods can be called;
- **every operation that builds text or a list is checked before it allocates**: ``*`` and ``+``
  on strings and lists, ``~``, ``%`` and ``str.format`` (widths and precisions are read from the
  format first), padding (``center``, ``ljust``, ``rjust``, ``zfill``, ``indent``), ``join``,
  ``replace``, ``batch``, ``slice``, and every value that is printed. The size of a value is its
  ``weight``: the characters its text takes, counted with an early stop, so ``[x, x]`` nested forty
  times is refused after a few thousand steps, not after 2**40;
- integers stay below ``MAX_INT_BITS`` (``n * n`` thirty times would take gigabytes);
- **every render has a budget** (``Budget``): ``steps`` counts template nodes evaluated (each loop
  iteration costs the size of the loop's body, each macro call the size of the macro) and
  Python-level work per item (sorting, grouping, joining); ``work`` counts the characters and
  items created. Exceeding either is E304. Loops and outputs are instrumented by rewriting the
  parsed template (``_Instrument``) before it is compiled.

Limits: ``MAX_TEXT`` for any one value, ``MAX_WORK`` characters created per render, ``MAX_STEPS``
steps per render. With them any template renders or fails in well under 0.5 s and 50 MB
(``bench/template_bounds.py`` measures the hostile ones).
"""

from __future__ import annotations

import functools
import itertools
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter, SecurityError
from jinja2.visitor import NodeTransformer

__all__ = ["MAX_STEPS", "MAX_TEXT", "MAX_WORK", "Budget", "Env", "costs", "environment", "instrument", "weight"]

MAX_TEXT = 20_000
"""Largest value a template may build: characters of a string, or the text weight of a list."""
MAX_WORK = 1_000_000
"""Characters and items a render may create in total (about 4 MB at worst)."""
MAX_STEPS = 50_000
"""Template nodes evaluated plus items handled one by one in Python, per render."""
MAX_INT_BITS = 4096


class Budget:
    """What one render may still spend; the active one lives in a context variable."""

    __slots__ = ("call_cost", "steps", "work")

    def __init__(self, call_cost: int = 1) -> None:
        self.steps = 0
        self.work = 0
        self.call_cost = call_cost
        """Steps a macro call or a recursive loop iteration costs: the largest body in the template."""

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > MAX_STEPS:
            raise SecurityError(f"the template does too much work (more than {MAX_STEPS:,} steps: loops, macro "
                                "calls, items handled)")

    def produce(self, n: int) -> None:
        """Before creating a value of weight ``n``."""
        if n > MAX_TEXT:
            raise SecurityError(f"a prompt grew beyond {MAX_TEXT:,} characters")
        self.spend(n)

    def spend(self, n: int) -> None:
        """Before reading or writing ``n`` characters in C code (a search, a parse, a copy)."""
        self.work += n
        if self.work > MAX_WORK:
            raise SecurityError(f"the template builds too much text (more than {MAX_WORK:,} characters in all)")


_ACTIVE: ContextVar[Budget | None] = ContextVar("studio_template_budget", default=None)


def budget() -> Budget:
    """The render's budget; outside a render (Jinja folding constants at compile time) a fresh one."""
    return _ACTIVE.get() or Budget()


_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))


def weight(value: Any, limit: int = MAX_TEXT) -> int:
    """About how many characters ``value`` takes as text (``str(value)``), counted only up to a
    little past ``limit``: shared sub-lists are counted each time they appear, as they print."""
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v) + 2
        elif isinstance(v, bool) or v is None:
            total += 5
        elif isinstance(v, int):
            total += v.bit_length() // 3 + 2
        elif isinstance(v, float):
            total += 24
        elif isinstance(v, (list, tuple, set, frozenset, *_VIEWS)):
            total += 2 + 2 * len(v)
            if total <= limit:
                stack.extend(v)
        elif isinstance(v, dict):
            total += 2 + 4 * len(v)
            if total <= limit:
                stack.extend(v.keys())
                stack.extend(v.values())
        else:
            total += 64  # a macro, a loop, an iterator: a short repr
        if total > limit:
            return total
    return total


def _text(value: Any) -> int:
    """Characters ``str(value)`` takes (a string's own length, without quotes)."""
    return len(value) if isinstance(value, str) else weight(value)


def _spec_numbers(spec: str) -> None:
    """Refuse a format spec whose width or precision (any run of digits) is beyond ``MAX_TEXT``."""
    for digits in re.findall(r"\d+", spec):
        if len(digits) > 6 or int(digits) > MAX_TEXT:
            raise SecurityError(f"a format width or precision of {digits[:12]} is too large (at most {MAX_TEXT:,})")


class _Formatter(SandboxedFormatter):
    """``str.format`` with every field's width checked before it is padded, and a running total."""

    def __init__(self, env: jinja2.Environment) -> None:
        super().__init__(env)
        self.total = 0

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion:
            self._grow(weight(value) * (4 if conversion == "a" else 1))
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        _spec_numbers(format_spec)
        widths = [int(d) for d in re.findall(r"\d+", format_spec)]
        self._grow(_text(value) + sum(widths) + 32)
        return super().format_field(value, format_spec)

    def _grow(self, n: int) -> None:
        self.total += n
        budget().produce(self.total)


_PERCENT = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)


def check_percent(fmt: str, args: Any) -> None:
    """Refuse ``fmt % args`` if its widths, precisions (``*`` ones included) or result are too large."""
    positional = list(args) if isinstance(args, tuple) else [args]
    index = 0
    total = len(fmt)

    def take() -> Any:
        nonlocal index
        value = positional[index] if index < len(positional) else None
        index += 1
        return value

    for match in _PERCENT.finditer(fmt):
        key, width, precision, conversion = match.groups()
        if conversion == "%":
            continue
        numbers = []
        for part in (width, precision):
            if part == "*":
                value = take()
                numbers.append(value if isinstance(value, int) else 0)
            elif part:
                numbers.append(int(part) if len(part) <= 6 else MAX_TEXT + 1)
        if any(abs(n) > MAX_TEXT for n in numbers):
            raise SecurityError(f"a format width or precision of {max(numbers, key=abs)} is too large "
                                f"(at most {MAX_TEXT:,})")
        if key is not None and isinstance(args, Mapping):
            arg = args.get(key)
        else:
            arg = take()
        total += sum(abs(n) for n in numbers) + _text(arg) * (4 if conversion in "ra" else 1) + 32
        budget().produce(total)


# --- methods a template may call, each with the size of what it returns --------------------------

def _width_arg(args: tuple[Any, ...], at: int = 0, default: int = 0) -> int:
    width = args[at] if len(args) > at else default
    if not isinstance(width, int) or isinstance(width, bool):
        raise TypeError("a width must be a whole number")
    if width > MAX_TEXT:
        raise SecurityError(f"a width of {width:,} is too large (at most {MAX_TEXT:,})")
    return width


def _replace_size(s: str, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(s)
    hits = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(s) + hits * max(len(new) - len(old), 0)


_STR_METHODS: dict[str, Callable[..., int]] = {
    # name -> (self, *args) -> size of the result; the call is refused if it is beyond MAX_TEXT
    **{name: (lambda s, *a: len(s) * 3) for name in (
        "capitalize", "casefold", "lower", "upper", "swapcase", "title")},
    **{name: (lambda s, *a: len(s)) for name in (
        "strip", "lstrip", "rstrip", "removeprefix", "removesuffix", "split", "rsplit", "splitlines",
        "partition", "rpartition")},
    **{name: (lambda s, *a: 8) for name in (  # a scan of the text (charged separately, see ``call``)
        "startswith", "endswith", "find", "rfind", "index", "rindex", "count", "isalnum", "isalpha",
        "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace",
        "istitle", "isupper")},
    **{name: (lambda s, *a: max(len(s), _width_arg(a))) for name in ("center", "ljust", "rjust", "zfill")},
    "expandtabs": lambda s, *a: len(s) + s.count("\t") * _width_arg(a, 0, 8),
    "replace": lambda s, *a: _replace_size(s, *a),
}
_DICT_METHODS = frozenset({"get", "items", "keys", "values"})
_SEQUENCE_METHODS = frozenset({"count", "index"})
_LOOP_METHODS = frozenset({"cycle", "changed"})


def _join(sep: str, items: Iterable[Any]) -> str:
    listed = list(itertools.islice(items, MAX_TEXT + 1))
    budget().step(len(listed))
    if len(listed) > MAX_TEXT:
        raise SecurityError(f"a prompt joins more than {MAX_TEXT:,} items")
    budget().produce(sum(_text(x) for x in listed) + len(sep) * max(len(listed) - 1, 0))
    return sep.join(map(str, listed))


# --- filters -------------------------------------------------------------------------------------

def _sized(growth: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A text filter whose result is at most ``growth`` times its input's text."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            value = args[1] if _passes_arg(fn) else args[0]
            budget().produce(_text(value) * growth)
            return fn(*args, **kwargs)
        return checked
    return wrap


def _per_item(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that handles its input's items one by one in Python: a step per item."""
    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        value = args[1] if _passes_arg(fn) else args[0]
        try:
            size = len(value)
        except TypeError:  # an iterator: counted as its items are made (by the filters that made it)
            size = 0
        budget().step(size)
        budget().produce(size)
        result = fn(*args, **kwargs)
        if isinstance(result, (list, tuple)):
            budget().produce(weight(result))
        return result
    return checked


def _passes_arg(fn: Callable[..., Any]) -> bool:
    return getattr(fn, "jinja_pass_arg", None) is not None


def _as_text(value: Any) -> str:
    """``str(value)``, charged before it is made."""
    budget().produce(_text(value))
    return str(value)


def _center(value: Any, width: int = 80) -> str:
    budget().produce(max(_text(value), _width_arg((width,))))
    return FILTERS["center"](value, width)


def _indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = _as_text(s)
    pad = len(width) if isinstance(width, str) else _width_arg((width,))
    budget().produce(len(text) + (text.count("\n") + 1) * pad)
    return FILTERS["indent"](text, width, first, blank)


@jinja2.pass_eval_context
def _replace(eval_ctx: Any, s: Any, old: str, new: str, count: int | None = None) -> str:
    text = _as_text(s)
    budget().produce(_replace_size(text, old, new, -1 if count is None else count))
    return FILTERS["replace"](eval_ctx, text, old, new, count)


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    text = _as_text(value)
    check_percent(text, kwargs or args)
    return FILTERS["format"](text, *args, **kwargs)


@jinja2.pass_eval_context
def _join_filter(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
    if attribute is not None:
        value = map(make_attrgetter(eval_ctx.environment, attribute), value)
    return _join(str(d), value)


def _batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Iterator[list[Any]]:
    _width_arg((linecount,))
    budget().produce(linecount)
    return FILTERS["batch"](value, linecount, fill_with)


@jinja2.pass_eval_context
def _slice(eval_ctx: Any, value: Iterable[Any], slices: int, fill_with: Any = None) -> Iterator[list[Any]]:
    _width_arg((slices,))
    budget().step(slices)
    return FILTERS["slice"](eval_ctx, value, slices, fill_with)


@jinja2.pass_environment
def _sum(env: Any, iterable: Iterable[Any], attribute: str | int | None = None, start: Any = 0) -> Any:
    items = list(itertools.islice(iterable, MAX_TEXT + 1))
    budget().step(len(items))
    if not isinstance(start, (int, float)):  # lists added together
        budget().produce(weight([start, *items]))
    return FILTERS["sum"](env, items, attribute, start)


def _title(s: Any) -> str:
    text = _as_text(s)
    budget().step(len(text) // 2)  # a word at a time
    budget().produce(len(text) * 3)
    return FILTERS["title"](text)


def _parsed(factor: Callable[[int], int]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A filter that parses text (``int``, ``float``, ``wordcount``): ``factor(n)`` work per character
    of an ``n``-character text (Python parses a long whole number in quadratic time)."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def checked(value: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(value, str):
                budget().spend(len(value) * factor(len(value)))
            return fn(value, *args, **kwargs)
        return checked
    return wrap


def _stepped(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Every filter or test call is a step (``map`` and ``select`` make one per item)."""
    @functools.wraps(fn)
    def counted(*args: Any, **kwargs: Any) -> Any:
        budget().step()
        return fn(*args, **kwargs)
    return counted


_SAME = ("abs", "attr", "count", "d", "default", "first", "last", "length", "round", "filesizeformat", "map",
         "select", "reject", "selectattr", "rejectattr", "items")
_TEXT = {"capitalize": 3, "lower": 3, "upper": 3, "trim": 1, "string": 1, "e": 6, "escape": 6, "forceescape": 6,
         "safe": 1, "striptags": 1, "truncate": 1, "reverse": 1, "urlencode": 12, "tojson": 6}
_ITEMS = ("list", "sort", "unique", "dictsort", "groupby", "min", "max")


def filters() -> dict[str, Callable[..., Any]]:
    """The filters a prompt may use, each checked. Left out: ``random`` (prompts enter cache keys),
    ``wordwrap``, ``pprint``, ``urlize``, ``xmlattr`` (nothing a prompt needs, and costly on long text)."""
    table: dict[str, Callable[..., Any]] = {name: FILTERS[name] for name in _SAME}
    table.update({name: _sized(growth)(FILTERS[name]) for name, growth in _TEXT.items()})
    table.update({name: _per_item(FILTERS[name]) for name in _ITEMS})
    table.update({"int": _parsed(lambda n: n // 256 + 1)(FILTERS["int"]),
                  "float": _parsed(lambda n: 1)(FILTERS["float"]),
                  "wordcount": _parsed(lambda n: 4)(FILTERS["wordcount"])})
    table.update({"center": _center, "indent": _indent, "replace": _replace, "format": _format, "join": _join_filter,
                  "batch": _batch, "slice": _slice, "sum": _sum, "title": _title})
    return {name: _stepped(fn) for name, fn in table.items()}


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
                args, kwargs = (), args[0]
            return _Formatter(self).vformat(template, args, kwargs)

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
        if isinstance(owner, str) and name in _STR_METHODS:
            b.spend(len(owner) // 8)
            b.produce(_STR_METHODS[name](owner, *args))
        elif isinstance(owner, str) and name == "join" and len(args) == 1:
            return _join(owner, args[0])
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
        budget().produce(sum(_text(v) for v in values))
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
                _charge_search(right)
            if not _COMPARE[op](left, right):
                return False
            left = right
        return True

    def studio_out(self, value: Any) -> Any:
        if callable(value) and not isinstance(value, jinja2.Undefined):
            raise SecurityError("a prompt cannot print a function or method; call it or drop it")
        budget().produce(_text(value))
        return value


for _hook in (Env.studio_iter, Env.studio_concat, Env.studio_out, Env.studio_value, Env.studio_compare):
    _hook.studio_checked = True  # type: ignore[attr-defined]


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b, "lteq": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "gteq": lambda a, b: a >= b, "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}


def _charge_search(container: Any) -> None:
    if isinstance(container, str):
        budget().spend(len(container) // 8)
    else:
        try:
            budget().step(len(container))
        except TypeError:
            pass


def _test_in(value: Any, seq: Any) -> bool:
    _charge_search(seq)
    return value in seq


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
    env.filters = filters()
    env.tests = {name: _stepped(fn) for name, fn in {**env.tests, "in": _test_in}.items()}
    return env


# --- instrumenting a parsed template -------------------------------------------------------------

def _size(body: Iterable[nodes.Node]) -> int:
    return sum(1 + sum(1 for _ in node.find_all(nodes.Node)) for node in body)


def costs(tree: nodes.Template) -> int:
    """The largest body (loop, macro, call block) in a template, in nodes: what a macro call or a
    recursive loop iteration is charged."""
    bodies = [_size(n.body) for n in tree.find_all((nodes.For, nodes.Macro, nodes.CallBlock))]
    return max(bodies, default=1)


def _hook(name: str, *args: nodes.Expr) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name), list(args), [], None, None)


class _Instrument(NodeTransformer):
    """Loops count their iterations, ``~`` is checked, every printed value is weighed."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        cost = max(_size(node.body) + (_size([node.test]) if node.test is not None else 0), 1)
        node.iter = _hook("studio_iter", node.iter, nodes.Const(cost))
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return _hook("studio_concat", *node.nodes)

    def visit_Compare(self, node: nodes.Compare) -> nodes.Node:
        node = self.generic_visit(node)
        if not any(op.op in ("in", "notin") for op in node.ops):
            return node
        args: list[nodes.Expr] = [node.expr]
        for op in node.ops:
            args += [nodes.Const(op.op), op.expr]
        return _hook("studio_compare", *args)

    def _literal(self, node: nodes.Expr) -> nodes.Node:
        node = self.generic_visit(node)
        if getattr(node, "ctx", "load") != "load":
            return node
        return _hook("studio_value", node)

    visit_List = visit_Tuple = visit_Dict = _literal

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        node = self.generic_visit(node)
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
    token = _ACTIVE.set(b)
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
        _ACTIVE.reset(token)

