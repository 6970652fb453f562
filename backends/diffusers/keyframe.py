"""Keyframes: text-to-image with any pipeline ``AutoPipelineForText2Image`` loads.

Parameters (the task's from the plan, the model's from ``params``): ``prompt``, ``negative`` (the
style's, joined with the model's ``negative``), ``seed``, ``width``/``height`` (the output size;
the picture is rendered at ``size``: ``project``, ``native`` or ``[w, h]``, then resized with
Pillow), ``steps``, ``guidance``, ``loras`` (the style's and the bound elements' LoRAs, applied
with their scales), and the bound elements' reference images (``ref:<Element>/<n>``) as
IP-Adapter inputs when the model names an ``ip_adapter``.

Items of a batch run one after another inside one call, each with its own generator: tensor
batching is not batch-invariant (kernels reduce in a different order for another batch size), and
a batched result must equal the unbatched one bit for bit.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from backends.base import BackendError, Result, TaskRun

from ._load import Loaded, oom_guard
from ._run import Steps, call, generation_size, generator, merged, numeric_setup, resized_rgb

__all__ = ["native_size", "run_keyframes"]


def native_size(pipe: Any) -> tuple[int, int]:
    """The size the model was trained at (SD 1.5: 512, SDXL: 1024)."""
    scale = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    sample = getattr(pipe, "default_sample_size", None)
    for module in ("unet", "transformer"):
        if sample is None and getattr(pipe, module, None) is not None:
            sample = getattr(getattr(pipe, module).config, "sample_size", None)
    if isinstance(sample, (list, tuple)):
        sample = sample[0]
    side = int(sample) * scale if sample else 1024
    return side, side


def _multiple(pipe: Any) -> int:
    """Sizes the pipeline accepts: whole latent patches, and never less than 8 (SD checks %8 itself)."""
    return max(8, int(getattr(pipe, "vae_scale_factor", 8) or 8) * 2)


def check_inputs(task: TaskRun, handle: Loaded) -> dict[str, Any]:
    if task.kind != "keyframe":
        raise BackendError(f"{task.id}: the diffusers backend renders keyframe and motion tasks, not {task.kind}")
    if handle.kind != "image":
        raise BackendError(f"{task.id}: model '{handle.name}' is a video model; keyframes need an image model")
    p = merged(task, handle)
    for key in ("width", "height", "seed"):
        if not isinstance(p.get(key), int):
            raise BackendError(f"{task.id}: parameter '{key}' must be a whole number")
    if not isinstance(p.get("prompt"), str):
        raise BackendError(f"{task.id}: parameter 'prompt' must be text")
    return p


def _default(pipe: Any, name: str, fallback: Any) -> Any:
    parameter = inspect.signature(pipe.__call__).parameters.get(name)
    if parameter is None or parameter.default is inspect.Parameter.empty or parameter.default is None:
        return fallback
    return parameter.default


def apply_loras(handle: Loaded, task: TaskRun, loras: list[dict[str, Any]]) -> None:
    """Activate exactly this task's LoRAs at their scales (loading each the first time it is needed)."""
    pipe = handle.pipe
    if not loras:
        if handle.loras:
            pipe.disable_lora()
        return
    if not hasattr(pipe, "load_lora_weights"):
        raise BackendError(f"{task.id}: model '{handle.name}' ({type(pipe).__name__}) does not support LoRA")
    active = []
    for lora in loras:
        owner = lora["owner"]
        if owner not in handle.loras:
            name = re.sub(r"[^A-Za-z0-9_]", "_", owner)
            source = task.files[lora["file"]] if lora.get("file") else lora["repo"]
            kwargs = {"revision": lora["revision"]} if lora.get("repo") and lora.get("revision") else {}
            try:
                pipe.load_lora_weights(str(source), adapter_name=name, **kwargs)
            except ImportError as exc:
                raise ImportError(f"LoRA needs the peft package ({exc})") from None
            except (OSError, ValueError, KeyError) as exc:
                raise BackendError(f"{task.id}: LoRA of {owner.replace(':', ' ')} cannot be loaded into model "
                                   f"'{handle.name}': {str(exc).strip().splitlines()[0][:200]}; check that it was "
                                   "trained for this base model") from None
            handle.loras[owner] = name
        active.append((handle.loras[owner], float(lora.get("scale", 1.0))))
    pipe.enable_lora()
    pipe.set_adapters([n for n, _ in active], adapter_weights=[s for _, s in active])


def _references(task: TaskRun, p: dict[str, Any]) -> list[Any]:
    from PIL import Image

    roles: list[str] = []
    for element in [p.get("location"), *(p.get("characters") or []), *(p.get("props") or [])]:
        if element:
            roles += element.get("references") or []
    images = []
    for role in dict.fromkeys(roles):
        if role in task.files:
            with Image.open(task.files[role]) as img:
                images.append(img.convert("RGB"))
    return images


def _ip_kwargs(handle: Loaded, task: TaskRun, p: dict[str, Any]) -> dict[str, Any]:
    """Reference images for the IP-Adapter; with none, a blank image at scale 0 (the adapter is loaded)."""
    from PIL import Image

    if not handle.ip_adapter:
        return {}
    images = _references(task, p)
    option: dict[str, Any] = p["ip_adapter"] if isinstance(p.get("ip_adapter"), dict) else {}
    scale = float(option.get("scale", 0.6)) if images else 0.0
    handle.pipe.set_ip_adapter_scale(scale)
    return {"ip_adapter_image": images or [Image.new("RGB", (224, 224))]}


def run_keyframes(tasks: list[TaskRun], handle: Loaded) -> list[Result]:
    """Render each task's keyframe (see the module docstring)."""
    # 1. check every task before spending time on any
    settled = [check_inputs(task, handle) for task in tasks]
    pipe = handle.pipe
    steps = int(settled[0].get("steps") or _default(pipe, "num_inference_steps", 50))
    progress = Steps(tasks, steps * len(tasks))
    accepted = set(inspect.signature(pipe.__call__).parameters)
    results = []
    with handle.lock, oom_guard(f"rendering {tasks[0].id}", handle.device):
        numeric_setup(tasks[0], handle)
        for task, p in zip(tasks, settled, strict=True):
            # 2. this task's LoRAs, reference images and size
            apply_loras(handle, task, p.get("loras") or [])
            width, height = generation_size(p, native_size(pipe), _multiple(pipe))
            negative = ", ".join(n for n in (task.params.get("negative") or "", handle.params.get("negative") or "")
                                 if n)
            kwargs: dict[str, Any] = {
                "prompt": p["prompt"], "negative_prompt": negative or None, "width": width, "height": height,
                "num_inference_steps": int(p.get("steps") or steps), "generator": generator(p["seed"]),
                "output_type": "pil", "callback_on_step_end": progress.callback,
                **_ip_kwargs(handle, task, p),
            }
            if p.get("guidance") is not None:
                kwargs["guidance_scale"] = float(p["guidance"])
            kwargs = {k: v for k, v in kwargs.items() if k in accepted and v is not None}
            # 3. denoise
            image = call(pipe, kwargs, task.id).images[0]
            progress.check()
            # 4. resize to the project's resolution and write the PNG
            out = task.workdir / "image.png"
            resized_rgb(image, p["width"], p["height"]).save(out, format="PNG")
            results.append(Result(outputs={"image": out}, meta={
                "width": p["width"], "height": p["height"], "rendered": [width, height],
                "steps": kwargs["num_inference_steps"], "pipeline": type(pipe).__name__,
                "loras": [lora["owner"] for lora in p.get("loras") or []]}))
    return results
