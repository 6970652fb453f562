"""``studio check`` and ``studio plan``: compile a project and print its diagnostics or its plan."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from studio_lang.diagnostics import render_json, render_text

if TYPE_CHECKING:
    from compiler import Compilation

__all__ = ["check_or_plan", "compile_for"]


def compile_for(path: Path, plan: bool, allow_paths: list[Path], cache: Path | None = None) -> Compilation:
    """``studio check`` (``plan`` False) or ``studio plan`` of ``path``: the compiler's result, with the
    tasks the store holds marked cached (the MCP server's check and plan tools call this too)."""
    from backends import CATALOG
    from compiler import compile_project

    is_cached = None
    digester = None
    if plan:  # once a store exists, tasks it holds are 'cached' and not scheduled
        from ..build import cache_root_for
        from ..filecache import DigestCache
        from ..store import Store

        root = cache_root_for(path if path.is_dir() else path.parent, cache)
        store = Store(root)
        if store.exists():
            is_cached = lambda key: store.lookup(key) is not None  # noqa: E731
            digester = DigestCache(root / "files.json")
    return compile_project(path, backends=CATALOG if plan else None, allowed_paths=allow_paths,
                           is_cached=is_cached, **({"digester": digester} if digester else {}))


def check_or_plan(args: argparse.Namespace) -> int:
    from .render import plan_text

    result = compile_for(args.path, args.command == "plan", args.allow_path, getattr(args, "cache", None))
    if args.command == "check" or result.plan is None:
        if args.format == "json":
            sys.stdout.write(render_json(result.diagnostics))
        else:
            text = render_text(result.diagnostics, result.sources)
            sys.stderr.write(text)
            if result.ok and args.command == "check":
                warnings = len(result.diagnostics)
                sys.stderr.write(f"{result.source.name if result.source else args.path}: ok"
                                 + (f" ({warnings} warning{'s' * (warnings != 1)})" if warnings else "") + "\n")
        return 0 if result.ok else 1
    if args.format == "json":
        sys.stdout.write(json.dumps(result.plan.to_json(), indent=2) + "\n")
    else:
        sys.stderr.write(render_text(result.diagnostics, result.sources))
        sys.stdout.write(plan_text(result.plan))
    return 0
