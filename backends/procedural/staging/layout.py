"""Who stands where: the staging of a shot as plain data (``Staging``), no pixels.

Framing by shot type (positions are fractions of the frame; ``scale`` is an average figure's
standing height as a fraction of the frame height):
- establishing / wide: small full figures spread along the ground line (three or more alternate
  nearer and farther), props between them;
- medium: waist-up figures side by side;
- close_up / extreme_close_up: one face, large;
- over_the_shoulder: the listener's blurred back of head in front, the speaker facing us (a
  neutral stranger stands in when there is only one character);
- pov: the shot's first character's point of view: the others, facing the camera; insert: no one.

Dialogue with several speakers: medium, wide and establishing hold a **two-shot** (everyone in
frame; the speaker leans in and is lit a little brighter), close_up, extreme_close_up and
over_the_shoulder **cut between singles**, one setup per speaker in the order they first speak,
keeping screen direction (the one on the left in the two-shot faces right in their single).

Movement (wide, establishing and medium two-shots only; a close-up keeps a walker in frame and
lets the cycle play): enter and exit cross the frame edge (a blocking with both, on opposite
sides, crosses the whole frame), walk and run travel a stretch, leap
arcs (below the frame after "off", "down", "into": in wide and establishing shots the leapers then
stand on a ledge, ``Staging.ledge``, and leap off its edge), climb rises, hug and fight close in on
their target. ``Move.when`` says which part of the shot the move takes; the timeline
turns it into seconds once the shot's length is known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .._palette import RGB
from .figure import Figure
from .lexicon import Direction
from .skeleton import NECK, PELVIS, SPINE

__all__ = ["HEAD", "PLACES", "Actor", "Move", "PropPlace", "Setup", "Staging", "stage"]

HEAD = PELVIS + SPINE + NECK
"""Height of the head's centre above the soles, in standing heights."""
PLACES = {"far_left": 0.12, "left": 0.3, "center": 0.5, "right": 0.7, "far_right": 0.88}
WALK_SPEED, RUN_SPEED = 1.1, 2.6
"""Standing heights per second."""
_TRAVEL = {"establishing", "wide", "medium"}
_SINGLES = {"close_up", "extreme_close_up", "over_the_shoulder"}
_DEPTHS = {"near": (1.2, 0.06), "middle": (1.0, 0.0), "far": (0.7, -0.08)}
LEDGE_RISE, LEDGE_GAP, LEDGE_LEAP = 0.2, 0.1, 0.4
"""A ledge's height above the ground line (of the frame height), the gap between leapers on it and
the length of a leap off it (of the width)."""


@dataclass(frozen=True)
class Move:
    kind: str
    """walk, run, enter, exit, leap, climb, swim or approach."""
    x0: float
    x1: float
    g0: float
    g1: float
    when: str
    """start (done early: entrances, approaches), end (exits), middle (leaps) or all."""
    speed: float
    """Standing heights per second (0: the move's own timing)."""
    arc: float = 0.0
    """A leap's height, in standing heights."""


@dataclass(frozen=True)
class Actor:
    name: str
    figure: Figure
    x: float
    """Feet, fraction of the frame width (at rest: where a move starts)."""
    ground: float
    """Row of the soles, fraction of the frame height (may lie below the frame)."""
    scale: float
    """An average figure's standing height, fraction of the frame height."""
    facing: float
    """-1 (left) .. 1 (right); 0 faces the camera."""
    direction: Direction = field(default_factory=Direction)
    move: Move | None = None
    back: bool = False
    soft: float = 0.0
    """Edge softness, fraction of the frame height (out of focus)."""
    shade: float = 1.0
    depth: float = 0.0
    """Distance from the camera in metres (a 1.6 m figure, 40 degree vertical field of view)."""
    aim: float | None = None
    """Lead-arm angle toward a target (point, reach), degrees."""

    @property
    def unit(self) -> float:
        """This figure's standing height, fraction of the frame height."""
        return self.scale * self.figure.height


@dataclass(frozen=True)
class PropPlace:
    name: str
    cx: float
    base: float
    size: float
    """All fractions: centre x of the width, base row and height of the frame height."""


@dataclass(frozen=True)
class Setup:
    actors: tuple[Actor, ...]
    """In drawing order, farthest first."""
    focus: tuple[float, float]
    speaker: str | None = None
    """Whose single this is (None: everyone in frame)."""


