"""First/last-frame motion: a shot's procedural motion ends exactly on its ``end`` picture."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
from PIL import Image

from backends import procedural
from backends.base import Artifact, TaskRun
from backends.procedural.motion import toward

W, H = 96, 64


def decoded(video: Path) -> list[np.ndarray]:
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(video), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return list(np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3))


def run(tmp_path: Path, name: str, kind: str, params: dict[str, Any], inputs: dict[str, Artifact] | None = None,
        files: dict[str, Path] | None = None) -> Any:
    work = tmp_path / name
    work.mkdir()
    return procedural.run(TaskRun(f"{kind}:s/{name}", kind, params, inputs or {}, files or {}, work), {"look": "flat"})


def motion(**extra: Any) -> dict[str, Any]:
    return {"width": W, "height": H, "fps": 12, "frames": 12, "duration": 1.0, "seed": 5, "shot_type": "wide",
            "camera": {"move": "static", "amount": None}, "keyframes_at": [0], "crf": 16, "pattern": None, **extra}


def test_the_motion_crossfades_from_its_keyframe_to_the_end_picture(tmp_path: Path) -> None:
    key = run(tmp_path, "k", "keyframe", {"width": W, "height": H, "seed": 1, "action": "the sea", "prompt": "",
                                           "shot_type": "wide", "palette": [], "location": None, "characters": [],
                                           "props": []})
    end = tmp_path / "end.png"
    Image.new("RGB", (W * 2, H * 2), (220, 30, 40)).save(end)
    plain = run(tmp_path, "plain", "motion", motion(), {"keyframe": Artifact(key.outputs, key.meta)})
    ended = run(tmp_path, "ended", "motion", motion(end={"file": "end"}), {"keyframe": Artifact(key.outputs, key.meta)},
                {"end": end})
    again = run(tmp_path, "again", "motion", motion(end={"file": "end"}), {"keyframe": Artifact(key.outputs, key.meta)},
                {"end": end})
    assert ended.outputs["video"].read_bytes() == again.outputs["video"].read_bytes()
    a, b = decoded(plain.outputs["video"]), decoded(ended.outputs["video"])
    assert len(b) == 12
    assert np.abs(a[0].astype(int) - b[0]).mean() < 2  # starts on its own picture
    assert np.abs(b[-1].astype(int) - (220, 30, 40)).mean() < 6  # ends on the end picture
    redness = [float(f[..., 0].astype(int).mean() - f[..., 2].astype(int).mean()) for f in b]
    assert all(x <= y + 1.5 for x, y in zip(redness, redness[1:], strict=False))  # steadily toward it


def test_toward_is_exact_at_both_ends() -> None:
    frames = [np.full((2, 2, 3), 10, np.uint8) for _ in range(5)]
    end = np.full((2, 2, 3), 250, np.uint8)
    out = list(toward(iter(frames), end, 5))
    assert out[0].max() == 10 and np.array_equal(out[-1], end)
    assert [int(f[0, 0, 0]) for f in out] == sorted(int(f[0, 0, 0]) for f in out)
