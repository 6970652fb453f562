"""Positions between the compiler's spans and the protocol's ranges.

Spans are 1-based with an exclusive end column counted in characters (code points); the protocol
counts 0-based lines and columns in the code units the client negotiated (UTF-16 unless it offered
UTF-32 or UTF-8). ``Lines`` converts for one version of a document's text.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types as lsp

from studio_lang.diagnostics import Span
from studio_lang.source import SourceFile

__all__ = ["Lines", "utf16_units"]


def utf16_units(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


class Lines:
    """One version of a document's text, for converting positions both ways."""

    def __init__(self, source: SourceFile, units: Callable[[str], int] = utf16_units) -> None:
        self.source = source
        self.units = units

    def text(self, line: int) -> str:
        """The 1-based line's text ('' past the end)."""
        return self.source.line(line)

    def position(self, line: int, column: int) -> lsp.Position:
        """1-based ``line`` and ``column``; a column past the end of the line stays past it (the protocol
        reads it as the end of the line), so a diagnostic about a missing word keeps its width."""
        line = max(line, 1)
        text = self.text(line)
        at = max(column - 1, 0)
        return lsp.Position(line=line - 1, character=self.units(text[:at]) + max(at - len(text), 0))

    def range(self, span: Span | None) -> lsp.Range:
        if span is None:
            start = lsp.Position(line=0, character=0)
            return lsp.Range(start=start, end=start)
        return lsp.Range(start=self.position(span.line, span.column), end=self.position(span.end_line, span.end_column))

    def column(self, position: lsp.Position) -> tuple[int, int]:
        """The 1-based (line, column) of a protocol position."""
        text = self.text(position.line + 1)
        units = 0
        for index, char in enumerate(text):
            if units >= position.character:
                return position.line + 1, index + 1
            units += self.units(char)
        return position.line + 1, len(text) + 1
