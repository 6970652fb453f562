"""Coverage: a scene's action, speeches and cards cut into shots the way a director would.

The rule (docs/fountain.md says it for users):

- every action paragraph is a shot; the first speech after it plays in that shot;
- every other speech opens a shot of its own (a cut per speaker change), and a shot holds at most
  ``MAX_LINES`` lines (a long speech continues in a close-up); a dialogue text of more than 60
  words is split into lines at sentence ends first;
- an off-screen (O.S.) or voice-over (V.O.) speech plays over the shot before it while that has
  room, else over a shot of the people listening;
- dual dialogue (``^``) plays in the shot of the speech it answers;
- shot types: a scene opens on an establishing shot the first time the film visits its place and
  on a wide shot after that; an action that begins with a framing (CLOSE ON, INSERT, ANGLE ON, WIDE,
  POV ...) takes it; an action that names nobody is an insert when short (12 words or fewer, no
  camera move) and a wide shot otherwise; three people or more: wide; else medium. A speech shot is an
  over-the-shoulder shot of the speaker when someone else spoke before it, a close-up when its first
  line is short (8 words or fewer), intimate (whisper, tender, sad, scared, shy, nervous) or continues
  a long speech, and a medium shot otherwise;
- camera moves come from the action's words (CAMERA_WORDS);
- cards (centred text, THE END, title cards, lyrics) are shots of their own with no picture.

Each choice depends only on the unit itself and the one before it, so inserting or deleting a
paragraph changes only the shots next to it (the stable-ids property test holds this).
With ``coverage="none"`` every action paragraph is one shot, speeches join the shot before them
(up to the format's 200 lines) and nothing else is chosen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .cast import Character
from .reader import Action, Card, Speech, Transition
from .words import off_screen, parenthetical

__all__ = ["CAMERA_WORDS", "COVERAGE_MODES", "MAX_LINES", "Shot", "cover_scene"]

MAX_LINES = 4
"""Most dialogue lines in one shot when coverage is on."""
MAX_FORMAT_LINES = 200
"""Most dialogue lines the format allows in one shot."""
COVERAGE_MODES = ("auto", "none")
_LONG_WORDS = 60
_PIECE_WORDS = 40
_INTIMATE = {"whisper", "tender", "sad", "scared", "shy", "nervous"}

CAMERA_WORDS: tuple[tuple[str, str], ...] = (
    (r"(?:(?:camera|we|it) )?pans? (?:to the )?left", "pan_left"),
    (r"(?:(?:camera|we|it) )?pans? (?:to the )?right|pans? (?:across|over|along|with|to)\b|(?:camera|we|it) pans?\b",
     "pan_right"),
    (r"tilts? up|looks? up at|cranes? up", "tilt_up"),
    (r"tilts? down|looks? down at|cranes? down", "tilt_down"),
    (r"zooms? in|snap zoom|zooms? (?:on|into)", "zoom_in"),
    (r"zooms? out", "zoom_out"),
    (r"pulls? (?:back|out|away)|dolly out|backs? away|(?:camera|we) retreats?|recedes", "dolly_out"),
    (r"moves? (?:in )?(?:toward|towards|closer)|push(?:es)? in|dolly in|creeps? (?:toward|towards|closer)"
     r"|(?:camera|we) (?:moves? in|approach(?:es)?)|closer and closer", "dolly_in"),
    (r"(?:ground|floor|room|walls?|house|building|earth|camera|everything) (?:shakes|trembles|quakes|rumbles)"
     r"|earthquake|explosion|explodes|camera shake|handheld", "shake"),
)
"""Action words (regular expressions, case-insensitive, first match in the text wins) -> camera move."""
_CAMERA_STEMS = ("pan", "tilt", "look", "crane", "zoom", "pull", "dolly", "back", "retreat", "recede", "move",
                 "push", "creep", "approach", "closer", "shake", "tremble", "explo", "quake", "rumble", "handheld")
"""Every CAMERA_WORDS pattern contains one of these: a text without any is not searched."""
_CAMERA = re.compile("|".join(f"(?P<m{n}>\\b(?:{p}))" for n, (p, _) in enumerate(CAMERA_WORDS)), re.IGNORECASE)

_FRAMINGS: tuple[tuple[str, str], ...] = (
    (r"extreme close[ -]?up|extreme close on|ecu|xcu", "extreme_close_up"),
    (r"close[ -]?up(?: on)?|close on|closeup|cu|tight on", "close_up"),
    (r"insert|detail", "insert"),
    (r"over the shoulder|ots", "over_the_shoulder"),
    (r"(?:[\w'’. ]{1,30}'s )?pov|point of view", "pov"),
    (r"establishing(?: shot)?|aerial(?: shot)?|extreme wide", "establishing"),
    (r"wide(?: shot| on)?|long shot|full shot", "wide"),
    (r"angle on|medium(?: shot)?|two[ -]shot|mid shot", "medium"),
)
"""Framings an action may begin with (followed by ':', '-', ' on' or a space) -> shot type."""
_FRAMING = re.compile(r"\s*(?:" + "|".join(f"(?P<f{n}>{p})" for n, (p, _) in enumerate(_FRAMINGS))
                      + r")(?=\s*(?:[:\-–—]|$|\s))", re.IGNORECASE)


@dataclass
class Shot:
    kind: str
    """action, speech or card."""
    first: int
    last: int
    action: str = ""
    type: str | None = None
    camera: str | None = None
    card: str | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    directions: list[str] = field(default_factory=list)
    transition: str | None = None
    id_text: str = ""
    """The words the shot's id derives from."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Directives from notes (type, camera, duration, transition) and notes; applied last."""
    notes: list[str] = field(default_factory=list)


