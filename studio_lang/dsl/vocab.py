"""Words and orders of the screenplay DSL, shared by its lexer, tree builder and emitter.

The word lists mirror the Literal types of ``compiler/spec.py`` (studio_lang may not import the
compiler; tests/lang checks that the two agree). Field orders give every mapping the DSL builds
the key order of the format, so a converted file reads like a hand-written one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

__all__ = [
    "AUDIO_KINDS", "CUE_LIKE", "DEF_KEYWORDS", "ELEMENT_KINDS", "FIELD_ORDER", "FLAGS", "MODEL_FIELDS", "MOVES",
    "OFF_SCREEN", "SHOT_TYPES", "TRANSITIONS", "WORD_RE", "bare_ok", "character_folds", "cue_target", "format_float",
    "is_number_word",
    "off_screen_mark", "typed",
]

SHOT_TYPES = ("establishing", "wide", "medium", "close_up", "extreme_close_up", "over_the_shoulder", "pov", "insert")
MOVES = ("static", "pan_left", "pan_right", "tilt_up", "tilt_down", "dolly_in", "dolly_out", "zoom_in", "zoom_out",
         "shake", "hold")
TRANSITIONS = ("cut", "dissolve", "fade", "wipe")
ELEMENT_KINDS = ("character", "location", "prop")
AUDIO_KINDS = ("music", "effect")
FLAGS = {"duck": "duck_under_dialogue", "loop": "loop"}
"""Bare words on an audio line that switch a boolean on."""

DEF_KEYWORDS = {
    "studio": "STUDIO", "project": "PROJECT", "models": "MODELS", "model": "MODEL", "style": "STYLE",
    "voice": "VOICE", "character": "ELEMENT", "location": "ELEMENT", "prop": "ELEMENT", "element": "ELEMENT",
    "audio": "AUDIO", "music": "AUDIO", "effect": "AUDIO", "output": "OUTPUT", "set": "SET",
}
"""Words that open a definition line (before the first SCENE) and the token each becomes."""

MODEL_FIELDS = ("backend", "kind", "weights", "revision", "dtype", "vram_gb", "batch_size", "num_gpus", "params",
                "gates", "description")

FIELD_ORDER: dict[str, tuple[str, ...]] = {
    "root": ("studio", "project", "models", "styles", "voices", "elements", "scenes", "audio", "output"),
    "project": ("title", "description", "fps", "resolution", "seed", "style", "models", "vram_gb", "language",
                "gates"),
    "model": MODEL_FIELDS,
    "style": ("prompt", "negative", "palette", "lora", "enhance", "description"),
    "voice": ("engine", "language", "variant", "pitch", "rate", "volume", "range", "speaker", "emotions",
              "description"),
    "element": ("kind", "trigger", "description", "references", "color", "voice", "lora"),
    "audio": ("id", "file", "kind", "start", "at", "volume", "duck_under_dialogue", "loop", "fade_in", "fade_out"),
    "scene": ("id", "heading", "description", "location", "style", "models", "shots"),
    "shot": ("id", "type", "duration", "action", "card", "camera", "dialogue", "transition", "location", "style",
             "models", "seed", "start", "end", "pattern", "blocking", "notes"),
    "dialogue": ("character", "line", "emotion", "voice", "off_screen"),
    "camera": ("move", "amount"),
    "transition": ("type", "duration"),
    "models": ("image", "video", "speech"),
    "lora": ("weights", "scale"),
    "start": ("image", "strength"),
    "blocking": ("who", "at", "depth", "pose", "to", "enter", "exit", "facing", "look_at"),
    "gates": ("model", "identity", "prompt", "retries"),
    "gate": ("min",),
    "end": ("image", "shot"),
    "enhance": ("model", "instructions", "max_tokens"),
}

WORD_RE = re.compile(r'(?:[^\s"=,\[\]{}():#]|#(?=\S))[^\s"=,\[\]{}():]*')
"""A bare word: no spaces, quotes or punctuation; '#' may start one (a colour) when a letter follows."""
CUE_LIKE = re.compile(r"([A-Z][A-Z0-9_.'-]*)[ \t]*(\([^()]*\))?")
"""A dialogue line that reads like a cue (a name in capitals, maybe a parenthetical): probably a missing
blank line before a new speech."""
_INT_RE = re.compile(r"[-+]?[0-9]+")
_FLOAT_RE = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?")
_SPECIAL = {
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    "null": None, "Null": None, "NULL": None, "~": None,
    ".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.Inf": math.inf, "-.Inf": -math.inf, "+.INF": math.inf, "-.INF": -math.inf,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}


def is_number_word(word: str) -> bool:
    return _FLOAT_RE.fullmatch(word) is not None


def typed(word: str) -> str | int | float | bool | None:
    """The value of a bare word, read like a YAML 1.2 plain scalar: numbers, true/false, null, text."""
    if word in _SPECIAL:
        return _SPECIAL[word]
    if _INT_RE.fullmatch(word):
        try:
            return int(word)
        except ValueError:  # more digits than Python converts
            return word
    if _FLOAT_RE.fullmatch(word):
        return float(word)
    return word


def format_float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def bare_ok(text: str) -> bool:
    """Whether ``text`` can be written without quotes and read back as the same text."""
    return (WORD_RE.fullmatch(text) is not None and not text.startswith("->")
            and typed(text) == text and isinstance(typed(text), str))


OFF_SCREEN = {"V.O.": "V.O.", "O.S.": "O.S.", "O.C.": "O.S."}
"""Cue marks (``LUCA (V.O.)``) -> the dialogue's ``off_screen`` value; O.C. (off camera) is O.S."""


def off_screen_mark(paren: str) -> str | None:
    """``(V.O.)``, ``(O.S.)``, ``(O.C.)`` (any case, dots and spaces optional) -> 'V.O.' or 'O.S.'."""
    word = "".join(paren.strip()[1:-1].split()).upper().replace(".", "")
    if len(word) != 2:
        return None
    return OFF_SCREEN.get(f"{word[0]}.{word[1]}.")


def character_folds(elements: Mapping[str, str | None]) -> dict[str, list[str]]:
    """Character element names by their case-folded spelling (``cue_target``'s index)."""
    folds: dict[str, list[str]] = {}
    for name, kind in elements.items():
        if kind == "character":
            folds.setdefault(name.casefold(), []).append(name)
    return folds


def cue_target(written: str, quoted: bool, elements: Mapping[str, str | None],
               folds: Mapping[str, list[str]] | None = None) -> str:
    """The character a cue names: itself when quoted or an exact element name, else the one character
    element whose name matches ignoring case (``LUCA`` -> ``Luca``), else the cue as written. ``folds``
    (``character_folds(elements)``, built once by a caller with many cues) saves a scan per cue."""
    if quoted or written in elements:
        return written
    matches = (folds if folds is not None else character_folds(elements)).get(written.casefold(), [])
    return matches[0] if len(matches) == 1 else written
