"""Figures on frames: the staged actors' states drawn as cached sprites over a background.

``Cast`` turns each ``ActorState`` into placed sprites: the lower body, the upper body (raised by
breathing, swayed, leaning in while speaking), the talking mouth and blinking eyelids over it, and
a cover in front. A part is drawn once per pose, size and facing (``_figures``, then the look) and
then only moved, so a shot of a few hundred frames draws a handful of pictures. The speaker's
parts are brightened a little (``HIGHLIGHT``) as they speak.

Colour: a cast draws in RGB (keyframes) or, with ``space="ycbcr"``, hands out its sprites converted to
BT.709 Y'CbCr (motion, which encodes Y'CbCr as it is: ``backends.ffmpeg.ycbcr``). Parts are drawn and
brightened in RGB either way; each sprite is converted once, when it is first placed.

Sizes: ``scale`` is output pixels per stage (keyframe) pixel. A camera with one zoom for the whole
shot draws sprites at that scale; a zoom or dolly draws them at the stage's own size, on the
backdrop, and motion resamples the two together.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ._draw import Layer
from ._figures import Look, draw_blink, draw_cover, draw_lower, draw_mouth, draw_upper, head_radii
from ._looks import figure_look, padding
from ._sprites import QUANT, Sprite, from_layer, quantise
from .staging.layout import Staging
from .staging.skeleton import Body, body
from .staging.timeline import ActorState

__all__ = ["HIGHLIGHT", "QUANT", "SPACES", "Cast", "Placed", "fade", "place"]

SPACES = ("rgb", "ycbcr")
"""The colours a cast's placed sprites come in."""

HIGHLIGHT = (0.09, 0.07, 0.03)
"""Colour gain of a speaker at full voice (red, green, blue): a warm brightening."""
_MARGIN = 0.22
"""Room around the joints for heads, hair, hands and feet, in standing heights."""


@dataclass(frozen=True)
class Placed:
    sprite: Sprite
    x: float
    y: float
    """Where the sprite's anchor falls, in output pixels (continuous)."""


Clip = tuple[float, float, float, float]
"""x0, y0, x1, y1 relative to an anchor, in output pixels: what of a sprite can ever be seen."""


