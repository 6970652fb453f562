"""``studio check`` and ``studio plan``: compile a project and print its diagnostics or its plan."""

from __future__ import annotations

import argparse
import json
import sys

from studio_lang.diagnostics import render_json, render_text

__all__ = ["check_or_plan"]


def check_or_plan(args: argparse.Namespace) -> int:
    from backends import CATALOG
    from compiler import compile_project

    from .render import plan_text

    is_cached = None
    digester = None
    store = None
    if args.command == "plan":  # once a store exists, tasks it holds are 'cached' and not scheduled
        from ..build import cache_root_for
        from ..filecache import DigestCache
        from ..store import Store

        root = cache_root_for(args.path if args.path.is_dir() else args.path.parent, args.cache)
        store = Store(root)
        if store.exists():
            is_cached = lambda key: store.lookup(key) is not None  # noqa: E731
            digester = DigestCache(root / "files.json")
    result = compile_project(args.path, backends=CATALOG if args.command == "plan" else None,
                             allowed_paths=args.allow_path, is_cached=is_cached,
                             **({"digester": digester} if digester else {}))
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
            record = store.lookup(t.key) if store is not None and store.exists() else None
            gates[str(t.id)] = record.meta.get("gates") if record is not None else None
    if args.format == "json":
        shown = {**result.plan.to_json(), **({"gates": gates} if gates else {})}  # only projects with gates
        sys.stdout.write(json.dumps(shown, indent=2) + "\n")
    else:
        sys.stderr.write(render_text(result.diagnostics, result.sources))
        sys.stdout.write(plan_text(result.plan, gates))
    return 0
