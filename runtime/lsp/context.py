"""Where the cursor is in a YAML project file, read from the text around it (the file is often not
valid YAML while someone types): the mapping it is in, the key whose value it is in, or a trigger
being written in action text.

Paths use the format's keys with ``*`` for a list item or a named definition
(``("elements", "*", "voice")``), so completion can look the place up in the format and in the
project's names; the DSL's reader (``dsl_context``) answers with the same paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Context", "yaml_context"]

_LEAD = re.compile(r"^([ \t]*)((?:-[ \t]+)*)")
_KEY = re.compile(r"""^(?:"([^"]*)"|'([^']*)'|([^\s:#"'{}\[\],][^:#{}\[\],]*?))[ \t]*:(?:[ \t]|$)""")
_TRIGGER_TAIL = re.compile(r"@([A-Za-z0-9_]*)$")
_WORD_TAIL = re.compile(r"[^\s\"'{}\[\],:=]*$")
_DICTS = {"models", "styles", "voices", "elements", "emotions", "params"}
"""Mappings whose keys are names (a path step ``*``), not fields."""


@dataclass(frozen=True)
class Context:
    kind: str
    """``key`` (a key of the mapping at ``path``), ``value`` (the value at ``path``), ``trigger``
    (an ``@`` word in text), ``cue`` (a DSL speaker), ``shot`` (a word of a DSL shot line), ``line``
    (the first word of a DSL line, ``path`` says which words fit)."""
    path: tuple[str, ...]
    prefix: str
    """What is already typed of the word being completed."""
    column: int
    """1-based column where that word starts."""
    present: frozenset[str] = field(default_factory=frozenset)
    """Keys the mapping already has (not offered again)."""
    spelling: str = "yaml"
    """How a key is written: ``yaml`` (``key: ``), ``option`` (DSL ``key=``) or ``word`` (DSL ``key ``)."""


@dataclass
class _Line:
    key_col: int
    dashes: list[int]
    key: str | None
    opens_block: bool
    """``key:`` with nothing after it (or only a comment / a block scalar mark): its value is below."""


def _read(text: str) -> _Line | None:
    if not text.strip() or text.lstrip().startswith("#"):
        return None
    m = _LEAD.match(text)
    assert m is not None
    indent = len(m.group(1))
    dashes = [indent + i.start() for i in re.finditer(r"-", m.group(2))]
    key_col = m.end()
    rest = text[key_col:]
    k = _KEY.match(rest)
    if k is None:
        return _Line(key_col, dashes, None, False)
    after = rest[k.end():].strip()
    opens = not after or after.startswith("#") or after[:1] in "|>" or after.startswith("&")
    return _Line(key_col, dashes, next(g for g in k.groups() if g is not None).strip(), opens)


def _parents(lines: list[str], line: int, col: int, dashes: list[int]) -> tuple[list[str], set[str]]:
    """The path of the mapping whose keys start at ``col`` on 0-based ``line``, and the keys it has."""
    path: list[str] = []
    present: set[str] = set()
    seq = False
    target = col
    if dashes:
        path.append("*")
        seq, target = True, dashes[0]
    for n in range(line - 1, -1, -1):
        info = _read(lines[n])
        if info is None:
            continue
        if not seq and info.key_col == target:
            if info.key is not None and not path:
                present.add(info.key)
            if info.dashes and info.dashes[-1] < target:
                path.insert(0, "*")
                seq, target = True, info.dashes[0]
            continue
        if seq and info.dashes and info.dashes[0] == target:
            continue  # a sibling item
        if info.key_col > target or (seq and info.key_col == target and info.key is None):
            continue
        if info.key is None or not info.opens_block:
            break  # not a structure we understand: stop with what we have
        path.insert(0, info.key)
        seq, target = False, info.key_col
        if info.dashes:
            path.insert(0, "*")
            seq, target = True, info.dashes[0]
        if target == 0 and not seq:
            break
    if not dashes:
        for n in range(line + 1, len(lines)):
            info = _read(lines[n])
            if info is None or info.key_col > col:
                continue
            if info.key_col < col or info.dashes:
                break
            if info.key is not None:
                present.add(info.key)
    return _names(path), present


def _names(path: list[str]) -> list[str]:
    """Replace definition names by ``*``: ``elements.Luca.voice`` -> ``elements.*.voice``."""
    out: list[str] = []
    for i, part in enumerate(path):
        prev = out[i - 1] if i else None
        if prev in _DICTS and part != "*" and not (prev == "models" and i >= 2):
            out.append("*")
        else:
            out.append(part)
    return out


