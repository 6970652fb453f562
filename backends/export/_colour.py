"""sRGB pictures -> ACEScg (scene-linear, AP1 primaries) half floats, the same bytes on every CPU.

The transform is OpenColorIO's, from its built-in ACES config ``CONFIG`` (pinned by name, so a new
OpenColorIO cannot move it): ``sRGB - Texture`` -> ``ACEScg`` is the sRGB curve (an exponent with a
linear segment) followed by 3x3 matrices. OpenColorIO's CPU processor computes in float32 with
whatever SIMD the machine has, and its last bits may differ from one CPU to another, which would
flip half-float roundings and change the masters' bytes. So the transforms are read from
OpenColorIO and applied here: the curve as a table over the 65,536 16-bit codes the decoder gives,
the matrices composed in float64 and applied with plain multiply-adds, float64 -> float32 ->
float16 with round-to-nearest-even at each step. Agreement with OpenColorIO's own processor is
tested (within float32 precision).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from backends.base import BackendError

__all__ = ["CONFIG", "SOURCE", "TARGET", "Conversion", "conversion"]

CONFIG = "cg-config-v2.1.0_aces-v1.3_ocio-v2.3"
SOURCE = "sRGB - Texture"
TARGET = "ACEScg"
AP1_CHROMATICITIES = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)
"""ACEScg's primaries and white point (red x, y, green x, y, blue x, y, white x, y)."""


@dataclass(frozen=True)
class Conversion:
    curve: np.ndarray
    """Linear value of each 16-bit code (65,536 float64)."""
    matrix: tuple[tuple[float, float, float], ...]
    """Linear Rec.709 -> AP1, rows of output channels."""

    def apply(self, codes: np.ndarray) -> np.ndarray:
        """``codes``: (height, width, 3) uint16 sRGB; returns (height, width, 3) float16 ACEScg."""
        r, g, b = (self.curve[codes[..., c]] for c in range(3))
        out = np.empty(codes.shape, np.float16)
        mixed = np.empty(codes.shape[:2], np.float64)
        term = np.empty_like(mixed)
        for c, (mr, mg, mb) in enumerate(self.matrix):  # (r mr + g mg) + b mb, each step rounded (no fusing)
            np.multiply(r, mr, out=mixed)
            mixed += np.multiply(g, mg, out=term)
            mixed += np.multiply(b, mb, out=term)
            out[..., c] = mixed.astype(np.float32)
        return out


def _ocio() -> Any:
    try:
        import PyOpenColorIO
    except ImportError as exc:
        raise BackendError("EXR masters need OpenColorIO: pip install 'studio[export]'") from exc
    return PyOpenColorIO


def _matrix(transform: Any) -> list[list[float]]:
    values = list(transform.getMatrix())
    if any(transform.getOffset()) or values[12:15] != [0.0, 0.0, 0.0] or values[3::4][:3] != [0.0, 0.0, 0.0]:
        raise BackendError(f"OpenColorIO {CONFIG}: {SOURCE} -> {TARGET} has an unexpected matrix offset")
    return [values[0:3], values[4:7], values[8:11]]


def _product(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


@cache
def conversion() -> Conversion:
    """The pinned config's sRGB -> ACEScg transform as a curve table and one matrix."""
    ocio = _ocio()
    try:
        config = ocio.Config.CreateFromBuiltinConfig(CONFIG)
        group = config.getProcessor(SOURCE, TARGET).createGroupTransform()
    except Exception as exc:  # OpenColorIO raises its own Exception type
        raise BackendError(f"OpenColorIO cannot give {SOURCE} -> {TARGET} from {CONFIG} ({exc}); "
                           "OpenColorIO 2.3 or newer is needed") from None
    curve: np.ndarray | None = None
    matrix = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    forward = ocio.TransformDirection.TRANSFORM_DIR_FORWARD
    for transform in group:
        if isinstance(transform, ocio.ExponentWithLinearTransform) and curve is None \
                and transform.getDirection() == forward:
            gamma, offset = float(transform.getGamma()[0]), float(transform.getOffset()[0])
            curve = _decode(np.arange(65536, dtype=np.float64) / 65535.0, gamma, offset)
        elif isinstance(transform, ocio.MatrixTransform) and curve is not None \
                and transform.getDirection() == forward:
            matrix = _product(_matrix(transform), matrix)
        else:
            raise BackendError(f"OpenColorIO {CONFIG}: {SOURCE} -> {TARGET} holds an unexpected "
                               f"{type(transform).__name__}")
    if curve is None:
        raise BackendError(f"OpenColorIO {CONFIG}: {SOURCE} -> {TARGET} has no sRGB curve")
    return Conversion(curve, tuple((row[0], row[1], row[2]) for row in matrix))


def _decode(x: np.ndarray, gamma: float, offset: float) -> np.ndarray:
    """OpenColorIO's ``ExponentWithLinearTransform`` (moncurve) forward: the power law above the
    point where its tangent passes through zero, that tangent below."""
    knee = offset / (gamma - 1.0)
    slope = ((knee + offset) / (1.0 + offset)) ** gamma / knee
    return np.where(x > knee, ((x + offset) / (1.0 + offset)) ** gamma, x * slope)
