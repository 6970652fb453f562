"""Fountain text -> a flat list of screenplay elements, in one linear pass.

Fountain (https://fountain.io) is plain text: a title page of ``Key: value`` lines, then scene
headings, action paragraphs, CHARACTER cues with parentheticals and dialogue, transitions, and
markup (notes ``[[...]]``, boneyard ``/* */``, sections ``#``, synopses ``=``, centred ``>x<``,
page breaks ``===``, lyrics ``~``, emphasis ``*`` and ``_``). This module only reads: what the
film does with each element is decided in ``importer`` and ``coverage``.

Every step is linear in the size of the script (no regular expression scans more than a bounded
window), so a 5 MB script reads in a fraction of a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .words import strip_markup

__all__ = ["Action", "Card", "Heading", "Note", "Part", "Script", "Section", "Speech", "Synopsis", "Transition",
           "read_script"]


@dataclass
class Heading:
    line: int
    text: str
    """Without the forcing '.', the scene number or emphasis marks."""
    number: str | None
    """The author's scene number (``#1A#`` -> '1A')."""
    forced: bool


@dataclass
class Action:
    first: int
    last: int
    text: str


@dataclass
class Card:
    """Text that is not a picture: centred text, THE END, a title card, lyrics outside a speech."""

    first: int
    last: int
    text: str
    kind: str
    """centred, end, title or lyrics."""


@dataclass
class Part:
    kind: str
    """paren, text or lyric."""
    text: str
    line: int


@dataclass
class Speech:
    line: int
    last: int
    cue: str
    """The name as written (emphasis stripped), without extensions, '@' or '^'."""
    extensions: list[str]
    dual: bool
    parts: list[Part] = field(default_factory=list)


@dataclass
class Transition:
    line: int
    text: str


@dataclass
class Section:
    line: int
    text: str


@dataclass
class Synopsis:
    line: int
    text: str


@dataclass
class Note:
    line: int
    text: str


Element = Heading | Action | Card | Speech | Transition | Section | Synopsis


@dataclass
class Script:
    title_page: list[tuple[str, str]]
    elements: list[Element]
    notes: list[Note]
    unclosed_boneyard: int | None
    """Line of a boneyard '/*' that is never closed (the rest of the script is dropped), if any."""


_HEADING = re.compile(r"(?:INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|INT|EXT|EST|I\.?\s*/\s*E|E\.?\s*/\s*I)(?:[.\s]|$)",
                      re.IGNORECASE)
_LEAD = (r"(?:FLASH\s*BACK|FLASH\s*FORWARD|DREAM(?:\s+SEQUENCE)?|FANTASY|MONTAGE|INTERCUT|BACK\s+TO\s+PRESENT"
         r"|(?:THE\s+)?PRESENT(?:\s+DAY)?)\s*(?:[-–—:]+\s*)")
_LED_HEADING = re.compile(_LEAD + _HEADING.pattern, re.IGNORECASE)
"""'FLASHBACK - INT. CONSERVATORY - DAY': a heading led by what kind of scene it is."""
_DIRECTION = re.compile(
    r"(?:BACK\s+TO\s+(?:THE\s+)?(?:PRESENT|SCENE|REALITY|NOW)|(?:END\s+(?:OF\s+)?)?(?:FLASH\s*BACK|FLASH\s*FORWARD"
    r"|DREAM(?:\s+SEQUENCE)?|FANTASY(?:\s+SEQUENCE)?|MONTAGE|INTERCUT|SERIES\s+OF\s+SHOTS|QUICK\s+CUTS|SEQUENCE)"
    r"|(?:INTERCUT|MONTAGE|SERIES\s+OF\s+SHOTS|QUICK\s+CUTS|FLASH\s*BACK|BEGIN\s+MONTAGE)\b[^.!?]{0,80}"
    r"|(?:A\s+(?:FEW\s+)?|SOME\s+|SEVERAL\s+|[0-9]+\s+)?(?:MOMENTS?|SECONDS?|MINUTES?|HOURS?|DAYS?|WEEKS?|MONTHS?"
    r"|YEARS?)\s+LATER|LATER|CONTINUOUS|SAME\s+TIME|PRESENT\s+DAY)[.:]?")
"""A paragraph in capitals that only says how the film is cut (BACK TO PRESENT, END FLASHBACK, INTERCUT -
PHONE CONVERSATION, MOMENTS LATER): not a picture, so it is kept as the next shot's notes."""
_SCENE_NUMBER = re.compile(r"\s*#([\w.\-]{1,20})#\s*$")
_TITLE_LINE = re.compile(r"([A-Za-z][A-Za-z0-9 _'-]{0,30}):(.*)")
_TITLE_KEYS = {"title", "credit", "author", "authors", "source", "draft date", "date", "contact", "notes",
               "copyright", "revision", "format", "episode", "series", "language", "draft", "contact info"}
_TRANSITION = re.compile(r"(?:FADE OUT|FADE TO BLACK|CUT TO BLACK|FADE IN|FADE OUT\s*:|FADE IN\s*:)[.:]?"
                         r"|.{0,60}\bTO:")
