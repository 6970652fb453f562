"""From a speech task's parameters to the exact eSpeak NG voice and parameter values.

Emotions are deltas added to the voice's pitch, rate (words per minute), range and volume; the
sums are clamped to what eSpeak NG accepts. A voice's own ``emotions`` mapping replaces the
built-in entry of the same name as a whole (a key it leaves out counts as 0). An emotion that
neither knows is spoken neutrally: the compiler warns about it, the backend does not fail.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from backends.base import BackendError
from backends.espeak import _lib

__all__ = ["EMOTIONS", "LIMITS", "Speech", "settle"]

LIMITS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"pitch": (0, 100), "rate": (80, 450), "volume": (0, 200), "range": (0, 100)}
)
"""Accepted values of each voice setting (eSpeak NG's own ranges; rate in words per minute)."""

_DEFAULTS = {"pitch": 50, "rate": 175, "volume": 100, "range": 50}


def _deltas(pitch: int, rate: int, range_: int, volume: int) -> Mapping[str, int]:
    return MappingProxyType({"pitch": pitch, "rate": rate, "range": range_, "volume": volume})


EMOTIONS: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {
        #                   pitch rate range volume
        "neutral": _deltas(0, 0, 0, 0),
        "calm": _deltas(-4, -20, -15, -10),
        "happy": _deltas(8, 15, 20, 10),
        "playful": _deltas(12, 20, 25, 5),
        "excited": _deltas(15, 45, 30, 25),
        "surprised": _deltas(18, 10, 35, 15),
        "sad": _deltas(-10, -40, -25, -20),
        "tired": _deltas(-8, -35, -25, -20),
        "bored": _deltas(-6, -25, -35, -15),
        "angry": _deltas(-6, 25, 25, 40),
        "shouting": _deltas(10, 10, 25, 60),
        "determined": _deltas(-5, -10, 5, 20),
        "serious": _deltas(-6, -10, -15, 5),
        "proud": _deltas(-2, -10, 15, 20),
        "scared": _deltas(12, 35, -10, -10),
        "nervous": _deltas(8, 30, -5, -10),
        "worried": _deltas(6, 5, -10, -10),
        "confused": _deltas(4, -20, 15, 0),
        "sarcastic": _deltas(-4, -15, 30, 0),
        "shy": _deltas(5, -20, -15, -35),
        "tender": _deltas(3, -25, -10, -25),
        "mysterious": _deltas(-8, -30, -20, -25),
        "whisper": _deltas(-8, -15, -30, -60),
    }
)
"""Built-in emotion deltas; a voice's ``emotions`` mapping overrides entries by name."""


@dataclass(frozen=True)
class Speech:
    """One line, ready for the library."""

    text: str
    voice: str
    """``identifier[+variant]`` as ``espeak_SetVoiceByName`` takes it, e.g. ``gmw/en-US+f1``."""
    pitch: int
    rate: int
    volume: int
    range: int

    def parameters(self) -> dict[int, int]:
        """espeak_PARAMETER -> value (the others keep the fresh library's defaults)."""
        return {
            _lib.RATE: self.rate,
            _lib.VOLUME: self.volume,
            _lib.PITCH: self.pitch,
            _lib.RANGE: self.range,
            _lib.WORDGAP: 0,
        }


def settle(params: Mapping[str, Any], catalogue: _lib.Catalogue) -> Speech:
    """Check a speech task's parameters and settle them; every problem is reported at once."""
    problems: list[str] = []
    text = _text(params.get("text"), problems)
    voice = _language(params.get("language"), catalogue, problems)
    variant = _variant(params.get("variant"), params.get("speaker"), catalogue, problems)
    base = {name: _setting(params, name, problems) for name in LIMITS}
    deltas = _emotion(params.get("emotion"), params.get("emotions"), problems)
    if problems:
        raise BackendError("; ".join(problems))
    values = {name: min(max(base[name] + deltas.get(name, 0), low), high) for name, (low, high) in LIMITS.items()}
    return Speech(
        text=text,
        voice=voice if variant is None else f"{voice}+{variant}",
        pitch=values["pitch"],
        rate=values["rate"],
        volume=values["volume"],
        range=values["range"],
    )


