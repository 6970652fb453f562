"""Which video models can end a shot on a picture (``end:``), decided without importing an ML library.

The procedural video model always can (it cross-fades into the end picture). A diffusers video model
can when its pipeline class conditions on more than one frame: LTX-Video, through diffusers'
``LTXConditionPipeline`` (an ``LTXImageToVideoPipeline`` is turned into one over the same
components). The backend keeps the same list (``backends.diffusers.motion.VIDEO_PIPELINES``, the
adapters with ``ends_with``; a test keeps the two equal).

The pipeline class is found as the backend finds it when it loads the model: ``params.pipeline``,
else AnimateDiff when a motion adapter is given, else the ``_class_name`` of the weights'
``model_index.json`` (a local directory, or the snapshot of a cached Hugging Face repo at its
resolved commit), read as JSON. When none of these tells (a repo not downloaded yet, a single
checkpoint file without ``params.pipeline``), the shot is accepted and the backend refuses it at
run time if the pipeline turns out not to take an end frame.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from studio_lang.readfile import Unreadable, read_regular

from .film import ModelRef
from .weights import hub_cache

__all__ = ["END_FRAME_PIPELINES", "end_frame_problem", "pipeline_class"]

END_FRAME_PIPELINES = frozenset({"LTXImageToVideoPipeline", "LTXConditionPipeline"})
"""Diffusers pipeline classes whose shots may end on a picture."""

_INDEX_LIMIT = 64 * 1024
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def pipeline_class(model: ModelRef) -> str | None:
    """The diffusers pipeline class ``model`` loads as, or None when the project cannot tell."""
    named = model.params.get("pipeline")
    if isinstance(named, str) and named:
        return named
    if any(a.role == "motion_adapter" for a in model.adapters):
        return "AnimateDiffVideoToVideoPipeline"
    folder = _weights_folder(model)
    if folder is None:
        return None
    index = folder / "model_index.json"
    try:
        st = os.stat(index)
    except OSError:
        return None
    return _class_name(str(index), st.st_mtime_ns, st.st_size)


def end_frame_problem(model: ModelRef) -> tuple[str, str] | None:
    """(message, hint) when shots of video model ``model`` cannot end on a picture, else None."""
    if model.backend == "procedural":
        return None
    found = pipeline_class(model) if model.backend == "diffusers" else model.backend
    if found is None or found in END_FRAME_PIPELINES:
        return None
    takes = ", ".join(sorted(END_FRAME_PIPELINES))
    return (f"video model '{model.name}' ({found}) cannot end a shot on a picture: it conditions on the first "
            "frame only",
            f"use the procedural video model or an LTX-Video model ({takes}) for this shot "
            "(models: {video: ...}), or remove end")


def _weights_folder(model: ModelRef) -> Path | None:
    if model.path is not None:
        return Path(model.path) if os.path.isdir(model.path) else None
    revision = (model.resolved or {}).get("revision")
    if not model.weights or not revision or not _COMMIT.match(revision):
        return None
    return hub_cache() / f"models--{model.weights.replace('/', '--')}" / "snapshots" / revision


@lru_cache(maxsize=256)
def _class_name(path: str, mtime_ns: int, size: int) -> str | None:
    """``_class_name`` of a model_index.json (keyed by its stat, so an edited file is read again)."""
    try:
        data = json.loads(read_regular(Path(path), _INDEX_LIMIT))
    except (Unreadable, OSError, ValueError):
        return None
    name = data.get("_class_name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None
