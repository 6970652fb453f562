"""The project language: source files, the span-carrying syntax tree, diagnostics. See README.md."""

from __future__ import annotations

from . import ast
from .diagnostics import Diagnostic, Severity, Span, render_json, render_text
from .source import SourceFile

__all__ = ["Diagnostic", "Severity", "SourceFile", "Span", "ast", "render_json", "render_text"]
