"""Keyframes: text-to-image with any pipeline ``AutoPipelineForText2Image`` loads.

Parameters (the task's from the plan, the model's from ``params``): ``prompt``, ``negative`` (the
style's, joined with the model's ``negative``), ``seed``, ``width``/``height`` (the output size;
the picture is rendered at ``size``: ``project``, ``native`` or ``[w, h]``, then resized with
Pillow), ``steps``, ``guidance``, ``loras`` (the style's and the bound elements' LoRAs, applied
with their scales), and the bound elements' reference images (``ref:<Element>/<n>``) as
IP-Adapter inputs when the model names an ``ip_adapter``: with the shot's layout (``mask:<Element>``)
each element's images steer only its region (SD 1.5, SDXL; unmasked where the pipeline's attention
takes no masks, as FLUX's and SD3's, or without a layout). A shot's ``start`` (``{file, strength}``)
makes it image-to-image: ``AutoPipelineForImage2Image.from_pipe`` over the same loaded components
denoises the starting picture (scaled to cover the rendering size, centre-cropped) from
``strength`` of the way; strength 0 keeps the picture as it is.

Items of a batch run one after another inside one call, each with its own generator: tensor
batching is not batch-invariant (kernels reduce in a different order for another batch size), and
a batched result must equal the unbatched one bit for bit.
"""

from __future__ import annotations

import inspect
import math
import re
from typing import Any

from backends.base import BackendError, Result, TaskRun

from ._gates import best, passes, scorer, scores, seeds
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


