"""Diagnostics: every problem the tool reports about a user's files.

A diagnostic carries a stable code (documented in docs/diagnostics.md), a message, the span it is
about and a hint. Stages collect diagnostics and report them together, in source order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .source import SourceFile

__all__ = ["Diagnostic", "Related", "Severity", "Span", "has_errors", "printable", "render_json", "render_text",
           "sort_key"]

_BIDI = {0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F or code in _BIDI:
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return char


def printable(text: str) -> str:
    """``text`` safe to echo on a terminal: control characters (escape sequences, NUL, tabs, line
    breaks, C1 codes) and bidirectional overrides are shown as ``\\x1b``-style escapes instead of
    acting on the terminal. Every piece of user text that studio prints goes through here."""
    if text.isprintable():
        return text
    return "".join(_escape(c) for c in text)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns are 1-based, ``end_column`` exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def point(file: str, line: int = 1, column: int = 1) -> Span:
        return Span(file, line, column, line, column + 1)


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a diagnostic is about (the first of two duplicate ids), for editors."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    related: tuple[Related, ...] = ()

    @staticmethod
    def error(code: str, message: str, span: Span | None = None, hint: str | None = None,
              related: tuple[Related, ...] = ()) -> Diagnostic:
        return Diagnostic(Severity.ERROR, code, message, span, hint, related)

    @staticmethod
    def warning(code: str, message: str, span: Span | None = None, hint: str | None = None,
                related: tuple[Related, ...] = ()) -> Diagnostic:
        return Diagnostic(Severity.WARNING, code, message, span, hint, related)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, object]:
        span = self.span
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "file": span.file if span else None,
            "line": span.line if span else None,
            "column": span.column if span else None,
            "end_line": span.end_line if span else None,
            "end_column": span.end_column if span else None,
            "hint": self.hint,
        }


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple[object, ...]:
    """Source order: by file, line, column; diagnostics without a span first."""
    s = d.span
    if s is None:
        return ("", 0, 0, d.code, d.message)
    return (s.file, s.line, s.column, d.code, d.message)


_MAX_EXCERPT = 100


def _excerpt(d: Diagnostic, source: SourceFile) -> list[str]:
    span = d.span
    assert span is not None
    text = source.line(span.line)
    if not text and span.line > source.line_count:
        return []
    gutter = len(str(span.line))
    pad = " " * gutter
    expanded = text.expandtabs(1)
    start = max(span.column - 1, 0)
    if span.end_line == span.line:
        width = max(span.end_column - span.column, 1)
    else:
        width = max(len(expanded) - start, 1)
    width = min(width, max(len(expanded) - start, 1))
    if not expanded.isprintable():  # escape codes are shown, not sent; the caret moves with the text
        start, width = len(printable(expanded[:start])), len(printable(expanded[start:start + width]))
        expanded = printable(expanded)
    if len(expanded) > _MAX_EXCERPT:  # show a window around the span, not a megabyte of line
        lo = max(start - _MAX_EXCERPT // 2, 0)
        expanded = ("..." if lo else "") + expanded[lo : lo + _MAX_EXCERPT] + "..."
        start = start - lo + (3 if lo else 0)
        width = min(width, _MAX_EXCERPT - (start - (3 if lo else 0)))
    caret = " " * start + "^" * max(width, 1)
    if d.hint:
        caret += " " + printable(d.hint)
    return [f"{pad} |", f"{span.line} | {expanded}", f"{pad} | {caret}"]


def render_text(diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile] | None = None) -> str:
    """rustc-style text: a header line, the source line with a caret under the span, the hint."""
    sources = sources or {}
    out: list[str] = []
    for i, d in enumerate(diagnostics):
        if i:
            out.append("")
        where = ""
        if d.span is not None:
            where = f"{d.span.file}:{d.span.line}:{d.span.column}: "
        out.append(printable(f"{where}{d.severity.value}[{d.code}]: {d.message}"))
        source = sources.get(d.span.file) if d.span else None
        excerpt = _excerpt(d, source) if source is not None else []
        if excerpt:
            out.extend(excerpt)
        elif d.hint:
            out.append(f"  = hint: {printable(d.hint)}")
    return "\n".join(out) + ("\n" if out else "")


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps({"diagnostics": [d.to_json() for d in diagnostics]}, indent=2, ensure_ascii=False) + "\n"
