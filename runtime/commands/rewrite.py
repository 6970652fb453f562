"""``studio fmt``, ``studio convert`` and ``studio import``: rewriting project files.

Every write goes through a temporary file that is renamed into place, and only after the new text
has been read back to exactly the same document (so a formatter bug can never lose a line of a
film). Files with syntax errors are never written: their diagnostics are printed instead.

Exit codes: 0 done, 1 errors (or ``fmt --check`` found a file to reformat), 2 usage.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from studio_lang import ast
from studio_lang.comments import Comment
from studio_lang.diagnostics import Diagnostic, has_errors, render_text
from studio_lang.loader import display_name, find_project, is_dsl, parse, read_source
from studio_lang.source import SourceFile

from ..store import atomic_write

__all__ = ["FormatRefused", "convert_command", "fmt_command", "format_source", "import_command", "schema_comment"]

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "project.schema.json"
_SCHEMA_PREFIX = " yaml-language-server:"


@dataclass(frozen=True)
class _Parsed:
    source: SourceFile
    tree: ast.Project
    comments: list[Comment]


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def _report(diagnostics: list[Diagnostic], source: SourceFile | None) -> None:
    sys.stderr.write(render_text(diagnostics, {source.name: source} if source else {}))


def _syntax(path: Path) -> str | None:
    name = path.name
    if name.endswith((".studio.yaml", ".studio.yml")):
        return "yaml"
    if name.endswith(".studio"):
        return "studio"
    return None


def _load(path: Path) -> _Parsed | None:
    """Read and parse a project file; print its problems and return None when it has syntax errors."""
    source, diagnostics = read_source(path)
    if source is None:
        _report(diagnostics, None)
        return None
    tree, diagnostics = parse(source)
    if tree.root is None or has_errors(diagnostics):
        _report([d for d in diagnostics if d.is_error], source)
        _say(f"{source.name}: not rewritten (fix the syntax errors first)")
        return None
    return _Parsed(source, tree, _comments(source, tree))


def _comments(source: SourceFile, tree: ast.Project) -> list[Comment]:
    if is_dsl(source):
        from studio_lang.dsl.lexer import lex

        return lex(source).comments
    from studio_lang.comments import yaml_comments

    return yaml_comments(source, tree.root)


def _emit(tree: ast.Node, syntax: str, *, source: SourceFile | None, comments: list[Comment],
          schema: str | None) -> str | None:
    """The document as text of ``syntax``; None (the reason printed) when it cannot be written so."""
    try:
        return _emit_text(tree, syntax, source=source, comments=comments, schema=schema)
    except ValueError as exc:
        _say(f"{source.name if source else 'studio'}: cannot write this document as {syntax}: {exc}")
        return None


def _emit_text(tree: ast.Node, syntax: str, *, source: SourceFile | None, comments: list[Comment],
               schema: str | None) -> str:
    if syntax == "studio":
        from studio_lang.dsl.emit import emit_dsl

        return emit_dsl(tree, source, comments)
    from studio_lang.yaml.emit import emit_yaml

    header = [f"yaml-language-server: $schema={schema}"] if schema else []
    return emit_yaml(tree, header=header, source=source, comments=comments)


def _same_document(text: str, name: str, expected: ast.Node) -> bool:
    """Whether ``text`` (written as ``name``) reads back to the document ``expected``."""
    source = SourceFile(name, text, Path(name))
    tree, diagnostics = parse(source)
    return tree.root is not None and not has_errors(diagnostics) and ast.to_data(tree.root) == ast.to_data(expected)


def _write(path: Path, text: str) -> None:
    """Replace ``path`` atomically (temporary file, fsync, rename), keeping its permissions."""
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o644
    atomic_write(path, text.encode("utf-8"), mode)


def schema_comment(out: Path) -> str | None:
    """The ``$schema`` path for a YAML file written at ``out``: relative to it, when both lie in this
    checkout of studio (an installed studio has no schema file to point at: ``studio schema`` prints it)."""
    if not SCHEMA.is_file():
        return None
    target = out.resolve().parent
    if not target.is_relative_to(ROOT):
        return None
    return Path(os.path.relpath(SCHEMA, target)).as_posix()


# --- fmt ----------------------------------------------------------------------------------------
def fmt_command(paths: list[Path], check: bool) -> int:
    status = 0
    for path in paths:
        found, diagnostics = find_project(path)
        if found is None:
            _report(diagnostics, None)
            status = 1
            continue
        result = _fmt_one(found, check)
        status = max(status, result)
    return status


class FormatRefused(Exception):
    """Why a file is not formatted (``args[0]``); ``diagnostics`` holds its syntax errors, if those are why."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


