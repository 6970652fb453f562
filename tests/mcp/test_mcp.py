"""``studio mcp`` driven by the mcp SDK's own stdio client: the tools and resources an agent uses,
on real projects in a temporary root, with the same JSON as the CLI and the same confinement."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LUCA, ROOT, copy_example

mcp = pytest.importorskip("mcp")
anyio = pytest.importorskip("anyio")

MISTAKES = ROOT / "tests" / "golden" / "mistakes"
SMALL = """\
studio: 1
project: {title: Small, fps: 12, resolution: [160, 96], seed: 3}
elements:
  Pip: {kind: character, description: a small round bird, voice: pip}
voices:
  pip: {engine: espeak, language: en}
scenes:
  - id: nest
    shots:
      - {id: hop, type: wide, duration: 1, action: "@Pip hops"}
      - id: chirp
        duration: auto
        action: "@Pip sings"
        dialogue: [{character: Pip, line: "Tweet!"}]
output: {storyboard: false}
"""


def run_client(root: Path, body: Callable[[Any], Awaitable[None]], *extra: str) -> None:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    env = {"PYTHONPATH": str(ROOT), **{k: v for k, v in os.environ.items() if k.startswith(("STUDIO", "HF_"))}}
    params = StdioServerParameters(command=sys.executable, args=["-m", "runtime.cli", "mcp", str(root), *extra],
                                   env=env, cwd=str(ROOT))

    async def main() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await body(session)

    anyio.run(main)


def result(call: Any) -> dict[str, Any]:
    assert not call.is_error, call.content
    return dict(call.structured_content)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy_example(MISTAKES, tmp_path / "mistakes")
    copy_example(LUCA, tmp_path / "luca")
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "film.studio.yaml").write_text(SMALL)
    return tmp_path


def test_tools_check_plan_build_and_resources(root: Path) -> None:
    async def body(session: Any) -> None:
        tools = await session.list_tools()
        assert {t.name for t in tools.tools} == {"check", "plan", "build", "new", "edit", "undo", "redo", "schema"}

        checked = result(await session.call_tool("check", {"path": "mistakes"}))
        golden = (ROOT / "tests" / "golden" / "mistakes.txt").read_text()
        expected = re.findall(r"^film\.studio\.yaml:(\d+):(\d+): (\w+)\[(\w+)\]", golden, re.MULTILINE)
        got = [(str(d["line"]), str(d["column"]), d["severity"], d["code"]) for d in checked["diagnostics"]]
        assert not checked["ok"] and got == expected

        planned = result(await session.call_tool("plan", {"path": "luca"}))
        assert planned["model_loads"] == planned["model_loads_lower_bound"] == 3
        assert {t["kind"] for t in planned["tasks"]} >= {"keyframe", "motion", "speech", "shot", "film"}

        steps: list[tuple[float, float | None, str | None]] = []

        async def progress(done: float, total: float | None, message: str | None) -> None:
            steps.append((done, total, message))

        built = result(await session.call_tool("build", {"path": "small"}, progress_callback=progress))
        assert built["ok"] and built["failed"] == [] and built["outputs"]["film"].endswith("final.mp4")
        assert steps[0][0] == 0 and steps[-1][0] == steps[-1][1] == len(built["executed"])
        assert "executed" in (steps[-1][2] or "")
        again = result(await session.call_tool("build", {"path": "small"}))
        assert again["executed"] == [] and again["cached"]

        report = await session.read_resource("studio://report/small")
        assert json.loads(report.contents[0].text)["title"] == "Small"
        text = await session.read_resource("studio://project/small")
        assert text.contents[0].text == SMALL
        diagnostics = await session.read_resource("studio://diagnostics/mistakes")
        assert json.loads(diagnostics.contents[0].text)["diagnostics"] == checked["diagnostics"]
        schema = result(await session.call_tool("schema", {}))
        assert schema["title"] == "studio project"

    run_client(root, body)


def test_nothing_outside_the_root(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "film.studio.yaml").write_text(SMALL)

    async def body(session: Any) -> None:
        for tool, args in (("check", {"path": str(outside)}), ("plan", {"path": "../"}),
                           ("build", {"path": str(outside)}), ("undo", {"path": "/etc"}),
                           ("edit", {"path": str(outside), "instruction": "x"})):
            answer = result(await session.call_tool(tool, args))
            assert not answer["ok"] and answer["error"]["code"] == "E514", (tool, answer)
        with pytest.raises(Exception, match="security|outside|not found|Unknown"):
            await session.read_resource("studio://project/../outside")

    run_client(root, body)
    assert not (outside / "build").exists() and not (outside / ".studio").exists()


def test_new_edit_and_undo_through_the_server(root: Path) -> None:
    pytest.importorskip("llguidance")
    from tests.llm.conftest import HAVE_LLM

    if not HAVE_LLM:
        pytest.skip("the llm extra is not installed")
    from bench.make_tiny_models import tiny_llm

    model = tiny_llm(root.parent / "tiny-llm")

    async def body(session: Any) -> None:
        made = result(await session.call_tool("new", {"prompt": "a bird learns to sing", "path": "bird",
                                                      "length": 6}))
        assert made["ok"] and made["written"] == "bird/film.studio.yaml" and made["diagnostics"] == []
        before = (root / "bird" / "film.studio.yaml").read_bytes()
        edited = result(await session.call_tool("edit", {"path": "bird", "instruction": "make it night"}))
        assert edited["ok"] and edited["written"] and edited["diff"].startswith("--- a/film.studio.yaml")
        assert (root / "bird" / "film.studio.yaml").read_bytes() != before
        undone = result(await session.call_tool("undo", {"path": "bird"}))
        assert undone["ok"] and undone["instruction"] == "make it night"
        assert (root / "bird" / "film.studio.yaml").read_bytes() == before
        nothing = result(await session.call_tool("undo", {"path": "bird"}))
        assert nothing["error"]["code"] == "E513"

    run_client(root, body, "--llm", f"hf:{model}")
