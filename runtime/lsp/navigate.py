"""Go to definition, find references and rename, over the index of one document.

Renaming works on elements, voices, models and styles: the definition, every use, and for an element
whose trigger is its name (``@Luca`` for ``Luca``) every trigger in action text too; a custom trigger
(``@Lu``) stays as it is. A DSL cue keeps its capitals (``LUCA`` -> ``LUCAS``). The new name must be
a valid name (and a valid trigger word when triggers follow it) and not taken; otherwise the rename
is refused with the reason, and nothing changes.
"""

from __future__ import annotations

import re

from studio_lang.diagnostics import Span

from .index import RENAMABLE, Index, Occurrence, Symbol

__all__ = ["RenameRefused", "definition", "references", "rename_edits"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_TRIGGER_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class RenameRefused(Exception):
    """Why a rename cannot be done (``args[0]``, shown to the user)."""


def definition(index: Index, occ: Occurrence) -> Span | None:
    d = index.definitions.get(occ.symbol)
    return d.span if d is not None else None


def references(index: Index, symbol: Symbol, include_declaration: bool) -> list[Span]:
    return [o.span for o in index.of(symbol) if include_declaration or not o.definition]


def _cased(written: str, old: str, new: str) -> str:
    """``new`` written the way ``written`` wrote ``old`` (a cue in capitals stays in capitals)."""
    if written == old:
        return new
    if written.isupper():
        return new.upper()
    if written.islower():
        return new.lower()
    return new


def rename_edits(index: Index, symbol: Symbol, new: str) -> list[tuple[Span, str]]:
    """The text edits that rename ``symbol`` to ``new``; raises ``RenameRefused``."""
    if symbol.kind not in RENAMABLE:
        raise RenameRefused(f"a {symbol.kind} cannot be renamed here (its id enters seeds and file names)")
    if symbol not in index.definitions:
        raise RenameRefused(f"'{symbol.name}' is not defined in this file (a built-in {symbol.kind}?)")
    new = new.strip()
    if symbol.kind == "element":
        new = new.removeprefix("@")
    if new == symbol.name:
        return []
    if not _NAME.match(new):
        raise RenameRefused(f"'{new}' is not a valid name: letters, digits, '_', '.' or '-', starting with a letter "
                            "or '_'")
    if Symbol(symbol.kind, new) in index.definitions:
        raise RenameRefused(f"a {symbol.kind} named '{new}' already exists")
    if symbol.kind == "element" and index.triggers.get(f"@{symbol.name}") == symbol.name:  # triggers follow it
        if not _TRIGGER_WORD.match(new):
            raise RenameRefused(f"'@{new}' cannot be a trigger: use letters, digits and '_', starting with a letter")
        if f"@{new}" in index.triggers:
            raise RenameRefused(f"the trigger '@{new}' belongs to '{index.triggers[f'@{new}']}'")
    return [(o.span, _cased(o.written, symbol.name, new)) for o in index.of(symbol) if o.renamable]
