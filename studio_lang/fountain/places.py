"""Scene headings read as places: 'INT. LUCA'S HOUSE - KITCHEN - NIGHT' is the place LUCA'S HOUSE -
KITCHEN, seen from inside, at night. One location element per place, shared by every INT/EXT and
time-of-day variant of it."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Place", "read_heading"]

_PREFIX = re.compile(
    r"(?P<p>INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|I\.?\s*/\s*E|E\.?\s*/\s*I|INT|EXT|EST)\.?(?:\s+|$)", re.IGNORECASE)
_TIMES = {
    "DAY", "NIGHT", "MORNING", "AFTERNOON", "EVENING", "DUSK", "DAWN", "SUNSET", "SUNRISE", "NOON", "MIDNIGHT",
    "TWILIGHT", "LATER", "MOMENTS LATER", "A MOMENT LATER", "SECONDS LATER", "MINUTES LATER", "HOURS LATER",
    "CONTINUOUS", "CONT", "CONT'D", "SAME", "SAME TIME", "SIMULTANEOUS", "FLASHBACK", "PRESENT", "PRESENT DAY",
    "MAGIC HOUR", "GOLDEN HOUR", "LATE NIGHT", "EARLY MORNING", "LATE AFTERNOON", "PRE-DAWN", "DAYBREAK",
    "NIGHTFALL", "THAT NIGHT", "NEXT DAY", "THE NEXT DAY", "NEXT MORNING", "THE NEXT MORNING", "LATER THAT DAY",
    "LATER THAT NIGHT", "DREAM", "FANTASY", "MONTAGE", "SERIES OF SHOTS", "INTERCUT",
    "MOVING", "TRAVELING", "TRAVELLING", "PARKED", "STATIONARY",
    "TAG", "NACHT", "ABEND", "MORGEN", "JOUR", "NUIT", "SOIR", "MATIN", "DÍA", "DIA", "NOCHE", "TARDE", "GIORNO",
    "NOTTE", "SERA", "DAG", "NAT", "NATT", "NOITE", "ДЕНЬ", "НОЧЬ", "ВЕЧЕР", "УТРО", "РАССВЕТ",
    "FIRST LIGHT", "PREDAWN", "NEXT NIGHT", "THE NEXT NIGHT",
}
"""Segments that say when, not where (a test holds compiler.daytime's light words among them)."""
_LEAD = re.compile(r"(?:FLASH\s*BACK|FLASH\s*FORWARD|DREAM(?:\s+SEQUENCE)?|FANTASY|MONTAGE|INTERCUT"
                   r"|BACK\s+TO\s+PRESENT|(?:THE\s+)?PRESENT(?:\s+DAY)?)\s*[-–—:]+\s*", re.IGNORECASE)
"""What may lead a heading: 'FLASHBACK - INT. CONSERVATORY - DAY' (the reader's _LEAD)."""
_DASH = re.compile(r"\s+[-–—]+\s+|\s*[–—]\s*|\s+-$")
_PARENS = re.compile(r"\s*(?:\([^()]*\)|\[[^\[\]]*\])")
_YEAR = re.compile(r"(?:(?:IN\s+)?(?:1[0-9]|20)[0-9]{2}S?|[0-9]{1,2}:[0-9]{2}\s*(?:AM|PM)?)")


@dataclass(frozen=True)
class Place:
    key: str
    """What makes two headings one place: the place words in capitals, single-spaced."""
    words: str
    """The place as written (first spelling seen)."""
    side: str | None
    """interior, exterior, both (INT./EXT.), or None (no prefix)."""
    time: str | None
    """The heading's time of day (DAY, NIGHT, CONTINUOUS ...), as written."""


def _is_time(segment: str) -> bool:
    word = " ".join(_PARENS.sub("", segment).upper().replace(".", "").split())
    return bool(word) and (word in _TIMES or _YEAR.fullmatch(word) is not None
                           or all(part.strip() in _TIMES for part in word.split("/")))


def read_heading(heading: str) -> Place | None:
    """The place a heading names, or None when it names none (a forced heading without INT/EXT, say)."""
    heading = heading.strip()
    match = _PREFIX.match(heading)
    if match is None and (lead := _LEAD.match(heading)) is not None:  # 'FLASHBACK - INT. CONSERVATORY - DAY'
        heading = heading[lead.end():]
        match = _PREFIX.match(heading)
    if match is None:
        return None
    prefix = match.group("p").upper().replace(" ", "").replace(".", "")
    side = {"INT": "interior", "EXT": "exterior", "EST": "exterior"}.get(prefix, "both")
    rest = heading[match.end():]
    segments = [s for s in _DASH.split(rest) if s is not None]
    time = None
    while len(segments) > 1 and _is_time(segments[-1]):
        time = segments.pop().strip() if time is None else f"{segments.pop().strip()} - {time}"
    place = " - ".join(s.strip() for s in segments if s.strip())
    words = place.split()
    if time is None and len(words) > 1 and _is_time(words[-1]):  # 'EXT. BEACH DAY'
        time, place = words[-1], " ".join(words[:-1])
    place = _PARENS.sub("", place).strip(" ,.-–—")
    if not place:
        return None
    key = " ".join(re.sub(r"[^\w' ]+", " ", place.upper().replace("’", "'")).split())
    if not key:
        return None
    return Place(key, " ".join(place.split()), side, time)
