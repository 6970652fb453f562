"""Loading a diffusers pipeline from a model configuration, and freeing it again.

``load(model)`` picks the device (cuda, then mps, then cpu) and dtype (the config's, else float16
on cuda and float32 elsewhere), loads the pipeline from a local directory, a single checkpoint
file or a Hugging Face repo id at its resolved revision, swaps the scheduler, applies the
``cpu_offload`` and ``vae_tiling`` options, loads adapters (IP-Adapter for image models, a
motion adapter for AnimateDiff) and measures what the model takes. Every failure becomes a
``BackendError`` that says what to do.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from backends.base import BackendError, pick_device
from backends.hub import hub_kwargs, offline

__all__ = ["SCHEDULERS", "Loaded", "load", "memory_gb", "oom_guard", "unload"]

SCHEDULERS: dict[str, tuple[str, dict[str, Any]]] = {
    "ddim": ("DDIMScheduler", {}),
    "ddpm": ("DDPMScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "pndm": ("PNDMScheduler", {}),
    "dpm++": ("DPMSolverMultistepScheduler", {}),
    "dpm++_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "dpm++_sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++"}),
    "unipc": ("UniPCMultistepScheduler", {}),
    "lcm": ("LCMScheduler", {}),
    "flow_euler": ("FlowMatchEulerDiscreteScheduler", {}),
}
"""Scheduler names of the ``scheduler`` parameter (compiler/modelcheck.py lists the same names)."""


@dataclass
class Loaded:
    """A loaded pipeline and what the backend needs to know about it."""

    pipe: Any
    kind: str
    """image or video."""
    name: str
    device: str
    dtype: Any
    params: dict[str, Any]
    memory_gb: float = 0.0
    ip_adapter: bool = False
    loras: dict[str, str] = field(default_factory=dict)
    """LoRA owner -> adapter name, for the LoRAs loaded into the pipeline so far."""
    img2img: Any = None
    """The image-to-image pipeline over the same components (made the first time a shot has a start)."""
    controlnets: list[tuple[str, float, Any]] = field(default_factory=list)
    """(kind, scale, ControlNet model) of each ControlNet params.controlnet names, sorted by kind."""
    controlled: dict[bool, Any] = field(default_factory=dict)
    """image-to-image? -> the ControlNet pipeline over the same components (made when first needed)."""
    ending: Any = None
    """The pipeline over the same components that renders a video chunk ending on a picture (motion.py)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def offload(self) -> bool:
        return bool(self.params.get("cpu_offload"))


def quiet() -> None:
    """No progress bars or advice on stderr: studio has its own progress display."""
    import diffusers
    import transformers

    diffusers.utils.logging.set_verbosity_error()
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    with contextlib.suppress(Exception):
        import huggingface_hub.utils

        huggingface_hub.utils.disable_progress_bars()



def pick_dtype(name: str | None, device: str) -> Any:
    import torch

    if name is None:
        return torch.float16 if device == "cuda" else torch.float32
    return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[name]


@contextlib.contextmanager
def oom_guard(what: str, device: str) -> Iterator[None]:
    """Turn out-of-memory errors into a message that says what to change."""
    import torch

    try:
        yield
    except torch.OutOfMemoryError as exc:
        raise BackendError(_oom(what, device, exc)) from None
    except RuntimeError as exc:
        if "out of memory" in str(exc).lower() or "can't allocate memory" in str(exc).lower():
            raise BackendError(_oom(what, device, exc)) from None
        raise


def _oom(what: str, device: str, exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (f"out of memory {what} on {device} ({first[:160]}): lower the resolution or the model's size "
            "parameter, enable cpu_offload (params: {cpu_offload: true}), or reduce batch_size")


def _source(model: dict[str, Any]) -> tuple[str, dict[str, Any], bool]:
    """(what to pass to from_pretrained, its keyword arguments, whether it is a single file)."""
    path = model.get("path")
    if path:
        return path, {}, os.path.isfile(path)
    weights = model.get("weights")
    if not weights:
        raise BackendError(f"model '{model.get('name')}' has no weights: set weights to a repo id or a local path")
    return weights, hub_kwargs(weights, model.get("revision")), False


def not_found(model: dict[str, Any], exc: BaseException | None = None, what: str = "weights") -> BackendError:
    weights = model.get("weights")
    detail = ""
    if exc is not None and str(exc).strip():
        detail = f" ({str(exc).strip().splitlines()[0][:200]})"
    if model.get("path"):
        return BackendError(f"{what} not found or unreadable: '{weights}'{detail}; rebuild the directory (for the "
                            "tiny example models: python bench/make_tiny_models.py DIR) or point weights elsewhere")
    rev = f" --revision {model['revision']}" if model.get("revision") else ""
    note = " (HF_HUB_OFFLINE is set)" if offline() else ""
    return BackendError(f"{what} not found: '{weights}'{note}{detail}; download with "
                        f"`huggingface-cli download {weights}{rev}` or set weights to a local directory")


def _missing_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError, FileNotFoundError]
    with contextlib.suppress(ImportError):
        from huggingface_hub import errors as hub_errors

        errors += [getattr(hub_errors, n) for n in ("RepositoryNotFoundError", "RevisionNotFoundError",
                                                     "EntryNotFoundError", "LocalEntryNotFoundError",
                                                     "HFValidationError") if hasattr(hub_errors, n)]
    return tuple(errors)


