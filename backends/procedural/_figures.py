"""Stylised characters: head, body, limbs and eyes, a different silhouette per name.

A ``Figure`` is derived from the element alone, so a character looks the same in every shot:
a stable hash of its name picks the body, head and hair shapes and the proportions; its
colours come from the element; words of its description override the hair ("curly brown
hair", "a knitted cap", "long hair", "bald") and add a beard. ``draw`` places it by its head
centre and a size ``unit`` (the standing height of an average figure, in pixels).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from . import _draw
from ._draw import Layer
from ._palette import RGB, mix, scale, stable_choice, stable_unit
from ._spec import Element

BODIES = ("coat", "bell", "round", "slim", "broad")
HEADS = ("round", "wide", "tall", "square")
HAIRS = ("short", "cap", "tuft", "bun", "long")
_SKINS: tuple[RGB, ...] = (
    (0.96, 0.80, 0.69),
    (0.92, 0.74, 0.60),
    (0.80, 0.60, 0.45),
    (0.66, 0.47, 0.34),
    (0.48, 0.33, 0.23),
    (0.98, 0.87, 0.77),
)
_HAIR: tuple[RGB, ...] = (
    (0.10, 0.08, 0.07),
    (0.28, 0.18, 0.11),
    (0.50, 0.32, 0.18),
    (0.62, 0.26, 0.12),
    (0.86, 0.72, 0.42),
    (0.70, 0.70, 0.72),
)
_INK: RGB = (0.08, 0.07, 0.09)
At = Callable[[float, float], tuple[float, float]]
"""Figure units (relative to the head centre) -> pixels."""
Shade = Callable[[RGB], RGB]
HEAD_TO_GROUND = 0.89
"""Distance from the head centre to the soles, in units of the figure's height."""


@dataclass(frozen=True)
class Figure:
    name: str
    body: str
    head: str
    hair: str
    height: float
    girth: float
    eyes: float
    skin: RGB
    main: RGB
    hair_colour: RGB
    legs: RGB
    beard: bool = False


_HAIR_COLOURS: dict[str, RGB] = {
    "white": (0.93, 0.92, 0.90), "silver": (0.80, 0.80, 0.82), "grey": (0.62, 0.62, 0.64),
    "gray": (0.62, 0.62, 0.64), "blond": (0.88, 0.74, 0.42), "blonde": (0.88, 0.74, 0.42),
    "golden": (0.88, 0.70, 0.30), "fair": (0.90, 0.78, 0.52), "red": (0.70, 0.26, 0.12),
    "ginger": (0.78, 0.38, 0.14), "auburn": (0.55, 0.22, 0.12), "copper": (0.72, 0.40, 0.18),
    "brown": (0.40, 0.25, 0.13), "chestnut": (0.45, 0.24, 0.12), "brunette": (0.35, 0.21, 0.12),
    "black": (0.10, 0.08, 0.07), "dark": (0.16, 0.12, 0.10), "raven": (0.08, 0.07, 0.09),
}  # fmt: skip
_HAIR_STYLES: dict[str, str] = {
    "cap": "cap", "hat": "cap", "beanie": "cap", "bonnet": "cap", "helmet": "cap", "hood": "cap",
    "hooded": "cap", "long": "long", "ponytail": "long", "braid": "long", "braids": "long",
    "plait": "long", "plaits": "long", "bun": "bun", "topknot": "bun", "curly": "tuft",
    "spiky": "tuft", "messy": "tuft", "mohawk": "tuft", "tousled": "tuft", "short": "short",
    "bald": "short",
}  # fmt: skip
_HAIR_NOUNS = ("hair", "haired", "beard", "bearded", "moustache", "mustache", "curls", "locks")


