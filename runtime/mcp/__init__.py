"""``studio mcp``: the Model Context Protocol server (see runtime/mcp/README.md)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["serve"]


def serve(root: Path, llm_spec: str | None = None, allow_paths: Sequence[Path] = ()) -> int:
    """Serve ``root`` on stdin/stdout (the SDK is imported here, not when the CLI starts)."""
    import importlib.util
    import sys

    if importlib.util.find_spec("mcp") is None:
        from backends.llm import INSTALL_HINT

        sys.stderr.write(f"studio mcp needs the mcp package; {INSTALL_HINT}\n")
        return 1
    from .server import serve as _serve

    return _serve(root, llm_spec, list(allow_paths))