@dataclass(frozen=True)
class Staging:
    shot_type: str
    cutting: str
    """two_shot (one setup) or singles (a setup per speaker)."""
    setups: tuple[Setup, ...]
    props: tuple[PropPlace, ...]
    aspect: float
    """Frame width / height."""
    light: RGB = (1.0, 1.0, 1.0)
    """Multiplies the figures' colours: the scene's light (night is dim and blue)."""
    seat: RGB = (0.5, 0.4, 0.3)
    cover: RGB = (0.5, 0.46, 0.42)
    opacity: float = 1.0
    """How much the figures cover what is behind them (below 1 over a starting picture)."""
    ledge: tuple[float, float, float] | None = None
    """``(x0, x1, top)``: a rock (a step indoors) that leapers stand on and leap off, from ``x0`` to
    ``x1`` (fractions of the width, the edge at ``x1``) and from ``top`` (fraction of the height) down
    past the frame's bottom; None where no one leaps off anything."""

    def setup_of(self, speaker: str | None) -> int:
        for i, s in enumerate(self.setups):
            if s.speaker == speaker:
                return i
        return 0

    def to_json(self) -> dict[str, Any]:
        return _plain(self)  # type: ignore[no-any-return]

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Staging:
        def actor(a: Mapping[str, Any]) -> Actor:
            d = dict(a)
            d["figure"] = Figure.from_json(d["figure"])
            d["direction"] = Direction(**{k: (tuple(v) if isinstance(v, list) else v)  # type: ignore[arg-type]
                                          for k, v in d["direction"].items()})
            d["move"] = Move(**d["move"]) if d["move"] else None
            return Actor(**d)

        setups = tuple(Setup(tuple(actor(a) for a in s["actors"]), tuple(s["focus"]), s["speaker"])
                       for s in data["setups"])
        return Staging(data["shot_type"], data["cutting"], setups, tuple(PropPlace(**p) for p in data["props"]),
                       data["aspect"], tuple(data["light"]), tuple(data["seat"]), tuple(data["cover"]),  # type: ignore[arg-type]
                       float(data.get("opacity", 1.0)),
                       tuple(data["ledge"]) if data.get("ledge") else None)  # type: ignore[arg-type]


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def _facing(x: float, xs: Sequence[float]) -> float:
    if len(xs) < 2:
        return 0.0
    centre = sum(xs) / len(xs)
    return max(-1.0, min(1.0, (centre - x) * 4.0))


def _depth(scale: float) -> float:
    return round(2.2 / max(scale, 1e-3), 3)


def stage(shot_type: str, figures: Sequence[Figure], props: Sequence[str], *, aspect: float, ground: float,
          speakers: Sequence[str] = (), directions: Mapping[str, Direction] | None = None,
          blocking: Sequence[Mapping[str, Any]] = (), light: RGB = (1.0, 1.0, 1.0), seat: RGB = (0.5, 0.4, 0.3),
          cover: RGB = (0.5, 0.46, 0.42)) -> Staging:
    """Stage ``figures`` (the shot's characters, in order) for ``shot_type``; ``ground`` is the feet
    row of full figures in wide shots (fraction of the height), ``speakers`` the on-screen speakers
    in the order of their lines, ``blocking`` the shot's explicit entries (they win)."""
    directions = dict(directions or {})
    plan = {str(b["who"]): b for b in blocking}
    for name, b in plan.items():
        if b.get("pose"):
            directions[name] = Direction().with_verb(str(b["pose"]))
        if b.get("look_at"):
            directions[name] = replace(directions.get(name, Direction()), target=str(b["look_at"]))
    names = [f.name for f in figures]
    talkers = [s for s in dict.fromkeys(speakers) if s in names]
    extra: dict[str, Any] = {"light": light, "seat": seat, "cover": cover}
    if shot_type in _SINGLES and figures and (len(talkers) > 1 or shot_type == "over_the_shoulder"):
        order = talkers or [names[1] if shot_type == "over_the_shoulder" and len(names) > 1 else names[0]]
        setups = tuple(_single(shot_type, figures, who, directions, plan) for who in order)
        return Staging(shot_type, "singles", setups, (), aspect, **extra)
    if shot_type in ("close_up", "extreme_close_up"):
        who = talkers[0] if talkers else (names[0] if names else None)
        setups = (_single(shot_type, figures, who, directions, plan),) if who else (Setup((), (0.5, 0.5)),)
        return Staging(shot_type, "singles", setups, (), aspect, **extra)
    if shot_type == "pov":
        seen = list(figures[1:])
        setup = _group("medium", seen, aspect, ground, directions, plan)
        return Staging(shot_type, "two_shot", (setup,), _props(shot_type, props, len(seen), 0.0, ground), aspect,
                       **extra)
    if shot_type == "insert":
        return Staging(shot_type, "two_shot", (Setup((), (0.5, 0.58)),), _props("insert", props, 0, 0.0, ground),
                       aspect, **extra)
    setup = _group(shot_type, figures, aspect, ground, directions, plan)
    scale = setup.actors[0].scale if setup.actors else 0.4
    if shot_type in ("establishing", "wide"):
        setup, extra["ledge"] = _on_a_ledge(setup, plan)
    return Staging(shot_type, "two_shot", (setup,), _props(shot_type, props, len(figures), scale, ground), aspect,
                   **extra)


