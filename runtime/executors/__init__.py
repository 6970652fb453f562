"""Executors: one interface (``base.TaskExecutor``), two implementations.

- ``Executor`` (``local.py``): threads on this machine; model tasks one at a time in the
  schedule's order through the model manager, CPU tasks beside them;
- ``RayExecutor`` (``ray_executor.py``): CPU tasks as Ray tasks, each model in a Ray actor, on a
  local Ray instance or a cluster (the ``ray`` extra; imported only when chosen).

Both render through ``base.run_batch``, so they give the same bytes for the same keys.
"""

from __future__ import annotations

from .base import TASK_THREADS, ExecutorUnavailable, Outcome, Reporter, TaskExecutor
from .local import Executor

__all__ = ["TASK_THREADS", "Executor", "ExecutorUnavailable", "Outcome", "Reporter", "TaskExecutor"]
