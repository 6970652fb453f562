"""Pieces of the DSL tree builder: the records rules hand up, key-value accumulation with duplicate
checks, spans, and the rules for values and property lines shared by every definition."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from lark import Token, Transformer

from .. import ast
from ..diagnostics import Diagnostic, Related, Span
from ..source import SourceFile
from .lexer import token_span
from .vocab import FIELD_ORDER, typed

__all__ = [
    "BuilderBase", "Definition", "Entries", "FATAL_CODES", "Opt", "OptLine", "Prop", "SceneNode", "Stmt", "Track",
    "head", "join", "span_of",
]

FATAL_CODES = frozenset({"E111", "E115", "E116"})
"""Builder problems after which the tree would mean something else than the text: no tree."""


@dataclass(frozen=True)
class Opt:
    key: ast.Key
    quoted: bool
    value: ast.Node


@dataclass(frozen=True)
class Prop:
    """An indented ``word value... key=value...`` line; ``raw`` keeps the value tokens for sugar."""

    key: ast.Key
    raw: tuple[Token | ast.Node, ...]
    values: tuple[ast.Node, ...]
    options: tuple[Opt, ...]
    span: Span


@dataclass(frozen=True)
class OptLine:
    options: tuple[Opt, ...]
    span: Span


@dataclass(frozen=True)
class Stmt:
    """A film-wide line: ``where`` is 'root' or 'project'."""

    where: str
    entries: tuple[tuple[ast.Key, ast.Node], ...]
    opener: Span | None = None
    """The ``project`` keyword of a ``project key=value`` line (which makes the section even when empty)."""


@dataclass(frozen=True)
class Definition:
    section: str
    name: ast.Key
    body: ast.Mapping

    @property
    def span(self) -> Span:
        return self.body.span


@dataclass(frozen=True)
class Track:
    body: ast.Mapping

    @property
    def span(self) -> Span:
        return self.body.span


@dataclass(frozen=True)
class SceneNode:
    body: ast.Mapping

    @property
    def span(self) -> Span:
        return self.body.span


@dataclass
class Entries:
    """Key -> value in writing order, refusing a second value for a key."""

    builder: BuilderBase
    where: str
    items: dict[str, tuple[ast.Key, ast.Node]] = field(default_factory=dict)

    def add(self, key: ast.Key, node: ast.Node) -> None:
        first = self.items.get(key.name)
        if first is not None:
            self.builder.twice(key, first[0], self.where)
            return
        self.items[key.name] = (key, node)

    def mapping(self, order: str, span: Span) -> ast.Mapping:
        fields = FIELD_ORDER.get(order, ())
        known = [self.items[name] for name in fields if name in self.items]
        rest = [entry for name, entry in self.items.items() if name not in fields]
        return ast.Mapping(tuple(known + rest), span)


def span_of(item: object) -> Span:
    if isinstance(item, Token):
        return token_span("", item)  # the file is set by Builder.span
    if isinstance(item, Opt):
        return join(item.key.span, item.value.span)
    return item.span  # type: ignore[attr-defined, no-any-return]


def head(span: Span) -> Span:
    """The first line of a span: where a key standing for a whole block is written."""
    if span.end_line == span.line:
        return span
    return Span(span.file, span.line, span.column, span.line, span.column + 1)


def join(first: Span, last: Span) -> Span:
    return Span(first.file, first.line, first.column, last.end_line, last.end_column)


class BuilderBase(Transformer):  # type: ignore[type-arg]
    """Helpers and the value rules of the builder; ``diagnostics`` holds what it found wrong."""

    def __init__(self, source: SourceFile) -> None:
        super().__init__()
        self.source = source
        self.file = source.name
        self.diagnostics: list[Diagnostic] = []
        self.elements: dict[str, str | None] = {}
        self.folds: dict[str, list[str]] | None = None
        """``character_folds(self.elements)``, built at the first cue after a definition."""

    # --- helpers ---------------------------------------------------------------------------
    def span(self, item: object) -> Span:
        return token_span(self.file, item) if isinstance(item, Token) else span_of(item)

    def spans(self, first: object, last: object) -> Span:
        return join(self.span(first), self.span(last))

    def key(self, name: str, where: object) -> ast.Key:
        return ast.Key(name, self.span(where))

    def error(self, code: str, message: str, span: Span, hint: str | None = None,
              related: tuple[Related, ...] = ()) -> None:
        self.diagnostics.append(Diagnostic.error(code, message, span, hint, related))

    def twice(self, key: ast.Key, first: ast.Key, where: str) -> None:
        at = "earlier on this line" if first.span.line == key.span.line else f"on line {first.span.line}"
        self.error("E113", f"'{key.name}' is set twice{where}", key.span, f"it is already set {at}; keep one",
                   (Related(first.span, f"'{key.name}' is first set here"),))

    def text(self, tok: Token) -> str:
        """The text a word or quoted string stands for (never a number)."""
        return self.decode(tok) if tok.type == "STRING" else str(tok)

    def decode(self, tok: Token) -> str:
        raw = str(tok)
        try:
            value = json.loads(raw, strict=False)
        except json.JSONDecodeError as exc:
            s = token_span(self.file, tok)
            col = s.column + max(exc.pos, 0)
            self.error("E111", "invalid escape in quoted text", Span(self.file, s.line, col, s.line, col + 2),
                       "escapes are \\\" \\\\ \\n \\t \\uXXXX; write \\\\ for a backslash")
            return raw[1:-1]
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            self.error("E111", "a \\u escape is half of a surrogate pair", self.span(tok),
                       "write the character itself, or both halves of the pair")
            return raw[1:-1]
        return value  # type: ignore[no-any-return]

    def scalar(self, tok: Token) -> ast.Scalar:
        value = self.decode(tok) if tok.type == "STRING" else typed(str(tok))
        return ast.Scalar(value, self.span(tok))

    def text_scalar(self, tok: Token) -> ast.Scalar:
        return ast.Scalar(self.text(tok), self.span(tok))

    def node(self, item: Token | ast.Node) -> ast.Node:
        return self.scalar(item) if isinstance(item, Token) else item

    def single(self, prop: Prop, where: str) -> ast.Node | None:
        if len(prop.values) == 1 and not prop.options:
            return prop.values[0]
        self.error("E116", f"'{prop.key.name}' takes one value{where}", prop.span,
                   f"write '{prop.key.name} VALUE' (quote text with spaces), or '{prop.key.name}=[...]' for a list")
        return None

    def listed(self, prop: Prop) -> ast.Node:
        if prop.options:
            self.error("E116", f"'{prop.key.name}' takes a list of values, not key=value options",
                       self.span(prop.options[0]))
        if len(prop.values) == 1 and isinstance(prop.values[0], ast.Sequence):
            return prop.values[0]
        return ast.Sequence(prop.values, prop.span if not prop.values else join(prop.values[0].span,
                                                                                prop.values[-1].span))

    def options_mapping(self, options: Sequence[Opt], where: str, order: str, span: Span) -> ast.Mapping:
        entries = Entries(self, where)
        for opt in options:
            entries.add(opt.key, opt.value)
        return entries.mapping(order, span)

    # --- values ------------------------------------------------------------------------------
    def option(self, c: list) -> Opt:
        tok, value = c
        quoted = tok.startswith('"')
        name = self.decode(tok) if quoted else str(tok)
        return Opt(self.key(name, tok), quoted, self.node(value))

    def sequence(self, c: list) -> ast.Sequence:
        items = tuple(self.node(x) for x in c if x is not None)
        span = join(items[0].span, items[-1].span) if items else Span(self.file, 1, 1, 1, 2)
        return ast.Sequence(items, span)

    def mapping(self, c: list) -> ast.Mapping:
        options = [x for x in c if x is not None]
        span = join(self.span(options[0]), self.span(options[-1])) if options else Span(self.file, 1, 1, 1, 2)
        entries = Entries(self, " in this mapping")
        for opt in options:
            entries.add(opt.key, opt.value)
        return entries.mapping("", span)

    def prop_line(self, c: list) -> Prop:
        word, *rest = c
        raw = tuple(x for x in rest if not isinstance(x, Opt))
        options = tuple(x for x in rest if isinstance(x, Opt))
        return Prop(self.key(str(word), word), raw, tuple(self.node(x) for x in raw), options,
                    self.spans(word, rest[-1] if rest else word))

    def option_line(self, c: list) -> OptLine:
        return OptLine(tuple(c), join(span_of(c[0]), span_of(c[-1])))

    # --- shared by the definitions ----------------------------------------------------------------
    def _parts(self, c: list) -> tuple[list[Token], list[Opt], list[Prop]]:
        args = [x for x in c if isinstance(x, Token)]
        options = [x for x in c if isinstance(x, Opt)]
        props: list[Prop] = []
        for x in c:
            if isinstance(x, OptLine):
                options.extend(x.options)
            elif isinstance(x, Prop):
                props.append(x)
        return args, options, props

    def _generic(self, entries: Entries, options: Sequence[Opt], props: Sequence[Prop], where: str,
                 lists: tuple[str, ...] = (), lora: bool = False) -> None:
        for opt in options:
            entries.add(opt.key, opt.value)
        for prop in props:
            if lora and prop.key.name == "lora" and prop.raw and len(prop.raw) <= 2:
                value: ast.Node | None = self.lora(prop)
            elif prop.key.name in lists:
                value = self.listed(prop)
            else:
                value = self.single(prop, where)
            if value is not None:
                entries.add(prop.key, value)

    def lora(self, prop: Prop) -> ast.Mapping:
        """``lora WEIGHTS [SCALE] [key=value...]``"""
        lora = Entries(self, " in 'lora'")
        for fname, value in zip(("weights", "scale"), prop.values):
            lora.add(ast.Key(fname, value.span), value)
        for opt in prop.options:
            lora.add(opt.key, opt.value)
        return lora.mapping("lora", prop.span)
