"""Camera moves as per-frame views of the keyframe, eased, always inside the picture.

A ``View`` is a zoom (>= 1) and the centre of the visible window as fractions of the picture,
so the window never leaves the picture (no borders ever show). ``path`` gives one view per
frame for the background (or the whole image) and one for the foreground figures, which move a
little more (``parallax``), as things nearer the camera do.

``amount`` (0-1, as in the project file; None = the move's default):

| move | amount means | default |
|---|---|---|
| pan_left / pan_right | fraction of the picture width the view travels | 0.15 |
| tilt_up / tilt_down | fraction of the picture height the view travels | 0.12 |
| zoom_in / zoom_out | magnification added: 0.25 ends (or starts) at 1.25x | 0.25 |
| dolly_in / dolly_out | as zoom, toward the keyframe's focus, with parallax | 0.15 |
| shake | peak jitter; 1 = 8% of the frame height | 0.25 |
| static | how far the backdrop drifts (the figures stay put); at least 0.8 px a second | 0.006 |
| hold | nothing moves: a freeze frame | 0 |

A static camera is never quite still: the backdrop drifts a little (parallax), left or right as the
seed says, so an empty shot lives too. ``hold`` is the one truly still picture.

Direction: ``pan_right`` turns the camera right, so the scene content moves *left* in the
frame; ``tilt_up`` turns it up, so the content moves *down*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backends.base import BackendError

from ._noise import rng_for

DEFAULT_AMOUNT = {
    "static": 0.006,
    "hold": 0.0,
    "pan_left": 0.15,
    "pan_right": 0.15,
    "tilt_up": 0.12,
    "tilt_down": 0.12,
    "zoom_in": 0.25,
    "zoom_out": 0.25,
    "dolly_in": 0.15,
    "dolly_out": 0.15,
    "shake": 0.25,
}
MOVES = tuple(DEFAULT_AMOUNT)
PARALLAX = 0.25
"""How much more the foreground layer moves than the background (a fraction of the move)."""
SHAKE_SCALE = 0.08
MAX_TRAVEL = 0.7
DRIFT = 0.8
"""Slowest drift of a static camera's backdrop, pixels per second: a quarter pixel (the finest step)
at least every eight frames, so no stretch of frames is ever the same picture."""


@dataclass(frozen=True)
class View:
    zoom: float
    cx: float
    cy: float


IDENTITY = View(1.0, 0.5, 0.5)


def check_camera(camera: object, task_id: str) -> tuple[str, float]:
    """The move and its amount (default filled in); bad values are the user's to fix."""
    if camera is None:
        return "static", 0.0
    if not isinstance(camera, dict):
        raise BackendError(f"{task_id}: camera must be {{'move', 'amount'}}, got {camera!r}")
    move = camera.get("move") or "static"
    if move not in DEFAULT_AMOUNT:
        raise BackendError(f"{task_id}: unknown camera move {move!r}; known moves: {', '.join(MOVES)}")
    amount = camera.get("amount")
    if amount is None:
        return move, DEFAULT_AMOUNT[move]
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0.0 <= amount <= 1.0:
        raise BackendError(f"{task_id}: camera amount must be a number from 0 to 1, got {amount!r}")
    return move, float(amount)


def ease(t: float) -> float:
    """Smoothstep: starts and stops gently."""
    return t * t * (3.0 - 2.0 * t)


def uses_parallax(move: str) -> bool:
    """Pans, tilts and dollies move the camera's position: near things shift more. A zoom only
    magnifies, and a shake is a small rotation of the camera: no parallax."""
    return move.startswith(("pan", "tilt", "dolly"))


