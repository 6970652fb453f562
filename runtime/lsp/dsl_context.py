"""Where the cursor is in a ``.studio`` file, read from the lines (the file is often not valid while
someone types): the same ``Context`` the YAML reader gives, with the format's paths, so that one
completion table serves both syntaxes.

The DSL is line-structured: before the first ``SCENE`` lines are definitions (indented lines
continue them), a ``SCENE`` line may be followed by indented scene properties, a ``[id]`` shot
line by unindented action text and indented speeches (a cue line after a blank line, then dialogue).
"""

from __future__ import annotations

import re

from .context import Context

__all__ = ["dsl_context"]

_SCENE = re.compile(r"SCENE(?=[ \t:]|$)")
_WORD_TAIL = re.compile(r"[^\s\"=,\[\]{}():]*$")
_TRIGGER_TAIL = re.compile(r"@([A-Za-z0-9_]*)$")
_SECTION = {"character": "elements", "location": "elements", "prop": "elements", "element": "elements",
            "voice": "voices", "model": "models", "style": "styles", "audio": "audio", "music": "audio",
            "effect": "audio", "output": "output", "models": "project.models", "project": "project"}
_PROPERTY = {"emotion": "emotions"}


def _kind_of(line: str) -> str:
    if not line.strip():
        return "blank"
    if line.lstrip().startswith("#"):
        return "comment"
    if line[:1] in " \t":
        return "indented"
    if _SCENE.match(line):
        return "scene"
    if line.startswith("["):
        return "shot"
    return "top"


def dsl_context(lines: list[str], line: int, column: int) -> Context | None:
    """The context at 0-based ``line`` and ``column`` (characters) of a ``.studio`` file."""
    text = lines[line] if line < len(lines) else ""
    before = text[:column]
    region, opener, previous = "defs", "", "blank"
    for n in range(line):
        kind = _kind_of(lines[n])
        if kind in ("scene", "shot"):
            region, opener = kind, lines[n]
        elif kind == "top" and region == "defs":
            opener = lines[n]
        if kind != "comment":
            previous = kind
    if before.strip().startswith("#") or re.search(r"\s#\s", before):
        return None
    indented = before[:1] in (" ", "\t")
    if not indented:
        if region == "defs" or _SCENE.match(before):
            return _definition(before, column)
        if before.startswith("["):
            return _shot_line(before, column)
        trig = _TRIGGER_TAIL.search(before)
        if trig is not None:
            return Context("trigger", ("scenes", "*", "shots", "*", "action"), trig.group(1),
                           column - len(trig.group(1)) + 1)
        return None
    if region == "defs":
        return _property(opener, before, column)
    if region == "scene":
        return _scene_property(before, column)
    if previous != "indented":  # a speech starts with its cue
        return _cue(before, column)
    return None


def _word(before: str, column: int) -> tuple[str, int]:
    m = _WORD_TAIL.search(before)
    prefix = m.group() if m else ""
    return prefix, column - len(prefix) + 1


def _option(before: str, column: int, where: tuple[str, ...]) -> Context | None:
    """``key=value`` being written: the key, or the value of ``where + key`` (``{a=b, c=`` nests)."""
    m = re.search(r"([A-Za-z_][\w.-]*)[ \t]*=[ \t]*([^\s=]*)$", before)
    if m is None:
        return None
    value = m.group(2)
    path = list(where)
    outer = re.search(r"([A-Za-z_][\w.-]*)[ \t]*=[ \t]*\{[^}]*$", before)
    if outer is not None and outer.start() < m.start():
        path.append(outer.group(1))
    path.append(m.group(1))
    prefix = value.lstrip("{\"")
    return Context("value", tuple(path), prefix, column - len(prefix) + 1)


