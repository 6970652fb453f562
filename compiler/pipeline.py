"""The compiler's stages wired together: path -> source -> AST -> spec -> film -> plan."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from studio_lang import ast
from studio_lang.diagnostics import Diagnostic, Span, has_errors, sort_key
from studio_lang.loader import display_name, find_project, parse, read_source
from studio_lang.source import SourceFile

from . import spec
from .files import FileDigester, ProjectFiles, hash_file
from .film import Film
from .plan import Plan, UnknownBackend, plan
from .resolve import resolve
from .validate import validate

__all__ = ["Compilation", "compile_project", "compile_text"]


@dataclass
class Compilation:
    """Everything one compile produced; later stages are None when an earlier one failed."""

    path: Path | None
    source: SourceFile | None = None
    syntax: ast.Project | None = None
    spec: spec.Project | None = None
    film: Film | None = None
    plan: Plan | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def sources(self) -> dict[str, SourceFile]:
        return {self.source.name: self.source} if self.source else {}


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted in source order, each problem once (an inherited mistake is reported where it is written)."""
    return sorted(dict.fromkeys(diagnostics), key=sort_key)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Compiling allocates millions of small acyclic objects for a long film; the cycle collector
    would walk them again and again (6 of 10 seconds for 10,000 shots) and find nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compile_project(
    path: Path,
    *,
    backends: Mapping[str, str] | None = None,
    allowed_paths: Sequence[Path] = (),
    digester: FileDigester = hash_file,
    is_cached: Callable[[str], bool] | None = None,
) -> Compilation:
    """Check a project and, when ``backends`` (name -> version) is given, plan it."""
    with _no_gc():
        return _compile(path, backends, allowed_paths, digester, is_cached)


def compile_text(text: str, path: Path, *, backends: Mapping[str, str] | None = None,
                 allowed_paths: Sequence[Path] = (), digester: FileDigester = hash_file) -> Compilation:
    """Check (and plan) ``text`` as if it were the project file at ``path``, which need not exist:
    a draft or an edit is checked before anything is written."""
    source = SourceFile(display_name(path), text.replace("\r\n", "\n"), path)
    with _no_gc():
        return _compile_source(Compilation(path, diagnostics=[]), source, path, backends, allowed_paths, digester, None)


def _compile(path: Path, backends: Mapping[str, str] | None, allowed_paths: Sequence[Path],
             digester: FileDigester, is_cached: Callable[[str], bool] | None) -> Compilation:
    found, diagnostics = find_project(path)
    result = Compilation(found, diagnostics=diagnostics)
    if found is None:
        return result
    source, diagnostics = read_source(found)
    result.diagnostics += diagnostics
    if source is None:
        return result
    return _compile_source(result, source, found, backends, allowed_paths, digester, is_cached)


def _compile_source(result: Compilation, source: SourceFile, found: Path, backends: Mapping[str, str] | None,
                    allowed_paths: Sequence[Path], digester: FileDigester,
                    is_cached: Callable[[str], bool] | None) -> Compilation:
    result.source = source
    tree, diagnostics = parse(source)
    result.syntax = tree
    result.diagnostics += diagnostics
    checked, diagnostics = validate(tree)
    result.diagnostics += diagnostics
    if checked is None:
        result.diagnostics.sort(key=sort_key)
        return result
    film, diagnostics = resolve(tree, checked.project, ProjectFiles(found.parent, allowed_paths, digester),
                                poisoned=checked.poisoned)
    result.diagnostics = _unique(result.diagnostics + diagnostics)
    if film is None or checked.repaired or not result.ok:
        return result
    result.spec = checked.project
    result.film = film
    if backends is not None:
        try:
            result.plan = plan(film, backends, is_cached)
        except UnknownBackend as exc:
            result.diagnostics.append(Diagnostic.error(
                "E401", f"backend '{exc.args[0]}' is not available in this studio", Span.point(source.name)))
    return result
