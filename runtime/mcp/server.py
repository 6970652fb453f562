"""The MCP server on stdio (the official ``mcp`` SDK): studio's tools and resources for agents.

Tools: ``check``, ``plan``, ``build`` (progress notifications as tasks finish), ``new``, ``edit``,
``undo``, ``redo``, ``schema``. Resources: ``studio://project/{path}`` (the project file),
``studio://diagnostics/{path}`` (``check``'s JSON) and ``studio://report/{path}`` (``build/report.json``),
and the same three without a path for the root's own project. Paths are relative to the directory
the server serves and cannot leave it. ``build`` runs ``studio build --format json`` as a child
process, so a crash or a long render never takes the server down.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from .tools import Tools

__all__ = ["make_server", "serve"]

INSTRUCTIONS = (
    "studio builds animated films from project files (*.studio.yaml or the *.studio screenplay DSL). Check a file "
    "after every change: diagnostics carry file, line, column, a stable code and a hint. plan shows the render "
    "tasks; build renders what changed. new drafts a project from a prompt; edit changes one by an instruction "
    "(undo takes it back). The schema tool gives the JSON Schema of project files.")


def make_server(tools: Tools) -> Any:
    server: Any = MCPServer("studio", instructions=INSTRUCTIONS)

    @server.tool(description="Every problem in a project file, with file, line, column, code and hint "
                             "(studio check --format json).")
    def check(path: str = ".") -> dict[str, Any]:
        return tools.check(path)

    @server.tool(description="The render tasks of a project: ids, kinds, models, cache keys and status, the "
                             "schedule, model loads against the lower bound (studio plan --format json).")
    def plan(path: str = ".") -> dict[str, Any]:
        return tools.plan(path)

    @server.tool(description="Render what is stale and deliver build/ (studio build --format json); reports "
                             "progress as tasks finish.")
    async def build(ctx: Context, path: str = ".") -> dict[str, Any]:
        return await _build(tools, path, ctx)

    @server.tool(description="Draft a new project from a prompt into a directory (studio new). llm: "
                             "hf:<repo|dir|file.gguf> or openai:<model>; default: the server's.")
    def new(prompt: str, path: str, llm: str | None = None, length: float = 30.0, format: str = "yaml",
            seed: int | None = None) -> dict[str, Any]:
        return tools.new(prompt, path, llm, length, "studio" if format == "studio" else "yaml", seed)

    @server.tool(description="Change a project by an instruction: the model's edit operations, applied so that "
                             "the rest of the file stays byte for byte; returns the diff (studio edit).")
    def edit(path: str, instruction: str, llm: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        return tools.edit(path, instruction, llm, dry_run)

    @server.tool(description="Take back the last edit of a project file (studio undo).")
    def undo(path: str = ".") -> dict[str, Any]:
        return tools.undo(path)

    @server.tool(description="Re-apply the edit that undo took back (studio redo).")
    def redo(path: str = ".") -> dict[str, Any]:
        return tools.undo(path, redo=True)

    @server.tool(description="The JSON Schema of project files (studio schema).")
    def schema() -> dict[str, Any]:
        return tools.schema()

    @server.resource("studio://project/{+path}", mime_type="text/plain", description="A project file's text.")
    def project_at(path: str) -> str:
        return tools.project_text(path)

    @server.resource("studio://diagnostics/{+path}", mime_type="application/json",
                     description="A project's diagnostics, as the check tool gives them.")
    def diagnostics_at(path: str) -> str:
        return json.dumps(tools.check(path))

    @server.resource("studio://report/{+path}", mime_type="application/json",
                     description="build/report.json of a project's last build.")
    def report_at(path: str) -> str:
        return tools.report(path)

    @server.resource("studio://project", mime_type="text/plain", description="The project file of the root.")
    def project_root() -> str:
        return tools.project_text(".")

    @server.resource("studio://diagnostics", mime_type="application/json",
                     description="The diagnostics of the root's project.")
    def diagnostics_root() -> str:
        return json.dumps(tools.check("."))

    @server.resource("studio://report", mime_type="application/json",
                     description="build/report.json of the root's project.")
    def report_root() -> str:
        return tools.report(".")

    return server


async def _build(tools: Tools, path: str, ctx: Context) -> dict[str, Any]:
    from ..authoring.session import Failure

    try:
        command = tools.build_command(path)
    except Failure as exc:
        return {"ok": False, "error": exc.diagnostic.to_json()}
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE, cwd=str(tools.root))
    assert process.stdout is not None and process.stderr is not None
    total, done = 0, 0
    diagnostics: list[Any] = []
    async for raw in process.stderr:
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        if "diagnostics" in event:
            diagnostics = event["diagnostics"]
        elif event.get("event") == "build":
            total = int(event.get("tasks", 0))
            await ctx.report_progress(0, total, "building")
        elif event.get("event") == "finished":
            done += 1
            await ctx.report_progress(done, total or None, f"{event.get('id')} {event.get('status')}")
    out = await process.stdout.read()
    code = await process.wait()
    try:
        summary = json.loads(out)
    except ValueError:
        summary = {}
    return {"ok": code == 0, "exit_code": code, **summary, "diagnostics": diagnostics}


def serve(root: Path, llm_spec: str | None = None, allow_paths: list[Path] | tuple[Path, ...] = ()) -> int:
    """Serve on stdin/stdout until the client closes it."""
    if not root.is_dir():
        sys.stderr.write(f"studio mcp: {root} is not a directory\n")
        return 2
    tools = Tools(root.resolve(), llm_spec, [p.resolve() for p in allow_paths])
    server = make_server(tools)
    try:
        server.run("stdio")
    finally:
        tools.close()
    return 0
