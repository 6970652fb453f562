"""Motion: image-to-video from the shot's keyframe, resampled to the project's fps and shot length.

A small table adapts each supported pipeline class (LTX-Video, Stable Video Diffusion,
CogVideoX image-to-video, AnimateDiff video-to-video with a motion adapter): its native frame rate,
frames per call (``window``), temporal latent stride, size multiple and how to call it.

Length: the shot needs ``frames`` frames at the project's ``fps``; at the model's frame rate that
is ``need`` frames. A shot longer than one window is generated chunk by chunk: each next chunk is
conditioned on the frame where the overlap starts (``overlap`` frames before the end so far) and
its first ``overlap`` frames are cross-faded into the previous chunk's last ones. Frame counts
honour the latent stride (LTX-Video: 8k+1 frames; the overlap defaults to stride+1, one latent
frame past the conditioning one, so trimming stays on a latent boundary). The last chunk is only
as long as it needs to be. The frames are then resampled in time (linear blend) to exactly
``frames`` frames, resized to the project's resolution and encoded by ``backends.ffmpeg.encode``.

First and last frame (``end``: a picture file, or another shot's keyframe): pipelines that condition
on several frames (``ends_with``: LTX-Video's ``LTXConditionPipeline``, made over the loaded
components when the model loads as ``LTXImageToVideoPipeline``) render the LAST chunk conditioned on
its start picture at frame 0 and on the end picture at the model frame the shot's last output frame
falls on (at or just after it; the frames past it are cut by the resampling). Earlier chunks of a
chained shot are rendered exactly as without an end. Other pipelines refuse an end (the compiler's
E352 says so before, ``compiler/endframe.py``, whenever it can tell the pipeline class).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from backends.base import BackendError, Result, TaskRun, end_path

from ._load import Loaded, oom_guard
from ._run import Steps, call, generation_size, generator, merged, numeric_setup, resized_rgb

__all__ = ["VIDEO_PIPELINES", "VideoAdapter", "chunk_plan", "frames_needed", "run_motion"]

Call = Callable[..., Any]


@dataclass(frozen=True)
class VideoAdapter:
    fps: int
    """The model's native frame rate (params.fps overrides)."""
    window: int
    """Frames per pipeline call (params.window overrides)."""
    native: tuple[int, int]
    multiple: int
    stride: Callable[[Any], int]
    """Temporal latent stride of the pipeline: frame counts are stride*k+1 when it is above 1."""
    call: Callable[[Any, Any, int, dict[str, Any]], dict[str, Any]]
    """(pipe, conditioning image, frames, settings) -> the pipeline's keyword arguments."""
    prompted: bool = True
    ends_with: str | None = None
    """The pipeline class (over the same components) that renders a chunk ending on a picture; None:
    this pipeline cannot take an end frame (compiler/endframe.py lists the same classes)."""


def _ltx(pipe: Any, image: Any, n: int, s: dict[str, Any]) -> dict[str, Any]:
    out = {"image": image, "prompt": s["prompt"], "negative_prompt": s["negative"] or None, "num_frames": n,
           "frame_rate": s["fps"], "guidance_scale": s["guidance"] if s["guidance"] is not None else 3.0}
    if s.get("decode_timestep") is not None:
        out["decode_timestep"] = s["decode_timestep"]
    return out


def _ltx_conditioned(pipe: Any, image: Any, n: int, s: dict[str, Any], end: tuple[Any, int] | None = None
                     ) -> dict[str, Any]:
    """LTXConditionPipeline: the start picture at frame 0 and, when given, (picture, frame) for the end."""
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

    conditions = [LTXVideoCondition(image=image, frame_index=0)]
    if end is not None:
        conditions.append(LTXVideoCondition(image=end[0], frame_index=end[1]))
    out = _ltx(pipe, image, n, s)
    del out["image"]
    return {**out, "conditions": conditions}


def _svd(pipe: Any, image: Any, n: int, s: dict[str, Any]) -> dict[str, Any]:
    guidance = s["guidance"] if s["guidance"] is not None else 3.0
    return {"image": image, "num_frames": n, "fps": max(1, s["fps"] - 1), "min_guidance_scale": min(1.0, guidance),
            "max_guidance_scale": guidance, "motion_bucket_id": s.get("motion_bucket_id", 127),
            "noise_aug_strength": s.get("noise_aug_strength", 0.02), "decode_chunk_size": 8}