_EXTENSION = re.compile(r"\s*\(([^()]{0,40})\)")
_END = re.compile(r"(?:THE\s+END|END|FIN|END\s+OF\s+(?:FILM|MOVIE|SHOW|EPISODE))[.!]?", re.IGNORECASE)
_CARD_KEY = re.compile(r"(TITLE\s+CARD|TITLE\s+OVER|TITLE|SUPER(?:\s+OVER)?|SUPERIMPOSE|CHYRON|CAPTION|INTERTITLE"
                       r"|CARD)\s*:\s*(.*)", re.IGNORECASE)
_SENTENCE_END = "。.!?！？"
_LETTER = re.compile(r"[^\W\d_]")


def read_script(text: str) -> Script:
    """The elements of a Fountain script (newlines already normalised to '\\n')."""
    text, notes, unclosed = _take_out(text)
    lines = text.split("\n")
    title_page, start = _title_page(lines)
    body = _Body(lines)
    elements = body.read(start)
    return Script(title_page, elements, notes + body.notes, unclosed)


# --- boneyard and notes -------------------------------------------------------------------------------
def _take_out(text: str) -> tuple[str, list[Note], int | None]:
    """Boneyard removed (an unclosed one swallows the rest), notes taken out and remembered; the removed
    text is replaced by its newlines, so line numbers stay."""
    unclosed = None
    if "/*" in text:
        out, pos = [], 0
        while True:
            start = text.find("/*", pos)
            if start < 0:
                out.append(text[pos:])
                break
            end = text.find("*/", start + 2)
            out.append(text[pos:start])
            if end < 0:
                unclosed = text.count("\n", 0, start) + 1
                out.append("\n" * text.count("\n", start))
                break
            out.append("\n" * text.count("\n", start, end))
            pos = end + 2
        text = "".join(out)
    notes: list[Note] = []
    if "[[" not in text:
        return text, notes, unclosed
    out, pos, line, counted = [], 0, 1, 0
    close = blank = -1
    while True:
        start = text.find("[[", pos)
        if start < 0:
            break
        if close < start + 2:
            close = text.find("]]", start + 2)
        if close < 0:
            break
        if blank < start:
            blank = text.find("\n\n", start)
            if blank < 0:
                blank = len(text)
        if blank < close:  # a blank line ends a note that never closed before it: plain text
            pos = start + 2
            continue
        out.append(text[counted:start])
        line += text.count("\n", counted, start)
        body = text[start + 2:close]
        notes.append(Note(line, " ".join(body.split())))
        newlines = body.count("\n")
        out.append("\n" * newlines)
        line += newlines
        counted = pos = close + 2
    out.append(text[counted:])
    return "".join(out), notes, unclosed


