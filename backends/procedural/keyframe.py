"""Keyframes: a backdrop from the scene, props, the staged figures, a look.

In: a keyframe ``TaskRun`` (see backends/README.md). Out: ``image`` (RGB PNG, width x height),
``background`` (RGB: the backdrop and props without figures, what motion moves the camera over)
and ``layout`` (JSON: the staging, ``staging.layout.Staging``, with the look and seed, from which
motion draws the figures in every frame, and from which pose or depth pictures can be made).
``meta`` carries ``focus`` (the point of interest as fractions of the frame; a dolly moves toward
it), the drawn figures, each one's verbs and colour sources, the scene and its cutting.

Steps: 1 check the parameters and resolve colours, 2 read the scene (heading and location) and
the action (verbs, blocking) and stage the shot, 3 take the painted backdrop from the ``backdrop``
input (a ``backdrop`` task's, ``backdrop.py``; painted here when there is none: the same floats, so
the same bytes either way) and draw the props, 4 apply the look, 5 lay the backdrop over the
starting picture (``start``, image-to-image) at its strength, 6 draw the figures as they are in the
middle of the shot, 7 caption, 8 write.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from backends.base import BackendError, Result, TaskRun

from ._compose import Cast, fade, place
from ._draw import Layer, polygon
from ._io import interleave, read_fitted, to_uint8, write_png
from ._looks import backdrop_look
from ._palette import RGB, mix, scale
from ._props import draw_prop
from ._scene import FRAMING, Scene, classify, scene_colours
from ._spec import KeyframeSpec, check_keyframe
from ._text import caption, card
from .backdrop import painted, read_backdrop
from .staging.figure import figure_for
from .staging.layout import Staging, stage
from .staging.lexicon import read_action
from .staging.timeline import KEY_DURATION, frame_states

LAYOUT_VERSION = 1


@dataclass(frozen=True)
class Keyframe:
    image: np.ndarray
    """uint8 ``(h, w, 3)``."""
    background: np.ndarray | None
    """uint8 ``(h, w, 3)``: backdrop and props (None for a title card)."""
    layout: dict[str, Any] | None
    """What motion animates (None for a title card: motion moves its flat picture)."""
    meta: dict[str, Any] = field(default_factory=dict)


def run_keyframe(task: TaskRun, look: str) -> Result:
    spec = check_keyframe(task.id, task.params, task.files)
    given = task.inputs.get("backdrop")
    plate = None
    if given is not None and spec.card is None:
        path = given.outputs.get("backdrop")
        if path is None:
            raise BackendError(f"{task.id}: the backdrop input has no 'backdrop' output")
        plate = read_backdrop(Path(path), spec.width, spec.height, f"{task.id}: the backdrop {Path(path).name}")
    frame = render_keyframe(spec, look, plate)
    task.report(1, 1)
    if frame.layout is None or frame.background is None:
        return Result(outputs={"image": write_png(task.workdir / "image.png", frame.image)}, meta=frame.meta)
    layout = task.workdir / "layout.json"
    layout.write_text(json.dumps(frame.layout, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    with ThreadPoolExecutor(max_workers=1) as pool:  # zlib releases the GIL: the two PNGs compress at once
        background = pool.submit(write_png, task.workdir / "background.png", frame.background, level=1)
        image = write_png(task.workdir / "image.png", frame.image)
        return Result(outputs={"image": image, "background": background.result(), "layout": layout},
                      meta=frame.meta)


def staging_for(spec: KeyframeSpec, scene: Scene, colours: dict[str, Any]) -> Staging:
    """Who stands where and does what in this shot (pure data)."""
    figures = [figure_for(e) for e in spec.characters]
    names = [f.name for f in figures]
    props = [p.name for p in spec.props]
    directions = read_action(spec.action, names, props)
    seat = colours["furniture"] if scene.interior else colours["rock"]
    staged = stage(spec.shot_type, figures, props, aspect=spec.width / spec.height, ground=FRAMING[spec.shot_type][1],
                   speakers=spec.speakers, directions=directions, blocking=spec.blocking, light=scene.light,
                   seat=seat, cover=scale(seat, 0.95))
    staged = replace(staged, opacity=spec.strength if spec.start is not None else 1.0)
    return Staging.from_json(staged.to_json())  # exactly what motion will read back


def layout_json(spec: KeyframeSpec, scene: Scene, staging: Staging, look: str | None) -> dict[str, Any]:
    """The ``layout`` output: what the keyframe and the layout task (``control``) both write."""
    return {"version": LAYOUT_VERSION, "look": look, "seed": spec.seed, "interior": scene.interior,
            "size": [spec.width, spec.height], "staging": staging.to_json()}


def backdrop(spec: KeyframeSpec, scene: Scene, colours: dict[str, Any], staging: Staging, look: str,
             plate: np.ndarray | None = None) -> np.ndarray:
    """The backdrop with its props, in the look, over the starting picture: uint8 RGB. ``plate`` is the
    painted backdrop (planar float32, written over: a backdrop task's, read back); None paints it."""
    w, h = spec.width, spec.height
    back = Layer(h, w, opaque=True)
    back.rgb = plate if plate is not None else painted(spec, scene, colours)
    if staging.ledge is not None:
        _ledge(back, staging.ledge, staging.seat, w, h)
    by_name = {p.name: p for p in spec.props}
    for prop in staging.props:
        draw_prop(back, by_name[prop.name], prop.cx * w, prop.base * h, prop.size * h)
    bg = backdrop_look(look, back.rgb, spec.seed)
    if spec.start is not None:  # image-to-image: the drawn backdrop over the picture at ``strength``
        s = np.float32(spec.strength)
        picture = read_fitted(spec.start, w, h, "the starting image").transpose(2, 0, 1).astype(np.float32)
        bg = picture / np.float32(255.0) * (np.float32(1.0) - s) + bg * s
    return interleave(to_uint8(bg))


def _ledge(layer: Layer, ledge: tuple[float, float, float], colour: RGB, w: int, h: int) -> None:
    """The rock (or step) leapers stand on: a slab from the frame's side to its edge, a lit top, a
    face that falls away below the edge."""
    x0, edge, top = ledge[0] * w, ledge[1] * w, ledge[2] * h
    lean = 0.04 * w * (1.0 if edge > x0 else -1.0)  # the face slopes back under the edge
    polygon(layer, [(x0, top), (edge, top), (edge - lean, h + 4.0), (x0, h + 4.0)], scale(colour, 0.9), soft=1.5)
    polygon(layer, [(edge, top), (edge - lean, h + 4.0), (edge - 1.6 * lean, h + 4.0), (edge - 0.3 * lean, top)],
            scale(colour, 0.7), soft=1.5)
    polygon(layer, [(x0, top - 0.006 * h), (edge, top - 0.006 * h), (edge, top + 0.012 * h), (x0, top + 0.012 * h)],
            mix(colour, (1.0, 1.0, 1.0), 0.25), soft=1.0)


def render_keyframe(spec: KeyframeSpec, look: str, plate: np.ndarray | None = None) -> Keyframe:
    """The keyframe; ``plate`` is its painted backdrop when a backdrop task made it (else painted here)."""
    w, h = spec.width, spec.height
    if spec.card is not None:  # a title card: text on a plain ground; no scene, no figures, no layout
        image = card(w, h, spec.card, spec.palette)
        return Keyframe(image, None, None, {"look": look, "shot_type": spec.shot_type, "card": True, "figures": [],
                                            "focus": [0.5, 0.5], "layers": False})
    scene = classify(spec.location, spec.setting)
    colours = scene_colours(scene, spec.location, spec.palette)
    staging = staging_for(spec, scene, colours)
    plate = backdrop(spec, scene, colours, staging, look, plate)
    image = plate.copy()
    cast = Cast(staging, look=look, seed=spec.seed, stage_h=h, interior=scene.interior)
    _, states = frame_states(staging, KEY_DURATION / 2, round(KEY_DURATION / 2 * 24), duration=KEY_DURATION, fps=24,
                             seed=spec.seed, px=1.0 / h, still=True)
    for st in states:
        ax, ay = st.x * w, st.ground * h
        seen = (-ax - 16, -ay - 16, w - ax + 16, h - ay + 16)  # draw only what the frame shows
        for p in cast.placed(st, 1.0, (ax, ay), seen):
            place(image, p)
    image = fade(plate, image, staging.opacity)  # over a starting picture: the figures at its strength
    layout = layout_json(spec, scene, staging, look)
    setup = staging.setups[0]
    meta: dict[str, Any] = {
        "look": look,
        "shot_type": spec.shot_type,
        "scene": "interior" if scene.interior else "exterior",
        "time": scene.time,
        "features": sorted(scene.features),
        "figures": [a.name for a in setup.actors if a.name],
        "cutting": staging.cutting,
        "setups": [s.speaker for s in staging.setups],
        "verbs": {a.name: list(a.direction.verbs) for s in staging.setups for a in s.actors if a.name},
        "moves": [[round(a.move.x0, 4), round(a.move.g0 - a.unit / 2, 4), round(a.move.x1, 4),
                   round(a.move.g1 - a.unit / 2, 4)] for a in setup.actors if a.move is not None],
        "focus": [round(setup.focus[0], 4), round(setup.focus[1], 4)],
        "ledge": [round(v, 4) for v in staging.ledge] if staging.ledge else None,
        "colors": {**{f.name: f.figure.source for s in staging.setups for f in s.actors if f.name},
                   **{e.name: e.color_source for e in spec.props}},
        "layers": True,
    }
    if spec.start is not None:
        meta["start_strength"] = spec.strength
    if spec.caption and spec.action.strip():
        image = caption(image, spec.action)
    return Keyframe(image, plate, layout, meta)
