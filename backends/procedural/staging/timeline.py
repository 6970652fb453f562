"""The staging in time: where each figure is and what it does at a moment of the shot.

Pure functions of the staging, the shot's length, its dialogue and a seed:
- moves: an entrance is done by 80 % of the shot, an exit starts late enough to leave the frame by
  its end, a leap takes about a second around the middle, walks and runs go at their speed;
- idle life on every figure: breathing (a slow rise of the upper body), a slower sway, and blinks
  at seeded times (2 to 5 s apart, 4 frames each);
- dialogue: the speaker leans toward their listener and brightens a little while a line plays
  (eased in and out), the mouth opens with the line's loudness (``levels``, one per video frame);
  in a shot that cuts between singles, the setup is the current (or last) speaker's.

Offsets are in fractions of the frame height and never more than a few pixels (``px``: the height
of a pixel as a fraction of the frame), so a close-up breathes as gently as a wide shot.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .._noise import rng_for
from .._palette import stable_unit
from .layout import Actor, Staging
from .poses import Pose, compose

__all__ = ["KEY_DURATION", "ActorState", "Line", "blink_times", "frame_states", "move_window"]

_OPEN = {"grin": "smile", "open": "rest", "o": "rest", "shout": "rest"}
KEY_DURATION = 3.0
"""The length a keyframe assumes (the picture shows the middle of it)."""


@dataclass(frozen=True)
class Line:
    character: str
    start: float
    end: float
    levels: tuple[int, ...] = ()
    """Mouth opening 0-3 for each video frame from the line's first frame."""
    first: int = 0
    """The video frame the levels start at."""


@dataclass(frozen=True)
class ActorState:
    actor: Actor
    x: float
    ground: float
    pose: Pose
    facing: int
    turn: float
    """0 faces the camera, 1 in profile (moves the eyes and nose)."""
    back: bool
    breathe: float
    sway: float
    lean: float
    speak: float
    mouth: int
    blink: int