def _definition(before: str, column: int) -> Context | None:
    words = before.split()
    prefix, start = _word(before, column)
    if len(words) <= 1 and not before.endswith((" ", "\t")):
        return Context("line", ("definitions",), prefix, start)
    keyword = words[0]
    if keyword == "SCENE":
        return None
    where: tuple[str, ...]
    section = _SECTION.get(keyword)
    if section in ("elements", "voices", "models", "styles"):
        where = (section, "*")
    elif section == "audio":
        where = ("audio", "*")
    elif section is not None:
        where = tuple(section.split("."))
    else:
        where = ("project",)
    option = _option(before, column, where)
    if option is not None:
        return option
    if section is None:  # settings: `style storybook`, `fps 24`: a key then its value, pairs on a line
        if len(words) % 2 == (0 if before.endswith((" ", "\t")) else 1):
            return Context("key", ("project",), prefix, start, spelling="word")
        return Context("value", ("project", words[-1] if before.endswith((" ", "\t")) else words[-2]), prefix, start)
    if ":" not in before:
        return None  # the definition's name is being written
    positional = before.split(":", 1)[1].split()
    index = len(positional) - (0 if before.endswith((" ", "\t")) else 1)
    slots = {"voices": ("engine", "language"), "models": ("backend", "kind"), "audio": ("file",),
             "elements": ("trigger", "description"), "styles": ("prompt",)}.get(section, ())
    if index < len(slots) and "=" not in prefix:
        return Context("value", (*where, slots[index]), prefix, start)
    return Context("key", where, prefix, start, spelling="option")


def _property(opener: str, before: str, column: int) -> Context | None:
    words = opener.split()
    section = _SECTION.get(words[0]) if words else None
    if section not in ("elements", "voices", "models", "styles", "audio"):
        return None
    where = (section, "*")
    option = _option(before, column, where)
    if option is not None:
        return option
    prefix, start = _word(before, column)
    parts = before.split()
    if not parts or (len(parts) == 1 and not before.endswith((" ", "\t"))):
        return Context("key", where, prefix, start, spelling="word")
    key = _PROPERTY.get(parts[0], parts[0])
    if key in ("references",):
        return Context("value", (*where, key, "*"), prefix, start)
    if key == "lora":
        return Context("value", (*where, "lora", "weights"), prefix, start) if len(parts) <= 2 else None
    return Context("value", (*where, key), prefix, start)


def _scene_property(before: str, column: int) -> Context | None:
    where = ("scenes", "*")
    parts = before.split()
    if parts and parts[0] == "models":
        return _option(before, column, (*where, "models")) or Context("key", (*where, "models"),
                                                                        *_word(before, column), spelling="option")
    option = _option(before, column, where)
    if option is not None:
        return option
    prefix, start = _word(before, column)
    if not parts or (len(parts) == 1 and not before.endswith((" ", "\t"))):
        return Context("key", where, prefix, start, spelling="word")
    return Context("value", (*where, parts[0]), prefix, start)


_SHOT_MODEL_KEYS = {"image", "video", "speech"}


def _shot_line(before: str, column: int) -> Context | None:
    if "]" not in before:
        return None  # the id
    shot = ("scenes", "*", "shots", "*")
    option = _option(before, column, shot)
    if option is not None:
        if option.path[-1] in _SHOT_MODEL_KEYS and len(option.path) == len(shot) + 1:
            return Context("value", (*shot, "models", option.path[-1]), option.prefix, option.column)
        return option
    prefix, start = _word(before, column)
    after = before.split("]", 1)[1]
    if re.search(r"->[ \t]*[A-Za-z_]*$", after):
        return Context("value", (*shot, "transition", "type"), prefix, start)
    return Context("shot", shot, prefix, start)


def _cue(before: str, column: int) -> Context | None:
    line = ("scenes", "*", "shots", "*", "dialogue", "*")
    option = _option(before, column, line)
    if option is not None:
        return option
    m = re.search(r"\(([A-Za-z _-]*)$", before)
    if m is not None:
        return Context("value", (*line, "emotion"), m.group(1), column - len(m.group(1)) + 1)
    words = before.split()
    prefix, start = _word(before, column)
    if not words or (len(words) == 1 and not before.endswith((" ", "\t"))):
        return Context("cue", (*line, "character"), prefix, start)
    return Context("key", line, prefix, start, frozenset({"character", "line", "emotion"}), spelling="option")

