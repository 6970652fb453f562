"""Props as simple shapes, chosen from the words of their description.

``draw_prop`` stands a prop on ``base`` (the row of its bottom), ``size`` pixels tall, with a soft
contact shadow, on an opaque or transparent ``Layer``.
"""

from __future__ import annotations

import re

from . import _draw
from ._draw import Layer
from ._palette import mix, scale, stable_choice
from ._spec import Element

SHAPE_WORDS: dict[str, tuple[str, ...]] = {
    "disc": (
        "ball",
        "orb",
        "apple",
        "moon",
        "coin",
        "sun",
        "pearl",
        "egg",
        "planet",
        "wheel",
        "clock",
        "plate",
        "medal",
        "orange",
        "globe",
        "bubble",
        "balloon",
    ),
    "box": (
        "box",
        "crate",
        "chest",
        "trunk",
        "cube",
        "case",
        "suitcase",
        "package",
        "parcel",
        "gift",
        "present",
        "block",
        "brick",
        "table",
        "desk",
        "radio",
        "bag",
        "basket",
        "cage",
    ),
    "vase": (
        "bottle",
        "vase",
        "jar",
        "lamp",
        "lantern",
        "cup",
        "mug",
        "glass",
        "potion",
        "candle",
        "teapot",
        "kettle",
        "jug",
        "flask",
        "urn",
        "pot",
    ),
    "boat": ("boat", "ship", "canoe", "raft", "yacht", "dinghy", "kayak"),
    "sheet": (
        "book",
        "letter",
        "map",
        "paper",
        "note",
        "card",
        "photo",
        "photograph",
        "scroll",
        "sign",
        "poster",
        "envelope",
        "notebook",
        "diary",
        "ticket",
        "painting",
    ),
    "rod": (
        "sword",
        "stick",
        "key",
        "staff",
        "wand",
        "pole",
        "umbrella",
        "spear",
        "pen",
        "pencil",
        "knife",
        "oar",
        "rod",
        "broom",
        "cane",
        "flute",
        "torch",
    ),
    "plant": ("tree", "plant", "flower", "bush", "cactus", "sapling", "fern", "rose"),
    "stone": ("shell", "stone", "rock", "pebble", "gem", "crystal", "bone", "seed"),
}
_FALLBACK = ("disc", "box", "stone")


def prop_shape(element: Element) -> str:
    text = element.words
    for shape, words in SHAPE_WORDS.items():
        if re.search(r"\b(?:" + "|".join(words) + r")(?:s|es)?\b", text):
            return shape
    return _FALLBACK[stable_choice(len(_FALLBACK), element.name, "prop shape")]


def draw_prop(layer: Layer, element: Element, cx: float, base: float, size: float, *, soft: float = 1.0) -> None:
    colour = element.colors[0]
    second = element.colors[1] if len(element.colors) > 1 else scale(colour, 0.7)
    shape = prop_shape(element)
    width = {"boat": 1.8, "box": 1.2, "sheet": 1.1, "stone": 1.3, "disc": 1.0}.get(shape, 0.7)
    _draw.ellipse(
        layer, cx, base, size * width * 0.6, size * 0.07, (0.0, 0.0, 0.0), soft=max(soft, size * 0.05), opacity=0.3
    )
    s = size
    top = base - s
    if shape == "disc":
        _draw.ellipse(layer, cx, base - s / 2, s / 2, s / 2, colour, soft=soft)
        _draw.ellipse(layer, cx - s * 0.16, base - s * 0.66, s * 0.12, s * 0.09, mix(colour, (1, 1, 1), 0.6), soft=soft)
    elif shape == "box":
        _draw.box(layer, cx - 0.6 * s, top, cx + 0.6 * s, base, colour, radius=s * 0.04, soft=soft)
        _draw.box(layer, cx - 0.62 * s, top, cx + 0.62 * s, top + 0.2 * s, second, radius=s * 0.03, soft=soft)
        _draw.box(layer, cx - 0.06 * s, top + 0.2 * s, cx + 0.06 * s, top + 0.4 * s, scale(second, 0.7), soft=soft)
    elif shape == "vase":
        _draw.box(layer, cx - 0.1 * s, top, cx + 0.1 * s, base - 0.5 * s, second, radius=s * 0.03, soft=soft)
        _draw.ellipse(layer, cx, base - 0.33 * s, 0.32 * s, 0.33 * s, colour, soft=soft)
        _draw.ellipse(layer, cx - 0.12 * s, base - 0.45 * s, 0.06 * s, 0.1 * s, mix(colour, (1, 1, 1), 0.5), soft=soft)
    elif shape == "boat":
        _draw.capsule(layer, cx, base - 0.3 * s, cx, top, s * 0.025, (0.35, 0.25, 0.18), soft=soft)
        _draw.polygon(
            layer,
            [(cx + 0.05 * s, top + 0.05 * s), (cx + 0.05 * s, base - 0.4 * s), (cx + 0.6 * s, base - 0.4 * s)],
            (0.96, 0.95, 0.9),
            soft=soft,
        )
        _draw.polygon(
            layer,
            [
                (cx - 0.9 * s, base - 0.35 * s),
                (cx + 0.9 * s, base - 0.35 * s),
                (cx + 0.6 * s, base),
                (cx - 0.6 * s, base),
            ],
            colour,
            soft=soft,
        )
    elif shape == "sheet":
        _draw.polygon(
            layer,
            [
                (cx - 0.55 * s, base - 0.1 * s),
                (cx + 0.45 * s, base),
                (cx + 0.55 * s, base - 0.7 * s),
                (cx - 0.45 * s, base - 0.8 * s),
            ],
            mix(colour, (1, 1, 1), 0.3),
            soft=soft,
        )
        for k in range(3):
            y = base - (0.25 + 0.15 * k) * s
            _draw.capsule(layer, cx - 0.3 * s, y - 0.02 * s, cx + 0.3 * s, y + 0.05 * s, s * 0.015, second, soft=soft)
    elif shape == "rod":
        _draw.capsule(layer, cx - 0.12 * s, base - 0.03 * s, cx + 0.12 * s, top, s * 0.045, colour, soft=soft)
        _draw.capsule(layer, cx - 0.18 * s, base - 0.3 * s, cx + 0.08 * s, base - 0.27 * s, s * 0.04, second, soft=soft)
    elif shape == "plant":
        _draw.box(layer, cx - 0.2 * s, base - 0.25 * s, cx + 0.2 * s, base, second, radius=s * 0.03, soft=soft)
        _draw.capsule(layer, cx, base - 0.25 * s, cx, top + 0.3 * s, s * 0.03, (0.3, 0.45, 0.2), soft=soft)
        _draw.ellipse(layer, cx, top + 0.3 * s, 0.35 * s, 0.3 * s, colour, soft=soft)
    else:
        _draw.ellipse(layer, cx, base - 0.35 * s, 0.62 * s, 0.36 * s, colour, soft=soft)
        _draw.ellipse(layer, cx - 0.2 * s, base - 0.5 * s, 0.15 * s, 0.08 * s, mix(colour, (1, 1, 1), 0.4), soft=soft)
