"""The compiler's stages wired together: path -> source -> AST -> spec -> film -> plan."""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from studio_lang import ast
from studio_lang.diagnostics import Diagnostic, Span, has_errors, sort_key
from studio_lang.loader import display_name, find_project, parse, read_source
from studio_lang.source import SourceFile

from . import spec
from .deliverables import check_installed
from .files import FileDigester, ProjectFiles, hash_file
from .film import Film
from .plan import Plan, UnknownBackend, plan
from .resolve import resolve
from .validate import validate

__all__ = ["Compilation", "compile_project", "compile_source", "compile_text"]


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
    installed: Collection[str] | None = None,
) -> Compilation:
    """Check a project and, when ``backends`` (name -> version) is given, plan it. ``installed``
    names the backends this installation has (default: those of ``backends``): deliverables
    that need a missing one are reported (``compiler.deliverables``)."""
    found, diagnostics = find_project(path)
    if found is None:
        return Compilation(found, diagnostics=diagnostics)
    source, diagnostics = read_source(found)
    if source is None:
        return Compilation(found, diagnostics=diagnostics)
    return compile_source(source, found.parent, backends=backends, is_cached=is_cached,
                          files=ProjectFiles(found.parent, allowed_paths, digester), installed=installed)


def compile_source(
    source: SourceFile,
    directory: Path,
    *,
    backends: Mapping[str, str] | None = None,
    is_cached: Callable[[str], bool] | None = None,
    files: ProjectFiles | None = None,
    checkpoint: Callable[[], None] | None = None,
    installed: Collection[str] | None = None,
) -> Compilation:
    """Compile text already in memory (an editor's unsaved buffer) as if it were a file in ``directory``.

    ``files`` checks referenced files (default: confined to ``directory``, hashed anew); ``checkpoint``
    is called between stages and may raise to abandon a compile whose text is already outdated;
    ``installed`` as for ``compile_project``."""
    with _no_gc():
        return _compile(source, files or ProjectFiles(directory), backends, is_cached, checkpoint or _go_on,
                        installed if installed is not None else backends)


def compile_text(text: str, path: Path, *, backends: Mapping[str, str] | None = None,
                 allowed_paths: Sequence[Path] = (), digester: FileDigester = hash_file) -> Compilation:
    """Check (and plan) ``text`` as if it were the project file at ``path``, which need not exist:
    a draft or an edit is checked before anything is written."""
    source = SourceFile(display_name(path), text.replace("\r\n", "\n"), path)
    return compile_source(source, path.parent, backends=backends,
                          files=ProjectFiles(path.parent, allowed_paths, digester))


def _go_on() -> None:
    pass


def _compile(source: SourceFile, files: ProjectFiles, backends: Mapping[str, str] | None,
             is_cached: Callable[[str], bool] | None, checkpoint: Callable[[], None],
             installed: Collection[str] | None) -> Compilation:
    result = Compilation(source.path, source)
    tree, diagnostics = parse(source)
    result.syntax = tree
    result.diagnostics += diagnostics
    checkpoint()
    checked, diagnostics = validate(tree)
    result.diagnostics += diagnostics
    if checked is None:
        result.diagnostics.sort(key=sort_key)
        return result
    checkpoint()
    if files.frame is None:  # images are bounded by the film's frame (``compiler.files.max_pixels``)
        files.frame = (checked.project.project.resolution[0], checked.project.project.resolution[1])
    film, diagnostics = resolve(tree, checked.project, files, poisoned=checked.poisoned)
    if installed is not None:
        diagnostics += check_installed(tree.root, checked.project.output, installed, source.name)
    result.diagnostics = _unique(result.diagnostics + diagnostics)
    if film is None or checked.repaired or not result.ok:
        return result
    result.spec = checked.project
    result.film = film
    if backends is not None:
        checkpoint()
        try:
            result.plan = plan(film, backends, is_cached)
        except UnknownBackend as exc:
            result.diagnostics.append(Diagnostic.error(
                "E401", f"backend '{exc.args[0]}' is not available in this studio", Span.point(source.name)))
    return result