def format_source(source: SourceFile) -> str:
    """The canonical text of a project file (what ``studio fmt`` writes; the language server's formatting).

    Raises ``FormatRefused`` for syntax errors, text the YAML emitter refuses, or a result that would
    not read back to the same document."""
    tree, diagnostics = parse(source)
    root = tree.root
    if root is None or has_errors(diagnostics):
        raise FormatRefused(f"{source.name}: not rewritten (fix the syntax errors first)",
                            [d for d in diagnostics if d.is_error])
    if is_dsl(source):
        from studio_lang.dsl.emit import emit_dsl

        text = emit_dsl(root, source, _comments(source, tree))
    else:
        from studio_lang.yaml.emit import format_yaml

        try:
            text = format_yaml(source.text)
        except Exception as exc:  # ruamel refusing what the checker accepted: leave the file alone
            raise FormatRefused(f"{source.name}: cannot format this YAML ({type(exc).__name__}: {exc}); file left "
                                "as it was") from None
    if not _same_document(text, source.name, root):
        raise FormatRefused(f"{source.name}: internal error: the formatted text would mean something else; file "
                            "left as it was")
    return text


def _fmt_one(path: Path, check: bool) -> int:
    source, diagnostics = read_source(path)
    if source is None:
        _report(diagnostics, None)
        return 1
    try:
        text = format_source(source)
    except FormatRefused as refused:
        if refused.diagnostics:
            _report(refused.diagnostics, source)
        _say(str(refused))
        return 1
    original = path.read_bytes().decode("utf-8", errors="replace")
    if text == original:
        return 0
    if check:
        _say(f"would reformat {source.name}")
        return 1
    _write(path, text)
    _say(f"reformatted {source.name}")
    return 0


# --- convert -------------------------------------------------------------------------------------
def convert_command(src: Path, dst: Path, force: bool) -> int:
    syntax_in, syntax_out = _syntax(src), _syntax(dst)
    for path, syntax in ((src, syntax_in), (dst, syntax_out)):
        if syntax is None:
            _say(f"studio convert: '{display_name(path)}' is neither a .studio.yaml nor a .studio file")
            return 2
    if src.resolve() == dst.resolve():
        _say("studio convert: IN and OUT are the same file (use 'studio fmt' to reformat a file in place)")
        return 2
    if dst.exists() and not force:
        _say(f"studio convert: '{display_name(dst)}' exists; pass --force to overwrite it")
        return 1
    parsed = _load(src)
    if parsed is None:
        return 1
    root = parsed.tree.root
    assert root is not None and syntax_out is not None
    comments = parsed.comments
    notes = []
    if syntax_out == "studio":
        dropped = [c for c in comments if c.text.startswith(_SCHEMA_PREFIX)]
        if dropped:
            notes.append(f"note: dropped the yaml-language-server comment (line {dropped[0].line}): "
                         "it means nothing in a .studio file")
        comments = [c for c in comments if not c.text.startswith(_SCHEMA_PREFIX)]
    schema = schema_comment(dst) if syntax_out == "yaml" else None
    if syntax_out == "yaml" and schema is None:
        notes.append("note: no '# yaml-language-server: $schema=' line: the schema is not beside this file "
                     "(write one with 'studio schema > project.schema.json' and point the line at it)")
    text = _emit(root, syntax_out, source=parsed.source, comments=comments, schema=schema)
    if text is None:
        return 1
    if not _same_document(text, dst.name, root):
        _say(f"{parsed.source.name}: internal error: the converted text would mean something else; nothing written")
        return 1
    if src.resolve().parent != dst.resolve().parent:
        notes.append("note: paths in the project (references, audio files, weights) are relative to the project "
                     "file and were not rewritten for the new directory")
    dst.parent.mkdir(parents=True, exist_ok=True)
    _write(dst, text)
    for note in notes:
        _say(note)
    carried = len(comments)
    _say(f"wrote {display_name(dst)}" + (f" ({carried} comment{'s' * (carried != 1)} carried)" if carried else ""))
    return 0