def _smooth(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


def _wave(x: float) -> float:
    """About sin(2 pi x), from arithmetic alone (as ``_noise.wave``)."""
    y = x - math.floor(x + 0.5)
    s = 8.0 * y * (1.0 - 2.0 * abs(y))
    return s + 0.225 * (s * abs(s) - s)


def move_window(a: Actor, duration: float, aspect: float) -> tuple[float, float]:
    """Seconds in which the actor's move happens."""
    m = a.move
    if m is None:
        return 0.0, 0.0
    if m.kind == "leap":
        t0 = max(0.1, 0.45 * duration - 0.55)
        return t0, min(duration, t0 + 1.1)
    if m.kind == "climb":
        return 0.0, duration
    dist = abs(m.x1 - m.x0) * aspect / max(a.unit, 1e-6)
    need = dist / max(m.speed, 1e-6)
    if m.when == "end":
        t1 = duration - 0.04
        return max(0.15 * duration, t1 - need), t1
    t0 = 0.0 if m.when == "start" else 0.1 * duration
    return t0, min(t0 + need, t0 + 0.8 * duration)


@functools.lru_cache(maxsize=256)
def blink_times(name: str, seed: int, duration: float) -> tuple[float, ...]:
    """When a figure blinks: seeded per figure, 2.2 to 5 s apart."""
    rng = rng_for(seed, "blink", name)
    times, t = [], 0.4 + 2.0 * float(rng.random())
    while t < duration:
        times.append(t)
        t += 2.2 + 2.8 * float(rng.random())
    return tuple(times)


def _blink(times: Sequence[float], t: float, fps: int) -> int:
    for b in times:
        k = (t - b) * fps
        if 0.0 <= k < 4.0:
            return 2 if 1.0 <= k < 3.0 else 1
    return 0


def _speaking(lines: Sequence[Line], name: str, t: float) -> float:
    s = 0.0
    for ln in lines:
        if ln.character == name:
            s = max(s, min(_smooth((t - ln.start + 0.15) / 0.15), _smooth((ln.end + 0.25 - t) / 0.25)))
    return s


def _mouth(lines: Sequence[Line], name: str, frame: int) -> int:
    for ln in lines:
        k = frame - ln.first
        if ln.character == name and 0 <= k < len(ln.levels):
            return ln.levels[k]
    return 0


def setup_at(staging: Staging, lines: Sequence[Line], t: float) -> int:
    """The setup on screen at ``t``: a singles shot shows the current or last speaker."""
    if staging.cutting != "singles" or len(staging.setups) < 2:
        return 0
    own = {s.speaker for s in staging.setups}
    spoken = [ln for ln in lines if ln.character in own]
    current = next((ln for ln in reversed(spoken) if ln.start <= t), spoken[0] if spoken else None)
    return staging.setup_of(current.character) if current else 0


def _place(a: Actor, t: float, duration: float, aspect: float) -> tuple[float, float, bool, float, float]:
    """(x, ground, moving, progress of the move, standing heights travelled) at ``t``."""
    m = a.move
    if m is None:
        return a.x, a.ground, False, 0.0, 0.0
    t0, t1 = move_window(a, duration, aspect)
    p = 0.0 if t1 <= t0 else min(1.0, max(0.0, (t - t0) / (t1 - t0)))
    if m.kind == "leap":
        q = min(1.0, max(0.0, (p - 0.2) / 0.8))  # a crouch, then the flight
        x = m.x0 + (m.x1 - m.x0) * q
        ground = m.g0 + (m.g1 - m.g0) * q * q - m.arc * a.unit * 4.0 * q * (1.0 - q)
        return x, ground, False, p, 0.0
    if m.kind == "climb":
        return m.x0, m.g0 + (m.g1 - m.g0) * p, True, p, 0.0
    e = p if m.kind in ("walk", "run") and m.when == "all" else _smooth(p)
    x = m.x0 + (m.x1 - m.x0) * e
    travelled = abs(x - m.x0) * aspect / max(a.unit, 1e-6)
    return x, m.g0, t0 <= t <= t1 and p < 1.0, p, travelled


def frame_states(staging: Staging, t: float, frame: int, *, duration: float, fps: int, lines: Sequence[Line] = (),
                 seed: int = 0, px: float = 1.0 / 720.0, still: bool = False) -> tuple[int, list[ActorState]]:
    """The setup on screen and the state of each of its actors at ``t`` seconds (video ``frame``).

    ``still``: a freeze frame (no idle life, no talking mouth)."""
    index = setup_at(staging, lines, t)
    setup = staging.setups[index]
    listener = {a.name: a for a in setup.actors}
    talkers = {ln.character for ln in lines}
    out = []
    for a in setup.actors:
        x, ground, moving, progress, travelled = _place(a, t, duration, staging.aspect)
        d = a.direction
        one_shot = d.motion in ("leap", "fall")
        if d.motion == "fall":
            t0 = 0.25 * duration
            progress = min(1.0, max(0.0, (t - t0) / 0.7))
        phase = stable_unit(a.name, "phase")
        pose = compose(d, t=t, moving=moving, progress=progress if one_shot else 0.0, travelled=travelled,
                       seed_phase=phase, gesture_angle=a.aim)
        if a.name in talkers and pose.mouth in _OPEN:  # the voice opens this mouth, not the expression
            pose = replace(pose, mouth=_OPEN[pose.mouth])
        facing, back = (1 if a.facing >= 0 else -1), a.back
        turn = 1.0 if d.head == "look" else abs(a.facing)  # looking: the head turns all the way
        if d.head == "turn" and t >= 0.4 * duration:
            target = listener.get(d.target or "")
            if target is not None:
                facing = 1 if target.x > x else -1
            else:
                back = True
        if a.move is not None and a.move.kind not in ("climb",) and moving:
            facing = 1 if a.move.x1 >= a.move.x0 else -1
        if still:
            out.append(ActorState(a, x, ground, pose, facing, turn, back, 0.0, 0.0, 0.0, 0.0, 0, 0))
            continue
        u = a.unit
        breathe = min(0.004 * u, 2.2 * px) * 0.5 * (1.0 + _wave(t / (3.2 + stable_unit(a.name, "breath")) + phase))
        sway = min(0.003 * u, 1.4 * px) * _wave(t / (5.5 + 2.0 * stable_unit(a.name, "sway")) + phase * 0.7)
        speak = _speaking(lines, a.name, t)
        lean = speak * min(0.012 * u, 6.0 * px)
        mouth = _mouth(lines, a.name, frame)
        blink = 2 if pose.eyes == "closed" else _blink(blink_times(a.name, seed, duration + 1.0), t, fps)
        out.append(ActorState(a, x, ground, pose, facing, turn, back, breathe, sway, lean, speak, mouth, blink))
    return index, out
