"""Referenced files: confined to the project, present, and readable media, all at check time."""

from __future__ import annotations

import shutil
from pathlib import Path

from backends import CATALOG
from compiler import compile_project
from tests.compiler.helpers import codes
from tests.conftest import LUCA


def copy_luca(tmp_path: Path) -> Path:
    dest = tmp_path / "luca"
    shutil.copytree(LUCA, dest, ignore=shutil.ignore_patterns(".studio", "build"))
    return dest


def at(result, code: str) -> int:
    return next(d.span.line for d in result.diagnostics if d.code == code)


def test_corrupt_reference_image(tmp_path: Path) -> None:
    project = copy_luca(tmp_path)
    data = (project / "refs" / "luca.png").read_bytes()
    (project / "refs" / "luca.png").write_bytes(data[: len(data) // 2])  # truncated PNG
    result = compile_project(project, backends=CATALOG)
    assert codes(result) == ["E307"]
    assert at(result, "E307") == 45  # the `references:` line of Luca


def test_corrupt_music(tmp_path: Path) -> None:
    project = copy_luca(tmp_path)
    (project / "audio" / "theme.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    result = compile_project(project, backends=CATALOG)
    assert codes(result) == ["E307"]
    assert "audio/theme.wav" in result.diagnostics[0].message


def test_files_outside_the_project_need_permission(tmp_path: Path) -> None:
    project = copy_luca(tmp_path)
    outside = tmp_path / "shared-refs"
    outside.mkdir()
    shutil.copy(project / "refs" / "luca.png", outside / "luca.png")
    path = project / "film.studio.yaml"
    path.write_text(path.read_text().replace("references: [refs/luca.png]", "references: [../shared-refs/luca.png]"))
    assert codes(compile_project(project, backends=CATALOG)) == ["E306"]
    allowed = compile_project(project, backends=CATALOG, allowed_paths=[outside])
    assert allowed.ok and allowed.plan is not None


def test_symlink_escaping_the_project(tmp_path: Path) -> None:
    project = copy_luca(tmp_path)
    secret = tmp_path / "secret.png"
    shutil.copy(project / "refs" / "luca.png", secret)
    (project / "refs" / "luca.png").unlink()
    (project / "refs" / "luca.png").symlink_to(secret)
    assert codes(compile_project(project, backends=CATALOG)) == ["E306"]


def test_reference_content_enters_keys_not_its_path(tmp_path: Path) -> None:
    project = copy_luca(tmp_path)
    before = compile_project(project, backends=CATALOG)
    (project / "refs" / "luca.png").rename(project / "refs" / "boy.png")
    path = project / "film.studio.yaml"
    path.write_text(path.read_text().replace("refs/luca.png", "refs/boy.png"))
    after = compile_project(project, backends=CATALOG)
    assert before.plan is not None and after.plan is not None
    assert {t.id: t.key for t in before.plan.tasks.values()} == {t.id: t.key for t in after.plan.tasks.values()}
