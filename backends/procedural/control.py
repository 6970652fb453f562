"""Layout tasks: the control images a ControlNet or T2I-Adapter expects, from the animatic's staging.

In: a ``layout`` ``TaskRun`` whose parameters are the staging part of the shot's keyframe
parameters (size, seed, action, shot type, palette, location, characters, props, setting,
speakers, blocking; backends/README.md). The staging comes from ``keyframe.staging_for``, the very
function the procedural keyframe stages with, so a shot has one layout and two renders: the
animatic's picture and these control images.

Out (all width x height PNG, the figures as the keyframe draws them, in the middle of the shot):
- ``layout``: the staging as JSON (``staging.layout.Staging``), what the keyframe writes;
- ``depth``: grey, near is bright (the MiDaS convention depth ControlNets are trained on): the sky 0,
  the ground plane from the horizon (``NEAR_GROUND[0]``) to the bottom row (``NEAR_GROUND[1]``),
  props at the ground's value at their base, each figure one value from its distance
  (``figure_depth``), nearer figures over farther ones;
- ``pose``: OpenPose-style skeletons (18 COCO keypoints, the OpenPose limb colours on black), one per
  figure whose front we see (a figure seen from behind keeps its body, without face points);
- ``edges``: white lines on black: the outlines of every region of the depth picture (sky, ground,
  each prop, each figure) and the lines inside the figures (face, hair, clothes), as a canny or
  lineart ControlNet expects;
- ``mask:<Element>``: grey, 255 where the element is seen (nearer figures cut farther ones): every
  character in frame, every prop, and the location (whatever no character or prop covers).
``meta``: ``elements`` (the mask names), ``figures`` (name -> its box in pixels).
"""

from __future__ import annotations

import json
import math

import numpy as np

from backends.base import Result, TaskRun

from ._compose import Cast
from ._draw import Layer
from ._io import to_uint8, write_png
from ._props import draw_prop
from ._scene import FRAMING, classify, scene_colours
from ._spec import check_keyframe
from ._sprites import quantise
from .staging.timeline import KEY_DURATION, ActorState, frame_states

__all__ = ["KEYPOINTS", "LIMBS", "NEAR_GROUND", "figure_depth", "run_layout"]

NEAR_GROUND = (0.08, 0.45)
"""Depth value of the ground at the horizon and at the bottom row (0 far .. 1 near)."""
KEYPOINTS = ("nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist", "r_hip",
             "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear")
