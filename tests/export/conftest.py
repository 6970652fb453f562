"""One tiny build of the reference project with every export deliverable on, shared by the tests."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import LUCA
from tests.runtime.helpers import build_json, tiny_copy

EXPORT = ("opentimelineio", "reportlab", "OpenEXR", "PyOpenColorIO")


def needs_export() -> None:
    missing = [m for m in EXPORT if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the export extra is not installed ({', '.join(missing)}): pip install -e '.[export]'")


def needs_tool(name: str) -> str:
    """A system tool the test drives (poppler's pdftotext, pdftoppm): CI must have it."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: CI installs poppler-utils")
        pytest.skip(f"{name} is not installed (apt-get install -y poppler-utils)")
    return path


def with_masters(project: Path) -> Path:
    path = project / "film.studio.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\noutput:\n" in text
    path.write_text(text.replace("\noutput:\n", "\noutput:\n  masters: exr\n", 1), encoding="utf-8")
    return project


@pytest.fixture(scope="session")
def export_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("export-cache")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, export_cache: Path) -> Path:
    """A tiny copy of luca with EXR masters, built once; tests only read it."""
    needs_export()
    project = with_masters(tiny_copy(LUCA, tmp_path_factory.mktemp("export") / "luca"))
    code, summary, err = build_json(project, cache=export_cache)
    assert code == 0, err
    assert not summary["failed"]
    return project
