"""A draft or an edit checked before it is written: the document as text, its diagnostics, and
which scene each problem lies in (so a repair round sends the model only that scene)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.pipeline import compile_text
from studio_lang import ast
from studio_lang.diagnostics import Diagnostic, has_errors, render_text
from studio_lang.source import SourceFile

__all__ = ["Checked", "check_text", "emit_document", "problem_lines", "scene_of"]


@dataclass(frozen=True)
class Checked:
    text: str
    diagnostics: list[Diagnostic]
    source: SourceFile | None
    root: ast.Node | None

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def clean(self) -> bool:
        return not self.diagnostics

    def render(self) -> str:
        return render_text(self.diagnostics, {self.source.name: self.source} if self.source else {})


def check_text(text: str, path: Path) -> Checked:
    """Compile ``text`` as the project file ``path`` (which need not exist yet)."""
    result = compile_text(text, path)
    root = result.syntax.root if result.syntax is not None else None
    return Checked(text, result.diagnostics, result.source, root)


def emit_document(data: dict[str, Any], syntax: str, header: list[str] | None = None) -> str:
    """The document as ``.studio.yaml`` or ``.studio`` text; ValueError if it does not read back the same."""
    from studio_lang.dsl.emit import emit_dsl, from_data
    from studio_lang.loader import parse
    from studio_lang.yaml.emit import emit_yaml

    tree = from_data(data)
    text = emit_dsl(tree) if syntax == "studio" else emit_yaml(tree, header=header or [])
    name = "draft.studio" if syntax == "studio" else "draft.studio.yaml"
    again, diagnostics = parse(SourceFile(name, text, Path(name)))
    if again.root is None or has_errors(diagnostics) or ast.to_data(again.root) != data:
        raise ValueError(f"internal error: the drafted document does not read back as written ({syntax})")
    return text


def scene_of(diagnostic: Diagnostic, root: ast.Node | None) -> int | None:
    """Index of the scene whose lines hold the diagnostic, or None (a definition, the file)."""
    if diagnostic.span is None or not isinstance(root, ast.Mapping):
        return None
    scenes = root.get("scenes")
    if not isinstance(scenes, ast.Sequence):
        return None
    line = diagnostic.span.line
    for i, scene in enumerate(scenes.items):
        if scene.span.line <= line <= scene.span.end_line:
            return i
    return None


def problem_lines(diagnostics: list[Diagnostic], source: SourceFile | None) -> list[str]:
    """Diagnostics as short lines for a model: what, where (the source line), the hint."""
    out = []
    for d in diagnostics:
        where = ""
        if d.span is not None and source is not None:
            where = f" at `{source.line(d.span.line).strip()[:120]}`"
        out.append(f"{d.severity.value} {d.code}: {d.message}{where}" + (f" ({d.hint})" if d.hint else ""))
    return out
