"""Writing DSL text: quoting, literals, and the line writer the emitters share.

A value is written bare only when the parser reads the bare word back as the same value; text that
would read as something else (a number, ``true``, a comment, a keyword at a line start) is quoted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from .. import ast
from ..comments import OutLine, node_lines
from .lexer import LATE_DEFINITION
from .vocab import FIELD_ORDER, WORD_RE, bare_ok, format_float

__all__ = [
    "Writer", "action_ok", "bare_key", "entries", "key_text", "literal", "number_text", "quote", "raw_ok",
    "text_word", "word_ok",
]

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"\\]')
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SCENE_WORD = re.compile(r"SCENE(?=[ \t:]|$)")


def quote(text: str) -> str:
    """``text`` as a double-quoted DSL string (JSON escapes; control characters escaped)."""
    return '"' + _UNSAFE.sub(lambda m: _ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text) + '"'


def word_ok(text: str) -> bool:
    """A word the parser keeps as text where text is expected (names, positionals)."""
    return WORD_RE.fullmatch(text) is not None and not text.startswith("->")


def bare_key(name: str) -> bool:
    """A key written without quotes (quoted keys are taken literally, never as sugar)."""
    return word_ok(name) and not name.startswith("#")


def key_text(name: str) -> str:
    return name if bare_key(name) else quote(name)


def literal(value: object) -> str:
    """A generic DSL literal that reads back as ``value`` (a plain value as ``ast.to_data`` gives it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value if bare_ok(value) else quote(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key_text(k)}={literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} in a project file")


def text_word(value: str) -> str:
    """A positional that is always text: bare when it is one word, else quoted."""
    return value if word_ok(value) else quote(value)


def raw_ok(text: str) -> bool:
    return bool(text) and text == text.strip(" \t") and not _CONTROL.search(text) and not text.startswith('"')


def number_text(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        return format_float(value) if math.isfinite(value) else None
    return str(value)


def entries(node: ast.Node, order: str = "") -> dict[str, tuple[ast.Key, ast.Node]]:
    """A mapping's entries by name, in the format's key order (then the others as written), so that
    the output does not depend on how the source ordered its keys."""
    assert isinstance(node, ast.Mapping)
    items = {key.name: (key, value) for key, value in node.entries}
    fields = FIELD_ORDER.get(order, ())
    return {**{name: items[name] for name in fields if name in items},
            **{name: entry for name, entry in items.items() if name not in fields}}


def action_ok(paragraph: str) -> bool:
    return (raw_ok(paragraph) and not paragraph.startswith(("[", "#")) and not _SCENE_WORD.match(paragraph)
            and not LATE_DEFINITION.match(paragraph))


class Writer:
    """Output lines, each tagged with the source lines it renders."""

    def __init__(self) -> None:
        self.lines: list[OutLine] = []
        self.cue_elements: dict[str, str | None] = {}
        self.cue_folds: dict[str, list[str]] = {}
        """Element name -> kind, as the parser will know them when it matches cues to characters."""

    # --- output ------------------------------------------------------------------------------
    def line(self, text: str, *nodes: object, raw: bool = False) -> None:
        self.lines.append(OutLine(text, node_lines(*nodes), raw))

    def blank(self) -> None:
        if self.lines and self.lines[-1].text:
            self.lines.append(OutLine(""))

    def options(self, pairs: Iterable[tuple[ast.Key, ast.Node]], quoted: Iterable[str] = ()) -> tuple[str, list]:
        """``key=value`` words; keys in ``quoted`` are quoted (so that no sugar reads them)."""
        words, nodes = [], []
        always = set(quoted)
        for key, value in pairs:
            name = quote(key.name) if key.name in always else key_text(key.name)
            words.append(f"{name}={literal(ast.to_data(value))}")
            nodes += [key, value]
        return " ".join(words), nodes

    def option_lines(self, pairs: Sequence[tuple[ast.Key, ast.Node]], indent: str = "  ") -> None:
        for key, value in pairs:
            text, nodes = self.options([(key, value)])
            self.line(indent + text, *nodes)

    def prop(self, key: ast.Key, value: ast.Node, indent: str = "  ") -> None:
        self.line(f"{indent}{key.name} {literal(ast.to_data(value))}", key, value)

    def props(self, pairs: Sequence[tuple[ast.Key, ast.Node]], reserved: Iterable[str] = ()) -> None:
        """Single-value property lines where the key is a plain word, option lines otherwise."""
        taken = set(reserved)
        for key, value in pairs:
            if bare_key(key.name) and key.name not in taken and bare_ok(key.name):
                self.prop(key, value)
            else:
                self.option_lines([(key, value)])

    def listed(self, key: ast.Key, value: ast.Node) -> None:
        data = ast.to_data(value)
        if isinstance(data, list) and not (len(data) == 1 and isinstance(data[0], list)):
            self.line("  " + " ".join([key.name, *(literal(v) for v in data)]), key, value)
        else:
            self.option_lines([(key, value)])

    # --- the file ------------------------------------------------------------------------------
