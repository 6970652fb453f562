from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.compiler.helpers import MINIMAL
from tests.conftest import LUCA, ROOT, copy_example


def studio(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_check_clean_project_exits_zero() -> None:
    done = studio("check", str(LUCA))
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stderr


def test_check_errors_exit_one_with_json(tmp_path: Path) -> None:
    broken = MINIMAL.replace("project: {title: Tiny}", "project:\n  title: Tiny\n  fps: 0")
    (tmp_path / "film.studio.yaml").write_text(broken)
    done = studio("check", str(tmp_path), "--format", "json")
    assert done.returncode == 1
    diags = json.loads(done.stdout)["diagnostics"]
    assert [d["code"] for d in diags] == ["E204"]
    assert diags[0]["line"] == 4


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    (tmp_path / "film.studio.yaml").write_text(MINIMAL.replace('"Look at it fly!"}', '"Look!", emotion: grumpy}'))
    done = studio("check", str(tmp_path))
    assert done.returncode == 0
    assert "warning[W301]" in done.stderr


def test_usage_errors_exit_two() -> None:
    assert studio().returncode == 2
    assert studio("check").returncode == 2
    assert studio("frobnicate", "x").returncode == 2
    assert studio("check", str(LUCA), "--format", "xml").returncode == 2


def test_plan_text_groups_by_model(tmp_path: Path) -> None:
    project = tmp_path / "luca"  # a copy: README's first command builds examples/luca, whose store says 'cached'
    copy_example(LUCA, project)
    done = studio("plan", str(project))
    assert done.returncode == 0, done.stderr
    assert "model sketch (procedural): 1 task" in done.stdout
    assert "3 model loads (lower bound 3, optimal)" in done.stdout


def test_plan_of_a_broken_project_prints_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "film.studio.yaml").write_text(MINIMAL.replace("@Ana runs", "@Anna runs"))
    done = studio("plan", str(tmp_path))
    assert done.returncode == 1
    assert "error[E302]: unknown element '@Anna'" in done.stderr
    assert "did you mean '@Ana'?" in done.stderr
