"""Lexer of the screenplay DSL: source text -> lark tokens, comments and lexical problems.

A ``.studio`` file is line-structured, and what a line means depends on where it stands:
before the first ``SCENE`` a line is a definition or settings line and indented lines continue it;
after a shot line ``[id] ...`` unindented lines are action text and indented blocks are speeches
(a cue line, then dialogue lines, up to a blank line). This lexer knows that layout and hands the
parser one token per word or punctuation of structured lines and one token per line of free text
(action, dialogue, scene heading), so the grammar in ``studio.lark`` stays LALR and small.

Tokens carry 1-based lines and columns (end column exclusive), like ``Span``. Every token belongs
to a *statement* (a definition, a scene line, a shot with its action and speeches); the parser
resynchronises at statement starts after a syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lark import Token

from ..comments import Comment
from ..diagnostics import Diagnostic, Span
from ..source import SourceFile
from .vocab import DEF_KEYWORDS, FLAGS, MOVES, SHOT_TYPES, TRANSITIONS, WORD_RE, is_number_word

__all__ = ["Comment", "LATE_DEFINITION", "SCENE_LINE", "Lexed", "lex", "token_span"]

DEFS, SCENE_HEAD, SHOT = "defs", "scene", "shot"
MAX_DEPTH = 64
"""Deepest nesting of literals accepted (as for YAML); a real project needs three."""

_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_EQ_RE = re.compile(r"[ \t]*=[ \t]*")
_SECONDS_RE = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?s")
_KEYWORD_RE = re.compile(r"[A-Za-z_]+(?=[ \t:]|$)")
_SCENE_RE = re.compile(r"SCENE(?=[ \t:]|$)")
SCENE_LINE = _SCENE_RE
"""A scene's first line (at the left margin, trailing blanks removed): the lexer starts afresh there."""
LATE_DEFINITION = re.compile(
    r'(?:model|style|voice|character|location|prop|element|audio|music|effect)[ \t]+(?:"[^"]*"|[^\s":=]+)[ \t]*:'
    r"(?:[ \t]|$)|(?:output|models|project|set)[ \t]+[^\s=\"]+[ \t]*=")
"""An unindented line after the first SCENE that reads like a definition (they belong above it)."""
_PUNCT = {"[": "_LSQB", "]": "_RSQB", "{": "_LBRACE", "}": "_RBRACE", ",": "_COMMA", ":": "_COLON"}


@dataclass
class Lexed:
    tokens: list[Token] = field(default_factory=list)
    statement: list[int] = field(default_factory=list)
    """The statement number of each token."""
    comments: list[Comment] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    bad_statements: set[int] = field(default_factory=set)
    """Statements with a lexical error: the parser reports nothing more about them."""


def lex(source: SourceFile, line: int = 1, offset: int = 0) -> Lexed:
    """Tokens of ``source``; ``line`` and ``offset`` say where its text starts in the file (a block of a
    longer file, parsed on its own: ``dsl_blocks``)."""
    return _Lexer(source, line, offset).run()


def token_span(file: str, tok: Token) -> Span:
    """Where a token stands (every token of this lexer has its positions set)."""
    line, column = tok.line or 1, tok.column or 1
    return Span(file, line, column, tok.end_line or line, max(tok.end_column or column + 1, column + 1))


