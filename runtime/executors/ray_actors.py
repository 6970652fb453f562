"""The driver's side of model actors: one Ray actor per model, placed with the model's resources.

- An actor is created when its model's first task is ready, asking for the model's ``num_gpus``
  (unset: one GPU for the AI backends when the cluster has GPUs) and its ``vram_gb`` as Ray
  ``memory``; it loads the model once and serves every task of that model, one call at a time.
- When the last task of its model has finished (or been skipped), the actor unloads the model and
  goes, freeing its GPU for the next model: the schedule's grouping holds across the cluster, and
  loads equal the lower bound unless something forces more.
- What forces more: an actor that cannot be placed because idle actors (waiting for inputs) hold
  the resources it needs. The least recently used idle one then makes room, as the local model
  manager evicts under its memory budget; its model loads again when its tasks are ready.
- A model that no node of the cluster could ever hold fails its tasks at once on a Ray instance
  studio started itself (E609); on a cluster that may grow (an autoscaler) it is a warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..tasks import Task
from .ray_worker import ModelActor, WorkerContext

__all__ = ["ModelPool"]

AI_BACKENDS = frozenset({"diffusers", "transformers"})
"""Backends whose models run on a GPU when there is one (the ``ai`` extra)."""

_DEPTH = 2
"""Calls an actor holds at once: the one it runs and the next, so it never waits for the driver."""

_PENDING_GRACE = 2.0
"""Seconds an actor may take to start before the pool concludes that it waits for resources."""


@dataclass
class _Actor:
    identity: str
    name: str
    handle: Any
    ready: Any
    demand: dict[str, float]
    created: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    calls: int = 0
    """Calls sent and not yet answered (the actor runs them one after another)."""
    placed: bool = False


class ModelPool:
    def __init__(self, ray: Any, ctx: WorkerContext, fixed_cluster: bool, warn: Callable[[str, str], None]) -> None:
        self.ray = ray
        self.ctx = ctx
        self.fixed_cluster = fixed_cluster
        self.warn = warn
        self.actors: dict[str, list[_Actor]] = {}
        self.created = 0
        self.evicted = 0
        self._cls = ray.remote(ModelActor)
        resources = ray.cluster_resources()
        self._gpus = float(resources.get("GPU", 0.0))
        self._nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
        self._warned: set[str] = set()

    # --- resources -------------------------------------------------------------------------------
    def demand(self, task: Task) -> dict[str, float]:
        assert task.model is not None
        config = task.model["config"]
        gpus = config.get("num_gpus")
        if gpus is None:
            gpus = 1.0 if task.backend in AI_BACKENDS and self._gpus > 0 else 0.0
        demand = {"GPU": float(gpus)} if gpus else {}
        if task.vram_gb > 0:
            demand["memory"] = float(task.vram_gb) * 2**30
        return demand

    def infeasible(self, task: Task) -> str | None:
        """Why no node of the cluster can ever hold this model, or None."""
        demand = self.demand(task)
        if any(all(node.get(k, 0.0) >= v for k, v in demand.items()) for node in self._nodes):
            return None
        assert task.model is not None
        asked = ", ".join(f"{v / 2**30:.1f} GiB memory" if k == "memory" else f"{v:g} {k}" for k, v in demand.items())
        return f"model '{task.model['name']}' asks for {asked}; no node of the Ray cluster has that much"

    # --- actors ----------------------------------------------------------------------------------
    def idle_actor(self, task: Task) -> _Actor | None:
        """An actor of ``task``'s model that can take a call now: an idle one; a new one when the model
        has none, or beside the busy ones when the model runs on GPUs and one is free (several GPUs
        render one model's shots side by side); else one with a single call in hand, so that the next
        call waits in the actor rather than a round trip away. None: wait for an answer."""
        assert task.model is not None
        identity = task.model["identity"]
        actors = self.actors.setdefault(identity, [])
        for actor in actors:
            if actor.calls == 0:
                return actor
        if not actors or self._room_for_another(actors[0]):
            return self._create(task, actors)
        return min((a for a in actors if a.calls < _DEPTH), key=lambda a: a.calls, default=None)

    def _create(self, task: Task, actors: list[_Actor]) -> _Actor:
        assert task.model is not None
        demand = self.demand(task)
        options: dict[str, Any] = {"num_cpus": 0, "num_gpus": demand.get("GPU", 0.0), "max_restarts": 3,
                                   "max_task_retries": 3}
        if "memory" in demand:
            options["memory"] = int(demand["memory"])
        handle = self._cls.options(**options).remote(self.ctx, task.backend, task.model["config"])
        actor = _Actor(task.model["identity"], task.model["name"], handle, handle.__ray_ready__.remote(), demand)
        actors.append(actor)
        self.created += 1
        return actor

    def _room_for_another(self, like: _Actor) -> bool:
        if not like.demand.get("GPU"):
            return False  # CPU models: one actor, as the local executor runs one model task at a time
        if any(not a.placed for group in self.actors.values() for a in group):
            return False  # someone already waits for resources
        available = self.ray.available_resources()
        return all(available.get(k, 0.0) >= v for k, v in like.demand.items())

    def submit(self, actor: _Actor, batch: list[Task], records: dict[str, Any], sink: Any) -> Any:
        actor.calls += 1
        return actor.handle.run.options(name=f"studio:{batch[0].id}").remote(batch, records, sink)

    def done(self, actor: _Actor) -> None:
        actor.calls -= 1
        actor.last_used = time.monotonic()

    def retire(self, identity: str) -> None:
        """The model has no more tasks: unload it and let its actors go."""
        for actor in self.actors.pop(identity, []):
            self._end(actor)

    def _end(self, actor: _Actor) -> None:
        try:
            if actor.placed:
                self.ray.get(actor.handle.close.remote(), timeout=30)
        except Exception:  # noqa: BLE001 - a dead or stuck actor is killed all the same
            pass
        self.ray.kill(actor.handle, no_restart=True)

    def make_room(self) -> None:
        """Evict the least recently used idle actor if another waits for the resources it holds."""
        now = time.monotonic()
        everyone = [a for group in self.actors.values() for a in group]
        waiting = []
        for actor in everyone:
            if not actor.placed:
                ready, _ = self.ray.wait([actor.ready], timeout=0)
                actor.placed = bool(ready)
                if not actor.placed and now - actor.created > _PENDING_GRACE:
                    waiting.append(actor)
        if not waiting:
            return
        idle = sorted((a for a in everyone if a.placed and a.calls == 0), key=lambda a: a.last_used)
        available = self.ray.available_resources()
        for actor in waiting:
            if all(available.get(k, 0.0) >= v for k, v in actor.demand.items()):
                continue  # it will start: the resources are free
            if len(self.actors.get(actor.identity, ())) > 1:
                continue  # a second actor of a model that has one: nobody makes room for it
            if idle:
                victim = idle.pop(0)
                self.actors[victim.identity].remove(victim)
                self._end(victim)
                self.evicted += 1
                return
            if actor.identity not in self._warned and now - actor.created > 30:
                self._warned.add(actor.identity)
                self.warn("W609", f"model '{actor.name}' waits for resources ({actor.demand}); the cluster has "
                                  f"{available} free")

    def close(self) -> None:
        for group in self.actors.values():
            for actor in group:
                self._end(actor)
        self.actors.clear()

    def kill_all(self) -> None:
        """Ctrl-C: no goodbyes."""
        for group in self.actors.values():
            for actor in group:
                self.ray.kill(actor.handle, no_restart=True)
        self.actors.clear()
