"""First/last-frame motion between two layouts: figures move from the shot's layout to its end shot's.

In: the shot's ``StagedShot`` (its keyframe's layout, camera and idle life) and the ``end`` shot's
procedural keyframe (``image``, ``background``, ``layout``). Out: the shot's frames, lazily.

Over the shot, along a smoothstep ``w`` (0 on the first frame, 1 on the last):
- the backdrop cross-fades from the shot's (through its camera) to the end shot's ``background``;
- a figure in both layouts (the same character's name) travels from where the shot has it at that
  frame (its own moves included) to where the end keyframe shows it: feet in a straight line, its
  height in between, its pose blended joint by joint (faces, eyes and facing switch half way),
  drawn nearer or farther as its depth goes;
- a figure in one layout only fades out (the shot's) or in (the end shot's) where it stands;
- the figures keep breathing, swaying, blinking and talking as the shot has them (never frozen);
- a figure is drawn twice, as each shot draws it (its look, its scene's light), and the two
  pictures cross-fade, so a change of light between the shots is gradual, not a jump at the end
  (once, where both shots draw figures alike);
- figures over a starting picture keep their strength (``Staging.opacity``), blended between the two.
The last frame is the end keyframe's picture as it draws it (its ``image`` exactly, less a caption:
captions are laid over the motion by the shot task). An ``end`` without a layout (an image file,
a diffusers keyframe, a title card) gets the plain cross-fade (``motion.toward``).

Sizes and poses change in steps (at most a pixel of a figure's height, at least 32 steps over the
shot) and each step's sprites are drawn once, so a shot draws a few dozen figure pictures at most.
Deterministic: the same arithmetic as the rest of the backend, integer blends.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from backends.base import Artifact, BackendError
from backends.ffmpeg.ycbcr import from_rgb

from ._compose import Cast, fade, place
from ._io import read_fitted
from ._warp import source
from .motion import StagedShot
from .staging.layout import Staging
from .staging.poses import NUMERIC, Pose
from .staging.timeline import KEY_DURATION, ActorState, frame_states

__all__ = ["EndLayout", "has_layout", "moving_frames"]

_POSE_TEXT = tuple(f.name for f in fields(Pose) if f.name not in NUMERIC)


def has_layout(artifact: Artifact | None) -> bool:
    """Whether an ``end`` input is a procedural keyframe the figures can move to."""
    return artifact is not None and {"layout", "background"} <= set(artifact.outputs)


@dataclass(frozen=True)
class EndLayout:
    """The end shot's keyframe as the motion needs it."""

    staging: Staging
    cast: Cast
    states: dict[str, ActorState]
    """Its figures in the keyframe (by name; unnamed ones are strangers and only fade)."""
    order: list[ActorState]
    background: np.ndarray
    factor: tuple[float, float]
    """Output pixels per end-keyframe pixel, across and down (1 within one film)."""

    @staticmethod
    def read(end: Artifact, width: int, height: int, task_id: str, space: str = "rgb") -> EndLayout:
        try:
            data = json.loads(end.outputs["layout"].read_text(encoding="utf-8"))
            staging = Staging.from_json(data["staging"])
            look, seed, interior = str(data["look"]), int(data["seed"]), bool(data["interior"])
            end_w, end_h = int(data["size"][0]), int(data["size"][1])
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise BackendError(f"{task_id}: the end shot's layout cannot be read: {exc}") from None
        cast = Cast(staging, look=look, seed=seed, stage_h=end_h, interior=interior, space=space)
        # what the end keyframe draws: the middle of its shot, still
        _, states = frame_states(staging, KEY_DURATION / 2, round(KEY_DURATION / 2 * 24), duration=KEY_DURATION,
                                 fps=24, seed=seed, px=1.0 / end_h, still=True)
        background = read_fitted(end.outputs["background"], width, height, "the end shot's background")
        return EndLayout(staging, cast, {st.actor.name: st for st in states if st.actor.name}, states,
                         from_rgb(background) if space == "ycbcr" else background, (width / end_w, height / end_h))


@dataclass(frozen=True)
class _Figure:
    """One figure of one layer in one frame."""

    state: ActorState
    scale: float
    anchor: tuple[float, float]
    depth: float


def _drawing(cast: Cast) -> tuple[object, ...]:
    """What a cast's figure pictures depend on besides the figure (the flat look takes no seed)."""
    s = cast.staging
    return (cast.look, None if cast.look == "flat" else cast.seed, cast.stage_h, cast.interior, s.light, s.seat,
            s.cover)


def _smooth(x: float) -> float:
    return x * x * (3.0 - 2.0 * x)


def _mix(a: float, b: float, w: float) -> float:
    return a + (b - a) * w


def _pose(a: Pose, b: Pose, q: float) -> Pose:
    if a == b:
        return a
    mixed: dict[str, Any] = {name: round(_mix(getattr(a, name), getattr(b, name), q), 4) for name in NUMERIC}
    mixed.update({name: getattr(a if q < 0.5 else b, name) for name in _POSE_TEXT})
    return Pose(**mixed)


