"""Hand-off to the rest of the pipeline: the film's timeline for editors (``otio``), the printable
storyboard (``pdf``) and scene-linear masters (``exr``). Each module is one backend; their libraries
come with the ``export`` extra and are imported only when a task runs (see README.md)."""

from __future__ import annotations

__all__: list[str] = []