def _cogvideox(pipe: Any, image: Any, n: int, s: dict[str, Any]) -> dict[str, Any]:
    return {"image": image, "prompt": s["prompt"], "negative_prompt": s["negative"] or None, "num_frames": n,
            "guidance_scale": s["guidance"] if s["guidance"] is not None else 6.0}


def _animatediff(pipe: Any, image: Any, n: int, s: dict[str, Any]) -> dict[str, Any]:
    return {"video": [image] * n, "prompt": s["prompt"], "negative_prompt": s["negative"] or None,
            "strength": s.get("strength", 0.8), "guidance_scale": s["guidance"] if s["guidance"] is not None else 7.5}


VIDEO_PIPELINES: dict[str, VideoAdapter] = {
    "LTXImageToVideoPipeline": VideoAdapter(
        24, 97, (704, 512), 32, lambda p: int(getattr(p, "vae_temporal_compression_ratio", 8)), _ltx,
        ends_with="LTXConditionPipeline"),
    "LTXConditionPipeline": VideoAdapter(
        24, 97, (704, 512), 32, lambda p: int(getattr(p, "vae_temporal_compression_ratio", 8)), _ltx_conditioned,
        ends_with="LTXConditionPipeline"),
    "StableVideoDiffusionPipeline": VideoAdapter(7, 25, (1024, 576), 64, lambda p: 1, _svd, prompted=False),
    "CogVideoXImageToVideoPipeline": VideoAdapter(
        8, 49, (720, 480), 16, lambda p: int(getattr(p, "vae_scale_factor_temporal", 4)), _cogvideox),
    "AnimateDiffVideoToVideoPipeline": VideoAdapter(8, 16, (512, 512), 16, lambda p: 1, _animatediff),
}
"""Pipeline class name -> how to drive it for image-to-video."""

END_CALLS: dict[str, Callable[..., dict[str, Any]]] = {"LTXConditionPipeline": _ltx_conditioned}
"""An adapter's ``ends_with`` class -> (pipe, start, frames, settings, (end picture, frame)) -> keyword arguments."""


def adapter_for(handle: Loaded, task_id: str) -> VideoAdapter:
    name = type(handle.pipe).__name__
    adapter = VIDEO_PIPELINES.get(name)
    if adapter is None:
        raise BackendError(f"{task_id}: model '{handle.name}' loads a {name}, which studio cannot use for "
                           f"image-to-video; supported: {', '.join(VIDEO_PIPELINES)}")
    return adapter


def valid_count(n: int, stride: int, at_least: int = 2) -> int:
    """The smallest frame count >= n that the pipeline accepts (stride*k+1 when stride > 1)."""
    n = max(n, at_least)
    if stride <= 1:
        return n
    return stride * math.ceil((n - 1) / stride) + 1


