"""The light a scene heading names, for the renderer: 'EXT. HARBOUR - NIGHT' -> 'night'.

A picture only needs the light, so the many ways a heading says when (LATER, CONTINUOUS, THE NEXT
MORNING, DAY) reduce to night, dusk, dawn or None (daylight, or not said). Only the segments after
the place count ('INT. NIGHTCLUB - DAY' is daylight); a heading without a dash may end in the word
('EXT. BEACH NIGHT'). Scenes share one location element whatever their time of day (a Fountain import
makes one per place), so the time travels with the shot, not the location.
"""

from __future__ import annotations

import re

__all__ = ["TIMES", "time_of_day"]

TIMES: dict[str, str] = {
    **dict.fromkeys(("NIGHT", "MIDNIGHT", "LATE NIGHT", "THAT NIGHT", "LATER THAT NIGHT", "NEXT NIGHT",
                     "THE NEXT NIGHT", "NIGHTFALL", "NACHT", "NUIT", "NOCHE", "NOTTE", "NOITE", "NATT", "НОЧЬ"),
                    "night"),
    **dict.fromkeys(("DUSK", "SUNSET", "EVENING", "TWILIGHT", "MAGIC HOUR", "GOLDEN HOUR", "ABEND", "SOIR", "SERA",
                     "ВЕЧЕР"), "dusk"),
    **dict.fromkeys(("DAWN", "SUNRISE", "DAYBREAK", "PRE-DAWN", "PREDAWN", "FIRST LIGHT", "EARLY MORNING",
                     "РАССВЕТ"), "dawn"),
}
"""A heading's time words (in capitals) -> the light the renderer draws."""

_DASH = re.compile(r"\s+[-–—]+\s+|\s*[–—]\s*")
_NOISE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|[.,:;!]")


def _light(segment: str) -> str | None:
    return TIMES.get(" ".join(_NOISE.sub(" ", segment).upper().split()))


def time_of_day(heading: str | None) -> str | None:
    """'night', 'dusk' or 'dawn' when the heading says so, else None."""
    if not heading:
        return None
    segments = _DASH.split(heading.strip()[:500])
    for segment in reversed(segments[1:]):  # the last time segment wins: 'NIGHT - FLASHBACK' is night
        light = _light(segment)
        if light is not None:
            return light
    if len(segments) == 1:
        words = segments[0].split()
        for n in (2, 1):  # 'EXT. BEACH LATE NIGHT', 'EXT. BEACH NIGHT'
            if len(words) > n:
                light = _light(" ".join(words[-n:]))
                if light is not None:
                    return light
    return None
