"""The executor and model manager with small backends that implement the protocol for real."""

from __future__ import annotations

import tempfile
import threading
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backends.base import BackendError, Result, TaskRun
from compiler.schedule import schedule
from runtime.executor import Executor
from runtime.models import ModelManager
from runtime.store import Store
from runtime.tasks import Task
from tests.compiler.helpers import fuzz_tiers
from tests.compiler.test_schedule import dags


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def started(self, task: Task) -> None:
        with self.lock:
            self.events.append(("started", task.id))

    def step(self, task: Task, done: int, total: int) -> None:
        pass

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        with self.lock:
            self.events.append((status, task.id))


def make_backend(name: str, *, concurrent: bool, fail: set[str] = frozenset(),
                 log: list[str] | None = None) -> types.ModuleType:
    module = types.ModuleType(name)
    module.NAME, module.VERSION, module.KINDS, module.CONCURRENT = name, "1", frozenset({"x"}), concurrent
    loaded: list[str] = []

    def load(config: dict[str, Any]) -> str:
        loaded.append(config.get("name", "?"))
        return config.get("name", "tool")

    def run(task: TaskRun, handle: Any) -> Result:
        if log is not None:
            log.append(f"{handle}:{task.id}")
        if task.id in fail:
            raise BackendError(f"{task.id} cannot be drawn")
        text = task.id + "|" + ",".join(sorted(a.outputs["out"].read_text() for a in task.inputs.values()))
        path = task.workdir / "out.txt"
        path.write_text(text)
        return Result({"out": path}, {"len": len(text)})

    module.load, module.unload, module.run, module.loaded = load, lambda h: None, run, loaded
    return module


def task(tid: str, backend: str, model: str | None, inputs: dict[str, str] | None = None, size: float = 1.0) -> Task:
    m = {"name": model, "identity": model, "vram_gb": size, "config": {"name": model}} if model else None
    return Task(tid, "x", backend, f"key-{tid}", m, {}, inputs or {}, {})


def run(tasks: list[Task], backends: dict[str, types.ModuleType], tmp_path: Path, budget: float | None = None,
        jobs: int = 2, recorder: Any = None):
    store = Store(tmp_path / "store")
    by_id = {t.id: t for t in tasks}
    items = [(t.id, t.model_identity, t.model["vram_gb"] if t.model else 0.0, list(t.inputs.values())) for t in tasks]
    order = schedule(items, budget)
    models = ModelManager(budget, backends.__getitem__)
    recorder = recorder if recorder is not None else Recorder()
    executor = Executor(by_id, store, models, backends.__getitem__, recorder, jobs)
    return executor.run(order.order, {}), models, recorder, order


def test_alternating_models_load_once_each_in_schedule_order(tmp_path: Path) -> None:
    log: list[str] = []
    gpu = make_backend("gpu", concurrent=False, log=log)
    tasks = [task(f"k{i}", "gpu", "A" if i % 2 else "B", size=6) for i in range(8)]
    tasks += [task(f"m{i}", "gpu", "V", {"key": f"k{i}"}, size=5) for i in range(8)]
    outcome, models, _, order = run(tasks, {"gpu": gpu}, tmp_path, budget=8)
    assert all(s == "executed" for s in outcome.status.values())
    assert models.loads == order.lower_bound == 3
    handles = [entry.split(":")[0] for entry in log]
    assert handles == sorted(handles, key=lambda h: "BAV".index(h))  # grouped: B..., A..., V...


def test_failure_skips_dependents_and_finishes_independent_branches(tmp_path: Path) -> None:
    cpu = make_backend("cpu", concurrent=True, fail={"a"})
    tasks = [task("a", "cpu", None), task("b", "cpu", None, {"in": "a"}), task("c", "cpu", None, {"in": "b"}),
             task("d", "cpu", None), task("e", "cpu", None, {"in": "d"})]
    outcome, *_ = run(tasks, {"cpu": cpu}, tmp_path)
    assert outcome.status == {"a": "failed", "b": "skipped", "c": "skipped", "d": "executed", "e": "executed"}
    assert outcome.failures == {"a": "a cannot be drawn"}


def test_internal_errors_become_messages(tmp_path: Path) -> None:
    cpu = make_backend("cpu", concurrent=True)
    cpu.run = lambda task, handle: 1 / 0
    outcome, *_ = run([task("a", "cpu", None)], {"cpu": cpu}, tmp_path)
    assert outcome.status["a"] == "failed"
    assert "ZeroDivisionError" in outcome.failures["a"] and "Traceback" in outcome.details["a"]


