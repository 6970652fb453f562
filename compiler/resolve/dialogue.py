"""Dialogue lines: characters and voices bound, emotions checked, speech estimated."""

from __future__ import annotations

from .. import spec
from ..film import KNOWN_EMOTIONS, LineR, VoiceR
from ..timing import estimate_speech, speaking_rate
from .context import _hint
from .definitions import Definitions


class Dialogue(Definitions):
    def line(self, shot_path: tuple[str | int, ...], k: int, line: spec.DialogueLine,
             speech: tuple[str, tuple[str | int, ...]]) -> LineR:
        path = (*shot_path, "dialogue", k)
        element = self.p.elements.get(line.character)
        if element is None or element.kind != "character":
            chars = [n for n, e in self.p.elements.items() if e.kind == "character"]
            if element is None:
                self.error("E301", f"unknown character '{line.character}' in dialogue", self.span(*path, "character"),
                           _hint(line.character, chars, "characters"), name=line.character)
            else:
                self.error("E308", f"'{line.character}' is a {element.kind}, not a character",
                           self.span(*path, "character"), name=line.character)
        if not line.line.strip():
            self.error("E309", "empty dialogue line", self.span(*path, "line"),
                       "write what the character says, or remove the line")
        voice_name = line.voice or (element.voice if element is not None else None)
        voice: VoiceR | None = None
        if voice_name is not None:
            voice = self.voice(voice_name, (*path, "voice") if line.voice else ("elements", line.character, "voice"))
        elif element is not None and element.kind == "character":
            if line.character not in self.voiceless:
                self.voiceless.add(line.character)
                self.warn("W310", f"character '{line.character}' has no voice; using the default voice",
                          self.span("elements", line.character, key=True), "add 'voice:' to the character")
            voice = self.default_voice(*speech)
        if voice is None:
            voice = self.default_voice(*speech)
        emotion = line.emotion.strip().lower().replace(" ", "_") if line.emotion else None
        if emotion and emotion not in KNOWN_EMOTIONS and emotion not in voice.emotions:
            self.warn("W301", f"unknown emotion '{line.emotion}'; it will sound neutral", self.span(*path, "emotion"),
                      _hint(emotion, sorted(KNOWN_EMOTIONS | set(voice.emotions)), "emotions"))
        rate = speaking_rate(voice.rate, emotion, voice.emotions)
        return LineR(k + 1, line.character, line.line, emotion, voice, estimate_speech(line.line, rate, voice.variant),
                     line.off_screen)
