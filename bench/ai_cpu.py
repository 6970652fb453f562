"""The AI backends on CPU with the tiny random-weight models: load and per-task seconds, batching,
studio's overhead against a bare diffusers loop, and a full tiny-ai build.

Usage: python bench/ai_cpu.py [--repeat 5] [--builds 3] [--only keyframes,motion,speech,build]

Each figure is the fastest of ``--repeat`` runs after one warm-up run (the first call of a
pipeline pays one-time kernel set-up; the minimum also filters out other processes on a shared
machine). Studio's run and the bare loop alternate, so both see the same machine. The tiny-ai
build figures are the fastest of ``--builds`` clean builds (each from an empty cache, each
followed by a no-op rebuild). The tiny models are noise generators; the figures say what studio
adds around a model, not how fast a real model renders.

Besides seconds it checks two claims that bench/README.md makes, and exits 1 if one fails:
the clean build loads each model once (model loads equal the lower bound the plan reports), and
keyframes rendered in one ``run_batch`` are bit-identical to the same keyframes rendered one by one.
The output starts with the date and the machine, for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
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


def timed(fn: Callable[[], Any], repeat: int) -> float:
    return alternating([fn], repeat)[0]


def alternating(fns: list[Callable[[], Any]], repeat: int) -> list[float]:
    """The fastest of ``repeat`` runs of each function, run in turns after a warm-up of each."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def model(kind: str, path: Path, **params: Any) -> dict[str, Any]:
    return {"name": path.name, "kinds": [kind], "weights": path.name, "path": str(path), "revision": None,
            "dtype": None, "params": params, "adapters": {}}


def task(kind: str, params: dict[str, Any], work: Path, inputs: dict[str, Artifact] | None = None,
         files: dict[str, Path] | None = None) -> TaskRun:
    folder = Path(tempfile.mkdtemp(dir=work))
    return TaskRun(f"{kind}:bench/x", kind, params, inputs or {}, files or {}, folder, 2)


def keyframe_params(seed: int, width: int = 320, height: int = 180) -> dict[str, Any]:
    return {"width": width, "height": height, "seed": seed, "prompt": "a girl on a pier, wide shot", "negative": "",
            "characters": [], "props": [], "location": None}


def bench_keyframes(tiny: dict[str, Path], work: Path, repeat: int) -> dict[str, float]:
    import torch
    from PIL import Image

    import backends.diffusers as backend
    from bench.make_tiny_models import IP_ADAPTER_WEIGHTS

    out: dict[str, float] = {}
    start = time.perf_counter()
    handle = backend.load(model("image", tiny["sd"], steps=4, guidance=5.0, size=[112, 64]))
    out["sd load s"] = time.perf_counter() - start
    four = [keyframe_params(seed) for seed in range(4)]
    out["4 keyframes, batch_size 1 s"] = timed(
        lambda: [backend.run(task("keyframe", p, work), handle) for p in four], repeat)
    out["4 keyframes, one run_batch s"] = timed(
        lambda: backend.run_batch([task("keyframe", p, work) for p in four], handle), repeat)
    single = [backend.run(task("keyframe", p, work), handle).outputs["image"].read_bytes() for p in four]
    batched = [r.outputs["image"].read_bytes()
               for r in backend.run_batch([task("keyframe", p, work) for p in four], handle)]
    out["keyframes of one run_batch bit-identical to single runs (of 4)"] = sum(
        a == b for a, b in zip(single, batched, strict=True))
    pipe = handle.pipe

    def bare() -> None:  # what a hand-written loop does for the same picture
        image = pipe("a girl on a pier, wide shot", width=112, height=64, num_inference_steps=4, guidance_scale=5.0,
                     generator=torch.Generator().manual_seed(1)).images[0]
        image.resize((320, 180)).save(work / "bare.png")

    studio, plain = alternating([lambda: backend.run(task("keyframe", keyframe_params(1), work), handle), bare],
                                repeat)
    out["keyframe s (112x64, 4 steps)"] = studio
    out["bare diffusers loop s"] = plain
    out["studio overhead vs bare"] = studio / plain - 1
    layout = work / "layout.png"
    Image.radial_gradient("L").convert("RGB").resize((160, 90)).save(layout)
    started = {**keyframe_params(1), "start": {"file": "start", "strength": 0.75}}
    out["image-to-image keyframe s (strength 0.75: 3 of 4 steps)"] = timed(
        lambda: backend.run(task("keyframe", started, work, files={"start": layout}), handle), repeat)
    backend.unload(handle)
    adapter = {"ip_adapter": {"weights": "ip", "path": str(tiny["ip"]), "revision": None}}
    start = time.perf_counter()
    handle = backend.load({**model("image", tiny["sd"], steps=4, guidance=5.0, size=[112, 64],
                                   ip_adapter={"weight_name": IP_ADAPTER_WEIGHTS, "scale": 0.7}),
                           "adapters": adapter})
    out["sd + IP-Adapter load s"] = time.perf_counter() - start
    mira = {"name": "Mira", "description": "a girl", "color": None, "references": ["ref:Mira/1"]}
    referenced = {**keyframe_params(1), "characters": [mira]}
    out["keyframe with one reference image (IP-Adapter) s"] = timed(
        lambda: backend.run(task("keyframe", referenced, work, files={"ref:Mira/1": layout}), handle), repeat)
    backend.unload(handle)
    return out