def test_outputs_flow_to_dependents_and_are_stored(tmp_path: Path) -> None:
    cpu = make_backend("cpu", concurrent=True)
    tasks = [task("a", "cpu", None), task("b", "cpu", None), task("c", "cpu", None, {"x": "a", "y": "b"})]
    outcome, *_ = run(tasks, {"cpu": cpu}, tmp_path)
    store = Store(tmp_path / "store")
    record = store.lookup("key-c")
    assert record is not None and record.meta == {"len": len("c|a|,b|")}
    assert store.object_path(record.outputs["out"]["digest"]).read_text() == "c|a|,b|"


class Gates(Recorder):
    """Each task waits in its backend until the test opens its gate; the executor's own reports
    (started, finished: called on its dispatching thread) say what is running. Nothing waits on the
    clock: a timeout only bounds how long a broken executor takes to fail."""

    def __init__(self) -> None:
        super().__init__()
        self.cond = threading.Condition(self.lock)
        self.opened: set[str] = set()
        self.running: dict[str, int] = {"cpu": 0, "gpu": 0}
        self.most: dict[str, int] = {"cpu": 0, "gpu": 0}
        self.cpu_beside_gpu: list[int] = []

    def started(self, task: Task) -> None:
        with self.cond:
            self.events.append(("started", task.id))
            self.running[task.backend] += 1
            self.most[task.backend] = max(self.most[task.backend], self.running[task.backend])
            self.cond.notify_all()

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        with self.cond:
            self.events.append((status, task.id))
            self.running[task.backend] -= 1
            if task.backend == "gpu":
                self.cpu_beside_gpu.append(self.running["cpu"])
            self.cond.notify_all()

    def wait(self, event: str, *ids: str) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: all((event, i) in self.events for i in ids), timeout=60), \
                (event, ids, self.events)

    def open(self, *ids: str) -> None:
        with self.cond:
            self.opened.update(ids)
            self.cond.notify_all()

    def gate(self, module: types.ModuleType) -> None:
        original = module.run

        def run_(task: TaskRun, handle: Any) -> Result:
            with self.cond:
                assert self.cond.wait_for(lambda: task.id in self.opened, timeout=60), f"{task.id} never let go"
            return original(task, handle)

        module.run = run_


def test_cpu_tasks_overlap_model_work(tmp_path: Path) -> None:
    """c0 and c1 start and stay running; meanwhile the model tasks g0, g1, g2 run one after another.
    Every event the executor handles gives it a chance to start more, so c2 starting before the
    CPU gates open, or two model tasks at once, would show in the counts."""
    gates = Gates()
    cpu, gpu = make_backend("cpu", concurrent=True), make_backend("gpu", concurrent=False)
    gates.gate(cpu)
    gates.gate(gpu)
    tasks = [task(f"c{i}", "cpu", None) for i in range(4)] + [task(f"g{i}", "gpu", "M") for i in range(3)]
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(run(tasks, {"cpu": cpu, "gpu": gpu}, tmp_path, jobs=2,
                                                             recorder=gates)), daemon=True)
    worker.start()
    gates.wait("started", "g0", "c0", "c1")
    for i in range(3):
        gates.open(f"g{i}")
        gates.wait("executed", f"g{i}")
    assert ("started", "c2") not in gates.events  # --jobs 2: still only c0 and c1, both running
    gates.open("c0", "c1", "c2", "c3")
    worker.join(timeout=60)
    outcome = done[0][0]
    assert all(s == "executed" for s in outcome.status.values())
    assert gates.most == {"cpu": 2, "gpu": 1}  # --jobs 2 bounds the CPU tasks; model tasks one at a time
    assert gates.cpu_beside_gpu == [2, 2, 2]  # each model task ended while two CPU tasks were running


def test_model_manager_evicts_least_recently_used_under_budget() -> None:
    unloaded: list[str] = []
    backend = types.SimpleNamespace(load=lambda c: c["name"], unload=unloaded.append)
    mm = ModelManager(10, lambda name: backend)
    for name in ["A", "B", "A", "C"]:
        with mm.use(name, "x", {"name": name}, 4):
            pass
    assert mm.loads == 3 and unloaded == ["B"]  # A was used after B, so B was the least recent
    mm.close()
    assert sorted(unloaded) == ["A", "B", "C"]


def test_model_load_failure_is_a_task_failure(tmp_path: Path) -> None:
    gpu = make_backend("gpu", concurrent=False)

    def bad_load(config: dict[str, Any]) -> None:
        raise BackendError("weights not found: models/tiny (run the fixture script)")

    gpu.load = bad_load
    outcome, *_ = run([task("a", "gpu", "M"), task("b", "gpu", "M", {"in": "a"})], {"gpu": gpu}, tmp_path)
    assert outcome.status == {"a": "failed", "b": "skipped"}
    assert "weights not found" in outcome.failures["a"]