def _on_a_ledge(setup: Setup, plan: Mapping[str, Mapping[str, Any]]) -> tuple[Setup, tuple[float, float, float] | None]:
    """"Leap off the cliff", "dive into the sea": the leapers stand side by side on a ledge (a rock,
    a step indoors) near its edge and leap off it, so there is something to leap off. The ledge's
    top is ``LEDGE_RISE`` of the frame above the ground line; its edge is just ahead of the first
    leaper, and every leaper's arc clears it (the trailing one starts ``LEDGE_GAP`` behind). Anyone
    else standing still over the rock stands on it."""
    leapers = [a for a in setup.actors if a.move is not None and a.move.kind == "leap" and a.move.g1 > 1.0
               and "at" not in plan.get(a.name, {})]
    if not leapers:
        return setup, None
    heading = 1.0 if leapers[0].move.x1 >= leapers[0].move.x0 else -1.0  # type: ignore[union-attr]
    order = sorted(leapers, key=lambda a: a.x * heading)  # trailing first
    top = min(a.ground for a in leapers) - LEDGE_RISE
    edge = 0.5 + heading * 0.5 * LEDGE_GAP * (len(order) - 1)
    placed: dict[str, Actor] = {}
    for k, a in enumerate(order):
        x0 = edge - heading * (0.04 + LEDGE_GAP * (len(order) - 1 - k))
        m = replace(a.move, x0=x0, x1=x0 + heading * LEDGE_LEAP, g0=top)  # type: ignore[type-var]
        placed[a.name] = replace(a, x=x0, ground=top, move=m)
    x_side = -0.05 if heading > 0 else 1.05
    for a in setup.actors:  # whoever else stands where the rock is stands on it (not pasted on its face)
        if a.name not in placed and a.move is None and (a.x - x_side) * (edge - a.x) > 0:
            placed[a.name] = replace(a, ground=top)
    actors = tuple(placed.get(a.name, a) for a in setup.actors)
    return replace(setup, actors=actors), (x_side, edge, top)


def _group(shot: str, figures: Sequence[Figure], aspect: float, ground: float, directions: Mapping[str, Direction],
           plan: Mapping[str, Mapping[str, Any]]) -> Setup:
    n = len(figures)
    if n == 0:
        return Setup((), (0.5, 0.5))
    if shot == "medium":
        scale = 1.35 * min(1.0, 3.0 / n)
        gap = min(0.36, 0.9 / n)
        xs = [0.5 + (i - (n - 1) / 2) * gap for i in range(n)]
        rows = [0.33 + HEAD * scale] * n
        scales = [scale] * n
    else:
        size = 0.15 if shot == "establishing" else 0.4
        scale = size * min(1.0, 4.0 / n)
        xs = [(i + 1) / (n + 1) for i in range(n)]
        back = n >= 3
        scales = [scale * (0.82 if back and i % 2 else 1.0) for i in range(n)]
        rows = [ground - (0.05 * scale / 0.4 if back and i % 2 else 0.0) for i in range(n)]
    actors = []
    for i, fig in enumerate(figures):
        b = plan.get(fig.name, {})
        x, row, sc = xs[i], rows[i], scales[i]
        if "at" in b:
            x = _place(b["at"])
        if b.get("depth") in _DEPTHS:
            k, shift = _DEPTHS[str(b["depth"])]
            sc, row = sc * k, row + shift * (sc / 0.4 if shot != "medium" else 1.0)
        actors.append(Actor(fig.name, fig, x, row, sc, _facing(xs[i], xs) if n > 1 else 0.0,
                            directions.get(fig.name, Direction()), depth=_depth(sc)))
    actors = [_orient(a, actors, plan.get(a.name, {})) for a in actors]
    if shot in _TRAVEL:
        together = _together(actors, plan)
        actors = [_moving(a, actors, plan.get(a.name, {}), aspect, together.get(a.name)) for a in actors]
    actors.sort(key=lambda a: (-a.depth, a.x))
    focus_y = min(0.85, max(0.15, actors[0].ground - 0.45 * actors[0].unit)) if shot != "medium" else 0.36
    return Setup(tuple(actors), (0.5, focus_y))


