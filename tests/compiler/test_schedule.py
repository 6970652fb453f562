from __future__ import annotations

import types
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from hypothesis import given
from hypothesis import strategies as st

from compiler.plan import Plan
from compiler.schedule import Item, schedule
from runtime.models import ModelManager
from tests.compiler.helpers import compile_text


def alternating(shots: int, budget: str) -> str:
    lines = ["studio: 1", "project:", "  title: Alternating", f"  vram_gb: {budget}" if budget else "",
             "models:",
             "  a: {backend: procedural, kind: image, vram_gb: 6, params: {look: flat}}",
             "  b: {backend: procedural, kind: image, vram_gb: 6, params: {look: sketch}}",
             "  v: {backend: procedural, kind: video, vram_gb: 5, params: {look: paint}}",
             "scenes:", "  - id: s", "    models: {video: v}", "    shots:"]
    for i in range(shots):
        lines.append(f"      - {{id: x{i}, duration: 1, models: {{image: {'a' if i % 2 else 'b'}}}}}")
    return "\n".join(lines) + "\n"


def replay(items: Sequence[Item], order: Sequence[str], budget: float | None) -> int:
    """Model loads when ``order`` runs through the runtime's model manager, which is told, as the
    executor tells it, how many tasks each model has left."""
    backend = cast(types.ModuleType, types.SimpleNamespace(load=lambda config: config, unload=lambda handle: None))
    manager = ModelManager(budget, lambda name: backend)
    by_id = {item[0]: item for item in items}
    for item in items:
        if item[1] is not None:
            manager.remaining[item[1]] = manager.remaining.get(item[1], 0) + 1
    for tid in order:
        _, model, size, _ = by_id[tid]
        if model is not None:
            with manager.use(model, "stand-in", {}, size):
                manager.remaining[model] -= 1
    return manager.loads


def plan_items(plan: Plan) -> list[Item]:
    return [(t.id, t.model.identity if t.model else None, t.model.vram_gb if t.model else 0.0,
             list(t.inputs.values())) for t in plan.tasks.values()]


def test_alternating_models_under_a_tight_budget_load_each_once(tmp_path: Path) -> None:
    result = compile_text(tmp_path, alternating(12, "8"))
    assert result.plan is not None, result.diagnostics
    s = result.plan.schedule
    assert s.lower_bound == 3
    assert s.loads == s.lower_bound
    items = plan_items(result.plan)
    assert replay(items, s.order, 8) == s.loads  # the count is what the model manager really does
    document = replay(items, list(result.plan.tasks), 8)  # the plan's tasks, in document order
    assert document == 24  # a, v, b, v, ...: under a budget that fits one model, every model task loads


def test_unlimited_budget(tmp_path: Path) -> None:
    result = compile_text(tmp_path, alternating(6, ""))
    assert result.plan is not None
    assert result.plan.schedule.loads == result.plan.schedule.lower_bound == 3


def test_dag_that_forces_reloads() -> None:
    # a1 -> b1 -> a2: model A must be loaded twice under a budget that fits one model.
    items = [("a1", "A", 5.0, []), ("b1", "B", 5.0, ["a1"]), ("a2", "A", 5.0, ["b1"])]
    s = schedule(items, 6)
    assert s.order == ("a1", "b1", "a2") and s.loads == 3 and s.lower_bound == 2
    assert schedule(items, None).loads == 2


@st.composite
def dags(draw: st.DrawFn) -> list[tuple[str, str | None, float, list[str]]]:
    n = draw(st.integers(1, 25))
    items = []
    for i in range(n):
        deps = draw(st.lists(st.integers(0, max(i - 1, 0)), max_size=3, unique=True)) if i else []
        model = draw(st.sampled_from([None, "A", "B", "C"]))
        items.append((f"t{i}", model, {"A": 4.0, "B": 3.0, "C": 2.0}.get(model or "", 0.0), [f"t{d}" for d in deps]))
    return items


