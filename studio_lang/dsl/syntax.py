"""Screenplay DSL surface syntax: ``*.studio`` text -> ``ast.Project`` with a span on every key and value.

Three steps: ``dsl_lexer`` turns lines into tokens, the LALR parser generated from ``studio.lark``
checks their order, ``dsl_build`` turns the parse tree into the same tree YAML gives. A syntax error
becomes one diagnostic in words at the offending token; the parser then drops the rest of that
statement (a definition, a scene line, a shot with its action and speeches) and resumes at the next
one, so each mistake is reported once and none cascades. lark's exceptions never leave this module.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedToken, VisitError
from lark.lexer import Lexer

from .. import ast
from ..diagnostics import Diagnostic, Span, has_errors
from ..source import SourceFile
from .lexer import Lexed, lex, token_span
from .vocab import DEF_KEYWORDS, FIELD_ORDER, MOVES, SHOT_TYPES, TRANSITIONS

__all__ = ["parse_block", "parse_dsl"]

_PARSER: Lark | None = None

_PHRASES = {
    "_NL": "the end of the line", "$END": "the end of the file", "WORD": "a word", "STRING": "quoted text",
    "OPTKEY": "an option such as key=value", "_COLON": "':'", "_ARROW": "'->' and a transition", "_RSQB": "']'",
    "_LSQB": "'['", "_LBRACE": "'{'", "_RBRACE": "'}'", "_COMMA": "','",
    "SHOT_TYPE": "a shot type such as wide or close_up", "SECONDS": "a duration such as 3s or auto",
    "MOVE": "a camera move such as pan_left or dolly_in", "TRANSITION": "a transition (cut, dissolve, fade or wipe)",
    "NUMBER": "a number", "TRIGGER": "a trigger such as @Luca", "FLAG": "'duck' or 'loop'",
    "PAREN": "a (parenthetical)", "CUE": "a cue", "DIALOGUE": "dialogue", "ACTION": "action text",
    "HEADING": "a scene heading", "SCENE": "a SCENE line", "SHOT_OPEN": "a shot line", "_INDENT": "an indented line",
}
_ORDER = ["SHOT_TYPE", "SECONDS", "MOVE", "_ARROW", "TRANSITION", "TRIGGER", "WORD", "STRING", "NUMBER", "FLAG",
          "PAREN", "OPTKEY", "_COLON", "_COMMA", "_RSQB", "_RBRACE", "_NL"]
_SETTINGS = set(FIELD_ORDER["project"])
_SHOT_WORDS = [*SHOT_TYPES, *MOVES, "auto"]


class _Tokens(Lexer):
    """A placeholder lexer: tokens come from dsl_lexer and are fed to the parser one by one."""

    def __init__(self, conf: Any) -> None:
        pass

    def lex(self, state: Any, parser_state: Any) -> Iterator[Token]:
        return iter(())


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        options: dict[str, Any] = dict(rel_to=__file__, parser="lalr", lexer=_Tokens, propagate_positions=True,
                                       maybe_placeholders=False)
        cache = _cache_file()
        try:
            _PARSER = Lark.open("studio.lark", cache=cache, **options) if cache else None
        except Exception:  # an unreadable or stale cache: analyse the grammar again
            _PARSER = None
        if _PARSER is None:
            _PARSER = Lark.open("studio.lark", **options)
    return _PARSER


def _cache_file() -> str | None:
    """Where lark keeps the analysed grammar between runs (loading drops from ~200 ms to ~10 ms): a
    directory of the user's own, never a shared temporary one (the cache is a pickle)."""
    import os
    import sys
    from pathlib import Path

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = Path(base) / "studio"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK) or (hasattr(os, "getuid") and directory.stat().st_uid != os.getuid()):
            return None
    except OSError:
        return None
    return str(directory / f"studio-grammar-py{sys.version_info[0]}{sys.version_info[1]}.lark-cache")


def parse_dsl(source: SourceFile) -> tuple[ast.Project, list[Diagnostic]]:
    """Parse a ``.studio`` file. With a syntax error the project's root is ``None``. The file is parsed
    block by block (the definitions, then each scene), each block memoised by its text (``dsl_blocks``)."""
    from .blocks import parse_blocks

    return parse_blocks(source)


def parse_block(source: SourceFile, text: str, line: int, offset: int,
                elements: dict[str, str | None] | None) -> tuple[int, list[Diagnostic], list | None,
                                                                  list[Diagnostic], dict[str, str | None]]:
    """One block of ``source`` (``text``, starting at ``line`` and character ``offset``): the number of
    its tokens, its syntax errors, the statements built from it (None after a syntax error), the
    builder's diagnostics, and the elements known after it (``elements``: those defined above it)."""
    from .build import Builder

    lexed = lex(SourceFile(source.name, text), line, offset)
    syntax: list[Diagnostic] = list(lexed.diagnostics)
    builder = Builder(source)
    if elements is not None:
        builder.elements = dict(elements)
    if not lexed.tokens:
        return 0, syntax, [], [], builder.elements
    tree, diagnostics = _parse(lexed, source)
    syntax += diagnostics
    if tree is None or has_errors(syntax):
        return len(lexed.tokens), syntax, None, [], builder.elements
    try:
        items = builder.transform(tree)
    except VisitError as exc:  # a bug in a builder method: raise it as itself, not as lark's wrapper
        raise exc.orig_exc from None
    return len(lexed.tokens), syntax, items, builder.diagnostics, builder.elements


