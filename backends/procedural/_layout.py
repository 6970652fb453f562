"""Where figures and props go for each shot type.

- establishing / wide: small full figures spread along the ground line, props between them;
- medium: waist-up figures side by side (their legs fall below the frame);
- close_up / extreme_close_up: the first character's face, large and centred;
- over_the_shoulder: the first character's blurred back of head in the foreground, the second
  character facing the camera (a neutral stranger stands in when there is only one);
- pov / insert: no figures; props are the subject (insert: the first prop fills the frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._figures import Figure, head_to_ground
from ._spec import Element

STRANGER = Figure(
    name="",
    body="coat",
    head="round",
    hair="short",
    height=1.0,
    girth=1.0,
    eyes=1.0,
    skin=(0.55, 0.5, 0.48),
    main=(0.3, 0.3, 0.34),
    hair_colour=(0.16, 0.14, 0.13),
    legs=(0.2, 0.2, 0.22),
)
"""A neutral person whose back we see in an over-the-shoulder shot of one character."""

DEPTH_BLUR = {
    "medium": 0.0025,
    "close_up": 0.007,
    "extreme_close_up": 0.011,
    "over_the_shoulder": 0.005,
    "insert": 0.008,
}
"""Backdrop blur radius per shot type, as a fraction of the frame height (depth of field)."""


@dataclass(frozen=True)
class FigurePlace:
    figure: Figure
    hx: float
    hy: float
    unit: float
    facing: float = 0.0
    back: bool = False
    soft: float = 1.0
    shade: float = 1.0


@dataclass(frozen=True)
class PropPlace:
    element: Element
    cx: float
    base: float
    size: float


@dataclass(frozen=True)
class Layout:
    figures: tuple[FigurePlace, ...]
    props: tuple[PropPlace, ...]
    focus: tuple[float, float]
    """The point of interest as fractions of the frame (a dolly moves toward it)."""


def _spread(n: int, gap: float) -> list[float]:
    return [0.5 + (i - (n - 1) / 2) * gap for i in range(n)]


def _facing(x: float, xs: Sequence[float]) -> float:
    centre = sum(xs) / len(xs)
    return max(-1.0, min(1.0, (centre - x) * 4.0))


def layout(shot: str, figures: Sequence[Figure], props: Sequence[Element], w: int, h: int, ground: float) -> Layout:
    """Place figures and props for ``shot``; ``ground`` is the ground line's row in pixels."""
    if shot in ("establishing", "wide"):
        return _on_ground(figures, props, w, h, ground, 0.15 if shot == "establishing" else 0.4)
    if shot == "medium":
        return _medium(figures, props, w, h)
    if shot in ("close_up", "extreme_close_up"):
        if not figures:
            return _props_only(shot, props, w, h)
        fig = figures[0]
        big = shot == "extreme_close_up"
        unit = (5.2 if big else 3.0) * h / fig.height
        hy = (0.42 if big else 0.44) * h
        return Layout((FigurePlace(fig, w / 2, hy, unit),), (), (0.5, hy / h))
    if shot == "over_the_shoulder":
        return _over_shoulder(figures, w, h)
    return _props_only(shot, props, w, h)


def _on_ground(
    figures: Sequence[Figure], props: Sequence[Element], w: int, h: int, ground: float, size: float
) -> Layout:
    n = len(figures)
    xs = [(i + 1) / (n + 1) for i in range(n)]
    unit = size * h * (min(1.0, 4.0 / n) if n else 1.0)
    placed = tuple(
        FigurePlace(f, x * w, ground - head_to_ground(f, unit), unit, _facing(x, xs)) for f, x in zip(figures, xs)
    )
    m = len(props)
    prop_places = tuple(
        PropPlace(
            p,
            w * (0.08 + 0.84 * (j + 0.5) / m + 0.5 / (n + 2) * (0.5 if j % 2 else -0.5)),
            ground + h * 0.02,
            unit * 0.28,
        )
        for j, p in enumerate(props)
    )
    focus_y = (ground - 0.45 * unit) / h
    return Layout(placed, prop_places, (0.5, min(0.85, max(0.15, focus_y))))


def _medium(figures: Sequence[Figure], props: Sequence[Element], w: int, h: int) -> Layout:
    n = len(figures)
    unit = 1.35 * h * min(1.0, 3.0 / max(n, 1))
    xs = _spread(n, min(0.36, 0.9 / max(n, 1)))
    placed = tuple(
        FigurePlace(f, x * w, 0.33 * h - (f.height - 1.0) * unit * 0.89, unit, _facing(x, xs) if n > 1 else 0.0)
        for f, x in zip(figures, xs)
    )
    prop_places = tuple(PropPlace(p, w * (0.88 - 0.12 * j), h * 1.02, h * 0.22) for j, p in enumerate(props[:2]))
    return Layout(placed, prop_places, (0.5, 0.36))


def _over_shoulder(figures: Sequence[Figure], w: int, h: int) -> Layout:
    if not figures:
        return Layout((), (), (0.5, 0.5))
    back, front = (figures[0], figures[1]) if len(figures) > 1 else (STRANGER, figures[0])
    front_place = FigurePlace(front, 0.64 * w, 0.34 * h, 1.3 * h / front.height, facing=-0.7)
    back_place = FigurePlace(back, 0.2 * w, 0.6 * h, 2.3 * h / back.height, back=True, soft=0.03 * h, shade=0.6)
    return Layout((front_place, back_place), (), (0.64, 0.34))


def _props_only(shot: str, props: Sequence[Element], w: int, h: int) -> Layout:
    if not props:
        return Layout((), (), (0.5, 0.5))
    if shot == "insert":
        hero = PropPlace(props[0], w / 2, 0.86 * h, 0.55 * h)
        rest = tuple(
            PropPlace(p, w * (0.12 if j % 2 == 0 else 0.88), 0.9 * h, 0.2 * h) for j, p in enumerate(props[1:3])
        )
        return Layout((), (hero, *rest), (0.5, 0.58))
    m = len(props)
    places = tuple(PropPlace(p, w * (j + 1) / (m + 1), 0.9 * h, 0.22 * h) for j, p in enumerate(props))
    return Layout((), places, (0.5, 0.7))
