"""The AI backends at real model sizes (random weights), for a GPU: seconds per image and clip,
studio's overhead against a bare diffusers loop, peak GPU memory, and model loads against the
bound in a studio build.

Usage: python bench/ai_gpu.py [--scale full|small] [--repeat 3] [--steps 4]

``--scale full`` (for a CUDA GPU with 40+ GB): an SDXL-size UNet (2.6 B parameters) and VAE at
1024x1024 with 4 steps, and an LTX-Video-size transformer (28 layers, 2048 wide) with its video
VAE, 97 frames at 704x480. The text encoders have real widths but two layers (their cost is
negligible next to the denoiser). ``--scale small`` shrinks every width and size so the same
code runs on a CPU in about a minute; its figures only show that the script works.

``controlnet``: the SDXL keyframe through a ControlNet of the UNet's size conditioned on a layout
task's depth picture, against the bare ControlNet pipeline (issue 16: target overhead under 3 %).

Studio's figure is ``backends.diffusers.run`` on a task (generator, progress callback, resize,
PNG or H.264 encoding included); the bare loop calls the same pipeline with the same arguments
and saves the picture with Pillow (frames are only decoded, not encoded). They alternate; each
figure is the fastest of ``--repeat`` runs after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backends.base import Artifact, TaskRun  # noqa: E402
from bench.machine import header  # noqa: E402
from bench.make_tiny_models import clip_tokenizer, t5_tokenizer  # noqa: E402

SCALES = {
    "full": {"unet": (320, 640, 1280), "layers": (1, 2, 10), "heads": 64, "vae": (128, 256, 512, 512), "size": 1024,
             "ltx_layers": 28, "ltx_heads": 32, "ltx_vae": (128, 256, 512, 512), "video": (704, 480, 97)},
    "small": {"unet": (32, 64, 128), "layers": (1, 1, 1), "heads": 8, "vae": (32, 32, 64, 64), "size": 256,
              "ltx_layers": 2, "ltx_heads": 4, "ltx_vae": (32, 32, 64, 64), "video": (96, 64, 17)},
}


def alternating(fns: list[Callable[[], Any]], repeat: int) -> list[float]:
    import torch

    def sync() -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            sync()
            start = time.perf_counter()
            fn()
            sync()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def make_sdxl(dest: Path, s: dict[str, Any]) -> Path:
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    wide = s["unet"][-1] >= 1280
    text_dims = (768, 1280) if wide else (32, 64)
    unet = UNet2DConditionModel(
        sample_size=s["size"] // 8, block_out_channels=s["unet"], layers_per_block=2,
        transformer_layers_per_block=s["layers"], attention_head_dim=(5, 10, 20) if wide else 8,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=sum(text_dims), addition_embed_type="text_time", addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=256 * 6 + text_dims[1], use_linear_projection=True)
    vae = AutoencoderKL(block_out_channels=s["vae"], latent_channels=4, down_block_types=("DownEncoderBlock2D",) * 4,
                        up_block_types=("UpDecoderBlock2D",) * 4, sample_size=s["size"])
    tokenizer = clip_tokenizer()
    encoders = [cls(CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=d, intermediate_size=4 * d,
                                   num_hidden_layers=2, num_attention_heads=d // 64 if wide else 4,
                                   projection_dim=d, bos_token_id=tokenizer.bos_token_id,
                                   eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id))
                for cls, d in ((CLIPTextModel, text_dims[0]), (CLIPTextModelWithProjection, text_dims[1]))]
    pipe = StableDiffusionXLPipeline(vae=vae, text_encoder=encoders[0], text_encoder_2=encoders[1],
                                     tokenizer=tokenizer, tokenizer_2=tokenizer, unet=unet,
                                     scheduler=EulerDiscreteScheduler())
    pipe.to(torch.float16 if torch.cuda.is_available() else torch.float32).save_pretrained(dest)
    return dest


def make_ltx(dest: Path, s: dict[str, Any]) -> Path:
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(1)
    caption = 4096 if s["ltx_layers"] >= 28 else 32
    transformer = LTXVideoTransformer3DModel(num_layers=s["ltx_layers"], num_attention_heads=s["ltx_heads"],
                                             attention_head_dim=64, cross_attention_dim=s["ltx_heads"] * 64,
                                             caption_channels=caption)
    vae = AutoencoderKLLTXVideo(block_out_channels=s["ltx_vae"], decoder_block_out_channels=s["ltx_vae"])
    tokenizer = t5_tokenizer()
    encoder = T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=caption, d_ff=2 * caption, d_kv=64,
                                      num_layers=1, num_heads=max(1, caption // 64)))
    pipe = LTXImageToVideoPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=encoder,
                                   tokenizer=tokenizer, transformer=transformer)
    pipe.to(torch.bfloat16 if torch.cuda.is_available() else torch.float32).save_pretrained(dest)
    return dest


def config(kind: str, path: Path, **params: Any) -> dict[str, Any]:
    return {"name": path.name, "kinds": [kind], "weights": path.name, "path": str(path), "revision": None,
            "dtype": None, "params": params, "adapters": {}}


def peak_gb() -> float:
    import torch

    return torch.cuda.max_memory_allocated() / 1e9 if torch.cuda.is_available() else 0.0


def bench_image(path: Path, s: dict[str, Any], steps: int, repeat: int, work: Path) -> dict[str, Any]:
    import torch

    import backends.diffusers as backend

    start = time.perf_counter()
    handle = backend.load(config("image", path, steps=steps, guidance=5.0))
    out: dict[str, Any] = {"device": handle.device, "sdxl load s": time.perf_counter() - start,
                           "sdxl memory_gb (measured)": backend.memory_gb(handle)}
    size = s["size"]
    params = {"width": size, "height": size, "seed": 1, "prompt": "a lighthouse at dusk", "negative": "",
              "characters": [], "props": [], "location": None}

    def studio() -> None:
        folder = Path(tempfile.mkdtemp(dir=work))
        backend.run(TaskRun("keyframe:b/x", "keyframe", params, {}, {}, folder, 2), handle)

    def bare() -> None:
        handle.pipe("a lighthouse at dusk", width=size, height=size, num_inference_steps=steps, guidance_scale=5.0,
                    generator=torch.Generator().manual_seed(1)).images[0].save(work / "bare.png")

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    mine, plain = alternating([studio, bare], repeat)
    out |= {f"image s ({size}x{size}, {steps} steps)": mine, "image bare loop s": plain,
            "image overhead": mine / plain - 1, "image peak GPU GB": peak_gb()}
    backend.unload(handle)
    return out


def bench_video(path: Path, s: dict[str, Any], steps: int, repeat: int, work: Path) -> dict[str, Any]:
    import torch
    from PIL import Image

    import backends.diffusers as backend

    width, height, frames = s["video"]
    start = time.perf_counter()
    handle = backend.load(config("video", path, steps=steps, fps=24, window=frames))
    out: dict[str, Any] = {"ltx load s": time.perf_counter() - start,
                           "ltx memory_gb (measured)": backend.memory_gb(handle)}
    key = work / "key.png"
    Image.radial_gradient("L").convert("RGB").resize((width, height)).save(key)
    params = {"width": width, "height": height, "fps": 24, "frames": frames, "duration": frames / 24, "seed": 2,
              "shot_type": "wide", "camera": {"move": "static", "amount": None}, "keyframes_at": [0], "crf": 20,
              "pattern": None, "prompt": "waves", "negative": ""}

    def studio() -> None:
        folder = Path(tempfile.mkdtemp(dir=work))
        backend.run(TaskRun("motion:b/x", "motion", params, {"keyframe": Artifact({"image": key})}, {}, folder, 2),
                    handle)

    def bare() -> None:
        handle.pipe(image=Image.open(key), prompt="waves, static camera", width=width, height=height,
                    num_frames=frames, frame_rate=24, num_inference_steps=steps,
                    guidance_scale=3.0, generator=torch.Generator().manual_seed(2), output_type="np")

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    mine, plain = alternating([studio, bare], repeat)
    out |= {f"clip s ({frames} frames {width}x{height}, {steps} steps)": mine, "clip bare loop s": plain,
            "clip overhead": mine / plain - 1, "clip peak GPU GB": peak_gb()}
    backend.unload(handle)
    return out


def bench_loads(path: Path, work: Path) -> dict[str, Any]:
    """A studio build alternating two configurations of the image model under a budget that fits one."""
    project = work / "alternating"
    project.mkdir()
    (project / "sdxl").symlink_to(path, target_is_directory=True)
    shots = "\n".join(f"      - {{id: x{i}, duration: 0.5, models: {{image: {'ab'[i % 2]}}}}}" for i in range(8))
    (project / "film.studio.yaml").write_text(f"""\
