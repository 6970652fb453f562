"""Every field of the project format, read from the JSON Schema that the pydantic models generate,
and valid edits of each: the machinery of tests/compiler/test_key_coverage.py.

A field is named by its path from the top of the file: ``project.seed``, ``styles.*.palette``
(``*``: any key of a named map), ``scenes[].shots[].dialogue[].line`` (``[]``: any item of a list).
Leaves are the fields whose type is not itself an object of the format (numbers, text, lists of
colours, free-form ``params``); objects of the format are walked into, so a field added to any of
them, however deep, is found without anyone listing it.

Edits are generated from the field's schema (another enum value, a number inside its bounds, a name
that the project defines, a file that exists, one entry of a free-form map changed...); the caller
keeps the first one that compiles without errors.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["Instance", "candidates", "get", "instances", "leaves", "put"]

Path = tuple[str | int, ...]
Instance = tuple[Path, bool]
"""(where the field is in a document, whether the document sets it there)."""


def leaves(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field path -> its schema, for every leaf field of the format, in schema order."""
    defs = schema.get("$defs", {})
    out: dict[str, dict[str, Any]] = {}

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[1]]
        return node

    def model(node: dict[str, Any]) -> dict[str, Any] | None:
        """The object of the format that ``node`` holds (through ``X | None``), if any."""
        node = deref(node)
        options = [deref(o) for o in node.get("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1:
            node = options[0]
        return node if "properties" in node else None

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, sub in node["properties"].items():
            visit(sub, f"{prefix}.{name}" if prefix else name)

    def visit(sub: dict[str, Any], path: str) -> None:
        obj = model(sub)
        if obj is not None:
            walk(obj, path)
            return
        node = deref(sub)
        items = model(node["items"]) if node.get("type") == "array" and "items" in node else None
        if items is not None:
            walk(items, f"{path}[]")
            return
        values = [*node.get("patternProperties", {}).values()]
        if isinstance(node.get("additionalProperties"), dict):
            values.append(node["additionalProperties"])
        entry = model(values[0]) if node.get("type") == "object" and len(values) == 1 else None
        if entry is not None:
            walk(entry, f"{path}.*")
            return
        out[path] = {**sub, "$defs": defs}

    walk(deref(schema), "")
    return out


def _steps(field: str) -> list[str]:
    """``scenes[].shots[].id`` -> ``["scenes", "[]", "shots", "[]", "id"]``."""
    out: list[str] = []
    for part in field.split("."):
        name, brackets = part.removesuffix("[]"), part.endswith("[]")
        out.append(name)
        if brackets:
            out.append("[]")
    return out


def instances(doc: Any, field: str) -> list[Instance]:
    """Every place in ``doc`` whose object can hold ``field``: first those where it is set, then the
    rest, each group in document order."""
    steps = _steps(field)
    found: list[Instance] = []

    def walk(node: Any, i: int, path: Path) -> Iterator[Instance]:
        step = steps[i]
        if i == len(steps) - 1:
            if isinstance(node, dict):
                yield (*path, step), step in node
            return
        if step == "[]":
            for n, item in enumerate(node if isinstance(node, list) else []):
                yield from walk(item, i + 1, (*path, n))
        elif step == "*":
            for key, item in (node.items() if isinstance(node, dict) else []):
                yield from walk(item, i + 1, (*path, key))
        elif isinstance(node, dict) and isinstance(node.get(step), (dict, list)):
            yield from walk(node[step], i + 1, (*path, step))
        elif isinstance(node, dict) and step not in node and steps[i + 1] not in ("[]", "*"):
            yield from walk({}, i + 1, (*path, step))  # an absent optional object: it may be created

    found = list(walk(doc, 0, ()))
    return [f for f in found if f[1]] + [f for f in found if not f[1]]


def get(doc: Any, path: Path) -> Any:
    node = doc
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)  # type: ignore[call-overload]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def put(doc: Any, path: Path, value: Any) -> Any:
    """A deep copy of ``doc`` with ``path`` set to ``value`` (missing objects on the way created)."""
    out = copy.deepcopy(doc)
    node = out
    for part in path[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    node[path[-1]] = value
    return out


def candidates(schema: dict[str, Any], current: Any, words: list[str]) -> list[Any]:
    """Values that the schema accepts for a field now holding ``current``, the likeliest to be valid
    first; ``words`` are texts the project makes meaningful (its names, files, 'scene/shot' ids)."""
    out: list[Any] = []
    for value in _values(schema, current, words, schema.get("$defs", {})):
        if value != current or type(value) is not type(current):
            if value not in out and not (value == current and isinstance(value, (int, float))):
                out.append(value)
    return out


def _values(node: dict[str, Any], current: Any, words: list[str], defs: dict[str, Any]) -> Iterator[Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        for option in options:
            yield from _values(option, current, words, defs)
        yield from node.get("examples", [])
        if len(options) < len(node["anyOf"]) and current is not None:
            yield None  # unset an optional field: an edit too
        return
    if "const" in node:
        yield node["const"]
        return
    if "enum" in node:
        yield from node["enum"]
        return
    kind = node.get("type")
    default = node.get("default")
    if kind == "boolean":
        yield not (current if isinstance(current, bool) else bool(default))
    elif kind in ("integer", "number"):
        yield from _numbers(node, current, default, kind == "integer")
    elif kind == "string":
        yield from _texts(node, current, words)
    elif kind == "array":
        yield from _arrays(node, current, words, defs)
    elif kind == "object":
        yield from _maps(current, words)


def _numbers(node: dict[str, Any], current: Any, default: Any, integer: bool) -> Iterator[Any]:
    lo = node.get("minimum", node.get("exclusiveMinimum", -math.inf))
    hi = node.get("maximum", node.get("exclusiveMaximum", math.inf))
    base = current if isinstance(current, (int, float)) and not isinstance(current, bool) else \
        default if isinstance(default, (int, float)) else lo if math.isfinite(lo) else 0
    steps = [1, -1, 2, -2, 10, -10] if integer else [0.25, -0.25, 1, -1, 0.5, -0.5]
    for value in [*(base + s for s in steps), *node.get("examples", []), lo, hi]:
        if isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi \
                and value != node.get("exclusiveMinimum") and value != node.get("exclusiveMaximum"):
            yield int(value) if integer else value


def _texts(node: dict[str, Any], current: Any, words: list[str]) -> Iterator[str]:
    pattern = node.get("pattern")
    texts = [*node.get("examples", []), *words, "edited", f"{current} edited" if isinstance(current, str) else "x"]
    for text in texts:
        if not isinstance(text, str):
            continue
        if pattern is not None and not re.search(pattern, text):
            continue
        if not node.get("minLength", 0) <= len(text) <= node.get("maxLength", 10**9):
            continue
        yield text


def _arrays(node: dict[str, Any], current: Any, words: list[str], defs: dict[str, Any]) -> Iterator[Any]:
    items = node.get("items", {})
    have = list(current) if isinstance(current, list) else []
    fresh = list(_values(items, None, words, defs))
    if have:
        for value in _values(items, have[-1], words, defs):
            if value != have[-1]:
                yield [*have[:-1], value]  # the last item changed
    if len(have) < node.get("maxItems", 10**9):
        for value in fresh:
            yield [*have, value]  # one item more
    yield from node.get("examples", [])
    if len(have) > node.get("minItems", 0):
        yield have[:-1]  # one item fewer


def _maps(current: Any, words: list[str]) -> Iterator[Any]:
    """A free-form map (model ``params``): one existing entry changed, else one entry added."""
    have = dict(current) if isinstance(current, dict) else {}
    for key, value in have.items():
        if isinstance(value, bool):
            yield {**have, key: not value}
        elif isinstance(value, (int, float)):
            for step in (1, -1, 0.5):
                yield {**have, key: value + step}
        elif isinstance(value, str):
            for word in (*words, f"{value}2"):
                yield {**have, key: word}
    yield {**have, "edited": 1}
