"""Fuzzing: mangled DSL and Fountain text never raise anything but diagnostics, and any document
converts to the DSL and to YAML without loss."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import compile_project
from studio_lang import ast
from studio_lang.diagnostics import render_json, render_text
from studio_lang.dsl.emit import emit_dsl, from_data
from studio_lang.fountain.importer import import_fountain
from studio_lang.loader import find_project, read_source
from studio_lang.source import SourceFile
from studio_lang.yaml.emit import emit_yaml
from studio_lang.yaml.syntax import parse_yaml
from tests.compiler.helpers import assert_diagnosed, fuzz_tiers
from tests.lang.helpers import DSL_EXAMPLES, FOUNTAIN, GOLDEN, YAML_EXAMPLES, parse
from tests.watchdog import watchdog


def _dsl_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in [*DSL_EXAMPLES, GOLDEN / "syntax.studio", GOLDEN / "messy.studio"]]
    for path in YAML_EXAMPLES:
        tree, _ = parse_yaml(SourceFile(path.name, path.read_text(encoding="utf-8")))
        assert tree.root is not None
        texts.append(emit_dsl(tree.root))
    return texts


DSL_TEXTS = _dsl_texts()
FOUNTAIN_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(FOUNTAIN.glob("*.fountain"))]
PIECES = list(':-[]{}()=@#"\\ \t>aZ0.,~!*_/^') + [
    "\n", "\n\n", "->", "SCENE ", "[x] ", "    ", "/*", "*/", "[[", "]]", "INT. ", "\\u", "wide", "3s", "key=",
    "LUCA", "(sad)", "model m: ", "é", "\u2028"]


def mutate(data: st.DataObject, texts: list[str]) -> str:
    text = data.draw(st.sampled_from(texts))
    for _ in range(data.draw(st.integers(1, 5))):
        pos = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["insert", "delete", "replace", "dup-line"]))
        chunk = "".join(data.draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=3)))
        if op == "insert":
            text = text[:pos] + chunk + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + data.draw(st.integers(1, 12)):]
        elif op == "replace":
            text = text[:pos] + chunk + text[pos + len(chunk):]
        else:
            lines = text.split("\n")
            i = pos % len(lines)
            text = "\n".join(lines[: i + 1] + lines[i:])
    return text


def mangled_dsl_gives_diagnostics_only(tmp_path: Path, data: st.DataObject) -> None:
    text = mutate(data, DSL_TEXTS)
    path = tmp_path / "film.studio"
    path.write_text(text, encoding="utf-8")
    result = compile_project(path)
    render_text(result.diagnostics, result.sources)
    render_json(result.diagnostics)
    assert_diagnosed(result)
    tree, _ = parse(text)
    if tree.root is not None and isinstance(tree.root, ast.Mapping) and tree.root.entries:
        again, diagnostics = parse(emit_dsl(tree.root))
        assert again.root is not None and ast.to_data(again.root) == ast.to_data(tree.root), diagnostics


test_mangled_dsl_gives_diagnostics_only, test_mangled_dsl_gives_diagnostics_only_slow = fuzz_tiers(
    mangled_dsl_gives_diagnostics_only, given(data=st.data()))


def mangled_fountain_imports_a_project_that_checks_clean(tmp_path: Path, data: st.DataObject) -> None:
    text = mutate(data, FOUNTAIN_TEXTS)
    project, diagnostics = import_fountain(SourceFile("script.fountain", text))
    assert not [d for d in diagnostics if d.is_error]
    path = tmp_path / "film.studio"
    path.write_text(emit_dsl(from_data(project)), encoding="utf-8")
    result = compile_project(path)
    assert result.ok, [f"{d.code} {d.message}" for d in result.diagnostics]
    assert result.source is not None
    tree, _ = parse(result.source.text)
    assert tree.root is not None and ast.to_data(tree.root) == project


test_mangled_fountain_checks_clean, test_mangled_fountain_checks_clean_slow = fuzz_tiers(
    mangled_fountain_imports_a_project_that_checks_clean, given(data=st.data()))


_text = st.text(max_size=10) | st.sampled_from([
    "", " x", "a\nb", "#x", "# x", "->", "[a]", "SCENE x", "auto", "3s", "true", "null", "1e5", "(x)", '"q"',
    "@Luca", "duck", "wide", "model x: y", "output a=1", "LUCA", "Luca", "\x85", "\u2028", "0?"])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False), _text)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                       max_leaves=5)
_shot = st.fixed_dictionaries({}, optional={
    "id": _text, "type": st.sampled_from(["wide", "closeup"]) | _values,
    "duration": st.sampled_from(["auto", 3, 2.5, -1]) | _values, "action": _text | _values,
    "camera": st.fixed_dictionaries({"move": st.sampled_from(["pan_left", "x"])}, optional={"amount": _scalars}),
    "transition": st.fixed_dictionaries({"type": st.sampled_from(["dissolve", "y"])}, optional={"duration": _scalars}),
    "models": st.dictionaries(st.sampled_from(["image", "video", "other"]), _values, max_size=2) | _values,
    "dialogue": st.lists(st.fixed_dictionaries(
        {"character": st.sampled_from(["Luca", "LUCA", "luca", "Cove"]) | _text, "line": _text | _values},
        optional={"emotion": _text | _values, "voice": _values}), max_size=2) | _values,
    "image": _values, "seed": _values})
_project = st.fixed_dictionaries({"studio": _values}, optional={
    "project": st.fixed_dictionaries({}, optional={"title": _text | _values, "resolution": _values,
                                                   "models": _values, "odd": _values}) | _values,
    "models": st.dictionaries(_text, st.fixed_dictionaries({}, optional={
        "backend": _text, "kind": _values, "params": _values, "x": _values}), max_size=2) | _values,
    "styles": st.dictionaries(_text, st.fixed_dictionaries({}, optional={
        "prompt": _text | _values, "palette": _values, "lora": _values}), max_size=2),
    "voices": st.dictionaries(_text, st.fixed_dictionaries({}, optional={
        "engine": _text, "language": _text, "emotions": _values}), max_size=2),
    "elements": st.dictionaries(st.sampled_from(["Luca", "LUCA", "Cove"]) | _text, st.fixed_dictionaries({}, optional={
        "kind": st.sampled_from(["character", "location", "robot"]) | _values,
        "trigger": st.sampled_from(["@Luca", "@ x"]) | _values, "description": _text | _values,
        "references": _values, "lora": _values}), max_size=3),
    "scenes": st.lists(st.fixed_dictionaries({}, optional={
        "id": _text | _values, "heading": _text | _values, "models": _values,
        "shots": st.lists(_shot, max_size=2) | _values}), max_size=2) | _values,
    "audio": st.lists(st.fixed_dictionaries({}, optional={
        "id": _text | _values, "file": _text | _values, "kind": _values, "duck_under_dialogue": _values}),
        max_size=2) | _values,
    "output": _values, "zzz": _values})


def any_document_converts_without_loss(document: dict[str, Any]) -> None:
    tree = from_data(document)
    again, diagnostics = parse(emit_dsl(tree))
    assert again.root is not None and ast.to_data(again.root) == document, diagnostics
    yaml_tree, diagnostics = parse_yaml(SourceFile("film.studio.yaml", emit_yaml(tree)))
    assert yaml_tree.root is not None and ast.to_data(yaml_tree.root) == document, diagnostics


# --- project paths: special files and impossible names (issue 10, items 4, 8) -------------------------------

_PROJECT_PARTS = ["fifo", "zero", "dir", "loop", "dangling", "ok", "named", "film.studio.yaml", "film.yaml", "..", ".",
                  "", "a" * 255, "a" * 256, "é" * 128, "x\x00y"]


def _special_projects(root: Path) -> Path:
    base = root / "projects"
    if base.exists():
        return base
    for name in ("fifo", "zero", "dir", "ok", "named"):
        (base / name).mkdir(parents=True)
    os.mkfifo(base / "fifo" / "film.studio.yaml")
    (base / "zero" / "film.studio.yaml").symlink_to("/dev/zero")
    (base / "dir" / "film.studio.yaml").mkdir()
    (base / "loop").symlink_to(base / "loop")
    (base / "dangling").symlink_to(base / "nowhere")
    ok = "studio: 1\nproject: {title: Ok}\nscenes: [{id: s, shots: [{id: a}]}]\n"
    (base / "ok" / "film.studio.yaml").write_text(ok, encoding="utf-8")
    (base / "named" / "film.yaml").write_text("studio: 1\n")
    return base


_SPECIAL_FILES = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                                    reason="POSIX special files")
_PROJECT_PATHS = st.lists(st.sampled_from(_PROJECT_PARTS) | st.text(max_size=8), min_size=1, max_size=3)


@_SPECIAL_FILES
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(parts=_PROJECT_PATHS)
def test_any_project_path_gives_a_diagnostic_and_never_blocks(tmp_path_factory: pytest.TempPathFactory,
                                                              parts: list[str]) -> None:
    _find_and_read(_special_projects(tmp_path_factory.getbasetemp()), parts)


@pytest.mark.slow
@_SPECIAL_FILES
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(parts=_PROJECT_PATHS)
def test_any_project_path_gives_a_diagnostic_and_never_blocks_many(tmp_path_factory: pytest.TempPathFactory,
                                                                   parts: list[str]) -> None:
    _find_and_read(_special_projects(tmp_path_factory.getbasetemp()), parts)


def _find_and_read(base: Path, parts: list[str]) -> None:
    path = base / "/".join(parts)
    with watchdog():
        found, diagnostics = find_project(path)
        if found is not None:
            source, diagnostics = read_source(found)
            assert (source is None) == bool(diagnostics)
        else:
            assert [d.code for d in diagnostics if d.is_error], path
    assert all(d.code.startswith("E00") for d in diagnostics), diagnostics
    shown = render_text(diagnostics)  # names are escaped: no control character reaches the terminal
    assert not any(unicodedata.category(c) == "Cc" for c in shown.replace("\n", ""))
test_any_document_converts_without_loss, test_any_document_converts_without_loss_slow = fuzz_tiers(
    any_document_converts_without_loss, given(_project), examples=300)
