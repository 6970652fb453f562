"""Quick fixes for diagnostics that carry a suggestion, and whole-document formatting.

A suggestion is a hint of the form ``did you mean 'X'?`` (misspelt keys, enum values, names,
triggers, DSL words, file names): the fix replaces the misspelt word inside the diagnostic's range
(the word the message quotes) by ``X``, keeping quotes and the rest of the line.
"""

from __future__ import annotations

import re

from studio_lang.diagnostics import Span
from studio_lang.source import SourceFile

from ..commands.rewrite import FormatRefused, format_source

__all__ = ["FormatRefused", "formatted", "suggestion", "fix"]

_SUGGESTION = re.compile(r"did you mean '([^']*)'\?")
_QUOTED = re.compile(r"'([^']+)'")


def suggestion(hint: str | None) -> str | None:
    m = _SUGGESTION.search(hint or "")
    return m.group(1) if m else None


def fix(source: SourceFile, span: Span, message: str, hint: str | None) -> tuple[Span, str] | None:
    """The edit that applies a diagnostic's suggestion: (where, new text), or None."""
    better = suggestion(hint)
    if better is None or span.line != span.end_line:
        return None
    text = source.line(span.line)
    start, end = span.column - 1, min(span.end_column - 1, len(text))
    written = text[start:end]
    for wrong in _QUOTED.findall(message):
        if "/" in wrong and "/" not in better:  # a file name suggested for a path: replace the last part
            wrong = wrong.rsplit("/", 1)[1]
        at = written.find(wrong)
        if at != -1 and wrong != better:
            return Span(span.file, span.line, span.column + at, span.line, span.column + at + len(wrong)), better
    if written.strip("\"' ") and written.strip("\"' ") != better:
        inner = written.strip("\"' ")
        at = written.find(inner)
        return Span(span.file, span.line, span.column + at, span.line, span.column + at + len(inner)), better
    return None


def formatted(source: SourceFile) -> str:
    """``studio fmt``'s text for the buffer; raises ``FormatRefused``."""
    return format_source(source)
