"""YAML text out: a document tree -> ``*.studio.yaml`` text, and the YAML formatter.

``emit_yaml`` writes the layout of the examples (block sections, small leaf mappings and lists of
scalars in flow style) with ruamel.yaml, which quotes whatever needs quoting. Comments of the
source (a ``.studio`` file being converted) are put back by matching each output line to the source
lines of the values it holds. ``format_yaml`` re-indents a YAML file through ruamel's round trip,
keeping comments, key order, quoting and flow style.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from .. import ast
from ..comments import Comment, OutLine, anchors, node_lines, place
from ..source import SourceFile

__all__ = ["emit_yaml", "format_yaml"]

_FLOW_KEYS = {"camera", "transition", "models", "params", "pattern", "lora", "start"}


def _yaml() -> object:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True  # type: ignore[assignment]
    return yaml


def format_yaml(text: str) -> str:
    """``text`` re-indented (2 spaces, list dashes indented under their key), all else kept;
    full-line comments take the indentation of the line they stand above."""
    yaml = _yaml()
    data = yaml.load(text)  # type: ignore[attr-defined]
    out = io.StringIO()
    yaml.dump(data, out)  # type: ignore[attr-defined]
    return _indent_comments(out.getvalue())


def _indent_comments(text: str) -> str:
    from .syntax import parse_yaml

    tree, _ = parse_yaml(SourceFile("<out>", text))
    inside: set[int] = set()
    stack = [tree.root] if tree.root is not None else []
    while stack:  # lines within multi-line scalars are text, whatever they look like
        node = stack.pop()
        if isinstance(node, ast.Scalar):
            inside.update(range(node.span.line + 1, node.span.end_line + 1))
        elif isinstance(node, ast.Mapping):
            stack.extend(value for _, value in node.entries)
        elif isinstance(node, ast.Sequence):
            stack.extend(node.items)
    lines = text.split("\n")
    indent = ""
    for n in range(len(lines) - 1, -1, -1):
        stripped = lines[n].lstrip(" ")
        if not stripped or n + 1 in inside:
            continue
        if stripped.startswith("#"):
            lines[n] = indent + stripped
        else:
            indent = lines[n][: len(lines[n]) - len(stripped)]
    return "\n".join(lines)


def emit_yaml(root: ast.Node, *, header: Iterable[str] = (), source: SourceFile | None = None,
              comments: Iterable[Comment] = ()) -> str:
    """YAML text for ``root``; ``header`` lines go first (as comments); ``comments`` of ``source`` follow
    the values they were written beside."""
    yaml = _yaml()
    out = io.StringIO()
    yaml.dump(_build(ast.to_data(root), None, 0), out)  # type: ignore[attr-defined]
    text = _layout(out.getvalue(), root, source, list(comments))
    lines = [f"# {line}" if line else "#" for line in header]
    return "\n".join([*lines, text.rstrip("\n")]) + "\n"


_IMPLICIT = re.compile(
    r"~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|[-+]?[0-9][0-9_]*(?:\.[0-9._]*)?(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9][0-9._]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?0[bB][01_]+|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO][0-7_]+"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|<<|=")
"""Strings some YAML reader (1.1 or 1.2) takes for something else: nulls, booleans, numbers in every
base and form (1_000, 0x1f, 0o17, 1:30, 1e3, .5), dates, infinities, the merge and value keys."""
_SPECIAL = re.compile(r"[^\t\n\x20-\x7e\xa1-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
                      r"|[\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]")


def _text(value: str) -> str:
    """Text with characters that YAML treats specially (NEL, line and paragraph separators, controls,
    BOM) is double-quoted, where they are written as escapes; text that a YAML 1.1 reader would take
    for a boolean, null or number (``yes``, ``on``, ``1:30``) is single-quoted, as a key and as a value."""
    if _SPECIAL.search(value):
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        return DoubleQuotedScalarString(value)
    if _IMPLICIT.fullmatch(value):
        from ruamel.yaml.scalarstring import SingleQuotedScalarString

        return SingleQuotedScalarString(value)
    return value


def _build(value: object, key: str | None, depth: int) -> object:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        node = CommentedMap((_text(k), _build(v, k, depth + 1)) for k, v in value.items())
        parent_flow = key in _FLOW_KEYS and depth > 1
        if value and (parent_flow or key == "emotions_entry") and all(
                _FLOW_KEY.fullmatch(k) and _scalar(v) for k, v in value.items()):
            node.fa.set_flow_style()
        if key == "emotions":
            for k, v in value.items():
                node[_text(k)] = _build(v, "emotions_entry", depth + 1)
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_build(v, None, depth + 1) for v in value)
        if value and all(_scalar(v) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


_FLOW_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FLOW_TEXT = re.compile(r"[A-Za-z0-9_@#./+ -]*")


def _scalar(value: object) -> bool:
    """A value that flow style writes plainly (ruamel mis-writes some odd keys and texts in flow style)."""
    if isinstance(value, str):
        return _FLOW_TEXT.fullmatch(value) is not None
    if isinstance(value, list):
        return all(_scalar(v) and not isinstance(v, list) for v in value)
    return not isinstance(value, dict)


def _layout(text: str, root: ast.Node, source: SourceFile | None, comments: list[Comment]) -> str:
    """A blank line before each section and scene (as in the examples), and the comments put back."""
    from .syntax import parse_yaml

    emitted, _ = parse_yaml(SourceFile("<out>", text))
    if not isinstance(emitted.root, ast.Mapping):
        return text
    tags: dict[int, set[int]] = {}
    raw: set[int] = set()
    _match(emitted.root, root, tags, raw)
    breaks = {key.span.line for key, _ in emitted.root.entries[1:]}
    scenes = emitted.root.get("scenes")
    if isinstance(scenes, ast.Sequence):
        breaks.update(item.span.line for item in scenes.items[1:])
    lines = []
    for n, line in enumerate(text.rstrip("\n").split("\n"), 1):
        if n in breaks:
            lines.append(OutLine(""))
        lines.append(OutLine(line, frozenset(tags.get(n, ())), n in raw))
    anchored = anchors(source, comments) if source is not None else []
    return "\n".join(place(lines, anchored)) + "\n"


def _stands_for_block(key: ast.Key, value: ast.Node) -> bool:
    """A key the DSL made up for a block (``scenes`` for the SCENE lines, ``models`` for the model
    lines): it starts where its block starts, and the lines are the block's, not the key's."""
    return not isinstance(value, ast.Scalar) and (key.span.line, key.span.column) == (
        value.span.line, value.span.column)


def _match(out: ast.Node, src: ast.Node, tags: dict[int, set[int]], raw: set[int]) -> None:
    """Tag each output line with the source lines of the keys and values written on it."""
    if isinstance(out, ast.Scalar):
        if out.span.end_line > out.span.line:
            raw.update(range(out.span.line, out.span.end_line + 1))
        tags.setdefault(out.span.line, set()).update(node_lines(src))
    elif isinstance(out, ast.Mapping) and isinstance(src, ast.Mapping):
        for key, value in out.entries:
            src_key = src.key(key.name)
            src_value = src.get(key.name)
            if src_key is None or src_value is None:
                continue
            if not _stands_for_block(src_key, src_value):
                tags.setdefault(key.span.line, set()).update(node_lines(src_key))
            _match(value, src_value, tags, raw)
    elif isinstance(out, ast.Sequence) and isinstance(src, ast.Sequence):
        for item, src_item in zip(out.items, src.items):
            tags.setdefault(item.span.line, set()).update(node_lines(src_item))
            _match(item, src_item, tags, raw)
