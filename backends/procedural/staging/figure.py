"""A character's look as data: silhouette, proportions and the colour of each part.

A ``Figure`` depends on its element alone, so a character looks the same in every shot. A stable
hash of the name picks the body, head and hair shapes, the proportions and the skin; colours come,
per part, from the element's ``color`` (the costume), else colour words of its description ("a blue
raincoat", "red hair", ``colours``), else its reference images (the costume), else a hash of the
description. Words also set the hair style ("curly", "a knitted cap", "long", "bald") and a beard.
The legs, shoes and hat have colours of their own, never derived from the costume, so a costume's
colour changes only the costume's pixels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from .._palette import RGB, mix, scale, stable_choice, stable_unit
from .._spec import Element
from .colours import part_colours

__all__ = ["BODIES", "HAIRS", "HEADS", "Figure", "figure_for"]

BODIES = ("coat", "bell", "round", "slim", "broad")
HEADS = ("round", "wide", "tall", "square")
HAIRS = ("short", "cap", "tuft", "bun", "long")
_SKINS: tuple[RGB, ...] = (
    (0.96, 0.80, 0.69), (0.92, 0.74, 0.60), (0.80, 0.60, 0.45),
    (0.66, 0.47, 0.34), (0.48, 0.33, 0.23), (0.98, 0.87, 0.77),
)  # fmt: skip
_HAIR: tuple[RGB, ...] = (
    (0.10, 0.08, 0.07), (0.28, 0.18, 0.11), (0.50, 0.32, 0.18),
    (0.62, 0.26, 0.12), (0.86, 0.72, 0.42), (0.80, 0.52, 0.32),
)  # fmt: skip
_LEGS: tuple[RGB, ...] = ((0.20, 0.22, 0.30), (0.28, 0.25, 0.22), (0.16, 0.17, 0.20), (0.34, 0.32, 0.36))
_HAIR_STYLES: dict[str, str] = {
    "cap": "cap", "hat": "cap", "beanie": "cap", "bonnet": "cap", "helmet": "cap", "hood": "cap",
    "hooded": "cap", "beret": "cap", "long": "long", "ponytail": "long", "braid": "long", "braids": "long",
    "plait": "long", "plaits": "long", "bun": "bun", "topknot": "bun", "curly": "tuft",
    "spiky": "tuft", "messy": "tuft", "mohawk": "tuft", "tousled": "tuft", "short": "short",
    "bald": "short",
}  # fmt: skip
_HAIR_NOUNS = ("hair", "haired", "beard", "bearded", "moustache", "mustache", "curls", "locks")
_HEADWEAR = ("cap", "hat", "beanie", "bonnet", "helmet", "hood", "hooded", "bald", "ponytail", "bun", "beret")
_GREY: RGB = (0.62, 0.62, 0.64)


@dataclass(frozen=True)
class Figure:
    name: str
    body: str
    head: str
    hair: str
    height: float
    """Standing height relative to an average figure."""
    girth: float
    eyes: float
    skin: RGB
    main: RGB
    """The costume: torso and sleeves."""
    hair_colour: RGB
    legs: RGB
    shoes: RGB
    hat: RGB
    beard: bool = False
    source: str = "hash"
    """Where the costume's colour came from: color, words, references or hash."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Figure:
        return Figure(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()})  # type: ignore[arg-type]


def _hair_style(description: str) -> tuple[str | None, bool, bool]:
    """(hair style, beard, aged) from words: 'curly brown hair', 'a knitted cap', 'an old man'."""
    words = re.findall(r"[a-z]+", description.lower())
    style: str | None = None
    for i, word in enumerate(words):
        if word in _HAIR_NOUNS:
            style = style or next((_HAIR_STYLES[w] for w in words[max(0, i - 3) : i] if w in _HAIR_STYLES), None)
        elif word in _HEADWEAR:
            style = style or _HAIR_STYLES[word]
    aged = any(
        w in ("old", "elderly", "grandfather", "grandmother") and words[i - 1 : i] not in (["year"], ["years"])
        for i, w in enumerate(words)
    )
    return style, any(w in ("beard", "bearded") for w in words), aged


def figure_for(element: Element) -> Figure:
    n = element.name
    words = part_colours(element.description)
    if element.color_source == "color":
        main, source = element.colors[0], "color"
    elif "main" in words:
        main, source = words["main"], "words"
    else:
        main, source = element.colors[0], element.color_source
    style, beard, aged = _hair_style(element.description)
    skin = _SKINS[stable_choice(len(_SKINS), n, "skin")]
    hair = words.get("hair") or (_GREY if aged else _HAIR[stable_choice(len(_HAIR), n, "hair colour")])
    if style == "short" and "bald" in element.description.lower():
        hair = scale(skin, 0.92)
    legs = words.get("legs") or _LEGS[stable_choice(len(_LEGS), n, "legs")]
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
        hair_colour=hair,
        legs=legs,
        shoes=words.get("shoes") or (0.08, 0.07, 0.09),
        hat=words.get("hat") or mix(legs, (0.5, 0.5, 0.5), 0.2),
        beard=beard,
        source=source,
    )
