"""Fountain screenplays -> project data (``studio import``).

Fountain (https://fountain.io) is plain text: a title page of ``Key: value`` lines, then scene
headings, action paragraphs, CHARACTER cues with parentheticals and dialogue, transitions, and
markup (notes ``[[...]]``, boneyard ``/* */``, sections ``#``, synopses ``=``, centred ``>x<``,
page breaks ``===``, lyrics ``~``, emphasis ``*`` and ``_``). This module reads it into the plain
data of a project that checks clean; what the film does with it:

- title page -> ``project.title`` and ``project.description`` (the other keys, "Key: value; ...");
- scene headings (INT./EXT./EST./I/E, forced ``.``) -> scenes, id = slug of the heading (-2, -3 for
  repeats); sections and synopses -> the scene's ``description``;
- each action paragraph -> a shot ``shot-1``, ``shot-2``... of its scene; a character's name in the
  action (as in the cue, or capitalised) becomes their ``@Trigger``, so prompts describe them;
- dialogue -> lines of the shot it follows (a speech before any action opens a shot of its own);
  cue extensions (V.O., O.S., CONT'D), forced ``@`` cues and dual dialogue ``^`` are understood;
- each speaking character -> a character element with a voice of its own (distinct pitches);
- parentheticals -> ``emotion``: a known emotion word where one fits (whispering -> whisper),
  else the text itself, defined as a neutral emotion of that voice so that nothing warns;
- transitions (``CUT TO:``, forced ``>``) -> the transition out of the shot before: DISSOLVE ->
  dissolve, FADE -> fade, WIPE -> wipe, else cut;
- notes that read like directives (``[[shot: wide, camera: dolly_in, duration: 3]]``) set the
  shot's type, camera, duration or transition; other notes become the shot's ``notes``;
- boneyard text is never imported; centred text, page breaks, lyrics marks and emphasis are
  stripped to their words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Diagnostic, Span
from ..source import SourceFile
from .words import KNOWN_EMOTIONS, directives, emotion_word, spell_out_at, strip_markup

__all__ = ["import_fountain"]

_TITLE_KEYS = {"title", "credit", "author", "authors", "source", "draft date", "date", "contact", "notes",
               "copyright", "revision", "format", "episode"}
_PITCHES = (50, 35, 65, 25, 75, 42, 58, 30, 70, 46, 54, 20, 80, 38, 62)

_HEADING = re.compile(r"(?:INT\.?/EXT|I/E|INT|EXT|EST)(?:[.\s]|$)", re.IGNORECASE)
_SCENE_NUMBER = re.compile(r"\s*#[\w.\-]+#\s*$")
_TITLE_LINE = re.compile(r"([A-Za-z][A-Za-z ]*):(.*)")
_TRANSITION_WORDS = re.compile(r"(?:FADE OUT\.?|FADE TO BLACK\.?|CUT TO BLACK\.?|FADE IN:|.*\bTO:)")
_EXTENSION = re.compile(r"\s*\([^)]*\)")
_NOTE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_BONEYARD = re.compile(r"/\*.*?\*/", re.DOTALL)
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class _Shot:
    data: dict[str, Any]
    first_line: int
    last_line: int


@dataclass
class _Scene:
    data: dict[str, Any]
    shots: list[_Shot] = field(default_factory=list)
    line: int = 0


@dataclass
class _Character:
    name: str
    display: str
    voice: str
    emotions: list[str] = field(default_factory=list)


def _one_line(text: str) -> str:
    """One line without control characters: what the format accepts as a title or a heading."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", text).split())


def import_fountain(source: SourceFile, title: str = "Untitled") -> tuple[dict[str, Any], list[Diagnostic]]:
    """The project a Fountain screenplay describes, and warnings about what could not be kept."""
    return _Importer(source, title).run()


def _blank_out(match: re.Match[str]) -> str:
    """The matched text replaced by as many newlines as it held, so that line numbers stay."""
    return "\n" * match.group().count("\n")


