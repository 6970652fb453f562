"""``studio export PATH --format otio|fcpxml|edl OUT``: the built timeline in an editor's format.

PATH is a ``timeline.otio``, or a project (file or directory) whose build holds one
(``build/timeline.otio``, or ``--build DIR``). The format comes from ``--format`` or OUT's
extension. Like ``convert``, it never overwrites an existing OUT without ``--force`` and writes
through a temporary file renamed into place. Exit codes: 0 written, 1 nothing to export or the
adapter is missing or refused, 2 usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["export_command"]


def _timeline(path: Path, build_dir: Path | None) -> Path | str:
    """The timeline file to read, or why there is none."""
    if path.suffix == ".otio":
        return path if path.is_file() else f"{path}: no such file"
    from studio_lang.loader import find_project

    project, diagnostics = find_project(path)
    if project is None:
        return "; ".join(d.message for d in diagnostics) or f"{path}: no project here"
    timeline = (build_dir if build_dir is not None else project.parent / "build") / "timeline.otio"
    if not timeline.is_file():
        return (f"{timeline} does not exist: run 'studio build {path}' first (the timeline needs the export "
                "extra: pip install 'studio[export]')")
    return timeline


def export_command(path: Path, fmt: str | None, out: Path, force: bool, build_dir: Path | None) -> int:
    from backends.export.convert import FORMATS, SUFFIXES, ExportError, export_timeline

    from ..store import atomic_write

    chosen = fmt or SUFFIXES.get(out.suffix.lower())
    if chosen is None:
        sys.stderr.write(f"studio: cannot tell the format from '{out.name}': pass --format "
                         f"{'|'.join(FORMATS)}\n")
        return 2
    source = _timeline(path, build_dir)
    if isinstance(source, str):
        sys.stderr.write(f"studio: {source}\n")
        return 1
    if out.exists() and not force:
        sys.stderr.write(f"studio: {out} exists; pass --force to overwrite it\n")
        return 1
    try:
        text = export_timeline(source, chosen, out)
    except ExportError as exc:
        sys.stderr.write(f"studio: {exc.args[0]}\n")
        return 1
    atomic_write(out, text.encode("utf-8"), 0o644)
    sys.stderr.write(f"{out}: {chosen} from {source}\n")
    return 0
