"""What a location looks like: features read from its words, framing per shot type, colours.

The scene's layout is keyed on the location's name (not the shot's seed), so every shot of one
location shows the same place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._palette import RGB, mix, scale, toward_palette
from ._spec import Element
from .staging.colours import SURFACES, part_colours

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
    "kitchen": ("kitchen", "cafe", "café", "bakery", "diner", "restaurant", "bar", "pantry"),
    "bedroom": ("bedroom", "bed", "dormitory", "nursery", "bunk"),
    "desert": ("desert", "dune", "dunes", "sahara", "wasteland", "badlands"),
    "snow": ("snow", "snowy", "ice", "icy", "glacier", "arctic", "tundra", "winter", "frozen"),
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


_LIGHT: dict[tuple[str, bool], RGB] = {
    ("day", False): (1.0, 1.0, 1.0), ("day", True): (0.97, 0.95, 0.92),
    ("dusk", False): (0.96, 0.8, 0.72), ("dusk", True): (0.9, 0.78, 0.68),
    ("dawn", False): (1.0, 0.9, 0.86), ("dawn", True): (0.94, 0.88, 0.84),
    ("night", False): (0.42, 0.48, 0.68), ("night", True): (0.7, 0.6, 0.5),
}  # fmt: skip
"""The light on the figures: time of day, outside or inside (at night, warm lamplight)."""


@dataclass(frozen=True)
class Scene:
    interior: bool
    features: frozenset[str]
    time: str
    key: str
    """Layout key: the location's name ('' without a location)."""

    @property
    def light(self) -> RGB:
        return _LIGHT[(self.time, self.interior)]


def _mentions(text: str, words: Sequence[str]) -> bool:
    pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")(?:s|es)?\b"
    return re.search(pattern, text) is not None


def classify(location: Element | None, setting: Mapping[str, object] | None = None) -> Scene:
    """The scene from the location's words and the scene heading (``setting``: ``interior`` True/False/
    None, ``time`` day/night/dusk/dawn/None, ``place`` words). The heading's INT/EXT and time win over
    the location's words; its place words add to them (an ``INT. KITCHEN`` without a location is a
    kitchen)."""
    setting = setting or {}
    place = str(setting.get("place") or "").lower()
    text = f"{location.words if location is not None else ''} {place}".strip()
    found = frozenset(f for f, words in FEATURE_WORDS.items() if _mentions(text, words)) if text else frozenset()
    said = setting.get("time")
    time = str(said) if said in _LIGHT_TIMES else next(
        (t for t, words in TIME_WORDS.items() if _mentions(text, words)), "day")
    lighthouse = _mentions(text, ("lighthouse",)) if text else False
    features = found - {"interior"} | ({"lighthouse"} if lighthouse else set())
    inside = setting.get("interior")
    interior = bool(inside) if isinstance(inside, bool) else "interior" in found
    key = location.name if location is not None else place
    return Scene(interior, frozenset(features), time, key)


_LIGHT_TIMES = ("day", "night", "dusk", "dawn")


def scene_colours(scene: Scene, location: Element | None, palette: Sequence[RGB]) -> dict[str, RGB]:
    """Base colours for the time of day, pulled toward the style palette and the location's colours."""
    colours = dict(_DAY)
    for role, c in part_colours(location.description if location else "", SURFACES).items():
        colours[role] = c
        if role == "sea":
            colours["sea_near"] = scale(c, 0.72)
        if role == "sky":
            colours["sky_top"], colours["sky_low"] = scale(c, 0.85), mix(c, (1.0, 1.0, 1.0), 0.55)
        if role == "wall":
            colours["wall_low"] = scale(c, 0.86)
    if "snow" in scene.features:
        colours.update(grass=(0.93, 0.95, 0.98), soil=(0.85, 0.88, 0.92), foliage=(0.3, 0.42, 0.36))
    if "desert" in scene.features:
        colours.update(grass=colours["sand"], soil=scale(colours["sand"], 0.85))
    if scene.time in _SKIES:
        top, low, sun, tint = _SKIES[scene.time]
        if scene.interior and scene.time == "night":
            tint = (0.5, 0.43, 0.38)  # lamplight: dim and warm
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