@pytest.mark.parametrize("jobs", [1, 3])
def test_cancel_stops_dispatching(tmp_path: Path, jobs: int) -> None:
    """The first tasks hold on until another thread cancels the build: after that, nothing more
    starts and nothing they made is kept."""
    cpu = make_backend("cpu", concurrent=True)
    original = cpu.run
    running = threading.Event()
    tasks = [task(f"t{i}", "cpu", None) for i in range(20)]
    store = Store(tmp_path / "store")
    recorder = Recorder()
    executor = Executor({t.id: t for t in tasks}, store, ModelManager(None, lambda n: cpu), lambda n: cpu, recorder,
                        jobs)

    def held(task: TaskRun, handle: Any) -> Result:
        running.set()
        assert executor.cancel.wait(timeout=60)
        return original(task, handle)

    cpu.run = held
    canceller = threading.Thread(target=lambda: (running.wait(), executor.cancel.set()), daemon=True)
    canceller.start()
    outcome = executor.run(schedule([(t.id, None, 0.0, []) for t in tasks], None).order, {})
    assert outcome.cancelled
    assert sum(1 for event, _ in recorder.events if event == "started") == jobs  # those before the cancel
    assert not [s for s in outcome.status.values() if s == "executed"]
    assert all(store.lookup(f"key-t{i}") is None for i in range(20))