@given(dags(), st.sampled_from([None, 4.0, 5.0, 6.0, 7.0, 9.0]))
def test_schedule_is_topological_and_loads_at_least_bound(items, budget) -> None:
    s = schedule(items, budget)
    done: set[str] = set()
    deps = {i[0]: i[3] for i in items}
    for tid in s.order:
        assert all(d in done for d in deps[tid])
        done.add(tid)
    assert done == {i[0] for i in items}
    assert s.loads >= s.lower_bound == len({i[1] for i in items if i[1]})
    assert replay(items, s.order, budget) == s.loads  # the loads it promises are the loads a build does
    if budget is None:
        assert s.loads == s.lower_bound


def replay_with_uses(items: Sequence[Item], uses: dict[str, list[tuple[str, float]]], order: Sequence[str],
                     budget: float | None) -> int:
    """``replay`` for tasks that also use other models: the manager holds all of a task's models at once,
    its own first, as the local executor asks it to."""
    backend = cast(types.ModuleType, types.SimpleNamespace(load=lambda config: config, unload=lambda handle: None))
    manager = ModelManager(budget, lambda name: backend)
    by_id = {item[0]: item for item in items}

    def models(tid: str) -> list[tuple[str, float]]:
        own = by_id[tid]
        return ([(own[1], own[2])] if own[1] is not None else []) + uses.get(tid, [])

    for item in items:
        for m, _ in models(item[0]):
            manager.remaining[m] = manager.remaining.get(m, 0) + 1
    for tid in order:
        with manager.hold([(m, "stand-in", {}, size) for m, size in models(tid)]):
            for m, _ in models(tid):
                manager.remaining[m] -= 1
    return manager.loads


def test_a_used_model_is_loaded_and_counted_like_any_model() -> None:
    # keyframes of A scored by the embed model E; motion by V after each keyframe
    items: list[Item] = [("k1", "A", 5.0, []), ("m1", "V", 5.0, ["k1"]), ("k2", "A", 5.0, []),
                         ("m2", "V", 5.0, ["k2"])]
    uses = {"k1": [("E", 1.0)], "k2": [("E", 1.0)]}
    free = schedule(items, None, uses)
    assert free.loads == free.lower_bound == 3  # A, E and V once each
    tight = schedule(items, 6, uses)  # A and E together go over it: both kept while a keyframe runs
    assert tight.order == ("k1", "k2", "m1", "m2") and tight.loads == tight.lower_bound == 3
    assert replay_with_uses(items, uses, tight.order, 6) == 3
    # a DAG that forces reloads: k2 waits for m1
    chained: list[Item] = [("k1", "A", 5.0, []), ("m1", "V", 5.0, ["k1"]), ("k2", "A", 5.0, ["m1"])]
    forced = schedule(chained, 6, uses)
    assert forced.loads == 4 and forced.lower_bound == 3  # A, E, V (A evicted, E fits beside V), A again
    assert replay_with_uses(chained, uses, forced.order, 6) == 4
    assert schedule(chained, 5.5, uses).loads == 5  # now V evicts both: A, E, V, A, E
    assert replay_with_uses(chained, uses, forced.order, 5.5) == 5
    assert schedule(chained, 11, uses).loads == 3  # A + E + V fit


@given(dags(), st.sampled_from([None, 4.0, 5.0, 6.0, 7.0, 9.0]), st.data())
def test_loads_with_used_models_are_the_loads_a_build_does(items, budget, data) -> None:
    uses = {item[0]: [("E", 1.5)] for item in items if item[1] in ("A", "B") and data.draw(st.booleans())}
    s = schedule(items, budget, uses)
    assert s.lower_bound == len({i[1] for i in items if i[1]} | ({"E"} if uses else set()))
    assert replay_with_uses(items, uses, s.order, budget) == s.loads >= s.lower_bound
    if budget is None:
        assert s.loads == s.lower_bound
