"""Plan: ``film.Film`` -> ``Plan``, a DAG of render tasks with content-addressed keys.

Each task's key is a SHA-256 over the canonical bytes of its kind, backend name and version, model
identity, parameters, the keys of its inputs (a Merkle DAG) and the digests of the user files it
reads. Task ids (``<kind>:<scene>/<shot>[/<n>]``; film-wide tasks by kind; a backdrop, shared by shots,
``backdrop:<place>/<shot type>/<digest>``) name tasks for people; they never enter a key.
Parameters follow the per-kind contract in backends/README.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NewType

from .boards import print_width
from .canonical import digest
from .deliverables import OPTIONAL, masters_task, storyboard_pdf_task, timeline_task, wanted
from .files import FileRef
from .film import Film, LineR, ModelRef, ShotR
from .schedule import Schedule, schedule

__all__ = ["BACKDROP_PARAMS", "KEY_VERSION", "LAYOUT_PARAMS", "SAMPLE_RATE", "TASK_KINDS", "Plan", "TaskId",
           "TaskSpec", "UnknownBackend", "burns_words", "needs_layout", "plan"]

TaskId = NewType("TaskId", str)
KEY_VERSION = 2
"""Bump to invalidate every cache key (a change in what keys mean). 2: settled timing keeps speech
out of transitions (``compiler.timing``), so the same length parameters settle differently."""
SAMPLE_RATE = 48_000
TASK_KINDS = ("backdrop", "layout", "keyframe", "motion", "speech", "shot", "transition", "soundtrack", "film",
              "subtitles", "panel", "storyboard", "timeline", "storyboard_pdf", "masters", "enhance")
ENHANCE_FORMAT = 1
"""Version of the enhancement request (its instructions' wording): bump to re-run every enhancement."""
PROMPTED = frozenset({"diffusers"})
"""Backends whose pictures follow the rendered prompt: only their tasks carry ``prompt`` and ``negative``
(the procedural backend draws from the elements, the shot type and the action, so editing a style's
template re-renders nothing there)."""
_TOOL_BACKENDS = {"backdrop": "procedural", "layout": "procedural", "shot": "ffmpeg", "transition": "ffmpeg",
                  "soundtrack": "ffmpeg", "film": "ffmpeg", "subtitles": "ffmpeg", "panel": "procedural",
                  "storyboard": "procedural", **{kind: backend for kind, (backend, _, _) in OPTIONAL.items()}}


LAYOUT_PARAMS = ("width", "height", "seed", "action", "shot_type", "palette", "location", "characters", "props",
                 "setting", "speakers", "blocking")
"""The keyframe parameters the staging depends on: a layout task's parameters (``backends/procedural/control.py``)."""
BACKDROP_PARAMS = ("width", "height", "shot_type", "palette", "location", "setting")
"""The keyframe parameters its painted backdrop depends on: a backdrop task's parameters
(``backends/procedural/backdrop.py``: the place, its light, the palette, the framing and depth blur;
never the action, the figures or the seed)."""


def burns_words(shot_params: Mapping[str, Any]) -> bool:
    """Whether a ``shot`` task lays words over its picture (burned subtitles of lines that say
    something, or the action as a caption). The plan joins that shot's ``video`` into the film, else
    the motion's (the same frames); the shot backend burns by this same test, so the two never differ."""
    lines = shot_params.get("lines") or ()
    spoken = any(str(line.get("text", "")).strip() for line in lines if isinstance(line, Mapping))
    return (shot_params.get("subtitles") == "burn" and spoken) or bool(str(shot_params.get("caption") or "").strip())


def needs_layout(shot: ShotR) -> bool:
    """Whether a shot's keyframe reads its layout (a ControlNet conditions on it; an identity gate
    scores each element inside its mask; an IP-Adapter masks each element's reference images to its
    region) and so takes a ``layout:<scene>/<shot>`` task as input.
    Other shots plan no layout task: their plans and keys stay as they were."""
    model = shot.image_model
    controlled = model.backend == "diffusers" and bool(model.params.get("controlnet"))
    bound = [*([shot.location] if shot.location else []), *shot.characters, *shot.props]
    referenced = model.backend == "diffusers" and any(a.role == "ip_adapter" for a in model.adapters) \
        and any(e.references for e in bound)
    return controlled or referenced or (shot.gates is not None and shot.gates.identity is not None)


class UnknownBackend(Exception):
    """A task needs a backend the catalog does not know (``args[0]`` is its name)."""


@dataclass(frozen=True)
class TaskSpec:
    id: TaskId
    kind: str
    backend: str
    model: ModelRef | None
    params: dict[str, Any]
    inputs: dict[str, TaskId]
    """Role -> input task id (roles per kind in backends/README.md)."""
    files: dict[str, FileRef]
    """Role -> user file."""
    key: str
    uses: dict[str, ModelRef] = field(default_factory=dict)
    """Role -> another model the task uses besides its own (``gates``: the embed model that scores a
    gated keyframe): scheduled, loaded and counted like any model; not in the key (the parameters
    that name it are)."""


@dataclass(frozen=True)
class Plan:
    film: Film
    tasks: dict[TaskId, TaskSpec]
    """In document order (shot by shot, then film-wide tasks)."""
    status: dict[TaskId, str] = field(default_factory=dict)
    """``stale`` or ``cached``."""
    schedule: Schedule = field(default_factory=lambda: Schedule((), 0, 0))

    def stale(self) -> list[TaskId]:
        return [t for t in self.tasks if self.status.get(t) != "cached"]

    def to_json(self) -> dict[str, Any]:
        return {
            "tasks": [
                {"id": t.id, "kind": t.kind, "backend": t.backend, "model": t.model.name if t.model else None,
                 "key": t.key, "inputs": list(t.inputs.values()), "status": self.status.get(t.id, "stale")}
                for t in self.tasks.values()
            ],
            "schedule": list(self.schedule.order),
            "model_loads": self.schedule.loads,
            "model_loads_lower_bound": self.schedule.lower_bound,
        }


def plan(film: Film, backends: Mapping[str, str], is_cached: Callable[[str], bool] | None = None) -> Plan:
    """Build the task DAG. ``backends`` maps backend name -> version; ``is_cached(key)`` asks the store."""
    builder = _Builder(film, backends)
    tasks = builder.build()
    status = {t.id: ("cached" if is_cached is not None and is_cached(t.key) else "stale") for t in tasks.values()}
    stale = [t for t in tasks.values() if status[t.id] == "stale"]
    order = schedule(
        [(t.id, t.model.identity if t.model else None, t.model.vram_gb if t.model else 0.0,
          [i for i in t.inputs.values() if status[i] == "stale"]) for t in stale],
        film.vram_gb, {t.id: [(m.identity, m.vram_gb) for _, m in sorted(t.uses.items())] for t in stale if t.uses})
    return Plan(film, tasks, status, order)


def _ids(inputs: Mapping[str, str]) -> dict[str, TaskId]:
    return {role: TaskId(tid) for role, tid in inputs.items()}


def shot_task(kind: str, shot: ShotR) -> TaskId:
    return TaskId(f"{kind}:{shot.scene}/{shot.id}")


class _Builder:
    def __init__(self, film: Film, backends: Mapping[str, str]) -> None:
        self.film = film
        self.backends = backends
        self.tasks: dict[TaskId, TaskSpec] = {}

    def add(self, id: TaskId, kind: str, model: ModelRef | None, params: dict[str, Any],
            inputs: dict[str, TaskId] | None = None, files: dict[str, FileRef] | None = None,
            uses: dict[str, ModelRef] | None = None) -> TaskId:
        inputs = inputs or {}
        files = files or {}
        backend = model.backend if model is not None else _TOOL_BACKENDS[kind]
        version = self.backends.get(backend)
        if version is None:
            raise UnknownBackend(backend)
        key = digest({
            "key_version": KEY_VERSION, "kind": kind, "backend": backend, "backend_version": version,
            "model": model.key_config() if model is not None else None, "params": params,
            "inputs": {role: self.tasks[t].key for role, t in inputs.items()},
            "files": {role: f.digest for role, f in files.items()},
        })
        self.tasks[id] = TaskSpec(id, kind, backend, model, params, inputs, files, key, dict(uses or {}))
        return id

    def build(self) -> dict[TaskId, TaskSpec]:
        film = self.film
        shots = film.shots
        printed = "storyboard_pdf" in wanted(film.output) and OPTIONAL["storyboard_pdf"][0] in self.backends
        for index, shot in enumerate(shots):
            prev = shots[index - 1] if index else None
            cut_in = prev.transition.duration if prev is not None and prev.transition is not None else 0.0
            cut_out = shot.transition.duration if shot.transition is not None else 0.0
            enhance = self.enhance(shot)
            keyframe = self.keyframe(shot, enhance)
            if film.output.storyboard or printed:
                self.panel(shot, keyframe, printed)
            lines = [self.speech(shot, line) for line in shot.lines]
            motion = self.motion(shot, keyframe, lines, cut_in, cut_out, enhance)
            self.shot(shot, motion, lines, cut_in, cut_out)
        for index, shot in enumerate(shots):
            if shot.transition is not None:
                nxt = shots[index + 1] if index + 1 < len(shots) else None
                self.transition(shot, nxt)
        timeline = self.timeline()
        subtitles = self.subtitles(timeline) if film.output.subtitles != "none" else None
        self.film_task(timeline, subtitles, self.soundtrack(timeline))
        if film.output.storyboard:
            self.storyboard(timeline)
        for kind in wanted(film.output):  # the export extra's; without it left out (note W360)
            if OPTIONAL[kind][0] in self.backends:
                self.optional(kind, timeline)
        return self.tasks

    def optional(self, kind: str, timeline: list[dict[str, Any]]) -> None:
        """The timeline, the PDF storyboard or the masters of every shot (``compiler.deliverables``)."""
        if kind == "masters":
            for shot in self.film.shots:
                params, inputs, files = masters_task(self.film, shot)
                self.add(shot_task("masters", shot), kind, None, params, _ids(inputs), files)
            return
        if kind == "timeline":
            params, inputs, files = timeline_task(self.film, timeline, SAMPLE_RATE)
        else:
            params, inputs, files = storyboard_pdf_task(self.film)
        self.add(TaskId(kind), kind, None, params, _ids(inputs), files)

    def enhance(self, shot: ShotR) -> TaskId | None:
        """A language model rewrites the shot's prompt (the style's ``enhance``); the keyframe, and a
        diffusers video model, take the rewritten prompt as an input (``compiler.settle``)."""
        e = shot.enhance
        if e is None:  # a card has none: it is drawn as text, whatever the prompt says
            return None
        if shot_task("enhance", shot) in self.tasks:  # planned early: an earlier shot ends on its keyframe
            return shot_task("enhance", shot)
        params = {"prompt": shot.prompt, "instructions": e.instructions, "max_tokens": e.max_tokens,
                  "format": ENHANCE_FORMAT}
        return self.add(shot_task("enhance", shot), "enhance", e.model, params)

    def keyframe(self, shot: ShotR, enhance: TaskId | None = None) -> TaskId:
        if shot_task("keyframe", shot) in self.tasks:  # planned early: an earlier shot ends on it
            return shot_task("keyframe", shot)
        f = self.film
        files: dict[str, FileRef] = {}
        bound = [*([shot.location] if shot.location else []), *shot.characters, *shot.props]
        for element in bound:
            for n, ref in enumerate(element.references, 1):
                files[f"ref:{element.name}/{n}"] = ref
        params = {
            "width": f.width, "height": f.height, "seed": shot.seed,
            **({"prompt": shot.prompt, "negative": shot.negative} if shot.image_model.backend in PROMPTED else {}),
            "action": shot.action, "shot_type": shot.type, "palette": list(shot.palette),
            "caption": f.output.caption,
            "location": shot.location.params() if shot.location else None,
            "characters": [c.params() for c in shot.characters], "props": [p.params() for p in shot.props],
            "setting": shot.setting.params(),
            "speakers": [ln.character for ln in shot.lines if not ln.off_screen],
        }
        if shot.blocking:  # explicit staging (absent otherwise)
            params["blocking"] = [b.model_dump(exclude_none=True) for b in shot.blocking]
        if shot.loras:  # only models that apply LoRAs get them (the resolver drops them for others)
            params["loras"] = [lora.params() for lora in shot.loras]
            files.update({f"lora:{lora.owner}": lora.file for lora in shot.loras if lora.file is not None})
        if shot.card is not None:  # a title card (absent otherwise, so other keys stay as they were)
            params["card"] = shot.card
        if shot.start is not None:  # image-to-image (absent otherwise, so other keys stay as they were)
            params["start"] = {"file": "start", "strength": shot.strength}
            files["start"] = shot.start
        inputs: dict[str, TaskId] = {}
        if enhance is not None:  # the prompt comes from the enhancement (absent otherwise: keys stay as they were)
            params["prompt_from"] = "enhance"
            inputs["enhance"] = enhance
        if shot.gates is not None:  # scored, and re-rendered with the next seeds while a gate fails
            params["gates"] = shot.gates.params()
            if shot.gates.model.path is not None:  # local weights: by content, like any file
                m = shot.gates.model
                files["gates:model"] = FileRef(str(m.weights), Path(m.path), str(m.identity))  # type: ignore[arg-type]
        if shot.image_model.backend == "procedural" and shot.card is None:  # its painting, cached apart
            inputs["backdrop"] = self.backdrop(shot, params, files)
        if needs_layout(shot):  # the animatic's staging, rendered as control images
            staged = {k: params[k] for k in LAYOUT_PARAMS if k in params}
            refs = {role: ref for role, ref in files.items() if role.startswith("ref:")}  # figure colours
            inputs["layout"] = self.add(shot_task("layout", shot), "layout", None, staged, files=refs)
        uses = {"gates": shot.gates.model} if shot.gates is not None else {}
        return self.add(shot_task("keyframe", shot), "keyframe", shot.image_model, params, inputs, files, uses)

    def backdrop(self, shot: ShotR, keyframe: dict[str, Any], files: dict[str, FileRef]) -> TaskId:
        """A procedural keyframe's painted backdrop, one task for every shot that paints the same one
        (``backends/procedural/backdrop.py``): its parameters are the keyframe's ``BACKDROP_PARAMS``, with
        the location's reference images (files) only where its colours come from them (no ``color``).

        Its id, ``backdrop:<location>/<shot type>/<digest>``, reads as the place (the location's name,
        else the heading's place words as a slug, else ``none``) and framing it shows; the digest (10 hex
        digits of the parameters' and files' canonical digest, all 64 in the unlikely case two different
        backdrops share those 10) tells apart the backdrops of one place and framing (another palette,
        time or size). Nothing else enters it, so it stays the same when another shot is edited, when
        shots move, and for every shot that shares it."""
        painted = {k: keyframe[k] for k in BACKDROP_PARAMS}
        location = painted["location"]
        refs: dict[str, FileRef] = {}
        if location is not None and location["color"] is None:  # the colours are read from the pictures
            refs = {role: files[role] for role in location["references"]}
        elif location is not None:  # its colour wins: the pictures are not read
            painted["location"] = {**location, "references": []}
        read = {role: f.digest for role, f in refs.items()}
        ident = digest({"params": painted, "files": read})
        place = location["name"] if location is not None else \
            re.sub(r"[^a-z0-9]+", "-", shot.setting.place.lower()).strip("-")[:40].strip("-") or "none"
        for n in (10, len(ident)):
            tid = TaskId(f"backdrop:{place}/{shot.type}/{ident[:n]}")
            same = self.tasks.get(tid)
            if same is None:
                return self.add(tid, "backdrop", None, painted, files=refs)
            if same.params == painted and {role: f.digest for role, f in same.files.items()} == read:
                return tid  # another shot paints the same backdrop
        raise AssertionError(f"two backdrops share the digest {ident}")

    def panel(self, shot: ShotR, keyframe: TaskId, printed: bool) -> TaskId:
        """The shot's storyboard pictures, made once (``backends/procedural/panel.py``): the contact sheet's
        marked thumbnail when it is made (``sheet``), the printable board's JPEG at its printed size when
        that is (``print``). Only what this shot shows: its keyframe, its camera move and its transition
        out; never its number, start or neighbours, so an edit elsewhere leaves its key alone."""
        f = self.film
        pdf = f.output.storyboard_pdf
        params = {"move": shot.camera_move,
                  "transition": ({"type": shot.transition.type, "duration": shot.transition.duration}
                                 if shot.transition else None),
                  "sheet": f.output.storyboard,
                  "print": ({"width": print_width(pdf.paper, pdf.panels_per_page, (f.width, f.height))}
                            if printed else None)}
        return self.add(shot_task("panel", shot), "panel", None, params, {"keyframe": keyframe})

    def speech(self, shot: ShotR, line: LineR) -> TaskId:
        v = line.voice
        # only the voice's own entry for this line's emotion: editing another emotion re-speaks nothing here
        emotions = {line.emotion: v.emotions[line.emotion]} if line.emotion in v.emotions else {}
        params = {"text": line.text, "language": v.language, "variant": v.variant, "pitch": v.pitch, "rate": v.rate,
                  "volume": v.volume, "range": v.range, "speaker": v.speaker, "emotion": line.emotion,
                  "emotions": emotions}
        return self.add(TaskId(f"speech:{shot.scene}/{shot.id}/{line.number}"), "speech", v.model, params)

    def motion(self, shot: ShotR, keyframe: TaskId, lines: list[TaskId], cut_in: float, cut_out: float,
               enhance: TaskId | None = None) -> TaskId:
        f = self.film
        inputs = {"keyframe": keyframe}
        talking = shot.video_model.backend == "procedural" and shot.pattern is None and bool(shot.lines)
        if shot.duration is None or talking:  # auto: the length comes from the speech; procedural mouths move with it
            inputs.update({f"line{n}": t for n, t in enumerate(lines, 1)})
        files: dict[str, FileRef] = {}
        pattern = None
        if shot.pattern is not None:
            track = next(a for a in f.audio if a.id == shot.pattern.track)
            files[f"audio:{track.id}"] = track.file
            pattern = {"track": f"audio:{track.id}", "style": shot.pattern.style, "offset": shot.pattern.offset}
        params = {
            "width": f.width, "height": f.height, "fps": f.fps, "seed": shot.seed, "shot_type": shot.type,
            "camera": {"move": shot.camera_move, "amount": shot.camera_amount}, "crf": f.output.crf,
            "pattern": pattern, **self.length(shot, cut_in, cut_out),
        }
        if shot.video_model.backend in PROMPTED:  # video models are prompted too
            params.update(prompt=shot.prompt, negative=shot.negative)
            if enhance is not None:
                params["prompt_from"] = "enhance"
                inputs["enhance"] = enhance
        if isinstance(shot.end, str):  # ends on another shot's keyframe (absent otherwise: keys stay as they were)
            target = next(s for s in self.film.shots if s.shot_id == shot.end)
            inputs["end"] = self.keyframe(target, self.enhance(target))
            params["end"] = {"input": "end"}
        elif shot.end is not None:
            files["end"] = shot.end
            params["end"] = {"file": "end"}
        if talking:  # who says each line (its audio drives the mouth; settled with each line's start)
            params["lines"] = [{"input": f"line{ln.number}", "character": ln.character, "off_screen": ln.off_screen}
                               for ln in shot.lines]
        return self.add(shot_task("motion", shot), "motion", shot.video_model, params, inputs, files)

    def length(self, shot: ShotR, cut_in: float, cut_out: float) -> dict[str, Any]:
        """Unsettled length parameters; ``compiler.settle`` fills frames and times at run time."""
        return {"duration": shot.duration if shot.duration is not None else "auto",
                "lines": [{"input": f"line{ln.number}"} for ln in shot.lines] if shot.duration is None else [],
                "cut_in": cut_in, "cut_out": cut_out}

    def shot(self, shot: ShotR, motion: TaskId, lines: list[TaskId], cut_in: float, cut_out: float) -> TaskId:
        f = self.film
        burn = f.output.subtitles == "burn"  # the words are drawn only when burned in; else the speech says them
        params = {
            "width": f.width, "height": f.height, "fps": f.fps, "sample_rate": SAMPLE_RATE, "crf": f.output.crf,
            "subtitles": "burn" if burn else "none", **self.length(shot, cut_in, cut_out),
            "lines": [{"input": f"line{ln.number}", **({"character": ln.character, "text": ln.text} if burn else {})}
                      for ln in shot.lines],
        }
        if f.output.caption and shot.action.strip():  # drawn after the camera move, never moved by it
            params["caption"] = shot.action
        inputs = {"motion": motion, **{f"line{n}": t for n, t in enumerate(lines, 1)}}
        return self.add(shot_task("shot", shot), "shot", None, params, inputs)

    def transition(self, shot: ShotR, nxt: ShotR | None) -> TaskId:
        f = self.film
        assert shot.transition is not None
        params: dict[str, Any] = {"type": shot.transition.type, "duration": shot.transition.duration, "fps": f.fps,
                                  "width": f.width, "height": f.height, "crf": f.output.crf}
        if f.output.subtitles == "burn" or f.output.caption:  # laid over the blend, never cut by it
            params["overlay"] = {"subtitles": f.output.subtitles == "burn", "caption": f.output.caption}
        # With words laid over, the shots (their 'picture' without the words, and their lines and
        # captions); else the motions' videos: the transition need not wait for the shots' audio.
        kind = "shot" if "overlay" in params else "motion"
        inputs = {"from": shot_task(kind, shot)}
        if nxt is not None:
            inputs["to"] = shot_task(kind, nxt)
        return self.add(shot_task("transition", shot), "transition", None, params, inputs)

    def picture(self, shot: ShotR) -> TaskId:
        """The task whose ``video`` the film joins for ``shot``: the shot's when it burns words into
        the picture, else the motion's (the same frames), so the film does not wait for the shot to
        mux its dialogue: the clip is a deliverable beside the film, not a step before it."""
        shot_id = shot_task("shot", shot)
        return shot_id if burns_words(self.tasks[shot_id].params) else shot_task("motion", shot)

    def timeline(self) -> list[dict[str, Any]]:
        out = []
        shots = self.film.shots
        for index, shot in enumerate(shots):
            prev = shots[index - 1] if index else None
            out.append({
                "shot": shot_task("shot", shot),
                "transition": shot_task("transition", shot) if shot.transition is not None else None,
                "cut_in": prev.transition.duration if prev is not None and prev.transition is not None else 0.0,
                "cut_out": shot.transition.duration if shot.transition is not None else 0.0,
            })
        return out

    def spoken_timeline(self, timeline: list[dict[str, Any]], text: bool = False
                        ) -> tuple[list[dict[str, Any]], dict[str, TaskId]]:
        """The timeline with each shot's length parameters and its lines (speech task ids as roles,
        with their words when ``text``), and the speech tasks as inputs: timing without pictures."""
        entries: list[dict[str, Any]] = []
        inputs: dict[str, TaskId] = {}
        for shot, entry in zip(self.film.shots, timeline, strict=True):
            lines = [(TaskId(f"speech:{shot.scene}/{shot.id}/{ln.number}"), ln) for ln in shot.lines]
            inputs.update({tid: tid for tid, _ in lines})
            entries.append({**entry, "duration": shot.duration if shot.duration is not None else "auto",
                            "lines": [{"input": tid, **({"text": ln.text} if text else {})} for tid, ln in lines]})
        return entries, inputs

    def subtitles(self, timeline: list[dict[str, Any]]) -> TaskId:
        """Every line's words at its time in the film: from the text and the timing (the speech and
        the shots' lengths), never from a picture."""
        entries, inputs = self.spoken_timeline(timeline, text=True)
        return self.add(TaskId("subtitles"), "subtitles", None, {"fps": self.film.fps, "timeline": entries}, inputs)

    def soundtrack(self, timeline: list[dict[str, Any]]) -> TaskId:
        """The film's audio, from the speech, the shots' lengths and the tracks, and from no picture:
        an edit that changes only what we see leaves it cached (the film then only muxes)."""
        f = self.film
        entries, inputs = self.spoken_timeline(timeline)
        files = {f"audio:{a.id}": a.file for a in f.audio}
        audio = [{"file": f"audio:{a.id}", "kind": a.kind, "start": a.start,
                  "at": f"shot:{a.at}" if a.at else None, "volume": a.volume, "duck": a.duck, "loop": a.loop,
                  "fade_in": a.fade_in, "fade_out": a.fade_out} for a in f.audio]
        params = {"fps": f.fps, "sample_rate": SAMPLE_RATE, "loudness": f.output.loudness, "timeline": entries,
                  "audio": audio}
        return self.add(TaskId("soundtrack"), "soundtrack", None, params, inputs, files)

    def film_task(self, timeline: list[dict[str, Any]], subtitles: TaskId | None, soundtrack: TaskId) -> TaskId:
        f = self.film
        inputs: dict[str, TaskId] = {}
        for shot, entry in zip(f.shots, timeline, strict=True):
            inputs[entry["shot"]] = self.picture(shot)
            if entry["transition"]:
                inputs[entry["transition"]] = entry["transition"]
        if subtitles is not None:
            inputs["subtitles"] = subtitles
        inputs["soundtrack"] = soundtrack
        params = {"fps": f.fps, "width": f.width, "height": f.height, "sample_rate": SAMPLE_RATE, "crf": f.output.crf,
                  "subtitles": f.output.subtitles, "language": f.language, "title": f.title, "timeline": timeline}
        return self.add(TaskId("film"), "film", None, params, inputs)

    def storyboard(self, timeline: list[dict[str, Any]]) -> TaskId:
        """A contact sheet of the shots' panels; an ``auto`` shot's length settles from its speech, so the
        sheet shows exact lengths."""
        f = self.film
        entries, speech = self.spoken_timeline(timeline)
        shots = [{"input": shot_task("panel", s), "id": f"{s.scene}/{s.id}", "type": s.type,
                  "duration": entry["duration"], "cut_in": entry["cut_in"], "cut_out": entry["cut_out"],
                  "lines": entry["lines"] if s.duration is None else [], "auto": s.duration is None,
                  "action": s.action, "dialogue": [{"character": ln.character, "text": ln.text} for ln in s.lines],
                  "camera": {"move": s.camera_move, "amount": s.camera_amount},
                  "transition": ({"type": s.transition.type, "duration": s.transition.duration}
                                 if s.transition else None)}
                 for s, entry in zip(f.shots, entries, strict=True)]
        inputs = {str(s["input"]): TaskId(str(s["input"])) for s in shots}
        inputs.update({line["input"]: speech[line["input"]] for s in shots for line in s["lines"]})
        return self.add(TaskId("storyboard"), "storyboard", None, {"title": f.title, "fps": f.fps, "shots": shots},
                        inputs)
