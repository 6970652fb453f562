"""The resolver assembled: definitions first, then every shot, then the cross-checks."""

from __future__ import annotations

import hashlib
from typing import Any

from .. import spec
from ..film import BUILTIN_MODELS, ElementR, Film, LoraR, ModelRef, ShotR
from ..heading import Setting, parse_heading
from ..timing import layout
from .blocking import Blocking
from .checks import CrossChecks
from .context import _hint
from .dialogue import Dialogue
from .enhance import Enhancement
from .frames import Frames
from .gates import Gates
from .prompts import Prompts


def shot_seed(project_seed: int, scene: str, shot: str) -> int:
    """Seed of a shot: from the project seed and the shot's stable id, never its position."""
    h = hashlib.sha256(f"studio-seed\0{project_seed}\0{scene}/{shot}".encode()).digest()
    return int.from_bytes(h[:8], "big") & (2**63 - 1)


class Resolver(Gates, Enhancement, Blocking, Frames, Prompts, Dialogue, CrossChecks):
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
        for name, style in p.styles.items():  # every template and enhancement is checked, used by a shot or not
            self.template(name, style)
            if style.enhance is not None:
                self.bind_enhancer(name, style.enhance)
        self.bind_gate_models()
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
            enhance=self.enhancer(style_name, style, image_model, video_model, shot.card is not None))

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
        return self.element_of("location", name, path)
