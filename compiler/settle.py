"""Settling: the last step of planning, done by the runtime once a task's inputs exist.

An ``auto`` shot is as long as its speech, which is known only after the speech tasks ran; the
plan therefore carries unsettled length parameters, and ``settle`` turns them into the concrete
``frames``, ``duration``, line ``start`` times and ``keyframes_at`` that backends receive. The key
of a task never depends on settled values: they are a function of the key's inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .timing import frames_for, layout

__all__ = ["settle"]


def settle(kind: str, params: Mapping[str, Any], metas: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Concrete parameters for a motion, shot or soundtrack task; other kinds are returned unchanged,
    but for a prompt that an ``enhance`` input rewrote (``prompt_from``).

    ``metas`` maps an input role (``line1``..., a speech task's id for the soundtrack) to the
    metadata its task recorded (``duration``). The soundtrack settles every entry of its timeline
    the way each shot settles itself, so the two agree to the frame and the sample.
    """
    out = dict(params)
    source = out.pop("prompt_from", None)
    if source is not None and source in metas:  # an enhanced prompt (an ``enhance`` task's output)
        out["prompt"] = str(metas[source]["prompt"])
    if kind == "soundtrack":
        fps = int(params["fps"])
        out["timeline"] = [_settle_length(entry, fps, metas, with_lines=True) for entry in params["timeline"]]
        for entry in out["timeline"]:
            entry.pop("keyframes_at")  # a picture's concern
        return out
    if kind not in ("motion", "shot"):
        return out
    return _settle_length(out, int(params["fps"]), metas, with_lines=kind == "shot")


def _settle_length(params: Mapping[str, Any], fps: int, metas: Mapping[str, Mapping[str, Any]], *,
                   with_lines: bool) -> dict[str, Any]:
    """``frames``, ``duration`` and ``keyframes_at`` from the length parameters, and each line's
    ``start`` (``with_lines``; else the lines are dropped)."""
    out = dict(params)
    explicit = params["duration"] if params["duration"] != "auto" else None
    lines = params.get("lines", [])
    seconds = [float(metas[line["input"]]["duration"]) for line in lines if line["input"] in metas]
    placed = layout(seconds, explicit) if len(seconds) == len(lines) else layout([], explicit)
    frames = frames_for(placed.duration, fps)
    out["frames"] = frames
    out["duration"] = frames / fps
    cut_in = min(round(float(params.get("cut_in", 0)) * fps), frames - 1)
    cut_out = min(round(float(params.get("cut_out", 0)) * fps), frames - 1)
    out["keyframes_at"] = sorted({0, *(f for f in (cut_in, frames - cut_out) if 0 < f < frames)})
    if with_lines:
        out["lines"] = [{**line, "start": start} for line, start in zip(lines, placed.starts, strict=True)]
    else:
        out.pop("lines", None)
    return out