class _Importer:
    def __init__(self, source: SourceFile, title: str) -> None:
        self.source = source
        self.fallback_title = title
        self.diagnostics: list[Diagnostic] = []
        self.scenes: list[_Scene] = []
        self.ids: set[str] = set()
        self.characters: dict[str, _Character] = {}
        self.pending: list[str] = []
        self.notes: list[tuple[int, str]] = []
        self.title_page: dict[str, str] = {}
        self.title_order: list[str] = []

    # --- text -----------------------------------------------------------------------------------
    def warn(self, code: str, message: str, line: int, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic.warning(code, message, Span.point(self.source.name, line), hint))

    def clean(self, text: str) -> str:
        """Boneyard removed (an unclosed one swallows the rest), notes taken out and remembered."""
        text = _BONEYARD.sub(_blank_out, text)
        start = text.find("/*")
        if start >= 0:
            line = text.count("\n", 0, start) + 1
            self.warn("W120", "this boneyard '/*' is never closed: the rest of the script is not imported", line,
                      "close it with '*/'")
            text = text[:start] + "\n" * text.count("\n", start)

        def note(match: re.Match[str]) -> str:
            self.notes.append((text.count("\n", 0, match.start()) + 1, " ".join(match.group(1).split())))
            return _blank_out(match)

        return _NOTE.sub(note, text)

    # --- reading -------------------------------------------------------------------------------
    def run(self) -> tuple[dict[str, Any], list[Diagnostic]]:
        lines = self.clean(self.source.text.replace("\r", "")).split("\n")
        start = self.read_title_page(lines)
        self.read_body(lines, start)
        return self.project(), self.diagnostics

    def read_title_page(self, lines: list[str]) -> int:
        i = 0
        while i < len(lines) and not lines[i].strip():
            i += 1
        match = _TITLE_LINE.fullmatch(lines[i].strip()) if i < len(lines) else None
        if match is None or match.group(1).strip().lower() not in _TITLE_KEYS:
            return 0
        key = None
        while i < len(lines) and lines[i].strip():
            line = lines[i]
            match = _TITLE_LINE.fullmatch(line.strip())
            if match is not None and not line[:1].isspace():
                key = match.group(1).strip()
                self.title_order.append(key)
                self.title_page[key] = strip_markup(match.group(2))
            elif key is not None:
                value = strip_markup(line)
                self.title_page[key] = (self.title_page[key] + " " + value).strip()
            i += 1
        return i

    def read_body(self, lines: list[str], i: int) -> None:
        blank_before = True
        action: list[tuple[int, str]] = []
        n = len(lines)
        while i < n:
            raw = lines[i].rstrip()
            s = raw.strip()
            number = i + 1
            following_blank = i + 1 >= n or not lines[i + 1].strip()
            if not s or re.fullmatch(r"={3,}", s):
                self.flush_action(action)
                blank_before = True
                i += 1
                continue
            kind = self.classify(s, blank_before, following_blank)
            if kind != "action":
                self.flush_action(action)
            if kind == "heading":
                heading = s[1:] if s.startswith(".") else s
                self.scene(_SCENE_NUMBER.sub("", strip_markup(heading)), number)
            elif kind == "transition":
                self.transition(s[1:] if s.startswith(">") else s)
            elif kind == "section":
                text = strip_markup(s.lstrip("#"))
                if text:
                    self.pending.append(text)
            elif kind == "synopsis":
                text = strip_markup(s[1:])
                if text:
                    self.synopsis(text)
            elif kind == "cue":
                i = self.speech(lines, i)
                blank_before = False
                continue
            else:
                action.append((number, self.action_text(s)))
            blank_before = False
            i += 1
        self.flush_action(action)

    def classify(self, s: str, blank_before: bool, following_blank: bool) -> str:
        if s.startswith("!") or (s.startswith(">") and s.endswith("<")):
            return "action"
        if s.startswith(".") and not s.startswith(".."):
            return "heading"
        if blank_before and _HEADING.match(s):
            return "heading"
        if s.startswith(">") and not s.endswith("<"):
            return "transition"
        if s.startswith("#"):
            return "section"
        if s.startswith("=") and not s.startswith("=="):
            return "synopsis"
        if blank_before and following_blank and s.upper() == s and _TRANSITION_WORDS.fullmatch(s):
            return "transition"
        if blank_before and not following_blank and (s.startswith("@") or self.looks_like_cue(s)):
            return "cue"
        return "action"

    @staticmethod
    def looks_like_cue(s: str) -> bool:
        name = _EXTENSION.sub("", s.rstrip("^").rstrip()).strip()
        return bool(name) and name.upper() == name and any(c.isalpha() for c in name) and not s.startswith("~")

    def action_text(self, s: str) -> str:
        if s.startswith("!"):
            s = s[1:]
        elif s.startswith(">") and s.endswith("<"):
            s = s[1:-1]
        if s.startswith("~"):
            s = s[1:]
        return strip_markup(s)

    def speech(self, lines: list[str], i: int) -> int:
        """A cue and its parentheticals and dialogue, up to a blank line; returns the next line index."""
        cue_line = i + 1
        cue = lines[i].strip()
        display = _EXTENSION.sub("", cue.lstrip("@").rstrip("^").rstrip()).strip()
        character = self.character(strip_markup(display) or "Someone")
        emotion: str | None = None
        words: list[str] = []
        last = cue_line
        i += 1
        while i < len(lines) and (lines[i].strip() or lines[i] == "  "):  # two spaces: a deliberate empty line
            s = lines[i].strip()
            last = i + 1
            if s.startswith("(") and s.endswith(")"):
                if words:
                    self.line(character, " ".join(words), emotion, cue_line, last)
                    words = []
                emotion = self.emotion(character, s[1:-1])
            elif s:
                words.append(strip_markup(s[1:] if s.startswith("~") else s))
            i += 1
        if words:
            self.line(character, " ".join(w for w in words if w), emotion, cue_line, last)
        return i

    # --- building ------------------------------------------------------------------------------
    def scene(self, heading: str, line: int) -> _Scene:
        heading = _one_line(heading) or "SCENE"
        if len(heading) > 500:
            self.warn("W122", "scene heading longer than 500 characters; shortened", line)
            heading = heading[:500].rstrip()
        ident = self.unique_id(heading)
        data: dict[str, Any] = {"id": ident, "heading": heading}
        if self.pending:
            data["description"] = "; ".join(self.pending)
            self.pending = []
        scene = _Scene(data, line=line)
        self.scenes.append(scene)
        return scene

    def unique_id(self, heading: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode().lower()
        base = _SLUG.sub("-", ascii_text).strip("-")[:56].strip("-") or "scene"
        ident, k = base, 1
        while ident in self.ids:
            k += 1
            ident = f"{base}-{k}"
        self.ids.add(ident)
        return ident

    def current_scene(self, line: int) -> _Scene:
        if not self.scenes:
            scene = _Scene({"id": self.unique_id("opening")}, line=line)
            if self.pending:
                scene.data["description"] = "; ".join(self.pending)
                self.pending = []
            self.scenes.append(scene)
        return self.scenes[-1]

    def synopsis(self, text: str) -> None:
        """A synopsis describes the section it follows (kept for the next scene), else its scene."""
        if self.scenes and not self.pending:
            data = self.scenes[-1].data
            data["description"] = f"{data['description']}; {text}" if "description" in data else text
        else:
            self.pending.append(text)

    def new_shot(self, scene: _Scene, action: str, first: int, last: int) -> _Shot:
        shot = _Shot({"id": f"shot-{len(scene.shots) + 1}", "action": action}, first, last)
        scene.shots.append(shot)
        return shot

    def flush_action(self, action: list[tuple[int, str]]) -> None:
        if not action:
            return
        text = " ".join(" ".join(t for _, t in action).split())
        first, last = action[0][0], action[-1][0]
        action.clear()
        if not text:
            return
        if len(text) > 5000:
            self.warn("W122", "action paragraph longer than 5000 characters; shortened", first)
            text = text[:5000].rstrip()
        self.new_shot(self.current_scene(first), text, first, last)

    def transition(self, text: str) -> None:
        word = text.upper()
        kind = "dissolve" if "DISSOLVE" in word else "fade" if "FADE" in word else "wipe" if "WIPE" in word else "cut"
        for scene in reversed(self.scenes):
            if scene.shots:
                if kind == "cut":
                    scene.shots[-1].data.pop("transition", None)
                else:
                    scene.shots[-1].data["transition"] = {"type": kind}
                return

    def character(self, display: str) -> _Character:
        key = " ".join(display.upper().split())
        found = self.characters.get(key)
        if found is not None:
            return found
        ascii_name = unicodedata.normalize("NFKD", display).encode("ascii", "ignore").decode()
        parts = [p for p in re.split(r"[^A-Za-z0-9]+", ascii_name) if p]
        name = "".join(p[:1].upper() + p[1:].lower() for p in parts)[:40]
        if not name or not name[0].isalpha():
            name = f"Character{name}"[:40] if name else f"Character{len(self.characters) + 1}"
        taken = {c.name for c in self.characters.values()}
        base, k = name, 1
        while name in taken:
            k += 1
            name = f"{base}{k}"
        voices = {c.voice for c in self.characters.values()}
        voice = name.lower()
        while voice in voices:
            voice += "_"
        pretty = " ".join(w[:1].upper() + w[1:].lower() for w in display.split()) or name
        character = _Character(name, pretty, voice)
        self.characters[key] = character
        return character

    def emotion(self, character: _Character, text: str) -> str | None:
        word = emotion_word(text)
        if word is not None and word not in KNOWN_EMOTIONS and word not in character.emotions:
            character.emotions.append(word)  # defined as a neutral emotion of the voice: no warning
        return word

    def line(self, character: _Character, text: str, emotion: str | None, first: int, last: int) -> None:
        text = " ".join(text.split())
        if not text:
            return
        if len(text) > 5000:
            self.warn("W122", "dialogue longer than 5000 characters; shortened", first)
            text = text[:5000].rstrip()
        scene = self.current_scene(first)
        if not scene.shots:
            self.new_shot(scene, f"@{character.name} speaks", first, last)
        shot = scene.shots[-1]
        shot.last_line = max(shot.last_line, last)
        line: dict[str, Any] = {"character": character.name, "line": text}
        if emotion:
            line["emotion"] = emotion
        shot.data.setdefault("dialogue", []).append(line)

    # --- the project -----------------------------------------------------------------------------
    def project(self) -> dict[str, Any]:
        if not any(scene.shots for scene in self.scenes) and not self.scenes:
            self.warn("W121", "the script has no scenes, action or dialogue; the project holds one empty shot", 1,
                      "add a scene heading and some action")
        if not self.scenes:
            self.current_scene(1)
        for scene in self.scenes:
            if not scene.shots:
                self.new_shot(scene, scene.data.get("heading") or "an empty stage", scene.line, scene.line)
        if self.pending:
            data = self.scenes[-1].data
            data["description"] = "; ".join([*([data["description"]] if "description" in data else []),
                                             *self.pending])
        self.apply_notes()
        self.link_triggers()
        settings: dict[str, Any] = {"title": self.title()}
        rest = [f"{k}: {self.title_page[k]}" for k in self.title_order if k.lower() != "title" and self.title_page[k]]
        if rest:
            settings["description"] = "; ".join(rest)
        project: dict[str, Any] = {"studio": 1, "project": settings}
        characters = list(self.characters.values())
        if characters:
            voices = {}
            for k, c in enumerate(characters):
                voice: dict[str, Any] = {"pitch": _PITCHES[k % len(_PITCHES)]}
                if c.emotions:
                    voice["emotions"] = {e: {} for e in c.emotions}
                voices[c.voice] = voice
            project["voices"] = voices
            project["elements"] = {c.name: {"kind": "character", "description": c.display[:2000], "voice": c.voice}
                                   for c in characters}
        project["scenes"] = [{**scene.data, "shots": [shot.data for shot in scene.shots]} for scene in self.scenes]
        return project

    def title(self) -> str:
        title = ""
        for key in self.title_order:
            if key.lower() == "title":
                title = self.title_page[key]
        title = _one_line(title) or _one_line(self.fallback_title) or "Untitled"
        return title[:200]

    def apply_notes(self) -> None:
        shots = [(scene, shot) for scene in self.scenes for shot in scene.shots]
        for line, text in self.notes:
            target = next((shot for _, shot in shots if shot.first_line <= line <= shot.last_line), None)
            if target is None:
                target = next((shot for _, shot in shots if shot.first_line > line), None)
            if target is None:
                target = shots[-1][1] if shots else None
            if target is None or not text:
                continue
            settings = directives(text)
            if settings is None:
                notes = target.data.get("notes")
                target.data["notes"] = f"{notes}; {text}" if notes else text
            else:
                target.data.update(settings)

    def link_triggers(self) -> None:
        """Names in action text become @Triggers; any other '@word' is spelt out (it would be unknown)."""
        forms = []
        for c in self.characters.values():
            for form in {c.display.upper(), c.display, c.name}:
                if form.strip():
                    forms.append((form, c.name))
        forms.sort(key=lambda f: -len(f[0]))
        pattern = re.compile("|".join(rf"(?<![\w@]){re.escape(f)}(?!\w)" for f, _ in forms)) if forms else None
        names = dict(forms)
        triggers = {f"@{c.name}" for c in self.characters.values()}
        for scene in self.scenes:
            for shot in scene.shots:
                action = spell_out_at(shot.data["action"], triggers)
                if pattern is not None:
                    action = pattern.sub(lambda m: "@" + names[m.group()], action)
                shot.data["action"] = action