# --- import --------------------------------------------------------------------------------------
def import_command(script: Path, out: Path | None, force: bool, coverage: str = "auto") -> int:
    from studio_lang.fountain.importer import import_fountain

    if out is None:
        stem = script.name[: -len(".fountain")] if script.name.endswith(".fountain") else script.stem
        out = script.with_name(stem + ".studio.yaml")
    syntax = _syntax(out)
    if syntax is None:
        _say(f"studio import: '{display_name(out)}' is neither a .studio.yaml nor a .studio file")
        return 2
    if out.exists() and not force:
        _say(f"studio import: '{display_name(out)}' exists; pass --force to overwrite it")
        return 1
    source, diagnostics = _read_script(script)
    if source is None:
        _report(diagnostics, None)
        return 1
    project, found = import_fountain(source, title=script.name.split(".")[0] or "Untitled", coverage=coverage)
    diagnostics += found
    _report(diagnostics, source)
    if has_errors(diagnostics):
        return 1
    text = _import_text(project, syntax, out)
    if text is None:
        _say(f"{source.name}: internal error: the imported project does not read back; nothing written")
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    _write(out, text)
    scenes = project.get("scenes", [])
    shots = sum(len(s.get("shots", [])) for s in scenes)
    characters = sum(1 for e in project.get("elements", {}).values() if e.get("kind") == "character")
    _say(f"wrote {display_name(out)}: {len(scenes)} scene{'s' * (len(scenes) != 1)}, {shots} shot"
         f"{'s' * (shots != 1)}, {characters} character{'s' * (characters != 1)}")
    return 0


def _read_script(script: Path) -> tuple[SourceFile | None, list[Diagnostic]]:
    """The script's text: a regular file of at most MAX_SCRIPT_BYTES, decoded (see decode_script)."""
    import stat

    from studio_lang.diagnostics import Span
    from studio_lang.fountain.importer import MAX_SCRIPT_BYTES, decode_script

    name = display_name(script)
    try:
        info = script.stat()
        if not stat.S_ISREG(info.st_mode):
            what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            return None, [Diagnostic.error("E001", f"cannot import '{name}': it is {what}", Span.point(name),
                                           "pass a Fountain screenplay file")]
        if info.st_size > MAX_SCRIPT_BYTES:
            return None, [Diagnostic.error(
                "E001", f"'{name}' is too large ({info.st_size} bytes) to import", Span.point(name),
                f"scripts are at most {MAX_SCRIPT_BYTES // 2**20} MiB; split it")]
        with script.open("rb") as handle:
            data = handle.read(MAX_SCRIPT_BYTES + 1)
    except FileNotFoundError:
        return None, [Diagnostic.error("E005", f"no such file: '{name}'", Span.point(name))]
    except OSError as exc:
        return None, [Diagnostic.error("E001", f"cannot read '{name}': {exc.strerror or exc}", Span.point(name))]
    return decode_script(data[:MAX_SCRIPT_BYTES], name, script)


def _import_text(project: dict[str, object], syntax: str, out: Path) -> str | None:
    """The project as text of ``syntax``, read back to the same data before it is trusted (YAML through
    the fast writer and a span-less read-back: an imported script may hold thousands of shots)."""
    if syntax == "yaml":
        from studio_lang.yaml.syntax import reads_as
        from studio_lang.yaml.write import emit_yaml_data

        schema = schema_comment(out)
        text = emit_yaml_data(project, [f"yaml-language-server: $schema={schema}"] if schema else [])
        return text if reads_as(text, project) else None
    from studio_lang.dsl.emit import from_data

    tree = from_data(project)
    dsl = _emit(tree, syntax, source=None, comments=[], schema=None)
    return dsl if dsl is not None and _same_document(dsl, out.name, tree) else None