def path(
    move: str,
    amount: float,
    frames: int,
    *,
    fps: int,
    seed: int,
    focus: tuple[float, float] = (0.5, 0.5),
    aspect: float = 16 / 9,
    parallax: float = 0.0,
    width: int = 1280,
) -> list[tuple[View, View]]:
    """(background view, foreground view) for each frame; ``aspect`` is width / height, ``width`` the
    frame's pixels (a static camera drifts at least ``DRIFT`` pixels a second)."""
    ts = [ease(i / (frames - 1)) if frames > 1 else 0.0 for i in range(frames)]
    p = parallax
    if move == "hold" or amount <= 0.0:
        return [(IDENTITY, IDENTITY)] * frames
    if move == "static":  # drift: the backdrop slides a little, the figures keep their place
        travel = min(max(amount, DRIFT * frames / fps / width), 0.1)
        zoom = 1.0 / (1.0 - travel)
        sign = 1.0 if rng_for(seed, "drift").random() < 0.5 else -1.0
        lin = [i / (frames - 1) if frames > 1 else 0.0 for i in range(frames)]
        return [(View(zoom, 0.5 + (t - 0.5) * sign * travel, 0.5), View(zoom, 0.5, 0.5)) for t in lin]
    if move in ("pan_left", "pan_right", "tilt_up", "tilt_down"):
        travel = min(amount, MAX_TRAVEL)
        front = min(travel * (1.0 + p), MAX_TRAVEL)
        zoom = 1.0 / (1.0 - front)
        sign = 1.0 if move in ("pan_right", "tilt_down") else -1.0
        out = []
        for t in ts:
            d = (t - 0.5) * sign
            if move.startswith("pan"):
                out.append((View(zoom, 0.5 + d * travel, 0.5), View(zoom, 0.5 + d * front, 0.5)))
            else:
                out.append((View(zoom, 0.5, 0.5 + d * travel), View(zoom, 0.5, 0.5 + d * front)))
        return out
    if move in ("zoom_in", "zoom_out", "dolly_in", "dolly_out"):
        anchor = focus if move.startswith("dolly") else (0.5, 0.5)
        front = amount * (1.0 + p) if move.startswith("dolly") else amount
        out = []
        for t in ts:
            e = t if move.endswith("_in") else 1.0 - t
            out.append((_anchored(1.0 + amount * e, anchor), _anchored(1.0 + front * e, anchor)))
        return out
    return _shake(amount, frames, fps, seed, aspect, p)


def _anchored(zoom: float, anchor: tuple[float, float]) -> View:
    """The view at ``zoom`` that keeps ``anchor`` where it is in the frame."""
    ax, ay = anchor
    return View(zoom, ax - (ax - 0.5) / zoom, ay - (ay - 0.5) / zoom)


def _shake(amount: float, frames: int, fps: int, seed: int, aspect: float, p: float) -> list[tuple[View, View]]:
    """Handheld jitter: random points about 8 per second, joined by smooth cubic curves."""
    dy = amount * SHAKE_SCALE
    dx = dy / aspect
    zoom = 1.0 / (1.0 - 2.0 * max(dx, dy) * (1.0 + p))
    spacing = max(1, round(fps / 8))
    rng = rng_for(seed, "shake")
    n_points = frames // spacing + 4
    points = rng.random((n_points, 2)) * 2.0 - 1.0
    out = []
    for i in range(frames):
        k, f = divmod(i, spacing)
        jx, jy = _catmull_rom(points[k : k + 4], f / spacing)
        bg = View(zoom, 0.5 + jx * dx, 0.5 + jy * dy)
        fg = View(zoom, 0.5 + jx * dx * (1.0 + p), 0.5 + jy * dy * (1.0 + p))
        out.append((bg, fg))
    return out


def _catmull_rom(p: np.ndarray, t: float) -> tuple[float, float]:
    t2, t3 = t * t, t * t * t
    w = (-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0, -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2)
    x = w[0] * p[0, 0] + w[1] * p[1, 0] + w[2] * p[2, 0] + w[3] * p[3, 0]
    y = w[0] * p[0, 1] + w[1] * p[1, 1] + w[2] * p[2, 1] + w[3] * p[3, 1]
    return max(-1.0, min(1.0, float(x))), max(-1.0, min(1.0, float(y)))