def _parse(lexed: Lexed, source: SourceFile) -> tuple[Any, list[Diagnostic]]:
    """Feed the tokens to the LALR parser, recovering at the next statement after each error."""
    state = _parser().parse_interactive(start="start").parser_state
    tokens, statement = lexed.tokens, lexed.statement
    reported = set(lexed.bad_statements)
    diagnostics: list[Diagnostic] = []
    snapshot, start = state.copy(deepcopy_values=False), 0  # the parser before the current statement
    i = 0
    while i < len(tokens):
        if i != start and (i == 0 or statement[i] != statement[i - 1]):
            snapshot, start = state.copy(deepcopy_values=False), i
        try:
            state.feed_token(tokens[i])
            i += 1
            continue
        except UnexpectedToken as exc:
            if statement[i] not in reported:
                reported.add(statement[i])
                expected = _acceptable(snapshot, tokens[start:i], set(exc.expected), tokens[i])
                diagnostics.append(_explain(lexed, i, expected, source))
        state, i = _resync(state, lexed, _next_statement(statement, i))
    end = Token("$END", "", 0, 1, 1)
    try:
        tree = state.feed_token(end, True)
    except UnexpectedToken as exc:
        if not diagnostics:
            diagnostics.append(_explain(lexed, len(tokens), set(exc.expected), source))
        tree = None
    return tree, diagnostics


def _acceptable(snapshot: Any, before: list[Token], candidates: set[str], where: Token) -> set[str]:
    """The terminals the parser really accepts at the error (LALR tables merge states, so the set
    an error reports may hold terminals that only fit elsewhere)."""
    state = snapshot.copy(deepcopy_values=False)
    try:
        for tok in before:
            state.feed_token(tok)
    except UnexpectedToken:
        return candidates
    accepted = set()
    for name in candidates:
        trial = state.copy(deepcopy_values=False)
        try:
            trial.feed_token(Token.new_borrow_pos(name, "", where), name == "$END")
            accepted.add(name)
        except UnexpectedToken:
            pass
        except Exception:  # a reduction on a placeholder token; the terminal is still acceptable
            accepted.add(name)
    return accepted or candidates


def _next_statement(statement: list[int], i: int) -> int:
    current = statement[i]
    while i < len(statement) and statement[i] == current:
        i += 1
    return i


def _resync(state: Any, lexed: Lexed, j: int) -> tuple[Any, int]:
    """A parser state that accepts token ``j`` (a statement start), dropping unfinished rules; statements
    that fit nowhere are skipped."""
    tokens = lexed.tokens
    while j < len(tokens):
        trial = state.copy(deepcopy_values=False)
        while True:
            attempt = trial.copy(deepcopy_values=False)
            try:
                attempt.feed_token(tokens[j])
                return trial, j  # the caller feeds token j again, from this state
            except UnexpectedToken:
                if len(trial.state_stack) <= 1:
                    break
                trial.state_stack.pop()
                trial.value_stack.pop()
        j = _next_statement(lexed.statement, j)
    while len(state.state_stack) > 1:  # at the end: unwind so that the end of the file is accepted
        state.state_stack.pop()
        state.value_stack.pop()
    return state, j


# --- errors in words --------------------------------------------------------------------------
def _explain(lexed: Lexed, i: int, expected: set[str], source: SourceFile) -> Diagnostic:
    tokens = lexed.tokens
    tok = tokens[i] if i < len(tokens) else None
    if tok is None:
        last = token_span(source.name, tokens[-1])
        return Diagnostic.error("E110", "the file ends in the middle of something",
                                Span.point(source.name, last.line, last.column))
    span = token_span(source.name, tok)
    first = tokens[lexed.statement.index(lexed.statement[i])]
    previous = tokens[i - 1] if i and tokens[i - 1].line == tok.line else None
    special = _special(lexed, i, tok, first, previous, expected, span)
    if special is not None:
        return special
    after = f" after '{_short(previous)}'" if previous is not None and previous.type != "_INDENT" else ""
    return Diagnostic.error("E110", f"expected {_expected(expected)}{after}, found {_found(tok)}", span)


