"""The DSL's parse tree -> the span-carrying document tree (``ast``), exactly as YAML would give it.

One method per grammar rule (lark calls them bottom-up, children left to right, so every
definition is built before the first scene and cues can be matched to characters). Each mapping is
built in the format's key order; every key and value keeps the span of the words that wrote it.
Sugar becomes plain keys: ``[dare] close_up 3s dolly_in 0.15`` gives ``type``, ``duration`` and
``camera: {move, amount}``; ``duck`` gives ``duck_under_dialogue: true``; a model's unknown
options go to its ``params``. Quoted option keys are always taken literally.
"""

from __future__ import annotations

import re

from lark import Token

from .. import ast
from ..diagnostics import Diagnostic, Related, Span
from .parts import FATAL_CODES, BuilderBase, Definition, Entries, Opt, SceneNode, Stmt, Track, head, join, span_of
from .vocab import CUE_LIKE, FLAGS, MODEL_FIELDS, character_folds, cue_target, off_screen_mark, typed

__all__ = ["FATAL_CODES", "Builder"]

_RESOLUTION = re.compile(r"([0-9]+)x([0-9]+)")
_SHOT_MODELS = ("image", "video", "speech")


class Builder(BuilderBase):
    """Transforms one parse tree; ``diagnostics`` holds what it found wrong."""

    def studio_line(self, c: list) -> Stmt:
        kw, value = c
        return Stmt("root", ((self.key("studio", kw), self.node(value)),))

    def settings_line(self, c: list) -> Stmt:
        entries = []
        for key_tok, value in zip(c[::2], c[1::2]):
            node = self.node(value)
            match = _RESOLUTION.fullmatch(value) if isinstance(value, Token) and value.type == "WORD" else None
            if key_tok == "resolution" and match:
                w, h = match.group(1), match.group(2)
                s = self.span(value)
                node = ast.Sequence((
                    ast.Scalar(int(w), Span(s.file, s.line, s.column, s.line, s.column + len(w))),
                    ast.Scalar(int(h), Span(s.file, s.line, s.end_column - len(h), s.line, s.end_column))), s)
            entries.append((self.key(str(key_tok), key_tok), node))
        return Stmt("project", tuple(entries))

    def project_line(self, c: list) -> Stmt:
        return Stmt("project", tuple((o.key, o.value) for o in c[1:]), self.span(c[0]))

    def models_line(self, c: list) -> Stmt:
        kw, *options = c
        span = self.spans(kw, options[-1]) if options else self.span(kw)
        return Stmt("project", ((self.key("models", kw), self.options_mapping(options, " in 'models'", "models",
                                                                               span)),))

    def output_line(self, c: list) -> Stmt:
        kw, *options = c
        span = self.spans(kw, options[-1]) if options else self.span(kw)
        return Stmt("root", ((self.key("output", kw), self.options_mapping(options, " in 'output'", "", span)),))

    def set_line(self, c: list) -> Stmt:
        return Stmt("root", tuple((o.key, o.value) for o in c[1:]))

    # --- definitions ---------------------------------------------------------------------------
    def _definition(self, section: str, kw: Token, name: Token, entries: Entries, order: str,
                    last: object) -> Definition:
        return Definition(section, self.key(self.text(name), name),
                          entries.mapping(order, self.spans(kw, last)))

    def model_def(self, c: list) -> Definition:
        kw, name, *rest = c
        args, options, props = self._parts(rest)
        where = f" in model '{self.text(name)}'"
        entries, params = Entries(self, where), Entries(self, where)
        for fname, tok in zip(("backend", "kind"), args):
            entries.add(self.key(fname, tok), self.text_scalar(tok))
        for opt in options:
            (entries if opt.quoted or opt.key.name in MODEL_FIELDS else params).add(opt.key, opt.value)
        for prop in props:
            value = self.single(prop, where)
            if value is not None:
                (entries if prop.key.name in MODEL_FIELDS else params).add(prop.key, value)
        if params.items:
            first = next(iter(params.items.values()))[0]
            params_key = ast.Key("params", first.span)
            entries.add(params_key, params.mapping("", join(first.span, list(params.items.values())[-1][1].span)))
        return self._definition("models", kw, name, entries, "model", rest[-1] if rest else name)

    def style_def(self, c: list) -> Definition:
        kw, name, *rest = c
        args, options, props = self._parts(rest)
        where = f" in style '{self.text(name)}'"
        entries = Entries(self, where)
        for tok in args:
            entries.add(self.key("prompt", tok), self.text_scalar(tok))
        self._generic(entries, options, props, where, lists=("palette",), lora=True)
        return self._definition("styles", kw, name, entries, "style", rest[-1] if rest else name)

    def voice_def(self, c: list) -> Definition:
        kw, name, *rest = c
        args, options, props = self._parts(rest)
        where = f" in voice '{self.text(name)}'"
        entries, emotions = Entries(self, where), Entries(self, where)
        for fname, tok in zip(("engine", "language"), args):
            entries.add(self.key(fname, tok), self.text_scalar(tok))
        others = []
        for prop in props:
            if prop.key.name != "emotion":
                others.append(prop)
            elif len(prop.raw) != 1 or not isinstance(prop.raw[0], Token):
                self.error("E116", "'emotion' takes a name, then key=value adjustments", prop.span,
                           "e.g. 'emotion weary pitch=-8 rate=-20'")
            else:
                tok = prop.raw[0]
                emotions.add(self.key(self.text(tok), tok),
                             self.options_mapping(prop.options, f" in emotion '{tok}'", "", prop.span))
        self._generic(entries, options, others, where)
        if emotions.items:
            first = next(iter(emotions.items.values()))[0]
            last = list(emotions.items.values())[-1][1]
            entries.add(ast.Key("emotions", first.span), emotions.mapping("", join(first.span, last.span)))
        return self._definition("voices", kw, name, entries, "voice", rest[-1] if rest else name)

    def element_def(self, c: list) -> Definition:
        kw, name, *rest = c
        args, options, props = self._parts(rest)
        where = f" in element '{self.text(name)}'"
        entries = Entries(self, where)
        if kw != "element":
            entries.add(self.key("kind", kw), ast.Scalar(str(kw), self.span(kw)))
        for tok in args:
            entries.add(self.key("trigger" if tok.type == "TRIGGER" else "description", tok), self.text_scalar(tok))
        self._generic(entries, options, props, where, lists=("references",), lora=True)
        definition = self._definition("elements", kw, name, entries, "element", rest[-1] if rest else name)
        kind = definition.body.get("kind")
        self.elements[definition.name.name] = kind.value if isinstance(kind, ast.Scalar) and isinstance(
            kind.value, str) else None
        self.folds = None
        return definition

    def track_id(self, c: list) -> ast.Scalar:
        return self.text_scalar(c[0])

    def audio_def(self, c: list) -> Track:
        kw, *rest = c
        entries = Entries(self, " in this audio track")
        if rest and isinstance(rest[0], ast.Scalar):
            entries.add(ast.Key("id", rest[0].span), rest[0])
            rest = rest[1:]
        args, options, props = self._parts(rest)
        for tok in args:
            if tok.type == "FLAG":
                entries.add(self.key(FLAGS[str(tok)], tok), ast.Scalar(True, self.span(tok)))
            else:
                entries.add(self.key("file", tok), self.text_scalar(tok))
        if kw != "audio":
            entries.add(self.key("kind", kw), ast.Scalar(str(kw), self.span(kw)))
        self._generic(entries, options, props, " in this audio track")
        return Track(entries.mapping("audio", self.spans(kw, rest[-1] if rest else kw)))

    # --- scenes and shots ----------------------------------------------------------------------
    def scene_id(self, c: list) -> tuple[str, ast.Scalar]:
        return "id", self.text_scalar(c[0])

    def heading(self, c: list) -> tuple[str, ast.Scalar]:
        tok = c[0]
        return "heading", (ast.Scalar(str(tok), self.span(tok)) if tok.type == "HEADING" else self.text_scalar(tok))

    def scene_line(self, c: list) -> tuple[Token, list[tuple[str, ast.Scalar]]]:
        return c[0], c[1:]

    def scene(self, c: list) -> SceneNode:
        (kw, parts), *rest = c
        entries = Entries(self, " in this scene")
        for name, value in parts:
            entries.add(ast.Key(name, value.span), value)
        shots = [x.body for x in rest if isinstance(x, SceneNode)]
        _, options, props = self._parts([x for x in rest if not isinstance(x, SceneNode)])
        others = []
        for prop in props:
            if prop.key.name == "models" and not prop.raw:
                entries.add(prop.key, self.options_mapping(prop.options, " in 'models'", "models", prop.span))
            else:
                others.append(prop)
        self._generic(entries, options, others, " in this scene")
        if shots:
            entries.add(ast.Key("shots", head(shots[0].span)), ast.Sequence(tuple(shots), join(shots[0].span,
                                                                                           shots[-1].span)))
        last = span_of(rest[-1]) if rest else parts[-1][1].span if parts else self.span(kw)
        return SceneNode(entries.mapping("scene", join(self.span(kw), last)))

    def camera(self, c: list) -> Opt:
        move, *amount = c
        body = [(self.key("move", move), self.text_scalar(move))]
        if amount:
            body.append((self.key("amount", amount[0]), self.scalar(amount[0])))
        return Opt(self.key("camera", move), False, ast.Mapping(tuple(body), self.spans(move, c[-1])))

    def transition(self, c: list) -> Opt:
        kind, *seconds = c
        body = [(self.key("type", kind), self.text_scalar(kind))]
        if seconds:
            body.append((self.key("duration", seconds[0]), self.seconds(seconds[0])))
        return Opt(self.key("transition", kind), False, ast.Mapping(tuple(body), self.spans(kind, c[-1])))

    def seconds(self, tok: Token) -> ast.Scalar:
        return ast.Scalar(typed(str(tok)[:-1]), self.span(tok))

    def shot_line(self, c: list) -> tuple[Token, Entries, Span]:
        opener, *items = c
        entries = Entries(self, " in this shot")
        models = Entries(self, " in this shot")
        if items and isinstance(items[0], Token) and items[0].type in ("WORD", "STRING"):
            entries.add(self.key("id", items[0]), self.text_scalar(items[0]))
            items = items[1:]
        for item in items:
            if isinstance(item, Opt):
                if not item.quoted and item.key.name in _SHOT_MODELS:
                    models.add(item.key, item.value)
                else:
                    entries.add(item.key, item.value)
            elif item.type == "SHOT_TYPE":
                entries.add(self.key("type", item), self.text_scalar(item))
            elif item.type == "AUTO":
                entries.add(self.key("duration", item), ast.Scalar("auto", self.span(item)))
            else:
                entries.add(self.key("duration", item), self.seconds(item))
        if models.items:
            keys = list(models.items.values())
            entries.add(ast.Key("models", keys[0][0].span), models.mapping("models", join(keys[0][0].span,
                                                                                       keys[-1][1].span)))
        return opener, entries, self.spans(opener, c[-1])

    def action(self, c: list) -> Token:
        return c[0]  # type: ignore[no-any-return]

    def shot(self, c: list) -> SceneNode:
        (opener, entries, line_span), *rest = c
        actions = [x for x in rest if isinstance(x, Token)]
        speeches = [x for x in rest if isinstance(x, ast.Mapping)]
        if actions:
            entries.add(ast.Key("action", self.span(actions[0])), self._action(actions))
        if speeches:
            entries.add(ast.Key("dialogue", head(speeches[0].span)),
                        ast.Sequence(tuple(speeches), join(speeches[0].span, speeches[-1].span)))
        last = speeches[-1].span if speeches else (self.span(actions[-1]) if actions else line_span)
        return SceneNode(entries.mapping("shot", join(line_span, last)))

    def _action(self, tokens: list[Token]) -> ast.Scalar:
        text = self.text(tokens[0])
        for before, tok in zip(tokens, tokens[1:]):
            gap = range(span_of(before).line + 1, span_of(tok).line)
            blank = any(not self.source.line(n).strip(" \t\r") for n in gap)
            text += ("\n" if blank else " ") + self.text(tok)
        return ast.Scalar(text, self.spans(tokens[0], tokens[-1]))

    def cue_line(self, c: list) -> list:
        return c

    def dialogue(self, c: list) -> Token:
        return c[0]  # type: ignore[no-any-return]

    def speech(self, c: list) -> ast.Mapping:
        (cue, *cue_rest), *lines = c
        quoted = cue.startswith('"')
        written = self.decode(cue) if quoted else str(cue)
        if self.folds is None:
            self.folds = character_folds(self.elements)
        name = cue_target(written, quoted, self.elements, self.folds)
        entries = Entries(self, f" for this line of {written}")
        entries.add(self.key("character", cue), ast.Scalar(name, self.span(cue)))
        parens = [x for x in cue_rest if isinstance(x, Token)]
        options = [x for x in cue_rest if isinstance(x, Opt)]
        marks = [tok for tok in parens if off_screen_mark(str(tok)) is not None]
        parens = [tok for tok in parens if tok not in marks]
        if len(marks) > 1 or len(parens) > 1:
            extra = (marks if len(marks) > 1 else parens)[1]
            self.error("E115", "a cue takes one (V.O.)/(O.S.) mark and one (emotion)", self.span(extra),
                       "write 'NAME (V.O.) (emotion)'")
            marks, parens = marks[:1], parens[:1]
        if lines and lines[0].type == "PAREN" and not parens and off_screen_mark(str(lines[0])) is None:
            parens, lines = [lines[0]], lines[1:]
        for tok in lines:
            if tok.type == "PAREN":
                self.error("E115", "a parenthetical goes right after the cue, before the dialogue", self.span(tok),
                           "start a new speech (a blank line, then the cue) for a new emotion")
        text_lines = [tok for tok in lines if tok.type != "PAREN"]
        for tok in text_lines:
            match = CUE_LIKE.fullmatch(str(tok)) if tok.type == "DIALOGUE" else None
            if match and self.elements.get(cue_target(match.group(1), False, self.elements, self.folds)) == "character":
                self.diagnostics.append(Diagnostic.warning(
                    "W110", f"'{tok}' reads like a cue, but it continues the dialogue above", self.span(tok),
                    "put a blank line before a new speech"))
        if text_lines:
            line = " ".join(self.text(tok) for tok in text_lines)
            entries.add(self.key("line", text_lines[0]), ast.Scalar(line, self.spans(text_lines[0], text_lines[-1])))
        elif not any(opt.key.name == "line" for opt in options):
            self.error("E115", f"the cue '{written}' has no dialogue", self.span(cue),
                       "write what they say on the next line, indented like the cue (no blank line between)")
        if parens:
            tok = parens[0]
            inner = str(tok)[1:-1]
            lead = len(inner) - len(inner.lstrip(" \t"))
            emotion = inner.strip(" \t")
            s = self.span(tok)
            span = Span(s.file, s.line, s.column + 1 + lead, s.line, s.column + 1 + lead + max(len(emotion), 1))
            entries.add(ast.Key("emotion", s), ast.Scalar(emotion, span))
        if marks:
            tok = marks[0]
            s = self.span(tok)
            entries.add(ast.Key("off_screen", s), ast.Scalar(off_screen_mark(str(tok)), s))
        for opt in options:
            entries.add(opt.key, opt.value)
        last = lines[-1] if lines else c[0][-1]
        return entries.mapping("dialogue", self.spans(cue, last))

    # --- the file ------------------------------------------------------------------------------
    def start(self, c: list) -> list:
        """The statements of one block of the file (``dsl_blocks`` parses the file block by block)."""
        return c

    def project(self, c: list) -> ast.Node | None:
        """The document tree of the whole file from the statements of all its blocks, in order."""
        if not c:
            return None
        root = Entries(self, "")
        project = Entries(self, " in the project settings")
        sections: dict[str, Entries] = {}
        section_spans: dict[str, list[Span]] = {}
        scenes: list[ast.Mapping] = []
        tracks: list[ast.Mapping] = []
        project_spans: list[Span] = []
        for item in c:
            if isinstance(item, Stmt):
                if item.opener is not None:
                    project_spans.append(item.opener)
                target = root if item.where == "root" else project
                for key, value in item.entries:
                    target.add(key, value)
                    if item.where == "project":
                        project_spans += [key.span, value.span]
            elif isinstance(item, Definition):
                entries = sections.setdefault(item.section, Entries(self, f" in '{item.section}'"))
                if item.name.name in entries.items:
                    first = entries.items[item.name.name][0]
                    self.error("E113", f"'{item.name.name}' is defined twice", item.name.span,
                               f"it is already defined on line {first.span.line}; rename one or keep one",
                               (Related(first.span, f"'{item.name.name}' is first defined here"),))
                    continue
                entries.add(item.name, item.body)
                section_spans.setdefault(item.section, []).append(item.body.span)
            elif isinstance(item, Track):
                tracks.append(item.body)
            elif isinstance(item, SceneNode):
                scenes.append(item.body)
        if project_spans:
            first_span = project_spans[0]
            span = join(first_span, max(project_spans, key=lambda s: (s.end_line, s.end_column)))
            root.add(ast.Key("project", first_span), project.mapping("project", span))
        for section, entries in sections.items():
            spans = section_spans[section]
            root.add(ast.Key(section, head(spans[0])), entries.mapping("", join(spans[0], spans[-1])))
        for name, items in (("scenes", scenes), ("audio", tracks)):
            if items:
                root.add(ast.Key(name, head(items[0].span)),
                         ast.Sequence(tuple(items), join(items[0].span, items[-1].span)))
        all_spans = [span_of(value) for _, value in root.items.values()]
        start = min(all_spans, key=lambda s: (s.line, s.column)) if all_spans else Span(self.file, 1, 1, 1, 2)
        end = max(all_spans, key=lambda s: (s.end_line, s.end_column)) if all_spans else start
        return root.mapping("root", join(start, end))
