"""Keyframes: a backdrop from the location, props, figures placed by shot type, a look.

In: a keyframe ``TaskRun`` (see backends/README.md). Out: ``image`` (RGB PNG, width x height)
and, unless a caption is drawn, ``background`` (RGB) and ``foreground`` (RGBA, figures only)
for parallax in motion. ``meta`` carries ``focus`` (the point of interest as fractions of the
frame; a dolly moves toward it) and the names of the drawn figures.

Steps: 1 check the parameters and resolve colours, 2 classify the location and lay out the
shot, 3 paint the backdrop and props, 4 draw the figures, 5 apply the look, 6 lay the drawing over
the starting picture (``start``, image-to-image) at its strength, 7 caption, 8 write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backends.base import Result, TaskRun

from . import _figures
from ._backdrop import render_backdrop
from ._draw import Layer
from ._io import interleave, read_fitted, to_uint8, write_png
from ._layout import DEPTH_BLUR, layout
from ._looks import apply_look
from ._noise import box_blur
from ._props import draw_prop
from ._scene import FRAMING, classify, scene_colours
from ._spec import KeyframeSpec, check_keyframe
from ._text import caption, card


@dataclass(frozen=True)
class Keyframe:
    image: np.ndarray
    """uint8 ``(h, w, 3)``."""
    background: np.ndarray | None
    """uint8 ``(h, w, 3)``: backdrop and props; None when a caption was drawn."""
    foreground: np.ndarray | None
    """uint8 ``(h, w, 4)`` straight alpha: figures only; None when a caption was drawn."""
    meta: dict[str, Any] = field(default_factory=dict)


def run_keyframe(task: TaskRun, look: str) -> Result:
    spec = check_keyframe(task.id, task.params, task.files)
    frame = render_keyframe(spec, look)
    task.report(1, 1)
    outputs = {"image": write_png(task.workdir / "image.png", frame.image)}
    if frame.background is not None and frame.foreground is not None:
        outputs["background"] = write_png(task.workdir / "background.png", frame.background)
        outputs["foreground"] = write_png(task.workdir / "foreground.png", frame.foreground)
    return Result(outputs=outputs, meta=frame.meta)


def over_start(spec: KeyframeSpec, bg: np.ndarray, fg_rgb: np.ndarray, fg_alpha: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image-to-image, procedurally: the drawing laid over the starting picture at ``strength``.

    The backdrop becomes a cross-fade from the picture to the drawn backdrop, and the figures'
    (premultiplied) layer fades with it, so the layers still compose to the image (motion's
    parallax needs that): strength 0 gives the picture itself, 1 the drawing alone."""
    assert spec.start is not None
    s = np.float32(spec.strength)
    picture = read_fitted(spec.start, spec.width, spec.height, "the starting image")
    picture_planar = picture.transpose(2, 0, 1).astype(np.float32) / np.float32(255.0)
    return picture_planar * (np.float32(1.0) - s) + bg * s, fg_rgb * s, fg_alpha * s


def render_keyframe(spec: KeyframeSpec, look: str) -> Keyframe:
    w, h = spec.width, spec.height
    if spec.card is not None:  # a title card: text, no scene, no figures, no layers
        image = card(w, h, spec.card, spec.palette)
        return Keyframe(image, None, None, {"look": look, "shot_type": spec.shot_type, "card": True, "figures": [],
                                            "focus": [0.5, 0.5], "layers": False})
    scene = classify(spec.location, spec.time)
    colours = scene_colours(scene, spec.location, spec.palette)
    horizon, ground = (f * h for f in FRAMING[spec.shot_type])
    figures = [_figures.figure_for(e) for e in spec.characters]
    plan = layout(spec.shot_type, figures, spec.props, w, h, ground)

    back = Layer(h, w, opaque=True)
    back.rgb = render_backdrop(scene, colours, w, h, horizon, ground)
    if spec.shot_type in DEPTH_BLUR:
        back.rgb = box_blur(back.rgb, round(DEPTH_BLUR[spec.shot_type] * h))
    for prop in plan.props:
        draw_prop(back, prop.element, prop.cx, prop.base, prop.size)

    front = Layer(h, w)
    for f in plan.figures:
        _figures.draw(front, f.figure, f.hx, f.hy, f.unit, facing=f.facing, back=f.back, soft=f.soft, shade=f.shade)

    bg, fg_rgb, fg_alpha = apply_look(look, back.rgb, front.rgb, front.alpha, spec.seed)
    if spec.start is not None:
        bg, fg_rgb, fg_alpha = over_start(spec, bg, fg_rgb, fg_alpha)
    image = interleave(to_uint8(fg_rgb + bg * (1.0 - fg_alpha)))
    meta: dict[str, Any] = {
        "look": look,
        "shot_type": spec.shot_type,
        "scene": "interior" if scene.interior else "exterior",
        "features": sorted(scene.features),
        "figures": [f.figure.name for f in plan.figures if f.figure.name],
        "focus": [round(plan.focus[0], 4), round(plan.focus[1], 4)],
        "colors": {e.name: e.color_source for e in (*spec.characters, *spec.props)},
    }
    if spec.caption and spec.action.strip():
        meta["layers"] = False
        return Keyframe(caption(image, spec.action), None, None, meta)
    if spec.start is not None:
        meta["start_strength"] = spec.strength
    meta["layers"] = True
    straight = fg_rgb / np.maximum(fg_alpha, np.float32(1e-6))
    foreground = interleave(np.concatenate([to_uint8(straight), to_uint8(fg_alpha)[None]]))
    foreground[foreground[..., 3] == 0] = 0
    return Keyframe(image, interleave(to_uint8(bg)), foreground, meta)