"""OpenPose's COCO-18 keypoints, in its order."""
LIMBS = ((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
         (1, 0), (0, 14), (14, 16), (0, 15), (15, 17))
"""OpenPose's limbs (pairs of keypoint indices), in the order its colours are given."""
COLOURS = ((255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
           (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
           (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85))
"""OpenPose's keypoint colours; limb ``i`` is drawn in ``COLOURS[i]`` at 60 %."""


def figure_depth(distance: float) -> float:
    """Depth value (0 far .. 1 near) of a figure ``distance`` metres from the camera (``Actor.depth``)."""
    return float(min(1.0, max(0.2, 1.6 / (distance + 1.0))))


def run_layout(task: TaskRun) -> Result:
    spec = check_keyframe(task.id, task.params, task.files)
    from .keyframe import layout_json, staging_for

    scene = classify(spec.location, spec.setting)
    colours = scene_colours(scene, spec.location, spec.palette)
    staging = staging_for(spec, scene, colours)
    w, h = spec.width, spec.height
    horizon = FRAMING[spec.shot_type][0] * h
    cast = Cast(staging, look="flat", seed=spec.seed, stage_h=h, interior=scene.interior)
    _, states = frame_states(staging, KEY_DURATION / 2, round(KEY_DURATION / 2 * 24), duration=KEY_DURATION, fps=24,
                             seed=spec.seed, px=1.0 / h, still=True)
    rows = np.arange(h, dtype=np.float32)[:, None] + np.float32(0.5)
    ground = np.clip((rows - horizon) / max(1.0, h - horizon), 0.0, 1.0)
    depth = np.where(rows < horizon, np.float32(0.0), NEAR_GROUND[0] + (NEAR_GROUND[1] - NEAR_GROUND[0]) * ground)
    depth = np.broadcast_to(depth, (h, w)).astype(np.float32)
    labels = np.where(rows < horizon, 0, 1).astype(np.int32) * np.ones((1, w), np.int32)
    masks: dict[str, np.ndarray] = {}
    by_name = {p.name: p for p in spec.props}
    label = 2
    for prop in staging.props:  # 1 props, on the ground, behind the figures
        layer = Layer(h, w)
        draw_prop(layer, by_name[prop.name], prop.cx * w, prop.base * h, prop.size * h)
        cover = layer.alpha >= 0.5
        value = NEAR_GROUND[0] + (NEAR_GROUND[1] - NEAR_GROUND[0]) * min(1.0, max(0.0, (prop.base * h - horizon)
                                                                                    / max(1.0, h - horizon)))
        depth = np.where(cover, np.float32(value), depth)
        labels[cover] = label
        label += 1
        _cut(masks, cover)
        masks[prop.name] = cover
    lines = np.zeros((h, w), bool)
    boxes: dict[str, list[int]] = {}
    for st in states:  # 2 figures, farthest first
        cover, inner, box = _figure(cast, st, w, h)
        if st.actor.name:
            boxes[st.actor.name] = box
        depth = np.where(cover, np.float32(figure_depth(st.actor.depth)), depth)
        labels[cover] = label
        label += 1
        lines &= ~cover
        lines |= inner & cover
        _cut(masks, cover)
        if st.actor.name:
            masks[st.actor.name] = masks.get(st.actor.name, np.zeros((h, w), bool)) | cover
    if spec.location is not None:
        taken = np.zeros((h, w), bool)
        for m in masks.values():
            taken |= m
        masks = {spec.location.name: ~taken, **masks}
    edges = _outlines(labels) | lines
    pose = _skeletons(cast, states, w, h)
    # 3 write
    out = task.workdir
    (out / "layout.json").write_text(json.dumps(layout_json(spec, scene, staging, None), sort_keys=True,
                                                separators=(",", ":")), encoding="utf-8")
    outputs = {"layout": out / "layout.json", "depth": write_png(out / "depth.png", to_uint8(depth)),
               "pose": write_png(out / "pose.png", pose),
               "edges": write_png(out / "edges.png", np.where(edges, np.uint8(255), np.uint8(0)))}
    for n, (name, mask) in enumerate(sorted(masks.items())):
        outputs[f"mask:{name}"] = write_png(out / f"mask{n}.png", np.where(mask, np.uint8(255), np.uint8(0)))
    task.report(1, 1)
    return Result(outputs=outputs, meta={"elements": sorted(masks), "figures": boxes})


def _cut(masks: dict[str, np.ndarray], cover: np.ndarray) -> None:
    """What ``cover`` hides is no longer seen of the elements behind it."""
    for name in masks:
        masks[name] = masks[name] & ~cover


def _figure(cast: Cast, st: ActorState, w: int, h: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(where the figure covers the frame, the lines inside it, its box [x0, y0, x1, y1])."""
    alpha = np.zeros((h, w), np.float32)
    rgb = np.zeros((h, w, 3), np.uint8)
    ax, ay = st.x * w, st.ground * h
    seen = (-ax - 16, -ay - 16, w - ax + 16, h - ay + 16)
    for p in cast.placed(st, 1.0, (ax, ay), seen):
        ix, qx = quantise(p.x)
        iy, qy = quantise(p.y)
        s = p.sprite.shifted(qx, qy)
        x, y = ix + s.dx, iy + s.dy
        sh, sw = s.alpha.shape
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + sw, w), min(y + sh, h)
        if x0 >= x1 or y0 >= y1:
            continue
        a = s.alpha[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32) / np.float32(255.0)
        region = alpha[y0:y1, x0:x1]
        region += a * (np.float32(1.0) - region)
        s.blit(rgb, x, y)
    cover = alpha >= 0.5
    luma = rgb.astype(np.int32) @ np.array([77, 150, 29], np.int32) >> 8
    inner = np.zeros((h, w), bool)
    inner[:, 1:] |= np.abs(np.diff(luma, axis=1)) > 24
    inner[1:, :] |= np.abs(np.diff(luma, axis=0)) > 24
    ys, xs = np.nonzero(cover)
    box = [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1] if len(xs) else [0, 0, 0, 0]
    return cover, inner, box


def _outlines(labels: np.ndarray) -> np.ndarray:
    """Pixels where the region changes to the right or below (one pixel wide lines)."""
    edge = np.zeros(labels.shape, bool)
    edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edge[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return edge


def keypoints(cast: Cast, st: ActorState, w: int, h: int) -> list[tuple[float, float] | None]:
    """The figure's COCO-18 keypoints in pixels (None: not seen), from the skeleton the keyframe draws.

    The lead side (the one the figure faces) is the person's left when facing right or the camera,
    their right when facing left; seen from behind, the other way round."""
    b = cast._body(st, 1.0, st.x * w, st.ground * h)
    j = b.joints
    left_is_lead = (b.facing > 0) != st.back
    side = {"l": "lead" if left_is_lead else "rear", "r": "rear" if left_is_lead else "lead"}
    pts: list[tuple[float, float] | None] = []
    u = b.u
    hx, hy = j["head"]
    front = not st.back
    toward = b.facing * min(1.0, st.turn)  # how far the face is turned to the side it faces
    for name in KEYPOINTS:
        if name == "neck":
            pts.append(j["neck"])
        elif name == "nose":
            pts.append((hx + 0.03 * u * toward, hy + 0.01 * u) if front else None)
        elif name in ("r_eye", "l_eye", "r_ear", "l_ear"):
            s, part = name.split("_")
            # screen offset: the person's right is on screen left when they face the camera
            sign = -1.0 if s == "r" else 1.0
            sign = sign if left_is_lead == (b.facing > 0) else -sign
            far = 0.025 if part == "eye" else 0.055
            x = hx + sign * far * u * math.cos(toward * math.pi / 3) + 0.02 * u * toward
            hidden = front is False or (abs(toward) > 0.7 and sign * toward < 0)
            pts.append(None if hidden else (x, hy - (0.012 if part == "eye" else 0.0) * u))
        else:
            s, joint = name.split("_")
            key = {"shoulder": "shoulder", "elbow": "elbow", "wrist": "wrist", "hip": "hip", "knee": "knee",
                   "ankle": "ankle"}[joint]
            pts.append(j[f"{side[s]}_{key}"])
    return pts


def _skeletons(cast: Cast, states: list[ActorState], w: int, h: int) -> np.ndarray:
    layer = Layer(h, w, opaque=True)
    from . import _draw

    for st in states:
        if not st.actor.name:
            continue
        pts = keypoints(cast, st, w, h)
        width = max(1.5, 0.012 * st.actor.unit * h)
        for i, (a, b) in enumerate(LIMBS):
            pa, pb = pts[a], pts[b]
            if pa is None or pb is None:
                continue
            colour = tuple(0.6 * c / 255.0 for c in COLOURS[i])
            _draw.capsule(layer, pa[0], pa[1], pb[0], pb[1], width, colour, soft=1.0)  # type: ignore[arg-type]
        for i, p in enumerate(pts):
            if p is not None:
                r = max(2.0, 1.3 * width)
                _draw.ellipse(layer, p[0], p[1], r, r, tuple(c / 255.0 for c in COLOURS[i]), soft=1.0)  # type: ignore[arg-type]
    return np.ascontiguousarray(to_uint8(layer.rgb).transpose(1, 2, 0))
