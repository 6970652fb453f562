"""The language features on every example, everywhere: completion reads half-typed text (at every place
of the examples, and in text cut, doubled or scrambled at random, finding the context and the items
never raises, and every item replaces a range that ends at the cursor); every name answers definition,
references and hover; every rename keeps the project as valid as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp

from runtime.lsp.analysis import Settings, analyse
from runtime.lsp.complete import complete
from runtime.lsp.context import yaml_context
from runtime.lsp.dsl_context import dsl_context
from runtime.lsp.hover import hover_symbol
from runtime.lsp.index import RENAMABLE, Index, Symbol
from runtime.lsp.navigate import definition, references, rename_edits
from studio_lang.diagnostics import Span
from tests.conftest import ROOT

EXAMPLES = sorted(p for p in [*ROOT.glob("examples/*/*.studio.yaml"), *ROOT.glob("examples/*/*.studio")]
                  if p.is_file())  # a built example holds a .studio/ cache directory


def items_at(path: Path, lines: list[str], line: int, column: int, index: Index | None = None
             ) -> list[lsp.CompletionItem]:
    reader = dsl_context if path.name.endswith(".studio") else yaml_context
    context = reader(lines, line, column)
    if context is None:
        return []
    assert 1 <= context.column <= column + 1, (context, line, column)
    start = lsp.Position(line=line, character=context.column - 1)
    end = lsp.Position(line=line, character=column)
    items = complete(context, index or Index(), path.parent, lsp.Range(start=start, end=end))
    for item in items:
        assert isinstance(item.text_edit, lsp.TextEdit) and item.text_edit.range.end == end
    return items


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_place_of_the_examples(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    index = analyse(path.as_uri(), text, 1, path, Settings()).index  # the project's own names
    assert index is not None
    lines = text.split("\n")
    offered = 0
    for line, text in enumerate(lines):
        for column in range(len(text) + 1):
            offered += bool(items_at(path, lines, line, column, index))
    assert offered > len(lines)  # most lines offer something somewhere


_TEXTS = {p: p.read_text(encoding="utf-8") for p in EXAMPLES}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(EXAMPLES), cut=st.integers(0, 10_000), size=st.integers(0, 200),
       junk=st.text(alphabet=st.sampled_from(list("@:=-[]{},\"'#|> \n\t(aZ_.9/") + ["\u00e9", "\U0001f3ac"]),
                    max_size=40),
       where=st.integers(0, 10_000))
def test_text_being_typed(which: Path, cut: int, size: int, junk: str, where: int) -> None:
    text = _TEXTS[which]
    cut %= len(text) + 1
    text = text[:cut] + junk + text[cut + size:]
    lines = text.split("\n")
    line = (where // 97) % len(lines)
    items_at(which, lines, line, where % (len(lines[line]) + 1))


def _apply(text: str, edits: list[tuple[Span, str]]) -> str:
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for span, new in sorted(edits, key=lambda e: (e[0].line, e[0].column), reverse=True):
        a = starts[span.line - 1] + span.column - 1
        b = starts[span.end_line - 1] + span.end_column - 1
        text = text[:a] + new + text[b:]
    return text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_rename_keeps_the_project_valid(path: Path) -> None:
    """Each name that can be renamed, renamed: the text compiles with the same diagnostics (none new,
    none lost), the old name is gone from every place it was used, and the navigation features answer at
    every occurrence."""
    text = path.read_text(encoding="utf-8")
    before = analyse(path.as_uri(), text, 1, path, Settings())
    index = before.index
    assert index is not None
    codes = sorted(d.code for d in before.compilation.diagnostics)
    renamed = 0
    for occ in index.occurrences:
        assert definition(index, occ) is None or occ.symbol in index.definitions
        assert references(index, occ.symbol, True)
        hover_symbol(before, index, occ.symbol) if occ.symbol.kind != "shot" else None
    for symbol in [s for s in index.definitions if s.kind in RENAMABLE]:
        new = f"Renamed{renamed}"
        edits = rename_edits(index, symbol, new)
        assert edits, symbol
        after_text = _apply(text, edits)
        after = analyse(path.as_uri(), after_text, 2, path, Settings())
        assert sorted(d.code for d in after.compilation.diagnostics) == codes, (symbol, after.compilation.diagnostics)
        assert after.index is not None and Symbol(symbol.kind, new) in after.index.definitions
        assert Symbol(symbol.kind, symbol.name) not in after.index.definitions
        assert len(after.index.of(Symbol(symbol.kind, new))) == len(index.of(symbol))
        renamed += 1
    assert renamed >= 5
