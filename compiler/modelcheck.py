"""Check-time problems of a model configuration that the project alone shows.

Which task kinds each backend makes, the parameter schema of each backend's models (``PARAMS``:
every backend declares one, even if empty, so an unknown or misspelt parameter is never passed
through unnoticed), features a kind of model lacks (an IP-Adapter on a video model, a motion
adapter on an image model), and the libraries a backend needs (``REQUIRES``: found with
``importlib.util.find_spec``, which imports nothing). The backends read the same parameters when a
task runs (backends/README.md); the schemas live here, where the compiler can reach them without
importing a backend, so that ``studio check`` refuses a typo before a GPU spends minutes loading
(tests keep each backend's own lists, such as ``backends.procedural.LOOKS``, equal to these).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from studio_lang.diagnostics import Diagnostic, Span

from . import spec
from .validate import closest

__all__ = ["ADAPTERS", "BACKEND_KINDS", "CONTROL_KINDS", "EXTRAS", "LOOKS", "PARAMS", "REMOTE", "REQUIRES",
           "SCHEDULERS", "adapter_entries", "adapter_weights", "check_model", "missing_libraries"]

BACKEND_KINDS: dict[str, frozenset[str]] = {
    "procedural": frozenset({"image", "video"}),
    "espeak": frozenset({"speech"}),
    "diffusers": frozenset({"image", "video"}),
    "transformers": frozenset({"speech", "embed", "llm"}),
    "openai": frozenset({"llm"}),
}
"""Model kinds each backend serves (a model's ``kind``)."""

NEEDS_WEIGHTS = frozenset({"diffusers", "transformers", "openai"})
REMOTE = frozenset({"openai"})
"""Backends whose ``weights`` name a model at an endpoint: nothing local to resolve or digest."""

REQUIRES: dict[str, tuple[str, ...]] = {
    "diffusers": ("torch", "diffusers", "transformers"),
    "transformers": ("torch", "transformers"),
    "openai": ("openai",),
}
"""Libraries (top-level modules) a backend imports when it runs; they come with its ``EXTRAS`` extra."""

EXTRAS: dict[str, str] = {"diffusers": "ai", "transformers": "ai", "openai": "llm"}
"""The extra of pyproject.toml that installs ``REQUIRES[backend]`` (E401's hint says which to install)."""

LOOKS = ("flat", "paint", "sketch")
"""Values of the procedural parameter ``look`` (``backends.procedural.LOOKS``; a test keeps them equal)."""

SCHEDULERS = ("ddim", "ddpm", "euler", "euler_a", "heun", "lms", "pndm", "dpm++", "dpm++_karras", "dpm++_sde",
              "unipc", "lcm", "flow_euler")
"""Scheduler names the diffusers backend maps to scheduler classes (a test keeps both lists equal)."""

ADAPTERS: dict[str, tuple[str, str]] = {
    "ip_adapter": ("diffusers", "image"),
    "controlnet": ("diffusers", "image"),
    "motion_adapter": ("diffusers", "video"),
    "vocoder": ("transformers", "speech"),
    "speaker_embeddings": ("transformers", "speech"),
}
"""Parameters that name more weights (resolved and keyed like ``weights``) -> (backend, kind)."""

Check = Callable[[Any], str | None]
"""Returns what is wrong with a value, or None."""


def _int(lo: int, hi: int) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"must be a whole number from {lo} to {hi}"
    return check


def _num(lo: float, hi: float) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"must be a number from {lo:g} to {hi:g}"
    return check


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v else "must be text"


def _one_of(*words: str) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, str) and v in words:
            return None
        guess = closest(v, words) if isinstance(v, str) else None
        return f"must be one of {', '.join(words)}" + (f" (did you mean '{guess}'?)" if guess else "")
    return check


def _size(v: Any) -> str | None:
    if v in ("project", "native"):
        return None
    if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool)
                                                   and 16 <= x <= 8192 for x in v):
        return None
    return "must be 'project', 'native' or [width, height]"