class Cast:
    """Sprites of a staged shot's figures, drawn once per pose and size and kept."""

    def __init__(self, staging: Staging, *, look: str, seed: int, stage_h: int, interior: bool,
                 space: str = "rgb") -> None:
        if space not in SPACES:
            raise ValueError(f"unknown colour space {space!r}")
        self.staging, self.look, self.seed, self.stage_h, self.interior = staging, look, seed, stage_h, interior
        self.space = space
        self.cache: dict[tuple[object, ...], Sprite] = {}

    # --- drawing one part -------------------------------------------------------------------
    def _body(self, st: ActorState, scale: float, x: float = 0.0, y: float = 0.0) -> Body:
        unit = st.actor.scale * self.stage_h * scale
        return body(st.actor.figure, st.pose, x, y, unit, st.facing)

    def _render(self, st: ActorState, scale: float, part: str, clip: Clip | None, extra: object = None) -> Sprite:
        a = st.actor
        frame_h = max(1, round(self.stage_h * scale))
        soft = max(1.0, a.soft * frame_h)
        look = Look(light=self.staging.light, shade=a.shade, soft=soft, turn=round(min(st.turn, 1.0) * 8) / 8)
        probe = self._body(st, scale)
        xs = [p[0] for p in probe.joints.values()]
        ys = [p[1] for p in probe.joints.values()]
        pad = _MARGIN * probe.u + soft + padding(self.look, frame_h)
        if part == "cover":
            xs += [xs[0] - 0.6 * probe.u, xs[0] + 0.6 * probe.u]
        x0, y0, x1, y1 = min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad
        if clip is not None:
            x0, y0, x1, y1 = max(x0, clip[0]), max(y0, clip[1]), min(x1, clip[2]), min(y1, clip[3])
        ox, oy = math.floor(x0), math.floor(y0)
        w, h = max(0, math.ceil(x1) - ox), max(0, math.ceil(y1) - oy)
        if w == 0 or h == 0:
            return Sprite(np.zeros((0, 0, 3), np.uint8), np.zeros((0, 0), np.uint8), 0, 0)
        layer = Layer(h, w)
        b = self._body(st, scale, -ox, -oy)
        fig = a.figure
        if part == "lower":
            draw_lower(layer, fig, st.pose, b, look, self.staging.seat)
        elif part == "upper":
            draw_upper(layer, fig, st.pose, b, look, st.back)
        elif part == "cover":
            draw_cover(layer, st.pose, b, look, self.staging.cover, self.interior)
        elif part == "mouth":
            draw_mouth(layer, fig, b, look, int(extra))  # type: ignore[call-overload]
        else:  # blink
            closed, lid = typing.cast(tuple[bool, tuple[float, float, float]], extra)
            draw_blink(layer, fig, b, look, closed, lid)
        if self.look == "flat":  # the look is the drawing: only what was painted can show
            y0_, y1_, x0_, x1_ = layer.drawn or (0, 0, 0, 0)
            return from_layer(layer.rgb[:, y0_:y1_, x0_:x1_], layer.alpha[y0_:y1_, x0_:x1_], ox + x0_, oy + y0_)
        rgb, alpha = figure_look(self.look, layer.rgb, layer.alpha, self.seed, frame_h, (ox, oy))
        return from_layer(rgb, alpha, ox, oy)  # opaque: a starting picture's strength fades whole figures (``fade``)

    def part(self, st: ActorState, scale: float, part: str, clip: Clip | None, extra: object = None) -> Sprite:
        key = (part, st.actor.name, st.pose, st.facing, st.back, round(st.turn * 8), round(scale, 5), extra,
               st.actor.soft, st.actor.shade, st.actor.scale, clip)
        sprite = self.cache.get(key)
        if sprite is None:
            sprite = self.cache[key] = self._render(st, scale, part, clip, extra)
        return sprite

    def _lid(self, st: ActorState, scale: float, clip: Clip | None) -> tuple[float, float, float]:
        """The colour of the skin above the eyes, read back from the drawn head (so lids match any look)."""
        upper = self.part(st, scale, "upper", clip)
        b = self._body(st, scale)
        rx, ry = head_radii(st.actor.figure, b.u)
        x, y = b.at("head", 0.0, -0.05 * ry / b.u, "head")
        px, py = math.floor(x) - upper.dx, math.floor(y) - upper.dy
        if 0 <= py < upper.alpha.shape[0] and 0 <= px < upper.alpha.shape[1] and upper.alpha[py, px] > 0:
            a = float(upper.alpha[py, px])
            return tuple(min(1.0, float(c) / a) for c in upper.rgb[py, px])  # type: ignore[return-value]
        return self.staging.light[0] * st.actor.figure.skin[0], self.staging.light[1] * st.actor.figure.skin[1], \
            self.staging.light[2] * st.actor.figure.skin[2]

    # --- one actor's placed parts -----------------------------------------------------------
    def placed(self, st: ActorState, scale: float, anchor: tuple[float, float], clip: Clip | None) -> Iterator[Placed]:
        """The actor's sprites and where their anchors fall (output pixels), back to front."""
        ax, ay = anchor
        px = self.stage_h * scale  # output pixels per frame height
        ux = ax + (st.sway + st.lean) * st.facing * px
        uy = ay - st.breathe * px
        gain = round(st.speak * 3) / 3
        for part, (x, y) in (("lower", (ax, ay)), ("upper", (ux, uy))):
            sprite = self.part(st, scale, part, clip)
            if gain:
                key = ("bright", part, id(sprite), gain)
                bright = self.cache.get(key)
                if bright is None:
                    bright = self.cache[key] = sprite.brighter(tuple(1.0 + g * gain for g in HIGHLIGHT))  # type: ignore[arg-type]
                sprite = bright
            yield self._placed(sprite, x, y)
        if not st.back:
            if st.mouth:
                yield self._placed(self.part(st, scale, "mouth", clip, st.mouth), ux, uy)
            if st.blink and st.pose.eyes != "closed":
                lid = self._lid(st, scale, clip)
                yield self._placed(self.part(st, scale, "blink", clip, (st.blink == 2, lid)), ux, uy)
        if st.pose.cover:
            yield self._placed(self.part(st, scale, "cover", clip), ax, ay)

    def _placed(self, sprite: Sprite, x: float, y: float) -> Placed:
        return Placed(sprite.ycbcr() if self.space == "ycbcr" else sprite, x, y)


def place(frame: np.ndarray, p: Placed) -> None:
    """Lay a sprite at its quarter-pixel place."""
    ix, qx = quantise(p.x)
    iy, qy = quantise(p.y)
    p.sprite.lay(frame, ix + p.sprite.dx, iy + p.sprite.dy, qx, qy)


def fade(under: np.ndarray, drawn: np.ndarray, opacity: float) -> np.ndarray:
    """``drawn`` (``under`` with figures laid on it) at ``opacity`` over ``under``: uint8, integer weights.

    Figures over a starting picture (``Staging.opacity``, its strength) are faded as a whole, after
    every part is laid: fading each part (lower body, upper body, cover) on its own made the parts'
    overlaps more opaque than the rest (0.75 where the strength said 0.5)."""
    k = min(256, max(0, math.floor(opacity * 256 + 0.5)))
    if k == 256:
        return drawn
    mixed = under.astype(np.uint16) * np.uint16(256 - k) + drawn.astype(np.uint16) * np.uint16(k) + np.uint16(128)
    return (mixed >> 8).astype(np.uint8)
