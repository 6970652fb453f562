"""The words of a Fountain script: emphasis markup, parentheticals as emotions and stage directions,
cue extensions, notes as shot directives, '@' signs that are not triggers, length limits.

The tables here are documented in docs/fountain.md; change both together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..dsl.vocab import MOVES, SHOT_TYPES, TRANSITIONS
from .names import ascii_words

__all__ = [
    "EMOTION_DELTAS", "KNOWN_EMOTIONS", "clamp", "directives", "off_screen", "parenthetical", "slug", "spell_out_at",
    "strip_markup",
]

KNOWN_EMOTIONS = frozenset({
    "neutral", "calm", "happy", "playful", "excited", "sad", "angry", "determined", "scared", "surprised",
    "shy", "whisper", "tired", "curious", "confident", "nervous", "tender", "shouting",
})
"""The emotions every speech backend knows (as compiler.film.KNOWN_EMOTIONS; tests keep them equal)."""

EMOTION_DELTAS: Mapping[str, Mapping[str, int]] = {
    "amused": {"pitch": 6, "rate": 10, "range": 20, "volume": 5},
    "confused": {"pitch": 4, "rate": -20, "range": 15},
    "worried": {"pitch": 6, "rate": 5, "range": -10, "volume": -10},
    "sarcastic": {"pitch": -4, "rate": -15, "range": 30},
    "serious": {"pitch": -6, "rate": -10, "range": -15, "volume": 5},
    "proud": {"pitch": -2, "rate": -10, "range": 15, "volume": 20},
    "mysterious": {"pitch": -8, "rate": -30, "range": -20, "volume": -25},
    "bored": {"pitch": -6, "rate": -25, "range": -35, "volume": -15},
}
"""Emotions the lexicon names beyond KNOWN_EMOTIONS, with their voice adjustments: an import defines
the ones a character uses in that character's voice, so they sound like something and never warn."""

_LEXICON_TABLE = {
    "amused": "amused laughs laughing laugh chuckles chuckling giggles giggling snickers snickering snorts",
    "happy": "happy happily smiling smiles cheerful cheerfully joyful joyfully beaming delighted glad brightly",
    "playful": "playful playfully teasing teases grinning grins winks winking mischievous jokingly joking",
    "excited": "excited excitedly thrilled eager eagerly breathless enthusiastic enthusiastically elated",
    "sad": "sad sadly wistful wistfully crying cries sobbing sobs tearful tearfully weeping mournful heartbroken "
           "sniffling glum miserable",
    "angry": "angry angrily furious furiously annoyed irritated irritably enraged seething bitter bitterly "
             "snaps snapping fuming",
    "shouting": "shouting shouts shout yelling yells yell screaming screams scream loudly bellowing bellows "
                "hollering",
    "whisper": "whispering whispers whispered whisper quietly hushed low murmuring murmurs mumbling mumbles",
    "tender": "tender softly gently lovingly tenderly kindly warmly affectionately fondly soothing",
    "calm": "calm calmly evenly coolly steady steadily patiently relaxed",
    "scared": "scared afraid frightened terrified fearful fearfully panicked panicking trembling",
    "nervous": "nervous nervously anxious anxiously hesitant hesitantly hesitates stammering stuttering "
               "uneasy awkwardly",
    "surprised": "surprised shocked amazed astonished stunned startled gasps gasping disbelieving incredulous "
                 "impressed",
    "shy": "shy shyly timid timidly sheepish sheepishly embarrassed bashful blushing",
    "tired": "tired exhausted sleepy weary wearily yawning yawns groggy",
    "curious": "curious curiously intrigued inquisitive wondering",
    "confident": "confident confidently smug smugly assured boldly",
    "determined": "determined firmly resolute resolutely defiant defiantly stubbornly insistent insisting",
    "neutral": "neutral flat flatly deadpan monotone",
    "confused": "confused puzzled baffled bewildered perplexed",
    "worried": "worried concerned troubled worriedly",
    "sarcastic": "sarcastic sarcastically dryly wryly mocking mockingly ironic ironically smirking smirks dubious "
                 "skeptical sceptical doubtful",
    "serious": "serious seriously gravely grave solemn solemnly stern sternly grim grimly",
    "proud": "proud proudly triumphant triumphantly pompous",
    "mysterious": "mysterious mysteriously cryptic cryptically ominous ominously",
    "bored": "bored indifferent indifferently uninterested listless",
}
_PHRASES = {
    "in tears": "sad", "choked up": "sad", "through tears": "sad", "through gritted teeth": "angry",
    "calling out": "shouting", "calls out": "shouting", "under her breath": "whisper",
    "under his breath": "whisper", "under their breath": "whisper", "sotto voce": "whisper",
    "in disbelief": "surprised", "matter of fact": "neutral", "matter of factly": "neutral",
}
LEXICON: Mapping[str, str] = {**{w: e for e, words in _LEXICON_TABLE.items() for w in words.split()}, **_PHRASES}
"""Parenthetical word or phrase -> emotion."""
_MODIFIERS = frozenset("very a bit little slightly almost suddenly still now quite so really barely half more "
                       "too somewhat rather".split())
_TIMING = frozenset({"beat", "a beat", "pause", "a pause", "long pause", "short pause", "continuing", "continued",
                     "cont'd", "contd", "cont", "then", "after a moment", "a moment", "moment", "beat beat"})
"""Parentheticals that only time the line: dropped (the line's own pace stands for them)."""

