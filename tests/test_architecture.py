"""The package layering holds, and commands users wait on import no ML library."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from backends import CATALOG, load_backend
from tests.conftest import LUCA, ROOT

LAYERS = ["studio_lang", "compiler", "backends", "runtime"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_flow_one_way(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    forbidden = set(LAYERS) - allowed
    for path in (ROOT / layer).rglob("*.py"):
        bad = imported_packages(path) & forbidden
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_every_package_has_a_readme() -> None:
    for layer in LAYERS:
        assert (ROOT / layer / "README.md").is_file(), layer


PROBE = """
import sys, io, contextlib
from runtime.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
heavy = sorted(m for m in ("torch", "diffusers", "transformers", "numpy", "PIL", "soundfile") if m in sys.modules)
print(code, ",".join(heavy))
"""


@pytest.mark.parametrize("command", ["check", "plan"])
def test_check_and_plan_import_no_ml_library(command: str) -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, command, str(LUCA)], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()
    assert out[0] == "0"
    heavy = out[1].split(",") if len(out) > 1 else []
    assert not {"torch", "diffusers", "transformers"} & set(heavy), heavy
    # nor numpy (0.05 s) nor libsndfile: the example's PCM WAV music is probed by the standard library
    assert not {"numpy", "soundfile"} & set(heavy), heavy


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_catalog_versions_match_modules(name: str) -> None:
    try:
        module = load_backend(name)
    except ImportError as exc:  # a backend still being written
        pytest.skip(str(exc))
    assert module.NAME == name
    assert module.VERSION == CATALOG[name].split("+")[0]


def test_plan_json_contract() -> None:
    out = subprocess.run([sys.executable, "-m", "runtime.cli", "plan", str(LUCA), "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    plan = json.loads(out)
    assert set(plan) == {"tasks", "schedule", "model_loads", "model_loads_lower_bound", "length"}
    assert set(plan["length"]) == {"seconds", "exact", "shots"}
    for task in plan["tasks"]:
        assert {"id", "kind", "model", "key", "inputs", "status"} <= set(task)
        assert task["status"] in ("stale", "cached")
        assert len(task["key"]) == 64
