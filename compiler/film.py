"""The resolved film: every reference bound, every template rendered, seeds and durations set.

This is what ``compiler.resolve`` returns and ``compiler.plan`` consumes. All types are frozen;
names are the user's, ids are stable, nothing here depends on list positions of definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NewType

from . import spec
from .canonical import digest
from .files import FileRef

__all__ = [
    "AudioR", "BUILTIN_MODELS", "ElementR", "Film", "KNOWN_EMOTIONS", "LineR", "ModelRef", "ModelId", "ShotId",
    "ShotR", "VoiceR",
]

ShotId = NewType("ShotId", str)
"""``<scene>/<shot>``."""
ModelId = NewType("ModelId", str)
"""A model's identity: a digest of everything about it that changes outputs (not its name)."""

KNOWN_EMOTIONS = frozenset({
    "neutral", "calm", "happy", "playful", "excited", "sad", "angry", "determined", "scared", "surprised",
    "shy", "whisper", "tired", "curious", "confident", "nervous", "tender", "shouting",
})
"""Emotions every speech backend understands; voices may define more under ``emotions``."""


@dataclass(frozen=True)
class ModelRef:
    name: str
    backend: str
    kinds: frozenset[str]
    weights: str | None = None
    revision: str | None = None
    dtype: str | None = None
    vram_gb: float = 0.0
    batch_size: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> ModelId:
        return ModelId(digest(self.key_config()))

    def key_config(self) -> dict[str, Any]:
        """What enters cache keys: everything that changes outputs, not the name or memory estimate."""
        return {"backend": self.backend, "weights": self.weights, "revision": self.revision, "dtype": self.dtype,
                "params": self.params}

    def config(self) -> dict[str, Any]:
        """The configuration a backend's ``load`` receives."""
        return {"name": self.name, "kinds": sorted(self.kinds), **self.key_config(), "vram_gb": self.vram_gb,
                "batch_size": self.batch_size}


BUILTIN_MODELS: dict[str, ModelRef] = {
    "procedural": ModelRef("procedural", "procedural", frozenset({"image", "video"})),
    "espeak": ModelRef("espeak", "espeak", frozenset({"speech"})),
}


@dataclass(frozen=True)
class ElementR:
    name: str
    kind: str
    description: str
    color: str | None
    references: tuple[FileRef, ...]

    def params(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "color": self.color,
                "references": [f"ref:{self.name}/{i}" for i in range(1, len(self.references) + 1)]}


@dataclass(frozen=True)
class VoiceR:
    name: str
    model: ModelRef
    language: str
    variant: str | None
    pitch: int
    rate: int
    volume: int
    range: int
    speaker: str | None
    emotions: dict[str, dict[str, int]]


@dataclass(frozen=True)
class LineR:
    number: int
    character: str
    text: str
    emotion: str | None
    voice: VoiceR
    estimate: float


@dataclass(frozen=True)
class ShotR:
    scene: str
    id: str
    heading: str | None
    type: str
    duration: float | None
    """Explicit seconds, or None for ``auto``."""
    estimate: float
    """Explicit seconds, or the estimated length of an ``auto`` shot."""
    action: str
    prompt: str
    negative: str
    palette: tuple[str, ...]
    location: ElementR | None
    characters: tuple[ElementR, ...]
    props: tuple[ElementR, ...]
    camera_move: str
    camera_amount: float | None
    transition: spec.Transition | None
    """Transition into the next shot; None for a cut."""
    lines: tuple[LineR, ...]
    image_model: ModelRef
    video_model: ModelRef
    seed: int
    pattern: spec.Pattern | None

    @property
    def shot_id(self) -> ShotId:
        return ShotId(f"{self.scene}/{self.id}")


@dataclass(frozen=True)
class AudioR:
    id: str
    file: FileRef
    kind: str
    start: float
    at: str | None
    volume: float
    duck: bool
    loop: bool
    fade_in: float
    fade_out: float


@dataclass(frozen=True)
class Film:
    title: str
    fps: int
    width: int
    height: int
    seed: int
    vram_gb: float | None
    language: str
    shots: tuple[ShotR, ...]
    audio: tuple[AudioR, ...]
    output: spec.Output
