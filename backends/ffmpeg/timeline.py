"""Where each shot sits in the film: the timeline arithmetic shared by film and subtitles.

A transition of ``d`` seconds replaces the last ``d`` seconds of the shot it leaves and the first
``d`` seconds of the shot it enters with ``d`` seconds of blend, so consecutive shots overlap by
``d``: shot ``k`` starts at ``start[k-1] + length[k-1] - cut_in[k]``. The transition out of the
last shot (to black) overlaps nothing. Everything is counted in whole frames so that stream-copy
cuts, transition segments and audio placement agree to the frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backends.base import Artifact, BackendError

__all__ = ["Placement", "place_shots", "shot_frames", "track_start"]


@dataclass(frozen=True)
class Placement:
    """One timeline entry, in frames."""

    shot: str
    """Input role of the shot task."""
    transition: str | None
    """Input role of the transition out of this shot, if any."""
    frames: int
    """Length of the shot."""
    start: int
    """Film frame at which the shot's frame 0 sits (inside the previous transition, if any)."""
    cut_in: int
    """Frames at the head covered by the previous transition."""
    cut_out: int
    """Frames at the tail covered by this shot's own transition."""

    @property
    def body(self) -> tuple[int, int]:
        """Shot frames ``[first, end)`` shown on their own, between the transitions."""
        return self.cut_in, self.frames - self.cut_out

    @property
    def body_start(self) -> int:
        """Film frame of the first body frame."""
        return self.start + self.cut_in


def shot_frames(role: str, artifact: Artifact, fps: int) -> int:
    """A shot artifact's length in frames, from its metadata."""
    meta = artifact.meta
    if "frames" in meta:
        return int(meta["frames"])
    if "duration" in meta:
        return round(float(meta["duration"]) * fps)
    raise BackendError(f"{role}: the shot's metadata gives neither 'frames' nor 'duration'")


def _frames(seconds: Any, fps: int) -> int:
    return round(float(seconds or 0) * fps)


def place_shots(
    timeline: Sequence[Mapping[str, Any]], lengths: Mapping[str, int], fps: int
) -> tuple[list[Placement], int]:
    """Place every timeline entry; returns the placements and the film's length in frames.

    ``lengths`` maps a shot role to its length in frames. Inconsistent entries (a transition
    longer than a shot, cut points that disagree) raise ``BackendError``.
    """
    if not timeline:
        raise BackendError("the film's timeline has no shots")
    placed: list[Placement] = []
    start = 0
    for k, entry in enumerate(timeline):
        role = str(entry["shot"])
        if role not in lengths:
            raise BackendError(f"timeline entry {k + 1}: no input shot '{role}'")
        frames = lengths[role]
        cut_in, cut_out = _frames(entry.get("cut_in"), fps), _frames(entry.get("cut_out"), fps)
        transition = entry.get("transition")
        if k == 0 and cut_in:
            raise BackendError(
                f"{role}: the first shot cannot start inside a transition (cut_in {entry.get('cut_in')} s)"
            )
        if transition is None and cut_out:
            raise BackendError(f"{role}: cut_out {entry.get('cut_out')} s without a transition")
        if transition is not None and not cut_out:
            raise BackendError(f"{role}: transition '{transition}' lasts no frame (cut_out {entry.get('cut_out')} s)")
        if placed:
            previous = placed[-1]
            if cut_in != previous.cut_out:
                raise BackendError(
                    f"{role}: cut_in ({cut_in} frames) differs from the length of the transition into it "
                    f"({previous.cut_out} frames)"
                )
            start = previous.start + previous.frames - cut_in
        if cut_in + cut_out > frames:
            raise BackendError(
                f"{role}: its transitions cover {cut_in + cut_out} frames but the shot has only {frames}"
            )
        placed.append(Placement(role, None if transition is None else str(transition), frames, start, cut_in, cut_out))
    last = placed[-1]
    return placed, last.start + last.frames


def track_start(track: Mapping[str, Any], placed: Sequence[Placement], fps: int) -> float:
    """Seconds into the film where a music or effect track starts: its ``start``, counted from the
    start of the shot its ``at`` names (a shot role, ``shot:scene/id``) when it names one. The
    soundtrack and the OpenTimelineIO timeline both place tracks with this."""
    start = float(track.get("start") or 0.0)
    anchor = track.get("at")
    if not anchor:
        return start
    for p in placed:
        if p.shot == anchor:
            return p.start / fps + start
    name = track.get("id") or track.get("file")
    raise BackendError(f"audio track {name!r}: 'at' names {anchor!r}, which is not a shot of the film")