# --- the title page -------------------------------------------------------------------------------------
def _title_page(lines: list[str]) -> tuple[list[tuple[str, str]], int]:
    """``Key: value`` lines at the very start (any keys, when the block reads like a title page:
    a known key, or two keys or more), with indented continuation lines."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    block: list[tuple[str, str]] = []
    known = False
    j = i
    while j < len(lines) and lines[j].strip():
        line = lines[j]
        match = _TITLE_LINE.fullmatch(line.strip()) if not line[:1].isspace() else None
        if match is not None:
            key = match.group(1).strip()
            known = known or key.lower() in _TITLE_KEYS
            block.append((key, strip_markup(match.group(2))))
        elif block and line[:1].isspace():
            key, value = block[-1]
            block[-1] = (key, (value + " " + strip_markup(line)).strip())
        else:
            return [], 0
        j += 1
    if not block or not (known or len(block) >= 2):
        return [], 0
    return block, j


# --- the body ---------------------------------------------------------------------------------------------
class _Body:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.out: list[Element] = []
        self.notes: list[Note] = []
        """Directions in capitals that are no picture (BACK TO PRESENT), kept as notes."""

    def blank(self, i: int) -> bool:
        return i < 0 or i >= len(self.lines) or not self.lines[i].strip()

    def read(self, i: int) -> list[Element]:
        lines, n = self.lines, len(self.lines)
        paragraph: list[tuple[int, str]] = []
        while i < n:
            s = lines[i].strip()
            if not s or (s.startswith("===") and not s.strip("=")):
                self.action(paragraph)
                i += 1
                continue
            kind = self.classify(i, s, not paragraph and self.blank(i - 1))
            if kind == "action":
                paragraph.append((i + 1, s))
                i += 1
                continue
            self.action(paragraph)
            if kind == "cue":
                i = self.speech(i)
                continue
            self.element(kind, i + 1, s)
            i += 1
        self.action(paragraph)
        return self.out

    def classify(self, i: int, s: str, blank_before: bool) -> str:
        if s.startswith("!") or (s.startswith(">") and s.endswith("<")) or s.startswith("~"):
            return "action"
        if s.startswith(".") and not s.startswith("..") and len(s) > 1:
            return "heading"
        if blank_before and (_HEADING.match(s) or _LED_HEADING.match(s)):
            return "heading"
        if s.startswith(">"):
            return "transition"
        if s.startswith("#"):
            return "section"
        if s.startswith("=") and not s.startswith("=="):
            return "synopsis"
        following_blank = self.blank(i + 1)
        if blank_before and following_blank and s.upper() == s and _TRANSITION.fullmatch(strip_markup(s)):
            return "transition"
        if blank_before and not following_blank and (s.startswith("@") or _looks_like_cue(s)):
            return "cue"
        return "action"

    def element(self, kind: str, line: int, s: str) -> None:
        if kind == "heading":
            heading = s[1:] if s.startswith(".") else s
            match = _SCENE_NUMBER.search(heading)
            number = match.group(1) if match else None
            if match:
                heading = heading[: match.start()]
            self.out.append(Heading(line, strip_markup(heading), number, s.startswith(".")))
        elif kind == "transition":
            self.out.append(Transition(line, strip_markup(s[1:] if s.startswith(">") else s)))
        elif kind == "section":
            text = strip_markup(s.lstrip("#"))
            if text:
                self.out.append(Section(line, text))
        elif kind == "synopsis":
            text = strip_markup(s[1:])
            if text:
                self.out.append(Synopsis(line, text))

    def action(self, paragraph: list[tuple[int, str]]) -> None:
        """An action paragraph; or the cards it holds: centred lines, lyrics, THE END, TITLE: ..."""
        if not paragraph:
            return
        first, last = paragraph[0][0], paragraph[-1][0]
        kinds = {_line_kind(s) for _, s in paragraph}
        texts = [_line_text(s) for _, s in paragraph]
        paragraph.clear()
        joined = " ".join(" ".join(t for t in texts if t).split())
        if not joined:
            return
        if kinds == {"centred"}:
            self.out.append(Card(first, last, joined, "end" if _END.fullmatch(joined) else "centred"))
        elif kinds == {"lyric"}:
            self.out.append(Card(first, last, joined, "lyrics"))
        elif _END.fullmatch(joined):
            self.out.append(Card(first, last, joined, "end"))
        elif first == last and joined.upper() == joined and _DIRECTION.fullmatch(joined):
            self.notes.append(Note(first, joined))
        elif (match := _CARD_KEY.fullmatch(joined)) is not None:
            if match.group(2).strip():  # 'TITLE OVER:' alone announces the card that follows: nothing to show
                self.out.append(Card(first, last, match.group(2).strip(), "title"))
        else:
            self.out.append(Action(first, last, joined))

    def speech(self, i: int) -> int:
        """A cue and its parentheticals and dialogue, up to a blank line; returns the next line index."""
        lines = self.lines
        raw = lines[i].strip()
        forced = raw.startswith("@")
        cue = raw[1:] if forced else raw
        dual = cue.endswith("^")
        cue = cue.rstrip("^").rstrip()
        extensions = [m.group(1) for m in _EXTENSION.finditer(cue)]
        name = strip_markup(_EXTENSION.sub("", cue)).strip()
        card = _CARD_KEY.fullmatch(name)
        speech = Speech(i + 1, i + 1, name, extensions, dual)
        i += 1
        while i < len(lines) and (lines[i].strip() or lines[i] == "  "):  # two spaces: a deliberate empty line
            s = lines[i].strip()
            speech.last = i + 1
            if s.startswith("(") and s.endswith(")"):
                speech.parts.append(Part("paren", s[1:-1].strip(), i + 1))
            elif s.startswith("~"):
                speech.parts.append(Part("lyric", strip_markup(s[1:]), i + 1))
            elif s:
                speech.parts.append(Part("text", strip_markup(s), i + 1))
            i += 1
        if card is not None and not forced and not extensions:  # "SUPER:" over the lines that follow
            text = " ".join([card.group(2).strip(), *(p.text for p in speech.parts)]).strip()
            self.out.append(Card(speech.line, speech.last, " ".join(text.split()), "title"))
        else:
            self.out.append(speech)
        return i


def _line_kind(s: str) -> str:
    if s.startswith(">") and s.endswith("<"):
        return "centred"
    if s.startswith("~"):
        return "lyric"
    return "action"


def _line_text(s: str) -> str:
    if s.startswith("!"):
        s = s[1:]
    elif s.startswith(">") and s.endswith("<"):
        s = s[1:-1]
    if s.startswith("~"):
        s = s[1:]
    return strip_markup(s)


def _looks_like_cue(s: str) -> bool:
    """A line in capitals (its extensions may be in any case): a character's cue. In a script without
    letter case (Han, Arabic, Hebrew ...), a short line that does not end a sentence."""
    if s.startswith("~"):
        return False
    name = _EXTENSION.sub("", s.rstrip("^").rstrip()).strip() if "(" in s else s.rstrip("^").rstrip()
    if not name or len(name) > 60 or name.upper() != name or _LETTER.search(name) is None:
        return False
    if name.lower() != name:  # it has capitals (and no small letters)
        return True
    return len(name) <= 24 and name[-1] not in _SENTENCE_END and len(name.split()) <= 4
