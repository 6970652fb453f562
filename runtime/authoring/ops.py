"""Edit operations: what a model answers to ``studio edit``, and how each changes the document.

The answer is ``{"operations": [...]}``, each one of:

- ``set``: a field at a path: ``path`` is ``project``, ``scene:<id>``, ``shot:<scene>/<shot>``,
  ``element:<Name>``, ``voice:<name>`` or ``style:<name>``; ``field`` and ``value`` as the format has them;
- ``insert_shot`` (a whole shot, ``after`` a shot), ``delete_shot``, ``move_shot`` (``after`` a shot,
  in any scene);
- ``add_line``, ``set_line``, ``delete_line`` (dialogue of a shot, lines numbered from 1);
- ``add_element`` (a character gets a voice of its own), ``rename_element`` (every trigger, cue,
  location and reference follows).

The schema makes every id and name an enum of what the project holds (``operations_schema``); an
operation that still does not apply (a remote model that ignored the schema, a line number past
the end) raises ``OpError`` with the reasons, which go back to the model.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from studio_lang.dsl.vocab import FIELD_ORDER

from . import schemas
from .assemble import TRANSITION_SECONDS, shots_data, unique

__all__ = ["MAX_OPERATIONS", "OpError", "apply_operations", "describe", "operations_schema"]

MAX_OPERATIONS = 12
_TRIGGER = re.compile(r"@[A-Za-z][A-Za-z0-9_]*")
_SHOT_TRANSITIONS = ("cut", "dissolve", "fade", "wipe")


class OpError(Exception):
    """Operations that do not apply; ``reasons`` says why, one line each."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _names(data: dict[str, Any]) -> dict[str, list[str]]:
    elements = data.get("elements") or {}
    scenes = data.get("scenes") or []
    return {
        "shot": [f"{s['id']}/{t['id']}" for s in scenes for t in s.get("shots") or []],
        "scene": [s["id"] for s in scenes],
        "element": list(elements),
        "character": [n for n, e in elements.items() if e.get("kind") == "character"],
        "location": [n for n, e in elements.items() if e.get("kind") == "location"],
        "voice": list(data.get("voices") or {}),
        "style": list(data.get("styles") or {}),
        "trigger": [e.get("trigger") or f"@{n}" for n, e in elements.items()],
    }


