"""Fountain screenplays -> project data (``studio import``); docs/fountain.md is the user's guide.

The steps: ``decode_script`` turns bytes into text (UTF-8; Windows-1252/Latin-1 or UTF-16 with a
warning); ``reader`` splits it into elements; this module groups them into scenes, finds the cast
(``cast``: introductions, voices), the places (``places``: one location element per place), the
language (``language``), cuts each scene into shots (``coverage``), links names in action text to
``@Triggers``, gives every scene and shot a stable id, and lays out the project's data in the
format's key order. Every step is linear in the script's size; the result checks clean.

Ids: a scene's is the author's scene number when there is one (``#1A#`` -> ``1a-int-house-day``),
else its heading's slug (``-2``, ``-3`` for a repeated heading). A shot's comes from its content:
the first words of its action (or of its speaker and line, or of its card), never its position; a
second shot with the same words gets a short digest of its content. So inserting or deleting a
paragraph re-keys only the shots it touches.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, Span
from ..dsl.vocab import FIELD_ORDER
from ..source import SourceFile
from .cast import Character, assign_voices, find_introductions, unique_name
from .coverage import COVERAGE_MODES, Shot, cover_scene
from .language import detect_language
from .names import camel_name, cue_key, name_case, trie_pattern
from .places import Place, read_heading
from .reader import Action, Card, Heading, Section, Speech, Synopsis, Transition, read_script
from .words import EMOTION_DELTAS, clamp, directives, slug, spell_out_at

__all__ = ["COVERAGE_MODES", "MAX_SCRIPT_BYTES", "decode_script", "import_fountain"]

MAX_SCRIPT_BYTES = 32 * 1024 * 1024
"""Largest script imported (a feature film is about 200 KB)."""
MAX_SCENES = 10_000
MAX_SHOTS = 10_000
_LIMITS = {"action": 5000, "line": 5000, "heading": 500, "card": 500, "title": 200, "element": 2000}
_ARTICLES = {"the", "a", "an"}
_SHOT_ORDER = FIELD_ORDER["shot"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_JOINT = re.compile(r"\s*(?:,|&|/|\band\b|\bAND\b)\s*")
_NEWLINES = re.compile(r"\r\n?|[\x0c\x85\u2028\u2029]")


def _sentences(parts: list[str]) -> str:
    out = ""
    for part in parts:
        part = part.strip()
        if part:
            out = f"{out}{'' if not out or out.endswith(('.', '!', '?', '…', ':')) else '.'} {part}".strip()
    return out


# --- bytes -> text --------------------------------------------------------------------------------------
def decode_script(data: bytes, name: str, path: Path | None = None) -> tuple[SourceFile | None, list[Diagnostic]]:
    """The script's text: UTF-8 (a BOM is skipped); UTF-16 with a BOM; else Windows-1252 (or Latin-1
    when it has bytes Windows-1252 leaves undefined), with a warning naming the encoding. Binary data
    (NUL bytes in 8-bit text) is refused. Line ends (CR LF, CR alone, form feed, Unicode separators)
    become '\\n'; other control characters are dropped."""
    diagnostics: list[Diagnostic] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None, [Diagnostic.error("E120", f"'{name}' starts like UTF-16 but is not UTF-16 text",
                                           Span.point(name), "save the script as UTF-8")]
        diagnostics.append(Diagnostic.warning("W123", f"'{name}' is UTF-16 text, read as such", Span.point(name),
                                              "save the script as UTF-8"))
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if b"\x00" in data:
                return None, [_binary(name)]
            prefix = data[: exc.start].decode("utf-8", errors="replace")
            line = prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n") + 1
            undefined = any(b in data for b in (0x81, 0x8D, 0x8F, 0x90, 0x9D))
            c1 = any(0x80 <= b <= 0x9F for b in data)
            encoding, label = ("latin-1", "Latin-1 (ISO-8859-1)") if undefined or not c1 else ("cp1252", "Windows-1252")
            text = data.decode(encoding)
            diagnostics.append(Diagnostic.warning(
                "W123", f"'{name}' is not UTF-8 (byte 0x{data[exc.start]:02x}); read as {label}",
                Span.point(name, line), "save the script as UTF-8 to be sure every character reads as meant"))
    if "\x00" in text:
        return None, [_binary(name)]
    text = _CONTROL.sub("", _NEWLINES.sub("\n", text))
    return SourceFile(name, text, path), diagnostics


def _binary(name: str) -> Diagnostic:
    return Diagnostic.error("E120", f"'{name}' is not a text file (it contains NUL bytes)", Span.point(name),
                            "pass a Fountain screenplay: plain text, preferably UTF-8")


# --- the import ---------------------------------------------------------------------------------------
@dataclass
class _Scene:
    line: int
    heading: Heading | None = None
    place: Place | None = None
    description: list[str] = field(default_factory=list)
    units: list[Action | Card | Speech | Transition] = field(default_factory=list)
    shots: list[Shot] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def import_fountain(source: SourceFile, title: str = "Untitled", coverage: str = "auto"
                    ) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The project a Fountain screenplay describes, and diagnostics: warnings about what could not be
    kept, or errors (the script exceeds what the format holds) when no project can be written."""
    if coverage not in COVERAGE_MODES:
        raise ValueError(f"coverage must be one of {', '.join(COVERAGE_MODES)}")
    return _Importer(source, title, coverage).run()


