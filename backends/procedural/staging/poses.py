"""The pose set: each verb of the vocabulary as joint angles, held or cycled in time.

A ``Pose`` gives angles in degrees for a figure facing right (y grows downward): 0 points a limb
straight down, positive swings it forward (toward +x). ``la``/``ra`` are the lead arm (on the side
the figure faces) and the rear arm, ``ll``/``rl`` the legs; ``1`` is the upper bone from the
shoulder or hip, ``2`` the lower bone relative to it. ``drop`` lowers the pelvis, ``dx`` moves it
forward, ``lift`` raises the whole figure and ``tilt`` rotates it about its feet (all in units of
the figure's standing height). The rest is the face (mouth, brows, eyes, tears) and staging flags
(seen from the back, sitting on a seat, crouching behind cover).

Each verb is an ``Act``: key poses of only the joints it drives, either held (one key), cycled
(``period`` seconds; walk and run cycle with the distance travelled instead, so feet do not
slide) or played once over its window (``once``: leap, fall, throw). Time is quantised to
``steps`` drawings per cycle, as limited animation is, so a pose repeats exactly and its drawing is
made once. ``compose`` stacks the channels of a ``Direction``: posture, then the face's body
language, then motion, gesture, head and face; a later channel overrides the joints it drives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from .lexicon import Direction

__all__ = ["ACTS", "NUMERIC", "REST", "Act", "Pose", "compose", "evaluate"]


@dataclass(frozen=True)
class Pose:
    spine: float = 0.0
    neck: float = 0.0
    la1: float = 12.0
    la2: float = 4.0
    ra1: float = -12.0
    ra2: float = -4.0
    ll1: float = 3.0
    ll2: float = 0.0
    rl1: float = -3.0
    rl2: float = 0.0
    drop: float = 0.0
    dx: float = 0.0
    lift: float = 0.0
    tilt: float = 0.0
    mouth: str = "rest"
    """rest, smile, grin, frown, o, open, shout."""
    brows: str = "rest"
    """rest, up, down, worried."""
    eyes: str = "open"
    """open, wide, squint, closed."""
    tears: bool = False
    back: bool = False
    seat: bool = False
    cover: bool = False

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


REST = Pose()
NUMERIC = tuple(f.name for f in fields(Pose) if f.type in ("float", float))


@dataclass(frozen=True)
class Act:
    keys: tuple[Mapping[str, Any], ...]
    period: float = 0.0
    """Seconds per cycle (0: held, or played once)."""
    steps: int = 1
    """Drawings per cycle, or over a one-shot."""
    once: bool = False
    stride: float = 0.0
    """Cycle with the distance travelled: standing heights per cycle (walk, run)."""


_CROUCH = {"ll1": 55.0, "ll2": -95.0, "rl1": 42.0, "rl2": -88.0}
_WALK = (
    {"ll1": 24.0, "ll2": -4.0, "rl1": -20.0, "rl2": -18.0, "la1": -16.0, "la2": 6.0, "ra1": 16.0, "ra2": 12.0,
     "lift": 0.0, "spine": 3.0},
    {"ll1": 2.0, "ll2": -4.0, "rl1": 12.0, "rl2": -42.0, "la1": 2.0, "la2": 6.0, "ra1": -2.0, "ra2": 8.0,
     "lift": 0.012, "spine": 3.0},
    {"ll1": -20.0, "ll2": -18.0, "rl1": 24.0, "rl2": -4.0, "la1": 16.0, "la2": 12.0, "ra1": -16.0, "ra2": 6.0,
     "lift": 0.0, "spine": 3.0},
    {"ll1": 12.0, "ll2": -42.0, "rl1": 2.0, "rl2": -4.0, "la1": -2.0, "la2": 8.0, "ra1": 2.0, "ra2": 6.0,
     "lift": 0.012, "spine": 3.0},
)
_RUN = (
    {"ll1": 42.0, "ll2": -20.0, "rl1": -35.0, "rl2": -62.0, "la1": -38.0, "la2": 88.0, "ra1": 36.0, "ra2": 88.0,
     "lift": 0.012, "spine": 14.0},
    {"ll1": 12.0, "ll2": -95.0, "rl1": 22.0, "rl2": -30.0, "la1": 0.0, "la2": 88.0, "ra1": 0.0, "ra2": 88.0,
     "lift": 0.045, "spine": 14.0},
    {"ll1": -35.0, "ll2": -62.0, "rl1": 42.0, "rl2": -20.0, "la1": 36.0, "la2": 88.0, "ra1": -38.0, "ra2": 88.0,
     "lift": 0.012, "spine": 14.0},
    {"ll1": 22.0, "ll2": -30.0, "rl1": 12.0, "rl2": -95.0, "la1": 0.0, "la2": 88.0, "ra1": 0.0, "ra2": 88.0,
     "lift": 0.045, "spine": 14.0},
)

ACTS: dict[str, Act] = {
    # posture
    "stand": Act(({},)),
    "sit": Act(({"drop": 0.16, "ll1": 86.0, "ll2": -86.0, "rl1": 80.0, "rl2": -84.0, "spine": 4.0, "la1": 28.0,
                 "la2": 42.0, "ra1": 18.0, "ra2": 48.0, "seat": True},)),
    "kneel": Act(({"drop": 0.152, "ll1": 80.0, "ll2": -80.0, "rl1": 2.0, "rl2": -92.0, "spine": 3.0, "la1": 22.0,
                   "la2": 52.0, "ra1": -6.0, "ra2": 10.0},)),
    "crouch": Act(({"drop": 0.12, **_CROUCH, "spine": 26.0, "neck": -10.0, "la1": 38.0, "la2": 30.0, "ra1": 26.0,
                    "ra2": 36.0},)),
    "lie": Act(({"tilt": 90.0, "lift": 0.075, "la1": 4.0, "la2": 0.0, "ra1": -4.0, "ra2": 0.0, "ll1": 2.0,
                 "rl1": -2.0, "neck": -8.0, "eyes": "closed"},)),
    "hide": Act(({"drop": 0.14, **_CROUCH, "spine": 38.0, "neck": 18.0, "la1": 150.0, "la2": 45.0, "ra1": 130.0,
                  "ra2": 60.0, "cover": True, "eyes": "wide"},)),
    "peek": Act(({"drop": 0.1, **_CROUCH, "spine": 16.0, "neck": -6.0, "la1": 72.0, "la2": -38.0, "ra1": 58.0,
                  "ra2": -30.0, "cover": True, "eyes": "wide"},)),
    # motion
    "walk": Act(_WALK, stride=0.9, steps=8),
    "run": Act(_RUN, stride=1.5, steps=6),
    "enter": Act(_WALK, stride=0.9, steps=8),
    "exit": Act(_WALK, stride=0.9, steps=8),
    "jump": Act((
        {"drop": 0.08, "ll1": 42.0, "ll2": -78.0, "rl1": 36.0, "rl2": -72.0, "la1": -32.0, "ra1": -42.0,
         "spine": 16.0, "lift": 0.0},
        {"drop": 0.0, "ll1": 6.0, "ll2": 0.0, "rl1": -6.0, "rl2": 0.0, "la1": 160.0, "ra1": 150.0, "spine": 0.0,
         "lift": 0.22},
        {"drop": 0.0, "ll1": 38.0, "ll2": -72.0, "rl1": 30.0, "rl2": -66.0, "la1": 140.0, "ra1": 130.0,
         "spine": 2.0, "lift": 0.3},
        {"drop": 0.03, "ll1": 12.0, "ll2": -12.0, "rl1": 6.0, "rl2": -12.0, "la1": 70.0, "ra1": 55.0,
         "spine": 6.0, "lift": 0.12},
    ), period=0.9, steps=6),
    "leap": Act((
        {"drop": 0.1, "ll1": 48.0, "ll2": -84.0, "rl1": 36.0, "rl2": -78.0, "la1": -40.0, "la2": 10.0,
         "ra1": -52.0, "ra2": 10.0, "spine": 26.0},
        {"drop": 0.0, "ll1": -8.0, "ll2": 0.0, "rl1": -34.0, "rl2": -12.0, "la1": 125.0, "la2": 0.0, "ra1": 105.0,
         "ra2": 0.0, "spine": 12.0},
        {"drop": 0.0, "ll1": 55.0, "ll2": -8.0, "rl1": -42.0, "rl2": -32.0, "la1": 135.0, "la2": 8.0, "ra1": 112.0,
         "ra2": 8.0, "spine": 6.0},
        {"drop": 0.0, "ll1": 30.0, "ll2": -36.0, "rl1": 12.0, "rl2": -44.0, "la1": 155.0, "la2": 10.0,
         "ra1": 145.0, "ra2": 10.0, "spine": -4.0},
    ), once=True, steps=10),
    "fall": Act((
        {"tilt": 0.0, "la1": 12.0, "ra1": -12.0, "lift": 0.0, "eyes": "wide", "mouth": "o"},
        {"tilt": 22.0, "la1": 140.0, "ra1": 120.0, "ll1": 12.0, "rl1": -26.0, "lift": 0.0, "eyes": "wide",
         "mouth": "o"},
        {"tilt": 68.0, "la1": 160.0, "ra1": 150.0, "ll1": 6.0, "rl1": -16.0, "lift": 0.04, "eyes": "closed",
         "mouth": "o"},
        {"tilt": 90.0, "la1": 8.0, "ra1": -4.0, "ll1": 2.0, "rl1": -2.0, "lift": 0.075, "eyes": "closed",
         "mouth": "frown"},
    ), once=True, steps=10),
    "climb": Act((
        {"la1": 170.0, "la2": -6.0, "ra1": 128.0, "ra2": -40.0, "ll1": 62.0, "ll2": -92.0, "rl1": 6.0, "rl2": -8.0,
         "spine": 6.0},
        {"la1": 150.0, "la2": -24.0, "ra1": 150.0, "ra2": -24.0, "ll1": 34.0, "ll2": -50.0, "rl1": 34.0,
         "rl2": -50.0, "spine": 6.0},
        {"la1": 128.0, "la2": -40.0, "ra1": 170.0, "ra2": -6.0, "ll1": 6.0, "ll2": -8.0, "rl1": 62.0, "rl2": -92.0,
         "spine": 6.0},
        {"la1": 150.0, "la2": -24.0, "ra1": 150.0, "ra2": -24.0, "ll1": 34.0, "ll2": -50.0, "rl1": 34.0,
         "rl2": -50.0, "spine": 6.0},
    ), period=1.2, steps=8),
    "dance": Act((
        {"la1": 150.0, "la2": -30.0, "ra1": -40.0, "ra2": -60.0, "ll1": 20.0, "rl1": -6.0, "dx": 0.03,
         "spine": -6.0, "lift": 0.0, "mouth": "grin"},
        {"la1": 100.0, "la2": 10.0, "ra1": -100.0, "ra2": -10.0, "ll1": 0.0, "rl1": 0.0, "dx": 0.0, "spine": 0.0,
         "lift": 0.025, "mouth": "grin"},
        {"la1": 40.0, "la2": 60.0, "ra1": -150.0, "ra2": 30.0, "ll1": 6.0, "rl1": -20.0, "dx": -0.03, "spine": 6.0,
         "lift": 0.0, "mouth": "grin"},
        {"la1": 100.0, "la2": 10.0, "ra1": -100.0, "ra2": -10.0, "ll1": 0.0, "rl1": 0.0, "dx": 0.0, "spine": 0.0,
         "lift": 0.025, "mouth": "grin"},
    ), period=1.0, steps=8),
    "swim": Act((
        {"tilt": 84.0, "lift": 0.06, "la1": 0.0, "la2": 0.0, "ra1": 180.0, "ra2": 0.0, "ll1": 12.0, "rl1": -12.0},
        {"tilt": 84.0, "lift": 0.06, "la1": 90.0, "la2": 0.0, "ra1": 270.0, "ra2": 0.0, "ll1": -12.0, "rl1": 12.0},
        {"tilt": 84.0, "lift": 0.06, "la1": 180.0, "la2": 0.0, "ra1": 360.0, "ra2": 0.0, "ll1": 12.0, "rl1": -12.0},
        {"tilt": 84.0, "lift": 0.06, "la1": 270.0, "la2": 0.0, "ra1": 450.0, "ra2": 0.0, "ll1": -12.0, "rl1": 12.0},
    ), period=1.4, steps=8),
    # gesture
    "point": Act(({"la1": 96.0, "la2": -2.0, "ra1": -10.0, "ra2": -6.0, "spine": 5.0},)),
    "wave": Act(({"la1": 150.0, "la2": 28.0, "spine": -3.0}, {"la1": 146.0, "la2": -26.0, "spine": -3.0}),
                period=0.55, steps=4),
    "reach": Act(({"la1": 78.0, "la2": -6.0, "ra1": 34.0, "ra2": 22.0, "spine": 16.0, "dx": 0.015},)),
    "hold": Act(({"la1": 34.0, "la2": 78.0, "ra1": 24.0, "ra2": 88.0, "spine": 3.0},)),
    "hug": Act(({"la1": 72.0, "la2": 72.0, "ra1": 62.0, "ra2": 82.0, "spine": 9.0},)),
    "fight": Act((
        {"la1": 36.0, "la2": 122.0, "ra1": 26.0, "ra2": 128.0, "ll1": 22.0, "rl1": -22.0, "spine": 10.0},
        {"la1": 92.0, "la2": 0.0, "ra1": 26.0, "ra2": 128.0, "ll1": 22.0, "rl1": -22.0, "spine": 16.0},
        {"la1": 36.0, "la2": 122.0, "ra1": 26.0, "ra2": 128.0, "ll1": 22.0, "rl1": -22.0, "spine": 10.0},
        {"la1": 36.0, "la2": 122.0, "ra1": 88.0, "ra2": 4.0, "ll1": 22.0, "rl1": -22.0, "spine": 16.0},
    ), period=0.7, steps=4),
    "throw": Act((
        {"la1": -140.0, "la2": -40.0, "ra1": 40.0, "ra2": 10.0, "spine": -10.0},
        {"la1": -100.0, "la2": -60.0, "ra1": 50.0, "ra2": 10.0, "spine": -6.0},
        {"la1": 110.0, "la2": 0.0, "ra1": -20.0, "ra2": 0.0, "spine": 16.0},
        {"la1": 60.0, "la2": 10.0, "ra1": -14.0, "ra2": 0.0, "spine": 8.0},
    ), period=1.6, steps=8),
    "cheer": Act(({"la1": 166.0, "la2": 14.0, "ra1": -166.0, "ra2": -14.0, "lift": 0.0, "mouth": "open"},
                  {"la1": 160.0, "la2": -12.0, "ra1": -160.0, "ra2": 12.0, "lift": 0.03, "mouth": "open"}),
                 period=0.8, steps=4),
    "shrug": Act(({"la1": 34.0, "la2": 58.0, "ra1": -34.0, "ra2": -58.0, "neck": 10.0, "brows": "up"},)),
    "clap": Act(({"la1": 46.0, "la2": 62.0, "ra1": 34.0, "ra2": 74.0, "mouth": "grin"},
                 {"la1": 40.0, "la2": 28.0, "ra1": 16.0, "ra2": 44.0, "mouth": "grin"}), period=0.45, steps=4),
    "knock": Act(({"la1": 78.0, "la2": 22.0, "spine": 4.0}, {"la1": 88.0, "la2": -14.0, "spine": 6.0}),
                 period=0.5, steps=4),
    # head
    "look": Act(({"neck": 6.0, "spine": 4.0},)),
    "turn": Act(({},)),
    "nod": Act(({"neck": 5.0}, {"neck": 20.0}), period=0.8, steps=4),
    # face
    "smile": Act(({"mouth": "grin", "eyes": "squint"},)),
    "frown": Act(({"mouth": "frown", "brows": "down"},)),
    "cry": Act(({"mouth": "frown", "brows": "worried", "eyes": "squint", "tears": True, "spine": 10.0,
                 "neck": 14.0},)),
    "hesitate": Act(({"brows": "worried", "spine": -7.0, "dx": -0.012},
                     {"brows": "worried", "spine": -4.0, "dx": 0.004}), period=1.6, steps=4),
    "gasp": Act(({"mouth": "o", "brows": "up", "eyes": "wide", "spine": -9.0},)),
    "shout": Act(({"mouth": "shout", "brows": "down", "spine": 11.0, "neck": -6.0},)),
}
"""Every verb of the vocabulary (``compiler.spec.POSES``) and how it moves."""

_SOFT_ARMS: dict[str, Mapping[str, float]] = {
    # arms a face verb suggests when no gesture or movement says otherwise
    "cry": {"la1": 42.0, "la2": 118.0, "ra1": 30.0, "ra2": 124.0},
    "hesitate": {"la1": 20.0, "la2": 58.0, "ra1": 10.0, "ra2": 68.0},
    "gasp": {"la1": 30.0, "la2": 112.0, "ra1": 24.0, "ra2": 118.0},
    "shout": {"la1": -22.0, "la2": 10.0, "ra1": -28.0, "ra2": -10.0},
}
_LEGS = ("ll1", "ll2", "rl1", "rl2", "drop", "dx", "lift", "tilt")
_FACE = ("mouth", "brows", "eyes", "tears")


def evaluate(verb: str, t: float, progress: float, travelled: float, seed_phase: float) -> dict[str, Any]:
    """The joints ``verb`` drives at time ``t`` (seconds), ``progress`` through its window (0-1, for
    one-shots) and ``travelled`` (standing heights moved, for walk and run)."""
    act = ACTS[verb]
    if len(act.keys) == 1:
        return dict(act.keys[0])
    n = len(act.keys)
    if act.once:
        q = math.floor(min(max(progress, 0.0), 1.0) * act.steps + 1e-9) / act.steps
        return _between(act.keys, q * (n - 1), cyclic=False)
    cycles = travelled / act.stride if act.stride else t / act.period + seed_phase
    q = math.floor((cycles - math.floor(cycles)) * act.steps + 1e-9) / act.steps
    return _between(act.keys, q * n, cyclic=True)


def _between(keys: tuple[Mapping[str, Any], ...], x: float, cyclic: bool) -> dict[str, Any]:
    n = len(keys)
    i = min(int(math.floor(x)), n - 1)
    f = x - i
    a, b = keys[i % n], keys[(i + 1) % n] if cyclic else keys[min(i + 1, n - 1)]
    out: dict[str, Any] = {}
    for name, value in a.items():
        other = b.get(name, value)
        if isinstance(value, float) and isinstance(other, float):
            out[name] = round(value + (other - value) * f, 3)
        else:
            out[name] = value if f < 0.5 else other
    return out


def compose(direction: Direction, *, t: float = 0.0, moving: bool = False, progress: float = 0.0,
            travelled: float = 0.0, seed_phase: float = 0.0, gesture_angle: float | None = None) -> Pose:
    """The pose of a character following ``direction`` at one moment.

    ``moving``: the character is travelling (walk and run cycles play only then; elsewhere they
    stand); ``gesture_angle`` aims the lead arm (pointing at a target above or below)."""
    fields_: dict[str, Any] = {}

    def apply(verb: str | None, only: tuple[str, ...] | None = None, skip: tuple[str, ...] = ()) -> None:
        if verb is None:
            return
        for k, v in evaluate(verb, t, progress, travelled, seed_phase).items():
            if (only is None or k in only) and k not in skip:
                fields_[k] = v

    apply(direction.posture)
    if direction.face in _SOFT_ARMS and direction.gesture is None:
        fields_.update(_SOFT_ARMS[direction.face])
    motion = direction.motion
    if motion in ("walk", "run", "enter", "exit", "swim", "climb") and not moving:
        motion = None
    if motion is not None:
        # a posture keeps its legs only for moves made in place with the arms (none): motion wins
        apply(motion, skip=_FACE if direction.face else ())
        if direction.posture in ("sit", "kneel", "lie", "crouch", "hide", "peek") and motion not in ("fall",):
            for k in ("seat", "cover"):
                fields_.pop(k, None)
    apply(direction.gesture, skip=_LEGS if motion else ())
    if gesture_angle is not None and direction.gesture in ("point", "reach"):
        fields_["la1"] = gesture_angle
    apply(direction.head)
    apply(direction.face, only=_FACE)
    if direction.gaze:
        fields_["neck"] = fields_.get("neck", 0.0) + direction.gaze
    return replace(REST, **fields_)
