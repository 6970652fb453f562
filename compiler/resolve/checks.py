"""Cross-checks over the whole film, once every shot is resolved: anchors, transitions, delivered
file names, installed libraries."""

from __future__ import annotations

from ..film import ModelRef, ShotR
from ..modelcheck import EXTRAS, missing_libraries
from ..timing import frames_for, min_frames
from .context import Context, _hint


class CrossChecks(Context):
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
        ``ai`` extra, the ``llm`` one for openai): ``check`` says so, and which extra to install, rather
        than ``build`` failing when the model loads. Enhancement and gates models run tasks too."""
        used: dict[str, ModelRef] = {}
        for s in shots:
            for model in (s.image_model, s.video_model, *(ln.voice.model for ln in s.lines),
                          *((s.enhance.model,) if s.enhance is not None else ()),
                          *((s.gates.model,) if s.gates is not None else ())):
                used.setdefault(model.name, model)
        for name, model in used.items():
            missing = missing_libraries(model.backend) if name in self.p.models else []
            if missing:
                extra = EXTRAS[model.backend]
                self.error("E401", f"model '{name}' runs on the {model.backend} backend, which needs "
                           f"{', '.join(missing)}: not installed here", self.span("models", name, "backend"),
                           f"install studio's {extra} extra: pip install 'studio[{extra}]' (or -e '.[{extra}]' in "
                           "a checkout)", name=name)

    def check_anchors(self, shots: list[ShotR]) -> None:
        ids = {s.shot_id for s in shots}
        for written, where in self.end_shots:
            if written not in ids:
                self.error("E301", f"unknown shot '{written}' in end", self.span(*where), _hint(written, ids, "shots"))
        for i, track in enumerate(self.p.audio):
            if track.at is not None and track.at not in ids:
                self.error("E301", f"unknown shot '{track.at}' in audio anchor", self.span("audio", i, "at"),
                           _hint(track.at, ids, "shots"))
