"""JSON Schemas of the answers a language model gives, built with the project's own names.

Every slot that names something is an enum of what exists (characters, locations, triggers, voices,
shot ids), every text a bounded pattern, every number an enum or a small integer range: a model
decoding under these schemas (``backends.llm.constrain``) cannot write a reference that does not
bind, an unknown emotion, an empty line or an answer without end. A remote model's answer is
validated against the same schema.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Sequence
from typing import Any

from compiler import spec
from compiler.film import KNOWN_EMOTIONS

__all__ = [
    "CAMERA_MOVES", "DURATIONS", "EMOTIONS", "ID", "SHOT_TYPES", "TRANSITIONS", "action", "cast_schema", "enum",
    "heading", "line_schema", "name", "outline_schema", "shot_schema", "shots_schema", "text",
]

SHOT_TYPES: tuple[str, ...] = typing.get_args(spec.ShotType)
CAMERA_MOVES: tuple[str, ...] = typing.get_args(spec.CameraMove)
TRANSITIONS = ("cut", "dissolve", "fade")
EMOTIONS = tuple(sorted(KNOWN_EMOTIONS))
DURATIONS = (2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8)
"""Seconds a shot without dialogue may last (a shot with dialogue lasts as long as its lines: auto)."""
ID = {"type": "string", "pattern": r"^[a-z][a-z0-9_]{1,15}$"}
_PUNCT = " ,.;:!?'-"


def enum(values: Sequence[Any]) -> dict[str, Any]:
    return {"enum": list(values)}


def text(max_length: int, min_length: int = 3) -> dict[str, Any]:
    """Plain text: letters first, then letters, digits, spaces and ordinary punctuation (no quotes,
    no '@', no braces: nothing that could be a trigger or a template)."""
    return {"type": "string", "minLength": min_length, "maxLength": max_length,
            "pattern": rf"^[A-Za-z][A-Za-z0-9{re.escape(_PUNCT)}]*$"}


def name(max_length: int = 16, one_word: bool = True) -> dict[str, Any]:
    """A name that is a valid element name and trigger word: one capitalised word (CamelCase for places)."""
    tail = "[a-z]" if one_word else "[A-Za-z]"
    return {"type": "string", "pattern": rf"^[A-Z]{tail}{{2,{max_length - 1}}}$"}


def action(triggers: Sequence[str], max_length: int = 160) -> dict[str, Any]:
    """Action text in which '@' appears only as one of ``triggers`` followed by a word boundary."""
    plain = rf"[A-Za-z0-9{re.escape(_PUNCT)}]"
    if not triggers:
        return {"type": "string", "minLength": 8, "maxLength": max_length, "pattern": rf"^[A-Za-z]{plain}*$"}
    words = "|".join(re.escape(t.lstrip("@")) for t in sorted(set(triggers), key=lambda t: (-len(t), t)))
    mention = rf"@(?:{words})"
    return {"type": "string", "minLength": 8, "maxLength": max_length,
            "pattern": rf"^(?:{mention}[{re.escape(_PUNCT)}]|[A-Za-z])(?:{mention}[{re.escape(_PUNCT)}]|{plain})*"
                       rf"(?:{mention})?$"}


_TIMES = "DAY|NIGHT|MORNING|EVENING|DAWN|DUSK"


def heading() -> dict[str, Any]:
    return {"type": "string", "maxLength": 48,
            "pattern": rf"^(?:INT|EXT)\. [A-Z][A-Z']{{1,15}}(?: [A-Z][A-Z']{{0,15}}){{0,2}} - (?:{_TIMES})$"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _array(items: dict[str, Any], lo: int, hi: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "minItems": lo, "maxItems": max(lo, hi)}


def cast_schema(characters: tuple[int, int] = (1, 4), locations: tuple[int, int] = (1, 3),
                names: Sequence[str] = ()) -> dict[str, Any]:
    """Phase 1: the title, the look, and the cast with descriptions and voices. ``names`` (from a
    treatment) makes the character names an enum of the author's."""
    character = _object({
        "name": enum(names) if names else name(),
        "description": text(160, 12),
        "pitch": {"type": "integer", "minimum": 20, "maximum": 80},
        "rate": {"type": "integer", "minimum": 130, "maximum": 190},
    })
    place = _object({"name": name(16, one_word=False), "description": text(160, 12)})
    thing = _object({"name": name(), "description": text(120, 8)})
    return _object({
        "title": {"type": "string", "maxLength": 60, "pattern": r"^[A-Z][A-Za-z0-9 ,'!?-]{2,59}$"},
        "logline": text(200, 12),
        "look": text(80, 6),
        "characters": _array(character, *characters),
        "locations": _array(place, *locations),
        "props": _array(thing, 0, 2),
    })


def outline_schema(locations: Sequence[str], characters: Sequence[str], scenes: tuple[int, int]) -> dict[str, Any]:
    """Phase 2: the scenes in order, each at one of the cast's locations."""
    scene = _object({
        "id": ID, "heading": heading(), "location": enum(locations),
        "characters": _array(enum(characters), 1, min(3, len(characters))), "summary": text(200, 12),
    })
    return _object({"scenes": _array(scene, *scenes)})


def line_schema(characters: Sequence[str], max_length: int = 120) -> dict[str, Any]:
    return _object({"character": enum(characters), "line": text(max_length, 2), "emotion": enum(EMOTIONS)})


def shot_schema(triggers: Sequence[str], characters: Sequence[str], max_lines: int = 2) -> dict[str, Any]:
    """A shot: without dialogue it lasts one of ``DURATIONS``; with dialogue, as long as its lines."""
    common = {"id": ID, "type": enum(SHOT_TYPES), "camera": enum(CAMERA_MOVES), "action": action(triggers)}
    silent = _object({**common, "dialogue": {"type": "array", "maxItems": 0}, "duration": enum(DURATIONS),
                      "transition": enum(TRANSITIONS)})
    if not characters:
        return silent
    spoken = _object({**common, "dialogue": _array(line_schema(characters), 1, max_lines),
                      "duration": {"const": "auto"}, "transition": enum(TRANSITIONS)})
    return {"anyOf": [silent, spoken]}


def shots_schema(triggers: Sequence[str], characters: Sequence[str], shots: tuple[int, int]) -> dict[str, Any]:
    """Phase 3: one scene's shots."""
    return _object({"shots": _array(shot_schema(triggers, characters), *shots)})
