"""Colours from words: "a blue raincoat", "red hair", "dark green trousers", "turquoise water".

``COLOURS`` names colours; ``dark``/``deep`` darken one, ``light``/``pale``/``pastel`` lighten it,
``bright``/``vivid`` saturate it. A colour word colours the part named by the nearest noun after it
(within three words), or, for figures, the costume when it follows "in" ("a girl in red"):

| part | nouns |
|---|---|
| costume (torso and sleeves) | shirt, top, blouse, sweater, jumper, hoodie, jacket, coat, raincoat, cloak, dress, ... |
| legs | trousers, pants, jeans, shorts, skirt, leggings, kilt, ... |
| shoes | shoes, boots, sneakers, trainers, sandals, slippers, wellies, ... |
| hat | hat, cap, beanie, bonnet, helmet, hood, beret |
| hair | hair, beard, moustache, curls, locks, ponytail, braids (natural hair colours: "red hair" is auburn) |

Locations colour their surfaces the same way (``SURFACES``: water, sky, grass, sand, walls, floor,
rocks, trees, buildings, furniture); a prop takes the first colour word of its description.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .._palette import RGB, mix, scale

__all__ = ["COLOURS", "FIGURE_PARTS", "SURFACES", "first_colour", "part_colours"]

COLOURS: dict[str, RGB] = {
    "red": (0.80, 0.14, 0.13), "crimson": (0.70, 0.08, 0.18), "scarlet": (0.88, 0.16, 0.10),
    "maroon": (0.45, 0.08, 0.12), "burgundy": (0.47, 0.09, 0.17), "pink": (0.94, 0.55, 0.68),
    "rose": (0.90, 0.42, 0.52), "orange": (0.95, 0.50, 0.10), "amber": (0.95, 0.66, 0.12),
    "yellow": (0.96, 0.82, 0.20), "gold": (0.85, 0.66, 0.20), "golden": (0.85, 0.66, 0.20),
    "mustard": (0.80, 0.64, 0.16), "green": (0.20, 0.56, 0.28), "olive": (0.45, 0.48, 0.20),
    "lime": (0.58, 0.80, 0.22), "emerald": (0.10, 0.56, 0.38), "mint": (0.60, 0.86, 0.70),
    "teal": (0.10, 0.50, 0.52), "turquoise": (0.20, 0.74, 0.74), "aqua": (0.30, 0.80, 0.84),
    "cyan": (0.20, 0.72, 0.86), "blue": (0.16, 0.34, 0.78), "navy": (0.10, 0.14, 0.36),
    "azure": (0.24, 0.56, 0.90), "cobalt": (0.10, 0.28, 0.70), "indigo": (0.26, 0.18, 0.56),
    "purple": (0.48, 0.22, 0.62), "violet": (0.56, 0.34, 0.78), "lilac": (0.76, 0.62, 0.86),
    "lavender": (0.72, 0.66, 0.88), "magenta": (0.80, 0.18, 0.62), "brown": (0.45, 0.29, 0.16),
    "tan": (0.76, 0.60, 0.42), "beige": (0.86, 0.78, 0.62), "cream": (0.94, 0.90, 0.76),
    "khaki": (0.70, 0.65, 0.45), "white": (0.95, 0.95, 0.94), "ivory": (0.95, 0.93, 0.84),
    "grey": (0.55, 0.56, 0.58), "gray": (0.55, 0.56, 0.58), "silver": (0.76, 0.77, 0.80),
    "black": (0.10, 0.10, 0.12), "charcoal": (0.22, 0.23, 0.25),
}  # fmt: skip
_HAIR: dict[str, RGB] = {
    "white": (0.93, 0.92, 0.90), "silver": (0.80, 0.80, 0.82), "grey": (0.62, 0.62, 0.64),
    "gray": (0.62, 0.62, 0.64), "blond": (0.88, 0.74, 0.42), "blonde": (0.88, 0.74, 0.42),
    "golden": (0.88, 0.70, 0.30), "fair": (0.90, 0.78, 0.52), "red": (0.70, 0.26, 0.12),
    "ginger": (0.78, 0.38, 0.14), "auburn": (0.55, 0.22, 0.12), "copper": (0.72, 0.40, 0.18),
    "brown": (0.40, 0.25, 0.13), "chestnut": (0.45, 0.24, 0.12), "brunette": (0.35, 0.21, 0.12),
    "black": (0.10, 0.08, 0.07), "dark": (0.16, 0.12, 0.10), "raven": (0.08, 0.07, 0.09),
}  # fmt: skip
"""Natural hair colours (any other colour word still colours hair: "blue hair")."""

FIGURE_PARTS: dict[str, tuple[str, ...]] = {
    "main": ("shirt", "tshirt", "top", "blouse", "sweater", "jumper", "hoodie", "cardigan", "jacket", "coat",
             "raincoat", "overcoat", "parka", "anorak", "cloak", "cape", "robe", "gown", "dress", "tunic", "uniform",
             "vest", "waistcoat", "poncho", "apron", "suit", "overalls", "dungarees", "kimono", "smock", "pullover",
             "fleece", "windbreaker", "blazer", "jersey", "costume", "outfit", "scarf"),
    "legs": ("trousers", "pants", "jeans", "shorts", "skirt", "leggings", "kilt", "slacks", "breeches", "tights"),
    "shoes": ("shoes", "boots", "sneakers", "trainers", "sandals", "slippers", "wellies", "wellingtons", "clogs"),
    "hat": ("hat", "cap", "beanie", "bonnet", "helmet", "hood", "beret"),
    "hair": ("hair", "haired", "beard", "bearded", "moustache", "mustache", "curls", "locks", "ponytail", "braid",
             "braids", "plaits", "bun"),
}  # fmt: skip
SURFACES: dict[str, tuple[str, ...]] = {
    "sea": ("water", "sea", "ocean", "lake", "waves", "bay", "lagoon", "river"),
    "sky": ("sky", "skies"),
    "grass": ("grass", "meadow", "meadows", "field", "fields", "lawn", "hills"),
    "sand": ("sand", "sands", "beach"),
    "wall": ("wall", "walls", "wallpaper"),
    "floor": ("floor", "floors", "floorboards", "carpet", "rug", "tiles"),
    "rock": ("rock", "rocks", "cliff", "cliffs", "stone", "stones"),
    "foliage": ("trees", "leaves", "forest", "woods", "foliage"),
    "building": ("buildings", "houses", "walls", "towers"),
    "furniture": ("furniture", "table", "cupboards", "counter", "counters", "shelves", "cabinets"),
}  # fmt: skip
_WORD = re.compile(r"[a-z]+")


def _shade(colour: RGB, modifier: str | None) -> RGB:
    if modifier in ("dark", "deep"):
        return scale(colour, 0.58)
    if modifier in ("light", "pale", "pastel", "soft"):
        return mix(colour, (1.0, 1.0, 1.0), 0.45)
    if modifier in ("bright", "vivid"):
        grey = (colour[0] + colour[1] + colour[2]) / 3.0
        return tuple(min(1.0, max(0.0, c + (c - grey) * 0.35)) for c in colour)  # type: ignore[return-value]
    return colour


def _colour_at(words: list[str], i: int, hair: bool) -> RGB | None:
    word = words[i]
    if hair and word in _HAIR:
        colour = _HAIR[word]
    elif word in COLOURS:
        colour = COLOURS[word]
    else:
        return None
    return _shade(colour, words[i - 1] if i else None)


def part_colours(text: str, parts: Mapping[str, tuple[str, ...]] = FIGURE_PARTS) -> dict[str, RGB]:
    """Part -> colour for every part noun with a colour word shortly before it (first one wins)."""
    words = [w.replace("-", "") for w in _WORD.findall(text.lower().replace("t-shirt", "tshirt"))]
    noun_part = {noun: part for part, nouns in parts.items() for noun in nouns}
    out: dict[str, RGB] = {}
    for i, word in enumerate(words):
        part = noun_part.get(word)
        if part is None or part in out:
            continue
        for j in range(i - 1, max(-1, i - 4), -1):
            if words[j] in ("and", "with", "of") or words[j] in noun_part:
                break
            colour = _colour_at(words, j, part == "hair")
            if colour is not None:
                out[part] = colour
                break
    if "main" in parts and "main" not in out:  # "a girl in red"
        for i, word in enumerate(words[:-1]):
            if word in ("in", "wearing", "dressed") and (colour := _colour_at(words, i + 1, False)) is not None:
                out["main"] = colour
                break
    return out


def first_colour(text: str) -> RGB | None:
    """The first colour word of ``text`` (with its modifier), for props."""
    words = _WORD.findall(text.lower())
    for i in range(len(words)):
        colour = _colour_at(words, i, False)
        if colour is not None:
            return colour
    return None
