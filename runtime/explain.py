"""``--explain``: why a task runs, by comparing it with the same task in the previous build (the
latest one recorded, whether it ran anything or not)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .tasks import Task

__all__ = ["explain", "explanations", "history_path", "load_history"]

_MAX_VALUE = 60
_BEFORE = 20
"""Characters shown before the first difference of a long value."""


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def _show_change(old: Any, new: Any) -> tuple[str, str]:
    """Both sides of a change; long ones as the same window around their first difference, so that
    the difference is in view (cutting both at one place would show two equal prefixes)."""
    a, b = json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)
    if len(a) <= _MAX_VALUE and len(b) <= _MAX_VALUE:
        return a, b
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, first - _BEFORE)

    def window(text: str) -> str:
        piece = text[start : start + _MAX_VALUE]
        return ("..." if start else "") + piece + ("..." if start + _MAX_VALUE < len(text) else "")

    return window(a), window(b)


def _diff(old: Any, new: Any, path: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else key
            if key not in old:
                out.append(f"{sub} added ({_show(new[key])})")
            elif key not in new:
                out.append(f"{sub} removed")
            else:
                _diff(old[key], new[key], sub, out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(a, b, f"{path}[{i}]", out)
    elif old != new:
        before, after = _show_change(old, new)
        out.append(f"{path}: {before} -> {after}")


def explain(task: Task, previous: dict[str, Any] | None, changed_inputs: set[str]) -> str:
    """One line saying why ``task`` runs. ``changed_inputs`` are task ids whose keys changed."""
    if previous is None:
        return "new task: no record of it in the previous build"
    if previous.get("key") == task.key:
        return "no record in the store for its key (never built here, collected, or damaged)"
    reasons: list[str] = []
    if (previous.get("model") or {}).get("identity") != (task.model or {}).get("identity"):
        name = (task.model or {}).get("name")
        reasons.append(f"model changed ({(previous.get('model') or {}).get('name')} -> {name})")
    params: list[str] = []
    _diff(previous.get("params"), task.params, "", params)
    reasons += [f"param {p}" for p in params[:6]] + ([f"... {len(params) - 6} more"] if len(params) > 6 else [])
    for role, tid in sorted(task.inputs.items()):
        if (previous.get("inputs") or {}).get(role) != tid:
            reasons.append(f"input {role} is now {tid}")
        elif tid in changed_inputs:
            reasons.append(f"input {tid} changed")
    old_files = previous.get("files") or {}
    for role, f in sorted(task.files.items()):
        before = old_files.get(role)
        if before is None:
            reasons.append(f"new file {f['path']}")
        elif before.get("digest") != f["digest"]:
            reasons.append(f"file {f['path']} changed")
    if not reasons:
        reasons.append("backend or studio version changed")
    return "; ".join(reasons)


def history_path(cache_root: Path, project: Path) -> Path:
    """Where builds keep the tasks of a project's last build (what ``--explain`` compares with)."""
    return cache_root / "history" / (hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:32] + ".json")


def load_history(path: Path) -> dict[str, Any]:
    try:
        previous = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return previous if isinstance(previous, dict) else {}


def explanations(tasks: Mapping[str, Task], ids: Iterable[str], previous: Mapping[str, Any]) -> dict[str, str]:
    """Why each of ``ids`` runs, against ``previous`` (a history file's tasks by id)."""
    changed = {tid for tid, t in tasks.items() if (previous.get(tid) or {}).get("key") != t.key}
    return {tid: explain(tasks[tid], previous.get(tid), changed) for tid in ids}
