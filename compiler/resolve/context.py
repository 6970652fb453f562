"""The resolver's state and what every part of it reports with: spans, errors, warnings, hints.

``Context`` holds what resolving has bound so far (models, templates, elements, voices, ...) and the
diagnostics; each part of the resolver (``definitions``, ``gates``, ``enhance``, ``blocking``,
``frames``, ``prompts``, ``dialogue``, ``checks``, ``shots``) is a class on top of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from studio_lang import ast
from studio_lang.diagnostics import Diagnostic, Span

from .. import spec
from ..files import ProjectFiles
from ..film import ElementR, EnhanceR, GatesR, LoraR, ModelRef, VoiceR
from ..templates import PromptTemplate
from ..validate import closest
from ..weights import Weights, WeightsResolver


def _hint(word: str, known: Iterable[str], what: str) -> str:
    pool = sorted(known)
    guess = closest(word, pool)
    if guess:
        return f"did you mean '{guess}'?"
    if not pool:
        return f"no {what} is defined"
    shown = ", ".join(pool[:8]) + (", ..." if len(pool) > 8 else "")
    return f"known {what}: {shown}"


class Context:
    def __init__(self, source: ast.Project, project: spec.Project, files: ProjectFiles,
                 poisoned: frozenset[str]) -> None:
        self.poisoned = poisoned
        self.source = source
        self.root = source.root
        self.p = project
        self.files = files
        self.diagnostics: list[Diagnostic] = []
        self.models: dict[str, ModelRef] = {}
        self.templates: dict[str, PromptTemplate | None] = {}
        self.template_errors: set[tuple[str, str]] = set()
        self.elements: dict[str, ElementR] = {}
        self.voices: dict[str, VoiceR | None] = {}
        self.voiceless: set[str] = set()
        self._gates: dict[tuple[str, ...], GatesR | None] = {}
        self.gate_models: dict[tuple[str, ...], ModelRef] = {}
        self.end_shots: list[tuple[str, tuple[str | int, ...]]] = []
        self._default_voices: dict[str, VoiceR] = {}
        self.triggers = {(e.trigger or f"@{name}"): name for name, e in project.elements.items()}
        self.weights = WeightsResolver(files)
        self.watched: dict[str, None] = {}
        self.style_loras: dict[str, LoraR | None] = {}
        self.enhancers: dict[str, EnhanceR | None] = {}
        self.unread: set[str] = set()
        self.lora_warned: set[tuple[str, str]] = set()

    # --- helpers -------------------------------------------------------------------------
    def span(self, *path: str | int, key: bool = False) -> Span:
        assert self.root is not None
        return ast.locate(self.root, path, key=key)

    def error(self, code: str, message: str, span: Span, hint: str | None = None, name: str | None = None) -> None:
        if name is not None and name in self.poisoned:
            return  # its definition already has an error; a second one here would be noise
        self.diagnostics.append(Diagnostic.error(code, message, span, hint))

    def warn(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic.warning(code, message, span, hint))

    def element_of(self, kind: str, name: str, path: tuple[str | int, ...]) -> ElementR | None:
        """The ``kind`` element (character, location) ``name`` written at ``path``, or None after E301
        (no such element, with the nearest names of that kind) or E308 (an element of another kind)."""
        element = self.elements.get(name)
        if element is None:
            known = [n for n, e in self.p.elements.items() if e.kind == kind]
            self.error("E301", f"unknown {kind} '{name}'", self.span(*path), _hint(name, known, f"{kind}s"), name=name)
            return None
        if element.kind != kind:
            self.error("E308", f"'{name}' is a {element.kind}, not a {kind}", self.span(*path), name=name)
            return None
        return element

    def sub_span(self, span: Span, needle: str, nth: int = 0) -> Span:
        """The span of the ``nth`` occurrence of ``needle`` inside ``span`` in the source text."""
        src = self.source.source
        for line_no in range(span.line, min(span.end_line, src.line_count) + 1):
            text = src.line(line_no)
            start = span.column - 1 if line_no == span.line else 0
            end = span.end_column - 1 if line_no == span.end_line else len(text)
            pos = text.find(needle, start, end)
            while pos != -1:
                if nth == 0:
                    return Span(span.file, line_no, pos + 1, line_no, pos + 1 + len(needle))
                nth -= 1
                pos = text.find(needle, pos + len(needle), end)
        return span

    def resolve_weights(self, written: str, revision: str | None, span: Span, file_only: bool = False,
                        name: str | None = None) -> Weights | None:
        found, diagnostics = self.weights.resolve(written, revision, span, file_only=file_only)
        for d in diagnostics:
            if d.is_error:
                self.error(d.code, d.message, span, d.hint, name=name)
            else:
                self.warn(d.code, d.message, span, d.hint)
        if found is not None:
            self.watched.update((str(p), None) for p in found.watched)
        return found

    def finite(self, value: Any, path: tuple[str | int, ...], report: bool = True) -> Any:
        """``value`` with every infinite or NaN number replaced by null (and reported, E204): free-form
        parameters enter keys, and a key has no spelling for them."""
        if isinstance(value, float) and not math.isfinite(value):
            if report:
                self.error("E204", f"{value!r} is not a finite number", self.span(*path),
                           "write a number (YAML's .inf and .nan have no place in parameters)")
            return None
        if isinstance(value, dict):
            return {k: self.finite(v, (*path, k), report) for k, v in value.items()}
        if isinstance(value, list):
            return [self.finite(v, (*path, i), report) for i, v in enumerate(value)]
        return value