def camera_move(text: str) -> str | None:
    lower = text.lower()
    if not any(stem in lower for stem in _CAMERA_STEMS):
        return None
    match = _CAMERA.search(text)
    if match is None or match.lastgroup is None:
        return None
    return CAMERA_WORDS[int(match.lastgroup[1:])][1]


def framing(text: str) -> str | None:
    match = _FRAMING.match(text)
    if match is None or match.lastgroup is None:
        return None
    return _FRAMINGS[int(match.lastgroup[1:])][1]


def _pieces(text: str) -> list[str]:
    """A long dialogue text cut at sentence ends into pieces of about ``_PIECE_WORDS`` words."""
    if len(text.split()) <= _LONG_WORDS:
        return [text]
    sentences = re.split(r"(?<=[.!?…])\s+", text)
    pieces: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and len(" ".join([*current, sentence]).split()) > _PIECE_WORDS:
            pieces.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return pieces


@dataclass
class _Line:
    entry: dict[str, Any]
    directions: list[str]


def speech_lines(speech: Speech, character: Character, split_long: bool) -> list[_Line]:
    """The dialogue lines of a speech: a parenthetical starts a new line with its emotion (from the
    lexicon) and leaves the rest of its words as a stage direction."""
    mark = off_screen(speech.extensions)
    out: list[_Line] = []
    words: list[str] = []
    emotion: str | None = None
    directions: list[str] = []

    def flush() -> None:
        nonlocal directions
        text = " ".join(" ".join(words).split())
        words.clear()
        if not text:
            return
        for piece in (_pieces(text) if split_long else [text]):
            entry: dict[str, Any] = {"character": character.name, "line": piece}
            if emotion:
                entry["emotion"] = emotion
            if mark:
                entry["off_screen"] = mark
            out.append(_Line(entry, directions))
            directions = []

    for part in speech.parts:
        if part.kind == "paren":
            flush()
            found, direction = parenthetical(part.text)
            emotion = found if found is not None else emotion if direction is None else None
            if direction:
                directions.append(direction)
        else:
            words.append(part.text)
    flush()
    if directions and out:
        out[-1].directions.extend(directions)
    return out


def direct(shot: Shot, character: Character, directions: list[str]) -> None:
    """Stage directions from parentheticals: on the speaker's own shot they continue its action
    ('@Luca speaks, turning away'); elsewhere they are a sentence of their own."""
    for direction in directions:
        if shot.kind == "speech" and shot.action.startswith(f"@{character.name} speaks"):
            shot.action += f", {direction}"
        else:
            shot.directions.append(f"@{character.name}, {direction}")


