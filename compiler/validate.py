"""Validate: ``ast.Project`` -> ``spec.Project``, every mistake as a diagnostic at its source span.

pydantic checks the whole document at once and reports every error; this module turns each of
them into a coded diagnostic that points at the key or value the user wrote, with a suggestion
where one exists (unknown keys, misspelt enum values). Checks that pydantic cannot express on a
single field (duplicate ids) follow.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from studio_lang import ast
from studio_lang.diagnostics import Diagnostic, Related, Span, printable

from . import spec

__all__ = ["Validated", "closest", "unwrap", "validate"]

_REPAIR_ROUNDS = 6

_TYPE_WORDS = {
    "string_type": "text", "int_type": "a whole number", "float_type": "a number", "bool_type": "true or false",
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "int_from_float": "a whole number", "literal_error": None,
}
_RANGE_TYPES = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short", "too_long",
                "string_too_short", "string_too_long", "finite_number"}
"""pydantic error types that mean "out of range" (E204): a length is a range too, not a wrong type."""
_PATTERN_HINTS = {
    "id": "ids are 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit",
    "trigger": "a trigger is '@' followed by a letter, then letters, digits or '_', e.g. '@Luca'",
    "color": "colours are written '#rrggbb', e.g. '#e9c46a'",
    "language": "a language code such as 'en', 'en-us' or 'it'",
    "at": "write the anchor shot as 'scene/shot', e.g. 'cove/dare'",
    "title": "one line of text: no control characters (tabs, line breaks, escape codes, NUL)",
    "heading": "one line of text: no control characters (tabs, line breaks, escape codes, NUL)",
    "revision": "a branch, tag or commit of the repo, e.g. 'main', 'v1.0', 'refs/pr/1' or 40 hex digits "
                "(never a path)",
    "key": "names start with a letter or '_' and use letters, digits, '_', '.' or '-'",
}


@dataclass(frozen=True)
class Validated:
    """The checked project. When the file had errors, ``project`` is a repaired copy (invalid values
    replaced by defaults or placeholders) so that later stages can still report *their* problems;
    ``poisoned`` names the definitions that were repaired, whose uses must not cascade into errors."""

    project: spec.Project
    repaired: bool
    poisoned: frozenset[str]


def validate(project: ast.Project) -> tuple[Validated | None, list[Diagnostic]]:
    """Check the document against format v1, reporting every error at once."""
    root = project.root
    if root is None:
        return None, []
    if not isinstance(root, ast.Mapping):
        return None, [Diagnostic.error("E202", "a project file is a mapping of sections (studio, project, scenes, ...)",
                                       root.span, "start with 'studio: 1'")]
    version = root.get("studio")
    if isinstance(version, ast.Scalar) and version.value != spec.FORMAT_VERSION and not isinstance(version.value, bool):
        return None, [Diagnostic.error("E206", f"unsupported format version {version.value!r}", version.span,
                                       f"this studio reads format {spec.FORMAT_VERSION}: 'studio: 1'")]
    data: Any = ast.to_data(root)
    diagnostics: list[Diagnostic] = []
    poisoned: set[str] = set()
    result: spec.Project | None = None
    for round_ in range(_REPAIR_ROUNDS):
        try:
            result = spec.Project.model_validate(data)
            break
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            if round_ == 0:
                reported = _without_misspelt_missing(errors)
                diagnostics = _dedupe([_diagnostic(root, error) for error in reported])
            for error in errors:
                _repair(data, error, poisoned)
    diagnostics += _duplicate_ids(root, result) if result is not None else []
    if result is None:
        return None, diagnostics
    return Validated(result, bool(diagnostics), frozenset(poisoned)), diagnostics

def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word``, if any is close enough to be a likely typo."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not match:
        match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        return lowered[match[0]] if match else None
    return match[0]


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for d in diagnostics:
        ident = (d.code, d.span, d.message)
        if ident not in seen:
            seen.add(ident)
            out.append(d)
    return out


def _without_misspelt_missing(errors: list[Any]) -> list[Any]:
    """A 'missing' key that an unknown key beside it is a misspelling of: the unknown key's
    diagnostic ("did you mean 'title'?") says it all, so the 'missing' one is dropped."""
    suggested: set[tuple[str | int, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            guess = closest(str(loc[-1]), _allowed_keys(loc[:-1]))
            if guess is not None:
                suggested.add((*loc[:-1], guess))
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in suggested)]


def _diagnostic(root: ast.Mapping, error: Any) -> Diagnostic:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind: str = error["type"]
    field = _field_name(loc)
    if loc and loc[-1] == "[key]":
        span = ast.locate(root, loc[:-1], key=True)
        return Diagnostic.error("E205", f"invalid name {loc[-2]!r}", span, _PATTERN_HINTS["key"])
    if kind == "extra_forbidden":
        span = ast.locate(root, loc, key=True)
        allowed = _allowed_keys(loc[:-1])
        suggestion = closest(str(loc[-1]), allowed) if allowed else None
        where = _where(loc[:-1])
        hint = f"did you mean '{suggestion}'?" if suggestion else (
            f"known keys: {', '.join(allowed)}" if allowed else None)
        return Diagnostic.error("E201", f"unknown key '{loc[-1]}'{where}", span, hint)
    if kind == "missing":
        span = ast.locate(root, loc[:-1], key=False)
        return Diagnostic.error("E203", f"missing required key '{loc[-1]}'{_where(loc[:-1])}", span,
                                f"add '{loc[-1]}:'")
    span = ast.locate(root, loc)
    value = error.get("input")
    if kind.startswith("E") and kind[1:].isdigit():  # our own PydanticCustomError codes
        return Diagnostic.error(kind, error["msg"], span)
    if kind == "literal_error":
        options = _literal_options(loc)
        suggestion = closest(str(value), options) if isinstance(value, str) and options else None
        hint = f"did you mean '{suggestion}'?" if suggestion else f"expected one of: {', '.join(options)}"
        if loc and loc[-1] == "studio":
            return Diagnostic.error("E206", f"unsupported format version {value!r}", span, "write 'studio: 1'")
        return Diagnostic.error("E205", f"invalid {field} {_show(value)}", span, hint)
    if kind == "string_pattern_mismatch":
        return Diagnostic.error("E205", f"invalid {field} {_show(value)}", span, _pattern_hint(loc))
    if kind in _RANGE_TYPES:
        return Diagnostic.error("E204", f"{field} {_show(value)} is out of range: {_range_words(error)}", span)
    expected = _TYPE_WORDS.get(kind)
    if expected:
        return Diagnostic.error("E202", f"{field} must be {expected}, not {_type_name(value)}", span)
    return Diagnostic.error("E202", f"{field}: {error['msg']}", span)


def _field_name(loc: tuple[str | int, ...]) -> str:
    for part in reversed(loc):
        if isinstance(part, str) and part != "[key]":
            return f"'{part}'"
    return "value"


def _where(path: tuple[str | int, ...]) -> str:
    """' in shot 'peek'' style context for a data path."""
    names = {"scenes": "scene", "shots": "shot", "audio": "audio track", "dialogue": "dialogue line"}
    dicts = {"models": "model", "styles": "style", "voices": "voice", "elements": "element", "emotions": "emotion"}
    label = ""
    for i, part in enumerate(path):
        prev = path[i - 1] if i else None
        if isinstance(part, int) and isinstance(prev, str) and prev in names:
            label = f"{names[prev]} {part + 1}"
        elif isinstance(part, str) and isinstance(prev, str) and prev in dicts and i <= 2:
            label = f"{dicts[prev]} '{part}'"
        elif isinstance(part, str) and part not in names and part not in dicts and i == len(path) - 1:
            label = f"'{part}'"
    if not path:
        return " at the top level"
    return f" in {label}" if label else ""


def _show(value: object) -> str:
    if isinstance(value, str):
        value = printable(value)
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"
    if isinstance(value, (dict, list)):
        return "(" + _type_name(value) + ")"
    return repr(value)


def _type_name(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return f"the text '{printable(value)}'" if len(value) <= 40 else "text"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value:g}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _range_words(error: Any) -> str:
    ctx = error.get("ctx") or {}
    kind = error["type"]
    words = {
        "greater_than": "must be more than {gt}", "greater_than_equal": "must be at least {ge}",
        "less_than": "must be less than {lt}", "less_than_equal": "must be at most {le}",
        "too_short": "needs at least {min_length} item(s)", "too_long": "allows at most {max_length} item(s)",
        "string_too_short": "must not be empty" if ctx.get("min_length") == 1 else "needs at least {min_length} "
                            "characters",
        "string_too_long": "is longer than {max_length} characters",
    }
    template = words.get(kind)
    try:
        return template.format(**ctx) if template else error["msg"]
    except (KeyError, IndexError):
        return str(error["msg"])


def _pattern_hint(loc: tuple[str | int, ...]) -> str | None:
    name = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if name in ("id", "track"):
        return _PATTERN_HINTS["id"]
    if name in ("color", "palette") or "palette" in loc:
        return _PATTERN_HINTS["color"]
    if name in _PATTERN_HINTS:
        return _PATTERN_HINTS[name]
    return _PATTERN_HINTS["key"]


# --- walking the spec classes along a data path ------------------------------------------------

def _annotation_at(path: tuple[str | int, ...]) -> Any:
    """The type annotation that describes the value at ``path`` (None if unknown)."""
    ann: Any = spec.Project
    for part in path:
        ann = unwrap(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            field = ann.model_fields.get(str(part))
            if field is None:
                return None
            ann = field.annotation
        elif get_origin(ann) is list and isinstance(part, int):
            ann = get_args(ann)[0]
        elif get_origin(ann) is dict and isinstance(part, str):
            ann = get_args(ann)[1]
        else:
            return None
    return unwrap(ann)


def unwrap(ann: Any) -> Any:
    """The model or type behind ``Annotated[...]`` and ``X | None`` (the model of a union that has one)."""
    while True:
        origin = get_origin(ann)
        if origin is typing.Annotated:
            ann = get_args(ann)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in get_args(ann) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            ann = models[0] if models else members[0]
        else:
            return ann


def _allowed_keys(path: tuple[str | int, ...]) -> list[str]:
    ann = _annotation_at(path)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return list(ann.model_fields)
    return []


def _literal_options(path: tuple[str | int, ...]) -> list[str]:
    ann = _annotation_at(path)
    if get_origin(ann) is Literal:
        return [str(a) for a in get_args(ann)]
    return []


# --- checks across fields ---------------------------------------------------------------------

def _duplicate_ids(root: ast.Mapping, project: spec.Project) -> Iterable[Diagnostic]:
    def check(items: Iterable[tuple[str, tuple[str | int, ...]]], what: str) -> Iterable[Diagnostic]:
        first: dict[str, Span] = {}
        for ident, path in items:
            span = ast.locate(root, path)
            if ident in first:
                yield Diagnostic.error("E207", f"duplicate {what} id '{ident}'", span,
                                       f"already used on line {first[ident].line}; ids must be unique",
                                       (Related(first[ident], f"'{ident}' is first used here"),))
            else:
                first[ident] = span

    yield from check(((s.id, ("scenes", i, "id")) for i, s in enumerate(project.scenes)), "scene")
    for i, scene in enumerate(project.scenes):
        yield from check(((sh.id, ("scenes", i, "shots", j, "id")) for j, sh in enumerate(scene.shots)),
                         f"shot (in scene '{scene.id}')")
    yield from check(((a.id, ("audio", i, "id")) for i, a in enumerate(project.audio)), "audio track")
    triggers: dict[str, str] = {}
    for name, element in project.elements.items():
        trigger = element.trigger or f"@{name}"
        if trigger in triggers:
            other = triggers[trigger]
            yield Diagnostic.error("E207", f"elements '{other}' and '{name}' share the trigger '{trigger}'",
                                   ast.locate(root, ("elements", name, "trigger")), "give each element its own trigger",
                                   (Related(ast.locate(root, ("elements", other, "trigger")),
                                            f"'{other}' has the trigger '{trigger}'"),))
        else:
            triggers[trigger] = name


# --- repairing invalid data so that later stages can go on ---------------------------------------

_DICT_SECTIONS = ("models", "styles", "voices", "elements")


def _repair(data: Any, error: Any, poisoned: set[str]) -> None:
    """Make the value at the error's location valid: drop it (its default applies) or use a placeholder."""
    loc = tuple(error["loc"])
    if len(loc) >= 2 and loc[0] in _DICT_SECTIONS and isinstance(loc[1], str):
        poisoned.add(loc[1])
    if loc and loc[-1] == "[key]":
        parent = _get(data, loc[:-2])
        if isinstance(parent, dict):
            parent.pop(loc[-2], None)
        return
    if error["type"] == "extra_forbidden":
        parent = _get(data, loc[:-1])
        if isinstance(parent, dict):
            parent.pop(loc[-1], None)
        return
    # climb to the field that holds the bad value (past list indexes and dict keys below it)
    field_loc = loc
    while field_loc and not isinstance(_annotation_owner(field_loc), type):
        field_loc = field_loc[:-1]
    if not field_loc:
        return
    owner = _get(data, field_loc[:-1])
    if not isinstance(owner, dict):
        container = _get(data, field_loc[:-2])
        if isinstance(container, (dict, list)) and len(field_loc) >= 2:
            _set(container, field_loc[-2], {})
        return
    model = _annotation_owner(field_loc)
    name = field_loc[-1]
    info = model.model_fields[name]
    if not info.is_required():
        owner.pop(name, None)
        return
    owner[name] = _placeholder(info.annotation, field_loc)


