"""A shot's text: ``@Trigger`` words bound and expanded, the style's prompt rendered."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import spec
from ..daytime import time_of_day
from ..film import ElementR
from ..templates import TemplateProblem
from .context import _hint
from .definitions import Definitions

TRIGGER = re.compile(r"@[A-Za-z][A-Za-z0-9_]*")


class Prompts(Definitions):
    def bind_action(self, path: tuple[str | int, ...], action: str
                    ) -> tuple[tuple[ElementR, ...], tuple[ElementR, ...], ElementR | None]:
        """Characters and props in order of first mention, and the first location mentioned."""
        characters: list[ElementR] = []
        props: list[ElementR] = []
        location: ElementR | None = None
        seen_count: dict[str, int] = {}
        for match in TRIGGER.finditer(action):
            word = match.group()
            nth = seen_count.get(word, 0)
            seen_count[word] = nth + 1
            name = self.triggers.get(word)
            if name is None:
                span = self.sub_span(self.span(*path, "action"), word, nth)
                self.error("E302", f"unknown element '{word}'", span, _hint(word, self.triggers, "triggers"),
                           name=word[1:])
                continue
            element = self.elements[name]
            if element.kind == "location":
                location = location or element
                continue
            bucket = characters if element.kind == "character" else props
            if element not in bucket:
                bucket.append(element)
        return tuple(characters), tuple(props), location

    def expand(self, action: str, inject: bool) -> str:
        """``@Luca`` -> ``Luca``, or with ``inject`` ``Luca (description)`` at the first mention."""
        done: set[str] = set()

        def sub(match: re.Match[str]) -> str:
            name = self.triggers.get(match.group())
            if name is None:
                return match.group()
            if inject and name not in done:
                done.add(name)
                return f"{name} ({self.p.elements[name].description})"
            return name

        return TRIGGER.sub(sub, action)

    def prompt(self, style_name: str | None, style: spec.Style | None, scene: spec.Scene, shot: spec.Shot, *,
               action_prompt: str, location: ElementR | None, characters: tuple[ElementR, ...],
               estimate: float) -> tuple[str, str]:
        if style is None or style_name is None:
            text = action_prompt
            if location is not None and location.name not in text:
                text = f"{text}, in {location.name} ({location.description})" if text else location.description
            light = time_of_day(scene.heading)  # a style's template has the heading; without one, say the light
            if light is not None and light not in text.lower():
                text = f"{text}, at {light}" if text else f"at {light}"
            return text, ""
        template = self.templates.get(style_name)
        if template is None:
            return action_prompt, style.negative
        variables: Mapping[str, Any] = {
            "action": action_prompt,
            "shot": {"id": shot.id, "type": shot.type,
                     "duration": shot.duration if shot.duration != "auto" else estimate,
                     "camera": {"move": shot.camera.move, "amount": shot.camera.amount}},
            "scene": {"id": scene.id, "heading": scene.heading or ""},
            "location": {"name": location.name, "description": location.description} if location else None,
            "characters": [{"name": c.name, "description": c.description} for c in characters],
            "project": {"title": self.p.project.title},
            "style": {"name": style_name},
        }
        try:
            return template.render(variables), style.negative
        except TemplateProblem as exc:
            self.template_error(style_name, exc)
            return action_prompt, style.negative