def test_batches_ready_tasks_of_one_model(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    gpu = make_backend("gpu", concurrent=False)
    single = gpu.run

    def run_batch(tasks: list[TaskRun], handle: Any) -> list[Result]:
        calls.append([t.id for t in tasks])
        return [single(t, handle) for t in tasks]

    gpu.run_batch = run_batch
    gpu.batch_key = lambda kind, params: (kind, params.get("size"))
    tasks = [Task(f"k{i}", "x", "gpu", f"key-k{i}", {"name": "M", "identity": "M", "vram_gb": 1,
                                                      "config": {"name": "M", "batch_size": 3}},
                  {"size": 64 if i < 4 else 32}, {}, {}) for i in range(6)]
    outcome, models, *_ = run(tasks, {"gpu": gpu}, tmp_path)
    assert all(s == "executed" for s in outcome.status.values())
    assert calls == [["k0", "k1", "k2"], ["k4", "k5"]]  # k3 ran alone: its batch was full, then the shape changed
    assert models.loads == 1
    store = Store(tmp_path / "store")
    assert all(store.lookup(f"key-k{i}") is not None for i in range(6))


def test_the_model_manager_loads_what_the_schedule_counted(tmp_path: Path) -> None:
    """C, then A beside it, then B needs room: A has no work left and C has, so A goes (as the
    schedule assumed when it counted 3 loads); evicting the least recently used C would load it again."""
    gpu = make_backend("gpu", concurrent=False)
    tasks = [task("c0", "gpu", "C", size=2), task("a", "gpu", "A", {"in": "c0"}, size=4),
             task("b", "gpu", "B", {"in": "c0"}, size=3), task("c1", "gpu", "C", {"x": "c0", "y": "b"}, size=2)]
    outcome, models, _, order = run(tasks, {"gpu": gpu}, tmp_path, budget=6)
    assert all(s == "executed" for s in outcome.status.values())
    assert order.loads == order.lower_bound == 3
    assert models.loads == order.loads, gpu.loaded


def builds_load_as_scheduled(items: list[Any], budget: float | None) -> None:
    gpu = make_backend("gpu", concurrent=False)
    tasks = [task(tid, "gpu", model, {d: d for d in deps}, size) for tid, model, size, deps in items]
    with tempfile.TemporaryDirectory() as tmp:
        outcome, models, _, order = run(tasks, {"gpu": gpu}, Path(tmp), budget=budget, jobs=2)
    assert all(s == "executed" for s in outcome.status.values())
    assert models.loads == order.loads, (gpu.loaded, order)


test_builds_load_as_scheduled, test_builds_load_as_scheduled_slow = \
    fuzz_tiers(builds_load_as_scheduled,
               given(dags(), st.sampled_from([None, 4.0, 5.0, 6.0, 7.0, 9.0])), examples=15)


def _kinded(tid: str, kind: str, backend: str, model: str | None, inputs: dict[str, str] | None = None) -> Task:
    from dataclasses import replace

    return replace(task(tid, backend, model, inputs), kind=kind)


@pytest.mark.parametrize("first", [frozenset(), frozenset({"picture", "moving", "clip"})])
def test_first_kinds_run_before_the_others(tmp_path: Path, first: frozenset[str]) -> None:
    """``studio watch --serve`` puts a shot's tasks first (keyframe, motion, clip: here picture, moving,
    clip): while one is ready or running, the film's tasks (here a storyboard beside the motion, and a
    model task of another model) wait, so the shot's clip does not share the cores; without ``first``
    they run beside it, in schedule order."""
    cpu, gpu = make_backend("cpu", concurrent=True), make_backend("gpu", concurrent=False)
    tasks = [_kinded("key", "picture", "cpu", None), _kinded("motion", "moving", "cpu", None, {"k": "key"}),
             _kinded("board", "board", "cpu", None, {"k": "key"}), _kinded("pdf", "book", "gpu", "P", {"k": "key"}),
             _kinded("shot", "clip", "cpu", None, {"m": "motion"}),
             _kinded("film", "whole", "cpu", None, {"s": "shot"})]
    store = Store(tmp_path / "store")
    items = [(t.id, t.model_identity, 1.0 if t.model else 0.0, list(t.inputs.values())) for t in tasks]
    order = schedule(items, None).order
    recorder = Recorder()
    executor = Executor({t.id: t for t in tasks}, store, ModelManager(None, {"cpu": cpu, "gpu": gpu}.__getitem__),
                        {"cpu": cpu, "gpu": gpu}.__getitem__, recorder, 2, first=first)
    outcome = executor.run(order, {})
    assert all(s == "executed" for s in outcome.status.values()), outcome.failures
    events = recorder.events
    if first:
        shot_done = events.index(("executed", "shot"))
        assert events.index(("started", "board")) > shot_done
        assert events.index(("started", "pdf")) > shot_done
        assert events.index(("started", "motion")) < events.index(("started", "board"))
    else:
        assert events.index(("started", "board")) < events.index(("executed", "motion"))


def test_the_ready_task_heading_the_longest_chain_starts_first(tmp_path: Path) -> None:
    """A one-shot edit: the boards come before the shot's motion in plan order, but the motion heads
    the longer chain (motion -> clip -> film), so with one free core it starts first; when the
    boards took longer than that chain last time (``durations``), they go first instead."""
    cpu = make_backend("cpu", concurrent=True)
    tasks = [_kinded("key", "picture", "cpu", None), _kinded("board", "board", "cpu", None, {"k": "key"}),
             _kinded("pdf", "book", "cpu", None, {"k": "key"}), _kinded("motion", "moving", "cpu", None, {"k": "key"}),
             _kinded("shot", "clip", "cpu", None, {"m": "motion"}),
             _kinded("film", "whole", "cpu", None, {"s": "shot"})]
    order = [t.id for t in tasks]
    seen = {"key": 0.2, "board": 0.3, "pdf": 0.6, "motion": 1.0, "shot": 0.05, "film": 0.2}

    def starts(durations: dict[str, float]) -> list[str]:
        recorder = Recorder()
        executor = Executor({t.id: t for t in tasks}, Store(tmp_path / "store"),
                            ModelManager(None, {"cpu": cpu}.__getitem__), {"cpu": cpu}.__getitem__, recorder, 1,
                            durations=durations)
        outcome = executor.run(order, {})
        assert all(s == "executed" for s in outcome.status.values()), outcome.failures
        return [tid for event, tid in recorder.events if event == "started"]

    assert starts(seen) == ["key", "motion", "pdf", "board", "shot", "film"]
    assert starts({**seen, "board": 5.0})[:3] == ["key", "board", "motion"]
    # nothing measured and kinds it cannot guess: every task weighs the same, the longest chain by count
    assert starts({}) == ["key", "motion", "shot", "board", "pdf", "film"]


def test_critical_paths_and_recorded_durations(tmp_path: Path) -> None:
    from runtime.executors.priority import GUESS, critical_paths, load_durations, save_durations

    tasks = {t.id: t for t in [_kinded("a", "keyframe", "cpu", None), _kinded("b", "shot", "cpu", None, {"x": "a"}),
                               _kinded("c", "film", "cpu", None, {"x": "b", "y": "a"})]}
    paths = critical_paths(tasks, ["a", "b", "c"], {"b": 2.0})
    assert paths == {"c": GUESS["film"], "b": 2.0 + GUESS["film"], "a": GUESS["keyframe"] + 2.0 + GUESS["film"]}
    assert critical_paths(tasks, ["b", "c"], {})["b"] == GUESS["shot"] + GUESS["film"]  # only stale tasks count
    where = tmp_path / "history" / "p.seconds"
    save_durations(where, {"gone": 1.0, "a": 9.0}, {"a": 0.25, "b": 3.0}, {"a": "executed", "b": "failed"}, ["a", "b"])
    assert load_durations(where) == {"a": 0.25}  # failed runs say nothing; tasks no longer planned are dropped
    for junk in (b"[1]", b"{not json", b'{"a": "x", "b": -1, "c": true, "d": 1e400, "e": 2}'):
        where.write_bytes(junk)
        assert load_durations(where) == ({"e": 2.0} if junk.startswith(b'{"a"') else {})