def _special(lexed: Lexed, i: int, tok: Token, first: Token, previous: Token | None, expected: set[str],
             span: Span) -> Diagnostic | None:
    tokens = lexed.tokens
    kind = tok.type
    if kind == "SHOT_OPEN" and not any(t.type == "SCENE" for t in tokens[:i]):
        return Diagnostic.error("E114", "a shot line must come after a SCENE line", span,
                                "start a scene above it, e.g. 'SCENE cove: EXT. HIDDEN COVE - DAY'")
    if kind == "ACTION":
        start = lexed.statement.index(lexed.statement[i])
        if any(t.type == "CUE" for t in tokens[start:i]):
            return Diagnostic.error("E114", "action text after the dialogue of a shot", span,
                                    "start a new shot for it ('[id] type duration'), or move it above the speeches")
        return Diagnostic.error("E114", "action text must follow a shot line", span,
                                "start a shot above it, e.g. '[establishing] wide 3s'")
    if kind == "_INDENT":
        return Diagnostic.error("E114", "this indented line does not continue a definition", span,
                                "indent only property lines under a definition (palette, references, voice, ...)")
    if first.type == "WORD" and str(first) not in _SETTINGS and "SCENE" not in [t.type for t in tokens[:i]]:
        word = str(first)
        guess = difflib.get_close_matches(word, [*DEF_KEYWORDS, *_SETTINGS], n=1, cutoff=0.6)
        hint = (f"did you mean '{guess[0]}'?" if guess else
                "lines here start with a definition (model, style, voice, character, location, prop, audio, "
                "output) or a setting (title, fps, resolution, seed, style, ...)")
        s = token_span(span.file, first)
        return Diagnostic.error("E112", f"unknown definition or setting '{word}'", s, hint)
    if first.type == "SHOT_OPEN" and tok.line == first.line and previous is not None:
        if previous.type == "_ARROW":
            guess = difflib.get_close_matches(str(tok), TRANSITIONS, n=1, cutoff=0.5)
            return Diagnostic.error("E110", f"expected a transition after '->': cut, dissolve, fade or wipe, "
                                    f"found {_found(tok)}", span, f"did you mean '{guess[0]}'?" if guess else None)
        if kind == "NUMBER" and "SECONDS" in expected:
            return Diagnostic.error("E110", f"a duration needs a unit: '{tok}s'", span,
                                    f"write {tok}s for {tok} seconds (or auto)")
        if kind == "WORD" and "SHOT_TYPE" in expected:
            word = str(tok)
            if word in TRANSITIONS:
                hint = f"a transition is written '-> {word}'"
            else:
                guess = difflib.get_close_matches(word, _SHOT_WORDS, n=1, cutoff=0.6)
                hint = (f"did you mean '{guess[0]}'?" if guess else
                        "a shot line reads '[id] type duration move -> transition', e.g. "
                        "'[peek] medium 2.5s dolly_in -> dissolve 0.5s'")
            return Diagnostic.error("E110", f"'{word}' is not a shot type, duration or camera move", span, hint)
    if first.type == "CUE" or (tokens[i - 1].type == "CUE" if i else False):
        cue = next((t for t in reversed(tokens[:i]) if t.type == "CUE" and t.line == tok.line), None)
        if cue is not None:
            return Diagnostic.error(
                "E110", f"expected '(V.O.)' or '(O.S.)', '(emotion)', key=value options or the end of the line "
                f"after the cue "
                f"'{cue}', found {_found(tok)}", span,
                "indented lines under a shot are speeches: the speaker's NAME, then what they say; "
                "action text is not indented")
    return None


def _expected(expected: set[str]) -> str:
    names = set(expected)
    phrases = []
    if {"WORD", "STRING", "_LSQB", "_LBRACE"} <= names:
        phrases.append("a value")
        names -= {"WORD", "STRING", "_LSQB", "_LBRACE"}
    elif {"WORD", "STRING"} <= names:
        phrases.append("a name or quoted text")
        names -= {"WORD", "STRING"}
    if "SECONDS" in names:
        names.discard("AUTO")
    ordered = sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    phrases += [_PHRASES.get(n, f"'{n.lower()}'") for n in ordered]
    if len(phrases) > 5:
        phrases = [*phrases[:4], "..."]
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _found(tok: Token) -> str:
    kind = tok.type
    if kind in ("_NL", "$END"):
        return _PHRASES[kind]
    if kind in ("ACTION", "DIALOGUE", "HEADING"):
        return f"text '{_short(tok)}'"
    if kind == "STRING":
        return f"quoted text {_short(tok)}"
    if kind == "OPTKEY":
        return f"the option '{_short(tok)}='"
    if kind == "_INDENT":
        return "an indented line"
    if kind == "BAD" and not str(tok).isprintable():
        return f"the invisible character U+{ord(str(tok)[0]):04X}"
    return f"'{_short(tok)}'"


def _short(tok: Token) -> str:
    text = str(tok)
    return text if len(text) <= 30 else text[:27] + "..."
