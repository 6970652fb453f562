"""``studio lsp`` diagnostics: those of ``studio check`` (codes, ranges, hints) for the editor's unsaved
text in both syntaxes, related information for duplicates, columns in the client's encoding, and no
ML library imported while it serves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from compiler import compile_project
from tests.conftest import LUCA, ROOT, copy_example
from tests.lsp.helpers import Session, position_of

GOLDEN = ROOT / "tests" / "golden" / "mistakes"
DSL_GOLDEN = ROOT / "tests" / "lang" / "golden" / "syntax.studio"
HEAVY = ("torch", "diffusers", "transformers", "accelerate", "safetensors", "ray", "openai", "llguidance")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("lsp")
    s = Session(root)
    yield s
    s.close()


def expected(path: Path) -> list[tuple[str, int, int, int, int, str]]:
    """What ``studio check`` reports, as (code, 0-based start line, column, end line, column, message)."""
    out = []
    for d in compile_project(path).diagnostics:
        assert d.span is not None
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        out.append((d.code, d.span.line - 1, d.span.column - 1, d.span.end_line - 1, d.span.end_column - 1, message))
    return out


def got(diagnostics: list[lsp.Diagnostic] | tuple[lsp.Diagnostic, ...]) -> list[tuple[str, int, int, int, int, str]]:
    return [(str(d.code), d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
             d.message) for d in diagnostics]


@pytest.mark.parametrize("source", [GOLDEN / "film.studio.yaml", DSL_GOLDEN], ids=["yaml", "studio"])
def test_the_diagnostics_of_check_for_both_syntaxes(session: Session, tmp_path: Path, source: Path) -> None:
    project = tmp_path / source.parent.name
    copy_example(source.parent, project)
    path = project / source.name
    uri = session.open(path)
    diagnostics = session.diagnostics(uri)
    assert got(diagnostics) == expected(path)
    assert len(diagnostics) >= 5
    assert all(d.source == "studio" for d in diagnostics)
    severities = {d.severity for d in diagnostics}
    assert lsp.DiagnosticSeverity.Error in severities


def test_the_buffer_is_checked_not_the_file_on_disk(session: Session, luca: Path) -> None:
    path = luca / "film.studio.yaml"
    text = path.read_text()
    uri = session.open(path)
    assert session.diagnostics(uri) == []
    version = session.edit(uri, *position_of(text, "type: close_up", 6), position_of(text, "type: close_up", 14)[1],
                           "closeup")
    [d] = session.diagnostics(uri, version)
    assert d.code == "E205" and d.message == "invalid 'type' 'closeup'\nhint: did you mean 'close_up'?"
    line, col = position_of(text, "type: close_up", 6)
    assert (d.range.start.line, d.range.start.character, d.range.end.character) == (line, col, col + 7)
    assert "type: close_up" in path.read_text()  # nothing written
    version = session.edit(uri, line, col, col + 7, "close_up")
    assert session.diagnostics(uri, version) == []


def test_a_duplicate_id_points_at_both_places(session: Session, luca: Path) -> None:
    path = luca / "film.studio.yaml"
    text = path.read_text().replace("- id: leap", "- id: jump-again").replace("- id: jump\n", "- id: cove\n")
    uri = session.open(path, text)
    [d] = [d for d in session.diagnostics(uri) if d.code == "E207"]
    assert d.message.startswith("duplicate scene id 'cove'")
    second = position_of(text, "- id: cove", 6, nth=1)
    first = position_of(text, "- id: cove", 6)
    assert (d.range.start.line, d.range.start.character) == second
    assert d.related_information is not None
    [related] = d.related_information
    assert related.location.uri == uri
    assert (related.location.range.start.line, related.location.range.start.character) == first


def test_a_dsl_definition_made_twice_points_at_both(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "film.studio"
    text = ('studio 1\ntitle "T"\nvoice luca: espeak en-us\nvoice luca: espeak en-gb\n\nSCENE a: EXT. A\n\n'
            "[b] wide 2s\nA wave.\n")
    uri = session.open(path, text)
    [d] = session.diagnostics(uri)
    assert d.code == "E113" and d.range.start.line == 3
    assert d.related_information is not None and d.related_information[0].location.range.start.line == 2


def test_only_the_newest_text_gets_diagnostics(session: Session, luca: Path) -> None:
    path = luca / "film.studio.yaml"
    text = path.read_text()
    uri = session.open(path)
    session.diagnostics(uri)
    for n in range(5):  # typed faster than a compile: stale versions may be skipped, never published late
        session.replace_all(uri, text.replace("pitch: 62", f"pitch: {150 + n}"))
    final = session.replace_all(uri, text.replace("title: Luca Sees the Sea", "title: Luca"))
    assert session.diagnostics(uri, final) == []
    versions = [p.version or 0 for p in session.published[uri]]
    assert versions == sorted(versions) and versions[-1] == final


@pytest.mark.parametrize("encoding, column", [
    (lsp.PositionEncodingKind.Utf16, 21), (lsp.PositionEncodingKind.Utf32, 20), (lsp.PositionEncodingKind.Utf8, 24)])
def test_columns_count_in_the_negotiated_encoding(tmp_path: Path, encoding: str, column: int) -> None:
    project = tmp_path / "luca"
    copy_example(LUCA, project)
    path = project / "film.studio.yaml"
    text = path.read_text().replace('action: "@Luca peeks', 'action: "🙂é @Lucca peeks')
    s = Session(project, encoding=encoding)
    try:
        assert s.init.capabilities.position_encoding == encoding
        uri = s.open(path, text)
        [d] = [d for d in s.diagnostics(uri) if d.code == "E302"]
        line, _ = position_of(text, "@Lucca")
        assert (d.range.start.line, d.range.start.character) == (line, column)  # '🙂' is 1, 2 or 4 units
        assert d.range.end.character - d.range.start.character == len("@Lucca")
    finally:
        s.close()


def test_serving_every_feature_imports_no_ml_library(tmp_path: Path) -> None:
    project = tmp_path / "luca"
    copy_example(LUCA, project)
    modules = tmp_path / "modules.txt"
    s = Session(project, modules_file=modules)
    try:
        path = project / "film.studio.yaml"
        text = path.read_text()
        uri = s.open(path)
        s.diagnostics(uri)
        line, col = position_of(text, "- id: dare", 7)
        assert s.hover(uri, line, col) is not None
        line, col = position_of(text, "character: Luca", 12)
        assert s.complete(uri, line, col)
        assert s.definition(uri, line, col) is not None
        assert s.references(uri, line, col)
        assert s.rename(uri, line, col, "Lucas") is not None
        assert s.symbols(uri) and s.folding(uri)
        s.formatting(uri)
    finally:
        s.close()
    loaded = set(modules.read_text().split())
    assert "runtime.lsp.server" in loaded and "compiler.resolve" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    assert not {m for m in loaded if m.startswith("backends.") and m != "backends.base"}, "a backend module was loaded"


def test_other_yaml_files_get_nothing(session: Session, tmp_path: Path) -> None:
    """An editor may attach the server to every YAML file: it answers only for project files."""
    path = tmp_path / "docker-compose.yaml"
    text = "services:\n  web: {image: nginx}\n"
    uri = session.open(path, text)
    assert session.diagnostics(uri) == []
    assert session.complete(uri, 1, 4) == []
    assert session.hover(uri, 1, 3) is None
    assert session.formatting(uri) is None