def _flow(before: str) -> tuple[list[tuple[str, str | None]], str] | None:
    """The open flow collections on the line before the cursor: (opener, key before it) from the
    outside in, and the text of the current entry. None outside any."""
    stack: list[tuple[str, str | None, int]] = []
    quote: str | None = None
    start_of_entry = 0
    for i, ch in enumerate(before):
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "{[":
            key = _key_before(before[start_of_entry:i])
            stack.append((ch, key, i))
            start_of_entry = i + 1
        elif ch in "}]" and stack:
            stack.pop()
        elif ch == "," and stack:
            start_of_entry = i + 1
    if not stack:
        return None
    return [(opener, key) for opener, key, _ in stack], before[start_of_entry:]


def _key_before(text: str) -> str | None:
    m = re.search(r"([A-Za-z_][\w.-]*)[ \t]*:[ \t]*$", text)
    return m.group(1) if m else None


def yaml_context(lines: list[str], line: int, column: int) -> Context | None:
    """The context at 0-based ``line`` and ``column`` (characters) of a YAML project file."""
    text = lines[line] if line < len(lines) else ""
    before = text[:column]
    m = _LEAD.match(before)
    assert m is not None
    dashes = [len(m.group(1)) + i.start() for i in re.finditer(r"-", m.group(2))]
    key_col = m.end()
    if re.search(r"(^|\s)#", before[key_col:]) and '"' not in before[key_col:]:
        return None  # in a comment
    parents, present = _parents(lines, line, key_col, dashes)
    rest = before[key_col:]
    flow = _flow(rest)
    if flow is not None:
        return _flow_context(parents, rest, flow, column)
    k = _KEY.match(rest)
    if k is None:
        word = _WORD_TAIL.search(rest)
        prefix = word.group() if word else ""
        if rest.strip() and (" " in rest.strip() or rest.lstrip()[:1] in "\"'"):
            return None  # a plain scalar list item, or text that is not a key
        if dashes and parents and parents[-1] == "*" and len(parents) >= 2 and _list_of_values(parents):
            return Context("value", tuple(parents), prefix, column - len(prefix) + 1)
        return Context("key", tuple(parents), prefix, column - len(prefix) + 1, frozenset(present))
    key = next(g for g in k.groups() if g is not None).strip()
    value = rest[k.end():]
    path = tuple(_names([*parents, key]))
    trig = _TRIGGER_TAIL.search(value)
    if trig is not None and key in ("action", "heading", "notes", "description"):
        return Context("trigger", path, trig.group(1), column - len(trig.group(1)) + 1)
    prefix = value.lstrip().lstrip("\"'")
    if " " in prefix and key not in ("at",):
        return None
    return Context("value", path, prefix, column - len(prefix) + 1)


def _list_of_values(path: list[str]) -> bool:
    """Whether the list at ``path[:-1]`` holds plain values (references, palette), not mappings."""
    return path[-2] in ("references", "palette", "resolution")


def _flow_context(parents: list[str], rest: str, flow: tuple[list[tuple[str, str | None]], str],
                  column: int) -> Context | None:
    stack, entry = flow
    path = list(parents)
    k = _KEY.match(rest)
    if k is not None and rest.index(":") < rest.index(stack[0][0]):
        path.append(next(g for g in k.groups() if g is not None).strip())
    for i, (opener, key) in enumerate(stack):
        if i and key is not None:
            path.append(key)
        if opener == "[":
            path.append("*")
    innermost = stack[-1][0]
    entry_stripped = entry.lstrip()
    if innermost == "[":
        prefix = entry_stripped.lstrip("\"'")
        return Context("value", tuple(_names(path)), prefix, column - len(prefix) + 1)
    if ":" in entry_stripped:
        key, _, value = entry_stripped.partition(":")
        full = tuple(_names([*path, key.strip()]))
        trig = _TRIGGER_TAIL.search(value)
        if trig is not None and key.strip() in ("action", "line"):
            return Context("trigger", full, trig.group(1), column - len(trig.group(1)) + 1)
        prefix = value.lstrip().lstrip("\"'")
        if " " in prefix:
            return None
        return Context("value", full, prefix, column - len(prefix) + 1)
    present = {p.split(":", 1)[0].strip() for p in rest.split("{")[-1].split(",")[:-1] if ":" in p}
    return Context("key", tuple(_names(path)), entry_stripped, column - len(entry_stripped) + 1, frozenset(present))
