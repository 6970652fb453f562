"""Completion: what fits where the cursor is.

Keys and enum values come from the format (``compiler.spec``, with each field's description);
names come from the project (characters in dialogue, ``@`` triggers in action text, voices, models
of the right kind, styles, locations, audio tracks, shots); file paths from the project directory
(images for references and start pictures, audio for tracks, weights); the DSL's words (shot types,
camera moves, transitions, definition keywords) from ``studio_lang.dsl.vocab``.
"""

from __future__ import annotations

import os
import time
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from lsprotocol import types as lsp
from pydantic import BaseModel

from compiler import spec
from compiler.film import KNOWN_EMOTIONS
from compiler.validate import unwrap
from studio_lang.dsl.vocab import DEF_KEYWORDS, FIELD_ORDER, MOVES, SHOT_TYPES

from .context import Context
from .index import Index, Symbol

__all__ = ["complete", "field_at", "list_files"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif")
WEIGHT_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf")
_SKIP_DIRS = {"build", "node_modules", "__pycache__"}
_MAX_FILES = 5000
_SHOT_OPTIONS = ("seed", "location", "style", "image", "video", "speech", "start", "pattern", "notes")


class _Field(typing.NamedTuple):
    annotation: Any
    description: str | None



def field_at(path: Iterable[str]) -> _Field | None:
    """The format's type and description of the value at ``path`` (``*`` for items and names)."""
    ann: Any = spec.Project
    description = None
    for part in path:
        ann = unwrap(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            info = ann.model_fields.get(part)
            if info is None:
                return None
            ann, description = info.annotation, info.description
        elif get_origin(ann) in (list, dict):
            ann = get_args(ann)[-1]
        else:
            return None
    return _Field(ann, description)


def _keys(path: tuple[str, ...]) -> list[tuple[str, str | None]]:
    found = field_at(path)
    ann = unwrap(found.annotation) if found else None
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [(name, info.description) for name, info in ann.model_fields.items()]
    return []


_files_cache: dict[str, tuple[float, list[str]]] = {}


def list_files(root: Path, suffixes: tuple[str, ...]) -> list[str]:
    """Files under ``root`` with one of ``suffixes``, relative, '/'-separated; hidden folders, the
    store and build outputs left out; listing kept for two seconds (completion asks per keystroke)."""
    key = str(root)
    now = time.monotonic()
    cached = _files_cache.get(key)
    if cached is None or now - cached[0] > 2.0:
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
            rel = Path(dirpath).relative_to(root)
            found += [(rel / f).as_posix() for f in sorted(filenames) if not f.startswith(".")]
            if len(found) > _MAX_FILES:
                break
        cached = (now, found)
        _files_cache[key] = cached
    return [f for f in cached[1] if f.lower().endswith(suffixes)]


def complete(context: Context, index: Index | None, project_dir: Path | None,
             replace: lsp.Range) -> list[lsp.CompletionItem]:
    """Completion items for ``context``; each replaces ``replace`` (the word typed so far)."""
    index = index or Index()
    items: list[tuple[str, lsp.CompletionItemKind, str | None, str]] = []  # label, kind, detail, insert

    def add(labels: Iterable[str], kind: lsp.CompletionItemKind, detail: str | None = None,
            insert: str = "{}") -> None:
        for label in labels:
            items.append((label, kind, detail, insert.format(label)))

    path = context.path
    if context.kind == "trigger":
        for trigger, name in sorted(index.triggers.items()):
            d = index.definitions.get(Symbol("element", name))
            items.append((trigger[1:], lsp.CompletionItemKind.Reference,
                          f"{d.text('kind') if d else 'element'}: {d.text('description') if d else ''}"[:120],
                          trigger[1:]))
    elif context.kind == "cue":
        add(index.elements("character"), lsp.CompletionItemKind.Class, "character", insert="{}")
        items[:] = [(label.upper(), kind, detail, text.upper()) for label, kind, detail, text in items]
    elif context.kind == "line":
        add([*sorted(DEF_KEYWORDS), *FIELD_ORDER["project"], "SCENE"], lsp.CompletionItemKind.Keyword,
            insert="{} ")
    elif context.kind == "shot":
        add(SHOT_TYPES, lsp.CompletionItemKind.EnumMember, "shot type")
        add(MOVES, lsp.CompletionItemKind.EnumMember, "camera move")
        add(["auto"], lsp.CompletionItemKind.Value, "duration: as long as the dialogue")
        add(["->"], lsp.CompletionItemKind.Operator, "transition into the next shot", insert="-> ")
        add(_SHOT_OPTIONS, lsp.CompletionItemKind.Property, "option", insert="{}=")
    elif context.kind == "key":
        spell = {"yaml": "{}: ", "option": "{}=", "word": "{} "}[context.spelling]
        for name, description in _keys(path):
            if name not in context.present:
                items.append((name, lsp.CompletionItemKind.Property, description, spell.format(name)))
    else:
        _values(path, index, project_dir, add)
    prefix = context.prefix.casefold()
    out = []
    for n, (label, kind, detail, text) in enumerate(items):
        if prefix and not label.casefold().startswith(prefix):
            continue
        out.append(lsp.CompletionItem(label=label, kind=kind, detail=detail, sort_text=f"{n:05d}",
                                      text_edit=lsp.TextEdit(range=replace, new_text=text)))
    return out


def _values(path: tuple[str, ...], index: Index, project_dir: Path | None, add: Any) -> None:
    last = path[-1] if path else ""
    parent = path[-2] if len(path) >= 2 else ""
    K = lsp.CompletionItemKind
    if last == "character":
        add(index.elements("character"), K.Class, "character")
    elif last == "voice":
        add(index.names("voice"), K.Value, "voice")
    elif last == "engine":
        add(index.models("speech"), K.Module, "speech model")
    elif parent == "models" and last in ("image", "video", "speech") and len(path) > 2:
        add(index.models(last), K.Module, f"{last} model")
    elif last == "style" and path[:1] != ("styles",) and parent != "pattern":  # a pattern's style is an enum
        add(index.names("style"), K.Color, "style")
    elif last == "location":
        add(index.elements("location"), K.Class, "location")
    elif last == "track":
        add(index.names("track"), K.Value, "audio track")
    elif path == ("audio", "*", "at"):
        add(index.names("shot"), K.Reference, "scene/shot")
    elif last == "emotion":
        emotions = set(KNOWN_EMOTIONS)
        for symbol, d in index.definitions.items():
            if symbol.kind == "voice" and hasattr(d.node, "get"):
                node = d.node.get("emotions")  # type: ignore[union-attr]
                emotions |= {k.name for k, _ in getattr(node, "entries", ())}
        add(sorted(emotions), K.Value, "emotion")
    if project_dir is not None:
        if path[-2:] == ("references", "*") or path[-2:] == ("start", "image"):
            add(list_files(project_dir, IMAGE_SUFFIXES), K.File, "image")
        elif last == "file" and path[:1] == ("audio",):
            add(list_files(project_dir, AUDIO_SUFFIXES), K.File, "audio")
        elif last == "weights":
            add(list_files(project_dir, WEIGHT_SUFFIXES), K.File, "weights")
    found = field_at(path)
    if found is None:
        return
    ann = unwrap(found.annotation)
    if get_origin(ann) is Literal:
        add([str(a) for a in get_args(ann)], K.EnumMember, found.description)
    elif ann is bool:
        add(["true", "false"], K.Value)
    if last == "duration" and "shots" in path:
        add(["auto"], K.Value, "as long as the dialogue, plus a pad")
