"""The static check of a prompt template: every variable and field it reads must be one the renderer
provides (``VARIABLES``), so a mistake in a style no shot uses is reported too (``{{ shot.kind }}``)."""

from __future__ import annotations

from typing import Any

from jinja2 import meta, nodes

__all__ = ["VARIABLES", "TemplateProblem", "check_names"]

_ELEMENT = {"name": str, "description": str}
VARIABLES: dict[str, Any] = {
    "action": str,
    "shot": {"id": str, "type": str, "duration": float, "camera": {"move": str, "amount": float}},
    "scene": {"id": str, "heading": str},
    "location": _ELEMENT,
    "characters": [_ELEMENT],
    "project": {"title": str},
    "style": {"name": str},
}
"""What a prompt template sees (``compiler.resolve`` builds exactly this; a test keeps them equal):
``str`` text, ``float`` a number, a dict a mapping with these keys, ``[x]`` a list of ``x``.
``location`` is None in a shot without one."""
_MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})


class TemplateProblem(Exception):
    """A template that cannot be compiled or rendered; ``code`` is the diagnostic code."""

    def __init__(self, code: str, message: str, line: int | None = None, hint: str | None = None,
                 needle: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.line = line
        self.hint = hint
        self.needle = needle
        """The text in the template the problem is about (``shot.kind``), to point at."""


def check_names(tree: nodes.Template) -> None:
    """Raise E303 for the first variable the renderer does not provide, or field it does not have."""
    from ..validate import closest

    for name in sorted(meta.find_undeclared_variables(tree) - set(VARIABLES)):
        line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), None)
        guess = closest(name, VARIABLES)
        raise TemplateProblem("E303", f"template error: '{name}' is undefined", line,
                              f"did you mean '{guess}'?" if guess else f"prompt variables: {', '.join(VARIABLES)}",
                              name)
    stores: dict[str, int] = {}
    for n in tree.find_all(nodes.Name):
        if n.ctx in ("store", "param"):
            stores[n.name] = stores.get(n.name, 0) + 1
    shadowed = set(stores)
    bound: dict[str, Any] = {}  # a loop variable bound once, over a list the renderer provides
    for loop in tree.find_all(nodes.For):
        target = loop.target
        if isinstance(target, nodes.Name) and stores[target.name] == 1:
            over = _schema(loop.iter, shadowed, {})
            if isinstance(over, list):
                bound[target.name] = over[0]
    fields = [n for n in tree.find_all((nodes.Getattr, nodes.Getitem)) if isinstance(n, (nodes.Getattr, nodes.Getitem))]
    problems = [p for n in fields if (p := _field_problem(n, shadowed, bound))]
    if problems:
        line, message, hint, needle = min(problems, key=lambda p: p[0])
        raise TemplateProblem("E303", f"template error: {message}", line, hint, needle)


def _schema(expr: nodes.Node, shadowed: set[str], bound: dict[str, Any]) -> Any:
    """What ``expr`` is, by ``VARIABLES``; None when the check cannot tell."""
    if isinstance(expr, nodes.Name):
        if expr.name in bound:
            return bound[expr.name]
        return VARIABLES.get(expr.name) if expr.name not in shadowed else None
    field = _field(expr)
    if field is None:
        return None
    inner = _schema(expr.node, shadowed, bound)  # type: ignore[attr-defined]
    if isinstance(inner, dict):
        return inner.get(field) if isinstance(field, str) else None
    if isinstance(inner, list) and isinstance(field, int):
        return inner[0]
    return None


def _field(expr: nodes.Node) -> str | int | None:
    if isinstance(expr, nodes.Getattr):
        return expr.attr
    if isinstance(expr, nodes.Getitem) and isinstance(expr.arg, nodes.Const) and isinstance(expr.arg.value, (str, int)):
        return expr.arg.value
    return None


def _field_problem(expr: nodes.Getattr | nodes.Getitem, shadowed: set[str], bound: dict[str, Any]
                   ) -> tuple[int, str, str, str] | None:
    from ..validate import closest

    field = _field(expr)
    inner = _schema(expr.node, shadowed, bound)
    if not isinstance(field, str) or inner is None:
        return None
    what = _describe(expr.node)
    needle = _describe(expr)
    if isinstance(inner, dict) and field not in inner and field not in _MAPPING_METHODS:
        guess = closest(field, inner)
        fields = f"'{what}' has {', '.join(inner)}"
        return (expr.lineno, f"'{what}' has no '{field}'",
                f"did you mean '{guess}'? ({fields})" if guess else fields, needle)
    if inner is str and not hasattr(str, field):
        return expr.lineno, f"'{what}' is text: it has no '{field}'", "use it as it is, or with filters", needle
    if isinstance(inner, list) and not hasattr(list, field):
        return (expr.lineno, f"'{what}' is a list: it has no '{field}'", f"loop over it: {{% for x in {what} %}}",
                needle)
    return None


def _describe(expr: nodes.Node) -> str:
    if isinstance(expr, nodes.Name):
        return expr.name
    field = _field(expr)
    if field is not None:
        return f"{_describe(expr.node)}.{field}" if isinstance(field, str) else f"{_describe(expr.node)}[{field}]"  # type: ignore[attr-defined]
    return "value"
