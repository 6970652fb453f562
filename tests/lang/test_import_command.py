"""``studio import`` through the real command line: coverage switch, encodings, refusals, the YAML the
fast writer produces inside and outside this checkout."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from compiler import compile_project
from runtime.cli import main
from tests.lang.helpers import FOUNTAIN


def run(*args: str | Path) -> int:
    return main([str(a) for a in args])


def test_coverage_none_switches_coverage_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = FOUNTAIN / "coverage.fountain"
    assert run("import", script, "-o", tmp_path / "auto.studio.yaml") == 0
    assert "12 shots, 3 characters" in capsys.readouterr().err
    assert run("import", script, "-o", tmp_path / "none.studio.yaml", "--coverage", "none") == 0
    assert "9 shots, 3 characters" in capsys.readouterr().err
    none = (tmp_path / "none.studio.yaml").read_text()
    assert "over_the_shoulder" in (tmp_path / "auto.studio.yaml").read_text() and "type:" not in none
    assert compile_project(tmp_path / "none.studio.yaml").ok
    with pytest.raises(SystemExit):
        run("import", script, "--coverage", "maybe")


def test_windows_1252_imports_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "cafe.fountain"
    script.write_bytes("INT. CAF\u00c9 - NIGHT\n\nZO\u00c9 waits \u2014 it\u2019s late.\n".encode("cp1252"))
    assert run("import", script) == 0
    err = capsys.readouterr().err
    assert "warning[W123]" in err and "read as Windows-1252" in err
    text = (tmp_path / "cafe.studio.yaml").read_text(encoding="utf-8")
    assert "CAFÉ" in text and "\u2014" in text
    assert compile_project(tmp_path / "cafe.studio.yaml").ok


def test_what_is_not_a_script_is_refused_with_a_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "x.fountain"
    binary.write_bytes(b"INT. A\n\x00\x01\x02\xff")
    assert run("import", binary) == 1
    assert "error[E120]" in capsys.readouterr().err
    assert run("import", tmp_path, "-o", tmp_path / "d.studio.yaml") == 1
    err = capsys.readouterr().err
    assert "error[E001]" in err and "it is a directory" in err
    fifo = tmp_path / "pipe.fountain"
    os.mkfifo(fifo)
    assert run("import", fifo) == 1  # refused at once, never opened (it would block)
    assert "not a regular file" in capsys.readouterr().err
    assert run("import", tmp_path / "missing.fountain") == 1
    assert "error[E005]" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.studio.yaml"))


def test_yaml_outside_the_checkout_has_no_schema_line(tmp_path: Path) -> None:
    script = tmp_path / "p.fountain"
    shutil.copy(FOUNTAIN / "places.fountain", script)
    assert run("import", script) == 0
    text = (tmp_path / "p.studio.yaml").read_text()
    assert text.startswith("studio: 1\n") and "'1a-int-margits-house-kitchen-night'" not in text
    assert compile_project(tmp_path / "p.studio.yaml").ok
