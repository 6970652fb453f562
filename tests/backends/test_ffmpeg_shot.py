"""The ffmpeg backend's shot and transition tasks, with the real ffmpeg on tiny media."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from backends.base import Artifact, BackendError
from backends.ffmpeg import KINDS, NAME, VERSION
from backends.ffmpeg.mp4 import read_video_track
from backends.ffmpeg.probe import decode_audio, frame_hashes, read_frames
from tests.backends.test_ffmpeg_support import (
    FPS,
    SR,
    H,
    W,
    motion,
    run_task,
    shot_params,
    speech,
    tone,
    transition_params,
)


def test_module_contract() -> None:
    assert NAME == "ffmpeg" and VERSION == "6"
    assert KINDS == {"shot", "transition", "soundtrack", "film", "subtitles"}


def _shot(tmp: Path, frames: int = 30, subtitles: str = "none", **motion_args: object) -> Artifact:
    lines = [{"input": "line1", "start": 0.5, "character": "Luca", "text": "Hello there!"}]
    inputs = {"motion": motion(tmp, "motion", frames, **motion_args), "line1": speech(tmp, "hello", 1.0)}  # type: ignore[arg-type]
    return run_task(tmp, "shot", "shot:cove/hello", shot_params(frames, lines, subtitles), inputs)


def test_shot_is_exactly_its_duration(tmp_path: Path) -> None:
    shot = _shot(tmp_path, frames=30)
    info = sf.info(str(shot.outputs["dialogue"]))
    assert (info.samplerate, info.channels, info.frames) == (SR, 1, 30 * SR // FPS)
    assert read_video_track(shot.outputs["clip"]).frames == 30
    clip_audio = decode_audio(shot.outputs["clip"], label="clip", sample_rate=SR)
    assert abs(len(clip_audio) - 30 * SR // FPS) <= 1024  # AAC frames
    assert shot.meta["frames"] == 30 and shot.meta["duration"] == 2.5
    assert shot.meta["lines"] == [{"start": 0.5, "end": 1.5, "character": "Luca", "text": "Hello there!"}]


def test_speech_sits_inside_its_window(tmp_path: Path) -> None:
    shot = _shot(tmp_path)
    dialogue, _ = sf.read(str(shot.outputs["dialogue"]), dtype="float32")

    def rms(a: float, b: float) -> float:
        return float(np.sqrt(np.mean(dialogue[round(a * SR) : round(b * SR)] ** 2)))

    assert rms(0.55, 1.45) > 0.3  # a 0.5-amplitude sine, resampled from 22050 Hz
    assert rms(0.0, 0.49) == 0.0 and rms(1.51, 2.5) == 0.0


def test_video_stream_is_copied(tmp_path: Path) -> None:
    shot = _shot(tmp_path, subtitles="soft")
    assert frame_hashes(shot.outputs["clip"]) == frame_hashes(tmp_path / "motion.mp4")


def test_burnt_subtitles_mark_only_the_lines_frames(tmp_path: Path) -> None:
    shot = _shot(tmp_path, frames=30, subtitles="burn", keyframes_at=(0, 24))
    clip, source = read_frames(shot.outputs["clip"], W, H), read_frames(tmp_path / "motion.mp4", W, H)
    change = np.abs(clip.astype(np.int16) - source).reshape(30, -1).mean(axis=1)
    # the line runs from 0.5 s to 1.5 s: frames 6 to 17
    assert change[6:18].min() > 3 * change[np.r_[0:5, 19:30]].max()
    assert read_video_track(shot.outputs["clip"]).keyframes == (0, 24), "the film's cut points are kept"


def test_shot_is_deterministic(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = _shot(tmp_path / "a", subtitles="burn"), _shot(tmp_path / "b", subtitles="burn")
    for name in ("clip", "dialogue"):
        assert first.outputs[name].read_bytes() == second.outputs[name].read_bytes()


def test_lines_past_the_end_are_trimmed(tmp_path: Path) -> None:
    lines = [{"input": "line1", "start": 0.6, "character": "Mia", "text": "Too long"}]
    inputs = {"motion": motion(tmp_path, "m", 12), "line1": speech(tmp_path, "long", 2.0)}
    shot = run_task(tmp_path, "shot", "shot:x", shot_params(12, lines), inputs)
    assert sf.info(str(shot.outputs["dialogue"])).frames == SR
    assert shot.meta["lines"][0]["end"] == 1.0


def test_damaged_speech_is_a_backend_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage garbage")
    inputs = {"motion": motion(tmp_path, "m", 12), "line1": Artifact({"audio": bad})}
    lines = [{"input": "line1", "start": 0.0, "character": "A", "text": "x"}]
    with pytest.raises(BackendError, match=r"dialogue line1: cannot decode audio \(.+\)"):
        run_task(tmp_path, "shot", "shot:x", shot_params(12, lines), inputs)


def test_motion_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="motion video has 10 frames, the shot needs 12"):
        run_task(tmp_path, "shot", "shot:x", shot_params(12), {"motion": motion(tmp_path, "m", 10)})


def _two_shots(tmp: Path) -> tuple[Artifact, Artifact]:
    a = run_task(tmp, "shot", "shot:a", shot_params(24), {"motion": motion(tmp, "ma", 24, (0, 18), seed=1)})
    b = run_task(tmp, "shot", "shot:b", shot_params(24), {"motion": motion(tmp, "mb", 24, (0, 6), seed=2)})
    return a, b


@pytest.mark.parametrize("kind", ["dissolve", "fade", "wipe"])
def test_transition_length_and_ends(tmp_path: Path, kind: str) -> None:
    a, b = _two_shots(tmp_path)
    seg = run_task(tmp_path, "transition", "transition:a", transition_params(kind, 0.5), {"from": a, "to": b})
    assert read_video_track(seg.outputs["video"]).frames == 6
    assert seg.meta == {"frames": 6, "duration": 0.5}
    frames = read_frames(seg.outputs["video"], W, H).astype(np.int16)
    tail, head = read_frames(a.outputs["clip"], W, H)[18:], read_frames(b.outputs["clip"], W, H)[:6]

    def distance(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.abs(x - y.astype(np.int16)).mean())

    assert distance(frames[0], tail[0]) < distance(frames[0], head[0]) / 3, "starts on the outgoing shot's frame 18"

    def likeness(x: np.ndarray, y: np.ndarray) -> float:  # correlation: blind to fading brightness
        return float(np.corrcoef(x.ravel(), y.ravel().astype(np.float64))[0, 1])

    assert likeness(frames[-1], head[-1]) > 0.7
    assert likeness(frames[-1], tail[-1]) < 0.6, "ends on the incoming shot"


def test_dissolve_is_a_cross_fade(tmp_path: Path) -> None:
    """Halfway through, each pixel is the mean of the two shots' (not a dither of whole pixels)."""
    a, b = _two_shots(tmp_path)
    seg = run_task(tmp_path, "transition", "transition:a", transition_params("dissolve", 0.5), {"from": a, "to": b})
    frames = read_frames(seg.outputs["video"], W, H).astype(np.float64)
    tail, head = read_frames(a.outputs["clip"], W, H)[18:], read_frames(b.outputs["clip"], W, H)[:6]
    noise = np.abs(frames[0] - tail[0]).mean()  # what re-encoding these noisy little pictures costs
    blend = (tail[3].astype(np.float64) + head[3]) / 2
    off = np.abs(frames[3] - blend).mean()
    assert off < 1.2 * noise + 1
    assert off < min(np.abs(frames[3] - tail[3]).mean(), np.abs(frames[3] - head[3]).mean()) / 3