def _pipeline_class(name: str) -> Any:
    import diffusers

    cls = getattr(diffusers, name, None)
    if cls is None or not hasattr(cls, "from_pretrained"):
        raise BackendError(f"unknown pipeline class '{name}' in params.pipeline; name a diffusers pipeline such as "
                           "StableDiffusionXLPipeline or LTXImageToVideoPipeline")
    return cls


def _from_pretrained(model: dict[str, Any], kind: str, dtype: Any) -> Any:
    import diffusers

    source, kwargs, single = _source(model)
    params = model.get("params") or {}
    if params.get("variant"):
        kwargs["variant"] = params["variant"]
    named = params.get("pipeline")
    adapters = model.get("adapters") or {}
    if kind == "video" and "motion_adapter" in adapters:
        kwargs["motion_adapter"] = _motion_adapter(adapters["motion_adapter"], params, dtype)
        named = named or "AnimateDiffVideoToVideoPipeline"
    if single:
        if not named:
            named = "StableDiffusionPipeline" if kind == "image" else None
        if named is None:
            raise BackendError(f"model '{model['name']}': a single-file video checkpoint needs params.pipeline "
                               "(the diffusers pipeline class, e.g. LTXImageToVideoPipeline)")
        cls = _pipeline_class(named)
        if not hasattr(cls, "from_single_file"):
            raise BackendError(f"pipeline {named} cannot load a single checkpoint file; use a diffusers directory")
        return cls.from_single_file(source, torch_dtype=dtype, **kwargs)
    if named:
        cls = _pipeline_class(named)
    elif kind == "image":
        cls = diffusers.AutoPipelineForText2Image
    else:
        cls = diffusers.DiffusionPipeline
    try:
        return cls.from_pretrained(source, torch_dtype=dtype, **kwargs)
    except ValueError as exc:
        if "AutoPipeline" in str(exc) or "can't find a pipeline" in str(exc).lower():
            raise BackendError(f"model '{model['name']}' ({model.get('weights')}) is not a text-to-image pipeline "
                               "that diffusers' AutoPipelineForText2Image knows; set params.pipeline to its "
                               "pipeline class") from None
        raise


def _motion_adapter(ref: dict[str, Any], params: dict[str, Any], dtype: Any) -> Any:
    from diffusers import MotionAdapter

    source = ref.get("path") or ref["weights"]
    kwargs = {} if ref.get("path") else hub_kwargs(ref["weights"], ref.get("revision"))
    option = params.get("motion_adapter")
    if isinstance(option, dict) and option.get("subfolder"):
        kwargs["subfolder"] = option["subfolder"]
    try:
        return MotionAdapter.from_pretrained(source, torch_dtype=dtype, **kwargs)
    except _missing_errors() as exc:
        raise not_found({"weights": ref["weights"], "path": ref.get("path"), "revision": ref.get("revision")}, exc,
                        "motion adapter") from None


def _scheduler(pipe: Any, name: str) -> None:
    import diffusers

    cls_name, extra = SCHEDULERS[name]
    cls = getattr(diffusers, cls_name)
    pipe.scheduler = cls.from_config(pipe.scheduler.config, **extra)


IP_WEIGHT_NAME = "ip-adapter_sd15.safetensors"
"""The IP-Adapter weights file read when params.ip_adapter names no weight_name (h94/IP-Adapter's SD 1.5 one)."""


