"""``studio new --from FILE``: a free-form treatment or outline, read for its structure.

What the author fixed stays fixed, and is not left to a model: the order of the scenes (one per
scene heading, ``INT.``/``EXT.`` lines, or else one per paragraph), their headings as written, the
places the headings name, and the characters' names (words written in capitals, as screenplays
introduce people, or capitalised words that recur mid-sentence), in order of first appearance.
The model then writes what the treatment leaves open, with those names as the only choices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_BYTES", "Section", "Treatment", "read_treatment"]

MAX_BYTES = 256 * 1024
MAX_SCENES = 24
MAX_NAMES = 8
_HEADING = re.compile(r"^\s*(?:\d+[.)]\s*)?((?:INT|EXT|EST|INT\./EXT|I/E)\.?\s+.+?)\s*$", re.IGNORECASE)
_CAPS = re.compile(r"\b([A-Z]{2,16}(?:[ \t]+[A-Z]{2,16})*)\b")
_WORD = re.compile(r"\b([A-Z][a-z]{2,15})\b")
_TIME = re.compile(r"\s*-\s*(DAY|NIGHT|MORNING|EVENING|DAWN|DUSK|CONTINUOUS|LATER|AFTERNOON).*$", re.IGNORECASE)
_NOT_NAMES = frozenset("""
The A An And But Or So Then When While After Before As At In On Of To For With From By Into Over Under Out Up Down
He She They It We You I His Her Their Its Our Your My This That These Those There Here What Who Why How Where Now
Later Meanwhile Suddenly Finally Outside Inside Night Day Morning Evening Scene Act End Fade Cut Int Ext Continuous
Everyone Someone Nobody Nothing Everything One Two Three Mr Mrs Ms Dr Yes No Oh Okay Hello Goodbye
""".split())
_CAPS_NOT_NAMES = frozenset({"INT", "EXT", "EST", "DAY", "NIGHT", "CUT", "FADE", "TO", "IN", "OUT", "OS", "VO",
                             "THE", "AND", "CONTINUOUS", "LATER", "MORNING", "EVENING", "DAWN", "DUSK", "SCENE",
                             "AFTERNOON", "END", "TV", "OK", "I", "A"})


@dataclass(frozen=True)
class Section:
    heading: str | None
    """The scene heading as the author wrote it (upper case), or None for a paragraph."""
    place: str | None
    """The location the heading names, as an element name (``HIDDEN COVE`` -> ``HiddenCove``)."""
    text: str


@dataclass(frozen=True)
class Treatment:
    title: str | None
    sections: tuple[Section, ...]
    names: tuple[str, ...]
    """Characters' names in order of first appearance."""
    text: str


def _place(heading: str) -> str | None:
    body = re.sub(r"^(?:INT\./EXT|I/E|INT|EXT|EST)\.?\s+", "", heading, flags=re.IGNORECASE)
    body = _TIME.sub("", body)
    words = re.findall(r"[A-Za-z]+", body)[:4]
    name = "".join(w.capitalize() for w in words)
    return name[:32] if len(name) >= 3 else None


def _sections(text: str) -> list[Section]:
    lines = text.split("\n")
    if any(_HEADING.match(line) for line in lines):
        out: list[Section] = []
        heading: str | None = None
        body: list[str] = []
        for line in lines:
            match = _HEADING.match(line)
            if match:
                if heading is not None or " ".join(body).strip():
                    out.append(Section(heading, _place(heading) if heading else None, " ".join(body).strip()))
                heading, body = match.group(1).upper(), []
            else:
                body.append(line.strip())
        out.append(Section(heading, _place(heading) if heading else None, " ".join(body).strip()))
        return [s for s in out if s.heading or s.text]
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [Section(None, None, p) for p in paragraphs]


def _names(text: str, places: set[str]) -> list[str]:
    """Words in capitals (the last of a run: OLD TOM -> Tom), and capitalised words written at least
    twice, outside scene headings, in order of first appearance."""
    body = "\n".join(line for line in text.split("\n") if not _HEADING.match(line))
    first: dict[str, int] = {}
    for match in _CAPS.finditer(body):
        word = match.group(1).split()[-1]
        if word not in _CAPS_NOT_NAMES:
            first.setdefault(word.capitalize(), match.start())
    counts: dict[str, list[int]] = {}
    for match in _WORD.finditer(body):
        if match.group(1) not in _NOT_NAMES:
            counts.setdefault(match.group(1), []).append(match.start())
    for word, at in counts.items():
        if len(at) >= 2:
            first[word] = min(first.get(word, at[0]), at[0])
    names = [n for n in sorted(first, key=first.__getitem__) if n not in places]
    return names[:MAX_NAMES]


def read_treatment(text: str) -> Treatment:
    """The structure of a treatment (at most ``MAX_SCENES`` scenes, ``MAX_NAMES`` names)."""
    text = text.replace("\r\n", "\n").strip()
    lines = text.split("\n")
    title = None
    if len(lines) > 2 and not lines[1].strip() and 0 < len(lines[0]) <= 60 and not _HEADING.match(lines[0]) \
            and not lines[0].rstrip().endswith("."):
        title = lines[0].strip().strip("#").strip() or None
        text = "\n".join(lines[2:])
    sections = _sections(text)[:MAX_SCENES]
    places = {s.place for s in sections if s.place}
    return Treatment(title, tuple(sections), tuple(_names(text, places)), text)
