"""The live preview of ``studio watch --serve``: a read-only page on loopback that shows the storyboard,
the clips, the film and the tasks' states, and updates itself as tasks finish. See README.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .server import PreviewServer
from .state import SHOT_KINDS, PreviewState

if TYPE_CHECKING:
    from ..build import BuildOptions

__all__ = ["SHOT_KINDS", "PreviewServer", "PreviewState", "start_preview"]


def start_preview(opts: BuildOptions, host: str = "127.0.0.1", port: int = 0) -> PreviewServer:
    """Serve the preview of the builds ``opts`` describes; the caller sets ``opts.listener = server.state``."""
    from ..build import cache_root_for

    project_dir = (opts.path if opts.path.is_dir() else opts.path.parent).resolve()
    out_dir = (opts.out if opts.out is not None else project_dir / "build").resolve()
    cache_root = cache_root_for(project_dir, opts.cache)
    server = PreviewServer(PreviewState(out_dir), cache_root / "objects", out_dir, host, port)
    server.start()
    return server