def described_hair(description: str) -> tuple[RGB | None, str | None, bool]:
    """(hair colour, hair style, beard) from words such as 'curly brown hair', 'a knitted cap',
    'a white beard', 'an old man' (grey unless a colour is named)."""
    words = re.findall(r"[a-z]+", description.lower())
    colour: RGB | None = None
    style: str | None = None
    for i, word in enumerate(words):
        if word in _HAIR_NOUNS:
            colour = colour or next((_HAIR_COLOURS[w] for w in words[max(0, i - 3) : i] if w in _HAIR_COLOURS), None)
            style = style or next((_HAIR_STYLES[w] for w in words[max(0, i - 3) : i] if w in _HAIR_STYLES), None)
        elif word in ("cap", "hat", "beanie", "bonnet", "helmet", "hood", "hooded", "bald", "ponytail", "bun"):
            style = style or _HAIR_STYLES[word]
    aged = any(
        w in ("old", "elderly", "grandfather", "grandmother") and words[i - 1 : i] not in (["year"], ["years"])
        for i, w in enumerate(words)
    )
    if colour is None and aged:
        colour = _HAIR_COLOURS["grey"]
    return colour, style, any(w in ("beard", "bearded") for w in words)


def figure_for(element: Element) -> Figure:
    n = element.name
    main = element.colors[0]
    legs = mix(scale(main, 0.5), (0.18, 0.18, 0.22), 0.5)
    hair, style, beard = described_hair(element.description)
    skin = _SKINS[stable_choice(len(_SKINS), n, "skin")]
    if style == "short" and "bald" in element.description.lower():
        hair = scale(skin, 0.92)
    return Figure(
        name=n,
        body=BODIES[stable_choice(len(BODIES), n, "body")],
        head=HEADS[stable_choice(len(HEADS), n, "head")],
        hair=style or HAIRS[stable_choice(len(HAIRS), n, "hair")],
        height=0.88 + 0.2 * stable_unit(n, "height"),
        girth=0.85 + 0.35 * stable_unit(n, "girth"),
        eyes=0.85 + 0.3 * stable_unit(n, "eyes"),
        skin=skin,
        main=main,
        hair_colour=hair or _HAIR[stable_choice(len(_HAIR), n, "hair colour")],
        legs=legs,
        beard=beard,
    )


def head_to_ground(fig: Figure, unit: float) -> float:
    return HEAD_TO_GROUND * unit * fig.height


def head_radii(fig: Figure, unit: float) -> tuple[float, float]:
    u = unit * fig.height
    w, h = {"round": (1.0, 1.0), "wide": (1.16, 0.94), "tall": (0.88, 1.1), "square": (1.02, 1.0)}[fig.head]
    return 0.1 * u * w, 0.11 * u * h


def draw(
    layer: Layer,
    fig: Figure,
    hx: float,
    hy: float,
    unit: float,
    *,
    facing: float = 0.0,
    back: bool = False,
    soft: float = 1.0,
    shade: float = 1.0,
) -> None:
    """Draw ``fig`` with its head centre at (hx, hy); ``back`` shows the back of the head."""
    u = unit * fig.height
    s = soft

    def c(colour: RGB) -> RGB:
        return scale(colour, shade)

    def at(dx: float, dy: float) -> tuple[float, float]:
        return hx + dx * u, hy + dy * u

    sw, hw = 0.13 * fig.girth, 0.11 * fig.girth
    for side in (-1.0, 1.0):  # legs and feet
        _draw.capsule(
            layer, *at(side * 0.055 * fig.girth, 0.53), *at(side * 0.065, 0.84), 0.045 * u, c(fig.legs), soft=s
        )
        _draw.ellipse(layer, *at(side * 0.08, 0.872), 0.055 * u, 0.024 * u, c(_INK), soft=s)
    for side in (-1.0, 1.0):  # arms and hands
        _draw.capsule(
            layer,
            *at(side * (sw - 0.02), 0.14),
            *at(side * (sw + 0.045), 0.46),
            0.036 * u,
            c(scale(fig.main, 0.82)),
            soft=s,
        )
        _draw.ellipse(layer, *at(side * (sw + 0.047), 0.475), 0.03 * u, 0.03 * u, c(fig.skin), soft=s)
    rx, ry = head_radii(fig, unit)
    if fig.hair == "long" and not back:  # hangs behind the shoulders
        _draw.ellipse(layer, hx, hy + ry * 0.35, rx * 1.25, ry * 1.3, c(fig.hair_colour), soft=s)
    _draw.box(layer, *at(-0.025, 0.0), *at(0.025, 0.12), c(scale(fig.skin, 0.9)), soft=s)
    _torso(layer, fig, at, u, sw, hw, c(fig.main), s)
    if back:
        _draw.ellipse(layer, hx, hy, rx * 1.04, ry * 1.02, c(fig.hair_colour), soft=s)
        return
    _head(layer, fig, hx, hy, rx, ry, c, s, facing)