def _annotation_owner(loc: tuple[str | int, ...]) -> Any:
    """The model class whose field the last element of ``loc`` names, or None."""
    if not loc or not isinstance(loc[-1], str):
        return None
    owner = _annotation_at(loc[:-1])
    if isinstance(owner, type) and issubclass(owner, BaseModel) and loc[-1] in owner.model_fields:
        return owner
    return None


def _placeholder(annotation: Any, loc: tuple[str | int, ...]) -> Any:
    ann = unwrap(annotation)
    tag = "invalid-" + "-".join(str(p) for p in loc if isinstance(p, int)) if any(isinstance(p, int) for p in loc) \
        else "invalid"
    if get_origin(ann) is Literal:
        return get_args(ann)[0]
    if ann is str:
        return tag if loc[-1] == "id" else ("invalid_" + tag[8:] if loc[-1] in ("character", "track") else "invalid")
    if ann in (int, float):
        return 1
    if ann is bool:
        return False
    if get_origin(ann) is list:
        item = unwrap(get_args(ann)[0])
        if isinstance(item, type) and issubclass(item, BaseModel):
            return [{"id": f"{tag}-0"}] if "id" in item.model_fields else []
        return []
    if get_origin(ann) is dict:
        return {}
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return {}
    return None


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _set(container: Any, part: str | int, value: Any) -> None:
    if isinstance(container, dict):
        container[part] = value
    elif isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container):
        container[part] = value
