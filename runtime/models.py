"""The model manager: backends load models through it, and it decides what stays resident.

Models stay loaded while the ``vram_gb`` budget allows; loading one that does not fit evicts models
that no running task holds: first those with no task left to run (``remaining``, which the executor
keeps), then the least recently used, the rule the schedule assumed when it counted loads. Every
load is counted for the report, beside the lower bound (distinct models among the tasks that ran).
A task that uses other models besides its own (a gated keyframe's embed model) holds them all
(``hold``): none of them is evicted to make room for another, as the schedule assumed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

__all__ = ["ModelManager"]


@dataclass
class _Resident:
    backend: ModuleType
    handle: Any
    size: float
    users: int = 0


@dataclass
class ModelManager:
    budget: float | None
    """GB available for resident models; None is unlimited."""
    load_backend: Callable[[str], ModuleType]
    loads: int = 0
    load_seconds: float = 0.0
    distinct: set[str] = field(default_factory=set)
    remaining: dict[str, int] = field(default_factory=dict)
    """Model identity -> tasks of the current build still to run (the executor keeps it); a model
    missing here has none."""
    _resident: OrderedDict[str, _Resident] = field(default_factory=OrderedDict)
    _lock: threading.Condition = field(default_factory=lambda: threading.Condition(threading.RLock()))
    _loading: set[str] = field(default_factory=set)

    @contextmanager
    def use(self, identity: str, backend_name: str, config: dict[str, Any], size: float,
            keep: frozenset[str] = frozenset()) -> Iterator[Any]:
        """The loaded handle of a model, held for the duration of the ``with`` block; loading it evicts
        none of ``keep`` (the other models of the same task)."""
        import time

        with self._lock:
            self.distinct.add(identity)
            while identity in self._loading:  # another thread is loading it: wait for that load
                self._lock.wait()
            entry = self._resident.get(identity)
            if entry is None:
                self._loading.add(identity)
        if entry is None:
            try:
                backend = self.load_backend(backend_name)
                with self._lock:
                    self._make_room(size, keep)
                start = time.perf_counter()
                handle = backend.load(config)
                elapsed = time.perf_counter() - start
                measure = getattr(backend, "memory_gb", None)
                if measure is not None:  # what the model really takes, once loaded
                    size = float(measure(handle) or size)
            except BaseException:
                with self._lock:
                    self._loading.discard(identity)
                    self._lock.notify_all()
                raise
            with self._lock:
                entry = _Resident(backend, handle, size)
                self._resident[identity] = entry
                self.loads += 1
                self.load_seconds += elapsed
                self._loading.discard(identity)
                self._lock.notify_all()
        with self._lock:
            entry.users += 1
            self._resident.move_to_end(identity)
        try:
            yield entry.handle
        finally:
            with self._lock:
                entry.users -= 1
                self._lock.notify_all()

    @contextmanager
    def hold(self, models: Sequence[tuple[str, str, dict[str, Any], float]]) -> Iterator[list[Any]]:
        """The handles of several models (identity, backend, config, size), in this order, held together
        for the duration of the ``with`` block."""
        keep = frozenset(identity for identity, _, _, _ in models)
        with ExitStack() as stack:
            yield [stack.enter_context(self.use(identity, backend, config, size, keep))
                   for identity, backend, config, size in models]

    def _make_room(self, need: float, keep: frozenset[str] = frozenset()) -> None:
        if self.budget is None or need <= 0:  # a model that takes nothing (a CPU backend's) needs no room
            return
        while self._resident and sum(e.size for e in self._resident.values()) + need > self.budget:
            # least recently used first; a model that takes nothing (a CPU backend's) frees nothing, so it stays
            idle = [k for k, e in self._resident.items() if e.users == 0 and e.size > 0 and k not in keep]
            if not idle:
                return  # everything is in use: over budget rather than deadlock
            spent = [k for k in idle if self.remaining.get(k, 0) <= 0]
            self._unload((spent or idle)[0])

    def _unload(self, identity: str) -> None:
        entry = self._resident.pop(identity)
        unload = getattr(entry.backend, "unload", None)
        if unload is not None:
            unload(entry.handle)

    def close(self) -> None:
        with self._lock:
            for identity in list(self._resident):
                self._unload(identity)
