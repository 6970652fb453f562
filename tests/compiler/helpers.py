"""Small helpers shared by the compiler tests."""

from __future__ import annotations

from pathlib import Path

from backends import CATALOG
from compiler import Compilation, compile_project


def compile_text(directory: Path, text: str, name: str = "film.studio.yaml") -> Compilation:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return compile_project(path, backends=CATALOG)


def keys(result: Compilation) -> dict[str, str]:
    assert result.plan is not None, [d.message for d in result.diagnostics]
    return {t.id: t.key for t in result.plan.tasks.values()}


def codes(result: Compilation) -> list[str]:
    return [d.code for d in result.diagnostics]


MINIMAL = """\
studio: 1
project: {title: Tiny}
elements:
  Ana: {kind: character, description: a girl with a kite, voice: ana}
voices:
  ana: {pitch: 60}
scenes:
  - id: s1
    shots:
      - id: a
        duration: 2
        action: "@Ana runs"
      - id: b
        action: "@Ana laughs"
        dialogue:
          - {character: Ana, line: "Look at it fly!"}
"""