studio: 1
project: {{title: Loads, fps: 8, resolution: [256, 256], vram_gb: 1000, models: {{image: a}}}}
models:
  a: {{backend: diffusers, kind: image, weights: sdxl, vram_gb: 600, params: {{steps: 1, size: [256, 256]}}}}
  b: {{backend: diffusers, kind: image, weights: sdxl, vram_gb: 600,
      params: {{steps: 1, size: [256, 256], guidance: 2}}}}
output: {{storyboard: false, subtitles: none}}
scenes:
  - id: s
    shots:
{shots}
""")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json",
                           "--allow-path", str(path)], capture_output=True, text=True, cwd=ROOT)
    summary = json.loads(done.stdout)
    report = json.loads((project / "build" / "report.json").read_text()) if (project / "build").is_dir() else {}
    return {"build s (8 shots, 2 image models)": time.perf_counter() - start,
            "model loads / bound": f"{summary['model_loads']} / {report.get('model_loads_lower_bound')}",
            "failed": len(summary["failed"])}


def bench_controlnet(path: Path, s: dict[str, Any], steps: int, repeat: int, work: Path) -> dict[str, Any]:
    """An SDXL keyframe through a ControlNet of the UNet's size (``ControlNetModel.from_unet``, random
    zero convolutions) conditioned on a real layout task's depth picture: studio against the bare
    ControlNet pipeline with the same image."""
    import torch
    from diffusers import ControlNetModel
    from PIL import Image

    import backends.diffusers as backend
    from backends import procedural
    from compiler.plan import LAYOUT_PARAMS

    size = s["size"]
    unet = backend.load(config("image", path)).pipe.unet
    torch.manual_seed(2)
    net = ControlNetModel.from_unet(unet)
    with torch.no_grad():
        for name, param in net.named_parameters():
            if name.startswith(("controlnet_down_blocks", "controlnet_mid_block",
                                "controlnet_cond_embedding.conv_out")):
                param.copy_(torch.randn(param.shape) * 0.02)
    net.to(unet.dtype).save_pretrained(work / "controlnet")
    del unet, net
    params = {"width": size, "height": size, "seed": 1, "prompt": "a lighthouse at dusk", "negative": "",
              "action": "@Mira waves", "shot_type": "medium", "palette": [], "location": None, "props": [],
              "characters": [{"name": "Mira", "description": "a girl", "color": None, "references": []}],
              "setting": {"interior": False, "time": "day", "place": ""}, "speakers": []}
    folder = Path(tempfile.mkdtemp(dir=work))
    start = time.perf_counter()
    laid = procedural.run(TaskRun("layout:b/x", "layout", {k: v for k, v in params.items() if k in LAYOUT_PARAMS},
                                  {}, {}, folder), {})
    out: dict[str, Any] = {f"layout task s ({size}x{size})": time.perf_counter() - start}
    layout = Artifact(laid.outputs, laid.meta)
    cn = {"weights": "controlnet", "kind": "depth", "scale": 1.0}
    model = {**config("image", path, steps=steps, guidance=5.0, controlnet=cn),
             "adapters": {"controlnet:depth": {"weights": "controlnet", "path": str(work / "controlnet"),
                                               "revision": None}}}
    start = time.perf_counter()
    handle = backend.load(model)
    out["sdxl+controlnet load s"] = time.perf_counter() - start
    with Image.open(layout.outputs["depth"]) as img:
        depth = img.convert("RGB")

    def studio() -> None:
        backend.run(TaskRun("keyframe:b/x", "keyframe", params, {"layout": layout}, {},
                            Path(tempfile.mkdtemp(dir=work)), 2), handle)

    def bare() -> None:
        pipe = handle.controlled[False]
        pipe("a lighthouse at dusk", image=depth, controlnet_conditioning_scale=1.0, width=size, height=size,
             num_inference_steps=steps, guidance_scale=5.0,
             generator=torch.Generator().manual_seed(1)).images[0].save(work / "bare-cn.png")

    studio()  # makes the ControlNet pipeline the bare loop then calls
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    mine, plain = alternating([studio, bare], repeat)
    out |= {f"controlnet keyframe s ({size}x{size}, {steps} steps)": mine, "controlnet bare loop s": plain,
            "controlnet overhead": mine / plain - 1, "controlnet peak GPU GB": peak_gb()}
    backend.unload(handle)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--only", default="image,controlnet,video,loads")
    args = parser.parse_args()
    s = SCALES[args.scale]
    parts = args.only.split(",")
    print(header("torch", "diffusers", "transformers"))
    figures: dict[str, Any] = {"scale": args.scale}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "image" in parts or "loads" in parts or "controlnet" in parts:
            start = time.perf_counter()
            sdxl = make_sdxl(work / "sdxl", s)
            figures["make sdxl s"] = time.perf_counter() - start
            if "image" in parts:
                figures |= bench_image(sdxl, s, args.steps, args.repeat, work)
            if "controlnet" in parts:
                figures |= bench_controlnet(sdxl, s, args.steps, args.repeat, work)
            if "loads" in parts:
                figures |= bench_loads(sdxl, work)
        if "video" in parts:
            figures |= bench_video(make_ltx(work / "ltx", s), s, args.steps, args.repeat, work)
    width = max(map(len, figures))
    for name, value in figures.items():
        shown = f"{value:+.1%}" if "overhead" in name else f"{value:.3f}" if isinstance(value, float) else value
        print(f"{name:<{width}}  {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
