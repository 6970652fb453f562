"""``studio fmt``, ``studio convert`` and ``studio import`` through the real command line entry point."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from backends import CATALOG
from compiler import compile_project
from runtime.cli import main
from runtime.commands.rewrite import schema_comment
from tests.conftest import copy_example
from tests.lang.helpers import FOUNTAIN, GOLDEN, ROOT

LUCA = ROOT / "examples" / "luca"
PAPER_BOAT = ROOT / "examples" / "paper-boat"


def plan_keys(path: Path) -> dict[str, str]:
    result = compile_project(path, backends=CATALOG)
    assert result.plan is not None, result.diagnostics
    return {t.id: t.key for t in result.plan.tasks.values()}


def run(*args: str | Path) -> int:
    return main([str(a) for a in args])


def golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name, formatted", [("messy.studio", "messy.formatted.studio"),
                                             ("messy.studio.yaml", "messy.formatted.studio.yaml")])
def test_fmt_golden_and_idempotent(tmp_path: Path, name: str, formatted: str) -> None:
    path = tmp_path / name
    shutil.copy(GOLDEN / name, path)
    assert run("fmt", "--check", path) == 1
    assert path.read_text() == (GOLDEN / name).read_text()
    assert run("fmt", path) == 0
    text = path.read_text(encoding="utf-8")
    assert text == golden(formatted, text)
    assert run("fmt", "--check", path) == 0
    assert run("fmt", path) == 0
    assert path.read_text(encoding="utf-8") == text
    for comment in [line for line in (GOLDEN / name).read_text().splitlines() if "#" in line]:
        assert comment[comment.index("#"):].lstrip("# ").strip() in text


def test_fmt_refuses_files_with_syntax_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "film.studio"
    broken = 'studio 1\ntitle  "x"\nSCENE s\n[a] closeup\n'
    path.write_text(broken)
    assert run("fmt", path) == 1
    assert path.read_text() == broken
    err = capsys.readouterr().err
    assert "error[E110]" in err and "not rewritten" in err
    yaml_path = tmp_path / "film.studio.yaml"
    yaml_path.write_text("studio: 1\nproject: {title: [\n")
    assert run("fmt", yaml_path) == 1
    assert yaml_path.read_text() == "studio: 1\nproject: {title: [\n"


def test_fmt_keeps_permissions_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "film.studio"
    path.write_text('studio   1\ntitle "x"\n')
    path.chmod(0o640)
    assert run("fmt", tmp_path) == 0
    assert path.read_text() == 'studio 1\ntitle "x"\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["film.studio"]


def test_fmt_missing_path_and_usage(tmp_path: Path) -> None:
    assert run("fmt", tmp_path / "nope.studio") == 1
    with pytest.raises(SystemExit) as exc:
        run("fmt")
    assert exc.value.code == 2


def test_convert_both_ways(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    dsl = project / "film.studio"
    assert run("convert", project / "film.studio.yaml", dsl) == 0
    err = capsys.readouterr().err
    assert "comments carried" in err and "dropped the yaml-language-server comment" in err
    text = dsl.read_text()
    assert "SCENE cove: EXT. HIDDEN COVE - DAY" in text and "# as long as its dialogue" in text
    back = tmp_path / "luca" / "back.studio.yaml"
    assert run("convert", dsl, back) == 0
    assert "default model per task kind" in back.read_text()
    assert plan_keys(back) == plan_keys(project / "film.studio.yaml") == plan_keys(dsl)


def test_convert_refuses_to_overwrite_and_bad_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "film.studio"
    out.write_text("keep me")
    assert run("convert", LUCA / "film.studio.yaml", out) == 1
    assert out.read_text() == "keep me" and "--force" in capsys.readouterr().err
    assert run("convert", LUCA / "film.studio.yaml", out, "--force") == 0
    assert out.read_text().startswith("#")
    assert run("convert", LUCA / "film.studio.yaml", tmp_path / "film.txt") == 2
    assert run("convert", out, out) == 2


def test_schema_line_is_relative_to_the_output_inside_this_checkout(tmp_path: Path) -> None:
    assert schema_comment(ROOT / "examples" / "new" / "film.studio.yaml") == "../../schemas/project.schema.json"
    assert schema_comment(ROOT / "film.studio.yaml") == "schemas/project.schema.json"
    assert schema_comment(tmp_path / "film.studio.yaml") is None
    out = tmp_path / "film.studio.yaml"
    assert run("convert", PAPER_BOAT / "film.studio", out) == 0
    assert not out.read_text().startswith("# yaml-language-server")


def test_import_default_output_checks_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "brick.fountain"
    shutil.copy(FOUNTAIN / "title_page.fountain", script)
    assert run("import", script) == 0
    out = tmp_path / "brick.studio.yaml"
    assert "wrote" in capsys.readouterr().err
    assert compile_project(out).ok
    assert run("import", script) == 1  # exists
    assert run("import", script, "--force") == 0
    assert run("import", script, "-o", tmp_path / "brick.studio") == 0
    result = compile_project(tmp_path / "brick.studio")
    assert result.ok and not result.diagnostics
    assert run("import", script, "-o", tmp_path / "brick.txt") == 2
    assert run("import", tmp_path / "missing.fountain", "-o", tmp_path / "m.studio") == 1
