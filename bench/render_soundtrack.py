"""The audio tasks of the ``render_film.py`` bench project, one at a time: the soundtrack, a dialogue shot.

    python bench/render_soundtrack.py [--seconds 30] [--runs 5]

Compiles the same project as ``bench/render_film.py`` (a looped music track ducking under three
eSpeak lines, EBU R128 normalisation, AAC in an M4A), renders its speech tasks, then runs the
``soundtrack`` task ``--runs`` times in this process and prints, for the fastest and the median
run, its wall seconds and its CPU seconds (this process and its ffmpeg children: on a machine
shared with other work the CPU seconds are the figure to compare), and the steps of the fastest
run. Then the same for a shot with one line of dialogue (its audio: the line mixed into the
shot's WAV and the AAC muxed beside a stream-copied video; a small picture, which only is
copied). Last, the AAC encoder on the fastest run's normalised mix, coded up to the encoder's own
cutoff and up to the sources' band (``backends/ffmpeg/aac.py``): its CPU seconds and how close
the decoded AAC comes to the mix, SNR per octave band from 62.5 Hz to 8 kHz and from 8 to 11 kHz.
The issue's target: the soundtrack at most 0.6 s of task time inside ``render_film.py``'s build.
"""

from __future__ import annotations

import argparse
import functools
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import header  # noqa: E402
from bench.render_film import project  # noqa: E402


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextmanager
def steps(into: list[tuple[str, float, float]]) -> Iterator[None]:
    """Record (step, wall s, CPU s) of the soundtrack's steps that exist in this checkout."""
    from backends.ffmpeg import _bin, film_audio, loudness, soundtrack

    patched: list[tuple[Any, str, Any]] = []

    def timed(module: Any, name: str, label: Callable[[dict[str, Any]], str] | str) -> None:
        if not hasattr(module, name):
            return
        original = getattr(module, name)

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), cpu_seconds()
            try:
                return original(*args, **kwargs)
            finally:
                what = label if isinstance(label, str) else label(kwargs)
                into.append((what, time.perf_counter() - wall, cpu_seconds() - cpu))

        patched.append((module, name, original))
        setattr(module, name, wrapper)

    for module in (soundtrack, film_audio):
        timed(module, "run_ffmpeg", lambda kw: "ffmpeg: " + str(kw.get("what", "")).split(": ")[-1])
        timed(module, "decode_audio", lambda kw: "ffmpeg: decoding " + str(kw.get("label", "")).split("/")[-1])
        timed(module, "decode_audios", "ffmpeg: decoding every source at once")
    timed(soundtrack, "mix_dialogue", "dialogue of a shot")
    timed(soundtrack, "build_mix", "the mix (tracks, ducking, sum)")
    timed(soundtrack, "normalise", "loudness: measure, gain, limiter (numpy)")
    timed(soundtrack, "integrated_loudness", "loudness of the result (numpy)")
    del _bin, loudness
    try:
        yield
    finally:
        for module, name, original in patched:
            setattr(module, name, original)


def aac_against_the_mix(mix: np.ndarray, band: int, sample_rate: int, scratch: Path) -> tuple[float, np.ndarray]:
    """(CPU seconds of the encode, SNR in dB per band of the decoded AAC against ``mix``)."""
    import ffmpeg

    from backends.ffmpeg._bin import decode_audio, run_ffmpeg
    from backends.ffmpeg.aac import aac_args

    raw, out = scratch / "mix.f32", scratch / f"mix-{band}.m4a"
    np.ascontiguousarray(mix, "<f4").tofile(raw)
    args = ffmpeg.output(ffmpeg.input(str(raw), f="f32le", ar=sample_rate, ac=mix.shape[1]).audio, str(out),
                         **aac_args(192_000, mix.shape[1], sample_rate, band), f="mp4").get_args()
    cpu = cpu_seconds()
    run_ffmpeg(["-y", *args], what="encoding")
    cpu = cpu_seconds() - cpu
    decoded = decode_audio(out, label="aac", sample_rate=sample_rate, channels=mix.shape[1])[: len(mix)]
    signal = np.fft.rfft(mix[:, 0].astype(np.float64))
    error = np.fft.rfft((decoded - mix)[:, 0].astype(np.float64))
    freqs = np.fft.rfftfreq(len(mix), 1 / sample_rate)
    edges = [62.5 * 2**k for k in range(8)] + [11000]
    snr = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        inside = (freqs >= lo) & (freqs < hi)
        snr.append(10 * np.log10(np.sum(np.abs(signal[inside]) ** 2) / np.sum(np.abs(error[inside]) ** 2)))
    return cpu, np.array(snr)


def render(task: Any, arts: dict[str, Any], workdir: Path) -> Any:
    """Run one planned task in this process, as the executor does (settled parameters, real inputs)."""
    from backends import load_backend
    from backends.base import Artifact, TaskRun
    from compiler.settle import settle

    inputs = {role: arts[tid] for role, tid in task.inputs.items()}
    params = settle(task.kind, task.params, {r: a.meta for r, a in inputs.items()})
    backend = load_backend(task.backend)
    workdir.mkdir(parents=True)
    run = TaskRun(task.id, task.kind, params, inputs, task.file_paths(), workdir, 2)
    result = backend.run(run, backend.load(task.model) if task.model else None)
    return Artifact(result.outputs, result.meta)


