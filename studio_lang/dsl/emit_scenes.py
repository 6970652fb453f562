"""Scenes, shots and speeches as DSL text: the screenplay half of the emitter."""

from __future__ import annotations

from .. import ast
from ..comments import OutLine, node_lines
from .vocab import CUE_LIKE, FIELD_ORDER, MOVES, OFF_SCREEN, SHOT_TYPES, TRANSITIONS, cue_target, off_screen_mark
from .write import Writer, action_ok, entries, number_text, quote, raw_ok, text_word, word_ok

__all__ = ["SceneWriter"]


class SceneWriter(Writer):
    def scene(self, body: ast.Mapping) -> None:
        items = entries(body, "scene")
        self.blank()
        words = ["SCENE"]
        nodes: list = []
        if "id" in items and isinstance(ast.to_data(items["id"][1]), str):
            words.append(text_word(ast.to_data(items["id"][1])))  # type: ignore[arg-type]
            nodes += items.pop("id")
        heading = ast.to_data(items["heading"][1]) if "heading" in items else None
        if isinstance(heading, str):
            text = heading if raw_ok(heading) else quote(heading)
            words[-1] += ":"
            words.append(text)
            nodes += items.pop("heading")
        self.line(" ".join(words), body, *nodes)
        shots = items.pop("shots", None)
        native = shots is not None and isinstance(shots[1], ast.Sequence) and bool(shots[1].items) and all(
            isinstance(s, ast.Mapping) for s in shots[1].items)
        for n, (k, v) in items.items():
            if n == "models" and isinstance(v, ast.Mapping):
                text, more = self.options(v.entries)
                self.line(f"  models {text}".rstrip(), k, *more)
            else:
                self.props([(k, v)], reserved=("models",))
        if shots is not None and not native:
            self.props([shots])
        if native:
            assert shots is not None and isinstance(shots[1], ast.Sequence)
            for shot in shots[1].items:
                assert isinstance(shot, ast.Mapping)
                self.shot(shot)

    def shot(self, body: ast.Mapping) -> None:
        items = entries(body, "shot")
        self.blank()
        nodes: list = []
        ident = ""
        if "id" in items and isinstance(ast.to_data(items["id"][1]), str):
            ident = text_word(ast.to_data(items["id"][1]))  # type: ignore[arg-type]
            nodes += items.pop("id")
        words = [f"[{ident}]"]
        kind = ast.to_data(items["type"][1]) if "type" in items else None
        if isinstance(kind, str) and kind in SHOT_TYPES:
            words.append(kind)
            nodes += items.pop("type")
        if "duration" in items:
            data = ast.to_data(items["duration"][1])
            number = number_text(data)
            if data == "auto" or number is not None:
                words.append("auto" if data == "auto" else number + "s")  # type: ignore[operator]
                nodes += items.pop("duration")
        if "camera" in items:
            camera = self.camera(items["camera"][1])
            if camera:
                words.append(camera)
                nodes += items.pop("camera")
        transition = None
        if "transition" in items:
            transition = self.transition(items["transition"][1])
            if transition:
                nodes += items.pop("transition")
        if "models" in items:
            v = items["models"][1]
            data = ast.to_data(v)
            if isinstance(v, ast.Mapping) and isinstance(data, dict) and data and set(data) <= set(
                    FIELD_ORDER["models"]):
                text, more = self.options(v.entries)
                words.append(text)
                nodes += [*items.pop("models"), *more]
        action = items.pop("action", None)
        paragraphs = None
        if action is not None:
            data = ast.to_data(action[1])
            if isinstance(data, str) and data and all(action_ok(p) for p in data.split("\n")):
                paragraphs = data.split("\n")
            else:
                items["action"] = action
        dialogue = items.pop("dialogue", None)
        speeches = None
        if dialogue is not None:
            speeches = self.speeches(dialogue[1])
            if speeches is None:
                items["dialogue"] = dialogue
        rest = list(items.values())
        text, more = self.options(rest, quoted=[k.name for k, _ in rest if k.name in FIELD_ORDER["models"]])
        if text:
            words.append(text)
        if transition:
            words.append(transition)
        self.line(" ".join(words), body, *nodes, *more)
        if paragraphs is not None and action is not None:
            lines = action[1].span.line, action[1].span.end_line
            for i, paragraph in enumerate(paragraphs):
                if i:
                    self.line("")
                self.lines.append(OutLine(paragraph, frozenset(range(lines[0], lines[1] + 1)) if i == 0 and
                                          lines[0] > 0 else frozenset(), raw=True))
        if speeches:
            for speech in speeches:
                self.blank()
                self.lines.extend(speech)

    def camera(self, node: ast.Node) -> str | None:
        data = ast.to_data(node)
        if not isinstance(data, dict) or not set(data) <= {"move", "amount"} or data.get("move") not in MOVES:
            return None
        if "amount" not in data:
            return str(data["move"])
        number = number_text(data["amount"])
        return f"{data['move']} {number}" if number is not None else None

    def transition(self, node: ast.Node) -> str | None:
        data = ast.to_data(node)
        if not isinstance(data, dict) or not set(data) <= {"type", "duration"} or data.get("type") not in TRANSITIONS:
            return None
        if "duration" not in data:
            return f"-> {data['type']}"
        number = number_text(data["duration"])
        return f"-> {data['type']} {number}s" if number is not None else None

    def speeches(self, node: ast.Node) -> list[list[OutLine]] | None:
        if not isinstance(node, ast.Sequence) or not node.items:
            return None
        out = []
        for item in node.items:
            if not isinstance(item, ast.Mapping):
                return None
            items = entries(item, "dialogue")
            character = ast.to_data(items["character"][1]) if "character" in items else None
            if not isinstance(character, str) or "line" not in items:
                return None
            out.append(self.speech(item, items, character))
        return out

    def speech(self, body: ast.Mapping, items: dict[str, tuple[ast.Key, ast.Node]], character: str) -> list[OutLine]:
        indent = "    "
        cue = next((c for c in (character.upper(), character) if word_ok(c) and not c.startswith("#") and cue_target(
            c, False, self.cue_elements, self.cue_folds) == character), None)
        nodes: list = [*items.pop("character")]
        words = [cue if cue is not None else quote(character)]
        emotion = ast.to_data(items["emotion"][1]) if "emotion" in items else None
        mark = ast.to_data(items["off_screen"][1]) if "off_screen" in items else None
        if isinstance(mark, str) and mark in OFF_SCREEN.values():
            words.append(f"({mark})")
            nodes += items.pop("off_screen")
        if isinstance(emotion, str) and raw_ok(emotion) and not set(emotion) & set("()") \
                and off_screen_mark(f"({emotion})") is None:
            words.append(f"({emotion})")
            nodes += items.pop("emotion")
        line_key, line_value = items["line"]
        line = ast.to_data(line_value)
        dialogue = None
        if isinstance(line, str) and raw_ok(line) and not line.startswith(("(", "#")) and not CUE_LIKE.fullmatch(line):
            dialogue = OutLine(indent + line, node_lines(line_key, line_value), raw=True)
            del items["line"]
        text, more = self.options(items.values())
        if text:
            words.append(text)
        lines = [OutLine(indent + " ".join(words), node_lines(body, *nodes, *more))]
        if dialogue is not None:
            lines.append(dialogue)
        return lines
