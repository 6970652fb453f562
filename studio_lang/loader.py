"""Finding, reading and parsing project files."""

from __future__ import annotations

import os
from pathlib import Path

from . import ast
from .diagnostics import Diagnostic, Span
from .readfile import Unreadable, name_problem, read_regular
from .source import SourceFile

__all__ = ["DSL_SUFFIX", "MAX_BYTES", "PROJECT_SUFFIXES", "display_name", "find_project", "is_dsl", "parse",
           "read_source"]

PROJECT_SUFFIXES = (".studio.yaml", ".studio.yml", ".studio")
"""File names that hold a project: YAML, or the screenplay DSL (``.studio``)."""
DSL_SUFFIX = ".studio"
MAX_BYTES = 32 * 1024 * 1024
"""Largest project file read; a 10,000-shot film is about 3 MB."""


def is_project_file(path: Path) -> bool:
    return path.name.endswith(PROJECT_SUFFIXES)


def display_name(path: Path) -> str:
    """The path as the user should see it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def find_project(path: Path) -> tuple[Path | None, list[Diagnostic]]:
    """``path`` itself if it is named like a project file, or the one project file in a directory.

    One rule for both: a project file's name ends in ``.studio.yaml``, ``.studio.yml`` or ``.studio``
    (the suffix says the syntax), so ``film.yaml`` is refused when named (E006) as it is ignored in a
    directory, and in both cases the message says which names count."""
    name = display_name(path)
    why = name_problem(path)
    if why:
        return None, [Diagnostic.error("E001", f"'{_short(name)}' {why}", Span.point(_short(name)))]
    if path.is_dir():
        try:
            entries = sorted(path.iterdir())
            found = [p for p in entries if is_project_file(p) and not p.is_dir()]
        except OSError as exc:
            return None, [Diagnostic.error("E001", f"cannot read directory '{name}': {exc.strerror or exc}",
                                           Span.point(name))]
        if not found:
            near = [p.name for p in entries if p.name.endswith((".yaml", ".yml")) and not p.is_dir()]
            hint = f"create a file ending in {_NAMES}, or pass the file itself"
            if near:
                hint = f"found {near[0]}, but project files end in {_NAMES}: rename it to {_renamed(near[0])}"
            return None, [Diagnostic.error("E003", f"no project file in '{name}'", Span.point(name), hint)]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            return None, [Diagnostic.error("E004", f"'{name}' holds several project files: {names}",
                                           Span.point(name), "pass the one you mean")]
        return found[0], []
    if not path.exists() and not path.is_symlink():
        return None, [Diagnostic.error("E005", f"no such file or directory: '{name}'", Span.point(name))]
    if not is_project_file(path):
        return None, [Diagnostic.error(
            "E006", f"'{name}' is not named like a project file", Span.point(name),
            f"project files end in {_NAMES} (the ending says the syntax): rename it to {_renamed(path.name)}")]
    return path, []


_NAMES = ", ".join(PROJECT_SUFFIXES[:-1]) + " or " + PROJECT_SUFFIXES[-1]


def _renamed(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if name.endswith((".yaml", ".yml")) else name
    return stem + ".studio.yaml"


def _short(name: str) -> str:
    return name if len(name) <= 80 else name[:77] + "..."


def read_source(path: Path) -> tuple[SourceFile | None, list[Diagnostic]]:
    """The decoded text of a project file: a regular file of at most ``MAX_BYTES`` (a FIFO, a device or
    a directory is refused with E001, without waiting on it)."""
    name = display_name(path)
    try:
        data = read_regular(path, MAX_BYTES)
    except Unreadable as exc:
        hint = f"project files are at most {MAX_BYTES // 2**20} MiB" if "too large" in str(exc) else None
        return None, [Diagnostic.error("E001", f"'{_short(name)}' {exc}", Span.point(_short(name)), hint)]
    except OSError as exc:
        return None, [Diagnostic.error("E001", f"cannot read '{name}': {exc.strerror or exc}", Span.point(name))]
    return decode(data, name, path)


def decode(data: bytes, name: str, path: Path | None = None) -> tuple[SourceFile | None, list[Diagnostic]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", errors="replace")
        line = prefix.count("\n") + 1
        column = len(prefix) - (prefix.rfind("\n") + 1) + 1
        return None, [Diagnostic.error("E002", f"'{name}' is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                                       Span.point(name, line, column), "save the file as UTF-8")]
    if "\x00" in text:
        src = SourceFile(name, text, path)
        line, col = src.position(text.index("\x00"))
        return None, [Diagnostic.error("E002", "the file contains NUL bytes (is it a binary file?)",
                                       Span.point(name, line, col), "save the file as UTF-8 text")]
    return SourceFile(name, text.replace("\r\n", "\n"), path), []


def is_dsl(source: SourceFile) -> bool:
    """Whether a source is written in the screenplay DSL (by its file name)."""
    return (source.path.name if source.path is not None else source.name).endswith(DSL_SUFFIX)


def parse(source: SourceFile) -> tuple[ast.Project, list[Diagnostic]]:
    """Parse by file name: the screenplay DSL for ``*.studio``, YAML for ``*.studio.yaml``."""
    if is_dsl(source):
        from .dsl.syntax import parse_dsl  # lark is imported only when a DSL file is parsed

        return parse_dsl(source)
    from .yaml.syntax import parse_yaml  # ruamel is imported only when a file is parsed

    return parse_yaml(source)
