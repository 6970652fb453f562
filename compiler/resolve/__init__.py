"""Resolve: ``spec.Project`` -> ``film.Film``.

Binds every name (``@Trigger`` words, dialogue characters, voices, styles, models, locations,
audio tracks), renders style prompts in the sandbox with element descriptions injected, derives
seeds from the project seed and stable shot ids, estimates ``auto`` durations, and checks the
files the project refers to. Unknown names get the closest known one as a hint.

Only ``resolve``, ``shot_seed`` and ``TRIGGER`` are the interface; the modules are the resolver's
parts (see compiler/README.md).
"""

from __future__ import annotations

from studio_lang import ast
from studio_lang.diagnostics import Diagnostic, sort_key

from .. import spec
from ..files import ProjectFiles
from ..film import Film
from .prompts import TRIGGER
from .shots import Resolver, shot_seed

__all__ = ["TRIGGER", "resolve", "shot_seed"]


def resolve(source: ast.Project, project: spec.Project, files: ProjectFiles,
            poisoned: frozenset[str] = frozenset()) -> tuple[Film | None, list[Diagnostic]]:
    """Bind and render. ``poisoned`` names definitions that failed validation: no errors about them."""
    r = Resolver(source, project, files, poisoned)
    film = r.run()
    diagnostics = sorted(r.diagnostics, key=sort_key)
    return (None if any(d.is_error for d in diagnostics) else film), diagnostics
