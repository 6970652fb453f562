"""The resolved film: every reference bound, every template rendered, seeds and durations set.

This is what ``compiler.resolve`` returns and ``compiler.plan`` consumes. All types are frozen;
names are the user's, ids are stable, nothing here depends on list positions of definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NewType

from . import spec
from .canonical import digest
from .files import FileRef
from .heading import Setting

__all__ = [
    "AdapterR", "AudioR", "BUILTIN_MODELS", "ElementR", "EnhanceR", "Film", "GatesR", "KNOWN_EMOTIONS", "LineR",
    "LoraR", "ModelRef", "ModelId", "ShotId", "ShotR", "VoiceR",
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
class AdapterR:
    """More weights a model parameter names (an IP-Adapter, a motion adapter, a vocoder), resolved."""

    role: str
    """The parameter: ip_adapter, motion_adapter, vocoder, speaker_embeddings, or controlnet:<kind>."""
    weights: str
    path: str | None
    """Absolute local path, or None for a repo id."""
    revision: str | None
    identity: dict[str, str | None]
    """What enters keys (see ``compiler.weights.Weights.identity``)."""


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
    path: str | None = None
    """Absolute local weights (file or directory); None for a repo id or no weights. Never in keys."""
    resolved: dict[str, str | None] | None = None
    """The weights' identity (repo id + commit, or content digest); None when the model has no weights."""
    adapters: tuple[AdapterR, ...] = ()
    num_gpus: float | None = None
    """GPUs a Ray actor holding the model asks for (None: the executor decides). Never in keys."""

    @cached_property
    def identity(self) -> ModelId:
        """Computed once: the plan asks for it for every task of the model."""
        return ModelId(digest(self.key_config()))

    def key_config(self) -> dict[str, Any]:
        """What enters cache keys: everything that changes outputs, not the name, memory estimate or
        where local weights lie (their content digest stands for them)."""
        config: dict[str, Any] = {"backend": self.backend, "weights": self.weights, "revision": self.revision,
                                  "dtype": self.dtype, "params": self.params}
        if self.resolved is not None:
            config.update(self.resolved)
        if self.adapters:
            roles = {a.role.split(":")[0] for a in self.adapters}  # controlnet:<kind> is params.controlnet's
            config["params"] = {k: v for k, v in self.params.items() if k not in roles}
            config["adapters"] = {a.role: {**a.identity, "options": _options(self.option(a.role))}
                                  for a in self.adapters}
        return config

    def option(self, role: str) -> Any:
        """The parameter value an adapter role stands for (``controlnet:depth``: that kind's entry)."""
        param, _, kind = role.partition(":")
        value = self.params.get(param)
        if kind:
            entries = value if isinstance(value, list) else [value]
            return next((e for e in entries if isinstance(e, dict) and e.get("kind") == kind), None)
        return value

    def config(self) -> dict[str, Any]:
        """The configuration a backend's ``load`` receives: the weights as written, where they lie and
        the resolved revision (a commit hash when the repo is cached)."""
        revision = self.resolved.get("revision") if self.resolved and self.path is None else self.revision
        return {"name": self.name, "kinds": sorted(self.kinds), "backend": self.backend, "weights": self.weights,
                "revision": revision, "path": self.path, "dtype": self.dtype, "params": self.params,
                "adapters": {a.role: {"weights": a.weights, "path": a.path, "revision": a.revision}
                             for a in self.adapters},
                "vram_gb": self.vram_gb, "batch_size": self.batch_size, "num_gpus": self.num_gpus}


def _options(value: Any) -> dict[str, Any]:
    """An adapter parameter's settings other than where its weights lie."""
    return {k: v for k, v in value.items() if k != "weights"} if isinstance(value, dict) else {}


@dataclass(frozen=True)
class GatesR:
    """Consistency gates resolved: the thresholds, the retries and the scoring (``embed``) model."""

    model: ModelRef
    identity: float | None
    prompt: float | None
    retries: int

    def params(self) -> dict[str, Any]:
        """The keyframe's ``gates`` parameter (the model by identity; where its weights lie is a file)."""
        m = self.model
        return {"identity": self.identity, "prompt": self.prompt, "retries": self.retries,
                "model": {"name": m.name, "backend": m.backend, "identity": m.identity,
                          "weights": m.weights if m.path is None else None,
                          "revision": m.config()["revision"] if m.path is None else None}}


BUILTIN_MODELS: dict[str, ModelRef] = {
    "procedural": ModelRef("procedural", "procedural", frozenset({"image", "video"})),
    "espeak": ModelRef("espeak", "espeak", frozenset({"speech"})),
}


@dataclass(frozen=True)
class LoraR:
    """A LoRA adapter of an element or a style: a local file (by content) or a repo id + revision."""

    owner: str
    """``element:<Name>`` or ``style:<name>``; the file role is ``lora:<owner>``."""
    weights: str
    scale: float
    file: FileRef | None
    revision: str | None

    def params(self) -> dict[str, Any]:
        return {"owner": self.owner, "scale": self.scale,
                "file": f"lora:{self.owner}" if self.file is not None else None,
                "repo": None if self.file is not None else self.weights,
                "revision": None if self.file is not None else self.revision}


@dataclass(frozen=True)
class EnhanceR:
    """A style's prompt enhancement: the language model and what to tell it."""

    model: ModelRef
    instructions: str
    max_tokens: int


@dataclass(frozen=True)
class ElementR:
    name: str
    kind: str
    description: str
    color: str | None
    references: tuple[FileRef, ...]
    lora: LoraR | None = None

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
    off_screen: str | None = None
    """'O.S.' or 'V.O.': heard, not seen (the speaker is not drawn)."""


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
    loras: tuple[LoraR, ...] = ()
    """The style's LoRA, then those of the bound elements (location, characters, props)."""
    start: FileRef | None = None
    """The picture the keyframe starts from (image-to-image), or None to start from noise."""
    strength: float = 0.6
    """How far the keyframe may move away from ``start`` (0 keeps it, 1 ignores it)."""
    card: str | None = None
    """A title card's text: the keyframe is this text on a plain ground (procedural), not a picture."""
    setting: Setting = Setting(None, None, "")
    """What the scene heading says: inside or outside, the time of day (CONTINUOUS resolved), the place."""
    blocking: tuple[spec.Blocking, ...] = ()
    """Explicit staging (names bound to characters of the shot)."""
    end: FileRef | str | None = None
    """The picture the motion ends on: a user file, or another shot's id (``scene/shot``: its keyframe)."""
    gates: GatesR | None = None
    """Consistency gates of the shot's keyframe (diffusers image models only), or None."""
    enhance: EnhanceR | None = None
    """A language model rewrites the prompt first (the style's ``enhance``)."""

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
    models: dict[str, ModelRef] = field(default_factory=dict)
    """The project's named models, resolved (``studio edit`` finds its language model here)."""
    watched: tuple[str, ...] = ()
    """Paths beyond the project file and its referenced files that the compile read (model weights,
    Hugging Face cache refs): a cached plan is valid only while they are unchanged."""
