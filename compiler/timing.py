"""Shot timing: where dialogue lines fall in a shot, and how long an ``auto`` shot is.

The compiler estimates speech length from the text so that ``studio plan`` can show a film
length; the runtime calls the same layout with the real speech durations once speech exists.
Both go through ``layout`` so estimate and truth cannot disagree about the rules.

Transitions and speech: a transition of ``d`` seconds shows the last ``d`` seconds of one shot
blended with the first ``d`` seconds of the next. Speech belongs to a shot's own part, its *body*
between the transition into it (``cut_in``) and the one out of it (``cut_out``): the first line
starts ``LEAD_IN`` after the incoming transition has ended, and an ``auto`` shot lasts until
``TAIL`` after its last line plus its outgoing transition. So lines of consecutive shots never
overlap each other, nor does a shot's speech play over the far side of a transition (the next
shot's picture). An ``auto`` shot without dialogue shows ``NO_DIALOGUE_SECONDS`` on its own,
between its transitions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "EMOTION_RATES", "LEAD_IN", "LINE_GAP", "NO_DIALOGUE_SECONDS", "TAIL", "Layout", "estimate_speech", "frames_for",
    "layout", "min_frames", "speaking_rate",
]

LEAD_IN = 0.25
"""Seconds of picture before the first line (after the incoming transition)."""
LINE_GAP = 0.3
"""Seconds between two lines."""
TAIL = 0.6
"""Seconds of breathing room after the last line of an ``auto`` shot (before the outgoing transition)."""
NO_DIALOGUE_SECONDS = 3.0
"""Length of the body of an ``auto`` shot without dialogue."""

EMOTION_RATES: Mapping[str, int] = {
    "neutral": 0, "calm": -20, "happy": 15, "playful": 20, "excited": 45, "surprised": 10, "sad": -40,
    "tired": -35, "bored": -25, "angry": 25, "shouting": 10, "determined": -10, "serious": -10, "proud": -10,
    "scared": 35, "nervous": 30, "worried": 5, "confused": -20, "sarcastic": -15, "shy": -20, "tender": -25,
    "mysterious": -30, "whisper": -15,
}
"""Words-per-minute delta of each built-in emotion (the espeak backend's table; a test keeps them equal)."""

# The estimate: seconds = (a * syllables + b * words + c * consonants + d * clause pauses + e * sentence
# ends) * (175 / rate) ** 1.08 + f, fitted to eSpeak NG's trimmed output for 730 lines (dialogue and
# prose, 120-260 wpm, en/en-us/en-gb, several variants); bench/duration_estimates.py shows how close it
# comes. eSpeak NG slows down a little more than in proportion at low rates, hence the exponent.
_PER_SYLLABLE, _PER_WORD, _PER_CONSONANT, _PER_PAUSE, _PER_STOP, _CONSTANT = 0.079, 0.057, 0.035, 0.243, 0.302, 0.119
_RATE_EXPONENT = 1.08
_VARIANT_PACE = {"f1": 1.05, "f2": 1.09, "m3": 0.95}
"""eSpeak NG variants that speak measurably slower or faster than the others (mean over 228 lines)."""
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CONSONANTS = re.compile(r"[bcdfghjklmnpqrstvwxzçñß]", re.IGNORECASE)
_VOWELS = re.compile(r"[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœаеёиоуыэюяαεηιουω]+", re.IGNORECASE)
_PAUSE = re.compile(r"[,;:()\u2014\u2013]|\.\.\.|\s-\s")
_STOP = re.compile(r"(?<!\.)[.!?]+(?=\s)")
_END = re.compile(r"[\s.!?,;:\u2014\u2013\"'\u201d\u2019)\]]+$")


@dataclass(frozen=True)
class Layout:
    starts: tuple[float, ...]
    """Start of each line, seconds from the shot start."""
    duration: float
    """Shot length in seconds (explicit, or settled from the lines)."""
    overflow: float
    """Seconds of speech that do not fit an explicit duration's body (0 when it fits)."""


def _syllables(word: str) -> int:
    if word.isdigit():
        return 2 * len(word)  # spoken digit by digit or as a number: about two syllables a digit
    vowels = len(_VOWELS.findall(word))
    if vowels == 0:
        return len(word) if any(ord(c) > 0x2FF for c in word) else 1  # syllabic scripts; an acronym
    lower = word.lower()
    if vowels > 1 and len(lower) > 3 and lower.endswith("e") and not lower.endswith(("le", "ee", "ye")):
        vowels -= 1  # a silent final e
    return vowels


def speaking_rate(rate_wpm: int, emotion: str | None, custom: Mapping[str, Mapping[str, int]] | None = None) -> int:
    """The rate a line is spoken at: the voice's, plus its emotion's delta (a voice's own entry
    replaces the built-in one), clamped to 80-450 as the speech backends clamp it."""
    delta = 0
    if emotion:
        if custom and emotion in custom:
            delta = int(custom[emotion].get("rate", 0))
        else:
            delta = EMOTION_RATES.get(emotion, 0)
    return min(max(rate_wpm + delta, 80), 450)


def estimate_speech(text: str, rate_wpm: int, variant: str | None = None) -> float:
    """Spoken length of ``text`` at ``rate_wpm`` words per minute (eSpeak NG's scale, in its ``variant``)."""
    body = _END.sub("", text.strip())  # a pause at the very end is trimmed from the speech
    words = _WORD.findall(body)
    syllables = sum(_syllables(w) for w in words) or 1
    consonants = sum(len(_CONSONANTS.findall(w)) for w in words)
    spoken = (_PER_SYLLABLE * syllables + _PER_WORD * len(words) + _PER_CONSONANT * consonants
              + _PER_PAUSE * len(_PAUSE.findall(body)) + _PER_STOP * len(_STOP.findall(body)))
    pace = (175.0 / max(rate_wpm, 1)) ** _RATE_EXPONENT * _VARIANT_PACE.get((variant or "").lower(), 1.0)
    return round(spoken * pace + _CONSTANT, 3)


def layout(line_seconds: Sequence[float], duration: float | None, cut_in: float = 0.0,
           cut_out: float = 0.0) -> Layout:
    """Place lines one after the other in the body, from ``LEAD_IN`` after the incoming transition;
    ``duration=None`` means ``auto``. ``cut_in``/``cut_out``: seconds covered by the transitions."""
    starts = []
    t = cut_in + LEAD_IN
    for i, seconds in enumerate(line_seconds):
        if i:
            t += LINE_GAP
        starts.append(round(t, 6))
        t += seconds
    if duration is None:
        body_end = t + TAIL if line_seconds else cut_in + NO_DIALOGUE_SECONDS
        return Layout(tuple(starts), round(body_end + cut_out, 6), 0.0)
    overflow = round(max(t - (duration - cut_out), 0.0), 6) if line_seconds else 0.0
    return Layout(tuple(starts), duration, overflow)


def frames_for(seconds: float, fps: int) -> int:
    """Frame count of a span of ``seconds`` (at least one frame)."""
    return max(1, round(seconds * fps))


def min_frames(cut_in: float, cut_out: float, fps: int) -> int:
    """The fewest frames a shot may have: its transitions' frames (they may meet, leaving no body)."""
    return max(1, round(cut_in * fps) + round(cut_out * fps))