def bench_motion(tiny: dict[str, Path], work: Path, repeat: int) -> dict[str, float]:
    from PIL import Image

    import backends.diffusers as backend

    key = work / "key.png"
    Image.radial_gradient("L").convert("RGB").resize((320, 180)).save(key)
    start = time.perf_counter()
    handle = backend.load(model("video", tiny["ltx"], steps=2, size=[64, 32], fps=8, window=9))
    out = {"ltx load s": time.perf_counter() - start}
    params = {"width": 320, "height": 180, "fps": 12, "frames": 30, "duration": 2.5, "seed": 3, "shot_type": "wide",
              "camera": {"move": "static", "amount": None}, "keyframes_at": [0], "crf": 20, "pattern": None,
              "prompt": "the sea", "negative": ""}
    out["motion s (2.5 s at 12 fps, 4 chunks)"] = timed(
        lambda: backend.run(task("motion", params, work, {"keyframe": Artifact({"image": key})}), handle), repeat)
    backend.unload(handle)
    return out


def bench_speech(tiny: dict[str, Path], work: Path, repeat: int) -> dict[str, float]:
    import backends.transformers as backend

    start = time.perf_counter()
    handle = backend.load(model("speech", tiny["vits"]))
    out = {"vits load s": time.perf_counter() - start}
    params = {"text": "Good morning! The sea is calm today.", "language": "en", "pitch": 55, "rate": 170,
              "volume": 100, "range": 50, "speaker": None, "emotion": "happy", "emotions": {}}
    out["speech s (one line)"] = timed(lambda: backend.run(task("speech", params, work), handle), repeat)
    backend.unload(handle)
    vocoder = {"weights": "vocoder", "path": str(tiny["speecht5"] / "vocoder"), "revision": None}
    handle = backend.load({**model("speech", tiny["speecht5"]), "adapters": {"vocoder": vocoder}})
    neutral = {**params, "pitch": 50, "rate": 175, "emotion": None}
    out["SpeechT5 line at its own pace s"] = timed(lambda: backend.run(task("speech", neutral, work), handle), repeat)
    out["SpeechT5 line at rate 220, pitch 60 (ffmpeg retime) s"] = timed(
        lambda: backend.run(task("speech", {**neutral, "rate": 220, "pitch": 60}, work), handle), repeat)
    backend.unload(handle)
    return out


def bench_build(work: Path, builds: int) -> dict[str, float]:
    """The fastest of ``builds`` clean builds of examples/tiny-ai (empty cache each time) and of the
    no-op rebuilds after them, with the model loads against the plan's lower bound."""
    out: dict[str, float] = {}
    for n in range(builds):
        project = work / f"tiny-ai-{n}"
        shutil.copytree(ROOT / "examples" / "tiny-ai", project, ignore=shutil.ignore_patterns(".studio", "build"))
        for label in ("clean build", "no-op build"):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "runtime.cli", "build", str(project), "--format", "json"],
                                  capture_output=True, text=True, cwd=ROOT)
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"tiny-ai {label} failed:\n{done.stderr[-3000:]}")
            out[f"tiny-ai {label} s"] = min(out.get(f"tiny-ai {label} s", seconds), seconds)
            summary = json.loads(done.stdout)
            if label == "clean build":
                report = json.loads((project / "build" / "report.json").read_text())
                out["tiny-ai tasks"] = len(summary["executed"])
                out["tiny-ai model loads"] = summary["model_loads"]
                out["tiny-ai model loads lower bound"] = summary["model_loads_lower_bound"]
                seconds = report.get("model_load_seconds", 0.0)
                out["tiny-ai model-load s"] = min(out.get("tiny-ai model-load s", seconds), seconds)
            else:
                out["tiny-ai no-op model loads"] = summary["model_loads"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--only", default=",".join(PARTS), help="the parts to run (and the claims to check)")
    args = parser.parse_args()
    parts = args.only.split(",")
    if unknown := set(parts) - set(PARTS):
        parser.error(f"--only: no part {', '.join(sorted(unknown))} (parts: {', '.join(PARTS)})")
    import torch

    from bench.machine import header
    from bench.make_tiny_models import make_all

    torch.set_num_threads(2)
    print(header("torch", "diffusers", "transformers") + "; 2 torch threads")
    print(f"each figure: the fastest of {args.repeat} runs (tiny-ai: of {args.builds} clean builds)\n")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        figures: dict[str, float] = {}
        if set(parts) - {"build"}:  # the build uses examples/tiny-ai's own models
            start = time.perf_counter()
            tiny = make_all(work / "models", ["sd", "ip", "ltx", "vits", "speecht5"])
            figures["make tiny models s"] = time.perf_counter() - start
        for part in parts:
            figures |= bench_build(work, args.builds) if part == "build" else PARTS[part](tiny, work, args.repeat)
    width = max(map(len, figures))
    for name, value in figures.items():
        whole = "loads" in name or "tasks" in name or "of 4" in name
        shown = f"{value:+.1%}" if "overhead" in name else f"{value:.0f}" if whole else f"{value:.3f}"
        print(f"{name:<{width}}  {shown}")
    claims = {}
    if "build" in parts:
        claims["model loads equal the lower bound"] = (
            figures["tiny-ai model loads"] == figures["tiny-ai model loads lower bound"])
        claims["the no-op rebuild loads no model"] = figures["tiny-ai no-op model loads"] == 0
    if "keyframes" in parts:
        claims["batched keyframes are bit-identical to unbatched"] = (
            figures["keyframes of one run_batch bit-identical to single runs (of 4)"] == 4)
    print()
    for claim, holds in claims.items():
        print(f"claim: {claim}: {'yes' if holds else 'NO'}")
    return 0 if all(claims.values()) else 1


PARTS: dict[str, Callable[..., dict[str, float]]] = {
    "keyframes": bench_keyframes, "motion": bench_motion, "speech": bench_speech, "build": bench_build}
"""The parts, in the order they run (``build`` takes ``--builds``, the others ``--repeat``)."""


if __name__ == "__main__":
    sys.exit(main())
