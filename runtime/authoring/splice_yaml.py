"""Edits that write a changed YAML document into the original text (see ``splice``).

Scalars are replaced in place (their quoting style kept where the new value allows it, so a trailing
comment on the line survives); keys are renamed in place; mapping entries and list items (matched by
``id`` where they have one) are deleted, inserted from the canonical rendering (re-indented to their
siblings) or, when their shape changed, replaced by it. Flow collections are replaced whole.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable
from typing import Any, TypeVar

from studio_lang import ast

from .splice import Edit, Lines, same, shift

__all__ = ["render_scalar", "yaml_edits"]


class _Cannot(Exception):
    """This part cannot be spliced; its parent replaces it whole."""


def _yaml_value(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def render_scalar(value: Any, original: str, flow: bool) -> str:
    """YAML text for a scalar replacing ``original`` (whose quoting style is kept when it can be)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        return repr(value) if math.isfinite(value) else (".inf" if value > 0 else "-.inf")
    if not isinstance(value, str):
        raise _Cannot()
    if original[:1] in "|>":
        raise _Cannot()
    double = json.dumps(value, ensure_ascii=False)
    if original.startswith('"'):
        return double
    candidates = [value] if not original.startswith("'") else []
    if "\n" not in value:
        candidates.append("'" + value.replace("'", "''") + "'")
    for text in candidates:
        try:
            loaded = _yaml_value(f"{{k: {text}}}" if flow else f"k: {text}\n")
        except Exception:  # ruamel's errors have no common base worth naming here
            continue
        if isinstance(loaded, dict) and loaded.get("k") == value and isinstance(loaded.get("k"), str):
            return text
    return double


class _Splicer:
    def __init__(self, text: str, full: str, root: ast.Node) -> None:
        self.o = Lines(text)
        self.e = Lines(full)
        self.edits: list[Edit] = []
        self.originals = _items_by_content(root)
        """Every list item of the original by its content: a moved item keeps its own text."""

    # --- where things are ------------------------------------------------------------------
    def flow(self, lines: Lines, node: ast.Node) -> bool:
        if isinstance(node, ast.Scalar):
            return False
        return lines.text(node.span.line)[node.span.column - 1: node.span.column] in ("{", "[")

    def entry_range(self, lines: Lines, key: ast.Key, value: ast.Node) -> tuple[int, int]:
        return key.span.line, max(key.span.line, lines.last_line(value))

    def item_range(self, lines: Lines, item: ast.Node) -> tuple[int, int]:
        first = item.span.line
        if "-" not in lines.text(first)[: item.span.column - 1]:
            if lines.text(first - 1).strip() != "-":
                raise _Cannot()
            first -= 1
        return first, max(first, lines.last_line(item))

    def e_lines(self, first: int, last: int) -> list[str]:
        return [self.e.text(n) for n in range(first, last + 1)]

    # --- edits -----------------------------------------------------------------------------------
    def replace_span(self, node: ast.Node | ast.Key, text: str) -> None:
        s = node.span
        if s.line <= 0:
            raise _Cannot()
        head = self.o.text(s.line)[: s.column - 1]
        tail = self.o.text(s.end_line)[s.end_column - 1:]
        self.edits.append(Edit(s.line - 1, s.end_line, (head + text + tail,)))

    def delete(self, first: int, last: int) -> None:
        self.edits.append(Edit(self.o.attached_comments(first) - 1, last, ()))

    def insert_after(self, line: int, lines: list[str]) -> None:
        self.edits.append(Edit(line, line, tuple(lines)))

    # --- the walk ------------------------------------------------------------------------------
    def node(self, o: ast.Node, e: ast.Node, value: Any, flow_parent: bool = False) -> None:
        if same(ast.to_data(o), value):
            return
        if isinstance(o, ast.Scalar) and not isinstance(value, (dict, list)):
            original = self.o.text(o.span.line)[o.span.column - 1:]
            self.replace_span(o, render_scalar(value, original, flow_parent or self.in_flow(o)))
            return
        if self.flow(self.o, o):
            raise _Cannot()
        if isinstance(o, ast.Mapping) and isinstance(e, ast.Mapping) and isinstance(value, dict):
            self.mapping(o, e, value)
        elif isinstance(o, ast.Sequence) and isinstance(e, ast.Sequence) and isinstance(value, list):
            self.sequence(o, e, value)
        else:
            raise _Cannot()

    def in_flow(self, scalar: ast.Scalar) -> bool:
        before = self.o.text(scalar.span.line)[: scalar.span.column - 1]
        return before.count("{") + before.count("[") > before.count("}") + before.count("]")

    def mapping(self, o: ast.Mapping, e: ast.Mapping, value: dict[str, Any]) -> None:
        if not o.entries:
            raise _Cannot()
        names = [k.name for k, _ in o.entries]
        new = list(value)
        becomes = list(names)  # what each original entry is now: itself, or renamed in place
        for i, (key, _) in enumerate(o.entries):
            if key.name not in value and i < len(new) and new[i] not in names:
                becomes[i] = new[i]
                self.replace_span(key, render_scalar(new[i], self.o.text(key.span.line)[key.span.column - 1:], False))
        for (key, child), target in zip(o.entries, becomes, strict=True):
            if target in value:
                self.child(o, key.name, e, target, value[target])
            else:
                self.delete(*self.entry_range(self.o, key, child))
        for name in (k for k in new if k not in becomes):  # after the entry that precedes it now
            at = new.index(name)
            before = next((k for k in reversed(new[:at]) if k in becomes), None)
            if before is None:
                raise _Cannot()
            o_key, o_value = o.entries[becomes.index(before)]
            e_key, e_value = e.key(name), e.get(name)
            assert e_key is not None and e_value is not None
            lines = self.e_lines(*self.entry_range(self.e, e_key, e_value))
            self.insert_after(self.entry_range(self.o, o_key, o_value)[1],
                              shift(lines, o_key.span.column - e_key.span.column))

    def child(self, o: ast.Mapping, name: str, e: ast.Mapping, e_name: str, value: Any) -> None:
        o_value, e_value = o.get(name), e.get(e_name)
        o_key, e_key = o.key(name), e.key(e_name)
        assert o_value is not None and e_value is not None and o_key is not None and e_key is not None
        try:
            self.node(o_value, e_value, value)
        except _Cannot:
            first, last = self.entry_range(self.o, o_key, o_value)
            lines = self.e_lines(*self.entry_range(self.e, e_key, e_value))
            if "-" in self.o.text(first)[: o_key.span.column - 1]:
                raise  # the entry shares its line with the item's dash: the item is replaced instead
            self.edits = [x for x in self.edits if not first - 1 <= x.start < last]
            self.edits.append(Edit(first - 1, last, tuple(shift(lines, o_key.span.column - e_key.span.column))))

    def sequence(self, o: ast.Sequence, e: ast.Sequence, value: list[Any]) -> None:
        old_data = [ast.to_data(i) for i in o.items]
        old_ids = _ids(old_data)
        new_ids = _ids(value)
        if old_ids is None or new_ids is None:
            if len(o.items) == len(value) == len(e.items):
                for item, e_item, v in zip(o.items, e.items, value, strict=True):
                    self.item(item, e_item, v)
                return
            old_ids, new_ids = _content_ids(old_data), _content_ids(value)  # items added or removed
        if not o.items:
            raise _Cannot()
        stable = _lcs([i for i in old_ids if i in new_ids], [i for i in new_ids if i in old_ids])
        if not stable:
            raise _Cannot()
        o_by = dict(zip(old_ids, o.items, strict=True))
        e_by = dict(zip(new_ids, e.items, strict=True))
        indent = self.o.indent(self.item_range(self.o, o.items[0])[0])
        for i in old_ids:
            if i not in stable:
                self.delete(*self.item_range(self.o, o_by[i]))
        previous: str | None = None
        pending: list[str] = []
        for i, v in zip(new_ids, value, strict=True):
            if i in stable:
                self.flush(pending, previous, o_by, o.items[0], indent)
                pending = []
                self.item(o_by[i], e_by[i], v)
                previous = i
            else:
                pending += self.shifted_item(e_by[i], v, indent)
        self.flush(pending, previous, o_by, o.items[0], indent)

    def shifted_item(self, e_item: ast.Node, value: Any, indent: int) -> list[str]:
        """An item to insert: the original's own lines (comments above it included) when the same item
        was somewhere in the file (a move), else the canonical rendering."""
        original = self.originals.get(json.dumps(value, sort_keys=False))
        if original is not None:
            first, last = self.item_range(self.o, original)
            first = self.o.attached_comments(first)
            lines = [self.o.text(n) for n in range(first, last + 1)]
            return shift(lines, indent - self.o.indent(self.item_range(self.o, original)[0]))
        first, last = self.item_range(self.e, e_item)
        return shift(self.e_lines(first, last), indent - self.e.indent(first))

    def flush(self, lines: list[str], previous: str | None, o_by: dict[str, ast.Node], first_item: ast.Node,
              indent: int) -> None:
        if not lines:
            return
        if previous is not None:
            self.insert_after(self.item_range(self.o, o_by[previous])[1], lines)
        else:
            start = self.o.attached_comments(self.item_range(self.o, first_item)[0])
            self.insert_after(start - 1, lines)

    def item(self, o: ast.Node, e: ast.Node, value: Any) -> None:
        try:
            self.node(o, e, value)
        except _Cannot:
            first, last = self.item_range(self.o, o)
            e_first, e_last = self.item_range(self.e, e)
            self.edits = [x for x in self.edits if not first - 1 <= x.start < last]
            self.edits.append(Edit(first - 1, last, tuple(shift(self.e_lines(e_first, e_last),
                                                                self.o.indent(first) - self.e.indent(e_first)))))


