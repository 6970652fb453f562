"""Tiny real media for the ffmpeg backend tests (no tests here).

Everything is made on the spot in ``tmp_path``: 64x36 frames at 12 fps encoded with the real
encoder, sine WAVs written with soundfile, and tasks run through the backend's own ``run``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from backends import ffmpeg as backend
from backends.base import Artifact, TaskRun
from backends.ffmpeg._bin import run_ffmpeg
from backends.ffmpeg.encode import encode_frames

W, H, FPS, SR = 64, 36, 12, 48000
CRF = 23


def pictures(count: int, seed: int, *, width: int = W, height: int = H) -> list[np.ndarray]:
    """A textured picture sliding one pixel a frame: every frame distinct, easy to encode."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([(xx * 4 + seed * 40) % 256, (yy * 7) % 256, np.full_like(xx, 60 + 30 * seed)], axis=-1)
    base = (base + rng.integers(0, 40, base.shape)).clip(0, 255).astype(np.uint8)
    return [np.roll(base, i, axis=1) for i in range(count)]


def motion(tmp: Path, name: str, count: int, keyframes_at: tuple[int, ...] = (0,), seed: int = 1) -> Artifact:
    """A motion artifact: ``count`` frames encoded with the studio settings."""
    path = tmp / f"{name}.mp4"
    encode_frames(pictures(count, seed), path, fps=FPS, crf=CRF, keyframes_at=keyframes_at)
    return Artifact({"video": path}, {"frames": count})


def tone(path: Path, seconds: float, freq: float, *, rate: int = 22050, amp: float = 0.5, channels: int = 1) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    wave = amp * np.sin(2 * np.pi * freq * t)
    sf.write(str(path), np.stack([wave] * channels, axis=1) if channels > 1 else wave, rate)
    return path


def speech(tmp: Path, name: str, seconds: float, freq: float = 440.0) -> Artifact:
    """A speech artifact: a sine 'voice' at 22050 Hz, as eSpeak would hand over."""
    return Artifact({"audio": tone(tmp / f"{name}.wav", seconds, freq)}, {"duration": seconds, "sample_rate": 22050})


def run_task(
    tmp: Path, kind: str, task_id: str, params: Mapping[str, Any], inputs: Mapping[str, Artifact],
    files: Mapping[str, Path] | None = None, threads: int = 1,
) -> Artifact:  # fmt: skip
    """Run one task through the backend in a fresh work directory; the result as an artifact."""
    workdir = tmp / task_id.replace(":", "_").replace("/", "_")
    n = 0
    while workdir.exists():
        n += 1
        workdir = workdir.with_name(f"{workdir.name}-{n}")
    workdir.mkdir(parents=True)
    task = TaskRun(
        id=task_id,
        kind=kind,
        params=dict(params),
        inputs=dict(inputs),
        files=dict(files or {}),
        workdir=workdir,
        threads=threads,
    )
    backend.load({})
    result = backend.run(task, None)
    for path in result.outputs.values():
        assert path.parent == workdir
    assert sorted(p.name for p in workdir.iterdir()) == sorted(p.name for p in result.outputs.values()), (
        "scratch files left behind"
    )
    return Artifact(result.outputs, result.meta)


def shot_params(frames: int, lines: list[dict[str, Any]] | None = None, subtitles: str = "none") -> dict[str, Any]:
    return {
        "width": W, "height": H, "fps": FPS, "frames": frames, "duration": frames / FPS, "sample_rate": SR,
        "crf": CRF, "lines": lines or [], "subtitles": subtitles,
    }  # fmt: skip


def transition_params(kind: str, seconds: float) -> dict[str, Any]:
    return {"type": kind, "duration": seconds, "fps": FPS, "width": W, "height": H, "crf": CRF}


def film_params(timeline: list[dict[str, Any]], subtitles: str = "soft") -> dict[str, Any]:
    return {"fps": FPS, "width": W, "height": H, "sample_rate": SR, "subtitles": subtitles, "timeline": timeline}


def band_level(samples: np.ndarray, freq: float, rate: int = SR) -> float:
    """Amplitude of the strongest component within 20 Hz of ``freq`` (Hann-windowed FFT)."""
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window)) * 2 / window.sum()
    bins = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spectrum[np.abs(bins - freq) < 20].max())


def ebur128(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """ffmpeg's ``ebur128`` meter on float samples ``(n, channels)``: integrated LUFS, true peak dBTP."""
    text = run_ffmpeg(
        ["-loglevel", "info", "-f", "f32le", "-ar", str(rate), "-ac", str(samples.shape[1]), "-i", "pipe:0",
         "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        what="ebur128", stdin_chunks=[np.ascontiguousarray(samples, "<f4").tobytes()],
    ).decode()  # fmt: skip
    summary = text[text.rindex("Summary:") :]
    loudness = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert loudness is not None and peak is not None, summary
    return float(loudness.group(1)), float(peak.group(1))


def test_the_pipe_that_feeds_ffmpeg_is_widened_where_the_system_allows() -> None:
    """A 720p frame is 2.7 MB: through Linux's default 64 KiB pipe the writer and ffmpeg took turns
    42 times a frame. ``_widen`` asks for ``PIPE_BYTES``; elsewhere it leaves the pipe as it is."""
    import os

    from backends.ffmpeg._bin import PIPE_BYTES, _widen

    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        pytest.skip("no pipe sizes on this system")
    read, write = os.pipe()
    try:
        _widen(write)
        limit = int(open("/proc/sys/fs/pipe-max-size").read())
        assert fcntl.fcntl(write, fcntl.F_GETPIPE_SZ) == (PIPE_BYTES if limit >= PIPE_BYTES else 65536)
    finally:
        os.close(read)
        os.close(write)
