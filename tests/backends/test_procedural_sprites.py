"""Sprites laid at quarter pixels: ``lay`` (the sprite plus a patch of the pixels a shift changes)
gives the bytes of the shifted copy laid over the frame, clipped or not, in every phase."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from backends.procedural._draw import Layer, box, ellipse
from backends.procedural._sprites import QUANT, Sprite, from_layer


def _same_as_the_shifted_copy(sprite: Sprite, frame: np.ndarray, places: list[tuple[int, int]]) -> None:
    for (qx, qy), (x, y) in itertools.product(itertools.product(range(QUANT), repeat=2), places):
        want, got = frame.copy(), frame.copy()
        sprite.shifted(qx, qy).blit(want, x, y)
        sprite.lay(got, x, y, qx, qy)
        assert np.array_equal(want, got), (qx, qy, x, y)


def test_random_sprites_lay_as_their_shifted_copies() -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        h, w = (int(v) for v in rng.integers(0, 9, 2))
        # faint alphas (1, 2) vanish under some shifts: the sprite laid first must not leave them
        alpha = rng.choice(np.array([0, 0, 1, 2, 30, 128, 255, 255, 255], np.uint8), size=(h, w))
        colour = rng.integers(0, 256, (h, w, 3)) if rng.random() < 0.5 else np.array([40, 90, 200])
        rgb = (colour * alpha[..., None].astype(np.int64) // 255).astype(np.uint8)
        frame = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
        _same_as_the_shifted_copy(Sprite(rgb, alpha, 0, 0), frame, [(1, 1), (-3, -2), (5, 4), (-9, 0), (9, 7)])


@pytest.mark.parametrize("soft", [1.0, 6.0])
def test_a_drawn_figure_lays_as_its_shifted_copy_inside_and_across_the_frame_edges(soft: float) -> None:
    layer = Layer(60, 50)
    ellipse(layer, 25, 20, 14, 16, (0.9, 0.7, 0.6), soft=soft)
    box(layer, 10, 30, 40, 58, (0.2, 0.4, 0.8), radius=4, soft=soft)
    ellipse(layer, 20, 18, 3, 2, (0.1, 0.1, 0.1), soft=1.0, opacity=0.6)
    sprite = from_layer(layer.rgb, layer.alpha, 0, 0)
    frame = np.random.default_rng(3).integers(0, 256, (72, 64, 3), dtype=np.uint8)
    inside, left, right, top, bottom = (6, 0), (-20, 5), (30, 10), (5, -15), (5, 40)
    corners = [(-20, -15), (40, 30), (-49, 10), (0, -59), (63, 71)]
    _same_as_the_shifted_copy(sprite, frame, [inside, left, right, top, bottom, *corners])
    _same_as_the_shifted_copy(sprite.ycbcr(), frame, [(3, -4), (30, 20)])
