"""Motion: the shot played out over its keyframe's backdrop, or an audio-reactive pattern.

In: a motion ``TaskRun`` with the ``keyframe`` input and, for a shot with dialogue, its speech as
``line1``, ``line2``... (settled ``lines`` give each one's start and speaker). A keyframe with a
``layout`` and a ``background`` (the procedural keyframe's) is staged: every frame draws its
figures from the layout at that moment (moves, poses, breathing, blinks, the speaker's lean and
mouth) over the camera's view of the backdrop. Any other keyframe (a diffusers picture) gets the
camera move over its ``image``. Out: ``video``, H.264 of exactly ``frames`` frames at ``fps``,
encoded by ``backends.ffmpeg.encode`` while the frames are generated. ``meta``: ``move``,
``amount``, ``setups`` (for a staged shot: the frames each setup holds and where each speaker's
mouth is, in frame pixels). A shot with ``end`` cross-fades into that picture (``toward``), or, when
the end is another shot's procedural keyframe, moves its figures to that shot's layout (``endlayout``).

Camera moves, their ``amount`` and directions are described in ``_camera``; sampling in
``_warp``; figures in ``_compose``; patterns in ``pattern``.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from backends.base import Artifact, BackendError, Result, TaskRun, end_path
from backends.ffmpeg.ycbcr import from_rgb, to_yuv420p

from ._camera import PARALLAX, View, check_camera, path, uses_parallax
from ._compose import Cast, Placed, fade, place
from ._figures import head_radii
from ._io import read_fitted, read_image
from ._mouth import speech_lines
from ._spec import check_seed, check_size
from ._warp import Sampler, Scratch, _window, resample, source
from .staging.layout import Staging
from .staging.timeline import ActorState, Line, frame_states


def run_motion(task: TaskRun) -> Result:
    from backends.ffmpeg.encode import encode_frames

    from .endlayout import has_layout, moving_frames

    p = task.params
    width, height = check_size(p, task.id)
    fps, frames = _count(p, "fps", task.id), _count(p, "frames", task.id)
    seed = check_seed(p, task.id)
    keyframe = task.inputs.get("keyframe")
    meta: dict[str, Any] = {"frames": frames, "fps": fps}
    space = "ycbcr"  # drawn in the encoder's colours (``backends.ffmpeg.ycbcr``); a pattern is drawn in RGB
    if p.get("pattern"):
        from .pattern import pattern_frames

        palette_from = read_image(keyframe.outputs["image"], "the keyframe image") if keyframe is not None else None
        video = pattern_frames(p["pattern"], task.files, palette_from, width, height, frames, fps, seed, task.id)
        meta["pattern"] = p["pattern"].get("style", "cppn")
        space = "rgb"
    else:
        if keyframe is None or "image" not in keyframe.outputs:
            raise BackendError(f"{task.id}: a motion task needs its keyframe input")
        move, amount = check_camera(p.get("camera"), task.id)
        meta.update(move=move, amount=amount)
        end = task.inputs.get(str(p["end"].get("input"))) if p.get("end") else None
        if "layout" in keyframe.outputs and "background" in keyframe.outputs:
            shot = StagedShot(keyframe, task.id, move, amount, frames, fps, width, height, seed,
                              speech_lines(p, task.inputs, fps, task.id), space=space)
            meta["setups"] = shot.setups()
            video = shot.frames()
            if has_layout(end):  # another shot's procedural keyframe: its figures are where they go
                video, meta["end_layout"] = moving_frames(shot, end, task.id)  # type: ignore[arg-type]
        else:
            image = read_image(keyframe.outputs["image"], "the keyframe image")
            video = camera_frames(image, move, amount, frames, fps, width, height, seed, _focus(keyframe.meta), space)
    if p.get("end"):
        if "end_layout" not in meta:  # a picture (a file, an image model's keyframe): a cross-fade
            end_picture = _end_picture(task, width, height)
            video = toward(video, from_rgb(end_picture) if space == "ycbcr" else end_picture, frames)
        meta["end"] = p["end"].get("input") or p["end"].get("file")
    out = task.workdir / "video.mp4"
    if space == "ycbcr":  # to planar 4:2:0 on the drawing thread too, not between the pipe's writes
        video = (f if f.ndim == 2 else to_yuv420p(f).reshape(height * 3 // 2, width) for f in video)
    encode_frames(
        prefetch(video),
        out,
        fps=fps,
        crf=int(p.get("crf", 18)),
        keyframes_at=[int(k) for k in p.get("keyframes_at") or [0]],
        threads=task.threads,
        progress=task.progress,
        total=frames,
        colour=space,
    )
    return Result(outputs={"video": out}, meta=meta)


def _end_picture(task: TaskRun, width: int, height: int) -> np.ndarray:
    """The picture the shot ends on (``end``: a file, or another shot's keyframe), fitted to the frame."""
    path = end_path(task)
    return read_fitted(path, width, height, "the end picture")


def toward(frames: Iterator[np.ndarray], end: np.ndarray, count: int) -> Iterator[np.ndarray]:
    """First/last-frame motion: the shot cross-fades into ``end`` along a smoothstep, so its first frame is
    the shot's own and its last is exactly ``end`` (the camera and figures keep moving underneath)."""
    last = max(1, count - 1)
    target = end.astype(np.float32)
    for i, frame in enumerate(frames):
        if frame.ndim == 2 and end.ndim == 3:  # planar 4:2:0 Y'CbCr (a zoom's): the end in the same layout
            end = to_yuv420p(end).reshape(frame.shape)
            target = end.astype(np.float32)
        x = i / last
        w = np.float32(x * x * (3.0 - 2.0 * x))
        if w == 0:
            yield frame
        elif w == 1:
            yield end
        else:
            mixed = frame.astype(np.float32) * (np.float32(1.0) - w) + target * w
            yield np.floor(mixed + np.float32(0.5)).astype(np.uint8)


def prefetch(frames: Iterator[np.ndarray], depth: int = 2) -> Iterator[np.ndarray]:
    """Render the next frames on a helper thread while the caller writes this one to ffmpeg.

    Without it, rendering and the blocking pipe write take turns; with it they overlap (numpy
    releases the GIL). The frames and their order are unchanged, so the output is the same.
    """
    done = object()
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for frame in frames:
                if not put(frame):
                    return
            put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer and raised there
            put(exc)

    worker = threading.Thread(target=work, name="procedural-frames", daemon=True)
    worker.start()
    try:
        while (item := box.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _count(p: Mapping[str, Any], key: str, task_id: str) -> int:
    value = p.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BackendError(f"{task_id}: {key} must be a whole number of at least 1, got {value!r}")
    return value


def _focus(meta: Mapping[str, Any]) -> tuple[float, float]:
    value = meta.get("focus")
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return min(1.0, max(0.0, float(value[0]))), min(1.0, max(0.0, float(value[1])))
    return 0.5, 0.5


def camera_frames(image: np.ndarray, move: str, amount: float, frames: int, fps: int, width: int, height: int,
                  seed: int, focus: tuple[float, float] = (0.5, 0.5), space: str = "rgb") -> Iterator[np.ndarray]:
    """The move over one RGB picture: uint8 ``(height, width, 3)``, one per frame, lazily, in RGB or
    (``space="ycbcr"``) in Y'CbCr."""
    views = path(move, amount, frames, fps=fps, seed=seed, focus=focus, aspect=width / height, width=width)
    flat = source(from_rgb(image) if space == "ycbcr" else image, [v[0] for v in views], height, width)
    for i in range(frames):
        yield flat.frame(i)


class StagedShot:
    """A shot drawn from its keyframe's layout: the backdrop through the camera, figures on it.

    Frames come in RGB, or with ``space="ycbcr"`` in Y'CbCr (what motion encodes: the backdrop is
    converted once, each sprite once, instead of every frame)."""

    def __init__(self, keyframe: Artifact, task_id: str, move: str, amount: float, frames: int, fps: int,
                 width: int, height: int, seed: int, lines: Sequence[Line], space: str = "rgb") -> None:
        try:
            data = json.loads(keyframe.outputs["layout"].read_text(encoding="utf-8"))
            self.staging = Staging.from_json(data["staging"])
            look, kf_seed, interior = str(data["look"]), int(data["seed"]), bool(data["interior"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BackendError(f"{task_id}: the keyframe's layout cannot be read: {exc}") from None
        self.space = space
        self.plate = read_image(keyframe.outputs["background"], "the keyframe background")
        if space == "ycbcr":
            self.plate = from_rgb(self.plate)
        self.frames_n, self.fps, self.width, self.height, self.seed = frames, fps, width, height, seed
        self.lines, self.still = list(lines), move == "hold"
        ph, pw = self.plate.shape[:2]
        focus = self.staging.setups[0].focus
        # figures on a ledge stand on the backdrop's rock: no parallax, or their feet would slide
        parallax = PARALLAX if uses_parallax(move) and self.staging.ledge is None else 0.0
        self.views = path(move, amount, frames, fps=fps, seed=seed, focus=focus, aspect=width / height,
                          parallax=parallax, width=width)
        self.cast = Cast(self.staging, look=look, seed=kf_seed, stage_h=ph, interior=interior, space=space)
        self.windows = [_window(v[1], ph, pw, height, width) for v in self.views]
        scales = [1.0 / w[2] for w in self.windows]
        self.render_scale = round(max(scales), 6)
        self.constant = all(abs(s - scales[0]) < 1e-9 for s in scales)
        # a zoom or dolly draws the figures on the backdrop at its own size and resamples the two
        # together: one resampling a frame instead of one per figure. A dolly's parallax is then in
        # where the figures go (they travel 25 % more), not in their size (3 % more at most).
        self.together = not self.constant
        self.bg_windows = [_window(v[0], ph, pw, height, width) for v in self.views]
        if self.together:
            self.render_scale = 1.0
        duration = frames / fps
        self.states = [frame_states(self.staging, duration / 2 if self.still else i / fps, i, duration=duration,
                                    fps=fps, lines=self.lines, seed=seed, px=1.0 / height, still=self.still)
                       for i in range(frames)]
        self.clips = self._clips()

    def anchor(self, i: int, st: ActorState) -> tuple[float, float]:
        """Where the actor's feet fall in frame ``i`` (output pixels; stage pixels for a zoom)."""
        ph, pw = self.plate.shape[:2]
        sy, sx, step = self.windows[i]
        x, y = (st.x * pw - 0.5 - sx) / step + 0.5, (st.ground * ph - 0.5 - sy) / step + 0.5
        if self.together:  # where the backdrop's view puts that spot of the frame, in stage pixels
            by, bx, bstep = self.bg_windows[i]
            return (x - 0.5) * bstep + bx + 0.5, (y - 0.5) * bstep + by + 0.5
        return x, y

    def _visible(self, i: int) -> tuple[float, float, float, float]:
        """The part of the picture frame ``i`` shows, in the coordinates anchors are in."""
        if not self.together:
            return 0.0, 0.0, float(self.width), float(self.height)
        sy, sx, step = self.bg_windows[i]
        return sx + 0.5 - step, sy + 0.5 - step, sx + 0.5 + (self.width + 1) * step, sy + 0.5 + (self.height + 1) * step

    def _clips(self) -> dict[tuple[int, str], tuple[float, float, float, float]]:
        """What of each actor's sprites can ever be seen (relative to its anchor, at render scale)."""
        bounds: dict[tuple[int, str], list[float]] = {}
        margin = 24.0
        for i, (index, states) in enumerate(self.states):
            factor = 1.0 if self.together else 1.0 / (self.windows[i][2] * self.render_scale)
            x0, y0, x1, y1 = self._visible(i)
            for st in states:
                ax, ay = self.anchor(i, st)
                lo_x, lo_y = (x0 - ax - margin) / factor, (y0 - ay - margin) / factor
                hi_x, hi_y = (x1 - ax + margin) / factor, (y1 - ay + margin) / factor
                b = bounds.setdefault((index, st.actor.name), [lo_x, lo_y, hi_x, hi_y])
                b[:] = [min(b[0], lo_x), min(b[1], lo_y), max(b[2], hi_x), max(b[3], hi_y)]
        return {k: (round(v[0]), round(v[1]), round(v[2]), round(v[3])) for k, v in bounds.items()}

    def _placed(self, i: int) -> list[Placed]:
        index, states = self.states[i]
        placed: list[Placed] = []
        for st in states:
            clip = self.clips[(index, st.actor.name)]
            placed.extend(self.cast.placed(st, self.render_scale, self.anchor(i, st), clip))
        return placed

    def frames(self) -> Iterator[np.ndarray]:
        if self.together:
            yield from self._zoom_frames()
            return
        bg = source(self.plate, [v[0] for v in self.views], self.height, self.width)
        previous: tuple[Any, ...] | None = None
        frame = np.empty((self.height, self.width, 3), np.uint8)
        for i in range(self.frames_n):
            placed = self._placed(i)
            key = (bg.key(i), *((id(p.sprite), p.x, p.y) for p in placed))
            if key != previous:  # else the same picture again (nothing moved by a quarter pixel)
                under = bg.frame(i)
                frame = np.array(under, copy=True)
                for p in placed:
                    place(frame, p)
                frame = fade(under, frame, self.staging.opacity)
                previous = key
            yield frame

    def _zoom_frames(self) -> Iterator[np.ndarray]:
        sampler = Sampler(self.plate, [v[0] for v in self.views], self.height, self.width)
        scratch = Scratch()
        previous: tuple[Any, ...] | None = None
        picture = self.plate
        for i in range(self.frames_n):
            placed = self._placed(i)
            key = tuple((id(p.sprite), p.x, p.y) for p in placed)
            if key != previous:
                picture = self.plate.copy()
                for p in placed:
                    place(picture, p)
                picture = fade(self.plate, picture, self.staging.opacity)
                previous = key
            if self.space == "ycbcr":  # straight to the encoder's planar 4:2:0
                yield sampler.i420(i, picture)
                continue
            rows, cols = sampler.axes(i)
            yield resample(picture, rows, cols, scratch)

    def setups(self) -> list[dict[str, Any]]:
        """For each run of frames on one setup: its speaker and each speaker's mouth box (pixels)."""
        out: list[dict[str, Any]] = []
        for i, (index, states) in enumerate(self.states):
            if out and out[-1]["setup"] == index:
                out[-1]["end"] = i + 1
                continue
            mouths = {}
            sy, sx, step = self.windows[i]
            ph, pw = self.plate.shape[:2]
            for st in states:
                if st.back or not st.actor.name:
                    continue
                anchor = ((st.x * pw - 0.5 - sx) / step + 0.5, (st.ground * ph - 0.5 - sy) / step + 0.5)
                b = self.cast._body(st, 1.0 / step, *anchor)
                rx, ry = head_radii(st.actor.figure, b.u)
                mx, my = b.at("head", 0.0, 0.62 * ry / b.u, "head")
                mouths[st.actor.name] = [round(mx - 0.4 * rx), round(my - 0.35 * ry), round(mx + 0.4 * rx),
                                         round(my + 0.35 * ry)]
            out.append({"setup": index, "speaker": self.staging.setups[index].speaker, "start": i, "end": i + 1,
                        "mouths": mouths})
        return out


__all__ = ["StagedShot", "View", "camera_frames", "prefetch", "run_motion", "toward"]
