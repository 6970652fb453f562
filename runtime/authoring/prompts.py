"""What the model is told in each phase of a draft, and in a repair round.

Short and concrete. A remote model is shown an example of each answer (it may not honour the
schema, and models follow an example better than a description). A local model decodes under the
schema, which already fixes the shape, and is shown no example: small models copy an example's
names and words instead of writing about the premise. The premise comes last, where a small
model attends most.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from backends.llm import Message

__all__ = ["SYSTEM", "cast_messages", "outline_messages", "repair_messages", "shots_messages"]

SYSTEM = ("You write short animated films as structured data for studio, a build system for films. "
          "Answer with one JSON object only, no other text.")

_CAST_EXAMPLE = {
    "title": "The Kite", "logline": "A shy girl and her grandfather fly a kite on a windy hill.",
    "look": "soft watercolor, warm light",
    "characters": [{"name": "Mira", "description": "a small girl with a red raincoat and curly hair",
                    "pitch": 70, "rate": 165}],
    "locations": [{"name": "Hill", "description": "a green hill under a wide cloudy sky"}],
    "props": [{"name": "Kite", "description": "a red paper kite with a long tail"}],
}
_OUTLINE_EXAMPLE = {"scenes": [{"id": "hill", "heading": "EXT. HILL - DAY", "location": "Hill",
                                "characters": ["Mira"], "summary": "Mira runs up the hill with her kite."}]}
_SHOTS_EXAMPLE = {"shots": [
    {"id": "climb", "type": "wide", "camera": "pan_right", "action": "@Mira climbs @Hill with the @Kite",
     "dialogue": [], "duration": 3, "transition": "cut"},
    {"id": "wish", "type": "close_up", "camera": "dolly_in", "action": "@Mira looks up at the sky",
     "dialogue": [{"character": "Mira", "line": "Fly high, little kite!", "emotion": "excited"}],
     "duration": "auto", "transition": "dissolve"},
]}


def _example(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _cast_lines(cast: dict[str, Any]) -> str:
    rows = [f"- {c['name']} (character): {c['description']}" for c in cast["characters"]]
    rows += [f"- {p['name']} (location): {p['description']}" for p in cast["locations"]]
    rows += [f"- {p['name']} (prop): {p['description']}" for p in cast["props"]]
    return "\n".join(rows)


def _ending(premise: str, example: Any | None) -> list[str]:
    out = [f"Answer like this: {_example(example)}"] if example is not None else []
    return out + ([f"Premise: {premise}"] if premise else [])


def cast_messages(premise: str, seconds: float, treatment: str | None, names: Sequence[str],
                  example: bool = True) -> tuple[Message, ...]:
    text = [f"Premise: {premise}" if premise else "Premise: the treatment below.",
            f"Length: about {seconds:g} seconds.",
            "Write the title, a one-sentence logline, the look (a few words naming the visual style), the "
            "characters (one-word names, what each looks like, a voice pitch from 20 to 80 and a speaking rate from "
            "130 to 190 words per minute), the locations (one-word names, what they look like) and at most two props "
            "that matter to the story."]
    if treatment:
        text.append(f"Treatment:\n{treatment}")
    if names:
        text.append(f"Use the author's characters: {', '.join(names)}.")
    text += _ending(premise, _CAST_EXAMPLE if example else None)
    return Message("system", SYSTEM), Message("user", "\n".join(text))


def outline_messages(premise: str, cast: dict[str, Any], scenes: int, example: bool = True) -> tuple[Message, ...]:
    text = [f"Premise: {premise}", f"Film: {cast['title']}. {cast['logline']}", "Cast:", _cast_lines(cast),
            f"Write the film's {scenes} scene{'s' * (scenes != 1)} in order: an id (lowercase), a heading like "
            "\"EXT. HILL - DAY\", its location, who is in it, and what happens in one sentence.",
            *_ending(premise, _OUTLINE_EXAMPLE if example else None)]
    return Message("system", SYSTEM), Message("user", "\n".join(text))


def shots_messages(premise: str, cast: dict[str, Any], scene: dict[str, Any], shots: int, seconds: float,
                   before: Sequence[str], example: bool = True) -> tuple[Message, ...]:
    text = [f"Premise: {premise}", f"Film: {cast['title']}. {cast['logline']}", "Cast:", _cast_lines(cast)]
    if before:
        text.append("Earlier scenes: " + " ".join(before))
    text += [f"Scene {scene['id']}: {scene.get('heading') or ''} {scene['summary']}".rstrip(),
             f"Write about {shots} shot{'s' * (shots != 1)} for this scene, about {seconds:.0f} seconds in all. "
             "Each shot has an id, a type (wide, medium, close_up, ...), a camera move, the action (what we see; "
             "write @Name for every character, place or prop of the cast in it), up to two lines of dialogue "
             "(character, line, emotion), a duration in seconds when nobody speaks (a shot with dialogue lasts as "
             "long as its lines: duration \"auto\"), and the transition into the next shot.",
             *_ending(premise, _SHOTS_EXAMPLE if example else None)]
    return Message("system", SYSTEM), Message("user", "\n".join(text))


def repair_messages(base: tuple[Message, ...], answer: Any, problems: Sequence[str]) -> tuple[Message, ...]:
    """The phase's question again, with the part that has problems and only those problems."""
    feedback = ("studio checked these shots and found problems:\n- " + "\n- ".join(problems)
                + "\nWrite the scene's shots again with the problems fixed; keep what is fine.")
    return (*base, Message("assistant", _example(answer)), Message("user", feedback))
