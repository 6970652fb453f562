"""The one set of H.264 encoder settings that every video in studio is encoded with.

Shots, transitions and bodies re-encoded for burnt-in captions all come out of the same encoder
with the same settings, so their parameter sets (SPS/PPS) are identical and the film joins them
by stream copy with the concat demuxer. The settings:

- libx264, preset ``veryfast`` with a cheaper analysis (``ME_PARAMS``: diamond motion search,
  subpixel refinement 1, no 4x4/8x8 intra partitions, a 5-frame mbtree lookahead). The animatic
  must render 30 s of 720p24 at 3x real time on two cores (goal 5x; issue 12), and x264 was its
  largest single cost. On the animatic's pictures (flat-shaded backdrops and figures, camera
  moves) these options take 40 % less encoder CPU than plain veryfast for 8 % more bytes at the
  same CRF and 53 dB PSNR instead of 54.6, far above anything visible (measured on 240 frames of
  ``bench/render_film.py``'s film). ``superfast`` drops mbtree and weighted prediction: 2.4x the
  bytes on these mostly still backdrops at the same CRF (``ultrafast`` 3x), for less saving. These
  settings keep CABAC, deblocking, mbtree, 8x8 transforms and subpixel motion, and they change no
  field of the SPS or PPS (clips cached before the change still join the new ones by stream copy).
- no B-frames (``-bf 0``): decode order equals display order, so cutting a segment's end is exact
  at any frame, timestamps never go negative and concatenated segments need no edit lists;
- closed GOPs with key frames exactly where asked: ``keyint=infinite``, ``scenecut=0`` and
  forced IDR frames at the frame numbers in ``keyframes_at``;
- ``stitchable=1`` so x264 does not tune header fields (PPS init QP) to each segment's content;
- the x264 thread count comes from the caller (settings, never the machine): x264's output depends
  on it, and it is deterministic for a given count;
- bit-exact: ``-fflags +bitexact``, ``-flags +bitexact``, ``-map_metadata -1``, no chapters, and
  the SEI NAL units (where x264 writes its version and options) removed by ``filter_units``;
- BT.709 limited-range yuv420p with the colour description written into every stream (it is part
  of the SPS, which must match across segments); RGB is converted by swscale with
  ``bitexact+accurate_rnd`` so the conversion does not depend on the CPU's SIMD;
- ``+faststart`` so the index comes first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from backends.base import BackendError

from ._bin import run_ffmpeg
from .ycbcr import to_yuv420p

__all__ = [
    "COLOURS",
    "PRESET",
    "SWS_FLAGS",
    "encode_frames",
    "encode_graph",
    "keyframe_expr",
    "muxer_args",
    "video_args",
]

PRESET = "veryfast"
SWS_FLAGS = "bitexact+accurate_rnd+full_chroma_int"
ME_PARAMS = "me=dia:subme=1:partitions=none:rc-lookahead=5"
"""The cheaper analysis on top of ``PRESET`` (see the module's docstring)."""
COLOURS = ("rgb", "ycbcr")
"""What :func:`encode_frames` takes: RGB, or BT.709 limited-range Y'CbCr 4:4:4 (``ycbcr``)."""
X264_PARAMS = "keyint=infinite:scenecut=0:open-gop=0:stitchable=1:" + ME_PARAMS
def keyframe_expr(keyframes_at: Sequence[int]) -> str:
    """``-force_key_frames`` value forcing key frames at exactly these frame numbers."""
    keys = sorted({int(k) for k in keyframes_at} | {0})
    if keys[0] < 0:
        raise BackendError(f"key frame numbers must not be negative (got {keys[0]})")
    return "expr:" + "+".join(f"eq(n,{k})" for k in keys)


def video_args(*, crf: int, keyframes_at: Sequence[int] = (0,), threads: int = 1) -> dict[str, Any]:
    """Output options (ffmpeg-python keywords) of the studio H.264 encoder."""
    if not 0 <= int(crf) <= 51:
        raise BackendError(f"crf must be between 0 and 51 (got {crf})")
    if int(threads) < 1:
        raise BackendError(f"threads must be at least 1 (got {threads})")
    return {
        "c:v": "libx264",
        "preset": PRESET,
        "profile:v": "high",
        "pix_fmt": "yuv420p",
        "crf": str(int(crf)),
        "bf": "0",
        "forced-idr": "1",
        "force_key_frames": keyframe_expr(keyframes_at),
        "x264-params": X264_PARAMS,
        "threads": str(int(threads)),
        "fps_mode": "passthrough",
        "flags:v": "+bitexact",
        "bsf:v": "filter_units=remove_types=6",
    }


def muxer_args() -> dict[str, Any]:
    """Output options (ffmpeg-python keywords) of every MP4 studio writes."""
    return {
        "f": "mp4",
        "movflags": "+faststart",
        "fflags": "+bitexact",
        "map_metadata": "-1",
        "map_chapters": "-1",
        # Interleave strictly by timestamp, whatever order threads deliver packets in.
        "max_interleave_delta": "0",
    }


def _tagged(video: Any) -> Any:
    """yuv420p frames tagged BT.709 limited range (the colour description ends up in the SPS)."""
    return video.filter("format", "yuv420p").filter(
        "setparams", range="tv", color_primaries="bt709", color_trc="bt709", colorspace="bt709"
    )


def _check_fps(fps: int) -> int:
    if int(fps) != fps or fps < 1:
        raise BackendError(f"fps must be a whole number of frames per second, at least 1 (got {fps})")
    return int(fps)


def _global_args(threads: int) -> list[str]:
    n = str(int(threads))
    return ["-y", "-sws_flags", SWS_FLAGS, "-filter_threads", n, "-filter_complex_threads", n]


def _checked(frames: Iterable[np.ndarray], planar: bool = False) -> tuple[tuple[int, int], Iterator[np.ndarray]]:
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise BackendError("no frames to encode")
    shape = _frame_shape(first, 0, planar)
    if shape[0] % 2 or shape[1] % 2:
        raise BackendError(f"frame size {shape[1]}x{shape[0]} must be even in both directions for yuv420p")

    def frames_out() -> Iterator[np.ndarray]:
        yield first
        for i, frame in enumerate(it, 1):
            if _frame_shape(frame, i, planar) != shape:
                raise BackendError(f"frame {i} is {frame.shape}, frame 0 was {first.shape}: all frames must match")
            yield frame

    return shape, frames_out()


def _frame_shape(frame: np.ndarray, i: int, planar: bool = False) -> tuple[int, int]:
    """(height, width) of the picture; with ``planar``, a 2-D frame is planar 4:2:0 (Y' rows, then Cb and Cr)."""
    if planar and isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 2:
        if frame.shape[0] % 3 or frame.shape[1] % 2:
            raise BackendError(f"frame {i}: a planar 4:2:0 frame is (height * 3 / 2, width), got {frame.shape}")
        return frame.shape[0] * 2 // 3, frame.shape[1]
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        got = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
        raise BackendError(f"frame {i} must be an (height, width, 3) uint8 RGB or Y'CbCr array, got {got}")
    return frame.shape[0], frame.shape[1]


def encode_frames(
    frames: Iterable[np.ndarray],
    path: Path,
    *,
    fps: int,
    crf: int,
    keyframes_at: Sequence[int] = (0,),
    threads: int = 1,
    progress: Callable[[int, int], None] | None = None,
    total: int | None = None,
    colour: str = "rgb",
) -> None:
    """Encode frames (``(H, W, 3)`` uint8, H and W even) into an H.264 MP4 at ``path``.

    ``colour``: ``rgb`` (converted by swscale, bit-exact), or ``ycbcr``: BT.709 limited-range Y'CbCr,
    either 4:4:4 (:mod:`.ycbcr`; its chroma is averaged to 4:2:0 here) or already planar 4:2:0, a 2-D
    ``(H * 3 / 2, W)`` array (Y' rows, then the Cb and Cr planes), piped as ``yuv420p``: half the
    bytes, with no conversion left for ffmpeg. Frames are piped to ffmpeg as they come, so a generator
    renders while ffmpeg encodes. ``progress(done, total)`` is called after each frame; ``total``
    defaults to ``len(frames)`` when ``frames`` has a length, else 0 (unknown).
    """
    fps = _check_fps(fps)
    if colour not in COLOURS:
        raise BackendError(f"unknown frame colour {colour!r}; known: {', '.join(COLOURS)}")
    if total is None:
        total = len(frames) if isinstance(frames, Sized) else 0
    (height, width), checked = _checked(frames, planar=colour == "ycbcr")
    size = f"{width}x{height}"
    if colour == "ycbcr":
        video = _tagged(ffmpeg.input("pipe:0", f="rawvideo", pix_fmt="yuv420p", s=size, framerate=fps))
        chunks = (np.ascontiguousarray(f).data if f.ndim == 2 else to_yuv420p(f).data for f in checked)
    else:
        source = ffmpeg.input("pipe:0", f="rawvideo", pix_fmt="rgb24", s=size, framerate=fps)
        video = _tagged(source.filter("scale", out_color_matrix="bt709", out_range="tv", flags=SWS_FLAGS))
        chunks = (np.ascontiguousarray(f).data.cast("B") for f in checked)
    out = video.output(
        str(path), an=None, **video_args(crf=crf, keyframes_at=keyframes_at, threads=threads), **muxer_args()
    )
    args = _global_args(threads) + ffmpeg.get_args(out)
    report = None if progress is None else (lambda i: progress(i, total))
    run_ffmpeg(
        args,
        what=f"encoding {path.name}",
        stdin_chunks=chunks,
        on_chunk=report,
    )


def encode_graph(
    video: Any,
    path: Path,
    *,
    fps: int,
    crf: int,
    keyframes_at: Sequence[int] = (0,),
    threads: int = 1,
    what: str | None = None,
) -> None:
    """Encode an ffmpeg-python video stream (inputs and filters) with the studio settings.

    The frames are re-timed to exactly ``1/fps`` apart from 0 so that the encoder sees the same
    time base and frame rate as :func:`encode_frames` (both are written into the SPS).
    """
    fps = _check_fps(fps)
    timed = _tagged(video.filter("settb", f"1/{fps}").filter("setpts", "N").filter("fps", fps))
    out = timed.output(
        str(path), an=None, sn=None, **video_args(crf=crf, keyframes_at=keyframes_at, threads=threads), **muxer_args()
    )
    run_ffmpeg(_global_args(threads) + ffmpeg.get_args(out), what=what or f"encoding {path.name}")