def _weights_ref(options: dict[str, Check]) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, str) and v:
            return None
        if not isinstance(v, dict) or not isinstance(v.get("weights"), str) or not v["weights"]:
            return "must be weights (a repo id or a local path) or {weights: ..., ...}"
        for key, value in v.items():
            if key == "weights":
                continue
            if key not in options:
                return f"has an unknown key '{key}' (known: weights, {', '.join(options)})"
            problem = options[key](value)
            if problem:
                return f"{key} {problem}"
        return None
    return check


CONTROL_KINDS = ("depth", "pose", "edges")
"""What a ControlNet is conditioned on: the layout task's output of that name."""


def _controlnet(v: Any) -> str | None:
    """``{weights, kind, scale, subfolder}`` or a list of them, one per kind."""
    entries = v if isinstance(v, list) else [v]
    if not entries:
        return "must name at least one ControlNet"
    one = _weights_ref({"kind": _one_of(*CONTROL_KINDS), "scale": _num(0, 2), "subfolder": _text})
    kinds: list[str] = []
    for entry in entries:
        problem = one(entry)
        if problem:
            return problem
        if not isinstance(entry, dict) or "kind" not in entry:
            return f"needs a kind ({', '.join(CONTROL_KINDS)}): what the ControlNet was trained on"
        if entry["kind"] in kinds:
            return f"names two ControlNets of kind {entry['kind']}; give each kind once"
        kinds.append(entry["kind"])
    return None


_DIFFUSERS_COMMON: dict[str, Check] = {
    "steps": _int(1, 1000), "guidance": _num(0, 50), "scheduler": _one_of(*SCHEDULERS), "size": _size,
    "size_multiple": _int(1, 256), "cpu_offload": _bool, "vae_tiling": _bool, "negative": _text,
    "pipeline": _text, "variant": _text,
}
PARAMS: dict[tuple[str, str], dict[str, Check]] = {
    ("procedural", "image"): {"look": _one_of(*LOOKS)},
    ("procedural", "video"): {"look": _one_of(*LOOKS)},  # its load() checks it on every model; motion ignores it
    ("espeak", "speech"): {},
    ("diffusers", "image"): {
        **_DIFFUSERS_COMMON,
        "ip_adapter": _weights_ref({"subfolder": _text, "weight_name": _text, "scale": _num(0, 2),
                                    "image_encoder_folder": _text}),
        "controlnet": _controlnet,
    },
    ("diffusers", "video"): {
        **_DIFFUSERS_COMMON,
        "fps": _int(1, 120), "window": _int(2, 1024), "overlap": _int(0, 512),
        "motion_adapter": _weights_ref({"subfolder": _text}), "strength": _num(0, 1),
        "motion_bucket_id": _int(0, 1023), "noise_aug_strength": _num(0, 1), "decode_timestep": _num(0, 1),
    },
    ("transformers", "speech"): {
        "vocoder": _weights_ref({"subfolder": _text}), "speaker_embeddings": _weights_ref({}),
        "noise_scale": _num(0, 2), "noise_scale_duration": _num(0, 2), "seed": _int(0, 2**31 - 1),
    },
    ("transformers", "embed"): {},  # a CLIP-class scorer for gates (backends/diffusers/_gates.py): no parameters
    ("transformers", "llm"): {
        "gguf_file": _text, "threads": _int(1, 256), "temperature": _num(0, 2), "seed": _int(0, 2**31 - 1),
        "repetition_penalty": _num(1, 2), "timeout": _num(1, 86_400),
    },
    ("openai", "llm"): {
        "temperature": _num(0, 2), "seed": _int(0, 2**31 - 1), "timeout": _num(1, 86_400),
        "call_timeout": _num(1, 3600), "retries": _int(0, 20), "backoff": _num(0, 60),
    },
}
"""(backend, kind) -> parameter -> check: every backend's schema (a test keeps every (backend, kind) that
``BACKEND_KINDS`` allows listed). A parameter not in its table is W313 (ignored), a bad value E313."""