class _Coverer:
    def __init__(self, mentions: Callable[[str], list[str]], place: str | None, first_visit: bool,
                 auto: bool) -> None:
        self.mentions = mentions
        self.place = place
        self.first_visit = first_visit
        self.auto = auto
        self.limit = MAX_LINES if auto else MAX_FORMAT_LINES
        self.shots: list[Shot] = []
        self.open: Shot | None = None
        """An action shot whose first speech has not come yet."""
        self.last_speaker: str | None = None
        self.present: list[str] = []
        """Characters seen in the scene so far, most recent last."""

    def see(self, names: list[str]) -> None:
        for name in names:
            if name in self.present:
                self.present.remove(name)
            self.present.append(name)

    def action(self, unit: Action) -> None:
        names = self.mentions(unit.text)
        shot = Shot("action", unit.first, unit.last, action=unit.text, id_text=unit.text)
        if self.auto:
            shot.type = self.action_type(unit.text, names)
            shot.camera = camera_move(unit.text)
        self.shots.append(shot)
        self.open = shot
        self.see(names)
        self.last_speaker = None

    def action_type(self, text: str, names: list[str]) -> str:
        framed = framing(text)
        if framed is not None:
            return framed
        if not self.shots:
            return "establishing" if self.first_visit and self.place else "wide"
        if not names:
            return "insert" if len(text.split()) <= 12 and camera_move(text) is None else "wide"
        return "wide" if len(names) >= 3 else "medium"

    def card(self, unit: Card) -> None:
        shot = Shot("card", unit.first, unit.last, card=unit.text, id_text=f"card {unit.text}")
        self.shots.append(shot)
        self.open = None

    def transition(self, unit: Transition, fallback: Shot | None) -> None:
        word = unit.text.upper()
        kind = "dissolve" if "DISSOLVE" in word else "fade" if "FADE" in word else "wipe" if "WIPE" in word else "cut"
        target = self.shots[-1] if self.shots else fallback
        if target is not None:
            target.transition = None if kind == "cut" else kind
        self.open = None

    def speech(self, unit: Speech, characters: list[Character]) -> None:
        character = characters[0]
        lines = speech_lines(unit, character, split_long=self.auto)
        if len(characters) > 1:  # 'EDWARD AND WILL': each says every line, one after the other
            lines = [_Line({**line.entry, "character": c.name}, line.directions if c is character else [])
                     for line in lines for c in characters]
        if not lines:
            return
        off = "off_screen" in lines[0].entry
        if not self.auto:
            self.plain_speech(unit, character, lines)
            return
        target: Shot | None = None
        if self.open is not None:
            target = self.open
        elif (off or unit.dual) and self.shots and self.shots[-1].kind != "card" \
                and len(self.shots[-1].lines) + len(lines) <= self.limit:
            target = self.shots[-1]
            if unit.dual and target.kind == "speech":  # both at once: a two-shot
                first_speaker = target.lines[0]["character"] if target.lines else None
                if first_speaker and first_speaker != character.name and target.action.startswith(f"@{first_speaker} "):
                    target.type, target.action = "medium", f"@{first_speaker} and @{character.name} speak"
        self.open = None
        first = True
        while lines:
            room = self.limit - len(target.lines) if target is not None else 0
            if target is None or room <= 0:
                target = self.speech_shot(unit, character, lines[0], continuing=not first, off=off)
                room = self.limit
                if len(characters) > 1 and not off:
                    target.type, target.action = "medium", " and ".join(f"@{c.name}" for c in characters) + " speak"
            chunk, lines = lines[:room], lines[room:]
            for line in chunk:
                target.lines.append(line.entry)
                if not off:  # an unseen speaker's gestures cannot be seen
                    direct(target, character, line.directions)
            target.last = max(target.last, unit.last)
            first = False
            target = None
        if not off:
            self.see([c.name for c in characters])
            self.last_speaker = character.name

    def speech_shot(self, unit: Speech, character: Character, line: _Line, *, continuing: bool,
                    off: bool) -> Shot:
        text = line.entry["line"]
        listener = next((n for n in reversed(self.present) if n != character.name), None)
        shot = Shot("speech", unit.line, unit.last, id_text=f"{character.display} {text}")
        if off:
            shot.type = "medium"
            shot.action = f"@{listener} listens" if listener else (self.place or "an empty room").lower()
        elif continuing:
            shot.type = "close_up"
            shot.action = f"@{character.name} speaks"
        else:
            intimate = line.entry.get("emotion") in _INTIMATE or len(text.split()) <= 8
            if intimate:
                shot.type = "close_up"
                shot.action = f"@{character.name} speaks"
            elif listener is not None and self.last_speaker is not None and self.last_speaker != character.name:
                shot.type = "over_the_shoulder"
                shot.action = f"@{character.name} speaks to @{listener}"
            else:
                shot.type = "medium"
                shot.action = f"@{character.name} speaks" + (f" to @{listener}" if listener else "")
        self.shots.append(shot)
        return shot

    def plain_speech(self, unit: Speech, character: Character, lines: list[_Line]) -> None:
        """Coverage off: lines join the shot before them, up to the format's limit."""
        for line in lines:
            target = self.shots[-1] if self.shots and self.shots[-1].kind != "card" else None
            if target is None or len(target.lines) >= self.limit:
                target = Shot("speech", unit.line, unit.last, action=f"@{character.name} speaks",
                              id_text=f"{character.display} {line.entry['line']}")
                self.shots.append(target)
            target.lines.append(line.entry)
            if "off_screen" not in line.entry:
                direct(target, character, line.directions)
            target.last = max(target.last, unit.last)
        self.open = None


def cover_scene(units: list[Action | Card | Speech | Transition], *, speakers: Callable[[Speech], list[Character]],
                mentions: Callable[[str], list[str]],
                place: str | None, first_visit: bool, coverage: str, previous: Shot | None) -> list[Shot]:
    """The shots of one scene. ``speakers`` names the characters of a speech, ``mentions`` the characters
    an action names (element names, in order); ``previous`` is the film's last shot before this scene
    (a transition before the scene's first shot applies to it)."""
    coverer = _Coverer(mentions, place, first_visit, coverage == "auto")
    for unit in units:
        if isinstance(unit, Action):
            coverer.action(unit)
        elif isinstance(unit, Card):
            coverer.card(unit)
        elif isinstance(unit, Transition):
            coverer.transition(unit, previous)
        else:
            coverer.speech(unit, speakers(unit))
    return coverer.shots