def chunk_plan(need: int, window: int, overlap: int, stride: int) -> list[int]:
    """Frames each pipeline call generates so that, overlapping by ``overlap``, they cover ``need``."""
    window = valid_count(window, stride) if stride <= 1 else stride * max(1, (window - 1) // stride) + 1
    if overlap >= window - 1:
        raise BackendError(f"overlap ({overlap} frames) must be shorter than the window ({window} frames) minus one")
    counts: list[int] = []
    have = 0
    while have < need:
        if not counts:
            n = window if need > window else valid_count(need, stride)
            have = n
        else:
            wanted = need - have + overlap
            n = window if wanted > window else valid_count(max(wanted, overlap + 1), stride)
            have += n - overlap
        counts.append(n)
    return counts


def frames_needed(frames: int, fps: int, source_fps: int) -> int:
    """Frames at ``source_fps`` that cover ``frames`` frames at ``fps``: up to the source frame at or
    after the time of the last output frame (linear blending needs both neighbours)."""
    span = (frames - 1) * source_fps
    return max(2, span // fps + (1 if span % fps == 0 else 2))


def check_inputs(task: TaskRun, handle: Loaded) -> dict[str, Any]:
    if task.kind != "motion":
        raise BackendError(f"{task.id}: the diffusers backend renders keyframe and motion tasks, not {task.kind}")
    if handle.kind != "video":
        raise BackendError(f"{task.id}: model '{handle.name}' is an image model; motion needs a video model")
    p = merged(task, handle)
    if p.get("pattern"):
        raise BackendError(f"{task.id}: audio-reactive pattern shots are rendered by the procedural video model; "
                           "set models: {video: procedural} on this shot")
    if "keyframe" not in task.inputs or "image" not in task.inputs["keyframe"].outputs:
        raise BackendError(f"{task.id}: a motion task needs its keyframe input")
    for key in ("width", "height", "fps", "frames", "seed"):
        if not isinstance(p.get(key), int) or p[key] < (0 if key == "seed" else 1):
            raise BackendError(f"{task.id}: parameter '{key}' must be a positive whole number")
    if p.get("end") and adapter_for(handle, task.id).ends_with is None:
        takes = ", ".join(sorted(n for n, a in VIDEO_PIPELINES.items() if a.ends_with))
        raise BackendError(f"{task.id}: model '{handle.name}' loads a {type(handle.pipe).__name__}, which cannot end "
                           f"a shot on a picture; use the procedural video model or an LTX-Video model ({takes}), "
                           "or remove end")
    return p


def ending_pipe(handle: Loaded, adapter: VideoAdapter) -> Any:
    """The pipeline that renders the chunk ending on a picture: the loaded one when it is of that class,
    else one made once over the same components (with its own scheduler, whose state it changes)."""
    assert adapter.ends_with is not None
    if type(handle.pipe).__name__ == adapter.ends_with:
        return handle.pipe
    if handle.ending is None:
        import diffusers

        pipe = handle.pipe
        cls = getattr(diffusers, adapter.ends_with)
        handle.ending = cls.from_pipe(pipe, scheduler=type(pipe.scheduler).from_config(pipe.scheduler.config))
        handle.ending.set_progress_bar_config(disable=True)
        if handle.offload and handle.device in ("cuda", "mps"):  # from_pipe shares modules, not offload hooks
            handle.ending.enable_model_cpu_offload(device=handle.device)
    return handle.ending


def _prompt(p: dict[str, Any]) -> str:
    camera = p.get("camera") or {}
    move = camera.get("move") or "static"
    text = p.get("prompt") or p.get("action") or ""
    phrase = "static camera" if move == "static" else f"camera {move.replace('_', ' ')}"
    return f"{text}, {phrase}" if text else phrase


def _settings(task: TaskRun, p: dict[str, Any], handle: Loaded, adapter: VideoAdapter) -> dict[str, Any]:
    negative = ", ".join(n for n in (task.params.get("negative") or "", handle.params.get("negative") or "") if n)
    # the task's fps is the project's; the model's own frame rate is the model parameter fps
    return {"prompt": _prompt(p), "negative": negative, "fps": int(handle.params.get("fps") or adapter.fps),
            "guidance": p.get("guidance"), **{k: p[k] for k in ("strength", "motion_bucket_id", "noise_aug_strength",
                                                               "decode_timestep") if k in p}}


def _generate(handle: Loaded, adapter: VideoAdapter, counts: list[int], overlap: int, first: Any,
              size: tuple[int, int], s: dict[str, Any], steps: int, gen: Any, progress: Steps,
              end: tuple[Any, int] | None = None) -> Any:
    """Run the chunks and join them: float32 frames (N, H, W, 3) in [0, 1] at the model's frame rate.
    ``end`` (picture, frame of the last chunk) conditions the last chunk on the end picture."""
    import numpy as np
    from PIL import Image

    frames = None
    for i, n in enumerate(counts):
        image = first if frames is None else Image.fromarray(_to_uint8(frames[len(frames) - overlap]))
        if end is not None and i == len(counts) - 1:
            pipe = ending_pipe(handle, adapter)
            made = END_CALLS[type(pipe).__name__](pipe, image, n, s, end)
        else:
            pipe = handle.pipe
            made = adapter.call(pipe, image, n, s)
        accepted = set(inspect.signature(pipe.__call__).parameters)
        kwargs = {**made, "width": size[0], "height": size[1],
                  "num_inference_steps": steps, "generator": gen, "output_type": "np",
                  "callback_on_step_end": progress.callback}
        kwargs = {k: v for k, v in kwargs.items() if k in accepted and v is not None}
        chunk = np.asarray(call(pipe, kwargs, progress.tasks[0].id).frames[0], dtype=np.float32)
        progress.check()
        if chunk.shape[0] != n:
            raise BackendError(f"{type(pipe).__name__} returned {chunk.shape[0]} frames, asked for {n}")
        if frames is None:
            frames = chunk
            continue
        alpha = (np.arange(1, overlap + 1, dtype=np.float32) / (overlap + 1))[:, None, None, None]
        joined = frames[len(frames) - overlap:] * (1 - alpha) + chunk[:overlap] * alpha
        frames = np.concatenate([frames[:len(frames) - overlap], joined, chunk[overlap:]])
    return frames


def _to_uint8(frame: Any) -> Any:
    import numpy as np

    return (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def resample(frames: Any, source_fps: int, fps: int, count: int, width: int, height: int) -> Iterator[Any]:
    """``count`` frames at ``fps`` from frames at ``source_fps`` (linear blend in time), resized."""
    import numpy as np
    from PIL import Image

    last = len(frames) - 1
    for i in range(count):
        position = i * source_fps / fps
        a = min(int(math.floor(position)), last)
        b = min(a + 1, last)
        t = np.float32(position - math.floor(position)) if a < last else np.float32(0)
        frame = frames[a] if t == 0 else frames[a] * (1 - t) + frames[b] * t
        yield np.asarray(resized_rgb(Image.fromarray(_to_uint8(frame)), width, height))


def run_motion(task: TaskRun, handle: Loaded) -> Result:
    """Render one shot's motion (see the module docstring)."""
    from PIL import Image

    from backends.ffmpeg.encode import encode_frames

    # 1. check the inputs and settle sizes, frame rates and chunks
    p = check_inputs(task, handle)
    adapter = adapter_for(handle, task.id)
    pipe = handle.pipe
    s = _settings(task, p, handle, adapter)
    size = generation_size(p, adapter.native, adapter.multiple)
    stride = adapter.stride(pipe)
    window = int(p.get("window") or adapter.window)
    overlap = int(p["overlap"]) if p.get("overlap") is not None else (stride + 1 if stride > 1 else 4)
    need = frames_needed(p["frames"], p["fps"], s["fps"])
    counts = chunk_plan(need, window, overlap, stride)
    steps = int(p.get("steps") or 25)
    with Image.open(task.inputs["keyframe"].outputs["image"]) as img:
        first = resized_rgb(img, *size)
    end = None
    if p.get("end"):  # the last chunk's frame where the shot's last output frame falls (see the docstring)
        try:
            with Image.open(end_path(task)) as img:
                picture = resized_rgb(img, *size)
        except OSError as exc:
            raise BackendError(f"{task.id}: the end picture cannot be read as an image ({exc})") from None
        end = (picture, counts[-1] - 1 - (sum(counts) - overlap * (len(counts) - 1) - need))

    # 2. generate the chunks at the model's frame rate and join them
    progress = Steps([task], steps * len(counts))
    with handle.lock, oom_guard(f"rendering {task.id}", handle.device):
        numeric_setup(task, handle)
        frames = _generate(handle, adapter, counts, overlap, first, size, s, steps, generator(p["seed"]), progress,
                           end)

    # 3. resample to the project's frame rate and shot length, resize, encode
    out = task.workdir / "video.mp4"
    encode_frames(resample(frames, s["fps"], p["fps"], p["frames"], p["width"], p["height"]), out,
                  fps=p["fps"], crf=int(p.get("crf", 18)),
                  keyframes_at=[int(k) for k in p.get("keyframes_at") or [0]], threads=task.threads,
                  total=p["frames"])
    return Result(outputs={"video": out}, meta={
        "frames": p["frames"], "fps": p["fps"], "pipeline": type(pipe).__name__, "rendered": list(size),
        "model_fps": s["fps"], "chunks": counts, "overlap": overlap,
        **({"end": {"chunk": len(counts) - 1, "frame": end[1]}} if end is not None else {})})
