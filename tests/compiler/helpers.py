"""Small helpers shared by the compiler tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

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


def assert_diagnosed(result: Compilation) -> None:
    """A compile either gives a plan, or says why not: at least one error, each with a code, a
    message and a position in a file."""
    for d in result.diagnostics:
        assert d.code and d.message, d
    if result.ok:
        assert result.plan is not None, "a clean compile must give a plan"
        return
    errors = [d for d in result.diagnostics if d.is_error]
    assert errors, "a failed compile must say why"
    for d in errors:
        assert d.span is not None and d.span.file and d.span.line >= 1 and d.span.column >= 1, d


FUZZ_EXAMPLES = 150
"""Examples per fuzz test in the fast tier, which CI runs (``-m 'not slow'``)."""
SLOW_FACTOR = 20
"""The slow tier (``pytest -m slow``) runs this many times more examples: still bounded."""


def fuzz_tiers(body: Callable[..., Any], strategies: Callable[[Callable[..., Any]], Any],
               examples: int = FUZZ_EXAMPLES) -> tuple[Any, Any]:
    """One fuzz test body as two tests: ``strategies`` (a ``given(...)``) applied with ``examples``
    examples, and again, marked ``slow``, with ``SLOW_FACTOR`` times more."""
    common: dict[str, Any] = {"deadline": None, "suppress_health_check": list(HealthCheck)}
    fast = settings(max_examples=examples, **common)(strategies(body))
    slow = pytest.mark.slow(settings(max_examples=examples * SLOW_FACTOR, **common)(strategies(body)))
    return fast, slow
