"""The compiler: validate, resolve and plan a project. See compiler/README.md."""

from __future__ import annotations

from .pipeline import Compilation, compile_project
from .plan import Plan, TaskId, TaskSpec
from .schedule import Schedule

__all__ = ["Compilation", "Plan", "Schedule", "TaskId", "TaskSpec", "compile_project"]
