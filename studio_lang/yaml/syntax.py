"""YAML surface syntax: text -> ``ast.Project`` with a span on every key and value.

ruamel.yaml composes the node graph (the YAML 1.2 core schema: ``yes`` stays a string), and this
module turns it into our tree, refusing what a project file never needs and an attacker would
use: alias bombs (expansion is budgeted), cycles, very deep nesting, custom tags, several
documents, duplicate keys.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.nodes import Node as YNode
from ruamel.yaml.reader import ReaderError

from .. import ast
from ..diagnostics import Diagnostic, Related, Span
from ..source import SourceFile
from .messages import Where, explain

CSafeLoader: Any
try:
    from ruamel.yaml.cyaml import CSafeLoader
except ImportError:  # pragma: no cover - the C parser is an optional speed-up
    CSafeLoader = None

__all__ = ["MAX_DEPTH", "parse_yaml"]

MAX_DEPTH = 64
"""Deepest nesting accepted; a real project file needs about ten."""
ALIAS_BUDGET = 100_000
"""Nodes that aliases may add beyond the document's own; more is an alias bomb."""

_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MERGE = "tag:yaml.org,2002:merge"


def _compose_all(text: str) -> list[YNode]:
    """The node graphs of every document: libyaml's C parser when installed (10x faster), else pure Python."""
    if CSafeLoader is not None:
        loader = CSafeLoader(text)
        documents = []
        while loader.check_node():
            documents.append(loader.get_node())
        return documents
    return list(YAML(typ="safe", pure=True).compose_all(text))