def _torso(layer: Layer, fig: Figure, at: At, u: float, sw: float, hw: float, colour: RGB, s: float) -> None:
    ys, yh = 0.1, 0.55
    if fig.body in ("round", "slim"):
        half, bottom, radius = (sw * 1.15, yh + 0.03, 0.11) if fig.body == "round" else (sw * 0.78, yh, 0.05)
        (x0, y0), (x1, y1) = at(-half, ys), at(half, bottom)
        _draw.box(layer, x0, y0, x1, y1, colour, radius=radius * u, soft=s)
        return
    shapes = {
        "coat": [(-sw, ys), (sw, ys), (hw * 1.1, yh), (-hw * 1.1, yh)],
        "bell": [(-sw * 0.8, ys), (sw * 0.8, ys), (sw * 1.55, 0.66), (-sw * 1.55, 0.66)],
        "broad": [(-sw * 1.3, ys), (sw * 1.3, ys), (hw * 0.85, yh), (-hw * 0.85, yh)],
    }
    _draw.polygon(layer, [at(x, y) for x, y in shapes[fig.body]], colour, soft=s, radius=0.035 * u)


def _head(
    layer: Layer, fig: Figure, hx: float, hy: float, rx: float, ry: float, c: Shade, s: float, facing: float
) -> None:
    hair = c(fig.hair_colour)
    if fig.hair == "bun":
        _draw.ellipse(layer, hx, hy - ry * 1.05, rx * 0.45, rx * 0.45, hair, soft=s)
    if fig.head == "square":
        _draw.box(layer, hx - rx, hy - ry, hx + rx, hy + ry, c(fig.skin), radius=rx * 0.4, soft=s)
    else:
        _draw.ellipse(layer, hx, hy, rx, ry, c(fig.skin), soft=s)
    if fig.hair == "cap":
        _draw.ellipse(layer, hx, hy - ry * 0.45, rx * 1.06, ry * 0.62, c(fig.legs), soft=s)
        _draw.box(
            layer,
            hx - rx * 1.1 + facing * rx * 0.3,
            hy - ry * 0.5,
            hx + rx * 1.1 + facing * rx * 0.6,
            hy - ry * 0.32,
            c(scale(fig.legs, 0.8)),
            radius=ry * 0.08,
            soft=s,
        )
    else:
        _draw.ellipse(layer, hx, hy - ry * 0.42, rx * 1.05, ry * 0.66, hair, soft=s)
        _draw.ellipse(layer, hx + facing * rx * 0.08, hy + ry * 0.2, rx * 0.9, ry * 0.8, c(fig.skin), soft=s)
    if fig.hair == "tuft":
        for k in (-1.0, 0.0, 1.0):
            tip = (hx + k * rx * 0.45, hy - ry * 1.45)
            _draw.polygon(
                layer,
                [(hx + (k - 0.35) * rx * 0.5, hy - ry * 0.8), tip, (hx + (k + 0.35) * rx * 0.5, hy - ry * 0.8)],
                hair,
                soft=s,
            )
    fx = hx + facing * rx * 0.14
    for side in (-1.0, 1.0):
        ex, ey = fx + side * rx * 0.38 * fig.eyes, hy + ry * 0.08
        _draw.ellipse(layer, ex, ey, rx * 0.17, ry * 0.2, c((0.98, 0.98, 0.97)), soft=s)
        _draw.ellipse(layer, ex + facing * rx * 0.06, ey + ry * 0.03, rx * 0.09, ry * 0.11, c(_INK), soft=s)
    if fig.beard:
        _draw.ellipse(layer, fx, hy + ry * 0.62, rx * 0.8, ry * 0.5, hair, soft=s)
    _draw.capsule(
        layer,
        fx - rx * 0.16,
        hy + ry * 0.55,
        fx + rx * 0.16,
        hy + ry * 0.55,
        ry * 0.045,
        c(scale(fig.skin, 0.55)),
        soft=s,
    )
