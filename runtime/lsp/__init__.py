"""The language server (``studio lsp``): diagnostics, completion, hover, navigation, rename, outline,
folding, formatting and quick fixes for project files in both syntaxes. See README.md."""

from __future__ import annotations

from .server import make_server, serve

__all__ = ["make_server", "serve"]
