"""The names of a project and every place they are written: what go-to-definition, find references,
rename, completion and hover look things up in.

Built from the span-carrying tree, so both syntaxes give the same index. A symbol is a kind and a
name: ``element`` (characters, locations, props), ``voice``, ``model``, ``style``, ``track`` (audio
ids, named by shot patterns) and ``shot`` (``scene/shot``, named by audio anchors). Every occurrence
spans exactly the name as written: no quotes, no ``@`` (a trigger ``@Luca`` occurs as ``Luca``), a DSL
cue as its capitals (``LUCA``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from studio_lang import ast
from studio_lang.diagnostics import Span
from studio_lang.source import SourceFile

__all__ = ["BUILTIN_MODELS", "Definition", "Index", "Occurrence", "ShotInfo", "Symbol", "build_index", "find_word",
           "trim"]

TRIGGER = re.compile(r"@[A-Za-z][A-Za-z0-9_]*")
"""The compiler's trigger word (compiler.resolve.TRIGGER)."""
BUILTIN_MODELS = {"procedural": ("image", "video"), "espeak": ("speech",)}
"""The models every project has (compiler.film.BUILTIN_MODELS), by name -> task kinds."""
RENAMABLE = ("element", "voice", "model", "style")


@dataclass(frozen=True)
class Symbol:
    kind: str
    name: str


@dataclass(frozen=True)
class Occurrence:
    symbol: Symbol
    span: Span
    written: str
    """The text at ``span`` (a cue in capitals, a trigger without its '@')."""
    definition: bool = False
    renamable: bool = True
    """Whether renaming the symbol rewrites this text (a custom trigger such as ``@Lu`` stays)."""


@dataclass(frozen=True)
class Definition:
    symbol: Symbol
    span: Span
    """The name where it is defined."""
    node: ast.Node
    """The definition's body (for hover and folding)."""

    def text(self, key: str) -> str | None:
        if isinstance(self.node, ast.Mapping):
            value = self.node.get(key)
            if isinstance(value, ast.Scalar) and value.value is not None and not isinstance(value.value, bool):
                return str(value.value)
        return None

    def texts(self, key: str) -> list[str]:
        if isinstance(self.node, ast.Mapping):
            value = self.node.get(key)
            if isinstance(value, ast.Sequence):
                return [str(i.value) for i in value.items if isinstance(i, ast.Scalar)]
        return []


@dataclass(frozen=True)
class ShotInfo:
    scene: str
    id: str
    id_span: Span
    body: Span
    action: Span | None

    @property
    def shot_id(self) -> str:
        return f"{self.scene}/{self.id}"


@dataclass
class SceneInfo:
    id: str
    id_span: Span
    body: Span
    heading: str | None
    shots: list[ShotInfo] = field(default_factory=list)


@dataclass
class Index:
    definitions: dict[Symbol, Definition] = field(default_factory=dict)
    occurrences: list[Occurrence] = field(default_factory=list)
    triggers: dict[str, str] = field(default_factory=dict)
    """Trigger word (``@Luca``) -> element name."""
    scenes: list[SceneInfo] = field(default_factory=list)
    sections: dict[str, Span] = field(default_factory=dict)
    """Top-level key -> the span of its value (for outline and folding)."""

    def names(self, kind: str) -> list[str]:
        return [s.name for s in self.definitions if s.kind == kind]

    def elements(self, *kinds: str) -> list[str]:
        return [s.name for s, d in self.definitions.items()
                if s.kind == "element" and (not kinds or d.text("kind") in kinds)]

    def models(self, kind: str | None = None) -> list[str]:
        """Model names (built-in ones included) that serve ``kind`` (any kind when None)."""
        found = [name for name, kinds in BUILTIN_MODELS.items() if kind is None or kind in kinds]
        for symbol, d in self.definitions.items():
            if symbol.kind == "model" and (kind is None or d.text("kind") == kind) and symbol.name not in found:
                found.append(symbol.name)
        return found

    def at(self, line: int, column: int) -> Occurrence | None:
        """The occurrence under a 1-based position (the end of a name counts, for a cursor after it)."""
        for occ in self.occurrences:
            s = occ.span
            if s.line == line and s.column <= column <= s.end_column:
                return occ
        return None

    def of(self, symbol: Symbol) -> list[Occurrence]:
        return [o for o in self.occurrences if o.symbol == symbol]

    def shot_at(self, line: int, column: int) -> ShotInfo | None:
        """The shot whose id line or action text holds the position."""
        for scene in self.scenes:
            for shot in scene.shots:
                if shot.id_span.line == line or (shot.action is not None and _inside(shot.action, line, column)):
                    return shot
        return None

    def shots(self) -> Iterator[ShotInfo]:
        for scene in self.scenes:
            yield from scene.shots