class _Importer:
    def __init__(self, source: SourceFile, title: str, coverage: str) -> None:
        self.source = source
        self.fallback_title = title
        self.coverage = coverage
        self.diagnostics: list[Diagnostic] = []
        self.scenes: list[_Scene] = []
        self.characters: dict[str, Character] = {}
        self.title_page: list[tuple[str, str]] = []
        self.mention: re.Pattern[str] | None = None
        self.forms: dict[str, str] = {}
        self.said_by: dict[int, list[Character]] = {}
        """Speakers per speech (by identity: the script's elements live as long as the import)."""
        self.cues: set[str] = set()
        """Every cue's key, for telling 'EDWARD AND WILL' from 'BEAUTY AND THE BEAST'."""
        self.names: set[str] = set()
        """Element names given (characters, then locations)."""
        self.counters: dict[str, int] = {}

    def warn(self, code: str, message: str, line: int, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic.warning(code, message, Span.point(self.source.name, line), hint))

    def run(self) -> tuple[dict[str, Any], list[Diagnostic]]:
        script = read_script(self.source.text)
        if script.unclosed_boneyard is not None:
            self.warn("W120", "this boneyard '/*' is never closed: the rest of the script is not imported",
                      script.unclosed_boneyard, "close it with '*/'")
        self.title_page = script.title_page
        self.group(script.elements)
        find_introductions((u.text for s in self.scenes for u in s.units if isinstance(u, Action)), self.characters)
        self.build_mentions()
        self.cover()
        self.apply_notes(script.notes)
        if len(self.scenes) > MAX_SCENES or any(len(s.shots) > MAX_SHOTS for s in self.scenes):
            self.diagnostics.append(Diagnostic.error(
                "E121", f"the script makes more than {MAX_SCENES:,} scenes or a scene of more than {MAX_SHOTS:,} "
                "shots, more than a project holds", Span.point(self.source.name),
                "split the script into several files and import each"))
        return self.project(), self.diagnostics

    # --- scenes and cast -------------------------------------------------------------------------------
    def group(self, elements: list[Any]) -> None:
        self.cues = {cue_key(e.cue) for e in elements if isinstance(e, Speech)}
        pending: list[str] = []
        for element in elements:
            if isinstance(element, Heading):
                scene = _Scene(element.line, element, read_heading(element.text), pending)
                pending = []
                self.scenes.append(scene)
            elif isinstance(element, Section):
                pending.append(element.text)
            elif isinstance(element, Synopsis):
                if self.scenes and not pending:
                    self.scenes[-1].description.append(element.text)
                else:
                    pending.append(element.text)
            else:
                if isinstance(element, Transition) and not self.scenes:
                    continue  # FADE IN: before anything: the film starts there anyway
                if not self.scenes:
                    line = element.line if isinstance(element, (Speech, Transition)) else element.first
                    self.scenes.append(_Scene(line, description=pending))
                    pending = []
                if isinstance(element, Speech):
                    self.speakers(element)
                self.scenes[-1].units.append(element)
        if pending:
            if self.scenes:
                self.scenes[-1].description.extend(pending)
            else:
                self.scenes.append(_Scene(1, description=pending))

    def speakers(self, speech: Speech) -> list[Character]:
        """Who says a speech: its cue's character, or each of 'EDWARD AND WILL' / 'ANNA & BO' / 'A, B AND C'
        when every one of them has a cue of their own somewhere in the script."""
        known = self.said_by.get(id(speech))
        if known is None:
            known = self.said_by[id(speech)] = self.find_speakers(speech)
        return known

    def find_speakers(self, speech: Speech) -> list[Character]:
        parts = [p for p in _JOINT.split(speech.cue) if p.strip()] if _JOINT.search(speech.cue) else []
        if len(parts) > 1 and all(cue_key(p) in self.cues for p in parts):
            found: list[Character] = []
            for part in parts:
                character = self.character_for(part, speech.line)
                if all(c is not character for c in found):
                    found.append(character)
            return found
        return [self.character_for(speech.cue, speech.line)]

    def character_for(self, cue: str, line: int) -> Character:
        key = cue_key(cue) or "someone"
        found = self.characters.get(key)
        if found is not None:
            return found
        display = " ".join(cue.split()).strip(" .:,;") or "Someone"
        if any(c.isupper() or c.islower() for c in display):
            display = name_case(display)
        name = unique_name(camel_name(display) or "Character", self.names, self.counters)
        character = Character(key, name, display, name.lower(), first_line=line)
        self.characters[key] = character
        return character

    def build_mentions(self) -> None:
        for c in self.characters.values():
            forms = {c.display, c.display.upper(), c.name}
            if c.introduction is not None:
                forms |= {c.introduction.full_name, c.introduction.full_name.upper()}
            for form in forms:
                if len(form.strip()) >= 2 and form not in self.forms:
                    self.forms[form] = c.name
        if self.forms:
            self.mention = re.compile(rf"(?<![\w@])(?:{trie_pattern(list(self.forms))})(?!\w)")

    def mentions(self, text: str) -> list[str]:
        if self.mention is None:
            return []
        return list(dict.fromkeys(self.forms[m.group()] for m in self.mention.finditer(text)))

    def link(self, text: str) -> str:
        if self.mention is None:
            return text
        return self.mention.sub(lambda m: "@" + self.forms[m.group()], text)

    # --- shots ---------------------------------------------------------------------------------------
    def cover(self) -> None:
        seen: set[str] = set()
        previous: Shot | None = None
        for scene in self.scenes:
            first_visit = scene.place is not None and scene.place.key not in seen
            if scene.place is not None:
                seen.add(scene.place.key)
            scene.shots = cover_scene(
                scene.units, speakers=self.speakers, mentions=self.mentions,
                place=scene.place.words if scene.place else None, first_visit=first_visit,
                coverage=self.coverage, previous=previous)
            if not scene.shots:  # a heading and nothing under it: the place itself
                text = scene.heading.text if scene.heading is not None and scene.heading.text else "an empty stage"
                kind = None if self.coverage == "none" else "establishing" if first_visit else "wide"
                scene.shots = [Shot("action", scene.line, scene.line, action=text, id_text=text, type=kind)]
            previous = scene.shots[-1]

    def apply_notes(self, notes: list[Any]) -> None:
        """Each note goes to the shot whose lines hold it, else the next shot, else the last; a note that
        reads like directives ('shot: wide, camera: dolly_in') sets them, any other is kept as notes."""
        shots = [shot for scene in self.scenes for shot in scene.shots]
        if not shots:
            return
        k = 0
        for note in sorted(notes, key=lambda n: n.line):
            if not note.text:
                continue
            while k < len(shots) - 1 and shots[k].last < note.line:
                k += 1
            target = shots[k]
            settings = directives(note.text)
            if settings is None:
                target.notes.append(note.text)
            else:
                target.settings.update(settings)

    # --- the project ---------------------------------------------------------------------------------
    def project(self) -> dict[str, Any]:
        if not any(s.units for s in self.scenes) and all(s.heading is None for s in self.scenes):
            self.warn("W121", "the script has no scenes, action or dialogue; the project holds one empty shot", 1,
                      "add a scene heading and some action")
            if not self.scenes:
                self.scenes.append(_Scene(1))
            for scene in self.scenes:
                if not scene.shots:
                    scene.shots = [Shot("action", 1, 1, action="an empty stage", id_text="empty stage")]
        characters = sorted(self.characters.values(), key=lambda c: (c.first_line, c.name))
        dialogue: list[str] = []
        for scene in self.scenes:
            for shot in scene.shots:
                dialogue.extend(line["line"] for line in shot.lines[:50])
        declared = next((v for k, v in self.title_page if k.lower() == "language"), None)
        language = detect_language(" ".join(dialogue[:20_000]), self.source.text[:200_000], declared)
        if declared is not None and language != declared.strip().lower().replace("_", "-"):
            self.warn("W124", f"the title page's language '{declared}' is not a language code eSpeak NG speaks; "
                      f"the dialogue reads as '{language}'", 1, "write a code such as 'de', 'fr' or 'pt-br'")
        locations = self.locations()
        scenes = self.scene_data(locations)
        settings: dict[str, Any] = {"title": self.title()}
        rest = [f"{k}: {v}" for k, v in self.title_page if k.lower() not in ("title", "language") and v]
        if rest:
            settings["description"] = "; ".join(rest)
        if language != "en":
            settings["language"] = language
        project: dict[str, Any] = {"studio": 1, "project": settings}
        if characters:
            project["voices"] = self.voices(characters, language)
        elements: dict[str, Any] = {}
        for c in characters:
            description = c.introduction.description() if c.introduction is not None else c.display
            known = description.casefold()
            if c.introduction is not None and not all(w in known for w in c.display.casefold().split()):
                description = f"{c.display}: {description}"
            elements[c.name] = {"kind": "character", "description": clamp(description, _LIMITS["element"]),
                                "voice": c.voice}
        for name, (place, sides) in locations.items():
            words = place.words[:1].upper() + place.words[1:].lower() if place.words.isupper() else place.words
            side = " and ".join(s for s in ("interior", "exterior") if s in sides)
            description = f"{words} ({side})" if side else words
            elements[name] = {"kind": "location", "description": clamp(description, _LIMITS["element"])}
        if elements:
            project["elements"] = elements
        project["scenes"] = scenes
        return project

    def title(self) -> str:
        title = next((v for k, v in reversed(self.title_page) if k.lower() == "title"), "")
        title = " ".join(title.split()) or " ".join(self.fallback_title.split()) or "Untitled"
        return clamp(title, _LIMITS["title"])

    def voices(self, characters: list[Character], language: str) -> dict[str, Any]:
        together = []
        for scene in self.scenes:
            names = {line["character"] for shot in scene.shots for line in shot.lines}
            together.append(names)
        chosen = assign_voices(characters, together)
        used: dict[str, set[str]] = {}
        for scene in self.scenes:
            for shot in scene.shots:
                for line in shot.lines:
                    if line.get("emotion") in EMOTION_DELTAS:
                        used.setdefault(line["character"], set()).add(line["emotion"])
        voices: dict[str, Any] = {}
        for c in characters:
            settings = chosen[c.name]
            voice: dict[str, Any] = {}
            if language != "en":
                voice["language"] = language
            voice.update(variant=settings["variant"], pitch=settings["pitch"], rate=settings["rate"])
            extra = sorted(used.get(c.name, ()))
            if extra:
                voice["emotions"] = {e: dict(EMOTION_DELTAS[e]) for e in extra}
            voice["description"] = settings["description"]
            voices[c.voice] = voice
        return voices

    def locations(self) -> dict[str, tuple[Place, set[str]]]:
        """One location element per place; each scene learns its element's name."""
        by_key: dict[str, str] = {}
        out: dict[str, tuple[Place, set[str]]] = {}
        for scene in self.scenes:
            place = scene.place
            if place is None:
                continue
            name = by_key.get(place.key)
            if name is None:
                base = camel_name(place.words) or "Place"
                if base in self.names:  # a character has the name: 'KITCHEN' speaks
                    base = f"{base[:58]}Place"
                name = unique_name(base, self.names, self.counters)
                by_key[place.key] = name
                out[name] = (place, set())
            sides = out[name][1]
            if place.side == "both":
                sides.update(("interior", "exterior"))
            elif place.side is not None:
                sides.add(place.side)
            scene.data["location"] = name
        return out

    def scene_data(self, locations: dict[str, tuple[Place, set[str]]]) -> list[dict[str, Any]]:
        ids: set[str] = set()
        repeats: dict[str, int] = {}
        triggers = {f"@{c.name}" for c in self.characters.values()}
        out = []
        for scene in self.scenes:
            heading = scene.heading
            text = " ".join(heading.text.split()) if heading is not None else ""  # one line: no tabs
            if len(text) > _LIMITS["heading"]:
                self.warn("W122", "scene heading longer than 500 characters; shortened", scene.line)
                text = clamp(text, _LIMITS["heading"])
            base = slug(text, 56) or ("opening" if heading is None else "scene")
            if heading is not None and heading.number:
                number = slug(heading.number, 12) or "scene"
                base = f"{number}-{slug(text, 50)}".strip("-") if slug(text, 50) else number
            ident = base
            while ident in ids:  # a repeated heading: -2, -3 ... (counted per base, not searched)
                repeats[base] = repeats.get(base, 1) + 1
                ident = f"{base}-{repeats[base]}"
            ids.add(ident)
            data: dict[str, Any] = {"id": ident}
            if text:
                data["heading"] = text
            if scene.description:
                data["description"] = "; ".join(scene.description)
            if "location" in scene.data:
                data["location"] = scene.data["location"]
            data["shots"] = self.shot_data(scene, triggers)
            out.append(data)
        return out

    def shot_data(self, scene: _Scene, triggers: set[str]) -> list[dict[str, Any]]:
        shots = []
        for shot in scene.shots:
            data: dict[str, Any] = {"id": ""}
            if shot.type and shot.type != "medium":
                data["type"] = shot.type
            if shot.kind == "card" and not shot.lines:
                words = len((shot.card or "").split())
                seconds = min(8.0, max(2.0, round((1.5 + words / 3) * 2) / 2))  # reading time, half seconds
                data["duration"] = int(seconds) if seconds.is_integer() else seconds
            action = _sentences([shot.action, *shot.directions])
            if action:
                action = spell_out_at(self.link(action), triggers)
                if len(action) > _LIMITS["action"]:
                    self.warn("W122", "action longer than 5000 characters; shortened", shot.first)
                    action = clamp(action, _LIMITS["action"])
                data["action"] = action
            if shot.camera:
                data["camera"] = {"move": shot.camera}
            if shot.card:
                data["card"] = clamp(shot.card, _LIMITS["card"])
            if shot.lines:
                data["dialogue"] = [self.line(line, shot.first) for line in shot.lines]
            if shot.transition:
                data["transition"] = {"type": shot.transition}
            for key, value in shot.settings.items():
                data[key] = value
            if data.get("type") == "medium":
                del data["type"]
            if shot.notes:
                data["notes"] = "; ".join(shot.notes)
            shots.append((shot, {k: data[k] for k in _SHOT_ORDER if k in data}))
        self.assign_ids(shots)
        return [data for _, data in shots]

    def line(self, line: dict[str, Any], first: int) -> dict[str, Any]:
        if len(line["line"]) > _LIMITS["line"]:
            self.warn("W122", "dialogue longer than 5000 characters; shortened", first)
            line = {**line, "line": clamp(line["line"], _LIMITS["line"])}
        return line

    @staticmethod
    def assign_ids(shots: list[tuple[Shot, dict[str, Any]]]) -> None:
        used: set[str] = set()
        repeats: dict[str, int] = {}
        for shot, data in shots:
            words = slug(shot.id_text[:400].replace("@", " "), 200).split("-")
            while len(words) > 1 and words[0] in _ARTICLES:
                words = words[1:]
            base = slug(" ".join(words[:5]), 40) or "shot"
            ident = base
            if ident in used:
                # Told apart by what the writer wrote for this shot, never by what coverage derived
                # from its neighbours (who a line is spoken to): a line inserted before a run of one
                # speaker's lines would otherwise rename every shot of the run.
                hashed = ident = f"{base}-{hashlib.sha1(shot.id_text.encode()).hexdigest()[:4]}"
                while ident in used:  # the same content again: told apart by order (counted, not searched)
                    repeats[hashed] = repeats.get(hashed, 1) + 1
                    ident = f"{hashed}-{repeats[hashed]}"
            used.add(ident)
            data["id"] = ident
