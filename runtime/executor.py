"""Moved to ``runtime.executors`` (``local`` and ``ray``); these names stay importable from here."""

from __future__ import annotations

from .executors.base import TASK_THREADS, Outcome, Reporter
from .executors.local import Executor

__all__ = ["TASK_THREADS", "Executor", "Outcome", "Reporter"]