def timed_runs(name: str, runs: int, once: Callable[[int], Any]) -> list[tuple[float, float, Any]]:
    out = []
    for i in range(runs):
        wall, cpu = time.perf_counter(), cpu_seconds()
        made = once(i)
        out.append((time.perf_counter() - wall, cpu_seconds() - cpu, made))
    walls, cpus = [r[0] for r in out], [r[1] for r in out]
    print(f"{name}: fastest {min(walls):.3f} s, {min(cpus):.3f} CPU-s; median {statistics.median(walls):.3f} s, "
          f"{statistics.median(cpus):.3f} CPU-s ({runs} runs)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    print(header("numpy", "imageio_ffmpeg"))
    from backends.base import Artifact
    from backends.ffmpeg.encode import encode_frames
    from runtime.build import load_plan
    from runtime.filecache import DigestCache

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "film"
        shutil.copytree(ROOT / "examples" / "luca", work)
        (work / "film.studio.yaml").write_text(project(opts.seconds))
        tasks = load_plan(work, Path(tmp) / "cache", DigestCache(Path(tmp) / "cache"), [], use_cache=False).tasks
        arts: dict[str, Any] = {}
        for task in tasks.values():
            if task.kind == "speech":
                arts[task.id] = render(task, arts, Path(tmp) / "tasks" / task.id.replace("/", "_"))
        sound = next(t for t in tasks.values() if t.kind == "soundtrack")
        recorded: list[list[tuple[str, float, float]]] = []
        mixes: list[np.ndarray] = []

        def soundtrack(i: int) -> Any:
            from backends.ffmpeg import soundtrack as module

            recorded.append([])
            normalise = module.normalise

            def keep(*args: Any, **kwargs: Any) -> Any:
                made = normalise(*args, **kwargs)
                mixes.append(made.samples)
                return made

            module.normalise = keep
            try:
                with steps(recorded[-1]):
                    return render(sound, arts, Path(tmp) / "soundtrack" / str(i))
            finally:
                module.normalise = normalise

        made = timed_runs(f"soundtrack ({opts.seconds:.0f} s, {len(arts)} lines)", opts.runs, soundtrack)
        fastest = min(range(len(made)), key=lambda i: made[i][1])
        meta = made[fastest][2].meta
        print(f"    loudness {meta['input_loudness']} -> {meta['loudness']} LUFS ({meta['normalisation']})")
        totals: dict[str, list[float]] = {}
        for what, wall, cpu in recorded[fastest]:
            total = totals.setdefault(what, [0, 0.0, 0.0])
            total[0], total[1], total[2] = total[0] + 1, total[1] + wall, total[2] + cpu
        for what, (count, wall, cpu) in totals.items():
            print(f"    {wall:6.3f} s {cpu:6.3f} CPU-s  {what}{f' (x{count:.0f})' if count > 1 else ''}")
        arts[sound.id] = made[fastest][2]

        # A shot with a line: its picture is only copied, so a small one will do.
        shot = next(t for t in tasks.values() if t.kind == "shot" and t.params.get("lines"))
        frames = int(round(float(shot.params["duration"]) * int(shot.params["fps"])))
        video = Path(tmp) / "motion.mp4"
        picture = np.zeros((180, 320, 3), np.uint8)
        encode_frames([picture] * frames, video, fps=int(shot.params["fps"]), crf=20)
        motion = Artifact({"video": video}, {"frames": frames, "duration": frames / int(shot.params["fps"])})
        small = type(shot)(**{**shot.__dict__, "params": {**shot.params, "width": 320, "height": 180}})
        line = {role: arts[tid] for role, tid in shot.inputs.items() if role != "motion"}
        shot_arts = {**line, "motion": motion}
        small = type(shot)(**{**small.__dict__, "inputs": {role: role for role in shot_arts}})
        timed_runs("shot with a line (3 s; picture copied)", opts.runs,
                   lambda i: render(small, shot_arts, Path(tmp) / "shot" / str(i)))

        from backends.ffmpeg.aac import bandwidth

        sources = [Path(a.outputs["audio"]) for a in arts.values() if "audio" in a.outputs and a is not arts[sound.id]]
        sources += sound.file_paths().values()
        rate = int(sound.params["sample_rate"])
        band = bandwidth(sources, rate)
        print(f"AAC 192 kbit/s of the normalised mix; SNR of the decoded AAC against it per band "
              f"(62.5 Hz to 8 kHz by octaves, 8 to 11 kHz); sources up to {band} Hz")
        for label, cutoff in (("encoder's own cutoff", rate // 2), (f"coded up to {band} Hz", band)):
            cpu, snr = aac_against_the_mix(mixes[fastest], cutoff, rate, Path(tmp))
            print(f"    {label:22} {cpu:.3f} CPU-s; SNR {' '.join(f'{v:4.1f}' for v in snr)} dB")


if __name__ == "__main__":
    main()
