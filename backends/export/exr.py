"""The ``exr`` backend: ``masters:<scene>/<shot>`` tasks, scene-linear masters of one shot.

Steps: (1) the keyframe (PNG, sRGB) -> ``masters/keyframes/<name>.exr``; (2) the shot's motion
(the clean picture, before any subtitles are burnt into the shot mix) decoded frame by frame to
16-bit RGB with the studio encoder's own swscale flags (bit-exact, BT.709 limited range in, full
range out), each frame -> ``masters/shots/<name>/<name>.<NNNN>.exr`` (numbered from 1). Every file
is half-float RGB in ACEScg (:mod:`._colour`), ZIP-compressed scanlines, tagged with AP1
chromaticities and the colour interop id ``lin_ap1_scene``; no time or host in any header, so the
same task gives the same bytes. The PNG previews stay as they are (sRGB).

params: ``name``, ``width``, ``height``, ``fps``. inputs: ``keyframe``, ``motion``. outputs: the
files, named by their paths under build/. meta: ``frames``, ``colorspace``, ``config``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from backends.base import BackendError, Result, TaskRun
from backends.ffmpeg._bin import ffmpeg_exe, ffmpeg_reason

from ._colour import AP1_CHROMATICITIES, CONFIG, SOURCE, TARGET, conversion

__all__ = ["CONCURRENT", "KINDS", "NAME", "VERSION", "load", "run", "unload", "write_exr"]

NAME = "exr"
VERSION = "1"
KINDS = frozenset({"masters"})
CONCURRENT = True

DECODE_FILTER = "scale=in_color_matrix=bt709:in_range=tv:out_range=pc:flags=bitexact+accurate_rnd+full_chroma_int"


def load(model: Mapping[str, Any]) -> None:
    return None


def unload(handle: object) -> None:
    return None


def _openexr() -> Any:
    try:
        import OpenEXR
    except ImportError as exc:
        raise BackendError("EXR masters need OpenEXR: pip install 'studio[export]'") from exc
    return OpenEXR


def write_exr(path: Path, rgb: np.ndarray) -> Path:
    """Write (height, width, 3) float16 ACEScg as a scanline, ZIP-compressed OpenEXR file."""
    exr = _openexr()
    header = {"compression": exr.ZIP_COMPRESSION, "type": exr.scanlineimage,
              "chromaticities": AP1_CHROMATICITIES, "colorInteropID": "lin_ap1_scene",
              "comments": f"ACEScg (AP1, scene-linear) from sRGB by studio with OpenColorIO {CONFIG}"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with exr.File(header, {"RGB": np.ascontiguousarray(rgb, np.float16)}) as f:
        f.write(str(path))
    return path


def _frames(video: Path, width: int, height: int, threads: int) -> Iterator[np.ndarray]:
    """The video's frames as (height, width, 3) uint16 sRGB codes, one at a time (bounded memory)."""
    size = width * height * 3 * 2
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-threads", str(threads),
           "-i", str(video), "-map", "0:v:0", "-vf", f"{DECODE_FILTER},format=rgb48le",
           "-f", "rawvideo", "-pix_fmt", "rgb48le", "pipe:1"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while True:
            data = proc.stdout.read(size)
            if not data:
                break
            if len(data) != size:
                raise BackendError(f"{video.name}: the decoder gave a partial frame ({len(data)} of {size} bytes)")
            yield np.frombuffer(data, "<u2").reshape(height, width, 3)
        err = proc.stderr.read()
        if proc.wait() != 0:
            raise BackendError(f"decoding {video.name}: {ffmpeg_reason(err)}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def _keyframe_codes(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"), np.uint16)
    return rgb * 257  # 8-bit code n is 16-bit code 257 n: the same value, n / 255


def run(task: TaskRun, handle: object = None) -> Result:
    params = task.params
    for name in ("name", "width", "height"):
        if name not in params:
            raise BackendError(f"{task.id}: missing parameter '{name}'")
    name, width, height = str(params["name"]), int(params["width"]), int(params["height"])
    keyframe, motion = task.inputs.get("keyframe"), task.inputs.get("motion")
    if keyframe is None or "image" not in keyframe.outputs or motion is None or "video" not in motion.outputs:
        raise BackendError(f"{task.id}: needs a 'keyframe' input with an image and a 'motion' input with a video")
    convert = conversion().apply
    expected = int(motion.meta.get("frames") or 0)
    outputs: dict[str, Path] = {}
    # 1. the keyframe
    rel = f"masters/keyframes/{name}.exr"
    codes = _keyframe_codes(Path(keyframe.outputs["image"]))
    outputs[rel] = write_exr(task.workdir / rel, convert(codes))
    # 2. every frame of the shot
    count = 0
    for frame in _frames(Path(motion.outputs["video"]), width, height, task.threads):
        if task.cancelled():
            raise BackendError("cancelled")
        count += 1
        rel = f"masters/shots/{name}/{name}.{count:04d}.exr"
        outputs[rel] = write_exr(task.workdir / rel, convert(frame))
        task.report(count, max(expected, count))
    if expected and count != expected:
        raise BackendError(f"{task.id}: the motion has {count} frames, its metadata says {expected}")
    return Result(outputs=outputs, meta={"frames": count, "colorspace": TARGET, "source": SOURCE, "config": CONFIG,
                                         "encoding": "half"})