class _Motion:
    def __init__(self, shot: StagedShot, end: EndLayout) -> None:
        self.shot, self.end = shot, end
        ph, pw = shot.plate.shape[:2]
        self.ph, self.pw = ph, pw
        n = shot.frames_n
        self.n = n
        # the largest change of a figure's height, in output pixels: one size step per pixel of it
        most = 0.0
        for i, (_, states) in enumerate(shot.states):
            for st in states:
                e = end.states.get(st.actor.name)
                if e is not None:
                    most = max(most, abs(self._unit0(i, st) - e.actor.scale * end.cast.stage_h * end.factor[1]))
        self.steps = max(1, min(n - 1, max(32, math.ceil(most))))
        a, b = shot.cast, end.cast
        self.alike = _drawing(a) == _drawing(b)
        """Both shots draw figures alike (look, light, size): a figure in both is drawn once a frame."""
        self.step = -1

    def _unit0(self, i: int, st: ActorState) -> float:
        """The figure's unit (stage-height scale) in output pixels in frame ``i`` of the shot."""
        return st.actor.scale * self.ph / self.shot.windows[i][2]

    def _anchor0(self, i: int, st: ActorState) -> tuple[float, float]:
        sy, sx, step = self.shot.windows[i]
        return (st.x * self.pw - 0.5 - sx) / step + 0.5, (st.ground * self.ph - 0.5 - sy) / step + 0.5

    def _anchor1(self, st: ActorState) -> tuple[float, float]:
        """Where the end keyframe has the figure's feet, in output pixels."""
        return st.x * self.shot.width, st.ground * self.shot.height  # as the keyframe, fitted to the frame

    def layers(self, i: int, w: float, q: float) -> tuple[list[_Figure], list[_Figure], dict[str, list[str]]]:
        """The figures of the shot's layer and of the end's in frame ``i``, farthest first."""
        _, states = self.shot.states[i]
        end = self.end
        first: list[_Figure] = []
        last: list[_Figure] = []
        seen = set()
        moved, out = [], []
        for st in states:
            e = end.states.get(st.actor.name) if st.actor.name else None
            u0, a0 = self._unit0(i, st), self._anchor0(i, st)
            if e is None:
                first.append(_Figure(st, u0 / (st.actor.scale * self.ph), a0, st.actor.depth))
                out.append(st.actor.name)
                continue
            seen.add(e.actor.name)
            moved.append(e.actor.name)
            a1 = self._anchor1(e)
            anchor = (_mix(a0[0], a1[0], w), _mix(a0[1], a1[1], w))
            unit = _mix(u0, e.actor.scale * end.cast.stage_h * end.factor[1], q)
            unit = math.floor(unit * 4 + 0.5) / 4  # a quarter pixel of the figure's size
            pose = _pose(st.pose, e.pose, q)
            facing, turn, back = (st.facing, st.turn, st.back) if q < 0.5 else (e.facing, e.turn, e.back)
            depth = _mix(st.actor.depth, e.actor.depth, w)
            mine = replace(st, pose=pose, facing=facing, turn=turn, back=back)
            theirs = replace(e, pose=pose, facing=facing, turn=turn, back=back, breathe=st.breathe, sway=st.sway,
                             lean=st.lean, speak=st.speak, mouth=st.mouth, blink=st.blink)  # the shot's life
            first.append(_Figure(mine, unit / (st.actor.scale * self.ph), anchor, depth))
            if self.alike:  # drawn alike by both shots: the same sprites in both layers, drawn once
                last.append(first[-1])
            else:
                last.append(_Figure(theirs, unit / (e.actor.scale * end.cast.stage_h), anchor, depth))
        for e in end.order:
            if e.actor.name in seen:
                continue
            last.append(_Figure(e, end.factor[1], self._anchor1(e), e.actor.depth))
        order = sorted(range(len(first)), key=lambda k: -first[k].depth)  # farthest first (stable)
        first = [first[k] for k in order]
        last = sorted(last, key=lambda f: -f.depth)
        names = {"moved": moved, "out": [n for n in out if n],
                 "in": [e.actor.name for e in end.order if e.actor.name and e.actor.name not in seen]}
        return first, last, names

    def frames(self) -> Iterator[np.ndarray]:
        shot, end = self.shot, self.end
        bg = source(shot.plate, [v[0] for v in shot.views], shot.height, shot.width)
        last = max(1, self.n - 1)
        for i in range(self.n):
            w = _smooth(i / last)
            if i == self.n - 1 and self.n > 1:  # the end keyframe as it is drawn (without its caption:
                # the shot task lays captions over the motion)
                still = [_Figure(e, end.factor[1], self._anchor1(e), e.actor.depth) for e in end.order]
                yield self._draw(end.cast, still, end.background, end.staging.opacity)
                continue
            q = round(w * self.steps) / self.steps
            step = round(q * self.steps)
            if step != self.step:  # sizes and poses of the last step are never drawn again
                shot.cast.cache.clear()
                end.cast.cache.clear()
                self.step = step
            under = fade(np.asarray(bg.frame(i)), end.background, w)
            first, second, _ = self.layers(i, w, q)
            a = self._draw(shot.cast, first, under, shot.staging.opacity)
            b = self._draw(shot.cast if self.alike else end.cast, second, under, end.staging.opacity)
            yield fade(a, b, w)

    @staticmethod
    def _draw(cast: Cast, figures: list[_Figure], under: np.ndarray, opacity: float) -> np.ndarray:
        if not figures:
            return under
        frame = np.array(under, copy=True)
        for f in figures:
            for p in cast.placed(f.state, f.scale, f.anchor, None):
                place(frame, p)
        return fade(under, frame, opacity)


def moving_frames(shot: StagedShot, end: Artifact, task_id: str) -> tuple[Iterator[np.ndarray], dict[str, Any]]:
    """The shot's frames moving to the end layout, and ``meta`` naming who moves, leaves and arrives."""
    layout = EndLayout.read(end, shot.width, shot.height, task_id, shot.space)
    motion = _Motion(shot, layout)
    _, _, names = motion.layers(0, 0.0, 0.0)
    return motion.frames(), {"moved": names["moved"], "out": names["out"], "in": names["in"]}

