"""Deliverables: the files a build leaves in ``build/``, each replaced atomically.

A reader (a video player, a web server) never sees a half-written film: every file is copied
to a temporary name in the same directory, fsynced and renamed. Files are copied, not linked, so
that editing a deliverable can never damage the store. A manifest remembers what studio wrote;
a file whose content is already right is left alone (never rewritten: its inode and mtime stay),
and a deliverable that no longer exists in the plan is removed only if studio wrote it and nobody
changed it since.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from .store import ActionRecord, Store, atomic_copy, atomic_write

__all__ = ["MANIFEST", "SELF_NAMED", "deliverables", "deliver"]

MANIFEST = ".studio-manifest.json"


SELF_NAMED = frozenset({"timeline", "storyboard_pdf", "masters"})
"""Kinds whose every output is named by its path under build/ (``masters/shots/cove-peek/...``)."""


def deliverables(tid: str, kind: str, outputs: Iterable[str] = ()) -> dict[str, str]:
    """Output name -> path under build/ for the outputs of a task that people want."""
    if kind in SELF_NAMED:
        return {o: o for o in outputs if _relative(o)}
    name = tid.split(":", 1)[1].replace("/", "-") if ":" in tid else tid
    return {
        "keyframe": {"image": f"keyframes/{name}.png"},
        "layout": {"depth": f"layout/{name}-depth.png", "pose": f"layout/{name}-pose.png",
                   "edges": f"layout/{name}-edges.png"},
        "speech": {"audio": f"audio/{name}.wav"},
        "shot": {"clip": f"shots/{name}.mp4"},
        "film": {"film": "final.mp4"},
        "soundtrack": {"audio": "soundtrack.m4a"},
        "subtitles": {"srt": "subtitles.srt"},
        "storyboard": {"image": "storyboard.png"},
    }.get(kind, {})


def _relative(name: str) -> bool:
    """A plain relative path: nothing a backend names may land outside build/."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and "\\" not in name and all(p not in ("", ".", "..") for p in parts)


def _signature(path: str | Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _holds(path: str, digest: str, size: int) -> bool:
    """Whether ``path`` already holds exactly these bytes (a manifest lost, a file touched but unchanged):
    then it is left alone rather than rewritten."""
    try:
        if os.stat(path).st_size != size:
            return False
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        return h.hexdigest() == digest
    except OSError:
        return False


def deliver(out_dir: Path, kinds: dict[str, str], records: dict[str, ActionRecord], store: Store) -> dict[str, str]:
    """Make ``out_dir`` hold every deliverable of the finished tasks; returns relative path -> digest.

    ``kinds`` maps task id -> kind for every task of the plan."""
    manifest_path = out_dir / MANIFEST
    try:
        old: dict[str, dict[str, object]] = json.loads(manifest_path.read_bytes())
    except (OSError, ValueError):
        old = {}
    new: dict[str, dict[str, object]] = {}
    base = str(out_dir)
    for tid, record in records.items():
        kind = kinds.get(tid)
        if kind is None:
            continue
        for output, rel in deliverables(tid, kind, record.outputs).items():
            if output not in record.outputs:
                continue
            digest = record.outputs[output]["digest"]
            dest = f"{base}/{rel}"
            if rel in new:  # the compiler refuses two shots with one name (E326); never let one overwrite another
                raise RuntimeError(f"two tasks deliver {rel}")
            prev = old.get(rel)
            sig = _signature(dest)
            if not (prev and prev.get("digest") == digest and prev.get("sig") == sig) \
                    and not _holds(dest, digest, record.outputs[output]["size"]):
                atomic_copy(store.object_path(digest), Path(dest))
                sig = _signature(dest)
            new[rel] = {"digest": digest, "sig": sig}
    for rel, prev in old.items():
        if rel not in new:
            stale = out_dir / rel
            if prev.get("sig") == _signature(stale):  # ours and untouched: safe to remove
                with contextlib.suppress(OSError):
                    stale.unlink()
    if new != old:
        atomic_write(manifest_path, json.dumps(new, sort_keys=True, indent=1).encode())
    return {rel: str(v["digest"]) for rel, v in new.items()}