def _single(shot: str, figures: Sequence[Figure], who: str, directions: Mapping[str, Direction],
            plan: Mapping[str, Mapping[str, Any]]) -> Setup:
    names = [f.name for f in figures]
    i = names.index(who)
    fig = figures[i]
    lefty = len(figures) > 1 and i < (len(figures) + 1) // 2  # on the left in the two-shot: faces right
    sign = 1.0 if lefty else -1.0
    d = directions.get(who, Direction())
    if shot == "over_the_shoulder":
        other = figures[(i + 1) % len(figures)] if len(figures) > 1 else _stranger()
        sc = 1.3 / fig.height
        front = Actor(who, fig, 0.36 if lefty else 0.64, 0.34 + HEAD * 1.3, sc, 0.7 * sign, d, depth=_depth(sc))
        bsc = 2.3 / other.height
        behind = Actor(other.name, other, 0.8 if lefty else 0.2, 0.6 + HEAD * 2.3, bsc, -sign, Direction(),
                       back=True, soft=0.03, shade=0.6, depth=_depth(bsc))
        front = _orient(front, [front, behind], plan.get(who, {}))
        return Setup((front, behind), (front.x, 0.34), who)
    big = shot == "extreme_close_up"
    sc = (5.2 if big else 3.0) / fig.height
    head = 0.42 if big else 0.44
    x = 0.5 if len(figures) == 1 else (0.44 if lefty else 0.56)
    actor = Actor(who, fig, x, head + HEAD * (5.2 if big else 3.0), sc, 0.5 * sign if len(figures) > 1 else 0.0, d,
                  depth=_depth(sc))
    actor = _orient(actor, [actor], plan.get(who, {}))
    return Setup((actor,), (0.5, head), who)


def _stranger() -> Figure:
    """A neutral person whose back we see in an over-the-shoulder shot of one character."""
    grey = (0.3, 0.3, 0.34)
    return Figure("", "coat", "round", "short", 1.0, 1.0, 1.0, (0.55, 0.5, 0.48), grey, (0.16, 0.14, 0.13),
                  (0.2, 0.2, 0.22), (0.1, 0.1, 0.1), (0.2, 0.2, 0.22))


def _place(value: Any) -> float:
    return PLACES[value] if isinstance(value, str) else min(1.0, max(0.0, float(value)))


def _orient(a: Actor, group: Sequence[Actor], b: Mapping[str, Any]) -> Actor:
    """Face the target, or as the blocking says; aim a pointing arm at the target's head."""
    facing, back = a.facing, a.back
    target = next((o for o in group if o.name == a.direction.target and o is not a), None)
    if target is not None and target.x != a.x:
        facing = 0.8 if target.x > a.x else -0.8
    side = b.get("facing")
    if side in ("left", "right"):
        facing = -0.8 if side == "left" else 0.8
    elif side == "camera":
        facing = 0.0
    elif side == "away":
        back = True
    aim = None
    if target is not None and a.direction.gesture in ("point", "reach") and target.x != a.x:
        shoulder = a.ground - 0.74 * a.unit
        head = target.ground - HEAD * target.unit
        dx = abs(target.x - a.x) * 16.0 / 9.0
        aim = 90.0 - max(-40.0, min(40.0, 60.0 * (head - shoulder) / max(dx, 0.05)))
    return replace(a, facing=facing, back=back, aim=aim)


