"""Hugging Face Hub arguments shared by the AI backends (no heavy imports)."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["hub_kwargs", "offline"]


def offline() -> bool:
    """HF_HUB_OFFLINE, read now (not when huggingface_hub was imported)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def hub_kwargs(repo: str, revision: str | None) -> dict[str, Any]:
    """from_pretrained arguments for a repo id: its revision, and no network at all when HF_HUB_OFFLINE
    is set or the revision's snapshot is already in the cache."""
    from compiler.weights import hub_cache

    kwargs: dict[str, Any] = {"revision": revision} if revision else {}
    snapshot = hub_cache() / ("models--" + repo.replace("/", "--")) / "snapshots" / (revision or "")
    if offline() or (revision and len(revision) == 40 and snapshot.is_dir()):
        kwargs["local_files_only"] = True
    return kwargs
