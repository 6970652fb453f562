"""Canonical bytes and digests: the only way anything enters a cache key.

JSON with sorted keys, no whitespace, UTF-8, and numbers normalised so that ``3`` and ``3.0``
are the same value. Anything that is not plain data is refused, so that nothing
machine-specific (paths, objects, times) can leak into a key by accident.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

__all__ = ["canonical_bytes", "digest", "normalise"]


def normalise(value: Any) -> Any:
    """Plain data with floats that are whole numbers turned into ints."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite number in a key: {value!r}")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"key {k!r} is not a string")
            out[k] = normalise(v)
        return out
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    raise TypeError(f"{type(value).__name__} cannot enter a cache key")


def canonical_bytes(value: Any) -> bytes:
    """Canonical JSON of ``value``. Free-form user data (model params) must be ``normalise``d first;
    everything else is built from typed fields, so ``3`` and ``3.0`` cannot both occur for one field."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def digest(value: Any) -> str:
    """SHA-256 hex digest of the canonical bytes of ``value``."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()
