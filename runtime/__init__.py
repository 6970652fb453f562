"""The runtime: the ``studio`` command line now; the executor and the store next. See README.md."""

from __future__ import annotations

__all__: list[str] = []
