"""Sine and cosine of degrees from + - * / and floor alone (Python floats, IEEE 754 doubles).

``math.sin`` comes from the platform's C library, whose last bits differ between systems; joint
positions feed pixels, so poses use this polynomial instead (error below 1e-9).
"""

from __future__ import annotations

import math

_RAD = math.pi / 180.0


def _sin_small(x: float) -> float:
    """sin(x) for |x| <= pi/2 (radians): Taylor series to x**13."""
    x2 = x * x
    term, total = x, x
    for k in (2, 4, 6, 8, 10, 12):
        term = -term * x2 / (k * (k + 1))
        total += term
    return total


def sin_deg(degrees: float) -> float:
    x = degrees - 360.0 * math.floor((degrees + 180.0) / 360.0)  # [-180, 180)
    if x > 90.0:
        x = 180.0 - x
    elif x < -90.0:
        x = -180.0 - x
    return _sin_small(x * _RAD)


def cos_deg(degrees: float) -> float:
    return sin_deg(degrees + 90.0)


def turn(degrees: float) -> tuple[float, float]:
    """The unit vector ``degrees`` from straight down toward +x: (sin, cos) (y grows downward)."""
    return sin_deg(degrees), cos_deg(degrees)