def missing_libraries(backend: str) -> list[str]:
    """The libraries ``backend`` needs that this installation lacks (found without importing them)."""
    return [name for name in REQUIRES.get(backend, ()) if importlib.util.find_spec(name) is None]


def adapter_weights(value: Any) -> str | None:
    """The weights an adapter parameter names (a string, or ``{weights: ...}``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("weights"), str):
        return value["weights"]
    return None


def adapter_entries(role: str, value: Any) -> list[tuple[str, str, tuple[str | int, ...]]]:
    """(adapter role, weights as written, path under the parameter) of each set of weights a parameter
    names: one for most, one per kind for ``controlnet`` (role ``controlnet:<kind>``; a list's order
    never enters a key)."""
    if role == "controlnet":
        entries = value if isinstance(value, list) else [value]
        return [(f"controlnet:{e['kind']}", e["weights"], (*((i,) if isinstance(value, list) else ()), "weights"))
                for i, e in enumerate(entries)
                if isinstance(e, dict) and isinstance(e.get("weights"), str) and e.get("kind") in CONTROL_KINDS]
    written = adapter_weights(value)
    return [] if written is None else [(role, written, ("weights",) if isinstance(value, dict) else ())]


def check_model(name: str, cfg: spec.ModelConfig, span: Callable[..., Span]) -> list[Diagnostic]:
    """Problems of model ``name``; ``span(*path, key=False)`` locates a path under ``models.<name>``."""
    out: list[Diagnostic] = []
    kinds = BACKEND_KINDS.get(cfg.backend, frozenset())
    if cfg.kind not in kinds:
        out.append(Diagnostic.error(
            "E310", f"backend '{cfg.backend}' cannot make {cfg.kind}", span("kind"),
            f"backend '{cfg.backend}' makes {', '.join(sorted(kinds)) or 'nothing'}; "
            + ("use backend transformers for speech" if cfg.kind == "speech" else
               "use backend diffusers for images and video" if cfg.kind in ("image", "video") else
               "use backend transformers (a local model) or openai (an endpoint) for llm" if cfg.kind == "llm"
               else "no backend makes this kind yet")))
        return out
    if cfg.backend in NEEDS_WEIGHTS and cfg.weights is None:
        out.append(Diagnostic.error(
            "E311", f"model '{name}' needs weights", span(key=True),
            "set weights: the model's name at the endpoint (e.g. llama3.1:8b)" if cfg.backend in REMOTE else
            "set weights: a Hugging Face repo id (org/name) or a local directory or file"))
    table = PARAMS[(cfg.backend, cfg.kind)]
    for key, value in cfg.params.items():
        if key in ADAPTERS and ADAPTERS[key] != (cfg.backend, cfg.kind):
            backend, kind = ADAPTERS[key]
            what = {"ip_adapter": "reference images (IP-Adapter) reach keyframe models only",
                    "motion_adapter": "a motion adapter belongs to a video model",
                    "controlnet": "a ControlNet conditions keyframe models only"}.get(key, f"only for {kind} models")
            out.append(Diagnostic.error(
                "E312", f"model '{name}' ({cfg.backend} {cfg.kind}) cannot use {key}: {what}",
                span("params", key, key=True),
                f"move {key} to a {backend} model of kind {kind}, or remove it"))
            continue
        check = table.get(key)
        if check is None:
            guess = closest(key, table)
            article = "an" if cfg.backend[0] in "aeiou" else "a"
            out.append(Diagnostic.warning(
                "W313", f"unknown parameter '{key}' of {article} {cfg.backend} {cfg.kind} model; it is ignored",
                span("params", key, key=True),
                f"did you mean '{guess}'?" if guess else f"known: {', '.join(sorted(table))}"))
            continue
        problem = check(value)
        if problem:
            out.append(Diagnostic.error("E313", f"parameter '{key}' {problem}", span("params", key)))
    return out