class _Abort(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


def parse_yaml(source: SourceFile) -> tuple[ast.Project, list[Diagnostic]]:
    """Parse one YAML document. On a syntax error the project's root is ``None``."""
    diagnostics: list[Diagnostic] = []
    try:
        documents = _compose_all(source.text)
    except MarkedYAMLError as exc:
        return ast.Project(source, None, "yaml"), [_syntax_error(source, exc)]
    except ReaderError as exc:
        line, col = source.position(max(exc.position, 0))
        span = Span.point(source.name, line, col)
        return ast.Project(source, None, "yaml"), [
            Diagnostic.error("E101", f"invalid character {_char(exc.character)} in YAML", span,
                             "remove control characters from the file")]
    except RecursionError:
        return ast.Project(source, None, "yaml"), [
            Diagnostic.error("E104", f"the document is nested too deeply (more than {MAX_DEPTH} levels)",
                             Span.point(source.name), "flatten the structure")]
    except YAMLError as exc:
        return ast.Project(source, None, "yaml"), [
            Diagnostic.error("E101", f"invalid YAML: {exc}", Span.point(source.name))]
    documents = [d for d in documents if d is not None]
    if not documents:
        return ast.Project(source, None, "yaml"), [
            Diagnostic.error("E107", "the project file is empty", Span.point(source.name),
                             "start with 'studio: 1' and a 'project:' section")]
    if len(documents) > 1:
        diagnostics.append(Diagnostic.error(
            "E106", "a project file holds exactly one YAML document",
            _span(source, documents[1]), "remove the '---' separator and what follows, or split the file"))
    builder = _Builder(source, SafeConstructor(loader=YAML(typ="safe", pure=True)))
    try:
        root = builder.build(documents[0], 0)
    except _Abort as abort:
        return ast.Project(source, None, "yaml"), [*diagnostics, abort.diagnostic]
    return ast.Project(source, root, "yaml"), [*diagnostics, *builder.diagnostics]


def _char(c: object) -> str:
    code = c if isinstance(c, int) else ord(c) if isinstance(c, str) and len(c) == 1 else None
    return f"U+{code:04X}" if code is not None else repr(c)


def _syntax_error(source: SourceFile, exc: MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    if mark is not None and exc.context_mark is not None and not source.text[mark.index:].strip():
        mark = exc.context_mark  # "never closed" at the end of the file: point where it was opened
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or exc.context or "invalid YAML"
    context = exc.context_mark
    where = Where(line, col, context.line + 1 if context else None, context.column + 1 if context else None)
    words = explain(source, problem, exc.context, where)
    if words is not None:
        return Diagnostic.error("E101", words[0], Span.point(source.name, line, col), words[1])
    hint = None
    if exc.context and exc.problem:
        hint = exc.context
        if exc.context_mark is not None and exc.context_mark.line != (mark.line if mark else -1):
            hint += f" (line {exc.context_mark.line + 1})"
    if "\t" in problem or "'\\t'" in problem:
        hint = "YAML indentation uses spaces, not tabs"
    return Diagnostic.error("E101", f"YAML syntax error: {problem}", Span.point(source.name, line, col), hint)


def _span(source: SourceFile, node: YNode) -> Span:
    start, end = node.start_mark, node.end_mark
    line, col = start.line + 1, start.column + 1
    if end is None or end.line < start.line or (end.line == start.line and end.column <= start.column):
        return Span(source.name, line, col, line, col + 1)
    return Span(source.name, line, col, end.line + 1, end.column + 1)


class _Builder:
    def __init__(self, source: SourceFile, constructor: SafeConstructor) -> None:
        self.source = source
        self.constructor = constructor
        self.diagnostics: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.expanded = 0
        self.active: set[int] = set()

    def build(self, node: YNode, depth: int) -> ast.Node:
        if depth > MAX_DEPTH:
            raise _Abort(Diagnostic.error(
                "E104", f"the document is nested too deeply (more than {MAX_DEPTH} levels)",
                _span(self.source, node), "flatten the structure"))
        ident = id(node)
        if ident in self.active:
            raise _Abort(Diagnostic.error(
                "E103", "an alias refers to a node that contains it (a cycle)",
                _span(self.source, node), "a project file cannot be recursive; copy the values instead"))
        if ident in self.seen:
            self.expanded += 1
            if self.expanded > ALIAS_BUDGET + len(self.seen):
                raise _Abort(Diagnostic.error(
                    "E103", "aliases expand this document beyond any real project (an alias bomb?)",
                    _span(self.source, node), "use fewer nested '*alias' references"))
        else:
            self.seen.add(ident)
        if isinstance(node, ScalarNode):
            return ast.Scalar(self.scalar(node, node.tag), _span(self.source, node))
        self.active.add(ident)
        try:
            if isinstance(node, SequenceNode):
                self.check_tag(node, "tag:yaml.org,2002:seq")
                items = tuple(self.build(item, depth + 1) for item in node.value)
                return ast.Sequence(items, _span(self.source, node))
            assert isinstance(node, MappingNode)
            self.check_tag(node, "tag:yaml.org,2002:map")
            return self.mapping(node, depth)
        finally:
            self.active.discard(ident)

    def mapping(self, node: MappingNode, depth: int) -> ast.Mapping:
        entries: list[tuple[ast.Key, ast.Node]] = []
        index: dict[str, int] = {}
        merged: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "<<" and key_node.tag == _MERGE:
                for key, value in self.merge(value_node, depth):
                    if key.name not in index:
                        index[key.name] = len(entries)
                        entries.append((key, value))
                        merged.add(key.name)
                continue
            key = self.key(key_node)
            value = self.build(value_node, depth + 1)
            if key.name in index:
                if key.name in merged:  # an explicit key overrides a merged one
                    entries[index[key.name]] = (key, value)
                    merged.discard(key.name)
                    continue
                first = entries[index[key.name]][0].span
                self.diagnostics.append(Diagnostic.error(
                    "E102", f"duplicate key '{key.name}'", key.span,
                    f"'{key.name}' is already set on line {first.line}; keep one",
                    (Related(first, f"'{key.name}' is first set here"),)))
                continue
            index[key.name] = len(entries)
            entries.append((key, value))
        return ast.Mapping(tuple(entries), _span(self.source, node))

    def merge(self, node: YNode, depth: int) -> list[tuple[ast.Key, ast.Node]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        out: list[tuple[ast.Key, ast.Node]] = []
        for src in sources:
            built = self.build(src, depth + 1)
            if not isinstance(built, ast.Mapping):
                raise _Abort(Diagnostic.error("E105", "'<<' merges only mappings", built.span))
            out.extend(built.entries)
        return out

    def key(self, node: YNode) -> ast.Key:
        span = _span(self.source, node)
        if not isinstance(node, ScalarNode):
            raise _Abort(Diagnostic.error("E105", "a key must be a plain name, not a list or mapping", span))
        return ast.Key(str(node.value), span)

    def scalar(self, node: ScalarNode, tag: str | None) -> ast.ScalarValue:
        if tag == _STR:
            return str(node.value)
        if tag in _PLAIN_TAGS:
            try:
                return self.constructor.construct_object(node)  # type: ignore[no-any-return]
            except (YAMLError, ValueError, OverflowError):
                return str(node.value)
        if tag == "tag:yaml.org,2002:timestamp":
            return str(node.value)  # dates are text in a project file
        self.diagnostics.append(Diagnostic.error(
            "E105", f"unsupported YAML tag '{tag}'", _span(self.source, node),
            "remove the tag; project files use plain strings, numbers, lists and mappings"))
        return str(node.value)

    def check_tag(self, node: YNode, expected: str) -> None:
        if node.tag != expected:
            self.diagnostics.append(Diagnostic.error(
                "E105", f"unsupported YAML tag '{node.tag}'", _span(self.source, node),
                "remove the tag; project files use plain strings, numbers, lists and mappings"))


def reads_as(text: str, expected: object) -> bool:
    """Whether YAML ``text`` reads back as exactly the plain data ``expected`` (what ``parse_yaml`` and
    ``ast.to_data`` would give), without building spans: the check a writer of large files runs on
    what it wrote. Anything ``parse_yaml`` would refuse or read differently (aliases, merge keys, tags,
    duplicate keys, several documents) compares unequal."""
    try:
        documents = [d for d in _compose_all(text) if d is not None]
    except (YAMLError, RecursionError):
        return False
    if len(documents) != 1:
        return False
    constructor = SafeConstructor(loader=YAML(typ="safe", pure=True))
    stack: list[tuple[YNode, object]] = [(documents[0], expected)]
    seen: set[int] = set()
    while stack:
        node, want = stack.pop()
        if id(node) in seen or node.anchor is not None:
            return False  # an alias or anchor: never written for plain data
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            if node.tag == _STR:
                got: object = str(node.value)
            elif node.tag in _PLAIN_TAGS:
                try:
                    got = constructor.construct_object(node)
                except (YAMLError, ValueError, OverflowError):
                    got = str(node.value)
            else:
                return False
            if type(got) is not type(want) or got != want:
                return False
        elif isinstance(node, SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq" or not isinstance(want, list) or len(node.value) != len(want):
                return False
            stack.extend(zip(node.value, want, strict=True))
        elif isinstance(node, MappingNode):
            if node.tag != "tag:yaml.org,2002:map" or not isinstance(want, dict) or len(node.value) != len(want):
                return False
            keys = []
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE:
                    return False
                key = str(key_node.value)
                if key not in want:
                    return False
                keys.append(key)
                stack.append((value_node, want[key]))
            if keys != list(want):
                return False
        else:
            return False
    return True
