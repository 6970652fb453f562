"""Encoder and film-assembly speed of the ffmpeg backend at 1280x720, 24 fps.

    python bench/render_ffmpeg.py [--seconds 10] [--threads 1 2] [--presets veryfast superfast]

Prints frames/second of ``encode_frames`` (studio's H.264 settings; other presets on request)
for each thread count, with the frames made beforehand so that only piping and encoding are
timed, then the seconds that the shot mixes, a transition and the film assembly take, with a
breakdown of the film task: every ffmpeg run and numpy step, when it started and on which thread.
The issue's target: 30 s of 720p24 film in real time on two cores (goal 2x), i.e. >= 24 (48)
frames/s for the whole pipeline.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends.base import Artifact, TaskRun
from backends.ffmpeg import encode, film, film_audio, film_video, run
from backends.ffmpeg.encode import PRESET, encode_frames
from bench.machine import header

WIDTH, HEIGHT, FPS = 1280, 720, 24


def frames(count: int, seed: int, *, grain: bool = False) -> list[np.ndarray]:
    """A camera pan over a smooth picture with a moving figure, like a procedural shot.

    ``grain`` adds fresh noise to every frame: the worst case for the encoder.
    """
    rng = np.random.default_rng(seed)
    h, w = HEIGHT, WIDTH + 2 * count
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    canvas = np.stack(
        [
            128 + 60 * np.sin(xx / 97 + 1.0) * np.cos(yy / 71),
            110 + 50 * np.sin(xx / 53 + yy / 89),
            90 + 40 * np.cos(xx / 131 - yy / 43),
        ],
        axis=-1,
    )
    for _ in range(12):  # flat shapes: buildings, props
        x, y = int(rng.integers(0, w - 200)), int(rng.integers(0, h - 200))
        canvas[y : y + int(rng.integers(40, 200)), x : x + int(rng.integers(40, 200))] = rng.integers(0, 255, 3)
    canvas = canvas.clip(0, 255).astype(np.uint8)
    out = []
    for i in range(count):
        f = canvas[:, 2 * i : 2 * i + WIDTH].copy()
        x = (40 + 9 * i) % (WIDTH - 300)
        f[300:560, x : x + 160] = (230, 180, 40)
        if grain:
            f = np.clip(f.astype(np.int16) + rng.integers(-6, 7, f.shape), 0, 255).astype(np.uint8)
        out.append(f)
    return out


def task(kind: str, params: dict[str, Any], inputs: dict[str, Artifact], workdir: Path, threads: int) -> Artifact:
    workdir.mkdir()
    files = {"audio:music": workdir.parent / "music.wav"}
    result = run(
        TaskRun(id=kind, kind=kind, params=params, inputs=inputs, files=files, workdir=workdir, threads=threads)
    )
    return Artifact(result.outputs, result.meta)


@contextmanager
def breakdown() -> Iterator[None]:
    """Print when each ffmpeg run and numpy step of the film task started and how long it took."""
    steps: list[tuple[float, float, str, str]] = []
    started = time.perf_counter()
    patched: list[tuple[Any, str, Any]] = []

    def timed(module: Any, name: str, label: str) -> None:
        original = getattr(module, name)  # a step that moved fails here rather than going unmeasured

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                what = label if name != "run_ffmpeg" else "ffmpeg: " + str(kwargs.get("what", "")).split(": ")[-1]
                thread = "main" if threading.current_thread() is threading.main_thread() else "worker"
                steps.append((begin - started, time.perf_counter() - begin, what, thread))

        patched.append((module, name, original))
        setattr(module, name, wrapper)

    for module in (film, film_audio, film_video):
        timed(module, "run_ffmpeg", "")
    timed(film_audio, "_dialogue_bus", "dialogue bus (numpy)")
    timed(film_video, "studio_config", "encoder parameter sets (cached per process)")
    try:
        yield
    finally:
        for module, name, original in patched:
            setattr(module, name, original)
        for begin, took, what, thread in sorted(steps):
            print(f"    at {begin:5.2f} s  {took:5.2f} s  [{thread:6}] {what}")


def bench_encoder(root: Path, count: int, presets: list[str], threads: list[int]) -> Path:
    """Print encode_frames speed per content, preset and thread count; returns a smooth shot."""
    shot = root / "shot.mp4"
    for grain in (False, True):
        pictures = frames(count, 0, grain=grain)
        for preset in presets:
            encode.PRESET = preset
            for n in threads:
                video = root / f"enc-{preset}-{n}.mp4"
                started = time.perf_counter()
                encode_frames(pictures, video, fps=FPS, crf=20, keyframes_at=(0, FPS, count - FPS), threads=n)
                rate = count / (time.perf_counter() - started)
                content = "pan + grain" if grain else "smooth pan "
                size = video.stat().st_size / 1e6
                print(f"encode_frames {content} preset={preset:9} threads={n}: {rate:6.1f} frames/s  ({size:.2f} MB)")
                if not grain and preset == presets[0] and n == threads[-1]:
                    video.replace(shot)
    encode.PRESET = presets[0]
    return shot


def bench_assembly(root: Path, video: Path, count: int, threads: int) -> None:
    """Print the time of two shot mixes, a transition and the film with a ducked music track."""
    work = root / "tasks"
    work.mkdir()
    rate = 48000
    t = np.arange(3 * rate) / rate
    sf.write(str(work / "music.wav"), np.stack([0.3 * np.sin(2 * np.pi * 220 * t)] * 2, axis=1), rate)
    sf.write(str(work / "line.wav"), 0.5 * np.sin(2 * np.pi * 440 * t[: 2 * rate]), rate)
    seconds = count / FPS
    started = time.perf_counter()
    shots = {}
    for name in ("a", "b"):
        inputs = {"motion": Artifact({"video": video}, {}), "line1": Artifact({"audio": work / "line.wav"}, {})}
        lines = [{"input": "line1", "start": 1.0, "character": "A", "text": "A line of dialogue."}]
        params = {"width": WIDTH, "height": HEIGHT, "fps": FPS, "frames": count, "duration": seconds,
                  "sample_rate": rate, "crf": 20, "lines": lines, "subtitles": "none"}  # fmt: skip
        shots[name] = task("shot", params, inputs, work / f"shot-{name}", threads)
    print(f"2 shots (video copy + dialogue): {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    params = {"type": "dissolve", "duration": 1.0, "fps": FPS, "width": WIDTH, "height": HEIGHT, "crf": 20}
    cross = task("transition", params, {"from": shots["a"], "to": shots["b"]}, work / "transition", threads)
    print(f"transition (1 s dissolve): {time.perf_counter() - started:.2f} s")
    timeline = [
        {"shot": "a", "transition": "t", "cut_in": 0.0, "cut_out": 1.0},
        {"shot": "b", "transition": None, "cut_in": 1.0, "cut_out": 0.0},
    ]
    music = {"file": "audio:music", "start": 0, "volume": 1, "duck": True, "loop": True, "fade_in": 1, "fade_out": 1}
    params = {"fps": FPS, "width": WIDTH, "height": HEIGHT, "sample_rate": rate, "loudness": -16,
              "subtitles": "none", "timeline": timeline, "audio": [music]}  # fmt: skip
    started = time.perf_counter()  # the soundtrack is its own task (it reads no picture): mix, ducking, loudness, AAC
    sound = {**params, "timeline": [{**entry, "frames": count, "lines": [{"input": "line1", "start": 1.0}]}
                                    for entry in timeline]}
    soundtrack = task("soundtrack", sound, {"line1": Artifact({"audio": work / "line.wav"}, {})},
                      work / "soundtrack", threads)
    print(f"soundtrack ({soundtrack.meta['duration']:.1f} s: dialogue, ducked music, loudness, AAC): "
          f"{time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    with breakdown():
        made = task("film", params, {"a": shots["a"], "b": shots["b"], "t": cross, "soundtrack": soundtrack},
                    work / "film", threads)
        took = time.perf_counter() - started
        print(f"film ({made.meta['duration']:.1f} s: stream copies of the video and the soundtrack): {took:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each encoded shot")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--presets", nargs="+", default=[PRESET], help="x264 presets to compare (first: studio's)")
    args = parser.parse_args()
    count = round(args.seconds * FPS)
    print(header("imageio_ffmpeg"))
    print(f"studio encoder: libx264 preset={PRESET}, {WIDTH}x{HEIGHT} @ {FPS} fps, {count} frames per shot")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shot = bench_encoder(root, count, args.presets, args.threads)
        bench_assembly(root, shot, count, max(args.threads))


if __name__ == "__main__":
    main()
