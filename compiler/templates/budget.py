"""Limits and the budget of one render: what a template may build, and what it has spent.

The size of a value is its ``weight``: about the characters its text takes, counted with an early
stop, so ``[x, x]`` nested forty times is measured in a few thousand steps, not 2**40. Every check
here runs *before* the operation it guards allocates anything: ``produce(n)`` refuses a value of
more than ``MAX_TEXT`` and charges ``n`` to the render's ``work``; ``spend(n)`` charges C-level
reading (a search, a parse); ``step(n)`` charges Python-level work (template nodes, items).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedFormatter, SecurityError

__all__ = ["MAX_INT_BITS", "MAX_STEPS", "MAX_TEXT", "MAX_WORK", "STR_METHODS", "Budget", "Formatter", "active",
           "budget", "check_percent", "join", "replace_size", "text_size", "weight",
           "width_arg"]

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


active: ContextVar[Budget | None] = ContextVar("studio_template_budget", default=None)
"""The budget of the render in progress (set by ``sandbox.render``)."""


def budget() -> Budget:
    """The render's budget; outside a render (Jinja folding constants at compile time) a fresh one."""
    return active.get() or Budget()


_COLLECTIONS: tuple[type, ...] = (list, tuple, set, frozenset, type({}.keys()), type({}.values()), type({}.items()))


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
        elif isinstance(v, _COLLECTIONS):
            items: Any = v
            total += 2 + 2 * len(items)
            if total <= limit:
                stack.extend(items)
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


def text_size(value: Any) -> int:
    """Characters ``str(value)`` takes (a string's own length, without quotes)."""
    return len(value) if isinstance(value, str) else weight(value)


def _spec_numbers(spec: str) -> None:
    """Refuse a format spec whose width or precision (any run of digits) is beyond ``MAX_TEXT``."""
    for digits in re.findall(r"\d+", spec):
        if len(digits) > 6 or int(digits) > MAX_TEXT:
            raise SecurityError(f"a format width or precision of {digits[:12]} is too large (at most {MAX_TEXT:,})")


class Formatter(SandboxedFormatter):
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
        self._grow(text_size(value) + sum(widths) + 32)
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
                shown = str(value)[:12]
                numbers.append(value if isinstance(value, int) else 0)
            elif part:
                shown = part[:12]  # as written: a billion is not reported as 20,001
                numbers.append(int(part) if len(part) <= 6 else MAX_TEXT + 1)
            else:
                continue
            if abs(numbers[-1]) > MAX_TEXT:
                raise SecurityError(f"a format width or precision of {shown} is too large (at most {MAX_TEXT:,})")
        if key is not None and isinstance(args, Mapping):
            arg = args.get(key)
        else:
            arg = take()
        total += sum(abs(n) for n in numbers) + text_size(arg) * (4 if conversion in "ra" else 1) + 32
        budget().produce(total)


# --- methods a template may call, each with the size of what it returns --------------------------

def width_arg(args: tuple[Any, ...], at: int = 0, default: int = 0) -> int:
    width = args[at] if len(args) > at else default
    if not isinstance(width, int) or isinstance(width, bool):
        raise TypeError("a width must be a whole number")
    if width > MAX_TEXT:
        raise SecurityError(f"a width of {width:,} is too large (at most {MAX_TEXT:,})")
    return width


def replace_size(s: str, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(s)
    hits = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(s) + hits * max(len(new) - len(old), 0)


STR_METHODS: dict[str, Callable[..., int]] = {
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
    **{name: (lambda s, *a: max(len(s), width_arg(a))) for name in ("center", "ljust", "rjust", "zfill")},
    "expandtabs": lambda s, *a: len(s) + s.count("\t") * width_arg(a, 0, 8),
    "replace": lambda s, *a: replace_size(s, *a),
}


def join(sep: str, items: Iterable[Any]) -> str:
    listed = list(itertools.islice(items, MAX_TEXT + 1))
    budget().step(len(listed))
    if len(listed) > MAX_TEXT:
        raise SecurityError(f"a prompt joins more than {MAX_TEXT:,} items")
    budget().produce(sum(text_size(x) for x in listed) + len(sep) * max(len(listed) - 1, 0))
    return sep.join(map(str, listed))
