"""Document tree -> canonical screenplay DSL text (what ``studio fmt`` and ``studio convert`` write).

The emitter writes each value in the most readable form that reads back as exactly the same value:
sugar (``[peek] medium 2.5s dolly_in 0.15``, ``duck``, ``palette #1b4965 #62b6cb``) where the data
has the shape the sugar stands for, else a generic ``key=value`` literal, else (for whole sections
of unusual shape) ``set section=...``. So any tree converts without loss; ``dsl_syntax`` reads the
result back to the same ``to_data``. Output lines carry the source lines they render, so comments
can be put back (``comments.place``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import ast
from ..comments import Comment, anchors, place
from ..diagnostics import Span
from ..source import SourceFile
from .emit_scenes import SceneWriter
from .vocab import AUDIO_KINDS, ELEMENT_KINDS, FLAGS, MODEL_FIELDS, character_folds
from .write import bare_key, entries, literal, quote, text_word, word_ok

__all__ = ["emit_dsl", "from_data", "literal", "quote"]

_RESOLUTION = re.compile(r"[0-9]+x[0-9]+")
_TECH = ("fps", "resolution", "seed", "style", "language", "vram_gb")
_NO_SPAN = Span("", 0, 0, 0, 0)


def from_data(value: object) -> ast.Node:
    """A tree for plain data (no source: every span is empty), e.g. an imported screenplay."""
    if isinstance(value, dict):
        return ast.Mapping(tuple((ast.Key(k, _NO_SPAN), from_data(v)) for k, v in value.items()), _NO_SPAN)
    if isinstance(value, list):
        return ast.Sequence(tuple(from_data(v) for v in value), _NO_SPAN)
    return ast.Scalar(value, _NO_SPAN)  # type: ignore[arg-type]


def emit_dsl(root: ast.Node, source: SourceFile | None = None, comments: Iterable[Comment] = ()) -> str:
    """Canonical DSL text for the document ``root``; ``comments`` of ``source`` are put back."""
    if not isinstance(root, ast.Mapping) or not root.entries:
        raise ValueError("a .studio file holds a mapping of sections, and this document is not one (or is empty)")
    emitter = _Emitter(root)
    emitter.run()
    lines = emitter.lines
    while lines and not lines[-1].text:
        lines.pop()
    anchored = anchors(source, comments) if source is not None else []
    return "\n".join(place(lines, anchored)) + "\n"


class _Emitter(SceneWriter):
    def __init__(self, root: ast.Mapping) -> None:
        super().__init__()
        self.root = entries(root)

    def run(self) -> None:
        root = self.root
        handled = {"studio", "project", "models", "styles", "voices", "elements", "audio", "output", "scenes"}
        leftovers: list[tuple[ast.Key, ast.Node]] = []
        if "studio" in root:
            key, value = root["studio"]
            self.line(f"studio {literal(ast.to_data(value))}", key, value)
        if "project" in root:
            self.project(*root["project"])
        for section, method in (("models", self.model), ("styles", self.style), ("voices", self.voice),
                                ("elements", self.element)):
            if section in root:
                key, value = root[section]
                if isinstance(value, ast.Mapping) and value.entries and all(
                        isinstance(v, ast.Mapping) for _, v in value.entries):
                    self.blank()
                    for name, body in value.entries:
                        method(name, body)
                    if section == "elements":
                        self.cue_elements = {
                            k.name: _kind(v) for k, v in value.entries}
                        self.cue_folds = character_folds(self.cue_elements)
                else:
                    leftovers.append((key, value))
        self.blank()
        if "audio" in root:
            key, value = root["audio"]
            if isinstance(value, ast.Sequence) and value.items and all(
                    isinstance(v, ast.Mapping) for v in value.items):
                for track in value.items:
                    self.track(track)
            else:
                leftovers.append((key, value))
        if "output" in root:
            key, value = root["output"]
            if isinstance(value, ast.Mapping):
                text, nodes = self.options(value.entries)
                self.line(f"output {text}".rstrip(), key, *nodes)
            else:
                leftovers.append((key, value))
        scenes = root.get("scenes")
        native_scenes = scenes is not None and isinstance(scenes[1], ast.Sequence) and bool(scenes[1].items) and all(
            isinstance(v, ast.Mapping) for v in scenes[1].items)
        if scenes is not None and not native_scenes:
            leftovers.append(scenes)
        leftovers += [entry for name, entry in root.items() if name not in handled]
        for key, value in leftovers:
            text, nodes = self.options([(key, value)])
            self.line(f"set {text}", *nodes)
        if native_scenes:
            assert scenes is not None and isinstance(scenes[1], ast.Sequence)
            for scene in scenes[1].items:
                assert isinstance(scene, ast.Mapping)
                self.scene(scene)

    def project(self, key: ast.Key, value: ast.Node) -> None:
        if not isinstance(value, ast.Mapping):
            text, written = self.options([(key, value)])
            self.line(f"set {text}", *written)
            return
        if not value.entries:
            self.line("project", key)
            return
        items = entries(value, "project")
        for name in ("title", "description"):
            if name in items:
                setting = ast.to_data(items[name][1])
                self.line(f"{name} {quote(setting) if isinstance(setting, str) else literal(setting)}", *items[name])
        tech = []
        nodes: list[object] = []
        for name in _TECH:
            if name in items:
                k, v = items[name]
                data = ast.to_data(v)
                if name == "resolution" and isinstance(data, list) and len(data) == 2 and all(
                        isinstance(d, int) and not isinstance(d, bool) for d in data):
                    text = f"{data[0]}x{data[1]}"
                elif name == "resolution" and isinstance(data, str) and _RESOLUTION.fullmatch(data):
                    text = quote(data)
                else:
                    text = literal(data)
                tech.append(f"{name} {text}")
                nodes += [k, v]
        if tech:
            self.line("  ".join(tech), *nodes)
        if "models" in items:
            k, v = items["models"]
            if isinstance(v, ast.Mapping):
                text, nodes = self.options(v.entries)
                self.line(f"models {text}".rstrip(), k, *nodes)
            else:
                text, nodes = self.options([(k, v)])
                self.line(f"project {text}", *nodes)
        rest = [(k, v) for name, (k, v) in items.items() if name not in ("title", "description", "models", *_TECH)]
        if rest:
            text, nodes = self.options(rest)
            self.line(f"project {text}", *nodes)

    # --- definitions ---------------------------------------------------------------------------
    def head(self, keyword: str, name: ast.Key, body: ast.Node, positional: list[str], options: str,
             nodes: list) -> None:
        text = " ".join([f"{keyword} {text_word(name.name)}:", *positional])
        if options:
            text += ("  " if positional else " ") + options
        self.line(text, name, body, *nodes)

    def model(self, name: ast.Key, body: ast.Node) -> None:
        items = entries(body, "model")
        positional, nodes = self.positionals(items, ("backend", "kind"))
        known = [(k, v) for n, (k, v) in items.items() if n in MODEL_FIELDS and n not in (
            *positional_names(items, ("backend", "kind")), "params", "description")]
        text, more = self.options(known)
        words = [text] if text else []
        nodes += more
        if "params" in items:
            k, v = items["params"]
            data = ast.to_data(v)
            if isinstance(data, dict) and data and all(bare_key(p) and p not in MODEL_FIELDS for p in data):
                assert isinstance(v, ast.Mapping)
                text, more = self.options(v.entries)
            else:
                text, more = self.options([(k, v)])
            words.append(text)
            nodes += more
        unknown = [(k, v) for n, (k, v) in items.items() if n not in MODEL_FIELDS]
        text, more = self.options(unknown, quoted=[k.name for k, _ in unknown])
        if text:
            words.append(text)
        nodes += more
        self.head("model", name, body, positional, " ".join(words), nodes)
        if "description" in items:
            self.prop(*items["description"])

    def positionals(self, items: dict[str, tuple[ast.Key, ast.Node]], names: tuple[str, ...]) -> tuple[list, list]:
        taken = positional_names(items, names)
        words = [text_word(ast.to_data(items[n][1])) for n in taken]  # type: ignore[arg-type]
        nodes = [x for n in taken for x in items[n]]
        return words, nodes

    def style(self, name: ast.Key, body: ast.Node) -> None:
        items = entries(body, "style")
        positional, nodes = [], []
        if "prompt" in items and isinstance(ast.to_data(items["prompt"][1]), str):
            positional = [quote(ast.to_data(items["prompt"][1]))]  # type: ignore[arg-type]
            nodes = list(items.pop("prompt"))
        self.head("style", name, body, positional, "", nodes)
        for n, (k, v) in items.items():
            if n == "palette":
                self.listed(k, v)
            elif not self.lora(n, k, v):
                self.props([(k, v)], reserved=("palette", "lora"))

    def voice(self, name: ast.Key, body: ast.Node) -> None:
        items = entries(body, "voice")
        positional: list[str] = []
        nodes: list[object] = []
        if all(n in items and isinstance(ast.to_data(items[n][1]), str) for n in ("engine", "language")):
            positional, nodes = self.positionals(items, ("engine", "language"))
            del items["engine"], items["language"]
        emotions = items.pop("emotions", None)
        description = items.pop("description", None)
        text, more = self.options(items.values())
        self.head("voice", name, body, positional, text, nodes + more)
        if emotions is not None:
            k, v = emotions
            if isinstance(v, ast.Mapping) and v.entries and all(isinstance(e, ast.Mapping) for _, e in v.entries):
                for ek, ev in v.entries:
                    assert isinstance(ev, ast.Mapping)
                    text, more = self.options(ev.entries)
                    self.line(f"  emotion {text_word(ek.name)} {text}".rstrip(), ek, *more)
            else:
                self.option_lines([emotions])
        if description is not None:
            self.prop(*description)

    def element(self, name: ast.Key, body: ast.Node) -> None:
        items = entries(body, "element")
        kind = ast.to_data(items["kind"][1]) if "kind" in items else None
        keyword = "element"
        nodes: list = []
        if kind in ELEMENT_KINDS:
            keyword = str(kind)
            nodes += items.pop("kind")
        positional = []
        trigger = ast.to_data(items["trigger"][1]) if "trigger" in items else None
        if isinstance(trigger, str) and trigger.startswith("@") and word_ok(trigger):
            positional.append(trigger)
            nodes += items.pop("trigger")
        if "description" in items and isinstance(ast.to_data(items["description"][1]), str):
            positional.append(quote(ast.to_data(items["description"][1])))  # type: ignore[arg-type]
            nodes += items.pop("description")
        head = [(k, v) for n, (k, v) in items.items() if n in ("kind", "trigger", "description")]
        text, more = self.options(head)
        self.head(keyword, name, body, positional, text, nodes + more)
        rest = []
        for n, (k, v) in items.items():
            if n in ("kind", "trigger", "description"):
                continue
            if n == "references":
                self.listed(k, v)
            elif not self.lora(n, k, v):
                rest.append((k, v))
        self.props(rest, reserved=("references", "lora"))

    def lora(self, name: str, key: ast.Key, value: ast.Node) -> bool:
        """``lora WEIGHTS [SCALE] [key=value...]`` when the value has that shape."""
        if name != "lora" or not isinstance(value, ast.Mapping) or "weights" not in entries(value):
            return False
        lora = entries(value, "lora")
        words = [literal(ast.to_data(lora["weights"][1]))]
        if "scale" in lora:
            words.append(literal(ast.to_data(lora["scale"][1])))
        text, more = self.options([e for m, e in lora.items() if m not in ("weights", "scale")])
        self.line(" ".join(["  lora", *words, text]).rstrip(), key, *lora["weights"],
                  *(lora["scale"] if "scale" in lora else ()), *more)
        return True

    def track(self, body: ast.Node) -> None:
        items = entries(body, "audio")
        kind = ast.to_data(items["kind"][1]) if "kind" in items else None
        nodes: list = []
        keyword = "audio"
        if kind in AUDIO_KINDS:
            keyword = str(kind)
            nodes += items.pop("kind")
        ident = ""
        if "id" in items and isinstance(ast.to_data(items["id"][1]), str):
            ident = " " + text_word(ast.to_data(items["id"][1]))  # type: ignore[arg-type]
            nodes += items.pop("id")
        line = f"{keyword}{ident}:"
        file = ast.to_data(items["file"][1]) if "file" in items else None
        if isinstance(file, str):
            line += " " + (quote(file) if file in FLAGS or not word_ok(file) else file)
            nodes += items.pop("file")
        flags = []
        for flag, field in FLAGS.items():
            if field in items and ast.to_data(items[field][1]) is True:
                flags.append(flag)
                nodes += items.pop(field)
        text, more = self.options(items.values())
        rest = " ".join(w for w in (text, *flags) if w)
        if rest:
            line += ("  " if isinstance(file, str) else " ") + rest
        self.line(line, body, *nodes, *more)

    # --- scenes and shots ----------------------------------------------------------------------


def positional_names(items: dict[str, tuple[ast.Key, ast.Node]], names: tuple[str, ...]) -> list[str]:
    """The leading fields of ``names`` present as text, in order, stopping at the first that is not."""
    taken = []
    for name in names:
        if name not in items or not isinstance(ast.to_data(items[name][1]), str):
            break
        taken.append(name)
    return taken


def _kind(body: ast.Node) -> str | None:
    if not isinstance(body, ast.Mapping):
        return None
    kind = body.get("kind")
    return kind.value if isinstance(kind, ast.Scalar) and isinstance(kind.value, str) else None
