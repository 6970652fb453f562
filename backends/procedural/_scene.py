"""What a location looks like: features read from its words, framing per shot type, colours.

The scene's layout is keyed on the location's name (not the shot's seed), so every shot of one
location shows the same place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ._palette import RGB, mix, scale, toward_palette
from ._spec import Element

FEATURE_WORDS: dict[str, tuple[str, ...]] = {
    "sea": (
        "sea",
        "ocean",
        "cove",
        "beach",
        "shore",
        "coast",
        "bay",
        "harbour",
        "harbor",
        "lagoon",
        "lake",
        "wave",
        "pier",
        "dock",
        "island",
        "seaside",
        "port",
        "surf",
        "tide",
    ),
    "cliff": ("cliff", "cove", "canyon", "rock", "rocky", "crag", "gorge", "headland", "bluff"),
    "mountains": ("mountain", "hill", "peak", "valley", "ridge", "highland", "moor", "alps"),
    "forest": ("forest", "wood", "woods", "woodland", "tree", "jungle", "grove", "garden", "park", "orchard", "glade"),
    "city": (
        "city",
        "street",
        "town",
        "road",
        "alley",
        "market",
        "square",
        "downtown",
        "village",
        "rooftop",
        "station",
        "harbour",
        "harbor",
        "port",
        "avenue",
        "plaza",
    ),
    "tower": ("lighthouse", "tower", "castle", "windmill", "spire", "belfry", "turret"),
    "interior": (
        "room",
        "kitchen",
        "bedroom",
        "house",
        "home",
        "hall",
        "office",
        "studio",
        "library",
        "classroom",
        "cafe",
        "café",
        "shop",
        "bar",
        "restaurant",
        "inside",
        "interior",
        "cabin",
        "attic",
        "corridor",
        "apartment",
        "lab",
        "laboratory",
        "church",
        "cellar",
        "basement",
        "lounge",
        "parlour",
        "parlor",
        "workshop",
        "bathroom",
        "hut",
        "tent",
    ),
    "kitchen": ("kitchen", "cafe", "café", "bakery", "diner", "restaurant", "bar"),
}
TIME_WORDS: dict[str, tuple[str, ...]] = {
    "night": ("night", "midnight", "moonlit", "moonlight", "starry", "stars", "dark"),
    "dusk": ("dusk", "sunset", "evening", "twilight"),
    "dawn": ("dawn", "sunrise", "morning"),
}

FRAMING: dict[str, tuple[float, float]] = {
    # shot type: (horizon, ground line where feet stand), as fractions of the frame height
    "establishing": (0.50, 0.80),
    "wide": (0.55, 0.86),
    "medium": (0.50, 1.40),
    "close_up": (0.55, 2.00),
    "extreme_close_up": (0.55, 3.00),
    "over_the_shoulder": (0.50, 1.40),
    "pov": (0.45, 0.85),
    "insert": (0.22, 0.80),
}

_DAY: dict[str, RGB] = {
    "sky_top": (0.38, 0.62, 0.90),
    "sky_low": (0.82, 0.91, 0.98),
    "sun": (1.0, 0.96, 0.80),
    "cloud": (0.97, 0.97, 0.99),
    "far": (0.56, 0.64, 0.76),
    "rock": (0.55, 0.47, 0.41),
    "sea_far": (0.22, 0.48, 0.64),
    "sea_near": (0.12, 0.36, 0.52),
    "foam": (0.93, 0.97, 0.99),
    "sand": (0.89, 0.80, 0.60),
    "grass": (0.45, 0.64, 0.32),
    "soil": (0.47, 0.38, 0.27),
    "foliage": (0.22, 0.46, 0.24),
    "trunk": (0.37, 0.27, 0.19),
    "building": (0.58, 0.58, 0.63),
    "window": (0.62, 0.76, 0.88),
    "street": (0.42, 0.42, 0.45),
    "wall": (0.89, 0.81, 0.68),
    "wall_low": (0.78, 0.68, 0.55),
    "floor": (0.60, 0.44, 0.29),
    "trim": (0.95, 0.93, 0.88),
    "furniture": (0.52, 0.36, 0.24),
}
_SKIES: dict[str, tuple[RGB, RGB, RGB, RGB]] = {
    # time: sky_top, sky_low, sun (or moon), tint for everything else
    "dusk": ((0.30, 0.30, 0.56), (0.98, 0.63, 0.42), (1.0, 0.78, 0.50), (0.92, 0.80, 0.76)),
    "night": ((0.04, 0.06, 0.16), (0.13, 0.17, 0.33), (0.93, 0.93, 0.86), (0.36, 0.42, 0.60)),
    "dawn": ((0.46, 0.56, 0.82), (0.99, 0.82, 0.72), (1.0, 0.90, 0.75), (0.96, 0.92, 0.90)),
}
_KEY_SURFACE = {"interior": "wall", "sea": "sea_far", "forest": "foliage", "city": "building"}


@dataclass(frozen=True)
class Scene:
    interior: bool
    features: frozenset[str]
    time: str
    key: str
    """Layout key: the location's name ('' without a location)."""


def _mentions(text: str, words: Sequence[str]) -> bool:
    pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")(?:s|es)?\b"
    return re.search(pattern, text) is not None


def classify(location: Element | None, light: str | None = None) -> Scene:
    """What the location's words show; ``light`` (the scene heading's night, dusk or dawn) wins over
    the time its words name, since one location serves every time of day."""
    if location is None:
        return Scene(False, frozenset(), light or "day", "")
    text = location.words
    found = frozenset(f for f, words in FEATURE_WORDS.items() if _mentions(text, words))
    time = light or next((t for t, words in TIME_WORDS.items() if _mentions(text, words)), "day")
    lighthouse = _mentions(text, ("lighthouse",))
    features = found - {"interior"} | ({"lighthouse"} if lighthouse else set())
    return Scene("interior" in found, frozenset(features), time, location.name)


def scene_colours(scene: Scene, location: Element | None, palette: Sequence[RGB]) -> dict[str, RGB]:
    """Base colours for the time of day, pulled toward the style palette and the location's colours."""
    colours = dict(_DAY)
    if scene.time in _SKIES:
        top, low, sun, tint = _SKIES[scene.time]
        for role, c in colours.items():
            colours[role] = (c[0] * tint[0], c[1] * tint[1], c[2] * tint[2])
        colours.update(sky_top=top, sky_low=low, sun=sun)
        if scene.time == "night":
            colours["window"] = (1.0, 0.86, 0.52)
    pull = list(palette)
    if location is not None and location.color_source != "hash":
        main = location.colors[0]
        key = next(
            (
                _KEY_SURFACE[f]
                for f in ("interior", "sea", "forest", "city")
                if f in scene.features or (f == "interior" and scene.interior)
            ),
            "grass",
        )
        colours[key] = mix(colours[key], main, 0.6)
        if key == "wall":
            colours["wall_low"] = scale(colours["wall"], 0.86)
        pull.extend(location.colors[1:])
    if pull:
        colours = {role: toward_palette(c, pull, 0.45) for role, c in colours.items()}
    return colours
