"""Settling: the last step of planning, done by the runtime once a task's inputs exist.

An ``auto`` shot is as long as its speech, which is known only after the speech tasks ran; the
plan therefore carries unsettled length parameters, and ``settle`` turns them into the concrete
``frames``, ``duration``, line ``start`` (and, for subtitles, ``end``) times and ``keyframes_at``
that backends receive. The key of a task never depends on settled values: they are a function of
the key's inputs. ``studio plan`` settles with the speech the store already holds to show exact
lengths (``shot_length``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .timing import frames_for, layout, min_frames

if TYPE_CHECKING:
    from .plan import Plan

__all__ = ["film_lengths", "settle", "shot_length"]

_TIMELINES = ("soundtrack", "subtitles")
"""Kinds whose ``timeline`` entries each settle like a shot."""
_BOARDS = ("storyboard", "storyboard_pdf")
"""Kinds whose ``shots`` each settle their length like a shot."""


def settle(kind: str, params: Mapping[str, Any], metas: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Concrete parameters for a motion, shot, soundtrack, subtitles or storyboard (PNG or PDF) task; other kinds
    are returned unchanged, but for a prompt that an ``enhance`` input rewrote (``prompt_from``).

    ``metas`` maps an input role (``line1``..., a speech task's id for the film-wide kinds) to the
    metadata its task recorded (``duration``). The film-wide kinds settle every entry the way each
    shot settles itself, so they all agree to the frame and the sample.
    """
    out = dict(params)
    source = out.pop("prompt_from", None)
    if source is not None and source in metas:  # an enhanced prompt (an ``enhance`` task's output)
        out["prompt"] = str(metas[source]["prompt"])
    if kind in _TIMELINES:
        fps = int(params["fps"])
        out["timeline"] = [_settle_length(entry, fps, metas, with_lines=True, with_ends=kind == "subtitles")
                           for entry in params["timeline"]]
        for entry in out["timeline"]:
            entry.pop("keyframes_at")  # a picture's concern
        return out
    if kind in _BOARDS:  # every panel's exact length (the PDF also prints it in frames)
        fps = int(params["fps"])
        dropped = ("keyframes_at",) if kind == "storyboard_pdf" else ("frames", "keyframes_at")
        out["shots"] = [{k: v for k, v in _settle_length(shot, fps, metas, with_lines=False).items()
                         if k not in dropped} for shot in params["shots"]]
        return out
    if kind not in ("motion", "shot"):
        return out
    return _settle_length(out, int(params["fps"]), metas, with_lines=True)  # motion: mouths follow the lines


def shot_length(params: Mapping[str, Any], fps: int, metas: Mapping[str, Mapping[str, Any]]) -> float | None:
    """Settled seconds of a shot from its length parameters, or None while a line's speech is unknown."""
    lines = params.get("lines", [])
    if params["duration"] == "auto" and any(line["input"] not in metas for line in lines):
        return None
    return float(_settle_length(params, fps, metas, with_lines=False)["duration"])


def _settle_length(params: Mapping[str, Any], fps: int, metas: Mapping[str, Mapping[str, Any]], *,
                   with_lines: bool, with_ends: bool = False) -> dict[str, Any]:
    """``frames``, ``duration`` and ``keyframes_at`` from the length parameters, and each line's
    ``start`` (and ``end``, clipped to the shot) when ``with_lines``; else the lines are dropped."""
    out = dict(params)
    explicit = params["duration"] if params["duration"] != "auto" else None
    lines = params.get("lines", [])
    cut_in_s, cut_out_s = float(params.get("cut_in", 0)), float(params.get("cut_out", 0))
    seconds = [float(metas[line["input"]]["duration"]) for line in lines if line["input"] in metas]
    placed = layout(seconds if len(seconds) == len(lines) else [], explicit, cut_in_s, cut_out_s)
    if explicit is None:  # an auto shot rounds up: its lines, tail and transitions always fit
        frames = max(math.ceil(round(placed.duration * fps, 6)), min_frames(cut_in_s, cut_out_s, fps))
    else:
        frames = frames_for(placed.duration, fps)
    out["frames"] = frames
    out["duration"] = frames / fps
    cut_in = min(round(cut_in_s * fps), frames - 1)
    cut_out = min(round(cut_out_s * fps), frames - 1)
    out["keyframes_at"] = sorted({0, *(f for f in (cut_in, frames - cut_out) if 0 < f < frames)})
    if with_lines:
        out["lines"] = [{**line, "start": start} for line, start in zip(lines, placed.starts, strict=True)]
        if with_ends:
            for line, length in zip(out["lines"], seconds, strict=True):
                line["end"] = round(min(line["start"] + length, out["duration"]), 6)
    else:
        out.pop("lines", None)
    return out


def film_lengths(plan: Plan, speech: Mapping[str, Mapping[str, Any]]
                 ) -> tuple[float, bool, dict[str, tuple[float, bool]]]:
    """The film's length and each shot's (``<scene>/<shot>`` -> seconds, exact), settled as the build
    will settle them: with the speech the store holds (``speech`` maps a speech task id to its
    metadata), else with the compiler's estimate of each line. Exact when every line was spoken."""
    from .plan import TaskId

    film = plan.film
    fps = film.fps
    shots: dict[str, tuple[float, bool]] = {}
    frames = 0
    for shot in film.shots:
        task = plan.tasks[TaskId(f"shot:{shot.scene}/{shot.id}")]
        metas = {role: speech[tid] for role, tid in task.inputs.items() if tid in speech}
        exact = len(metas) == len(shot.lines)
        estimated = {f"line{ln.number}": {"duration": ln.estimate} for ln in shot.lines}
        seconds = shot_length(task.params, fps, metas if exact else estimated)
        assert seconds is not None
        shots[str(shot.shot_id)] = (seconds, exact or shot.duration is not None)
        frames += round(seconds * fps) - round(float(task.params.get("cut_in", 0)) * fps)
    return frames / fps, all(exact for _, exact in shots.values()), shots
