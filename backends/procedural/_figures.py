"""Drawing a figure from its skeleton, part by part, with anti-aliased shapes.

A figure is drawn in parts so that motion can move and redraw them separately: ``lower`` (the
seat it sits on, the legs and shoes), ``upper`` (arms, torso, neck, head, hair and face) and
``cover`` (the rock or crate it peeks over or hides behind). ``mouth`` and ``blink`` draw the
talking mouth and the closed eyelids, small pieces laid over the upper part.

Everything is placed through ``staging.skeleton.Body`` (joints in pixels, the torso's and head's
angles), so every pose of the vocabulary draws with the same code. Colours pass through ``paint``
(the scene's light, a shade for the blurred figure in front of an over-the-shoulder shot, the
speaker's highlight).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import _draw
from ._draw import Layer
from ._palette import RGB, mix, scale
from .staging.figure import Figure
from .staging.poses import Pose
from .staging.skeleton import Body

__all__ = ["INK", "Look", "draw_blink", "draw_cover", "draw_lower", "draw_mouth", "draw_upper", "head_radii"]

INK: RGB = (0.08, 0.07, 0.09)
_MOUTH: RGB = (0.32, 0.08, 0.1)
_TEETH: RGB = (0.97, 0.96, 0.93)
_TEAR: RGB = (0.55, 0.8, 0.98)


@dataclass(frozen=True)
class Look:
    """How a figure is lit and blurred in this drawing."""

    light: RGB = (1.0, 1.0, 1.0)
    shade: float = 1.0
    soft: float = 1.0
    """Edge width in pixels."""
    turn: float = 0.0
    """0 faces the camera, 1 profile: moves the eyes and nose toward the facing side."""

    def paint(self, colour: RGB) -> RGB:
        return (min(1.0, colour[0] * self.light[0] * self.shade), min(1.0, colour[1] * self.light[1] * self.shade),
                min(1.0, colour[2] * self.light[2] * self.shade))


def head_radii(fig: Figure, u: float) -> tuple[float, float]:
    w, h = {"round": (1.0, 1.0), "wide": (1.16, 0.94), "tall": (0.88, 1.1), "square": (1.02, 1.0)}[fig.head]
    return 0.1 * u * w, 0.11 * u * h


def draw_lower(layer: Layer, fig: Figure, pose: Pose, b: Body, look: Look, seat: RGB) -> None:
    u, s, c = b.u, look.soft, look.paint
    if pose.seat:
        x, y = b.joints["pelvis"]
        ground = y + (0.345 - pose.drop) * u
        _draw.box(layer, x - 0.16 * u, y + 0.035 * u, x + 0.16 * u, ground, c(seat), radius=0.03 * u, soft=s)
        _draw.box(layer, x - 0.17 * u, y + 0.025 * u, x + 0.17 * u, y + 0.07 * u, c(scale(seat, 1.15)),
                  radius=0.02 * u, soft=s)
    foot_angle = b.facing * pose.tilt
    for side in ("rear", "lead"):
        legs = c(fig.legs if side == "lead" else scale(fig.legs, 0.86))
        j = b.joints
        _draw.capsule(layer, *j[f"{side}_hip"], *j[f"{side}_knee"], 0.047 * u, legs, soft=s)
        _draw.capsule(layer, *j[f"{side}_knee"], *j[f"{side}_ankle"], 0.042 * u, legs, soft=s)
        fx, fy = j[f"{side}_foot"]
        _draw.ellipse(layer, fx, fy, 0.058 * u, 0.025 * u, c(fig.shoes), soft=s, angle=foot_angle)


def _arm(layer: Layer, fig: Figure, b: Body, side: str, look: Look) -> None:
    u, s, c = b.u, look.soft, look.paint
    j = b.joints
    sleeve = c(scale(fig.main, 0.82 if side == "rear" else 0.9))
    _draw.capsule(layer, *j[f"{side}_shoulder"], *j[f"{side}_elbow"], 0.038 * u, sleeve, soft=s)
    _draw.capsule(layer, *j[f"{side}_elbow"], *j[f"{side}_wrist"], 0.034 * u, sleeve, soft=s)
    _draw.ellipse(layer, *j[f"{side}_wrist"], 0.032 * u, 0.032 * u, c(fig.skin), soft=s)


def _torso(layer: Layer, fig: Figure, b: Body, colour: RGB, s: float) -> None:
    sw, hw = 0.13 * fig.girth, 0.11 * fig.girth
    shapes = {
        "coat": [(-sw, -0.01), (sw, -0.01), (hw * 1.1, 0.45), (-hw * 1.1, 0.45)],
        "bell": [(-sw * 0.8, -0.01), (sw * 0.8, -0.01), (sw * 1.55, 0.56), (-sw * 1.55, 0.56)],
        "broad": [(-sw * 1.3, -0.01), (sw * 1.3, -0.01), (hw * 0.85, 0.45), (-hw * 0.85, 0.45)],
        "round": [(-sw * 1.15 + 0.11, 0.1), (sw * 1.15 - 0.11, 0.1), (sw * 1.15 - 0.11, 0.37),
                  (-sw * 1.15 + 0.11, 0.37)],
        "slim": [(-sw * 0.78 + 0.05, 0.04), (sw * 0.78 - 0.05, 0.04), (sw * 0.78 - 0.05, 0.41),
                 (-sw * 0.78 + 0.05, 0.41)],
    }
    radius = {"round": 0.11, "slim": 0.05}.get(fig.body, 0.035)
    points = [b.at("neck", x, y) for x, y in shapes[fig.body]]
    _draw.polygon(layer, points, colour, soft=s, radius=radius * b.u)


def draw_upper(layer: Layer, fig: Figure, pose: Pose, b: Body, look: Look, back: bool) -> None:
    u, s, c = b.u, look.soft, look.paint
    rx, ry = head_radii(fig, u)
    hx, hy = b.joints["head"]
    if back:
        _arm(layer, fig, b, "lead", look)
        _arm(layer, fig, b, "rear", look)
    else:
        _arm(layer, fig, b, "rear", look)
        if fig.hair == "long":  # hangs behind the shoulders
            _draw.ellipse(layer, *b.at("head", 0.0, ry * 0.35 / u, "head"), rx * 1.25, ry * 1.3, c(fig.hair_colour),
                          soft=s, angle=b.head)
    _draw.capsule(layer, *b.joints["neck"], *b.at("head", 0.0, 0.02, "head"), 0.028 * u, c(scale(fig.skin, 0.9)),
                  soft=s)
    _torso(layer, fig, b, c(fig.main), s)
    if back:  # the back of the head: hair, and a cap over it
        _draw.ellipse(layer, hx, hy, rx * 1.04, ry * 1.02, c(fig.hair_colour), soft=s, angle=b.head)
        if fig.hair == "cap":
            _draw.ellipse(layer, *b.at("head", 0.0, -0.4 * ry / u, "head"), rx * 1.1, ry * 0.7, c(fig.hat), soft=s,
                          angle=b.head)
        return
    _head(layer, fig, pose, b, look, rx, ry)
    _arm(layer, fig, b, "lead", look)


def _head(layer: Layer, fig: Figure, pose: Pose, b: Body, look: Look, rx: float, ry: float) -> None:
    s, c, a, t = look.soft, look.paint, b.head, look.turn
    u = b.u

    def at(dx: float, dy: float) -> tuple[float, float]:
        """Head-frame point, (dx, dy) in head radii."""
        return b.at("head", dx * rx / u, dy * ry / u, "head")

    hair = c(fig.hair_colour)
    skin = c(fig.skin)
    if fig.hair == "bun":
        _draw.ellipse(layer, *at(0.0, -1.05), rx * 0.45, rx * 0.45, hair, soft=s)
    if fig.head == "square":
        corners = [at(-1.0 + 0.4, -1.0 + 0.4), at(1.0 - 0.4, -1.0 + 0.4), at(1.0 - 0.4, 1.0 - 0.4),
                   at(-1.0 + 0.4, 1.0 - 0.4)]
        _draw.polygon(layer, corners, skin, soft=s, radius=rx * 0.4)
    else:
        _draw.ellipse(layer, *at(0.0, 0.0), rx, ry, skin, soft=s, angle=a)
    if fig.hair == "cap":
        _draw.ellipse(layer, *at(0.0, -0.45), rx * 1.06, ry * 0.62, c(fig.hat), soft=s, angle=a)
        brim = [at(-1.1 + t * 0.3, -0.5), at(1.1 + t * 0.6, -0.5), at(1.1 + t * 0.6, -0.32), at(-1.1 + t * 0.3, -0.32)]
        _draw.polygon(layer, brim, c(scale(fig.hat, 0.8)), soft=s, radius=ry * 0.08)
    elif fig.head == "square":
        top = [at(-0.62, -0.62), at(0.62, -0.62), at(0.62, -0.5), at(-0.62, -0.5)]
        _draw.polygon(layer, top, hair, soft=s, radius=rx * 0.46)
        _draw.ellipse(layer, *at(t * 0.08, 0.2), rx * 0.9, ry * 0.8, skin, soft=s, angle=a)
    else:
        _draw.ellipse(layer, *at(0.0, -0.42), rx * 1.05, ry * 0.66, hair, soft=s, angle=a)
        _draw.ellipse(layer, *at(t * 0.08, 0.2), rx * 0.9, ry * 0.8, skin, soft=s, angle=a)
    if fig.hair == "tuft":
        for k in (-1.0, 0.0, 1.0):
            _draw.polygon(layer, [at((k - 0.35) * 0.5, -0.8), at(k * 0.45, -1.45), at((k + 0.35) * 0.5, -0.8)],
                          hair, soft=s)
    fx = t * 0.14
    for side in (-1.0, 1.0):
        ex, ey = fx + side * 0.38 * fig.eyes, 0.08
        if pose.eyes == "closed":
            _draw.capsule(layer, *at(ex - 0.14, ey + 0.04), *at(ex + 0.14, ey + 0.04), ry * 0.035, c(INK), soft=s)
        else:
            tall = {"wide": 1.25, "squint": 0.5}.get(pose.eyes, 1.0)
            _draw.ellipse(layer, *at(ex, ey), rx * 0.17 * min(tall, 1.1), ry * 0.2 * tall, c((0.98, 0.98, 0.97)),
                          soft=s, angle=a)
            _draw.ellipse(layer, *at(ex + t * 0.06, ey + 0.03), rx * 0.09, ry * 0.11 * min(tall, 1.0), c(INK),
                          soft=s, angle=a)
        _brow(layer, pose.brows, at, side, ex, ry, c(scale(fig.hair_colour, 0.8)), s)
        if pose.tears:
            _draw.ellipse(layer, *at(ex + side * 0.05, ey + 0.42), rx * 0.06, ry * 0.12, c(_TEAR), soft=s, angle=a)
    if fig.beard:
        _draw.ellipse(layer, *at(fx, 0.62), rx * 0.8, ry * 0.5, hair, soft=s, angle=a)
    _expression(layer, pose.mouth, at, fx, rx, ry, c(scale(fig.skin, 0.55)), c(_MOUTH), c(_TEETH), s, a)


def _brow(layer: Layer, brows: str, at: Callable[[float, float], tuple[float, float]], side: float, ex: float,
          ry: float, colour: RGB, s: float) -> None:
    if brows == "rest":
        return
    inner, outer = {"up": (-0.42, -0.42), "down": (-0.18, -0.34), "worried": (-0.44, -0.24)}[brows]
    _draw.capsule(layer, *at(ex - side * 0.14, inner), *at(ex + side * 0.16, outer), ry * 0.045, colour, soft=s)


def _expression(layer: Layer, mouth: str, at: Callable[[float, float], tuple[float, float]], fx: float, rx: float,
                ry: float, line: RGB, dark: RGB, teeth: RGB, s: float, a: float) -> None:
    y = 0.55
    if mouth in ("smile", "frown"):
        bend = -0.12 if mouth == "smile" else 0.1
        pts = [at(fx + k * 0.05, y - bend * 0.45 + bend * (k * k) / 16.0) for k in range(-4, 5)]
        for p, q in zip(pts, pts[1:]):
            _draw.capsule(layer, *p, *q, ry * 0.045, line, soft=s)
    elif mouth == "grin":
        _draw.ellipse(layer, *at(fx, y + 0.02), rx * 0.24, ry * 0.15, dark, soft=s, angle=a)
        _draw.ellipse(layer, *at(fx, y - 0.05), rx * 0.2, ry * 0.06, teeth, soft=s, angle=a)
    elif mouth in ("o", "open", "shout"):
        w, h = {"o": (0.11, 0.14), "open": (0.2, 0.18), "shout": (0.27, 0.27)}[mouth]
        _draw.ellipse(layer, *at(fx, y + h * 0.4), rx * w, ry * h, dark, soft=s, angle=a)
    else:
        _draw.capsule(layer, *at(fx - 0.16, y), *at(fx + 0.16, y), ry * 0.045, line, soft=s)


def draw_mouth(layer: Layer, fig: Figure, b: Body, look: Look, level: int) -> None:
    """A talking mouth, 1 (barely open) to 3 (wide), over the resting one."""
    rx, ry = head_radii(fig, b.u)
    w, h = ((0.2, 0.07), (0.23, 0.13), (0.25, 0.2))[min(max(level, 1), 3) - 1]
    fx = look.turn * 0.14
    x, y = b.at("head", fx * rx / b.u, (0.55 + h * 0.35) * ry / b.u, "head")
    _draw.ellipse(layer, x, y, rx * w, ry * h, look.paint(_MOUTH), soft=look.soft, angle=b.head)
    if level >= 2:
        tx, ty = b.at("head", fx * rx / b.u, (0.55 - h * 0.25) * ry / b.u, "head")
        _draw.ellipse(layer, tx, ty, rx * w * 0.75, ry * h * 0.28, look.paint(_TEETH), soft=look.soft, angle=b.head)


def draw_blink(layer: Layer, fig: Figure, b: Body, look: Look, closed: bool, lid: RGB) -> None:
    """Eyelids over open eyes: half shut, or shut with a lash line."""
    rx, ry = head_radii(fig, b.u)
    fx = look.turn * 0.14
    for side in (-1.0, 1.0):
        ex = fx + side * 0.38 * fig.eyes
        cx, cy = b.at("head", ex * rx / b.u, (0.08 - (0.0 if closed else 0.1)) * ry / b.u, "head")
        _draw.ellipse(layer, cx, cy, rx * 0.21, ry * (0.26 if closed else 0.16), lid, soft=look.soft, angle=b.head)
        if closed:
            p = b.at("head", (ex - 0.15) * rx / b.u, 0.12 * ry / b.u, "head")
            q = b.at("head", (ex + 0.15) * rx / b.u, 0.12 * ry / b.u, "head")
            _draw.capsule(layer, *p, *q, ry * 0.035, look.paint(INK), soft=look.soft)


def draw_cover(layer: Layer, pose: Pose, b: Body, look: Look, colour: RGB, interior: bool) -> None:
    """What a peeking or hiding figure crouches behind: a rock outside, a crate inside."""
    u, s = b.u, look.soft
    x = (b.joints["lead_ankle"][0] + b.joints["rear_ankle"][0]) / 2 + b.facing * 0.12 * u
    ground = max(b.joints["lead_foot"][1], b.joints["rear_foot"][1]) + 0.02 * u
    shoulders = min(b.joints["lead_shoulder"][1], b.joints["rear_shoulder"][1])
    top = b.joints["head"][1] + 0.02 * u if pose.la1 > 120 else shoulders + 0.09 * u  # hiding: up to the head
    c = look.paint(colour)
    if interior:
        _draw.box(layer, x - 0.36 * u, top, x + 0.36 * u, ground, c, radius=0.02 * u, soft=s)
        _draw.box(layer, x - 0.36 * u, top, x + 0.36 * u, top + 0.05 * u, look.paint(scale(colour, 1.2)), soft=s)
        _draw.capsule(layer, x - 0.3 * u, top + 0.2 * u, x + 0.3 * u, top + 0.2 * u, 0.012 * u,
                      look.paint(scale(colour, 0.7)), soft=s)
        return
    pts = [(x - 0.42 * u, ground), (x - 0.36 * u, top + 0.16 * u), (x - 0.12 * u, top), (x + 0.22 * u, top + 0.05 * u),
           (x + 0.4 * u, top + 0.22 * u), (x + 0.44 * u, ground)]
    _draw.polygon(layer, pts, c, soft=s, radius=0.03 * u)
    _draw.ellipse(layer, x - 0.08 * u, top + 0.1 * u, 0.16 * u, 0.05 * u, look.paint(mix(colour, (1, 1, 1), 0.25)),
                  soft=s)