def _inside(span: Span, line: int, column: int) -> bool:
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def trim(source: SourceFile, span: Span) -> Span:
    """``span`` ending at its last written character: a YAML block's end mark sits where the next item
    starts (a line below); a range should end on the line the block's text does."""
    line, column = span.end_line, span.end_column
    while line > span.line and not source.line(line)[: column - 1].strip():
        line -= 1
        column = len(source.line(line).rstrip()) + 1
        if source.line(line).lstrip().startswith("#"):
            column = 1
    return Span(span.file, span.line, span.column, line, column)


def find_word(source: SourceFile, span: Span, word: str, *, fold: bool = False) -> Span | None:
    """The first place ``word`` is written inside ``span`` (ignoring case with ``fold``)."""
    needle = word.casefold() if fold else word
    for line_no in range(span.line, min(span.end_line, source.line_count) + 1):
        text = source.line(line_no)
        start = span.column - 1 if line_no == span.line else 0
        end = span.end_column - 1 if line_no == span.end_line else len(text)
        hay = text[:end].casefold() if fold else text[:end]
        pos = hay.find(needle, start)
        if pos != -1:
            return Span(span.file, line_no, pos + 1, line_no, pos + 1 + len(word))
    return None


def build_index(project: ast.Project) -> Index:
    return _Indexer(project).run()


