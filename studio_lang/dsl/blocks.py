"""The DSL parsed block by block, each block memoised by its text: a keystroke re-parses one scene.

A ``.studio`` file is a block of definitions followed by scenes, and a scene starts at a ``SCENE``
line at the left margin, whatever stands above it: the lexer starts afresh there (``dsl_lexer``) and
every rule of ``studio.lark`` is complete at the end of a line, so a scene's tokens, its syntax
errors and its part of the document tree depend only on its own text and on the elements defined
above it (cues name characters). ``parse_blocks`` therefore cuts the file at those lines, parses
each block on its own (``syntax.parse_block``) and joins the statements of all blocks into the
document tree (``Builder.project``), with the same diagnostics as one parse of the whole text: the
builder's are dropped when any block has a syntax error, as a parse of the whole file never builds
then.

The results are kept per file name for the blocks of the last parse (so memory is one file's parse):
a block whose text and elements are unchanged is reused as it is, or moved by the lines inserted or
deleted above it (its spans shifted; a block whose diagnostics name a line number is parsed again).
The language server compiles every keystroke's text anew; with the memo a 2,000-shot file costs the
parse of one scene instead of 2,000 shots. The result never depends on what the memo holds
(tests/lang/test_dsl_blocks.py compares it with parses from an empty memo over random edits).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from .. import ast
from ..diagnostics import Diagnostic, Related, Span, has_errors, sort_key
from ..source import SourceFile
from .lexer import SCENE_LINE
from .parts import FATAL_CODES, SceneNode
from .syntax import parse_block

__all__ = ["clear", "parse_blocks"]

MEMO_FILES = 8
"""Files whose blocks are kept (an editor's open documents; the oldest is dropped)."""

_CANDIDATE = re.compile(r"^SCENE", re.MULTILINE)
_LINE_NUMBER = re.compile(r"\bline [0-9]")


@dataclass(frozen=True)
class Block:
    line: int
    """Where the block's first line was when it was parsed (its spans are there)."""
    tokens: int
    syntax: tuple[Diagnostic, ...]
    items: tuple[object, ...] | None
    """The statements built from it; None after a syntax error in it."""
    built: tuple[Diagnostic, ...]
    elements: tuple[tuple[str, str | None], ...]
    """The elements known after it (a definitions block defines them; a scene passes them on)."""

    @property
    def movable(self) -> bool:
        """Whether the block can be moved to another line by shifting its spans: its statements are
        scenes and no message of it names a line."""
        return all(isinstance(x, SceneNode) for x in self.items or ()) and not any(
            _LINE_NUMBER.search(d.message) or (d.hint and _LINE_NUMBER.search(d.hint))
            for d in (*self.syntax, *self.built))


_memo: OrderedDict[str, dict[tuple[str, tuple[tuple[str, str | None], ...]], Block]] = OrderedDict()
_lock = threading.Lock()


def clear() -> None:
    """Forget every memoised block (the next parse of each file is a parse from scratch)."""
    with _lock:
        _memo.clear()


def split(text: str) -> list[tuple[int, int, str]]:
    """(first line, character offset, text) of each block: the definitions (possibly empty), then one
    block from each ``SCENE`` line to the line before the next."""
    starts = [0]
    for match in _CANDIDATE.finditer(text):
        at = match.start()
        end = text.find("\n", at)
        if at and SCENE_LINE.match(text[at: end if end >= 0 else len(text)].rstrip(" \t\r")):
            starts.append(at)
    blocks = []
    line = 1
    for i, at in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(text)
        blocks.append((line, at, text[at:end]))
        line += text.count("\n", at, end) + 1
    return blocks


def parse_blocks(source: SourceFile) -> tuple[ast.Project, list[Diagnostic]]:
    with _lock:
        memo = _memo.get(source.name, {})
    fresh: dict[tuple[str, tuple[tuple[str, str | None], ...]], Block] = {}
    blocks = []
    elements: tuple[tuple[str, str | None], ...] | None = None
    for line, offset, text in split(source.text):
        key = (text, elements if elements is not None else (("", None),))  # the definitions: no elements above
        block = memo.get(key) or fresh.get(key)
        if block is not None and block.line != line:
            block = _moved(block, line - block.line) if block.movable else None
        if block is None:
            tokens, syntax, items, built, known = parse_block(source, text, line, offset,
                                                              dict(elements) if elements is not None else None)
            block = Block(line, tokens, tuple(syntax), tuple(items) if items is not None else None, tuple(built),
                          tuple(known.items()))
        fresh[key] = block
        blocks.append(block)
        elements = block.elements
    with _lock:
        _memo[source.name] = fresh
        _memo.move_to_end(source.name)
        while len(_memo) > MEMO_FILES:
            _memo.popitem(last=False)
    return _joined(source, blocks)


def _joined(source: SourceFile, blocks: list[Block]) -> tuple[ast.Project, list[Diagnostic]]:
    from .build import Builder

    syntax = [d for b in blocks for d in b.syntax]
    if not any(b.tokens for b in blocks):
        return ast.Project(source, None, "studio"), syntax or [Diagnostic.error(
            "E107", "the project file is empty", Span.point(source.name),
            "start with 'studio 1' and a 'title \"...\"' line")]
    if has_errors(syntax) or any(b.items is None for b in blocks):
        return ast.Project(source, None, "studio"), sorted(syntax, key=sort_key)
    builder = Builder(source)
    builder.elements = dict(blocks[-1].elements)
    root = builder.project([x for b in blocks for x in b.items or ()])
    diagnostics = [*syntax, *(d for b in blocks for d in b.built), *builder.diagnostics]
    if any(d.code in FATAL_CODES for d in diagnostics):
        root = None
    return ast.Project(source, root, "studio"), sorted(diagnostics, key=sort_key)


# --- moving a block to another line ---------------------------------------------------------------
def _moved(block: Block, delta: int) -> Block:
    items = None
    if block.items is not None:
        items = tuple(SceneNode(_mapping(x.body, delta)) for x in block.items if isinstance(x, SceneNode))
    return replace(block, line=block.line + delta, syntax=tuple(_diagnostic(d, delta) for d in block.syntax),
                   built=tuple(_diagnostic(d, delta) for d in block.built), items=items)


def _span(s: Span, delta: int) -> Span:
    return Span(s.file, s.line + delta, s.column, s.end_line + delta, s.end_column)


def _diagnostic(d: Diagnostic, delta: int) -> Diagnostic:
    return replace(d, span=_span(d.span, delta) if d.span is not None else None,
                   related=tuple(Related(_span(r.span, delta), r.message) for r in d.related))


def _mapping(node: ast.Mapping, delta: int) -> ast.Mapping:
    return ast.Mapping(tuple((ast.Key(k.name, _span(k.span, delta)), _node(v, delta)) for k, v in node.entries),
                       _span(node.span, delta))


def _node(node: ast.Node, delta: int) -> ast.Node:
    if isinstance(node, ast.Scalar):
        return ast.Scalar(node.value, _span(node.span, delta))
    if isinstance(node, ast.Mapping):
        return _mapping(node, delta)
    return ast.Sequence(tuple(_node(x, delta) for x in node.items), _span(node.span, delta))
