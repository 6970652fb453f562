"""The filters a prompt may use, each wrapped so that its cost is checked and charged first."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.tests import TESTS

from .budget import MAX_TEXT, budget, check_percent, join, replace_size, text_size, weight, width_arg

__all__ = ["filters", "search_cost", "tests"]


def _sized(growth: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A text filter whose result is at most ``growth`` times its input's text."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            value = args[1] if _passes_arg(fn) else args[0]
            budget().produce(text_size(value) * growth)
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


def _astext_size(value: Any) -> str:
    """``str(value)``, charged before it is made."""
    budget().produce(text_size(value))
    return str(value)


def _center(value: Any, width: int = 80) -> str:
    budget().produce(max(text_size(value), width_arg((width,))))
    return FILTERS["center"](value, width)


def _indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = _astext_size(s)
    pad = len(width) if isinstance(width, str) else width_arg((width,))
    budget().produce(len(text) + (text.count("\n") + 1) * pad)
    return FILTERS["indent"](text, width, first, blank)


@jinja2.pass_eval_context
def _replace(eval_ctx: Any, s: Any, old: str, new: str, count: int | None = None) -> str:
    text = _astext_size(s)
    budget().produce(replace_size(text, old, new, -1 if count is None else count))
    return FILTERS["replace"](eval_ctx, text, old, new, count)


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    text = _astext_size(value)
    check_percent(text, kwargs or args)
    return FILTERS["format"](text, *args, **kwargs)


@jinja2.pass_eval_context
def _join_filter(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
    if attribute is not None:
        value = map(make_attrgetter(eval_ctx.environment, attribute), value)
    return join(str(d), value)


def _batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Iterator[list[Any]]:
    width_arg((linecount,))
    budget().produce(linecount)
    return FILTERS["batch"](value, linecount, fill_with)


@jinja2.pass_eval_context
def _slice(eval_ctx: Any, value: Iterable[Any], slices: int, fill_with: Any = None) -> Iterator[list[Any]]:
    width_arg((slices,))
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
    text = _astext_size(s)
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


def search_cost(container: Any) -> None:
    """Charge a search through ``container`` (``in``): C-speed over text, an item at a time otherwise."""
    if isinstance(container, str):
        budget().spend(len(container) // 8)
    else:
        try:
            budget().step(len(container))
        except TypeError:
            pass


def _test_in(value: Any, seq: Any) -> bool:
    search_cost(seq)
    return value in seq


def tests() -> dict[str, Callable[..., Any]]:
    """Jinja's tests, each call a step; ``in`` charged by what it searches."""
    table: dict[str, Callable[..., Any]] = dict(TESTS)  # type: ignore[arg-type]
    table["in"] = _test_in
    return {name: _stepped(fn) for name, fn in table.items()}
