"""Resolve: ``spec.Project`` -> ``film.Film``.

Binds every name (``@Trigger`` words, dialogue characters, voices, styles, models, locations,
audio tracks), renders style prompts in the sandbox with element descriptions injected, derives
seeds from the project seed and stable shot ids, estimates ``auto`` durations, and checks the
files the project refers to. Unknown names get the closest known one as a hint.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from studio_lang import ast
from studio_lang.diagnostics import Diagnostic, Span, sort_key

from . import spec
from .canonical import normalise
from .daytime import time_of_day
from .endframe import end_frame_problem
from .files import FileRef, ProjectFiles
from .film import (
    BUILTIN_MODELS,
    KNOWN_EMOTIONS,
    AdapterR,
    AudioR,
    ElementR,
    EnhanceR,
    Film,
    GatesR,
    LineR,
    LoraR,
    ModelRef,
    ShotR,
    VoiceR,
)
from .heading import Setting, parse_heading
from .modelcheck import (
    ADAPTERS,
    NEEDS_WEIGHTS,
    PARAMS,
    REMOTE,
    adapter_entries,
    check_model,
    missing_libraries,
)
from .templates import PromptTemplate, TemplateProblem, compile_template
from .timing import estimate_speech, frames_for, layout, min_frames, speaking_rate
from .validate import closest
from .weights import Weights, WeightsResolver

__all__ = ["TRIGGER", "resolve", "shot_seed"]

TRIGGER = re.compile(r"@[A-Za-z][A-Za-z0-9_]*")
_DEFAULT_VOICE = spec.Voice()


def shot_seed(project_seed: int, scene: str, shot: str) -> int:
    """Seed of a shot: from the project seed and the shot's stable id, never its position."""
    h = hashlib.sha256(f"studio-seed\0{project_seed}\0{scene}/{shot}".encode()).digest()
    return int.from_bytes(h[:8], "big") & (2**63 - 1)


def resolve(source: ast.Project, project: spec.Project, files: ProjectFiles,
            poisoned: frozenset[str] = frozenset()) -> tuple[Film | None, list[Diagnostic]]:
    """Bind and render. ``poisoned`` names definitions that failed validation: no errors about them."""
    r = _Resolver(source, project, files, poisoned)
    film = r.run()
    diagnostics = sorted(r.diagnostics, key=sort_key)
    return (None if any(d.is_error for d in diagnostics) else film), diagnostics


def _hint(word: str, known: Iterable[str], what: str) -> str:
    pool = sorted(known)
    guess = closest(word, pool)
    if guess:
        return f"did you mean '{guess}'?"
    if not pool:
        return f"no {what} is defined"
    shown = ", ".join(pool[:8]) + (", ..." if len(pool) > 8 else "")
    return f"known {what}: {shown}"


