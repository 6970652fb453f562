"""The project's definitions bound: named models (weights and adapters resolved), styles and their
templates, LoRAs, elements, voices, audio tracks."""

from __future__ import annotations

from studio_lang.diagnostics import Diagnostic, Span

from .. import spec
from ..canonical import normalise
from ..files import FileRef
from ..film import BUILTIN_MODELS, AdapterR, AudioR, ElementR, LoraR, ModelRef, VoiceR
from ..modelcheck import ADAPTERS, NEEDS_WEIGHTS, PARAMS, REMOTE, adapter_entries, check_model
from ..templates import PromptTemplate, TemplateProblem, compile_template
from .context import Context, _hint

_DEFAULT_VOICE = spec.Voice()


class Definitions(Context):
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
