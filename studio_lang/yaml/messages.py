"""YAML syntax errors in words: what libyaml (or ruamel's pure-Python parser) says, translated.

The parsers speak of tokens, indicators and contexts ("found character that cannot start any
token", "did not find expected '-' indicator", "mapping values are not allowed in this
context"). A person, or an LLM repairing its own output, needs the cause and the fix: a tab used
for indentation, a line indented differently from its siblings, a value that must be quoted.
``explain`` looks at the message *and* at the text where it points, and returns a message and a
hint, or None to keep the parser's words (then the caller still gives them a place).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..source import SourceFile

__all__ = ["Where", "explain"]


@dataclass(frozen=True)
class Where:
    """1-based line and column of the problem, and of the construct it was found in (or None)."""

    line: int
    column: int
    context_line: int | None = None
    context_column: int | None = None


_QUOTE_STARTERS = {"@": "YAML reserves '@'", "`": "YAML reserves '`'", "%": "'%' starts a YAML directive",
                   "*": "'*' starts a YAML alias", "&": "'&' starts a YAML anchor", "!": "'!' starts a YAML tag",
                   "|": "'|' starts a block of text", ">": "'>' starts a folded block of text"}


def explain(source: SourceFile, problem: str, context: str | None, where: Where) -> tuple[str, str | None] | None:
    line = source.line(where.line)
    at = line[where.column - 1] if 0 < where.column <= len(line) else ""
    opened = f"line {where.context_line}" if where.context_line else "above"
    lead = line[: len(line) - len(line.lstrip(" \t"))]
    if ("cannot start any token" in problem or "tab" in problem) and ("\t" in lead or at == "\t"):
        if "\t" in lead:
            return ("a tab is used for indentation: YAML indents with spaces only",
                    "replace the tab with spaces (your editor can insert spaces when you press Tab)")
        return "a tab where YAML expects a space", "replace the tab with a space"
    if "cannot start any token" in problem or "expected alphabetic or numeric character" in problem:
        key, value = _key_value(line)
        char = value[:1] or at
        why = _QUOTE_STARTERS.get(char, f"'{char}' cannot start a YAML value")
        quoted = f'"{_escaped(value)}"'
        return (f"a value starting with '{char}' must be quoted ({why})",
                f"put it in quotes: {key}: {quoted}" if key else f"put it in quotes: {quoted}")
    if "undefined alias" in problem:
        key, value = _key_value(line)
        return (f"'{value or at}' reads as a YAML alias ('*' refers to an '&' anchor), and there is no such anchor",
                f'if it is text, put it in quotes: {key}: "{_escaped(value)}"' if key else "put it in quotes")
    if re.search(r"did not find expected key|expected '-' indicator|expected <block end>, but found", problem):
        before = line[: where.column - 1].rstrip()
        if before.endswith(("\"", "'")):
            return ("text follows the closing quote of a value", "put the whole value inside the quotes")
        if "'-'" in problem or "sequence" in problem:
            return ("this line is indented differently from the list items above it",
                    f"items of one list start in the same column as its first item ({_column(where)})")
        return ("this line is indented differently from the keys above it",
                f"keys of one mapping start in the same column as its first key ({_column(where)})")
    if "mapping values are not allowed" in problem:
        head = line[: where.column - 1]
        if re.search(r":(\s|$)", head):  # 'action: Luca: runs': a second ': ' in a plain value
            key, value = _key_value(line)
            return ("': ' inside a value that is not quoted",
                    f'quote the value: {key}: "{_escaped(value)}"' if key else "quote the value")
        return ("YAML reads this line as the continuation of the one above it",
                "if the line above is 'key: value' it needs ': ' (a space after the colon); if this line "
                "is a key of its own, indent it like the keys around it")
    if "end of stream" in problem and "quoted" in (context or ""):
        return ("a quoted value is never closed", f"close the quote opened on line {where.context_line or where.line}")
    if "unknown escape character" in problem:
        return ("an unknown escape (a backslash) in a double-quoted value",
                "write \\\\ for a backslash, or use single quotes, in which a backslash is an ordinary character")
    if re.search(r"expected ',' or '[\]}]'", problem):
        closer = "]" if "']'" in problem else "}"
        return (f"a '{closer}' or a ',' is missing in the {'list' if closer == ']' else 'mapping'} opened on {opened}",
                f"separate its entries with ',' and close it with '{closer}'")
    if "sequence entries are not allowed" in problem:
        return ("a list item ('- ') cannot start on the line of its key",
                "start the list on the next line, indented, or write it in brackets: [a, b]")
    if "could not find expected ':'" in problem:
        if re.search(r":[^\s]", line):
            return ("a ':' needs a space after it", "write 'key: value', with a space after the colon")
        return ("a line without ': ' where a key was expected", "write 'key: value', or quote text that holds ':'")
    return None


def _key_value(line: str) -> tuple[str, str]:
    """('action', '@Luca runs') for '      - action: @Luca runs'; ('', text) for a line without a key."""
    text = line.strip()
    if text.startswith("- "):
        text = text[2:].lstrip()
    match = re.match(r"([A-Za-z_][\w.-]*):\s+(.*)$", text)
    return (match.group(1), match.group(2).strip()) if match else ("", text)


def _escaped(value: str) -> str:
    value = value.strip("\"'")
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _column(where: Where) -> str:
    if where.context_line is None:
        return "see the lines above"
    return f"line {where.context_line}, column {where.context_column}"
