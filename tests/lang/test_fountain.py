"""Fountain import: every committed script imports into a project that checks clean in both syntaxes,
and matches its golden import (tests/lang/fountain/golden/*.studio; UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from compiler import compile_project
from studio_lang.dsl.emit import emit_dsl, from_data
from studio_lang.fountain.importer import decode_script, import_fountain
from studio_lang.yaml.write import emit_yaml_data
from tests.lang.helpers import FOUNTAIN

CORPUS = sorted(FOUNTAIN.glob("*.fountain"))
GOLDEN = FOUNTAIN / "golden"
CODES = {"empty": ["W121"], "unclosed": ["W120"]}
"""The warnings each script gives (none for the others)."""


def imported(name: str, coverage: str = "auto") -> tuple[dict[str, Any], list[str]]:
    path = FOUNTAIN / name
    source, diagnostics = decode_script(path.read_bytes(), path.name)
    assert source is not None
    data, found = import_fountain(source, title=path.stem, coverage=coverage)
    return data, [d.code for d in [*diagnostics, *found]]


def shots(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [shot for scene in data["scenes"] for shot in scene["shots"]]


@pytest.mark.parametrize("coverage", ["auto", "none"])
@pytest.mark.parametrize("script", CORPUS, ids=lambda p: p.stem)
def test_every_script_imports_and_checks_clean(script: Path, coverage: str, tmp_path: Path) -> None:
    data, codes = imported(script.name, coverage)
    assert codes == CODES.get(script.stem, [])
    for name, text in (("film.studio.yaml", emit_yaml_data(data)), ("film.studio", emit_dsl(from_data(data)))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = compile_project(path)
        assert result.ok, [f"{d.code} {d.message}" for d in result.diagnostics]
        assert not [d for d in result.diagnostics if d.code != "W302"], result.diagnostics
        path.unlink()


@pytest.mark.parametrize("script", [*CORPUS, FOUNTAIN / "coverage.fountain"],
                         ids=[*(p.stem for p in CORPUS), "coverage-none"])
def test_golden_imports(script: Path, request: pytest.FixtureRequest) -> None:
    coverage = "none" if request.node.callspec.id == "coverage-none" else "auto"
    data, _ = imported(script.name, coverage)
    text = emit_dsl(from_data(data))
    golden = GOLDEN / f"{script.stem}{'.none' if coverage == 'none' else ''}.studio"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