def test_last_transition_fades_to_black(tmp_path: Path) -> None:
    a, _ = _two_shots(tmp_path)
    seg = run_task(tmp_path, "transition", "transition:a", transition_params("fade", 0.5), {"from": a})
    frames = read_frames(seg.outputs["video"], W, H)
    assert len(frames) == 6
    levels = frames.reshape(6, -1).mean(axis=1)
    assert levels[0] > 60 and levels[-1] < 20 and all(np.diff(levels) < 0)


def test_transition_tail_between_key_frames(tmp_path: Path) -> None:
    """The tail is decoded from the key frame before it and trimmed to the exact frame."""
    shot = run_task(tmp_path, "shot", "shot:a", shot_params(24), {"motion": motion(tmp_path, "m", 24, (0, 10))})
    seg = run_task(tmp_path, "transition", "transition:a", transition_params("fade", 0.5), {"from": shot})
    first = read_frames(seg.outputs["video"], W, H)[0].astype(np.int16)
    clip = read_frames(shot.outputs["clip"], W, H).astype(np.int16)
    distances = [float(np.abs(first - frame).mean()) for frame in clip]
    assert int(np.argmin(distances)) == 18
    assert distances[18] < 0.6 * min(distances[:18] + distances[19:])


def test_transition_is_deterministic(tmp_path: Path) -> None:
    a, b = _two_shots(tmp_path)
    runs = [
        run_task(tmp_path, "transition", "transition:a", transition_params("dissolve", 0.5), {"from": a, "to": b})
        for _ in range(2)
    ]
    assert runs[0].outputs["video"].read_bytes() == runs[1].outputs["video"].read_bytes()


def test_transition_longer_than_the_shot_is_refused(tmp_path: Path) -> None:
    a, b = _two_shots(tmp_path)
    with pytest.raises(BackendError, match="needs 36 frames but 'from' has only 24"):
        run_task(tmp_path, "transition", "transition:a", transition_params("wipe", 3.0), {"from": a, "to": b})
    with pytest.raises(BackendError, match="unknown transition type 'spin'"):
        run_task(tmp_path, "transition", "transition:a", transition_params("spin", 0.5), {"from": a, "to": b})


def test_damaged_clip_is_a_backend_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 40)
    with pytest.raises(BackendError, match="'from' clip: cannot read video"):
        run_task(
            tmp_path, "transition", "transition:a", transition_params("fade", 0.5), {"from": Artifact({"clip": broken})}
        )


def test_stereo_speech_at_another_rate_is_mixed_down(tmp_path: Path) -> None:
    voice = tone(tmp_path / "stereo.wav", 0.5, 300, rate=44100, channels=2)
    lines = [{"input": "line1", "start": 0.25, "character": "A", "text": "hi"}]
    inputs = {"motion": motion(tmp_path, "m", 12), "line1": Artifact({"audio": voice})}
    shot = run_task(tmp_path, "shot", "shot:x", shot_params(12, lines), inputs)
    dialogue, rate = sf.read(str(shot.outputs["dialogue"]))
    assert rate == SR and dialogue.ndim == 1 and len(dialogue) == SR
    assert shot.meta["lines"][0]["end"] == pytest.approx(0.75, abs=1e-3)