def _ip_adapter(handle: Loaded, ref: dict[str, Any], option: Any) -> None:
    """Load the IP-Adapter ``ref`` names (a repo id, a local directory or a local weights file).

    Options (params.ip_adapter): ``weight_name`` (default ip-adapter_sd15.safetensors), ``subfolder``
    (the folder of the weights file: ``models`` for a repo id, as in h94/IP-Adapter; for a local
    directory, where the weights file is: the directory itself or its ``models/``) and
    ``image_encoder_folder`` (default ``image_encoder``: a bare name lies inside ``subfolder``, a path
    with a slash is from the top, as diffusers reads it). A weights file alone needs a pipeline that
    has its own image encoder."""
    pipe = handle.pipe
    if not hasattr(pipe, "load_ip_adapter"):
        raise BackendError(f"model '{handle.name}' ({type(pipe).__name__}) does not support IP-Adapter reference "
                           "images; remove params.ip_adapter or use a Stable Diffusion / SDXL / FLUX pipeline")
    option = option if isinstance(option, dict) else {}
    path = ref.get("path")
    weight_name = option.get("weight_name", IP_WEIGHT_NAME)
    encoder = option.get("image_encoder_folder", "image_encoder")
    needs_encoder = hasattr(pipe, "image_encoder") and getattr(pipe, "image_encoder", None) is None
    source = path or ref["weights"]
    kwargs: dict[str, Any]
    if path and os.path.isfile(path):
        if needs_encoder:
            raise BackendError(f"IP-Adapter weights '{ref['weights']}' is a single file and model '{handle.name}' "
                               "has no image encoder: set ip_adapter's weights to the directory that holds the "
                               f"file and its image_encoder folder, with weight_name: {os.path.basename(path)}")
        kwargs = {"subfolder": "", "weight_name": os.path.basename(path), "image_encoder_folder": None}
    elif path:
        subfolder = option.get("subfolder") or _local_subfolder(path, weight_name)
        kwargs = {"subfolder": subfolder, "weight_name": weight_name, "image_encoder_folder": encoder}
        folder = encoder if "/" in encoder else os.path.join(subfolder, encoder)
        if needs_encoder and os.path.isfile(os.path.join(path, subfolder, weight_name)) \
                and not os.path.isfile(os.path.join(path, folder, "config.json")):
            raise BackendError(f"IP-Adapter '{ref['weights']}' has no image encoder in '{folder or '.'}' (a "
                               "CLIPVisionModelWithProjection directory with config.json); set "
                               "params.ip_adapter.image_encoder_folder to where it is")
    else:
        kwargs = {"subfolder": option.get("subfolder", "models"), "weight_name": weight_name,
                  "image_encoder_folder": encoder, **hub_kwargs(ref["weights"], ref.get("revision"))}
    try:
        pipe.load_ip_adapter(source, **kwargs)
    except _missing_errors() as exc:
        raise not_found({"weights": ref["weights"], "path": path, "revision": ref.get("revision")}, exc,
                        "IP-Adapter weights") from None
    except (ValueError, KeyError, RuntimeError) as exc:
        text = str(exc).strip()
        if isinstance(exc, RuntimeError) and "size mismatch" not in text:
            raise
        first = text.splitlines()[0][:200] if text else type(exc).__name__
        raise BackendError(f"IP-Adapter '{ref['weights']}' ({kwargs['weight_name']}) does not fit model "
                           f"'{handle.name}' ({type(pipe).__name__}): {type(exc).__name__}: {first}; use the "
                           "IP-Adapter made for this base model (weight_name, subfolder)") from None
    handle.ip_adapter = True


def _controlnets(handle: Loaded, adapters: dict[str, Any], option: Any, dtype: Any) -> list[tuple[str, float, Any]]:
    """Load every ControlNet ``params.controlnet`` names (adapter roles ``controlnet:<kind>``); the class
    follows the pipeline (FLUX and SD3 have their own, SD 1.5 and SDXL share ``ControlNetModel``)."""
    import diffusers

    entries = option if isinstance(option, list) else [option] if isinstance(option, dict) else []
    if not entries:
        return []
    family = type(handle.pipe).__name__
    cls_name = "FluxControlNetModel" if "Flux" in family else "SD3ControlNetModel" if "StableDiffusion3" in family \
        else "ControlNetModel"
    out = []
    for entry in sorted(entries, key=lambda e: str(e.get("kind"))):
        kind = str(entry.get("kind"))
        ref = adapters.get(f"controlnet:{kind}")
        if ref is None:
            raise BackendError(f"model '{handle.name}': the {kind} ControlNet's weights were not resolved")
        source = ref.get("path") or ref["weights"]
        kwargs = {} if ref.get("path") else hub_kwargs(ref["weights"], ref.get("revision"))
        if entry.get("subfolder"):
            kwargs["subfolder"] = entry["subfolder"]
        try:
            net = getattr(diffusers, cls_name).from_pretrained(source, torch_dtype=dtype, **kwargs)
        except _missing_errors() as exc:
            raise not_found({"weights": ref["weights"], "path": ref.get("path"), "revision": ref.get("revision")},
                            exc, f"{kind} ControlNet") from None
        out.append((kind, float(entry.get("scale", 1.0)), net))
    return out


