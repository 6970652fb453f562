from __future__ import annotations

import json
import subprocess
import sys

from runtime.commands.render import schema_text
from tests.conftest import ROOT


def test_committed_schema_matches_studio_schema() -> None:
    committed = (ROOT / "schemas" / "project.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run: studio schema > schemas/project.schema.json"


def test_cli_prints_the_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "runtime.cli", "schema"], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out == schema_text()


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def test_every_property_has_a_description_and_closed_sets_are_enums() -> None:
    schema = json.loads(schema_text())
    missing = []
    for path, node in _walk(schema):
        if path.endswith("/properties"):
            for name, prop in node.items():
                if "description" not in prop:
                    missing.append(f"{path}/{name}")
    assert not missing, missing
    shot = schema["$defs"]["Shot"]["properties"]
    assert set(shot["type"]["enum"]) >= {"establishing", "wide", "close_up", "over_the_shoulder", "pov", "insert"}
    camera = schema["$defs"]["Camera"]["properties"]["move"]
    assert "shake" in camera["enum"]
    assert schema["$defs"]["Transition"]["properties"]["type"]["enum"] == ["cut", "dissolve", "fade", "wipe"]
    assert shot["duration"]["examples"] == [3, 2.5, "auto"]
    assert schema["additionalProperties"] is False
    examples = [p for p, n in _walk(schema) if isinstance(n, dict) and "examples" in n]
    assert len(examples) >= 10
