"""What the MCP tools do, as plain functions of paths inside the server's root.

Each returns the JSON the CLI's ``--format json`` gives (``check``: ``{"diagnostics"}``, ``plan``: the
plan, ``build``: the build summary) or, for the authoring tools, a result with ``ok``, the diagnostics
and what was written. Failures are results too (``ok: false`` and an ``error`` diagnostic): an agent
reads the reason, never a traceback. Every path is resolved inside ``root`` (E514 otherwise), as the
CLI confines a project's files to its directory.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio_lang.diagnostics import Diagnostic

from ..authoring.session import Failure

__all__ = ["Tools"]


def _error(exc: Failure) -> dict[str, Any]:
    return {"ok": False, "error": exc.diagnostic.to_json(), "details": exc.details or None}


@dataclass
class Tools:
    root: Path
    llm_spec: str | None = None
    allow_paths: list[Path] = field(default_factory=list)
    _models: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inside(self, path: str) -> Path:
        """``path`` (relative to the root, or absolute) if it lies inside the root."""
        root = self.root.resolve()
        candidate = Path(path).expanduser()
        resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
        if resolved != root and root not in resolved.parents:
            raise Failure(Diagnostic.error("E514", f"'{path}' is outside the directory this server serves ({root})",
                                           hint="use a path inside it, or start studio mcp in a directory above"))
        return resolved

    # --- compiler ----------------------------------------------------------------------------------
    def check(self, path: str) -> dict[str, Any]:
        from ..commands.check import compile_for

        try:
            result = compile_for(self.inside(path), False, self.allow_paths)
        except Failure as exc:
            return _error(exc)
        return {"ok": result.ok, "diagnostics": [d.to_json() for d in result.diagnostics]}

    def plan(self, path: str) -> dict[str, Any]:
        from ..commands.check import compile_for

        try:
            result = compile_for(self.inside(path), True, self.allow_paths)
        except Failure as exc:
            return _error(exc)
        if result.plan is None:
            return {"ok": False, "diagnostics": [d.to_json() for d in result.diagnostics]}
        return {"ok": True, **result.plan.to_json(), "diagnostics": [d.to_json() for d in result.diagnostics]}

    def build_command(self, path: str) -> list[str]:
        import sys

        command = [sys.executable, "-m", "runtime.cli", "build", str(self.inside(path)), "--format", "json"]
        for allowed in self.allow_paths:
            command += ["--allow-path", str(allowed)]
        return command

    def schema(self) -> dict[str, Any]:
        from ..commands.render import schema_text

        return dict(json.loads(schema_text()))

    # --- authoring -----------------------------------------------------------------------------------
    def model(self, spec: str | None, project: Path | None) -> Any:
        """An open language model, kept for the next call (loading one takes seconds to minutes)."""
        from ..authoring.session import choose_llm, open_chosen

        config = choose_llm(spec or self.llm_spec, project)
        key = json.dumps(config, sort_keys=True)
        with self._lock:
            if key not in self._models:
                self._models[key] = open_chosen(config)
            return self._models[key]

    def new(self, prompt: str, path: str, llm: str | None, length: float, syntax: str, seed: int | None
            ) -> dict[str, Any]:
        from ..commands.new import create

        try:
            out = self.inside(path)
            made = create(prompt, out, syntax=syntax, seconds=length, seed=seed, llm=self.model(llm, None))
        except Failure as exc:
            return _error(exc)
        draft = made.draft
        return {"ok": draft.ok, "written": str(made.path.relative_to(self.root.resolve())),
                "diagnostics": [d.to_json() for d in draft.diagnostics], "repair_rounds": draft.rounds,
                "tokens": draft.stats.tokens, "seconds": round(draft.seconds, 3), "text": draft.text}

    def edit(self, path: str, instruction: str, llm: str | None, dry_run: bool) -> dict[str, Any]:
        from studio_lang.loader import find_project

        from ..commands.edit import apply_edit

        try:
            target = self.inside(path)
            project, _ = find_project(target)
            outcome = apply_edit(target, instruction, dry_run=dry_run, llm=self.model(llm, project))
        except Failure as exc:
            return _error(exc)
        result = outcome.result
        return {"ok": result.ok, "written": outcome.written, "diff": outcome.diff, "operations": result.operations,
                "layout_kept": result.kept, "repair_rounds": result.rounds,
                "diagnostics": [d.to_json() for d in result.checked.diagnostics]}

    def undo(self, path: str, redo: bool = False) -> dict[str, Any]:
        from ..commands.edit import step

        try:
            outcome = step(self.inside(path), redo)
        except Failure as exc:
            return _error(exc)
        return {"ok": True, "instruction": outcome.instruction, "diff": outcome.diff}

    # --- resources -------------------------------------------------------------------------------------
    def project_text(self, path: str) -> str:
        from studio_lang.loader import find_project

        found, diagnostics = find_project(self.inside(path))
        if found is None:
            raise ValueError(diagnostics[0].message if diagnostics else f"no project at '{path}'")
        return found.read_text(encoding="utf-8")

    def report(self, path: str) -> str:
        from studio_lang.loader import find_project

        found, diagnostics = find_project(self.inside(path))
        if found is None:
            raise ValueError(diagnostics[0].message if diagnostics else f"no project at '{path}'")
        report = found.parent / "build" / "report.json"
        if not report.is_file():
            raise ValueError(f"no build/report.json beside {found.name} yet: run the build tool first")
        return report.read_text(encoding="utf-8")

    def close(self) -> None:
        with self._lock:
            for model in self._models.values():
                model.close()
            self._models.clear()
