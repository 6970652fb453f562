"""Schedule: a topological order of the tasks to run that loads each model as few times as it can.

Loading a diffusion model costs seconds to minutes, so the order matters more than anything
else the runtime does. The scheduler simulates a model cache under the ``vram_gb`` budget:

1. tasks without a model (ffmpeg, storyboard) run as soon as they are ready;
2. otherwise a ready task of a resident model runs, the most recently used model first, so a
   loaded model keeps working while it has ready work;
3. otherwise a model is loaded: preferring one all of whose remaining tasks are ready (it will
   never be needed again), then the one with the most ready tasks; if it does not fit the budget,
   resident models without remaining work are evicted first, then the least recently used.

The lower bound is the number of distinct models among the tasks; with an unlimited budget, or
whenever the DAG lets every model's tasks run in one residency, the count meets it.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Schedule", "schedule"]

Item = tuple[str, "str | None", float, "Sequence[str]"]
"""(task id, model identity or None, model memory estimate, ids of input tasks still to run)."""


@dataclass(frozen=True)
class Schedule:
    order: tuple[str, ...]
    loads: int
    lower_bound: int


def schedule(items: Sequence[Item], budget: float | None) -> Schedule:
    position = {item[0]: i for i, item in enumerate(items)}
    model_of = {item[0]: item[1] for item in items}
    size = {item[1]: item[2] for item in items if item[1] is not None}
    waiting = {item[0]: sum(1 for d in item[3] if d in position) for item in items}
    users: dict[str, list[str]] = {}
    for item in items:
        for dep in item[3]:
            if dep in position:
                users.setdefault(dep, []).append(item[0])
    remaining: dict[str, int] = {}
    for model in model_of.values():
        if model is not None:
            remaining[model] = remaining.get(model, 0) + 1

    ready_free: list[tuple[int, str]] = []  # heaps ordered by document position
    ready: dict[str, list[tuple[int, str]]] = {}  # model -> heap of its ready tasks

    def make_ready(tid: str) -> None:
        model = model_of[tid]
        heapq.heappush(ready_free if model is None else ready.setdefault(model, []), (position[tid], tid))

    for item in items:
        if waiting[item[0]] == 0:
            make_ready(item[0])

    resident: OrderedDict[str, float] = OrderedDict()  # model -> size, least recently used first
    order: list[str] = []
    loads = 0

    def finish(tid: str) -> None:
        order.append(tid)
        model = model_of[tid]
        if model is not None:
            remaining[model] -= 1
        for user in users.get(tid, ()):
            waiting[user] -= 1
            if waiting[user] == 0:
                make_ready(user)

    while len(order) < len(items):
        if ready_free:
            finish(heapq.heappop(ready_free)[1])
            continue
        model = next((m for m in reversed(resident) if ready.get(m)), None)
        if model is None:
            model = _choose(ready, remaining)
            if model is None:
                raise ValueError("the task graph has a cycle")
            _make_room(resident, size[model], budget, remaining)
            resident[model] = size[model]
            loads += 1
        resident.move_to_end(model)
        finish(heapq.heappop(ready[model])[1])
    lower_bound = len(size)
    return Schedule(tuple(order), loads, lower_bound)


def _choose(ready: dict[str, list[tuple[int, str]]], remaining: dict[str, int]) -> str | None:
    candidates = [m for m, tasks in ready.items() if tasks]
    if not candidates:
        return None

    def rank(m: str) -> tuple[int, int, int]:
        complete = len(ready[m]) >= remaining[m]
        return (0 if complete else 1, -len(ready[m]), ready[m][0][0])

    return min(candidates, key=rank)


def _make_room(resident: OrderedDict[str, float], need: float, budget: float | None,
               remaining: dict[str, int]) -> None:
    if budget is None:
        return
    while resident and sum(resident.values()) + need > budget:
        idle = [m for m in resident if remaining[m] == 0]
        victim = idle[0] if idle else next(iter(resident))
        del resident[victim]