def _together(actors: Sequence[Actor], plan: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """One heading for characters who make the same move without blocking ("@A and @B run"): the
    first one's (right, unless a side is named)."""
    out: dict[str, float] = {}
    by_verb: dict[str, list[Actor]] = {}
    for a in actors:
        if a.direction.motion in ("walk", "run", "leap", "swim") and a.name not in plan and a.direction.target is None:
            by_verb.setdefault(a.direction.motion, []).append(a)
    for group in by_verb.values():
        if len(group) > 1:
            first = min(group, key=lambda a: a.x)
            side = first.direction.side
            heading = -1.0 if side == "left" else 1.0
            out.update({a.name: heading for a in group})
    return out


def _moving(a: Actor, group: Sequence[Actor], b: Mapping[str, Any], aspect: float,
            together: float | None = None) -> Actor:
    """The actor's move across the frame, from the verbs or the blocking."""
    d = a.direction
    width = a.unit / aspect  # a standing height in frame widths
    heading = 1.0 if (d.side == "right" or (d.side is None and a.facing >= 0)) else -1.0
    if together is not None:
        heading = together
    off = 0.08 + 0.35 * width  # beyond the edge: the whole figure out of frame
    kind = d.motion
    if b.get("enter") or b.get("exit"):
        kind = "enter" if b.get("enter") else "exit"
    move: Move | None = None
    if b.get("enter") and b.get("exit") and b["enter"] != b["exit"]:  # across: in on one side, out on the other
        left, run = b["enter"] == "left", d.motion == "run"
        move = Move("run" if run else "walk", -off if left else 1.0 + off, 1.0 + off if left else -off, a.ground,
                    a.ground, "all", RUN_SPEED if run else WALK_SPEED)
        heading = 1.0 if left else -1.0
    elif kind == "enter" or b.get("enter"):
        side = b.get("enter") or (d.side if d.side and d.from_side else None)
        left = side == "left" if side else a.x <= 0.5
        start = -off if left else 1.0 + off
        end = _place(b["to"]) if "to" in b else a.x
        move = Move("enter", start, end, a.ground, a.ground, "start", WALK_SPEED)
        heading = 1.0 if left else -1.0
    elif kind == "exit" or b.get("exit"):
        side = b.get("exit") or (d.side if d.side and not d.from_side else None)
        right = side == "right" if side else a.x > 0.5
        move = Move("exit", a.x, 1.0 + off if right else -off, a.ground, a.ground, "end", WALK_SPEED)
        heading = 1.0 if right else -1.0
    elif "to" in b:
        end = _place(b["to"])
        kind = "run" if d.motion == "run" else "walk"
        move = Move(kind, a.x, end, a.ground, a.ground, "start", RUN_SPEED if kind == "run" else WALK_SPEED)
        heading = 1.0 if end >= a.x else -1.0
    elif kind in ("walk", "run", "swim"):
        span = {"walk": min(0.6, 2.5 * width), "run": min(0.8, 5.0 * width), "swim": min(0.3, 1.2 * width)}[kind]
        x0 = min(0.92, max(0.08, a.x - heading * span / 2))
        x1 = min(0.92, max(0.08, x0 + heading * span))
        speed = {"walk": WALK_SPEED, "run": RUN_SPEED, "swim": 0.5}[kind]
        move = Move(kind, x0, x1, a.ground, a.ground, "all", speed)
    elif kind == "leap":
        x1 = a.x + heading * min(0.3, 2.2 * width)
        g1 = 1.0 + a.unit * 1.2 if d.down else a.ground
        move = Move("leap", a.x, x1, a.ground, g1, "middle", 0.0, arc=0.55)
    elif kind == "climb":
        move = Move("climb", a.x, a.x, a.ground, a.ground - 0.45 * a.unit, "all", 0.4)
    elif d.gesture in ("hug", "fight") and d.target:
        target = next((o for o in group if o.name == d.target), None)
        if target is not None and target.x != a.x:
            heading = 1.0 if target.x > a.x else -1.0
            gap = (0.3 if d.gesture == "hug" else 0.42) * width
            end = target.x - heading * gap
            if (end - a.x) * heading > 0:
                move = Move("approach", a.x, end, a.ground, a.ground, "start", WALK_SPEED)
    if move is None:
        return a
    facing = (0.8 if heading > 0 else -0.8) if move.kind not in ("climb",) else a.facing
    return replace(a, x=move.x0, move=move, facing=facing)


def _props(shot: str, props: Sequence[str], n: int, scale: float, ground: float) -> tuple[PropPlace, ...]:
    m = len(props)
    if m == 0:
        return ()
    if shot in ("establishing", "wide"):
        return tuple(PropPlace(p, 0.08 + 0.84 * (j + 0.5) / m + 0.5 / (n + 2) * (0.5 if j % 2 else -0.5),
                               ground + 0.02, scale * 0.28) for j, p in enumerate(props))
    if shot == "medium":
        return tuple(PropPlace(p, 0.88 - 0.12 * j, 1.02, 0.22) for j, p in enumerate(props[:2]))
    if shot == "insert":
        rest = tuple(PropPlace(p, 0.12 if j % 2 == 0 else 0.88, 0.9, 0.2) for j, p in enumerate(props[1:3]))
        return (PropPlace(props[0], 0.5, 0.86, 0.55), *rest)
    return tuple(PropPlace(p, (j + 1) / (m + 1), 0.9, 0.22) for j, p in enumerate(props))
