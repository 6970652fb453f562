"""Text renderings for the CLI (kept out of cli.py so the parser stays small)."""

from __future__ import annotations

import json
from typing import Any

from compiler import Plan, TaskId
from studio_lang.diagnostics import printable

__all__ = ["plan_text", "schema_text"]

SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"


def schema_text() -> str:
    """The JSON Schema of project files, as ``studio schema`` prints it (and schemas/ commits it)."""
    from compiler.spec import Project

    schema = {"$schema": SCHEMA_DIALECT, **Project.model_json_schema()}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def gates_text(gates: dict[str, Any]) -> list[str]:
    """Each gated keyframe in the store: the try kept (its seed and scores, pass or fail, out of how many
    tries), then every try; '(not rendered)' until it is."""
    lines = ["gates:"]
    for tid, g in gates.items():
        if not g:
            lines.append(f"  {tid}  (not rendered)")
            continue
        limits = g.get("thresholds") or {}
        tries, kept = g["tries"], g["kept"]
        lines.append(f"  {tid}  kept try {kept + 1} of {len(tries)}, seed {tries[kept]['seed']}: "
                     f"{_scored(tries[kept], limits)}  {'pass' if tries[kept]['passed'] else 'fail'}")
        if len(tries) > 1:
            for n, t in enumerate(tries):
                lines.append(f"    try {n + 1} seed {t['seed']}: {_scored(t, limits)}  "
                             f"{'pass' if t['passed'] else 'fail'}")
        if g.get("warning"):
            lines.append(f"    warning: {g['warning']}")
    return [*lines, ""]


def _scored(t: dict[str, Any], limits: dict[str, Any]) -> str:
    return ", ".join(f"{k} {t[k]:.3f}" + (f" (min {limits[k]:g})" if limits.get(k) is not None else "")
                     for k in ("identity", "prompt") if t.get(k) is not None) or "nothing to score"


def plan_text(plan: Plan, seconds: float, exact: bool, gates: dict[str, Any] | None = None) -> str:
    """``seconds``: the film's length, ``exact`` once every line's speech is in the store (else estimated);
    ``gates``: the gated keyframes' tries, by task id."""
    film = plan.film
    tasks = list(plan.tasks.values())
    stale = sum(1 for t in tasks if plan.status.get(t.id) != "cached")
    length = f"{seconds:.2f} s" if exact else f"about {seconds:.1f} s"
    lines = [f"{printable(film.title)}: {len(tasks)} tasks ({stale} stale, {len(tasks) - stale} cached), "
             f"{len(film.shots)} shots, {length} at {film.fps} fps, {film.width}x{film.height}", ""]
    groups: dict[str, list[TaskId]] = {}
    labels: dict[str, str] = {}
    for t in tasks:
        group: str
        if t.model is not None:
            group = t.model.identity
            labels[group] = f"model {t.model.name} ({t.backend})"
        else:
            group = f"tool:{t.backend}"
            labels[group] = f"{t.backend} (no model)"
        groups.setdefault(group, []).append(t.id)
    width = max(len(t.id) for t in tasks)
    for group, ids in groups.items():
        lines.append(f"{labels[group]}: {len(ids)} task{'s' * (len(ids) != 1)}")
        for tid in ids:
            lines.append(f"  {tid:<{width}}  {plan.status.get(tid, 'stale'):<6}  {plan.tasks[tid].key[:12]}")
        lines.append("")
    if gates:
        lines += gates_text(gates)
    s = plan.schedule
    verdict = "optimal" if s.loads == s.lower_bound else f"{s.loads - s.lower_bound} above the bound"
    lines.append(f"schedule: {len(s.order)} tasks to run, {s.loads} model load{'s' * (s.loads != 1)} "
                 f"(lower bound {s.lower_bound}, {verdict})")
    return "\n".join(lines) + "\n"
