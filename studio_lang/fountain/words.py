"""The words of a Fountain script: emphasis markup, parentheticals as emotions, notes as shot
directives, '@' signs that are not triggers."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..dsl.vocab import MOVES, SHOT_TYPES, TRANSITIONS

__all__ = ["KNOWN_EMOTIONS", "directives", "emotion_word", "spell_out_at", "strip_markup"]

KNOWN_EMOTIONS = frozenset({
    "neutral", "calm", "happy", "playful", "excited", "sad", "angry", "determined", "scared", "surprised",
    "shy", "whisper", "tired", "curious", "confident", "nervous", "tender", "shouting",
})
"""The emotions every speech backend knows (as compiler.film.KNOWN_EMOTIONS; tests keep them equal)."""
_SYNONYMS = {
    "whispering": "whisper", "whispers": "whisper", "whispered": "whisper", "quietly": "whisper",
    "softly": "tender", "gently": "tender", "lovingly": "tender", "yelling": "shouting", "yells": "shouting",
    "shouts": "shouting", "screaming": "shouting", "loudly": "shouting", "angrily": "angry", "furious": "angry",
    "annoyed": "angry", "laughing": "happy", "smiling": "happy", "cheerful": "happy", "joyful": "happy",
    "crying": "sad", "sobbing": "sad", "sadly": "sad", "tearful": "sad", "nervously": "nervous",
    "anxious": "nervous", "hesitant": "nervous", "afraid": "scared", "frightened": "scared", "terrified": "scared",
    "excitedly": "excited", "thrilled": "excited", "tired": "tired", "exhausted": "tired", "sleepy": "tired",
    "surprised": "surprised", "shocked": "surprised", "amazed": "surprised", "curiously": "curious",
    "confidently": "confident", "firmly": "determined", "teasing": "playful", "grinning": "playful",
    "calmly": "calm", "flat": "neutral", "deadpan": "neutral", "shyly": "shy", "timidly": "shy",
}
_DIRECTIONS = {"beat", "pause", "a beat", "continuing", "cont'd", "contd", "cont.", "beat.", "then"}
_EMPHASIS = re.compile(r"(\*{1,3}|_)(?=\S)(.+?)(?<=\S)\1")
_AT = re.compile(r"@(?=[A-Za-z])")


def strip_markup(text: str) -> str:
    text = text.replace("\\*", "\x00").replace("\\_", "\x01")
    previous = None
    while previous != text:
        previous, text = text, _EMPHASIS.sub(r"\2", text)
    return text.replace("\x00", "*").replace("\x01", "_").strip()


def emotion_word(text: str) -> str | None:
    """The emotion a parenthetical names: a known word (synonyms mapped: whispering -> whisper), else the
    text made into an emotion name (lower case, underscores), or None for stage directions like (beat)."""
    word = " ".join(text.lower().split())
    if not word or word in _DIRECTIONS:
        return None
    word = _SYNONYMS.get(word, word)
    if word in KNOWN_EMOTIONS:
        return word
    ascii_word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z _-]+", "", ascii_word)
    cleaned = re.sub(r"[ _]+", "_", cleaned).strip("_- ")
    cleaned = re.sub(r"^[^a-z]+", "", cleaned)[:32].rstrip("_- ")
    return cleaned or None


def spell_out_at(action: str, triggers: set[str]) -> str:
    """'@' before a word that is no character's trigger becomes 'at' (it would be an unknown trigger)."""

    def replace(match: re.Match[str]) -> str:
        word = re.match(r"@[A-Za-z][A-Za-z0-9_]*", action[match.start():])
        if word is not None and word.group() in triggers:
            return "@"
        return "at " if match.start() == 0 or action[match.start() - 1].isspace() else " at "

    return _AT.sub(replace, action)


_SHOT_ALIASES = {
    "cu": "close_up", "close": "close_up", "closeup": "close_up", "ecu": "extreme_close_up", "xcu": "extreme_close_up",
    "extreme_closeup": "extreme_close_up", "ms": "medium", "mid": "medium", "medium_shot": "medium", "ws": "wide",
    "ls": "wide", "long": "wide", "wide_shot": "wide", "ots": "over_the_shoulder", "est": "establishing",
}
_MOVE_ALIASES = {"push_in": "dolly_in", "pull_out": "dolly_out", "pull_back": "dolly_out", "still": "static",
                 "locked": "static", "handheld": "shake"}


def directives(note: str) -> dict[str, Any] | None:
    """Shot settings from a note such as 'shot: wide, camera: dolly_in, duration: 3s'; None if it is prose."""
    out: dict[str, Any] = {}
    parts = [p.strip() for p in re.split(r"[,;]", note) if p.strip()]
    if not parts:
        return None
    for part in parts:
        match = re.fullmatch(r"([A-Za-z ]+?)\s*[:=]\s*(.+)", part)
        if match is None:
            return None
        key = match.group(1).strip().lower()
        value = "_".join(match.group(2).strip().lower().replace("-", " ").split())
        if key in ("shot", "type", "size", "framing"):
            value = _SHOT_ALIASES.get(value, value)
            if value not in SHOT_TYPES:
                return None
            out["type"] = value
        elif key in ("camera", "move"):
            value = _MOVE_ALIASES.get(value, value)
            if value not in MOVES:
                return None
            out["camera"] = {"move": value}
        elif key in ("duration", "length"):
            number = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)_?(?:s|sec|secs|seconds)?", value)
            if number is None or not 0 < float(number.group(1)) <= 600:
                return None
            text = number.group(1)
            out["duration"] = float(text) if "." in text else int(text)
        elif key == "transition":
            value = value.removesuffix("_to").removesuffix(":")
            if value not in TRANSITIONS:
                return None
            out["transition"] = {"type": value}
        else:
            return None
    return out
