"""Phase answers -> the project document (plain data in the format's key order).

Deterministic bookkeeping only, never guessing at what a model meant: names that collide get a
number (a location called like a character), repeated ids too, text is trimmed of runs of spaces,
a shot with dialogue lasts ``auto``, and the silent shots' durations are scaled together so that the
film lasts about the requested length (the model chose their proportions).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from compiler.timing import estimate_speech, layout

__all__ = ["STYLE", "TRANSITION_SECONDS", "cast_data", "film_seconds", "fit_durations", "project_data", "shots_data",
           "unique"]

STYLE = "main"
TRANSITION_SECONDS = 0.5
_TEMPLATE = "{{ action }}, {{ shot.type | replace('_', ' ') }} shot, "
_MIN, _MAX = 1.5, 12.0


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def unique(name: str, taken: set[str], sep: str = "") -> str:
    """``name``, or ``name`` with the smallest number from 2 that is not ``taken``; then taken."""
    candidate = name
    n = 2
    while candidate.casefold() in {t.casefold() for t in taken}:
        candidate = f"{name}{sep}{n}"
        n += 1
    taken.add(candidate)
    return candidate


def cast_data(answer: dict[str, Any], order: Iterable[str] = ()) -> dict[str, Any]:
    """The cast with unique names: a repeated character is dropped, a place or prop named like
    something else gets a number; characters follow ``order`` (a treatment's) when given."""
    taken: set[str] = set()
    characters = []
    for c in answer["characters"]:
        if c["name"].casefold() in {t.casefold() for t in taken}:
            continue
        taken.add(c["name"])
        characters.append({**c, "description": _clean(c["description"])})
    rank = {n: i for i, n in enumerate(order)}
    characters.sort(key=lambda c: rank.get(c["name"], len(rank)))
    locations = [{"name": unique(p["name"], taken), "description": _clean(p["description"])}
                 for p in answer["locations"]]
    props = [{"name": unique(p["name"], taken), "description": _clean(p["description"])} for p in answer["props"]]
    return {"title": _clean(answer["title"]), "logline": _clean(answer["logline"]), "look": _clean(answer["look"]),
            "characters": characters, "locations": locations, "props": props}


def shots_data(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """A scene's shots in the format's shape and key order, ids unique in the scene."""
    taken: set[str] = set()
    out = []
    for s in answer["shots"]:
        shot: dict[str, Any] = {"id": unique(s["id"], taken, "_"), "type": s["type"],
                                "duration": "auto" if s["dialogue"] else s["duration"], "action": _clean(s["action"])}
        if s["camera"] != "static":
            shot["camera"] = {"move": s["camera"]}
        if s["dialogue"]:
            shot["dialogue"] = [{"character": d["character"], "line": _clean(d["line"]), "emotion": d["emotion"]}
                                for d in s["dialogue"]]
        if s["transition"] != "cut":
            shot["transition"] = {"type": s["transition"], "duration": TRANSITION_SECONDS}
        out.append(shot)
    return out


def project_data(cast: dict[str, Any], scenes: list[dict[str, Any]], *, seed: int, fps: int,
                 resolution: tuple[int, int], language: str) -> dict[str, Any]:
    """The whole document. ``scenes``: ``{"id", "heading", "location", "shots"}`` each."""
    voices = {c["name"].lower(): {"engine": "espeak", "language": language, "pitch": c["pitch"], "rate": c["rate"]}
              for c in cast["characters"]}
    elements: dict[str, Any] = {}
    for c in cast["characters"]:
        elements[c["name"]] = {"kind": "character", "description": c["description"], "voice": c["name"].lower()}
    for p in cast["locations"]:
        elements[p["name"]] = {"kind": "location", "description": p["description"]}
    for p in cast["props"]:
        elements[p["name"]] = {"kind": "prop", "description": p["description"]}
    taken: set[str] = set()
    out_scenes = []
    for scene in scenes:
        item: dict[str, Any] = {"id": unique(scene["id"], taken, "_")}
        if scene.get("heading"):
            item["heading"] = scene["heading"]
        if scene.get("location"):
            item["location"] = scene["location"]
        item["shots"] = scene["shots"]
        out_scenes.append(item)
    project: dict[str, Any] = {"title": cast["title"]}
    if cast["logline"]:
        project["description"] = cast["logline"]
    project.update({"fps": fps, "resolution": list(resolution), "seed": seed, "style": STYLE, "language": language})
    return {
        "studio": 1, "project": project,
        "styles": {STYLE: {"prompt": _TEMPLATE + cast["look"]}},
        "voices": voices, "elements": elements, "scenes": out_scenes,
    }


def _auto_seconds(shot: dict[str, Any], rates: dict[str, int]) -> float:
    lines = [estimate_speech(d["line"], rates.get(d["character"], 175)) for d in shot.get("dialogue", [])]
    return layout(lines, None).duration


def film_seconds(data: dict[str, Any]) -> float:
    """The film's estimated length: explicit durations, ``auto`` shots' estimates, minus overlaps."""
    rates = {name: data["voices"][e["voice"]]["rate"] for name, e in data["elements"].items() if e.get("voice")}
    shots = [s for scene in data["scenes"] for s in scene["shots"]]
    total = sum(s["duration"] if s["duration"] != "auto" else _auto_seconds(s, rates) for s in shots)
    return total - sum(s["transition"]["duration"] for s in shots[:-1] if "transition" in s)


def fit_durations(data: dict[str, Any], seconds: float) -> None:
    """Scale the silent shots' durations (to half seconds, 1.5 to 12 s) so the film lasts about ``seconds``."""
    shots = [s for scene in data["scenes"] for s in scene["shots"] if s["duration"] != "auto"]
    explicit = sum(s["duration"] for s in shots)
    if not shots or explicit <= 0:
        return
    want = explicit + seconds - film_seconds(data)
    factor = max(want, _MIN * len(shots)) / explicit
    for s in shots:
        value = min(max(round(s["duration"] * factor * 2) / 2, _MIN), _MAX)
        s["duration"] = int(value) if value == int(value) else value

