"""Document symbols (the outline: definitions, then scenes with their shots) and folding ranges."""

from __future__ import annotations

from lsprotocol import types as lsp

from studio_lang.diagnostics import Span

from .convert import Lines
from .index import Index, trim

__all__ = ["folding", "symbols"]

_KINDS = {"element": lsp.SymbolKind.Class, "voice": lsp.SymbolKind.Variable, "model": lsp.SymbolKind.Module,
          "style": lsp.SymbolKind.Struct, "track": lsp.SymbolKind.File}
_SECTIONS = {"element": "elements", "voice": "voices", "model": "models", "style": "styles", "track": "audio"}


def _cover(a: Span, b: Span) -> Span:
    start = min((a.line, a.column), (b.line, b.column))
    end = max((a.end_line, a.end_column), (b.end_line, b.end_column))
    return Span(a.file, start[0], start[1], end[0], end[1])


def symbols(index: Index, lines: Lines) -> list[lsp.DocumentSymbol]:
    out: list[lsp.DocumentSymbol] = []
    groups: dict[str, list[lsp.DocumentSymbol]] = {}
    for symbol, d in index.definitions.items():
        if symbol.kind not in _KINDS:
            continue
        detail = d.text("kind") or d.text("backend") or d.text("engine") or d.text("file")
        groups.setdefault(symbol.kind, []).append(lsp.DocumentSymbol(
            name=symbol.name, kind=_KINDS[symbol.kind], detail=detail,
            range=lines.range(_cover(d.span, trim(lines.source, d.node.span))),
            selection_range=lines.range(d.span)))
    for kind, children in groups.items():
        section = index.sections.get(_SECTIONS[kind])
        if section is None:
            continue
        out.append(lsp.DocumentSymbol(name=_SECTIONS[kind], kind=lsp.SymbolKind.Namespace,
                                      range=lines.range(_cover(section, _union(children, section))),
                                      selection_range=lines.range(Span(section.file, section.line, section.column,
                                                                       section.line, section.column + 1)),
                                      children=children))
    for scene in index.scenes:
        shots = [lsp.DocumentSymbol(name=shot.id, kind=lsp.SymbolKind.Event, detail=_first_line(shot, lines),
                                    range=lines.range(_cover(shot.id_span, shot.body)),
                                    selection_range=lines.range(shot.id_span)) for shot in scene.shots]
        out.append(lsp.DocumentSymbol(name=scene.id, kind=lsp.SymbolKind.Module, detail=scene.heading,
                                      range=lines.range(_cover(scene.id_span, scene.body)),
                                      selection_range=lines.range(scene.id_span), children=shots))
    return out


def _union(children: list[lsp.DocumentSymbol], section: Span) -> Span:
    """A span reaching the last child (a DSL section is scattered: its definitions are lines of their own)."""
    end = max(((c.range.end.line + 1, 1) for c in children), default=(section.end_line, section.end_column))
    return Span(section.file, section.line, section.column, *end)


def _first_line(shot: object, lines: Lines) -> str | None:
    action = getattr(shot, "action", None)
    if action is None:
        return None
    text = lines.text(action.line)[action.column - 1:].strip().strip("\"'")
    return text[:60] + ("..." if len(text) > 60 else "")


def folding(index: Index, lines: Lines) -> list[lsp.FoldingRange]:
    spans = [*index.sections.values(), *(trim(lines.source, d.node.span) for d in index.definitions.values()),
             *(s.body for s in index.scenes), *(shot.body for s in index.scenes for shot in s.shots)]
    seen: set[tuple[int, int]] = set()
    out = []
    for span in spans:
        last = span.end_line
        if last > span.line and (span.line, last) not in seen:
            seen.add((span.line, last))
            out.append(lsp.FoldingRange(start_line=span.line - 1, end_line=last - 1))
    return sorted(out, key=lambda r: (r.start_line, r.end_line))
