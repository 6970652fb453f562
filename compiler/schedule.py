"""Schedule: a topological order of the tasks to run that loads each model as few times as it can.

Loading a diffusion model costs seconds to minutes, so the order matters more than anything
else the runtime does. The scheduler simulates a model cache under the ``vram_gb`` budget:

1. tasks without a model (ffmpeg, storyboard) run as soon as they are ready;
2. otherwise a ready task of a resident model runs, the most recently used model first, so a
   loaded model keeps working while it has ready work;
3. otherwise a model is loaded: preferring one all of whose remaining tasks are ready (it will
   never be needed again), then the one with the most ready tasks; if it does not fit the budget,
   resident models without remaining work are evicted first, then the least recently used.

A task may also use other models besides its own (``uses``: a gated keyframe's embed model): when
it runs, each of them that is not resident is loaded after its own model (counted like any load),
and none of the task's models is evicted to make room for another of them (over the budget rather
than thrashing, as the runtime's model manager does). They are moved to the most recently used end
after the task's own model, exactly as the manager holds them.

The lower bound is the number of distinct models among the tasks (used ones included); with an
unlimited budget, or whenever the DAG lets every model's tasks run in one residency, the count meets it.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Schedule", "schedule"]

Item = tuple[str, "str | None", float, "Sequence[str]"]
"""(task id, model identity or None, model memory estimate, ids of input tasks still to run)."""


@dataclass(frozen=True)
class Schedule:
    order: tuple[str, ...]
    loads: int
    lower_bound: int


def schedule(items: Sequence[Item], budget: float | None,
             uses: Mapping[str, Sequence[tuple[str, float]]] | None = None) -> Schedule:
    """``uses``: task id -> (identity, memory estimate) of each other model the task uses, in the order
    the runtime acquires them."""
    uses = uses or {}
    position = {item[0]: i for i, item in enumerate(items)}
    model_of = {item[0]: item[1] for item in items}
    size = {item[1]: item[2] for item in items if item[1] is not None}
    for tid, used in uses.items():
        if tid in position:
            size.update({m: sz for m, sz in used if m not in size})
    waiting = {item[0]: sum(1 for d in item[3] if d in position) for item in items}
    users: dict[str, list[str]] = {}
    for item in items:
        for dep in item[3]:
            if dep in position:
                users.setdefault(dep, []).append(item[0])
    remaining: dict[str, int] = {}
    for tid, model in model_of.items():
        for m in ([model] if model is not None else []) + [u for u, _ in uses.get(tid, ())]:
            remaining[m] = remaining.get(m, 0) + 1

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
        for m in ([model] if model is not None else []) + [u for u, _ in uses.get(tid, ())]:
            remaining[m] -= 1
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
        tid = heapq.heappop(ready[model])[1]
        needed = [model, *(u for u, _ in uses.get(tid, ()) if u != model)]
        for m in needed:
            if m not in resident:
                _make_room(resident, size[m], budget, remaining, set(needed))
                resident[m] = size[m]
                loads += 1
            resident.move_to_end(m)
        finish(tid)
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
               remaining: dict[str, int], keep: set[str]) -> None:
    if budget is None or need <= 0:  # a model that takes nothing (a CPU backend's) needs no room, frees none
        return
    while sum(resident.values()) + need > budget:
        free = [m for m in resident if m not in keep and resident[m] > 0]
        if not free:
            return  # the task's own models: over the budget rather than evict what it needs
        idle = [m for m in free if remaining[m] == 0]
        del resident[idle[0] if idle else free[0]]