class _Indexer:
    def __init__(self, project: ast.Project) -> None:
        self.source = project.source
        self.root = project.root
        self.index = Index()

    def run(self) -> Index:
        root = self.root
        if not isinstance(root, ast.Mapping):
            return self.index
        for key, value in root.entries:
            self.index.sections[key.name] = trim(self.source, Span(key.span.file, key.span.line, key.span.column,
                                                                   value.span.end_line, value.span.end_column))
        for section, kind in (("elements", "element"), ("voices", "voice"), ("models", "model"), ("styles", "style")):
            defs = root.get(section)
            if isinstance(defs, ast.Mapping):
                for key, body in defs.entries:
                    self.define(Symbol(kind, key.name), key.span, body)
        self.elements()
        models = root.get("models")
        if isinstance(models, ast.Mapping):
            for _, body in models.entries:
                if isinstance(body, ast.Mapping):
                    self.gates(body.get("gates"))
        self.project(root.get("project"))
        self.voices(root.get("voices"))
        audio = root.get("audio")
        if isinstance(audio, ast.Sequence):
            for track in audio.items:
                self.track(track)
        scenes = root.get("scenes")
        if isinstance(scenes, ast.Sequence):
            for scene in scenes.items:
                self.scene(scene)
        self.index.occurrences.sort(key=lambda o: (o.span.line, o.span.column))
        return self.index

    # --- recording ---------------------------------------------------------------------------
    def define(self, symbol: Symbol, span: Span, body: ast.Node) -> None:
        if symbol not in self.index.definitions:
            self.index.definitions[symbol] = Definition(symbol, span, body)
        self.index.occurrences.append(Occurrence(symbol, span, symbol.name, definition=True))

    def use(self, kind: str, node: ast.Node | None, *, fold: bool = False) -> None:
        """A scalar naming a symbol of ``kind``."""
        if not isinstance(node, ast.Scalar) or not isinstance(node.value, str) or not node.value:
            return
        name = node.value
        span = find_word(self.source, node.span, name) or (find_word(self.source, node.span, name, fold=True)
                                                           if fold else None)
        if span is None:
            return
        written = self.source.line(span.line)[span.column - 1: span.end_column - 1]
        self.index.occurrences.append(Occurrence(Symbol(kind, name), span, written))

    # --- sections ----------------------------------------------------------------------------
    def elements(self) -> None:
        for symbol, d in list(self.index.definitions.items()):
            if symbol.kind != "element":
                continue
            trigger = d.text("trigger")
            word = trigger or f"@{symbol.name}"
            self.index.triggers.setdefault(word, symbol.name)
            if trigger is not None and isinstance(d.node, ast.Mapping):
                node = d.node.get("trigger")
                assert node is not None
                span = find_word(self.source, node.span, trigger)
                if span is not None:
                    self.index.occurrences.append(Occurrence(
                        symbol, Span(span.file, span.line, span.column + 1, span.end_line, span.end_column),
                        trigger[1:], renamable=trigger == f"@{symbol.name}"))
            if isinstance(d.node, ast.Mapping):
                self.use("voice", d.node.get("voice"))

    def project(self, node: ast.Node | None) -> None:
        if isinstance(node, ast.Mapping):
            self.use("style", node.get("style"))
            self.models(node.get("models"))
            self.gates(node.get("gates"))

    def gates(self, node: ast.Node | None) -> None:
        """``gates: {model: ...}`` (the project's or a model's): the scoring model is a use."""
        if isinstance(node, ast.Mapping):
            self.use("model", node.get("model"))

    def models(self, node: ast.Node | None) -> None:
        if isinstance(node, ast.Mapping):
            for _, value in node.entries:
                self.use("model", value)

    def voices(self, node: ast.Node | None) -> None:
        if isinstance(node, ast.Mapping):
            for _, body in node.entries:
                if isinstance(body, ast.Mapping):
                    self.use("model", body.get("engine"))

    def track(self, node: ast.Node) -> None:
        if not isinstance(node, ast.Mapping):
            return
        ident = node.get("id")
        if isinstance(ident, ast.Scalar) and isinstance(ident.value, str):
            span = find_word(self.source, ident.span, ident.value)
            if span is not None:
                self.define(Symbol("track", ident.value), span, node)
        self.use("shot", node.get("at"))

    def scene(self, node: ast.Node) -> None:
        if not isinstance(node, ast.Mapping):
            return
        ident = node.get("id")
        if not (isinstance(ident, ast.Scalar) and isinstance(ident.value, str)):
            return
        heading = node.get("heading")
        info = SceneInfo(ident.value, ident.span, trim(self.source, node.span),
                         str(heading.value) if isinstance(heading, ast.Scalar) and heading.value else None)
        self.index.scenes.append(info)
        self.use("element", node.get("location"))
        self.use("style", node.get("style"))
        self.models(node.get("models"))
        shots = node.get("shots")
        if isinstance(shots, ast.Sequence):
            for shot in shots.items:
                self.shot(info, shot)

    def shot(self, scene: SceneInfo, node: ast.Node) -> None:
        if not isinstance(node, ast.Mapping):
            return
        ident = node.get("id")
        if not (isinstance(ident, ast.Scalar) and isinstance(ident.value, str)):
            return
        action = node.get("action")
        info = ShotInfo(scene.id, ident.value, ident.span, trim(self.source, node.span),
                        action.span if isinstance(action, ast.Scalar) else None)
        scene.shots.append(info)
        span = find_word(self.source, ident.span, ident.value)
        if span is not None:
            self.define(Symbol("shot", info.shot_id), span, node)
        if isinstance(action, ast.Scalar) and isinstance(action.value, str):
            self.triggers_in(action.span)
        self.use("element", node.get("location"))
        self.use("style", node.get("style"))
        self.models(node.get("models"))
        pattern = node.get("pattern")
        if isinstance(pattern, ast.Mapping):
            self.use("track", pattern.get("track"))
        dialogue = node.get("dialogue")
        if isinstance(dialogue, ast.Sequence):
            for line in dialogue.items:
                if isinstance(line, ast.Mapping):
                    self.use("element", line.get("character"), fold=True)
                    self.use("voice", line.get("voice"))
        blocking = node.get("blocking")
        if isinstance(blocking, ast.Sequence):
            for entry in blocking.items:
                if isinstance(entry, ast.Mapping):
                    self.use("element", entry.get("who"))
                    self.use("element", entry.get("look_at"))
        end = node.get("end")
        if isinstance(end, ast.Mapping):
            self.use("shot", end.get("shot"))

    def triggers_in(self, span: Span) -> None:
        for line_no in range(span.line, min(span.end_line, self.source.line_count) + 1):
            text = self.source.line(line_no)
            start = span.column - 1 if line_no == span.line else 0
            end = span.end_column - 1 if line_no == span.end_line else len(text)
            for match in TRIGGER.finditer(text, start, end):
                name = self.index.triggers.get(match.group())
                if name is None:
                    continue
                renamable = match.group() == f"@{name}"
                at = Span(span.file, line_no, match.start() + 2, line_no, match.end() + 1)
                self.index.occurrences.append(Occurrence(Symbol("element", name), at, match.group()[1:],
                                                         renamable=renamable))
