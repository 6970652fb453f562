"""Building backend tasks by hand, as the executor would after settling them."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from backends.base import Artifact, TaskRun

_ids = itertools.count()


def model(name: str, kind: str, path: Path, **params: Any) -> dict[str, Any]:
    """A model configuration as ``ModelRef.config()`` gives it, for local weights."""
    adapters = params.pop("adapters", {})
    return {"name": name, "kinds": [kind], "backend": "", "weights": f"models/{path.name}", "revision": None,
            "path": str(path), "dtype": None, "params": params, "adapters": adapters, "vram_gb": 0, "batch_size": 1}


def keyframe(workdir: Path, seed: int, prompt: str = "a girl on a pier", out: tuple[int, int] = (64, 48),
             files: dict[str, Path] | None = None, progress: Any = None, cancel: Any = None,
             **extra: Any) -> TaskRun:
    params = {"width": out[0], "height": out[1], "seed": seed, "prompt": prompt, "negative": "text",
              "action": prompt, "shot_type": "medium", "palette": [], "caption": False, "location": None,
              "characters": [], "props": [], **extra}
    return TaskRun(f"keyframe:s/{next(_ids)}", "keyframe", params, {}, files or {}, _fresh(workdir), 2,
                   progress, cancel)


def motion(workdir: Path, keyframe_png: Path, frames: int, fps: int = 12, seed: int = 5,
           out: tuple[int, int] = (64, 48), **extra: Any) -> TaskRun:
    params = {"width": out[0], "height": out[1], "fps": fps, "frames": frames, "duration": frames / fps,
              "seed": seed, "shot_type": "wide", "camera": {"move": "pan_left", "amount": None},
              "keyframes_at": [0], "crf": 20, "pattern": None, "prompt": "the sea", "negative": "", **extra}
    return TaskRun(f"motion:s/{next(_ids)}", "motion", params, {"keyframe": Artifact({"image": keyframe_png})}, {},
                   _fresh(workdir), 2)


def speech(workdir: Path, text: str, **extra: Any) -> TaskRun:
    params = {"text": text, "language": "en", "variant": None, "pitch": 50, "rate": 175, "volume": 100,
              "range": 50, "speaker": None, "emotion": None, "emotions": {}, **extra}
    return TaskRun(f"speech:s/a/{next(_ids)}", "speech", params, {}, {}, _fresh(workdir), 2)


def _fresh(workdir: Path) -> Path:
    path = workdir / f"w{next(_ids)}"
    path.mkdir(parents=True)
    return path
