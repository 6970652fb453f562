"""Scene headings read: ``INT. KITCHEN - NIGHT`` -> inside, the place's words, night.

A heading is ``[INT.|EXT.|INT./EXT.|I/E|EST.] PLACE [- PLACE...] [- TIME]``, the screenplay
convention. The time is the last dash-separated part when it is a time word; ``CONTINUOUS``,
``SAME``, ``LATER`` and ``MOMENTS LATER`` keep the time of the scene before (``resolve`` passes it
in). Anything else is the place, which renderers read for the backdrop. Nothing here fails: a
heading that follows no convention is all place, with neither inside/outside nor time known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .daytime import time_of_day

__all__ = ["CONTINUING", "TIMES", "Setting", "parse_heading"]

TIMES: dict[str, str] = {
    "DAY": "day", "DAYTIME": "day", "NOON": "day", "MIDDAY": "day", "AFTERNOON": "day", "LATE AFTERNOON": "dusk",
    "NIGHT": "night", "NIGHTTIME": "night", "MIDNIGHT": "night", "LATE NIGHT": "night",
    "DUSK": "dusk", "EVENING": "dusk", "SUNSET": "dusk", "TWILIGHT": "dusk", "MAGIC HOUR": "dusk",
    "DAWN": "dawn", "MORNING": "dawn", "EARLY MORNING": "dawn", "SUNRISE": "dawn", "DAYBREAK": "dawn",
}  # fmt: skip
"""Time words of a heading -> the four lightings (day, night, dusk, dawn)."""
CONTINUING = frozenset({"CONTINUOUS", "SAME", "SAME TIME", "LATER", "MOMENTS LATER", "A MOMENT LATER",
                        "CONTINUED", "SIMULTANEOUS"})
"""Time words that keep the previous scene's time."""

_PREFIX = re.compile(
    r"^\s*(INT\.?\s*/\s*EXT\.?|EXT\.?\s*/\s*INT\.?|I\s*/\s*E\.?|INT\.?|EXT\.?|EST\.?)(?=[\s.]|$)[\s.]*", re.IGNORECASE)


@dataclass(frozen=True)
class Setting:
    """Where and when a scene plays, as far as its heading says."""

    interior: bool | None
    """True inside, False outside, None when the heading does not say (or says both)."""
    time: str | None
    """day, night, dusk or dawn; None when neither the heading nor the scene before says."""
    place: str
    """The heading's place words, as written (``HIDDEN COVE``)."""

    def params(self) -> dict[str, Any]:
        return {"interior": self.interior, "time": self.time, "place": self.place}


def parse_heading(heading: str | None, previous_time: str | None = None) -> Setting:
    """The setting a heading states; ``previous_time`` is the time of the scene before (for CONTINUOUS)."""
    if not heading or not heading.strip():
        return Setting(None, None, "")
    text = heading.strip()
    interior: bool | None = None
    match = _PREFIX.match(text)
    if match:
        prefix = re.sub(r"[\s.]", "", match.group(1)).upper()
        interior = {"INT": True, "EXT": False, "EST": False}.get(prefix)  # INT/EXT, I/E: both, so unknown
        text = text[match.end():]
    parts = [p.strip() for p in re.split(r"\s+[-\u2013\u2014]+\s+|\s*[-\u2013\u2014]{2,}\s*", text) if p.strip()]
    time: str | None = None
    if parts:
        last = re.sub(r"\s+", " ", parts[-1].strip(" .")).upper()
        if last in TIMES:
            time, parts = TIMES[last], parts[:-1]
        elif last in CONTINUING:
            time, parts = previous_time, parts[:-1]
    if time is None:  # the wider vocabulary of compiler.daytime ('NIGHT - FLASHBACK', 'BEACH NIGHT', 'NACHT')
        time = time_of_day(heading)
    return Setting(interior, time, " - ".join(parts))
