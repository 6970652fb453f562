"""Completion reads half-typed text: at every place of the examples, and in text cut, doubled or
scrambled at random, finding the context and the items never raises, and every item replaces a range
that ends at the cursor on the cursor's line."""

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
from runtime.lsp.index import Index
from tests.conftest import ROOT

EXAMPLES = sorted([*ROOT.glob("examples/*/*.studio.yaml"), *ROOT.glob("examples/*/*.studio")])


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