def _local_subfolder(path: str, weight_name: str) -> str:
    """Where a local IP-Adapter directory keeps its weights file: at the top, or in ``models/`` (a local
    copy of h94/IP-Adapter); the top when it is in neither (diffusers then says it is missing)."""
    if not os.path.isfile(os.path.join(path, weight_name)) and os.path.isfile(os.path.join(path, "models",
                                                                                              weight_name)):
        return "models"
    return ""


def load(model: dict[str, Any]) -> Loaded:
    """Load the pipeline a model configuration names (see the module docstring)."""
    import torch

    quiet()
    kinds = model.get("kinds") or []
    kind = "video" if "video" in kinds else "image"
    params = dict(model.get("params") or {})
    device = pick_device()
    dtype = pick_dtype(model.get("dtype"), device)
    if device == "cuda":
        torch.backends.cudnn.benchmark = False  # the fastest kernel may differ between runs: fix the choice
        torch.backends.cudnn.deterministic = True
    before = torch.cuda.memory_allocated() if device == "cuda" else 0
    with oom_guard(f"loading model '{model.get('name')}'", device), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation notices and advice meant for diffusers' own callers
        try:
            pipe = _from_pretrained(model, kind, dtype)
        except BackendError:
            raise
        except _missing_errors() as exc:
            raise not_found(model, exc) from None
        except ImportError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise BackendError(f"model '{model.get('name')}' ({model.get('weights')}) cannot be loaded by diffusers: "
                               f"{type(exc).__name__}: {str(exc).strip()[:300]}") from None
        pipe.set_progress_bar_config(disable=True)
        if params.get("scheduler"):
            _scheduler(pipe, params["scheduler"])
        handle = Loaded(pipe, kind, str(model.get("name")), device, dtype, params)
        if params.get("vae_tiling"):
            vae = getattr(pipe, "vae", None)
            if vae is None or not hasattr(vae, "enable_tiling"):
                raise BackendError(f"model '{handle.name}' ({type(pipe).__name__}) has no VAE tiling; "
                                   "remove params.vae_tiling")
            vae.enable_tiling()
        adapters = model.get("adapters") or {}
        if "ip_adapter" in adapters:
            _ip_adapter(handle, adapters["ip_adapter"], params.get("ip_adapter"))
        handle.controlnets = _controlnets(handle, adapters, params.get("controlnet"), dtype)
        if params.get("cpu_offload") and device in ("cuda", "mps"):
            pipe.enable_model_cpu_offload(device=device)
        else:
            pipe.to(device)
            for _, _, net in handle.controlnets:
                net.to(device)
    handle.memory_gb = _measure(handle, before)
    return handle


def _modules(pipe: Any) -> list[Any]:
    import torch

    return [c for c in pipe.components.values() if isinstance(c, torch.nn.Module)]


def _all_modules(handle: Loaded) -> list[Any]:
    return [*_modules(handle.pipe), *(net for _, _, net in handle.controlnets)]


def _measure(handle: Loaded, before: int) -> float:
    """GB the model takes where it runs: the CUDA allocation it added, else its parameter bytes."""
    import torch

    if handle.device == "cuda" and not handle.offload:
        return max(0, torch.cuda.memory_allocated() - before) / 1e9
    total = 0
    for module in _all_modules(handle):
        total += sum(t.numel() * t.element_size() for t in module.parameters())
        total += sum(t.numel() * t.element_size() for t in module.buffers())
    return total / 1e9


def memory_gb(handle: Loaded) -> float:
    return handle.memory_gb


def unload(handle: Loaded) -> None:
    """Free the pipeline: drop every reference, collect, return cached CUDA blocks to the driver."""
    import torch

    with contextlib.suppress(Exception):
        handle.pipe.maybe_free_model_hooks()
    handle.pipe = handle.img2img = handle.ending = None
    handle.controlnets, handle.controlled = [], {}
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and hasattr(mps, "empty_cache") and torch.backends.mps.is_available():
        mps.empty_cache()
