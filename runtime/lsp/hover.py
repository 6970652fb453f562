"""Hover: what a name stands for, and what a shot will render.

On an element: its kind, trigger, description, voice and reference pictures (paths and previews).
On a voice, model, style or audio track: its settings and where it is used. On a shot (its id line
or its action text): the rendered prompt, the seed, the models, the duration (estimated from the
text for an ``auto`` shot until its speech exists in the store, then exact, as the build will make
it) and each task's cache status: cached, or stale and why, as ``studio build --explain`` says.
"""

from __future__ import annotations

from pathlib import Path

from compiler.film import ShotR
from compiler.settle import settle
from studio_lang import ast

from .analysis import Analysis, TaskState
from .index import BUILTIN_MODELS, Definition, Index, ShotInfo, Symbol

__all__ = ["hover_shot", "hover_symbol"]

_BUILTIN_TEXT = {"procedural": "built-in: deterministic procedural pictures and camera moves (image, video)",
                 "espeak": "built-in: eSpeak NG speech (speech)"}


def _fence(text: str) -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}text\n{text}\n{ticks}"


def _uses(index: Index, symbol: Symbol) -> str:
    n = sum(1 for o in index.of(symbol) if not o.definition)
    return f"used {n} time{'s' * (n != 1)}" if n else "not used"


def hover_symbol(analysis: Analysis, index: Index, symbol: Symbol) -> str:
    d = index.definitions.get(symbol)
    if symbol.kind == "model" and d is None:
        known = BUILTIN_MODELS.get(symbol.name)
        return f"**model `{symbol.name}`**\n\n" + (_BUILTIN_TEXT[symbol.name] if known else "not defined")
    if d is None:
        return f"**{symbol.kind} `{symbol.name}`**: not defined in this file"
    if symbol.kind == "element":
        return _element(analysis, index, d)
    if symbol.kind == "shot":
        return f"**shot `{symbol.name}`**"
    lines = [f"**{symbol.kind} `{symbol.name}`** ({_uses(index, symbol)})", ""]
    if isinstance(d.node, ast.Mapping):
        for key, value in d.node.entries:
            if isinstance(value, ast.Scalar):
                shown = str(value.value)
                multi = "\n" in shown
                lines.append(f"- {key.name}:\n{_fence(shown)}" if multi else f"- {key.name}: `{shown[:200]}`")
            else:
                lines.append(f"- {key.name}: `{_short(ast.to_data(value))}`")
    return "\n".join(lines)


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _element(analysis: Analysis, index: Index, d: Definition) -> str:
    name = d.symbol.name
    trigger = d.text("trigger") or f"@{name}"
    lines = [f"**{name}**: {d.text('kind') or 'element'} `{trigger}` ({_uses(index, d.symbol)})", ""]
    if d.text("description"):
        lines += [str(d.text("description")), ""]
    if d.text("voice"):
        lines.append(f"voice: `{d.text('voice')}`")
    if d.text("color"):
        lines.append(f"colour: `{d.text('color')}`")
    refs = d.texts("references")
    if refs:
        lines.append("references:")
        for ref in refs:
            where = (analysis.directory / ref).resolve() if analysis.directory is not None else Path(ref)
            exists = where.is_file()
            lines.append(f"- `{ref}`: {where}" + ("" if exists else " (missing)"))
        lines.append("")
        for ref in refs:
            where = (analysis.directory / ref).resolve() if analysis.directory is not None else Path(ref)
            if where.is_file():
                lines.append(f"![{ref}]({where.as_uri()})")
    return "\n".join(lines).rstrip()


def _film_shot(analysis: Analysis, shot: ShotInfo) -> ShotR | None:
    film = analysis.compilation.film
    if film is None:
        return None
    for s in film.shots:
        if s.scene == shot.scene and s.id == shot.id:
            return s
    return None


def _duration(analysis: Analysis, s: ShotR, states: dict[str, TaskState]) -> str:
    if s.duration is not None:
        return f"{s.duration:g} s"
    shot = states.get(f"shot:{s.scene}/{s.id}")
    if shot is not None and shot.record is not None and "duration" in shot.record.meta:
        return f"auto: {float(shot.record.meta['duration']):.3f} s (rendered)"
    speech = [states.get(f"speech:{s.scene}/{s.id}/{line.number}") for line in s.lines]
    plan = analysis.plan
    task = plan.tasks.get(f"shot:{s.scene}/{s.id}") if plan is not None else None  # type: ignore[call-overload]
    if task is not None and all(st is not None and st.record is not None for st in speech):
        metas = {f"line{n}": st.record.meta for n, st in enumerate(speech, 1) if st is not None and st.record}
        settled = settle("shot", task.params, metas)
        return f"auto: {float(settled['duration']):.3f} s (from the rendered speech)"
    return f"auto: about {s.estimate:.1f} s (estimated from the text; exact once its speech is rendered)"


def hover_shot(analysis: Analysis, shot: ShotInfo) -> str:
    s = _film_shot(analysis, shot)
    if s is None:
        return f"**shot `{shot.shot_id}`**\n\n(no plan while the project has errors)"
    ids = [f"keyframe:{s.scene}/{s.id}", *(f"speech:{s.scene}/{s.id}/{line.number}" for line in s.lines),
           f"motion:{s.scene}/{s.id}", f"shot:{s.scene}/{s.id}"]
    states = {tid: st for tid in ids if (st := analysis.state(tid)) is not None}
    camera = s.camera_move + (f" {s.camera_amount:g}" if s.camera_amount is not None else "")
    lines = [f"**shot `{s.scene}/{s.id}`**: {s.type.replace('_', ' ')}, {_duration(analysis, s, states)}, "
             f"camera {camera}",
             "",
             f"seed `{s.seed}` · image model `{s.image_model.name}` · video model `{s.video_model.name}`",
             "", "prompt:", _fence(s.prompt)]
    if s.negative:
        lines += ["negative:", _fence(s.negative)]
    if states:
        lines += ["", "| task | status |", "|---|---|"]
        for tid in ids:
            st = states.get(tid)
            if st is None:
                continue
            status = "cached" if st.cached else f"stale: {st.reason}"
            lines.append(f"| {tid.split(':', 1)[0]}{_line_number(tid)} | {status.replace('|', '/')} |")
    return "\n".join(lines)


def _line_number(tid: str) -> str:
    parts = tid.split("/")
    return f" {parts[2]}" if tid.startswith("speech:") and len(parts) == 3 else ""
