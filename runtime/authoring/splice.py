"""An edited document written back into the user's text, touching only what changed.

The edit operations change the document's data; this module finds what changed and rewrites just
those places in the original text, so comments, key order and formatting elsewhere stay byte for
byte as they were:

- ``graft`` builds the new tree, reusing the original nodes (and so their spans) where nothing
  changed; the emitters (ruamel for YAML, the DSL emitter) render it with the file's comments put
  back, giving the canonical text of every changed part;
- ``splice_yaml`` / ``splice_dsl`` replace, insert or delete those parts (a scalar in place, a
  mapping entry, a list item, a shot block, a definition) in the original lines;
- the result is parsed again and must read back to exactly the new data; if it does not (a layout
  the splicer does not handle), the whole canonical text is used instead and ``Spliced.kept`` is
  False, so the caller can say that the layout was not kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio_lang import ast
from studio_lang.comments import Comment
from studio_lang.diagnostics import Span, has_errors
from studio_lang.source import SourceFile

__all__ = ["Edit", "Lines", "Spliced", "apply_edits", "graft", "same", "splice"]

NO_SPAN = Span("", 0, 0, 0, 0)


def same(a: Any, b: Any) -> bool:
    """Equal as documents, types included (``True`` is not ``1``, ``3.0`` not ``3``), key order too."""
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False)


def _ids(value: Any) -> list[Any] | None:
    if isinstance(value, list) and value and all(isinstance(v, dict) and isinstance(v.get("id"), str) for v in value):
        ids = [v["id"] for v in value]
        return ids if len(set(ids)) == len(ids) else None
    return None


def graft(node: ast.Node | None, value: Any) -> ast.Node:
    """The tree of ``value``, made of ``node``'s parts wherever they still hold the same data."""
    from studio_lang.dsl.emit import from_data

    if node is not None and same(ast.to_data(node), value):
        return node
    if isinstance(value, dict) and isinstance(node, ast.Mapping):
        entries = tuple((node.key(k) or ast.Key(k, NO_SPAN), graft(node.get(k), v)) for k, v in value.items())
        return ast.Mapping(entries, node.span)
    if isinstance(value, list) and isinstance(node, ast.Sequence):
        old = _ids([ast.to_data(i) for i in node.items])
        new = _ids(value)
        if old is not None and new is not None:
            by_id = dict(zip(old, node.items, strict=True))
            items = tuple(graft(by_id.get(v["id"]), v) for v in value)
        else:
            items = tuple(graft(node.items[i] if i < len(node.items) else None, v) for i, v in enumerate(value))
        return ast.Sequence(items, node.span)
    return from_data(value)


@dataclass(frozen=True)
class Edit:
    """Replace lines ``[start, stop)`` (0-based) of the original with ``lines``."""

    start: int
    stop: int
    lines: tuple[str, ...]


class Lines:
    """A text as lines, with the helpers the splicers share."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")

    def text(self, n: int) -> str:
        """1-based line ``n``."""
        return self.lines[n - 1] if 1 <= n <= len(self.lines) else ""

    def blank_or_comment(self, n: int) -> bool:
        stripped = self.text(n).strip()
        return not stripped or stripped.startswith("#")

    def last_line(self, node: ast.Node) -> int:
        """The last line a node really occupies: that of its last key or scalar (ruamel ends a block
        collection where the next token starts, and a block scalar on the line after it)."""
        if isinstance(node, ast.Scalar):
            s = node.span
            end = s.end_line - 1 if s.end_column <= 1 and s.end_line > s.line else s.end_line
            while end > s.line and not self.text(end).strip():
                end -= 1
            return end
        if self.text(node.span.line)[node.span.column - 1: node.span.column] in ("{", "["):
            return node.span.end_line  # a flow collection ends at its closing bracket
        if isinstance(node, ast.Mapping):
            return max((max(k.span.line, self.last_line(v)) for k, v in node.entries), default=node.span.line)
        return max((self.last_line(i) for i in node.items), default=node.span.line)

    def indent(self, n: int) -> int:
        line = self.text(n)
        return len(line) - len(line.lstrip(" "))

    def attached_comments(self, first: int) -> int:
        """The first line of the comment lines right above line ``first`` (no blank line between)."""
        while first > 1 and self.text(first - 1).strip().startswith("#"):
            first -= 1
        return first


def shift(lines: list[str], by: int) -> list[str]:
    """Lines indented ``by`` more (or less) columns; blank lines stay blank."""
    if by >= 0:
        return [(" " * by + ln) if ln.strip() else ln for ln in lines]
    return [ln[-by:] if ln[: -by].strip() == "" else ln.lstrip(" ") for ln in lines]


def apply_edits(text: str, edits: list[Edit]) -> str | None:
    """The text with the edits made, or None when two edits overlap."""
    lines = text.split("\n")
    ordered = sorted(edits, key=lambda e: (e.start, e.stop))  # an insertion at a line before a change there
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.stop:
            return None
    for e in reversed(ordered):
        lines[e.start:e.stop] = list(e.lines)
    return "\n".join(lines)


@dataclass(frozen=True)
class Spliced:
    text: str
    kept: bool
    """Whether only the changed parts were rewritten (False: the whole file was re-emitted)."""


def _reads_back(text: str, name: str, data: Any) -> bool:
    from studio_lang.loader import parse

    tree, diagnostics = parse(SourceFile(name, text, Path(name)))
    return tree.root is not None and not has_errors(diagnostics) and same(ast.to_data(tree.root), data)


def splice(source: SourceFile, root: ast.Node, comments: list[Comment], data: dict[str, Any], dsl: bool) -> Spliced:
    """The original text with ``data`` (the edited document) written in."""
    from studio_lang.loader import parse

    tree = graft(root, data)
    if dsl:
        from studio_lang.dsl.emit import emit_dsl

        full = emit_dsl(tree, source, comments)
    else:
        from studio_lang.yaml.emit import emit_yaml

        full = emit_yaml(tree, source=source, comments=comments)
    name = source.path.name if source.path is not None else source.name
    emitted, _ = parse(SourceFile(name, full, Path(name)))
    if emitted.root is not None:
        if dsl:
            from .splice_dsl import dsl_edits

            edits = dsl_edits(source.text, root, full, emitted.root)
        else:
            from .splice_yaml import yaml_edits

            edits = yaml_edits(source.text, root, full, emitted.root, data)
        text = apply_edits(source.text, edits) if edits is not None else None
        if text is not None and _reads_back(text, name, data):
            return Spliced(text, True)
    if not _reads_back(full, name, data):
        raise ValueError("internal error: the edited document cannot be written back")
    return Spliced(full, False)
