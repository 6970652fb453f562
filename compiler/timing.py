"""Shot timing: where dialogue lines fall in a shot, and how long an ``auto`` shot is.

The compiler estimates speech length from the text so that ``studio plan`` can show a film
length; the runtime calls the same layout with the real speech durations once speech exists.
Both go through ``layout`` so estimate and truth cannot disagree about the rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["LEAD_IN", "LINE_GAP", "NO_DIALOGUE_SECONDS", "TAIL", "Layout", "estimate_speech", "frames_for", "layout"]

LEAD_IN = 0.25
"""Seconds of picture before the first line."""
LINE_GAP = 0.3
"""Seconds between two lines."""
TAIL = 0.6
"""Seconds of breathing room after the last line of an ``auto`` shot."""
NO_DIALOGUE_SECONDS = 3.0
"""Length of an ``auto`` shot without dialogue."""

_WORD = re.compile(r"\w+", re.UNICODE)
_PAUSE = re.compile(r"[,;:\u2014\u2013]|\.\.\.|[.!?](?=\s)")


@dataclass(frozen=True)
class Layout:
    starts: tuple[float, ...]
    """Start of each line, seconds from the shot start."""
    duration: float
    """Shot length in seconds (explicit, or settled from the lines)."""
    overflow: float
    """Seconds of speech that do not fit an explicit duration (0 when it fits)."""


def estimate_speech(text: str, rate_wpm: int) -> float:
    """Rough spoken length of ``text`` at ``rate_wpm`` words per minute (eSpeak's scale)."""
    words = len(_WORD.findall(text)) or 1
    pauses = len(_PAUSE.findall(text))
    return round(words * 60.0 / max(rate_wpm, 1) + 0.18 * pauses + 0.15, 3)


def layout(line_seconds: Sequence[float], duration: float | None) -> Layout:
    """Place lines one after the other from ``LEAD_IN``; ``duration=None`` means ``auto``."""
    starts = []
    t = LEAD_IN
    for i, seconds in enumerate(line_seconds):
        if i:
            t += LINE_GAP
        starts.append(round(t, 6))
        t += seconds
    if duration is None:
        total = round(t + TAIL, 6) if line_seconds else NO_DIALOGUE_SECONDS
        return Layout(tuple(starts), total, 0.0)
    return Layout(tuple(starts), duration, round(max(t - duration, 0.0), 6) if line_seconds else 0.0)


def frames_for(seconds: float, fps: int) -> int:
    """Frame count of a span of ``seconds`` (at least one frame)."""
    return max(1, round(seconds * fps))
