"""``studio new``: a project drafted in phases, checked by the compiler, repaired, then written.

1. cast: title, logline, look, characters (with voices), locations, props;
2. outline: the scenes, each at one of the cast's locations (a treatment gives them instead);
3. shots, scene by scene, under a schema whose characters, triggers and locations are enums of the
   cast (``schemas``), so every reference binds whatever the model's size;
4. the document is assembled (``assemble``), its silent shots fitted to the requested length, and
   compiled; what the compiler still reports goes back, scene by scene and with only that scene's
   problems, for at most ``rounds`` repair rounds.

The caller writes the text only when it has no errors (``Draft.ok``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.llm import LLM, CallContext, Request
from studio_lang.diagnostics import Diagnostic

from . import assemble, prompts, schemas
from .ask import Stats, ask_json
from .checking import Checked, check_text, emit_document, problem_lines, scene_of
from .treatment import Treatment

__all__ = ["Draft", "DraftOptions", "draft"]


@dataclass(frozen=True)
class DraftOptions:
    prompt: str
    seconds: float = 30.0
    seed: int | None = None
    """None: greedy decoding; a number: seeded sampling (and the project's seed)."""
    syntax: str = "yaml"
    rounds: int = 2
    treatment: Treatment | None = None
    fps: int = 24
    resolution: tuple[int, int] = (1280, 720)
    language: str = "en"
    header: tuple[str, ...] = ()
    """Comment lines on top of a YAML draft (the ``$schema`` modeline)."""
    timeout: float = 600.0
    """Seconds per model call."""
    repetition_penalty: float = 1.0


@dataclass
class Draft:
    text: str
    checked: Checked
    rounds: int
    """Repair rounds run."""
    clean_after: list[bool] = field(default_factory=list)
    """Round -> whether the draft had no errors after it (round 0: before any repair)."""
    stats: Stats = field(default_factory=Stats)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.checked.ok

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.checked.diagnostics


def _clamp(value: float, lo: int, hi: int) -> int:
    return int(min(max(round(value), lo), hi))


class _Drafter:
    def __init__(self, llm: LLM, options: DraftOptions, path: Path, ctx: CallContext,
                 on_phase: Callable[[str], None]) -> None:
        self.llm = llm
        self.o = options
        self.path = path
        self.ctx = ctx
        self.on_phase = on_phase
        self.stats = Stats()
        self.example = not getattr(llm, "constrains", False)
        """Show an example answer (not to a model that decodes under the schema: see ``prompts``)."""

    def ask(self, name: str, messages: tuple[Any, ...], schema: dict[str, Any], max_tokens: int) -> Any:
        self.on_phase(name)
        seed = None
        if self.o.seed is not None:
            seed = int.from_bytes(hashlib.sha256(f"{self.o.seed}\0{name}".encode()).digest()[:4], "big") & 0x7FFFFFFF
        request = Request(messages, schema=schema, max_tokens=max_tokens, timeout=self.o.timeout, seed=seed,
                          repetition_penalty=self.o.repetition_penalty, name=name)
        return ask_json(self.llm, request, self.stats, self.ctx)

    # --- phases --------------------------------------------------------------------------------
    def cast(self) -> dict[str, Any]:
        t = self.o.treatment
        names = t.names if t else ()
        seconds = self.o.seconds
        characters = (1, len(names)) if names else (1, _clamp(seconds / 12 + 1, 1, 5))
        places = sorted({s.place for s in t.sections if s.place}) if t else []
        locations = (1, _clamp(seconds / 20, 1, 4)) if not places else (0, 1)
        messages = prompts.cast_messages(self.o.prompt, seconds, t.text if t else None, names, self.example)
        answer = self.ask("cast", messages, schemas.cast_schema(characters, locations, names), 2000)
        cast = assemble.cast_data(answer, names)
        if t is not None:
            if t.title:
                cast["title"] = t.title
            known = {p["name"] for p in cast["locations"]}
            cast["locations"] = [{"name": p, "description": f"the {_words(p)}"} for p in places if p not in known] \
                + cast["locations"]
        return cast

    def outline(self, cast: dict[str, Any]) -> list[dict[str, Any]]:
        t = self.o.treatment
        if t is not None and t.sections:
            return [{"id": (s.place or f"scene{i}").lower()[:16], "heading": s.heading, "location": s.place,
                     "summary": s.text or s.heading or "", "characters": []} for i, s in enumerate(t.sections, 1)]
        n = _clamp(self.o.seconds / 20, 1, 8)
        answer = self.ask("outline", prompts.outline_messages(self.o.prompt, cast, n, self.example),
                          schemas.outline_schema([p["name"] for p in cast["locations"]],
                                                 [c["name"] for c in cast["characters"]], (max(1, n - 1), n)), 3000)
        return [{**s, "characters": list(dict.fromkeys(s["characters"]))} for s in answer["scenes"]]

    def scene_question(self, cast: dict[str, Any], scenes: list[dict[str, Any]], i: int
                       ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        scene = scenes[i]
        total = _clamp(self.o.seconds / 3.5, 1, 80)
        k = max(1, round(total / len(scenes)))
        characters = scene["characters"] or [c["name"] for c in cast["characters"]]
        triggers = [f"@{e['name']}" for part in ("characters", "locations", "props") for e in cast[part]]
        messages = prompts.shots_messages(self.o.prompt, cast, scene, k, self.o.seconds / len(scenes),
                                          [s["summary"] for s in scenes[:i]][-3:], self.example)
        return messages, schemas.shots_schema(triggers, characters, (max(1, k - 1), k + 1))

    # --- the whole draft -------------------------------------------------------------------------
    def run(self) -> Draft:
        cast = self.cast()
        scenes = self.outline(cast)
        answers = []
        for i in range(len(scenes)):
            messages, schema = self.scene_question(cast, scenes, i)
            answers.append(self.ask(f"scene {scenes[i]['id']}", messages, schema, 6000))
        checked = self.assemble(cast, scenes, answers)
        clean_after = [checked.ok]
        rounds = 0
        while checked.diagnostics and rounds < self.o.rounds:
            by_scene: dict[int, list[Diagnostic]] = {}
            for d in checked.diagnostics:
                index = scene_of(d, checked.root)
                if index is not None:
                    by_scene.setdefault(index, []).append(d)
            if not by_scene:
                break  # nothing a scene's shots could fix
            rounds += 1
            for i, problems in sorted(by_scene.items()):
                messages, schema = self.scene_question(cast, scenes, i)
                messages = prompts.repair_messages(messages, answers[i], problem_lines(problems, checked.source))
                answers[i] = self.ask(f"repair {rounds} scene {scenes[i]['id']}", messages, schema, 6000)
            checked = self.assemble(cast, scenes, answers)
            clean_after.append(checked.ok)
        return Draft(checked.text, checked, rounds, clean_after, self.stats)

    def assemble(self, cast: dict[str, Any], scenes: list[dict[str, Any]], answers: list[Any]) -> Checked:
        self.on_phase("check")
        built = [{"id": s["id"], "heading": s.get("heading"), "location": s.get("location"),
                  "shots": assemble.shots_data(a)} for s, a in zip(scenes, answers, strict=True)]
        o = self.o
        data = assemble.project_data(cast, built, seed=o.seed if o.seed is not None else 1, fps=o.fps,
                                     resolution=o.resolution, language=o.language)
        assemble.fit_durations(data, o.seconds)
        text = emit_document(data, o.syntax, list(o.header))
        return check_text(text, self.path)


def _words(name: str) -> str:
    import re

    return " ".join(w.lower() for w in re.findall(r"[A-Z][a-z]*", name)) or name.lower()


def draft(llm: LLM, options: DraftOptions, path: Path, ctx: CallContext | None = None,
          on_phase: Callable[[str], None] | None = None) -> Draft:
    """Draft a project that will be written at ``path`` (nothing is written here)."""
    import time

    start = time.perf_counter()
    drafter = _Drafter(llm, options, path, ctx or CallContext(), on_phase or (lambda _name: None))
    result = drafter.run()
    result.stats = drafter.stats
    result.seconds = time.perf_counter() - start
    return result
