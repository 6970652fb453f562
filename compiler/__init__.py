"""The compiler: validate, resolve and plan a project. See compiler/README.md.

Names are imported lazily so that light modules (``compiler.timing``, ``compiler.schedule``,
``compiler.settle``) can be used by a no-op build without importing pydantic or jinja2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import Compilation, compile_project, compile_source
    from .plan import Plan, TaskId, TaskSpec
    from .schedule import Schedule

__all__ = ["Compilation", "Plan", "Schedule", "TaskId", "TaskSpec", "compile_project", "compile_source"]

_WHERE = {"Compilation": "pipeline", "compile_project": "pipeline", "compile_source": "pipeline", "Plan": "plan",
          "TaskId": "plan", "TaskSpec": "plan", "Schedule": "schedule"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(name)
