"""Comments across formatting and conversion.

Emitters write output lines tagged with the source lines they came from; a comment then goes
before the first output line that carries the source line it stood above (or, trailing, at the end
of the line it followed). A comment whose line left no trace goes before the next line that did,
so nothing is dropped.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import ast
from .diagnostics import Span
from .source import SourceFile

__all__ = ["Comment", "OutLine", "anchors", "node_lines", "place", "yaml_comments"]


@dataclass(frozen=True)
class Comment:
    """A ``#`` comment: its line, the column of the '#', the text after it, and whether code precedes it."""

    line: int
    column: int
    text: str
    trailing: bool


@dataclass
class OutLine:
    """One line of emitted text; ``tags`` are source lines it renders, ``raw`` forbids a trailing comment."""

    text: str
    tags: frozenset[int] = frozenset()
    raw: bool = False

    @property
    def indent(self) -> str:
        return self.text[: len(self.text) - len(self.text.lstrip(" "))]


def node_lines(*nodes: object) -> frozenset[int]:
    """Source lines covered by keys and scalars (a collection contributes its first line only)."""
    lines: set[int] = set()
    for node in nodes:
        span = getattr(node, "span", None)
        if span is None or span.line <= 0:
            continue
        if isinstance(node, (ast.Scalar, ast.Key)):
            lines.update(range(span.line, span.end_line + 1))
        else:
            lines.add(span.line)
    return frozenset(lines)


def anchors(source: SourceFile, comments: Iterable[Comment]) -> list[tuple[int, Comment]]:
    """Each comment with the line it belongs to: its own line when trailing, else the next line of content."""
    out = []
    for c in comments:
        if c.trailing:
            out.append((c.line, c))
            continue
        line = c.line + 1
        while line <= source.line_count:
            text = source.line(line).strip(" \t\r")
            if text and not text.startswith("#"):
                break
            line += 1
        out.append((line, c))
    return out


def place(lines: Sequence[OutLine], anchored: Sequence[tuple[int, Comment]]) -> list[str]:
    """The output text lines with the comments put back."""
    first_with: dict[int, int] = {}
    for index, line in enumerate(lines):
        for tag in line.tags:
            first_with.setdefault(tag, index)
    tags = sorted(first_with)
    before: dict[int, list[str]] = {}
    trailing: dict[int, list[str]] = {}
    for anchor, c in sorted(anchored, key=lambda a: (a[1].line, a[1].column)):
        found = first_with.get(anchor)
        if c.trailing and found is not None and not lines[found].raw:
            trailing.setdefault(found, []).append(c.text.strip())
            continue
        if found is None:
            k = bisect_left(tags, anchor)
            found = first_with[tags[k]] if k < len(tags) else len(lines)
        before.setdefault(found, []).append(c.text)
    out: list[str] = []
    for index, line in enumerate(lines):
        indent = line.indent
        out.extend(_comment(indent, text) for text in before.get(index, ()))
        text = line.text
        if index in trailing:
            text += "  # " + "; ".join(t for t in trailing[index] if t)
        out.append(text.rstrip(" "))
    out.extend(_comment("", text) for text in before.get(len(lines), ()))
    return out


def _comment(indent: str, text: str) -> str:
    return (indent + "#" + text).rstrip(" \t")


_YAML_HASH = re.compile(r"(?:^|(?<=[ \t]))#")


def yaml_comments(source: SourceFile, root: ast.Node | None) -> list[Comment]:
    """The comments of a YAML file: every '#' at a line start or after a blank that no scalar covers."""
    covered: dict[int, list[tuple[int, int]]] = {}
    multiline: set[int] = set()
    for span in _scalar_spans(root):
        if span.line == span.end_line:
            covered.setdefault(span.line, []).append((span.column, span.end_column))
        else:
            covered.setdefault(span.line, []).append((span.column, 10**9))
            multiline.update(range(span.line + 1, span.end_line))
            covered.setdefault(span.end_line, []).append((1, span.end_column))
    comments = []
    for number in range(1, source.line_count + 1):
        if number in multiline:
            continue
        text = source.line(number)
        for match in _YAML_HASH.finditer(text):
            column = match.start() + 1
            if any(lo <= column < hi for lo, hi in covered.get(number, ())):
                continue
            trailing = bool(text[: match.start()].strip())
            comments.append(Comment(number, column, text[match.end():].rstrip(), trailing))
            break
    return comments


def _scalar_spans(node: ast.Node | None) -> Iterable[Span]:
    if node is None:
        return
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Scalar):
            yield n.span
        elif isinstance(n, ast.Mapping):
            for key, value in n.entries:
                yield key.span
                stack.append(value)
        else:
            stack.extend(n.items)