class _Resolver:
    def __init__(self, source: ast.Project, project: spec.Project, files: ProjectFiles,
                 poisoned: frozenset[str]) -> None:
        self.poisoned = poisoned
        self.source = source
        self.root = source.root
        self.p = project
        self.files = files
        self.diagnostics: list[Diagnostic] = []
        self.models: dict[str, ModelRef] = {}
        self.templates: dict[str, PromptTemplate | None] = {}
        self.template_errors: set[tuple[str, str]] = set()
        self.elements: dict[str, ElementR] = {}
        self.voices: dict[str, VoiceR | None] = {}
        self.voiceless: set[str] = set()
        self._gates: dict[tuple[str, ...], GatesR | None] = {}
        self.end_shots: list[tuple[str, tuple[str | int, ...]]] = []
        self._default_voices: dict[str, VoiceR] = {}
        self.triggers = {(e.trigger or f"@{name}"): name for name, e in project.elements.items()}
        self.weights = WeightsResolver(files)
        self.watched: dict[str, None] = {}
        self.style_loras: dict[str, LoraR | None] = {}
        self.enhancers: dict[str, EnhanceR | None] = {}
        self.unread: set[str] = set()
        self.lora_warned: set[tuple[str, str]] = set()

    # --- helpers -------------------------------------------------------------------------
    def span(self, *path: str | int, key: bool = False) -> Span:
        assert self.root is not None
        return ast.locate(self.root, path, key=key)

    def error(self, code: str, message: str, span: Span, hint: str | None = None, name: str | None = None) -> None:
        if name is not None and name in self.poisoned:
            return  # its definition already has an error; a second one here would be noise
        self.diagnostics.append(Diagnostic.error(code, message, span, hint))

    def warn(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic.warning(code, message, span, hint))

    def sub_span(self, span: Span, needle: str, nth: int = 0) -> Span:
        """The span of the ``nth`` occurrence of ``needle`` inside ``span`` in the source text."""
        src = self.source.source
        for line_no in range(span.line, min(span.end_line, src.line_count) + 1):
            text = src.line(line_no)
            start = span.column - 1 if line_no == span.line else 0
            end = span.end_column - 1 if line_no == span.end_line else len(text)
            pos = text.find(needle, start, end)
            while pos != -1:
                if nth == 0:
                    return Span(span.file, line_no, pos + 1, line_no, pos + 1 + len(needle))
                nth -= 1
                pos = text.find(needle, pos + len(needle), end)
        return span

    # --- definitions -----------------------------------------------------------------------
    def run(self) -> Film:
        p = self.p
        for name, cfg in p.models.items():
            if name in BUILTIN_MODELS:
                self.error("E208", f"'{name}' is the name of a built-in model", self.span("models", name, key=True),
                           "choose another name")
                continue
            self.models[name] = self.model_ref(name, cfg)
        for kind in ("image", "video", "speech"):
            self.model(getattr(p.project.models, kind), kind, ("project", "models", kind))
        for name, style in p.styles.items():  # every template is checked, used by a shot or not
            self.template(name, style)
        if p.project.style is not None:
            self.style(p.project.style, ("project", "style"))
        for name, element in p.elements.items():
            self.elements[name] = self.element(name, element)
            if element.voice is not None:
                self.voice(element.voice, ("elements", name, "voice"))
            if element.kind != "character" and element.voice is not None:
                self.warn("W303", f"{element.kind} '{name}' has a voice but only characters speak",
                          self.span("elements", name, "voice"))
        audio = tuple(a for a in (self.audio(i, t) for i, t in enumerate(p.audio)) if a is not None)
        shots: list[ShotR] = []
        paths: list[tuple[str | int, ...]] = []
        time: str | None = None
        for i, scene in enumerate(p.scenes):
            setting = parse_heading(scene.heading, time)
            time = setting.time or time  # CONTINUOUS: the time of the scene before
            for j, shot in enumerate(scene.shots):
                cut_in = shots[-1].transition.duration if shots and shots[-1].transition is not None else 0.0
                shots.append(self.shot(i, scene, j, shot, cut_in, setting))
                paths.append(("scenes", i, "shots", j))
        self.check_anchors(shots)
        self.check_transitions(shots, paths, p.project.fps)
        self.check_deliverables(shots, paths)
        self.check_libraries(shots)
        return Film(
            title=p.project.title, fps=p.project.fps, width=p.project.resolution[0], height=p.project.resolution[1],
            seed=p.project.seed, vram_gb=p.project.vram_gb, language=p.project.language, shots=tuple(shots),
            audio=audio, output=p.output, models=dict(self.models), watched=tuple(self.watched))

    def resolve_weights(self, written: str, revision: str | None, span: Span, file_only: bool = False,
                        name: str | None = None) -> Weights | None:
        found, diagnostics = self.weights.resolve(written, revision, span, file_only=file_only)
        for d in diagnostics:
            if d.is_error:
                self.error(d.code, d.message, span, d.hint, name=name)
            else:
                self.warn(d.code, d.message, span, d.hint)
        if found is not None:
            self.watched.update((str(p), None) for p in found.watched)
        return found

    def finite(self, value: Any, path: tuple[str | int, ...], report: bool = True) -> Any:
        """``value`` with every infinite or NaN number replaced by null (and reported, E204): free-form
        parameters enter keys, and a key has no spelling for them."""
        if isinstance(value, float) and not math.isfinite(value):
            if report:
                self.error("E204", f"{value!r} is not a finite number", self.span(*path),
                           "write a number (YAML's .inf and .nan have no place in parameters)")
            return None
        if isinstance(value, dict):
            return {k: self.finite(v, (*path, k), report) for k, v in value.items()}
        if isinstance(value, list):
            return [self.finite(v, (*path, i), report) for i, v in enumerate(value)]
        return value

    def model_ref(self, name: str, cfg: spec.ModelConfig) -> ModelRef:
        """A named model with its weights and adapters resolved to their identities."""
        for d in check_model(name, cfg, lambda *path, key=False: self.span("models", name, *path, key=key)):
            self.diagnostics.append(d)
        checked = PARAMS.get((cfg.backend, cfg.kind), {})  # check_model has said what is wrong with these
        params = normalise({k: self.finite(v, ("models", name, "params", k), report=k not in checked)
                            for k, v in cfg.params.items()})
        path: str | None = None
        resolved = None
        adapters: list[AdapterR] = []
        if cfg.weights is not None and cfg.backend in NEEDS_WEIGHTS and cfg.backend not in REMOTE:
            found = self.resolve_weights(cfg.weights, cfg.revision, self.span("models", name, "weights"), name=name)
            if found is not None:
                path = str(found.path) if found.path is not None else None
                resolved = found.identity()
            for param, value in params.items():
                if param not in ADAPTERS or ADAPTERS[param] != (cfg.backend, cfg.kind):
                    continue
                for role, written, under in adapter_entries(param, value):
                    where = ("models", name, "params", param, *under)
                    extra = self.resolve_weights(written, None, self.span(*where), name=name,
                                                 file_only=role == "speaker_embeddings")
                    if extra is not None:
                        adapters.append(AdapterR(role, written, str(extra.path) if extra.path else None,
                                                 extra.revision, extra.identity()))
        return ModelRef(name, cfg.backend, frozenset({cfg.kind}), cfg.weights, cfg.revision, cfg.dtype, cfg.vram_gb,
                        cfg.batch_size, params, path, resolved, tuple(adapters), cfg.num_gpus)

    def lora(self, owner: str, lora: spec.Lora, path: tuple[str | int, ...]) -> LoraR | None:
        found = self.resolve_weights(lora.weights, None, self.span(*path, "lora", "weights"), file_only=True)
        if found is None:
            return None
        file = None
        if found.path is not None:
            file = FileRef(lora.weights.replace("\\", "/"), found.path, self.files.digester(found.path))
        return LoraR(owner, lora.weights, lora.scale, file, found.revision)

    def model(self, name: str, kind: str, path: tuple[str | int, ...]) -> ModelRef:
        ref = self.models.get(name) or BUILTIN_MODELS.get(name)
        if ref is None:
            self.error("E301", f"unknown model '{name}'", self.span(*path),
                       _hint(name, [*self.models, *BUILTIN_MODELS], "models"), name=name)
            return BUILTIN_MODELS["espeak" if kind == "speech" else "procedural"]
        if kind not in ref.kinds:
            self.error("E308", f"model '{name}' makes {'/'.join(sorted(ref.kinds))}, not {kind}", self.span(*path),
                       f"use a model of kind {kind}", name=name)
        return ref

    def style(self, name: str, path: tuple[str | int, ...]) -> spec.Style | None:
        style = self.p.styles.get(name)
        if style is None:
            self.error("E301", f"unknown style '{name}'", self.span(*path), _hint(name, self.p.styles, "styles"),
                       name=name)
            return None
        if name not in self.style_loras:
            self.style_loras[name] = self.lora(f"style:{name}", style.lora, ("styles", name)) if style.lora else None
        self.template(name, style)
        return style

    def template(self, name: str, style: spec.Style) -> PromptTemplate | None:
        """The style's compiled prompt template (checked against the prompt variables), once."""
        if name not in self.templates:
            try:
                self.templates[name] = compile_template(style.prompt)
            except TemplateProblem as exc:
                self.templates[name] = None
                self.template_error(name, exc)
        return self.templates[name]

    def template_error(self, style: str, exc: TemplateProblem) -> None:
        if (style, str(exc)) in self.template_errors:
            return
        self.template_errors.add((style, str(exc)))
        span = self.span("styles", style, "prompt")
        if exc.line and exc.line > 1 and span.end_line > span.line:  # block scalar: point at the template line
            line = min(span.line + exc.line, span.end_line)
            span = Span(span.file, line, 1, line, len(self.source.source.line(line)) + 1)
        if exc.needle:
            span = self.sub_span(span, exc.needle)
        hint = exc.hint or ("prompt variables: action, shot, scene, location, characters, project, style"
                            if exc.code == "E303" else "templates may only format the shot's text")
        self.error(exc.code, f"style '{style}': {exc}", span, hint)

    def element(self, name: str, element: spec.Element) -> ElementR:
        refs: list[FileRef] = []
        for k, written in enumerate(element.references):
            found = self.files.check(written, "image", self.span("elements", name, "references", k))
            if isinstance(found, Diagnostic):
                self.diagnostics.append(found)
            else:
                refs.append(found)
        lora = self.lora(f"element:{name}", element.lora, ("elements", name)) if element.lora else None
        return ElementR(name, element.kind, element.description, element.color, tuple(refs), lora)

    def voice(self, name: str, path: tuple[str | int, ...]) -> VoiceR | None:
        if name in self.voices:
            return self.voices[name]
        v = self.p.voices.get(name)
        if v is None:
            self.error("E301", f"unknown voice '{name}'", self.span(*path), _hint(name, self.p.voices, "voices"),
                       name=name)
            return None
        resolved = self.make_voice(name, v, ("voices", name, "engine"))
        self.voices[name] = resolved
        return resolved

    def default_voice(self, engine: str, path: tuple[str | int, ...]) -> VoiceR:
        """The voice of characters without one: the shot's speech model (``models: {speech: ...}`` on the
        shot, its scene or the project) in the project's language."""
        if engine not in self._default_voices:
            v = _DEFAULT_VOICE.model_copy(update={"language": self.p.project.language, "engine": engine})
            self._default_voices[engine] = self.make_voice("default", v, path)
        return self._default_voices[engine]

    def make_voice(self, name: str, v: spec.Voice, engine_path: tuple[str | int, ...]) -> VoiceR:
        model = self.model(v.engine, "speech", engine_path)
        emotions = {k: e.model_dump() for k, e in v.emotions.items()}
        return VoiceR(name, model, v.language, v.variant, v.pitch, v.rate, v.volume, v.range, v.speaker, emotions)

    def audio(self, i: int, track: spec.AudioTrack) -> AudioR | None:
        found = self.files.check(track.file, "audio", self.span("audio", i, "file"))
        if isinstance(found, Diagnostic):
            self.diagnostics.append(found)
            return None
        return AudioR(track.id, found, track.kind, track.start, track.at, track.volume, track.duck_under_dialogue,
                      track.loop, track.fade_in, track.fade_out)

    # --- shots -----------------------------------------------------------------------------
    def shot(self, i: int, scene: spec.Scene, j: int, shot: spec.Shot, cut_in: float, setting: Setting) -> ShotR:
        """``cut_in``: seconds of the shot's head that the transition into it covers; ``setting``: what
        the scene heading says (CONTINUOUS resolved)."""
        path: tuple[str | int, ...] = ("scenes", i, "shots", j)
        p = self.p
        image_model = self.inherited_model("image", i, scene, j, shot)
        video_model = self.inherited_model("video", i, scene, j, shot)
        if shot.card is not None:  # a card is text on a plain ground: drawn, never generated
            image_model = video_model = BUILTIN_MODELS["procedural"]
        style_name, style_path = self.inherited(("style",), i, scene, j, shot)
        style = self.style(style_name, style_path) if style_name else None
        location = self.location(i, scene, j, shot)
        characters, props, mentioned = self.bind_action(path, shot.action)
        location = location or mentioned
        speech_name, speech_path = self.inherited(("models", "speech"), i, scene, j, shot)
        self.model(speech_name, "speech", speech_path)  # checked even where no voiceless character speaks
        lines = tuple(self.line(path, k, line, (speech_name, speech_path)) for k, line in enumerate(shot.dialogue))
        characters, blocking = self.on_screen(path, characters, lines, shot.blocking)
        explicit = shot.duration if isinstance(shot.duration, float) else None
        cut_out = shot.transition.duration if shot.transition is not None and shot.transition.type != "cut" else 0.0
        estimate = layout([ln.estimate for ln in lines], explicit, cut_in, cut_out)
        if estimate.overflow > 0.05 and explicit is not None:
            self.warn("W302", f"the dialogue needs about {explicit + estimate.overflow:.1f} s but shot '{shot.id}' "
                      f"lasts {explicit:g} s", self.span(*path, "duration"),
                      "use 'duration: auto' or a longer duration; speech past the end runs into the transition "
                      "out of the shot, or is cut" if cut_out else
                      "use 'duration: auto' or a longer duration; speech past the end is cut")
        action = self.expand(shot.action, inject=False)
        prompt, negative = self.prompt(style_name, style, scene, shot, action_prompt=self.expand(shot.action, True),
                                       location=location, characters=characters, estimate=estimate.duration)
        if shot.pattern is not None and shot.pattern.track not in {t.id for t in p.audio}:
            self.error("E301", f"unknown audio track '{shot.pattern.track}'", self.span(*path, "pattern", "track"),
                       _hint(shot.pattern.track, [t.id for t in p.audio], "audio tracks"))
        if shot.pattern is not None and video_model.backend != "procedural":
            self.error("E312", f"shot '{shot.id}' has an audio-reactive pattern, which only the procedural video "
                       f"model renders, but its video model is '{video_model.name}' ({video_model.backend})",
                       self.span(*path, "pattern", key=True), "set models: {video: procedural} on this shot")
        seed = shot.seed if shot.seed is not None else shot_seed(p.project.seed, scene.id, shot.id)
        loras = self.shot_loras(style_name, location, characters, props, image_model)
        transition = shot.transition if shot.transition is not None and shot.transition.type != "cut" else None
        start = self.start(path, shot.start) if shot.start is not None else None
        return ShotR(
            scene=scene.id, id=shot.id, heading=scene.heading, type=shot.type, duration=explicit,
            estimate=estimate.duration, action=action, prompt=prompt, negative=negative,
            palette=tuple(style.palette) if style else (), location=location, characters=characters,
            props=props, camera_move=shot.camera.move, camera_amount=shot.camera.amount, transition=transition,
            lines=lines, image_model=image_model, video_model=video_model, seed=seed, pattern=shot.pattern,
            loras=loras, start=start, strength=shot.start.strength if shot.start is not None else 0.6,
            card=shot.card, setting=setting, blocking=blocking, gates=self.gates(image_model),
            end=self.end(path, shot.end, video_model) if shot.end is not None else None,
            enhance=self.enhancer(style_name, style, image_model, video_model))

    def end(self, path: tuple[str | int, ...], end: spec.End, video_model: ModelRef) -> FileRef | str | None:
        """The picture a shot ends on (the other shot is checked with the audio anchors, once all are known)."""
        if (end.image is None) == (end.shot is None):
            self.error("E351", "end: needs exactly one of image and shot", self.span(*path, "end", key=True),
                       "end: {image: refs/last.png} or end: {shot: scene/shot}")
            return None
        cannot = end_frame_problem(video_model)
        if cannot is not None:
            self.error("E352", cannot[0], self.span(*path, "end", key=True), cannot[1])
            return None
        if end.shot is not None:
            self.end_shots.append((end.shot, (*path, "end", "shot")))
            return end.shot
        found = self.files.check(str(end.image), "image", self.span(*path, "end", "image"))
        if isinstance(found, Diagnostic):
            self.diagnostics.append(found)
            return None
        return found

    def gates(self, image_model: ModelRef) -> GatesR | None:
        """The gates of a keyframe model: its own, else the project's; only diffusers keyframes are gated
        (a procedural keyframe is the layout itself)."""
        cfg = self.p.models.get(image_model.name)
        own = cfg.gates if cfg is not None else None
        chosen, path = (own, ("models", image_model.name, "gates")) if own is not None else \
            (self.p.project.gates, ("project", "gates"))
        if chosen is None or image_model.backend != "diffusers":
            if own is not None and path not in self._gates:
                self._gates[path] = None
                self.warn("W351", f"gates of model '{image_model.name}' ({image_model.backend}) are ignored: "
                          "only diffusers keyframes are gated",
                          self.span(*path, key=True), "move gates to a diffusers image model, or remove them")
            return None
        key = path
        if key not in self._gates:
            model = self.model(chosen.model, "embed", (*path, "model"))
            if "embed" not in model.kinds:
                self._gates[key] = None
            else:
                if chosen.identity is None and chosen.prompt is None:
                    self.warn("W350", "gates without an identity or a prompt threshold never fail",
                              self.span(*path, key=True), "add identity: {min: 0.65} or prompt: {min: 0.25}")
                self._gates[key] = GatesR(model, chosen.identity.min if chosen.identity else None,
                                          chosen.prompt.min if chosen.prompt else None, chosen.retries)
        return self._gates[key]

    def on_screen(self, path: tuple[str | int, ...], mentioned: tuple[ElementR, ...], lines: tuple[LineR, ...],
                  blocking: list[spec.Blocking]) -> tuple[tuple[ElementR, ...], tuple[spec.Blocking, ...]]:
        """The characters drawn in a shot: those the action mentions, those who speak on screen and those
        its blocking places, less those heard only off screen (O.S./V.O.) and not blocked."""
        blocked: dict[str, int] = {}
        for k, b in enumerate(blocking):
            where = (*path, "blocking", k)
            element = self.character(b.who, (*where, "who"))
            if element is None:
                continue
            if b.who in blocked:
                self.error("E341", f"'{b.who}' is blocked twice in this shot", self.span(*where, "who"),
                           f"merge the two entries (the first is entry {blocked[b.who] + 1})")
                continue
            blocked[b.who] = k
            if b.exit is not None and b.to is not None:
                self.warn("W342", f"'{b.who}' exits the frame, so 'to' is ignored", self.span(*where, "to"),
                          "drop 'to', or drop 'exit' to walk them somewhere in the frame")
            elif b.exit is not None and b.enter == b.exit:
                self.warn("W342", f"'{b.who}' enters and exits on the same side; the exit is ignored",
                          self.span(*where, "exit"), "exit on the other side to cross the frame")
            if b.look_at is not None:
                self.character(b.look_at, (*where, "look_at"))
        heard = {ln.character for ln in lines if ln.off_screen}
        seen = {ln.character for ln in lines if not ln.off_screen}
        hidden = heard - seen - set(blocked)
        for who, k in blocked.items():
            if who in heard and who not in seen:
                self.warn("W340", f"'{who}' is blocked in this shot but speaks only off screen; they are drawn",
                          self.span(*path, "blocking", k, "who"), "remove the blocking entry, or 'off_screen'")
        order = [*mentioned, *(self.elements[ln.character] for ln in lines if ln.character in self.elements),
                 *(self.elements[w] for w in blocked)]
        drawn = tuple(e for e in dict.fromkeys(order) if e.kind == "character" and e.name not in hidden)
        names = {e.name for e in drawn}
        for who, k in blocked.items():
            target = blocking[k].look_at
            if target is not None and target in self.elements and target not in names:
                self.warn("W341", f"'{who}' looks at '{target}', who is not in this shot",
                          self.span(*path, "blocking", k, "look_at"), f"add '{target}' to the action or the blocking")
        return drawn, tuple(blocking[k] for k in blocked.values())

    def character(self, name: str, path: tuple[str | int, ...]) -> ElementR | None:
        """The character element ``name`` (E301 unknown, E308 not a character)."""
        element = self.elements.get(name)
        if element is None:
            chars = [n for n, e in self.p.elements.items() if e.kind == "character"]
            self.error("E301", f"unknown character '{name}'", self.span(*path), _hint(name, chars, "characters"),
                       name=name)
            return None
        if element.kind != "character":
            self.error("E308", f"'{name}' is a {element.kind}, not a character", self.span(*path), name=name)
            return None
        return element

    def enhancer(self, style_name: str | None, style: spec.Style | None, image: ModelRef, video: ModelRef
                 ) -> EnhanceR | None:
        """The style's prompt enhancement, its model bound (once per style)."""
        if style_name is None or style is None or style.enhance is None:
            return None
        if image.backend == "procedural" and video.backend != "diffusers" and style_name not in self.unread:
            self.unread.add(style_name)
            self.warn("W335", f"style '{style_name}' enhances prompts, but its shots render with '{image.name}', "
                      "which does not read prompts: the enhancements are made for nothing until an AI model renders "
                      "them", self.span("styles", style_name, "enhance", key=True),
                      "render these shots with a diffusers model, or remove enhance while you make the animatic")
        if style_name not in self.enhancers:
            e = style.enhance
            model = self.model(e.model, "llm", ("styles", style_name, "enhance", "model"))
            self.enhancers[style_name] = EnhanceR(model, e.instructions, e.max_tokens) if "llm" in model.kinds \
                else None
        return self.enhancers[style_name]

    def start(self, path: tuple[str | int, ...], start: spec.Start) -> FileRef | None:
        found = self.files.check(start.image, "image", self.span(*path, "start", "image"))
        if isinstance(found, Diagnostic):
            self.diagnostics.append(found)
            return None
        return found

    def shot_loras(self, style_name: str | None, location: ElementR | None, characters: tuple[ElementR, ...],
                   props: tuple[ElementR, ...], model: ModelRef) -> tuple[LoraR, ...]:
        """The LoRAs a shot's keyframe applies: the style's, then each bound element's."""
        found = [self.style_loras.get(style_name)] if style_name else []
        found += [e.lora for e in (*([location] if location else []), *characters, *props)]
        loras = tuple(dict.fromkeys(x for x in found if x is not None))
        if model.backend == "diffusers" or not loras:
            return loras if model.backend == "diffusers" else ()
        for lora in loras:
            if (lora.owner, model.name) in self.lora_warned:
                continue
            self.lora_warned.add((lora.owner, model.name))
            kind, owner = lora.owner.split(":", 1)
            where = ("elements" if kind == "element" else "styles", owner, "lora")
            self.warn("W312", f"{kind} '{owner}' has a LoRA but model '{model.name}' ({model.backend}) does not "
                      "apply LoRAs; it is ignored there", self.span(*where, key=True),
                      "render these shots with a diffusers image model to apply it")
        return ()

    def inherited(self, field: tuple[str, ...], i: int, scene: spec.Scene, j: int, shot: spec.Shot
                  ) -> tuple[Any, tuple[str | int, ...]]:
        """The first value set on the shot, the scene or the project, and where it was set."""
        def get(obj: Any) -> Any:
            for part in field:
                obj = getattr(obj, part, None) if obj is not None else None
            return obj

        for obj, path in ((shot, ("scenes", i, "shots", j)), (scene, ("scenes", i)), (self.p.project, ("project",))):
            value = get(obj)
            if value is not None:
                return value, (*path, *field)
        return None, ()

    def inherited_model(self, kind: str, i: int, scene: spec.Scene, j: int, shot: spec.Shot) -> ModelRef:
        name, path = self.inherited(("models", kind), i, scene, j, shot)
        return self.model(name, kind, path)

    def location(self, i: int, scene: spec.Scene, j: int, shot: spec.Shot) -> ElementR | None:
        name, path = self.inherited(("location",), i, scene, j, shot)
        if name is None:
            return None
        element = self.elements.get(name)
        if element is None:
            locations = [n for n, e in self.p.elements.items() if e.kind == "location"]
            self.error("E301", f"unknown location '{name}'", self.span(*path), _hint(name, locations, "locations"),
                       name=name)
            return None
        if element.kind != "location":
            self.error("E308", f"'{name}' is a {element.kind}, not a location", self.span(*path), name=name)
        return element

    def bind_action(self, path: tuple[str | int, ...], action: str
                    ) -> tuple[tuple[ElementR, ...], tuple[ElementR, ...], ElementR | None]:
        """Characters and props in order of first mention, and the first location mentioned."""
        characters: list[ElementR] = []
        props: list[ElementR] = []
        location: ElementR | None = None
        seen_count: dict[str, int] = {}
        for match in TRIGGER.finditer(action):
            word = match.group()
            nth = seen_count.get(word, 0)
            seen_count[word] = nth + 1
            name = self.triggers.get(word)
            if name is None:
                span = self.sub_span(self.span(*path, "action"), word, nth)
                self.error("E302", f"unknown element '{word}'", span, _hint(word, self.triggers, "triggers"),
                           name=word[1:])
                continue
            element = self.elements[name]
            if element.kind == "location":
                location = location or element
                continue
            bucket = characters if element.kind == "character" else props
            if element not in bucket:
                bucket.append(element)
        return tuple(characters), tuple(props), location

    def expand(self, action: str, inject: bool) -> str:
        """``@Luca`` -> ``Luca``, or with ``inject`` ``Luca (description)`` at the first mention."""
        done: set[str] = set()

        def sub(match: re.Match[str]) -> str:
            name = self.triggers.get(match.group())
            if name is None:
                return match.group()
            if inject and name not in done:
                done.add(name)
                return f"{name} ({self.p.elements[name].description})"
            return name

        return TRIGGER.sub(sub, action)

    def prompt(self, style_name: str | None, style: spec.Style | None, scene: spec.Scene, shot: spec.Shot, *,
               action_prompt: str, location: ElementR | None, characters: tuple[ElementR, ...],
               estimate: float) -> tuple[str, str]:
        if style is None or style_name is None:
            text = action_prompt
            if location is not None and location.name not in text:
                text = f"{text}, in {location.name} ({location.description})" if text else location.description
            light = time_of_day(scene.heading)  # a style's template has the heading; without one, say the light
            if light is not None and light not in text.lower():
                text = f"{text}, at {light}" if text else f"at {light}"
            return text, ""
        template = self.templates.get(style_name)
        if template is None:
            return action_prompt, style.negative
        variables: Mapping[str, Any] = {
            "action": action_prompt,
            "shot": {"id": shot.id, "type": shot.type,
                     "duration": shot.duration if shot.duration != "auto" else estimate,
                     "camera": {"move": shot.camera.move, "amount": shot.camera.amount}},
            "scene": {"id": scene.id, "heading": scene.heading or ""},
            "location": {"name": location.name, "description": location.description} if location else None,
            "characters": [{"name": c.name, "description": c.description} for c in characters],
            "project": {"title": self.p.project.title},
            "style": {"name": style_name},
        }
        try:
            return template.render(variables), style.negative
        except TemplateProblem as exc:
            self.template_error(style_name, exc)
            return action_prompt, style.negative

    def line(self, shot_path: tuple[str | int, ...], k: int, line: spec.DialogueLine,
             speech: tuple[str, tuple[str | int, ...]]) -> LineR:
        path = (*shot_path, "dialogue", k)
        element = self.p.elements.get(line.character)
        if element is None or element.kind != "character":
            chars = [n for n, e in self.p.elements.items() if e.kind == "character"]
            if element is None:
                self.error("E301", f"unknown character '{line.character}' in dialogue", self.span(*path, "character"),
                           _hint(line.character, chars, "characters"), name=line.character)
            else:
                self.error("E308", f"'{line.character}' is a {element.kind}, not a character",
                           self.span(*path, "character"), name=line.character)
        if not line.line.strip():
            self.error("E309", "empty dialogue line", self.span(*path, "line"),
                       "write what the character says, or remove the line")
        voice_name = line.voice or (element.voice if element is not None else None)
        voice: VoiceR | None = None
        if voice_name is not None:
            voice = self.voice(voice_name, (*path, "voice") if line.voice else ("elements", line.character, "voice"))
        elif element is not None and element.kind == "character":
            if line.character not in self.voiceless:
                self.voiceless.add(line.character)
                self.warn("W310", f"character '{line.character}' has no voice; using the default voice",
                          self.span("elements", line.character, key=True), "add 'voice:' to the character")
            voice = self.default_voice(*speech)
        if voice is None:
            voice = self.default_voice(*speech)
        emotion = line.emotion.strip().lower().replace(" ", "_") if line.emotion else None
        if emotion and emotion not in KNOWN_EMOTIONS and emotion not in voice.emotions:
            self.warn("W301", f"unknown emotion '{line.emotion}'; it will sound neutral", self.span(*path, "emotion"),
                      _hint(emotion, sorted(KNOWN_EMOTIONS | set(voice.emotions)), "emotions"))
        rate = speaking_rate(voice.rate, emotion, voice.emotions)
        return LineR(k + 1, line.character, line.line, emotion, voice, estimate_speech(line.line, rate, voice.variant),
                     line.off_screen)

    def check_transitions(self, shots: list[ShotR], paths: list[tuple[str | int, ...]], fps: int) -> None:
        """A shot of explicit length must hold the frames of the transitions on both its sides (they may
        meet; an ``auto`` shot always makes room). Reported at the transition, with the shortest length."""
        for k, (shot, path) in enumerate(zip(shots, paths, strict=True)):
            if shot.transition is not None and round(shot.transition.duration * fps) < 1:
                self.error("E204", f"a {shot.transition.type} of {shot.transition.duration:g} s lasts less than a "
                           f"frame at {fps} fps", self.span(*path, "transition", "duration"),
                           f"make it at least {1 / fps:.3f}".rstrip("0").rstrip(".") + " s long, or use type: cut")
            if shot.duration is None:
                continue
            before = shots[k - 1].transition if k else None
            cut_in = before.duration if before is not None else 0.0
            cut_out = shot.transition.duration if shot.transition is not None else 0.0
            need = min_frames(cut_in, cut_out, fps)
            if not (cut_in or cut_out) or need <= frames_for(shot.duration, fps):
                continue
            own = shot.transition is not None and (round(cut_out * fps) > frames_for(shot.duration, fps) or not cut_in
                                                   or round(cut_in * fps) <= frames_for(shot.duration, fps))
            where = (*(path if own else paths[k - 1]), "transition", "duration")  # the one that does not fit
            sides = " and ".join(x for x in (f"{cut_in:g} s in from '{shots[k - 1].id}'" if cut_in else "",
                                              f"{cut_out:g} s out" if cut_out else "") if x)
            shortest = f"{need / fps:.3f}".rstrip("0").rstrip(".")
            self.error("E325", f"shot '{shot.id}' lasts {shot.duration:g} s, too short for its transitions ({sides})",
                       self.span(*where), f"make shot '{shot.id}' at least {shortest} s long ({need} frames at "
                       f"{fps} fps), or shorten the transitions; 'duration: auto' makes room for them")

    def check_deliverables(self, shots: list[ShotR], paths: list[tuple[str | int, ...]]) -> None:
        """Each shot's files in build/ are named ``<scene>-<shot>``: two shots whose ids join to the same
        name (scene 'a' shot 'b-c', scene 'a-b' shot 'c') would overwrite each other's files."""
        first: dict[str, int] = {}
        for k, shot in enumerate(shots):
            name = f"{shot.scene}-{shot.id}"
            other = first.setdefault(name, k)
            if other == k or shots[other].shot_id == shot.shot_id:  # the same id twice is E207's
                continue
            for me, them in ((other, k), (k, other)):
                there = self.span(*paths[them], "id")
                self.error("E326", f"shot '{shots[me].shot_id}' and shot '{shots[them].shot_id}' both deliver "
                           f"build/shots/{name}.mp4", self.span(*paths[me], "id"),
                           f"rename one of them (the other is at line {there.line}); a shot's files are named "
                           "<scene>-<shot>")

    def check_libraries(self, shots: list[ShotR]) -> None:
        """E401 at each model a task uses whose backend needs libraries this installation lacks (the
        ``ai`` extra): ``check`` says so, rather than ``build`` failing when the model loads."""
        used: dict[str, ModelRef] = {}
        for s in shots:
            for model in (s.image_model, s.video_model, *(ln.voice.model for ln in s.lines)):
                used.setdefault(model.name, model)
        for name, model in used.items():
            missing = missing_libraries(model.backend) if name in self.p.models else []
            if missing:
                self.error("E401", f"model '{name}' runs on the {model.backend} backend, which needs "
                           f"{', '.join(missing)}: not installed here", self.span("models", name, "backend"),
                           "install studio's ai extra: pip install 'studio[ai]' (or -e '.[ai]' in a checkout)",
                           name=name)

    def check_anchors(self, shots: list[ShotR]) -> None:
        ids = {s.shot_id for s in shots}
        for written, where in self.end_shots:
            if written not in ids:
                self.error("E301", f"unknown shot '{written}' in end", self.span(*where), _hint(written, ids, "shots"))
        for i, track in enumerate(self.p.audio):
            if track.at is not None and track.at not in ids:
                self.error("E301", f"unknown shot '{track.at}' in audio anchor", self.span("audio", i, "at"),
                           _hint(track.at, ids, "shots"))
