"""Checked keyframe parameters: the plan's JSON turned into frozen dataclasses, colours resolved.

Every problem the user can fix (a bad colour, an unreadable reference image, an unknown shot
type) becomes a ``BackendError`` here, before any pixel is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.base import BackendError

from ._palette import RGB, dominant_colors, hash_color, parse_color

SHOT_TYPES = (
    "establishing",
    "wide",
    "medium",
    "close_up",
    "extreme_close_up",
    "over_the_shoulder",
    "pov",
    "insert",
)
"""Shot types the procedural backend frames; the aliases below map common synonyms."""

SHOT_ALIASES = {
    "extreme_wide": "establishing",
    "aerial": "establishing",
    "long": "wide",
    "full": "wide",
    "medium_wide": "wide",
    "two_shot": "medium",
    "cowboy": "medium",
    "medium_close_up": "medium",
    "closeup": "close_up",
    "detail": "insert",
}


@dataclass(frozen=True)
class Element:
    name: str
    description: str
    colors: tuple[RGB, ...]
    """Main colour first: the element's ``color``, else its references' dominant colours, else a
    stable hash of its description."""
    color_source: str
    """``color``, ``references``, ``words`` (a prop's first colour word) or ``hash``: which was used."""

    @property
    def words(self) -> str:
        return f"{self.name} {self.description}".lower()


@dataclass(frozen=True)
class KeyframeSpec:
    width: int
    height: int
    seed: int
    shot_type: str
    action: str
    caption: bool
    palette: tuple[RGB, ...]
    location: Element | None
    characters: tuple[Element, ...]
    props: tuple[Element, ...]
    start: Path | None = None
    """The picture the keyframe starts from (image-to-image), or None."""
    strength: float = 1.0
    """How much of the drawing covers ``start``: 0 keeps the picture, 1 hides it."""
    card: str | None = None
    """A title card's text: drawn centred on a plain ground instead of the scene."""
    setting: Mapping[str, Any] | None = None
    """What the scene heading says: ``interior``, ``time``, ``place`` (compiler.heading)."""
    speakers: tuple[str, ...] = ()
    """Characters who speak on screen, in the order of their lines."""
    blocking: tuple[Mapping[str, Any], ...] = ()
    """Explicit staging entries (``who``, ``at``, ``depth``, ``pose``, ``to``, ``enter``, ``exit``, ...)."""


def check_size(params: Mapping[str, Any], task_id: str) -> tuple[int, int]:
    w, h = params.get("width"), params.get("height")
    for key, value in (("width", w), ("height", h)):
        if not isinstance(value, int) or isinstance(value, bool) or not 8 <= value <= 8192:
            raise BackendError(f"{task_id}: {key} must be a whole number of pixels from 8 to 8192, got {value!r}")
    assert isinstance(w, int) and isinstance(h, int)
    return w, h


def check_seed(params: Mapping[str, Any], task_id: str) -> int:
    seed = params.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise BackendError(f"{task_id}: seed must be a whole number, got {seed!r}")
    return seed


def shot_type(value: object, task_id: str) -> str:
    name = str(value or "medium").strip().lower().replace("-", "_").replace(" ", "_")
    name = SHOT_ALIASES.get(name, name)
    if name not in SHOT_TYPES:
        raise BackendError(
            f"{task_id}: the procedural backend cannot frame shot type {value!r}; "
            f"known shot types: {', '.join(SHOT_TYPES)}"
        )
    return name


def check_keyframe(task_id: str, params: Mapping[str, Any], files: Mapping[str, Path]) -> KeyframeSpec:
    width, height = check_size(params, task_id)
    palette = params.get("palette") or []
    if not isinstance(palette, list):
        raise BackendError(f"{task_id}: palette must be a list of '#rrggbb' colours, got {palette!r}")
    location = params.get("location")
    start, strength = check_start(params, files, task_id)
    return KeyframeSpec(
        width=width,
        height=height,
        seed=check_seed(params, task_id),
        shot_type=shot_type(params.get("shot_type"), task_id),
        action=str(params.get("action") or ""),
        caption=bool(params.get("caption", False)),
        palette=tuple(parse_color(c, f"{task_id}: palette colour {i + 1}") for i, c in enumerate(palette)),
        location=None if location is None else element(location, files, task_id, "location"),
        characters=tuple(element(e, files, task_id, "character") for e in _list(params, "characters", task_id)),
        props=tuple(element(e, files, task_id, "prop") for e in _list(params, "props", task_id)),
        start=start,
        strength=strength,
        card=check_card(params.get("card"), task_id),
        setting=check_setting(params.get("setting"), task_id),
        speakers=tuple(str(x) for x in _list(params, "speakers", task_id)),
        blocking=tuple(_blocking(params, task_id)),
    )


def check_card(value: object, task_id: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BackendError(f"{task_id}: a card's text must be non-empty text, got {value!r}")
    return value


TIMES = ("day", "night", "dusk", "dawn")


def check_setting(value: object, task_id: str) -> Mapping[str, Any] | None:
    """``{"interior": bool | None, "time": day|night|dusk|dawn|None, "place": text}`` (compiler.heading)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise BackendError(f"{task_id}: setting must be a mapping, got {value!r}")
    if value.get("time") is not None and value["time"] not in TIMES:
        raise BackendError(f"{task_id}: setting time must be one of {', '.join(TIMES)} (or null), "
                           f"got {value['time']!r}")
    if value.get("interior") is not None and not isinstance(value["interior"], bool):
        raise BackendError(f"{task_id}: setting interior must be true, false or null, got {value['interior']!r}")
    if not isinstance(value.get("place", ""), str):
        raise BackendError(f"{task_id}: setting place must be text, got {value['place']!r}")
    return value


def _blocking(params: Mapping[str, Any], task_id: str) -> list[Mapping[str, Any]]:
    """Blocking entries as the compiler checked them (a vocabulary pose, places as words or 0-1)."""
    from .staging.layout import PLACES
    from .staging.poses import ACTS as POSES

    out = []
    for entry in _list(params, "blocking", task_id):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("who"), str):
            raise BackendError(f"{task_id}: a blocking entry needs 'who', got {entry!r}")
        if entry.get("pose") is not None and entry["pose"] not in POSES:
            raise BackendError(f"{task_id}: unknown pose {entry['pose']!r}; known poses: {', '.join(POSES)}")
        for key in ("at", "to"):
            v = entry.get(key)
            if v is not None and v not in PLACES and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise BackendError(f"{task_id}: blocking {key} must be a place or a number 0-1, got {v!r}")
        out.append(entry)
    return out


def check_start(params: Mapping[str, Any], files: Mapping[str, Path], task_id: str) -> tuple[Path | None, float]:
    """``start: {file: ROLE, strength: 0..1}`` -> (the picture's path, strength); (None, 1) without one."""
    start = params.get("start")
    if start is None:
        return None, 1.0
    if not isinstance(start, Mapping) or not isinstance(start.get("file"), str):
        raise BackendError(f"{task_id}: start must be {{file: ROLE, strength: 0..1}}, got {start!r}")
    strength = start.get("strength", 0.6)
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0 <= strength <= 1:
        raise BackendError(f"{task_id}: start strength must be a number from 0 to 1, got {strength!r}")
    path = files.get(start["file"])
    if path is None:
        raise BackendError(f"{task_id}: the starting image {start['file']!r} was not provided")
    return Path(path), float(strength)


def _list(params: Mapping[str, Any], key: str, task_id: str) -> list[Any]:
    value = params.get(key) or []
    if not isinstance(value, list):
        raise BackendError(f"{task_id}: {key} must be a list of elements, got {value!r}")
    return value


def element(raw: object, files: Mapping[str, Path], task_id: str, what: str) -> Element:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise BackendError(f"{task_id}: a {what} element needs a 'name', got {raw!r}")
    name = raw["name"]
    description = str(raw.get("description") or "")
    if raw.get("color") is not None:
        colour = parse_color(raw["color"], f"{task_id}: colour of {name}")
        return Element(name, description, (colour,), "color")
    references = raw.get("references") or []
    if references:
        images = []
        for role in references:
            path = files.get(role)
            if path is None:
                raise BackendError(f"{task_id}: the reference image {role!r} of {name} was not provided")
            images.append((role, Path(path)))
        colours = dominant_colors(images, count=3)
        return Element(name, description, tuple(colours), "references")
    if what == "prop":
        from .staging.colours import first_colour

        worded = first_colour(description)  # "a red ball"
        if worded is not None:
            return Element(name, description, (worded,), "words")
    return Element(name, description, (hash_color(description or name),), "hash")
