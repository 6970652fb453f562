"""The pictures a shot starts from (``start``) and ends on (``end``: E351, E352)."""

from __future__ import annotations

from studio_lang.diagnostics import Diagnostic

from .. import spec
from ..endframe import end_frame_problem
from ..files import FileRef
from ..film import ModelRef
from .context import Context


class Frames(Context):
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

    def start(self, path: tuple[str | int, ...], start: spec.Start) -> FileRef | None:
        found = self.files.check(start.image, "image", self.span(*path, "start", "image"))
        if isinstance(found, Diagnostic):
            self.diagnostics.append(found)
            return None
        return found