def _reference_groups(task: TaskRun, p: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """Each bound element with reference images the task was given: (name, its images), location first."""
    from compiler.files import open_image

    groups = []
    for element in [p.get("location"), *(p.get("characters") or []), *(p.get("props") or [])]:
        images = []
        for role in dict.fromkeys((element or {}).get("references") or []):
            if role in task.files:  # an image encoder sees 224x224: decode no larger than about twice that
                with open_image(task.files[role], (448, 448)) as img:
                    images.append(img.convert("RGB"))
        if images:
            groups.append((str(element["name"]), images))  # type: ignore[index]
    return groups


def _takes_masks(handle: Loaded, runner: Any) -> bool:
    """Whether the IP-Adapter's attention processors take ``ip_adapter_masks`` (SD 1.5 and SDXL do;
    FLUX's and SD3's do not) and the pipeline passes ``cross_attention_kwargs`` on to them."""
    if "cross_attention_kwargs" not in inspect.signature(runner.__call__).parameters:
        return False
    net = getattr(handle.pipe, "unet", None)
    if net is None:
        net = getattr(handle.pipe, "transformer", None)
    processors = [proc for proc in getattr(net, "attn_processors", {}).values() if hasattr(proc, "to_k_ip")]
    return bool(processors) and all("ip_adapter_masks" in inspect.signature(proc.__call__).parameters
                                    for proc in processors)


def _ip_masks(task: TaskRun, groups: list[tuple[str, list[Any]]], size: tuple[int, int]) -> Any | None:
    """One mask per reference image, its element's (``mask:<Element>`` of the shot's layout), as
    ``IPAdapterMaskProcessor`` makes them: (1, images, height, width) at the rendering size. An element
    the layout does not show gets an empty mask (it steers nothing). None (unmasked) without a layout or
    when the layout has no element masks."""
    from diffusers.image_processor import IPAdapterMaskProcessor
    from PIL import Image

    layout = task.inputs.get("layout")
    if layout is None or not any(name.startswith("mask:") for name in layout.outputs):
        return None
    masks = []
    for name, images in groups:
        path = layout.outputs.get(f"mask:{name}")
        if path is None:
            mask = Image.new("L", size, 0)
        else:
            with Image.open(path) as img:
                mask = img.convert("L")
        masks += [mask] * len(images)
    tensor = IPAdapterMaskProcessor().preprocess(masks, height=size[1], width=size[0])
    return tensor.reshape(1, tensor.shape[0], tensor.shape[2], tensor.shape[3])


def _ip_kwargs(handle: Loaded, task: TaskRun, p: dict[str, Any], runner: Any,
               size: tuple[int, int]) -> tuple[dict[str, Any], int, list[str] | None]:
    """Reference images for the IP-Adapter, how many, and the elements masked (None: unmasked).

    diffusers takes one entry per loaded IP-Adapter: the one adapter gets the list of all the images.
    With no images, a blank image at scale 0 (the adapter is loaded). When the shot has a layout and the
    pipeline takes IP-Adapter masks, each element's images steer only the element's region
    (``mask:<Element>``): every image gets its element's mask and an equal share of the scale, so an
    element weighs the same however many references it has. Otherwise (FLUX, SD3, no layout) the
    images steer the whole picture, as one group."""
    from PIL import Image

    if not handle.ip_adapter:
        return {}, 0, None
    groups = _reference_groups(task, p)
    images = [image for _, group in groups for image in group]
    option: dict[str, Any] = p["ip_adapter"] if isinstance(p.get("ip_adapter"), dict) else {}
    scale = float(option.get("scale", 0.6)) if images else 0.0
    masks = _ip_masks(task, groups, size) if scale and _takes_masks(handle, runner) else None
    if masks is None:
        handle.pipe.set_ip_adapter_scale(scale)
        return {"ip_adapter_image": [images or [Image.new("RGB", (224, 224))]]}, len(images) if scale else 0, None
    handle.pipe.set_ip_adapter_scale([[scale / len(group) for _, group in groups for _ in group]])
    return ({"ip_adapter_image": [images], "cross_attention_kwargs": {"ip_adapter_masks": [masks]}}, len(images),
            [name for name, _ in groups])


def _image_to_image(handle: Loaded, task: TaskRun) -> Any:
    """The image-to-image pipeline over the loaded components (no second copy of the weights)."""
    if handle.img2img is None:
        from diffusers import AutoPipelineForImage2Image

        try:
            handle.img2img = AutoPipelineForImage2Image.from_pipe(handle.pipe)
        except (ValueError, KeyError, TypeError) as exc:
            raise BackendError(f"{task.id}: model '{handle.name}' ({type(handle.pipe).__name__}) has no image-to-image "
                               f"pipeline ({str(exc).strip().splitlines()[0][:160] if str(exc).strip() else exc!r}); "
                               "remove the shot's start or use a Stable Diffusion, SDXL or FLUX model") from None
        handle.img2img.set_progress_bar_config(disable=True)
        if handle.offload and handle.device in ("cuda", "mps"):
            # from_pipe shares the modules but not the offload hook chain; each pipeline re-attaches
            # its own chain at the end of a call (maybe_free_model_hooks), so both may take turns
            handle.img2img.enable_model_cpu_offload(device=handle.device)
    return handle.img2img


def _controlled(handle: Loaded, task: TaskRun, img2img: bool) -> Any:
    """The ControlNet pipeline (text- or image-to-image) over the loaded components and ControlNets."""
    if img2img not in handle.controlled:
        from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image

        nets = [net for _, _, net in handle.controlnets]
        auto = AutoPipelineForImage2Image if img2img else AutoPipelineForText2Image
        try:
            pipe = auto.from_pipe(handle.pipe, controlnet=nets[0] if len(nets) == 1 else nets)
        except (ValueError, KeyError, TypeError) as exc:
            raise BackendError(f"{task.id}: model '{handle.name}' ({type(handle.pipe).__name__}) has no ControlNet "
                               f"pipeline ({str(exc).strip().splitlines()[0][:160] if str(exc).strip() else exc!r}); "
                               "remove params.controlnet or use a Stable Diffusion, SDXL or FLUX model") from None
        pipe.set_progress_bar_config(disable=True)
        if handle.offload and handle.device in ("cuda", "mps"):
            pipe.enable_model_cpu_offload(device=handle.device)
        handle.controlled[img2img] = pipe
    return handle.controlled[img2img]


def _control_kwargs(handle: Loaded, task: TaskRun, size: tuple[int, int], img2img: bool) -> dict[str, Any]:
    """The layout's control images (one per ControlNet, resized to the rendering size: the exact inverse
    of the final resize, so they stay on the picture) and their scales."""
    from PIL import Image

    if not handle.controlnets:
        return {}
    layout = task.inputs.get("layout")
    if layout is None:
        raise BackendError(f"{task.id}: model '{handle.name}' takes ControlNet images but the task has no layout "
                           "input (plan it with compiler.plan)")
    images = []
    for kind, _, _ in handle.controlnets:
        path = layout.outputs.get(kind)
        if path is None:
            raise BackendError(f"{task.id}: the layout has no {kind} image")
        with Image.open(path) as img:
            images.append(img.convert("RGB").resize(size, Image.Resampling.BILINEAR))
    scales = [scale for _, scale, _ in handle.controlnets]
    one = len(images) == 1
    return {"control_image" if img2img else "image": images[0] if one else images,
            "controlnet_conditioning_scale": scales[0] if one else scales}


def _score(handle: Loaded, task: TaskRun, p: dict[str, Any], gates: dict[str, Any], picture: Any) -> dict[str, Any]:
    """This try's gate scores, and whether it passed."""
    from PIL import Image

    s = scorer(task)
    references: dict[str, list[Any]] = {}
    if gates.get("identity") is not None:
        for element in [p.get("location"), *(p.get("characters") or []), *(p.get("props") or [])]:
            roles = [r for r in (element or {}).get("references") or [] if r in task.files]
            if roles:
                references[element["name"]] = []
                for role in roles:
                    with Image.open(task.files[role]) as img:
                        references[element["name"]].append(img.convert("RGB"))
    masks = {}
    layout = task.inputs.get("layout")
    for name in references:
        path = layout.outputs.get(f"mask:{name}") if layout is not None else None
        if path is not None:
            with Image.open(path) as img:
                masks[name] = img.convert("L").resize(picture.size, Image.Resampling.NEAREST)
    score = scores(s, picture, p["prompt"] if gates.get("prompt") is not None else None, references, masks)
    return {**score, "passed": passes(score, gates)}


def _start(task: TaskRun, p: dict[str, Any], steps: int) -> tuple[Any, float, int] | None:
    """The shot's starting picture (RGB, not yet sized), its strength and the steps that will denoise;
    None without a start."""
    from PIL import Image

    from compiler.files import open_image

    start = p.get("start")
    if start is None:
        return None
    strength = start.get("strength") if isinstance(start, dict) else None
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0 <= strength <= 1:
        raise BackendError(f"{task.id}: start must be {{file, strength 0..1}}, got {start!r}")
    path = task.files.get(str(start.get("file")))
    if path is None:
        raise BackendError(f"{task.id}: the starting image {start.get('file')!r} was not provided")
    denoised = min(steps, int(steps * strength))
    if strength > 0 and denoised < 1:
        raise BackendError(f"{task.id}: start strength {strength:g} with {steps} steps denoises no step; raise the "
                           f"model's steps to at least {math.ceil(1 / strength)} or the strength")
    try:
        with open_image(path, (int(p["width"]), int(p["height"]))) as img:
            picture = img.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BackendError(f"{task.id}: cannot read the starting image ({exc})") from None
    return picture, float(strength), denoised


def _fitted(picture: Any, width: int, height: int) -> Any:
    """``picture`` scaled to cover ``width`` x ``height`` and cropped about its centre."""
    from PIL import Image, ImageOps

    return ImageOps.fit(picture, (width, height), Image.Resampling.LANCZOS)


def run_keyframes(tasks: list[TaskRun], handle: Loaded) -> list[Result]:
    """Render each task's keyframe (see the module docstring)."""
    # 1. check every task (and read its starting picture) before spending time on any
    settled = [check_inputs(task, handle) for task in tasks]
    pipe = handle.pipe
    steps = int(settled[0].get("steps") or _default(pipe, "num_inference_steps", 50))
    starts = [_start(task, p, int(p.get("steps") or steps)) for task, p in zip(tasks, settled, strict=True)]
    total = sum(start[2] if start else int(p.get("steps") or steps) for start, p in zip(starts, settled, strict=True))
    progress = Steps(tasks, total)
    results = []
    with handle.lock, oom_guard(f"rendering {tasks[0].id}", handle.device):
        numeric_setup(tasks[0], handle)
        for task, p, start in zip(tasks, settled, starts, strict=True):
            # 2. this task's pipeline, LoRAs, reference images and size
            if handle.controlnets:
                runner = _controlled(handle, task, start is not None)
            else:
                runner = pipe if start is None else _image_to_image(handle, task)
            apply_loras(handle, task, p.get("loras") or [])
            width, height = generation_size(p, native_size(pipe), _multiple(pipe))
            control = _control_kwargs(handle, task, (width, height), start is not None)
            ip_kwargs, references, masked = _ip_kwargs(handle, task, p, runner, (width, height))
            negative = ", ".join(n for n in (task.params.get("negative") or "", handle.params.get("negative") or "")
                                 if n)
            kwargs: dict[str, Any] = {
                "prompt": p["prompt"], "negative_prompt": negative or None, "width": width, "height": height,
                "num_inference_steps": int(p.get("steps") or steps), "generator": generator(p["seed"]),
                "output_type": "pil", "callback_on_step_end": progress.callback, **ip_kwargs,
            }
            if start is not None:
                kwargs.update(image=_fitted(start[0], width, height), strength=start[1])
            kwargs.update(control)
            if p.get("guidance") is not None:
                kwargs["guidance_scale"] = float(p["guidance"])
            accepted = set(inspect.signature(runner.__call__).parameters)
            kwargs = {k: v for k, v in kwargs.items() if k in accepted and v is not None}
            # 3. denoise (a start at strength 0 is kept as it is), with the next seed while a gate fails
            gates = p.get("gates")
            tries: list[dict[str, Any]] = []
            pictures = []
            for k, seed in enumerate(seeds(p["seed"], int(gates["retries"]) if gates else 0)):
                if k:
                    progress.total += start[2] if start else kwargs["num_inference_steps"]
                    kwargs["generator"] = generator(seed)
                if start is not None and start[1] == 0:
                    image = kwargs["image"]
                else:
                    image = call(runner, kwargs, task.id).images[0]
                progress.check()
                pictures.append(resized_rgb(image, p["width"], p["height"]))
                if not gates:
                    break
                tries.append({"seed": seed, **_score(handle, task, p, gates, pictures[-1])})
                if tries[-1]["passed"]:
                    break
            kept = len(pictures) - 1 if not gates or tries[-1]["passed"] else best(tries, gates)
            # 4. write the PNG (resized to the project's resolution)
            out = task.workdir / "image.png"
            pictures[kept].save(out, format="PNG")
            meta = {"width": p["width"], "height": p["height"], "rendered": [width, height],
                    "steps": start[2] if start else kwargs["num_inference_steps"], "pipeline": type(runner).__name__,
                    "loras": [lora["owner"] for lora in p.get("loras") or []], "references": references}
            if masked is not None:
                meta["reference_masks"] = masked
            if start is not None:
                meta["start_strength"] = start[1]
            if handle.controlnets:
                meta["controlnet"] = {kind: scale for kind, scale, _ in handle.controlnets}
            if gates:
                meta["gates"] = {"tries": tries, "kept": kept, "seed": tries[kept]["seed"],
                                 "passed": tries[kept]["passed"],
                                 "thresholds": {"identity": gates.get("identity"), "prompt": gates.get("prompt")}}
                if not tries[kept]["passed"]:
                    meta["gates"]["warning"] = (f"no try passed the gates in {len(tries)} renders; kept try "
                                                f"{kept + 1}, the closest")
            results.append(Result(outputs={"image": out}, meta=meta))
    return results