def _fields(names: dict[str, list[str]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Entity kind -> field -> schema of its value."""
    shot: dict[str, dict[str, Any]] = {
        "action": schemas.action(names["trigger"], 300), "type": schemas.enum(schemas.SHOT_TYPES),
        "duration": schemas.enum([*schemas.DURATIONS, "auto"]), "camera": schemas.enum(schemas.CAMERA_MOVES),
        "transition": schemas.enum(_SHOT_TRANSITIONS), "notes": schemas.text(300, 1),
    }
    scene: dict[str, dict[str, Any]] = {"heading": schemas.heading(), "description": schemas.text(300, 1)}
    if names["location"]:
        shot["location"] = scene["location"] = schemas.enum(names["location"])
    return {
        "shot": shot, "scene": scene, "element": {"description": schemas.text(300, 3)},
        "voice": {"pitch": {"type": "integer", "minimum": 0, "maximum": 100},
                  "rate": {"type": "integer", "minimum": 80, "maximum": 450}},
        "style": {"negative": schemas.text(300, 1)},
        "project": {"title": {"type": "string", "maxLength": 60, "pattern": r"^[A-Z][A-Za-z0-9 ,'!?-]{1,59}$"},
                    "description": schemas.text(300, 1)},
    }


def _op(op: str, /, **fields: Any) -> dict[str, Any]:
    properties = {"op": {"const": op}, **fields}
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def operations_schema(data: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of an answer to an edit of ``data``: every id and name an enum of the project's."""
    n = _names(data)
    variants: list[dict[str, Any]] = []
    for kind, fields in _fields(n).items():
        paths = ["project"] if kind == "project" else [f"{kind}:{x}" for x in n[kind]]
        if not paths:
            continue
        for field, value in fields.items():
            variants.append(_op("set", path=schemas.enum(paths), field={"const": field}, value=value))
    if n["shot"]:
        shot = schemas.enum(n["shot"])
        number = {"type": "integer", "minimum": 1, "maximum": 200}
        variants += [
            _op("insert_shot", after=shot, shot=schemas.shot_schema(n["trigger"], n["character"])),
            _op("delete_shot", shot=shot),
            _op("move_shot", shot=shot, after=shot),
        ]
        if n["character"]:
            line = schemas.line_schema(n["character"], 300)
            variants += [_op("add_line", shot=shot, line=line), _op("set_line", shot=shot, number=number, line=line),
                         _op("delete_line", shot=shot, number=number)]
    variants.append(_op("add_element", name=schemas.name(16, one_word=False),
                        kind=schemas.enum(["character", "location", "prop"]), description=schemas.text(300, 3)))
    if n["element"]:
        variants.append(_op("rename_element", element=schemas.enum(n["element"]), to=schemas.name(16, one_word=False)))
    return {"type": "object", "properties": {"operations": {
        "type": "array", "items": {"anyOf": variants}, "minItems": 1, "maxItems": MAX_OPERATIONS}},
        "required": ["operations"], "additionalProperties": False}


def describe(op: dict[str, Any]) -> str:
    """One line for people."""
    kind = op.get("op")
    if kind == "set":
        return f"set {op.get('path')} {op.get('field')} = {op.get('value')!r}"
    if kind == "rename_element":
        return f"rename {op.get('element')} -> {op.get('to')}"
    rest = ", ".join(f"{k}={v!r}" if not isinstance(v, dict) else f"{k}={{...}}" for k, v in op.items() if k != "op")
    return f"{kind} {rest}"


def _ordered(mapping: dict[str, Any], key: str, value: Any, order: str) -> dict[str, Any]:
    """``mapping`` with ``key`` set; a new key goes where the format's field order puts it."""
    if key in mapping:
        mapping[key] = value
        return mapping
    fields = FIELD_ORDER.get(order, ())
    rank = {k: i for i, k in enumerate(fields)}
    items = list(mapping.items())
    at = len(items)
    if key in rank:
        for i, (k, _) in enumerate(items):
            if rank.get(k, -1) > rank[key]:
                at = i
                break
    items.insert(at, (key, value))
    mapping.clear()
    mapping.update(items)
    return mapping


class _Applier:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = copy.deepcopy(data)
        self.reasons: list[str] = []

    def shot(self, ref: Any) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
        scene_id, _, shot_id = str(ref).partition("/")
        for scene in self.data.get("scenes") or []:
            if scene["id"] == scene_id:
                for i, shot in enumerate(scene["shots"]):
                    if shot["id"] == shot_id:
                        return scene, scene["shots"], i
        raise OpError([f"no shot '{ref}' (shots are written scene/shot)"])

    def apply(self, op: dict[str, Any]) -> None:
        method = getattr(self, f"op_{op.get('op')}", None)
        if method is None:
            raise OpError([f"unknown operation {op.get('op')!r}"])
        try:
            method(op)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise OpError([f"{describe(op)}: malformed ({type(exc).__name__}: {exc})"]) from None

    def op_set(self, op: dict[str, Any]) -> None:
        path, field, value = str(op["path"]), str(op["field"]), op["value"]
        kind, _, name = path.partition(":")
        if kind == "shot":
            _, shots, i = self.shot(name)
            target = shots[i]
            if field == "camera":
                value = {**(target.get("camera") or {}), "move": value}
            elif field == "transition":
                if value == "cut":
                    target.pop("transition", None)
                    return
                before = target.get("transition") or {}
                value = {"type": value, "duration": before.get("duration", TRANSITION_SECONDS)}
            _ordered(target, field, value, "shot")
        elif kind == "scene":
            scene = next((s for s in self.data.get("scenes") or [] if s["id"] == name), None)
            if scene is None:
                raise OpError([f"no scene '{name}'"])
            _ordered(scene, field, value, "scene")
        elif kind in ("element", "voice", "style"):
            section = {"element": "elements", "voice": "voices", "style": "styles"}[kind]
            table = self.data.get(section) or {}
            if name not in table:
                raise OpError([f"no {kind} '{name}'"])
            _ordered(table[name], field, value, kind)
        elif kind == "project":
            _ordered(self.data["project"], field, value, "project")
        else:
            raise OpError([f"cannot set '{path}': paths are project, scene:<id>, shot:<scene>/<shot>, "
                           "element:<Name>, voice:<name> or style:<name>"])

    def op_insert_shot(self, op: dict[str, Any]) -> None:
        scene, shots, i = self.shot(op["after"])
        new = shots_data({"shots": [op["shot"]]})[0]
        new["id"] = unique(new["id"], {s["id"] for s in shots}, "_")
        shots.insert(i + 1, new)

    def op_delete_shot(self, op: dict[str, Any]) -> None:
        scene, shots, i = self.shot(op["shot"])
        if len(shots) == 1:
            raise OpError([f"cannot delete {op['shot']}: it is the only shot of scene '{scene['id']}'"])
        shots.pop(i)

    def op_move_shot(self, op: dict[str, Any]) -> None:
        if op["shot"] == op["after"]:
            raise OpError([f"cannot move {op['shot']} after itself"])
        scene, shots, i = self.shot(op["shot"])
        if len(shots) == 1:
            raise OpError([f"cannot move {op['shot']}: it is the only shot of scene '{scene['id']}'"])
        moving = shots.pop(i)
        to_scene, to_shots, j = self.shot(op["after"])
        old_ref = f"{scene['id']}/{moving['id']}"
        moving["id"] = unique(moving["id"], {s["id"] for s in to_shots}, "_")
        to_shots.insert(j + 1, moving)
        new_ref = f"{to_scene['id']}/{moving['id']}"
        for track in self.data.get("audio") or []:
            if track.get("at") == old_ref:
                track["at"] = new_ref

    def _line(self, op: dict[str, Any]) -> dict[str, Any]:
        line = op["line"]
        return {"character": line["character"], "line": " ".join(str(line["line"]).split()),
                "emotion": line["emotion"]}

    def op_add_line(self, op: dict[str, Any]) -> None:
        _, shots, i = self.shot(op["shot"])
        dialogue = shots[i].get("dialogue") or []
        dialogue.append(self._line(op))
        _ordered(shots[i], "dialogue", dialogue, "shot")

    def _number(self, op: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        _, shots, i = self.shot(op["shot"])
        dialogue = shots[i].get("dialogue") or []
        n = int(op["number"])
        if not 1 <= n <= len(dialogue):
            raise OpError([f"{op['shot']} has {len(dialogue)} line{'s' * (len(dialogue) != 1)}, no line {n}"])
        return dialogue, n - 1

    def op_set_line(self, op: dict[str, Any]) -> None:
        dialogue, k = self._number(op)
        dialogue[k] = {**dialogue[k], **self._line(op)}

    def op_delete_line(self, op: dict[str, Any]) -> None:
        dialogue, k = self._number(op)
        dialogue.pop(k)
        if not dialogue:
            _, shots, i = self.shot(op["shot"])
            shots[i].pop("dialogue", None)

    def op_add_element(self, op: dict[str, Any]) -> None:
        elements = self.data.setdefault("elements", {})
        name = str(op["name"])
        if name in elements:
            raise OpError([f"an element '{name}' exists already"])
        element: dict[str, Any] = {"kind": op["kind"], "description": " ".join(str(op["description"]).split())}
        if op["kind"] == "character":
            voices = self.data.setdefault("voices", {})
            voice = unique(name.lower(), set(voices))
            voices[voice] = {"engine": "espeak", "language": self.data["project"].get("language", "en")}
            element["voice"] = voice
        elements[name] = element

    def op_rename_element(self, op: dict[str, Any]) -> None:
        old, new = str(op["element"]), str(op["to"])
        elements = self.data.get("elements") or {}
        if old not in elements:
            raise OpError([f"no element '{old}'"])
        if new in elements and new != old:
            raise OpError([f"an element '{new}' exists already"])
        element = elements[old]
        old_trigger = element.get("trigger") or f"@{old}"
        if element.get("trigger") == f"@{old}":
            element["trigger"] = f"@{new}"
        new_trigger = element.get("trigger") or f"@{new}"
        self.data["elements"] = {(new if k == old else k): v for k, v in elements.items()}

        def retrigger(text: str) -> str:
            return _TRIGGER.sub(lambda m: new_trigger if m.group() == old_trigger else m.group(), text)

        for scene in self.data.get("scenes") or []:
            if scene.get("location") == old:
                scene["location"] = new
            for shot in scene.get("shots") or []:
                if isinstance(shot.get("action"), str):
                    shot["action"] = retrigger(shot["action"])
                if shot.get("location") == old:
                    shot["location"] = new
                for line in shot.get("dialogue") or []:
                    if line.get("character") == old:
                        line["character"] = new


def apply_operations(data: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """The document after the operations, in order (``data`` is not changed); ``OpError`` if one fails."""
    applier = _Applier(data)
    reasons = []
    for op in operations:
        try:
            applier.apply(op)
        except OpError as exc:
            reasons += exc.reasons
    if reasons:
        raise OpError(reasons)
    return applier.data