def _ids(values: list[Any]) -> list[str] | None:
    if values and all(isinstance(v, dict) and isinstance(v.get("id"), str) for v in values):
        ids = [v["id"] for v in values]
        return ids if len(set(ids)) == len(ids) else None
    return None


def _items_by_content(root: ast.Node) -> dict[str, ast.Node]:
    out: dict[str, ast.Node] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Mapping):
            stack.extend(v for _, v in node.entries)
        elif isinstance(node, ast.Sequence):
            for item in node.items:
                if isinstance(item, ast.Mapping):
                    out.setdefault(json.dumps(ast.to_data(item), sort_keys=False), item)
                stack.append(item)
    return out


def _content_ids(values: list[Any]) -> list[str]:
    """Ids for items without one: their content, numbered when it repeats."""
    seen: dict[str, int] = {}
    out = []
    for v in values:
        text = json.dumps(v, sort_keys=True)
        seen[text] = seen.get(text, 0) + 1
        out.append(f"{seen[text]}\0{text}")
    return out


T = TypeVar("T", bound=Hashable)


def _lcs(a: list[T], b: list[T]) -> set[T]:
    """Items of the longest common subsequence of two orders (the ones that did not move)."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    out: set[T] = set()
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            out.add(a[i])
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def yaml_edits(text: str, root: ast.Node, full: str, emitted: ast.Node, data: dict[str, Any]) -> list[Edit] | None:
    """The edits that turn ``text`` (parsed as ``root``) into a text of ``data``; None if it cannot be done
    part by part."""
    splicer = _Splicer(text, full, root)
    try:
        splicer.node(root, emitted, data)
    except _Cannot:
        return None
    return splicer.edits