class _Lexer:
    def __init__(self, source: SourceFile, line: int = 1, offset: int = 0) -> None:
        self.source = source
        self.first_line, self.first_offset = line, offset
        self.out = Lexed()
        self.n = -1
        self.region = DEFS
        self.skip_indented = False

    # --- lines ---------------------------------------------------------------------------
    def run(self) -> Lexed:
        offset = self.first_offset
        previous = "blank"  # what the last line that was not a comment was: blank, top or indented
        for lineno, raw in enumerate(self.source.text.split("\n"), self.first_line):
            self.line, self.offset = lineno, offset
            offset += len(raw) + 1
            text = raw.rstrip(" \t\r")
            content = text.lstrip(" \t")
            if not content:
                previous = "blank"
                continue
            indent = len(text) - len(content)
            if content.startswith("#"):
                self.out.comments.append(Comment(lineno, indent + 1, content[1:], False))
                continue
            self.text = text
            if indent == 0:
                self.top_line(content)
                previous = "top"
            else:
                self.indented_line(indent, starts_speech=previous != "indented")
                previous = "indented"
        return self.out

    def top_line(self, content: str) -> None:
        self.skip_indented = False
        if _SCENE_RE.match(content):
            self.new_statement()
            self.region = SCENE_HEAD
            self.scene_line()
        elif content.startswith("["):
            self.new_statement()
            self.region = SHOT
            self.emit("SHOT_OPEN", 0, 1)
            self.structured(1, "shot")
        elif self.region == DEFS:
            self.new_statement()
            match = _KEYWORD_RE.match(content)
            kind = DEF_KEYWORDS.get(match.group()) if match else None
            if match and kind and not _EQ_RE.match(content, match.end()):
                self.emit(kind, 0, match.end())
                self.structured(match.end(), kind)
            else:
                self.structured(0, "plain")
        elif LATE_DEFINITION.match(content):
            self.new_statement()
            word = content.split()[0]
            self.error("E114", f"definitions come before the first SCENE; this '{word}' line is after it",
                       0, len(word), "move it up among the definitions")
            self.skip_indented = True
        elif content.startswith('"'):
            self.structured(0, "plain")
        else:
            self.emit("ACTION", 0, len(content))
            self.newline()

    def indented_line(self, indent: int, starts_speech: bool) -> None:
        if self.skip_indented:
            return
        if self.n < 0:
            self.new_statement()
        if self.region != SHOT:
            self.emit("_INDENT", 0, indent)
            self.structured(indent, "plain")
        elif starts_speech:
            self.cue_line(indent)
        else:
            content = self.text[indent:]
            if content.startswith("(") and content.endswith(")"):
                self.emit("PAREN", indent, len(self.text))
                self.newline()
            elif content.startswith('"'):
                self.structured(indent, "plain")
            else:
                self.emit("DIALOGUE", indent, len(self.text))
                self.newline()

    def scene_line(self) -> None:
        text = self.text
        self.emit("SCENE", 0, 5)
        pos = self.skip(5)
        comment = pos < len(text) and text[pos] == "#" and (pos + 1 >= len(text) or text[pos + 1] in " \t")
        if pos < len(text) and text[pos] != ":" and not comment:
            if text[pos] == '"':
                match = _STRING_RE.match(text, pos)
                if match is None:
                    self.unterminated(pos, newline=True)
                    return
            else:
                match = WORD_RE.match(text, pos)
                if match is None:
                    self.structured(pos, "plain")
                    return
            self.emit("STRING" if text[pos] == '"' else "WORD", pos, match.end())
            pos = self.skip(match.end())
        if pos < len(text) and text[pos] == ":":
            self.emit("_COLON", pos, pos + 1)
            pos = self.skip(pos + 1)
            if pos < len(text) and text[pos] != '"':
                self.emit("HEADING", pos, len(text))
                pos = len(text)
        self.structured(pos, "plain")

    def cue_line(self, indent: int) -> None:
        text = self.text
        match = _STRING_RE.match(text, indent) if text[indent] == '"' else WORD_RE.match(text, indent)
        if match is None or _EQ_RE.match(text, match.end()):
            if text[indent] == '"' and match is None:
                self.unterminated(indent, newline=True)
                return
            self.structured(indent, "plain")
            return
        self.emit("CUE", indent, match.end())
        self.structured(match.end(), "plain")

    # --- words -----------------------------------------------------------------------------
    def structured(self, pos: int, mode: str) -> None:
        """Tokens of a structured line from ``pos`` to its end (or a trailing comment), then the newline."""
        text, n = self.text, len(self.text)
        depth = 0
        after_colon = False
        naming = mode == "shot"  # between '[' and ']' of a shot line: the id, never a shot word
        previous = ""
        while True:
            pos = self.skip(pos)
            if pos >= n:
                break
            ch = text[pos]
            if ch == "#" and (pos + 1 >= n or text[pos + 1] in " \t"):
                self.out.comments.append(Comment(self.line, pos + 1, text[pos + 1:], True))
                break
            if text.startswith("->", pos):
                previous = self.emit("_ARROW", pos, pos + 2)
                pos += 2
                continue
            if ch in _PUNCT:
                kind = _PUNCT[ch]
                if ch in "[{":
                    depth += 1
                    if depth > MAX_DEPTH:
                        self.error("E104", f"lists and mappings nested more than {MAX_DEPTH} deep", pos, pos + 1,
                                   "flatten the structure")
                        break
                elif ch in "]}":
                    if naming and depth == 0:
                        naming = False
                    depth = max(depth - 1, 0)
                elif ch == ":" and depth == 0:
                    after_colon = True
                previous = self.emit(kind, pos, pos + 1)
                pos += 1
                continue
            if ch == "(":
                close = text.find(")", pos)
                if close < 0:
                    self.error("E110", "this '(' is never closed", pos, n, "close the parenthetical with ')'")
                    break
                previous = self.emit("PAREN", pos, close + 1)
                pos = close + 1
                continue
            if ch in ")=":
                previous = self.emit("BAD", pos, pos + 1)
                pos += 1
                continue
            if ch == '"':
                match = _STRING_RE.match(text, pos)
                if match is None:
                    self.unterminated(pos)
                    break
                kind = "STRING"
            else:
                match = WORD_RE.match(text, pos)
                if match is None:  # a space other than blank and tab (no-break, line separator, ...)
                    previous = self.emit("BAD", pos, pos + 1)
                    pos += 1
                    continue
                kind = ""
            end = match.end()
            eq = _EQ_RE.match(text, end)
            if eq is not None:
                previous = self.emit("OPTKEY", pos, end)
                pos = eq.end()
                continue
            if not kind:
                quiet = depth > 0 or previous == "OPTKEY" or naming
                kind = "WORD" if quiet else _classify(match.group(), mode, previous, after_colon)
            previous = self.emit(kind, pos, end)
            pos = end
        self.newline()

    def skip(self, pos: int) -> int:
        text = self.text
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        return pos

    # --- output --------------------------------------------------------------------------
    def new_statement(self) -> None:
        self.n += 1

    def emit(self, kind: str, start: int, end: int) -> str:
        value = self.text[start:end]
        self.out.tokens.append(Token(kind, value, self.offset + start, self.line, start + 1, self.line, end + 1,
                                     self.offset + end))
        self.out.statement.append(self.n)
        return kind

    def newline(self) -> None:
        end = len(self.text)
        self.out.tokens.append(Token("_NL", "\n", self.offset + end, self.line, end + 1, self.line, end + 2,
                                     self.offset + end + 1))
        self.out.statement.append(self.n)

    def unterminated(self, pos: int, *, newline: bool = False) -> None:
        self.error("E111", "this quoted text is never closed", pos, len(self.text),
                   "end it with '\"' on the same line (write \\\" for a quote inside it)")
        if newline:
            self.newline()

    def error(self, code: str, message: str, start: int, end: int, hint: str | None = None) -> None:
        span = Span(self.source.name, self.line, start + 1, self.line, max(end, start + 1) + 1)
        self.out.diagnostics.append(Diagnostic.error(code, message, span, hint))
        self.out.bad_statements.add(self.n)


def _classify(word: str, mode: str, previous: str, after_colon: bool) -> str:
    if mode == "shot":
        if previous == "_ARROW":
            return "TRANSITION" if word in TRANSITIONS else "WORD"
        if word in SHOT_TYPES:
            return "SHOT_TYPE"
        if word in MOVES:
            return "MOVE"
        if word == "auto":
            return "AUTO"
        if _SECONDS_RE.fullmatch(word):
            return "SECONDS"
        if is_number_word(word):
            return "NUMBER"
    elif mode == "ELEMENT" and after_colon and word.startswith("@"):
        return "TRIGGER"
    elif mode == "AUDIO" and after_colon and word in FLAGS:
        return "FLAG"
    return "WORD"
