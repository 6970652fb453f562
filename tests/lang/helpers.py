"""Small helpers shared by the language tests."""

from __future__ import annotations

from pathlib import Path

from studio_lang import ast
from studio_lang.diagnostics import Diagnostic
from studio_lang.dsl.syntax import parse_dsl
from studio_lang.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
FOUNTAIN = Path(__file__).resolve().parent / "fountain"
YAML_EXAMPLES = sorted((ROOT / "examples").glob("*/*.studio.yaml"))
DSL_EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*/*.studio") if p.is_file())  # not a .studio/ cache


def parse(text: str, name: str = "film.studio") -> tuple[ast.Project, list[Diagnostic]]:
    return parse_dsl(SourceFile(name, text))


def data(text: str) -> object:
    """The document a DSL text gives; fails the test on any error."""
    tree, diagnostics = parse(text)
    errors = [f"{d.span.line if d.span else 0}:{d.code} {d.message}" for d in diagnostics if d.is_error]
    assert not errors and tree.root is not None, errors
    return ast.to_data(tree.root)


def codes(text: str) -> list[tuple[int, str]]:
    _, diagnostics = parse(text)
    return [(d.span.line if d.span else 0, d.code) for d in diagnostics]


HEAD = 'studio 1\ntitle "T"\ncharacter Luca: "a boy"\n'
"""A minimal set of definitions for snippets that test scenes."""