_V_O = {"V.O.", "VO", "V/O", "VOICE OVER", "VOICEOVER", "VOICE-OVER", "NARRATING", "NARRATION"}
_O_S = {"O.S.", "OS", "O.C.", "OC", "OFF", "OFF SCREEN", "OFFSCREEN", "OFF-SCREEN", "OFF CAMERA", "OFF-CAMERA",
        "PRE-LAP", "PRELAP", "PRE LAP", "FILTERED", "OVER PHONE", "THROUGH PHONE", "ON TV", "ON RADIO", "ON SPEAKER",
        "OVER INTERCOM", "ON INTERCOM", "THROUGH DOOR", "THROUGH THE DOOR"}
"""(ON PHONE) is not here: the speaker is usually seen, talking into a phone."""


def off_screen(extensions: list[str]) -> str | None:
    """'V.O.' or 'O.S.' from a cue's extensions ((V.O.), (O.S.), (O.C.), (FILTERED), (O.S., PRELAP) ...),
    else None."""
    mark = None
    for ext in extensions:
        for part in re.split(r"[,;/]\s+|\s*;\s*", ext):
            word = " ".join(part.upper().replace("’", "'").replace("0", "O").split()).strip()  # (V.0.): a typo
            if word in _V_O or word.replace(" ", "") in _V_O:
                return "V.O."
            if word in _O_S or word.replace(" ", "") in _O_S:
                mark = "O.S."
    return mark


def parenthetical(text: str) -> tuple[str | None, str | None]:
    """(emotion, stage direction) of a parenthetical: '(laughing)' -> ('amused', None); '(sadly, turning
    away)' -> ('sad', 'turning away'); '(beat)' -> (None, None); '(into the phone)' -> (None, 'into the phone').
    A segment (split at commas, semicolons and ' and ') made only of lexicon words and modifiers is the
    emotion; a segment starting with a lexicon word names the emotion and stays a direction; the first
    emotion wins; timing words are dropped."""
    emotion: str | None = None
    directions: list[str] = []
    for segment in re.split(r"\s*[,;]\s*|\s+and\s+|\s+but\s+", " ".join(text.split())):
        segment = segment.strip(" .!?-—–")
        if not segment:
            continue
        plain = re.sub(r"[^\w' ]+", " ", segment.lower().replace("’", "'").replace("-", " "))
        words = [w for w in plain.split() if w not in _MODIFIERS]
        phrase = " ".join(words)
        if phrase in _TIMING or not words:
            continue
        found = LEXICON.get(phrase) or _lexicon_prefix(words)
        if found is not None and emotion is None:
            emotion = found
        if found is None or (LEXICON.get(phrase) is None and not all(w in LEXICON for w in words)):
            directions.append(segment)
    return emotion, ", ".join(directions) or None


def _lexicon_prefix(words: list[str]) -> str | None:
    for n in (4, 3, 2, 1):
        if len(words) >= n:
            found = LEXICON.get(" ".join(words[:n]))
            if found is not None:
                return found
    return None


# --- markup ---------------------------------------------------------------------------------------
_DELIMITER = re.compile(r"\*+|_")


def strip_markup(text: str) -> str:
    """Fountain emphasis removed: *italic*, **bold**, ***both***, _underline_ (nested or not); escaped
    ``\\*`` and ``\\_`` kept as the characters; spaces trimmed. A mark counts only at a word's edge (an
    opening one before a word, a closing one after), so snake_case_name, 2*3*4 and a@b_c.com keep their
    characters. Marks pair like brackets, one kind at a time, in one pass: linear in the text."""
    if "*" not in text and "_" not in text:
        return text.strip()
    text = text.replace("\\*", "\x00").replace("\\_", "\x01")
    open_marks: dict[str, list[tuple[int, int]]] = {}
    drop: list[tuple[int, int]] = []
    n = len(text)
    for match in _DELIMITER.finditer(text):
        start, end = match.span()
        kind = match.group()
        if len(kind) > 3:
            continue  # a row of stars is text
        mark = kind[0]
        before = text[start - 1] if start else " "
        after = text[end] if end < n else " "
        closes = not before.isspace() and before != mark and not after.isalnum() and after != mark
        opens = not after.isspace() and after != mark and not before.isalnum() and before != mark
        waiting = open_marks.get(kind)
        if closes and waiting:
            drop.append(waiting.pop())
            drop.append((start, end))
        elif opens:
            open_marks.setdefault(kind, []).append((start, end))
    if drop:
        drop.sort()
        out, pos = [], 0
        for start, end in drop:
            out.append(text[pos:start])
            pos = end
        out.append(text[pos:])
        text = "".join(out)
    return text.replace("\x00", "*").replace("\x01", "_").strip()


_AT = re.compile(r"@[A-Za-z][A-Za-z0-9_]*")


def spell_out_at(action: str, triggers: set[str]) -> str:
    """'@' before a word that is no character's trigger becomes 'at' (it would be an unknown trigger)."""
    if "@" not in action:
        return action

    def replace(match: re.Match[str]) -> str:
        if match.group() in triggers:
            return match.group()
        spaced = match.start() == 0 or action[match.start() - 1].isspace()
        return ("at " if spaced else " at ") + match.group()[1:]

    return _AT.sub(replace, action)


def clamp(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a space (never inside a word, so never inside an
    ``@Trigger``), with '…' marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def slug(text: str, limit: int = 40) -> str:
    """Lower-case ASCII words joined by '-' (accents dropped, other scripts transliterated or dropped)."""
    words = ascii_words(text[: limit * 4])
    out = ""
    for word in words:
        word = word.lower()
        trial = f"{out}-{word}" if out else word
        if len(trial) > limit:
            if not out:
                out = word[:limit]
            break
        out = trial
    return out


# --- notes as directives ----------------------------------------------------------------------------
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
            number = re.fullmatch(r"([0-9]{1,3}(?:\.[0-9]{1,3})?)_?(?:s|sec|secs|seconds)?", value)
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
