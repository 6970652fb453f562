"""The syntax tree every surface syntax produces: a JSON-like document whose nodes carry spans.

YAML (``*.studio.yaml``) and the screenplay DSL (``*.studio``) both produce this tree, so that
validation, resolution and planning, and therefore every cache key, cannot tell them apart.
Nodes are immutable; ``to_data`` strips the spans for validation, ``locate`` maps a data path
(as pydantic reports it) back to the span the user wrote.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq
from dataclasses import dataclass

from .diagnostics import Span
from .source import SourceFile

__all__ = ["Key", "Mapping", "Node", "Path", "Project", "Scalar", "Sequence", "locate", "to_data"]

ScalarValue = str | int | float | bool | None
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Scalar:
    value: ScalarValue
    span: Span


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Mapping:
    entries: tuple[tuple[Key, Node], ...]
    span: Span

    def get(self, name: str) -> Node | None:
        for key, value in self.entries:
            if key.name == name:
                return value
        return None

    def key(self, name: str) -> Key | None:
        for key, _ in self.entries:
            if key.name == name:
                return key
        return None


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple[Node, ...]
    span: Span


Node = Scalar | Mapping | Sequence


@dataclass(frozen=True)
class Project:
    """A parsed project file: its source and the document tree (``None`` if it did not parse)."""

    source: SourceFile
    root: Node | None
    syntax: str  # "yaml" or "studio"


def to_data(node: Node) -> object:
    """The plain Python value of a node (dicts keep source order)."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Mapping):
        return {key.name: to_data(value) for key, value in node.entries}
    return [to_data(item) for item in node.items]


def locate(root: Node, path: Seq[str | int], *, key: bool = False) -> Span:
    """The span of the node at ``path``, or of its nearest existing ancestor.

    With ``key=True`` and a path ending in a mapping key, the span of the key itself
    (where an unknown or misspelt key should be underlined).
    """
    node: Node = root
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, Mapping) and isinstance(part, str):
            k = node.key(part)
            if k is None:
                return _head(node)
            if last and key:
                return k.span
            child = node.get(part)
            assert child is not None
            node = child
        elif isinstance(node, Sequence) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        else:
            return _head(node)
    return node.span if isinstance(node, Scalar) else _head(node)


def _head(node: Node) -> Span:
    """A collection's span trimmed to its first line, so carets stay readable."""
    s = node.span
    if isinstance(node, Scalar) or s.end_line == s.line:
        return s
    if isinstance(node, Mapping) and node.entries:
        first = node.entries[0][0].span
        return Span(s.file, first.line, first.column, first.end_line, first.end_column)
    return Span(s.file, s.line, s.column, s.line, s.column + 1)
