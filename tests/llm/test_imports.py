"""Commands a user waits on import no language-model library: check and plan of a project with an
llm model and enhancement, and its no-op build, leave torch, transformers, llguidance, openai and mcp
unimported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.llm.test_enhance import project
from tests.runtime.helpers import build_json

PROBE = """
import io, json, sys, contextlib
from runtime.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    codes = [main([command, sys.argv[1]]) for command in sys.argv[2:]]
heavy = sorted(m for m in ("torch", "transformers", "llguidance", "openai", "mcp", "jsonschema") if m in sys.modules)
print(json.dumps({"codes": codes, "heavy": heavy}))
"""


def probe(path: Path, *commands: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(path), *commands], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    return dict(json.loads(out))


def test_check_and_plan_import_no_llm_library(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "config.json").write_text("{}")
    root = project(tmp_path / "p", weights)
    assert probe(root, "check", "plan") == {"codes": [0, 0], "heavy": []}


def test_a_noop_build_imports_no_llm_library(tiny_llm: Path, tmp_path: Path) -> None:
    root = project(tmp_path / "film", tiny_llm)
    code, _, err = build_json(root)
    assert code == 0, err
    assert probe(root, "build") == {"codes": [0], "heavy": []}
