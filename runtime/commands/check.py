"""``studio check`` and ``studio plan``: compile a project and print its diagnostics or its plan."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio_lang.diagnostics import render_json, render_text

if TYPE_CHECKING:
    from compiler import Compilation, Plan

    from ..store import Store

__all__ = ["check_or_plan", "compile_for"]


def compile_for(path: Path, plan: bool, allow_paths: list[Path], cache: Path | None = None) -> Compilation:
    """``studio check`` (``plan`` False) or ``studio plan`` of ``path``: the compiler's result, with the
    tasks the store holds marked cached (the MCP server's check and plan tools call this too)."""
    return _compile(path, plan, allow_paths, cache)[0]


def _compile(path: Path, plan: bool, allow_paths: list[Path], cache: Path | None) -> tuple[Compilation, Store | None]:
    from backends import CATALOG
    from compiler import compile_project

    is_cached = None
    digester = None
    store = None
    if plan:  # once a store exists, tasks it holds are 'cached' and not scheduled
        from ..build import cache_root_for
        from ..filecache import DigestCache
        from ..store import Store

        root = cache_root_for(path if path.is_dir() else path.parent, cache)
        store = Store(root)
        if store.exists():
            is_cached = lambda key: store.lookup(key) is not None  # noqa: E731
            digester = DigestCache(root / "files.json")
        else:
            store = None
    result = compile_project(path, backends=CATALOG if plan else None, allowed_paths=allow_paths,
                             is_cached=is_cached, installed=CATALOG, **({"digester": digester} if digester else {}))
    return result, store


def check_or_plan(args: argparse.Namespace) -> int:
    from .render import plan_text

    result, store = _compile(args.path, args.command == "plan", args.allow_path, getattr(args, "cache", None))
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
    gates = {}  # the gated keyframes the store holds: their tries' scores
    for t in result.plan.tasks.values():
        if "gates" in t.params:
            record = store.lookup(t.key) if store is not None else None
            gates[str(t.id)] = record.meta.get("gates") if record is not None else None
    from compiler.settle import film_lengths

    seconds, exact, shots = film_lengths(result.plan, _spoken(result.plan, store))
    if args.format == "json":
        data = result.plan.to_json()
        data["length"] = {"seconds": round(seconds, 6), "exact": exact,
                          "shots": [{"id": sid, "seconds": round(s, 6), "exact": e} for sid, (s, e) in shots.items()]}
        if gates:  # only projects with gates
            data["gates"] = gates
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stderr.write(render_text(result.diagnostics, result.sources))
        sys.stdout.write(plan_text(result.plan, seconds, exact, gates))
    return 0


def _spoken(plan: Plan, store: Store | None) -> dict[str, dict[str, Any]]:
    """Speech task id -> the metadata (``duration``) of its result in the store, for every line spoken."""
    if store is None:
        return {}
    found = {}
    for task in plan.tasks.values():
        if task.kind == "speech" and plan.status.get(task.id) == "cached":
            record = store.read_record(task.key)
            if record is not None:
                found[str(task.id)] = record.meta
    return found