def _text(value: object, problems: list[str]) -> str:
    if not isinstance(value, str):
        problems.append(f"speech text must be a string, got {type(value).__name__}")
        return ""
    # Control characters would reach eSpeak NG's embedded-command parser (\x01) or cut the
    # C string short (\x00), lone surrogates cannot be encoded; none is speakable.
    cleaned = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in value).strip()
    if not cleaned:
        problems.append("the line to speak is empty")
    return cleaned


def _language(value: object, catalogue: _lib.Catalogue, problems: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append("speech needs a language code such as 'en', 'en-us' or 'it'")
        return ""
    code = value.strip().lower().replace("_", "-")
    identifier = catalogue.languages.get(code)
    if identifier is not None:
        return identifier
    hint = _suggest_language(code, catalogue)
    problems.append(f"eSpeak NG has no language '{value}'" + (f"; did you mean {hint}?" if hint else ""))
    return ""


def _suggest_language(code: str, catalogue: _lib.Catalogue) -> str:
    primary = code.split("-", 1)[0]
    candidates = [c for c in catalogue.languages if c.split("-", 1)[0] == primary]
    candidates += difflib.get_close_matches(code, list(catalogue.languages), n=5, cutoff=0.6)
    for candidate, identifier in catalogue.languages.items():  # a voice name: "Italian" -> it
        name = catalogue.voice_names.get(identifier, "").lower()
        if len(code) >= 3 and name.startswith(code):
            candidates.append(candidate)
    unique = list(dict.fromkeys(candidates))[:5]
    return ", ".join(f"'{c}' ({catalogue.voice_names.get(catalogue.languages[c], c)})" for c in unique)


def _variant(variant: object, speaker: object, catalogue: _lib.Catalogue, problems: list[str]) -> str | None:
    """The variant to add to the voice; ``speaker`` counts only when it names a variant."""
    if variant is None:
        if isinstance(speaker, str):
            return catalogue.variants.get(speaker.strip().lower())
        return None
    if not isinstance(variant, str) or not variant.strip():
        problems.append("voice variant must be a non-empty string such as 'f1', 'm3' or 'klatt'")
        return None
    found = catalogue.variants.get(variant.strip().lower())
    if found is None:
        close = difflib.get_close_matches(variant.strip().lower(), list(catalogue.variants), n=5)
        hint = ", ".join(f"'{catalogue.variants[c]}'" for c in close)
        problems.append(
            f"eSpeak NG has no voice variant '{variant}'"
            + (f"; did you mean {hint}?" if hint else "; try f1-f5, m1-m7 or klatt")
        )
    return found


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _setting(params: Mapping[str, Any], name: str, problems: list[str]) -> int:
    """A voice setting; a missing or null one takes eSpeak NG's default."""
    value = params.get(name)
    if value is None:
        return _DEFAULTS[name]
    low, high = LIMITS[name]
    number = _number(value)
    if number is None or not low <= number <= high:
        problems.append(f"voice {name} must be a number from {low} to {high}, got {value!r}")
        return _DEFAULTS[name]
    return round(number)


def _emotion(name: object, custom: object, problems: list[str]) -> Mapping[str, int]:
    if name is None:
        return {}
    if not isinstance(name, str):
        problems.append(f"emotion must be a name, got {name!r}")
        return {}
    if custom is not None and not isinstance(custom, Mapping):
        problems.append("the voice's emotions must map names to pitch/rate/range/volume deltas")
        custom = None
    for table in (custom or {}, EMOTIONS):
        for key in (name, name.strip().lower()):
            if key in table:
                return _checked_deltas(key, table[key], problems)
    return {}  # unknown: neutral (the compiler has warned)


def _checked_deltas(name: str, deltas: object, problems: list[str]) -> Mapping[str, int]:
    if not isinstance(deltas, Mapping):
        problems.append(f"emotion '{name}' must map pitch/rate/range/volume to numbers")
        return {}
    checked: dict[str, int] = {}
    for key, value in deltas.items():
        number = _number(value)
        if key not in LIMITS or number is None:
            problems.append(
                f"emotion '{name}': '{key}' must be one of pitch, rate, range, volume with a number, got {value!r}"
            )
            continue
        checked[key] = round(number)
    return checked
