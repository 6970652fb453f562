"""What the preview page shows, kept current from a build's events, and told to every open page.

The state is the storyboard of the latest plan (each shot's keyframe, clip, type, duration, action,
dialogue, prompt, seed, models, and each of its tasks with status, seconds and why it runs), the
film, the soundtrack and the diagnostics of a project with errors. Pictures and clips are store
objects named by digest (``/o/<digest>.png``): a URL changes exactly when its content does, so a page
replaces a shot's picture when its new keyframe lands and leaves every other one alone; until then a
stale shot keeps showing its previous picture. Only digests the state has shown may be served.

Messages to pages (JSON): ``snapshot`` (everything, when a page connects and when a plan arrives),
``shot`` (one shot changed), ``build`` (the build's progress, the film, the diagnostics).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..events import BuildListener
from ..explain import explanations, history_path, load_history
from ..tasks import Task

if TYPE_CHECKING:
    from ..build import LoadedPlan
    from ..store import ActionRecord, Store

__all__ = ["MEDIA", "SHOT_KINDS", "PreviewState"]

MEDIA = {"png": "image/png", "mp4": "video/mp4", "m4a": "audio/mp4", "wav": "audio/wav", "srt": "text/plain"}
_EXT = {("keyframe", "image"): "png", ("storyboard", "image"): "png", ("shot", "clip"): "mp4",
        ("film", "film"): "mp4", ("soundtrack", "audio"): "m4a"}
"""The outputs the page shows (and so the only objects it may fetch), with their file types."""
SHOT_KINDS = frozenset({"keyframe", "speech", "motion", "shot"})
"""The tasks of a shot the page shows (its picture, its clip and what the clip is made of)."""
_STEP_INTERVAL = 0.2
"""Seconds between two progress messages of one task."""
_QUEUE = 2000
"""Messages a page may fall behind by before it is dropped (it reconnects and gets a snapshot)."""


@dataclass
class _Task:
    id: str
    kind: str
    key: str
    status: str
    """cached, stale, running, executed, failed or skipped."""
    outputs: dict[str, str] = field(default_factory=dict)
    """Output name -> digest (a stale task keeps its previous outputs until new ones land)."""
    meta: dict[str, Any] = field(default_factory=dict)
    seconds: float | None = None
    reason: str | None = None
    message: str | None = None
    progress: float | None = None
    stepped: float = 0.0

    def url(self, output: str) -> str | None:
        digest = self.outputs.get(output)
        return f"/o/{digest}.{_EXT[(self.kind, output)]}" if digest else None

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status, "seconds": self.seconds,
                "reason": self.reason, "message": self.message, "progress": self.progress}


@dataclass
class _Shot:
    id: str
    scene: str
    name: str
    info: dict[str, Any]
    tasks: list[str]
    length: tuple[dict[str, Any], dict[str, str]] | None = None
    """An ``auto`` shot's length parameters and its lines' speech task ids by role (to settle its length
    as soon as its speech exists, as ``compiler.settle`` does for the build)."""


class PreviewState(BuildListener):
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.lock = threading.Lock()
        self.pages: list[queue.Queue[str | None]] = []
        self.title = ""
        self.build: dict[str, Any] = {"state": "starting", "changed": [], "done": 0, "total": 0, "seconds": None,
                                      "started": None}
        self.diagnostics: list[dict[str, Any]] = []
        self.tasks: dict[str, _Task] = {}
        self.shots: dict[str, _Shot] = {}
        self.allowed: dict[str, str] = {}
        """Digest -> media type of every object the page may ask for."""
        self.rendered = self._seconds_of_last_report()
        self.store: Store | None = None
        """The build's store (executed tasks' records are read from it)."""

    def _seconds_of_last_report(self) -> dict[str, float]:
        """Task key -> seconds it took, from the report of the build before this watch (if any)."""
        try:
            report = json.loads((self.out_dir / "report.json").read_bytes())
            return {t["key"]: float(t["seconds"]) for t in report.get("tasks", [])
                    if t.get("status") == "executed" and t.get("key")}
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            return {}

    # --- pages ---------------------------------------------------------------------------
    def subscribe(self) -> queue.Queue[str | None]:
        """A queue of messages for a new page, starting with a snapshot."""
        q: queue.Queue[str | None] = queue.Queue(_QUEUE)
        with self.lock:
            q.put(json.dumps({"type": "snapshot", "state": self._view()}))
            self.pages.append(q)
        return q

    def unsubscribe(self, q: queue.Queue[str | None]) -> None:
        with self.lock:
            if q in self.pages:
                self.pages.remove(q)

    def close(self) -> None:
        with self.lock:
            for q in self.pages:
                try:
                    q.put_nowait(None)
                except queue.Full:
                    pass
            self.pages.clear()

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message)
        for q in list(self.pages):
            try:
                q.put_nowait(data)
            except queue.Full:  # a page that stopped reading: drop it (it reconnects for a snapshot)
                self.pages.remove(q)
                q.queue.clear()
                q.put_nowait(None)

    def view(self) -> dict[str, Any]:
        with self.lock:
            return self._view()

    def media_type(self, digest: str) -> str | None:
        with self.lock:
            return self.allowed.get(digest)

    # --- building the views ----------------------------------------------------------------
    def _allow(self, task: _Task) -> None:
        for output, digest in task.outputs.items():
            ext = _EXT.get((task.kind, output))
            if ext is not None:
                self.allowed[digest] = MEDIA[ext]

    def _shot_view(self, shot: _Shot) -> dict[str, Any]:
        tasks = [self.tasks[t] for t in shot.tasks if t in self.tasks]
        statuses = {t.status for t in tasks}
        failed = next((t for t in tasks if t.status == "failed"), None)
        running = [t for t in tasks if t.status == "running"]
        message: str | None
        if failed is not None:
            status, message = "failed", f"{failed.id}: {failed.message}"
        elif "skipped" in statuses:
            status, message = "skipped", "an input failed"
        elif running or ("executed" in statuses and "stale" in statuses and self.build["state"] == "building"):
            status, message = "running", ", ".join(t.id.split(":", 1)[0] for t in running) or None
        elif "stale" in statuses:
            status, message = "stale", None
        else:
            status, message = "cached", None
        work = [t for t in tasks if t.status != "cached"]  # this build's work for the shot
        progress = None
        if status == "running" and work:
            finished = sum(1.0 for t in work if t.status == "executed")
            partial = sum(t.progress or 0.0 for t in work if t.status == "running")
            progress = round(min((finished + partial) / len(work), 1.0), 3)
        keyframe = self.tasks.get(f"keyframe:{shot.id}")
        clip = self.tasks.get(f"shot:{shot.id}")
        duration = shot.info["duration"]
        if clip is not None and clip.status in ("cached", "executed") and "duration" in clip.meta:
            duration = round(float(clip.meta["duration"]), 3)  # the clip says
        elif shot.length is not None:  # an auto shot: its speech settles it; until then its length is unknown
            duration = self._settled(*shot.length)
        return {**shot.info, "id": shot.id, "scene": shot.scene, "shot": shot.name, "duration": duration,
                "status": status, "message": message, "progress": progress,
                "fresh": any(t.status == "executed" for t in tasks),
                "keyframe": keyframe.url("image") if keyframe else None, "clip": clip.url("clip") if clip else None,
                "gates": _gates(keyframe),
                "tasks": [t.view() for t in tasks]}

    def _settled(self, params: dict[str, Any], speech: dict[str, str]) -> float | None:
        from compiler.settle import shot_length

        metas = {role: task.meta for role, tid in speech.items()
                 if (task := self.tasks.get(tid)) is not None and task.status in ("cached", "executed")
                 and "duration" in task.meta}
        if len(metas) < len(speech):
            return None
        seconds = shot_length(params, int(params.get("fps", 24)), metas)
        return None if seconds is None else round(seconds, 3)

    def _build_view(self) -> dict[str, Any]:
        def url(tid: str, output: str) -> str | None:
            task = self.tasks.get(tid)
            return task.url(output) if task is not None else None

        return {"build": dict(self.build), "title": self.title, "diagnostics": self.diagnostics,
                "film": url("film", "film"), "soundtrack": url("soundtrack", "audio"),
                "storyboard": url("storyboard", "image")}

    def _view(self) -> dict[str, Any]:
        scenes: list[dict[str, Any]] = []
        for shot in self.shots.values():
            if not scenes or scenes[-1]["id"] != shot.scene:
                scenes.append({"id": shot.scene, "shots": []})
            scenes[-1]["shots"].append(self._shot_view(shot))
        return {**self._build_view(), "scenes": scenes}

    def _shot_of(self, tid: str) -> _Shot | None:
        kind, _, rest = tid.partition(":")
        if kind not in SHOT_KINDS:
            return None
        scene, _, tail = rest.partition("/")
        return self.shots.get(f"{scene}/{tail.split('/')[0]}")

    def _changed(self, tid: str) -> None:
        shot = self._shot_of(tid)
        if shot is not None:
            self._send({"type": "shot", "shot": self._shot_view(shot)})
        else:
            self._send({"type": "build", **self._build_view()})

    # --- the build's events ----------------------------------------------------------------
    def changed(self, paths: list[str]) -> None:
        with self.lock:
            self.build.update(state="changed", changed=paths)
            self._send({"type": "build", **self._build_view()})

    def planned(self, plan: LoadedPlan, cached: Mapping[str, ActionRecord], store: Store) -> None:
        if not plan.ok:
            with self.lock:
                self.diagnostics = plan.diagnostics_json
                self.build.update(state="errors", done=0, total=0, started=time.time())
                self._send({"type": "build", **self._build_view()})
            return
        tasks = plan.tasks  # read before anything changes (it may send the build back to compiling)
        stale = [tid for tid, _, _ in plan.index if tid not in cached]
        reasons = explanations(tasks, stale, load_history(history_path(store.root, plan.project)))
        shots = _shots(plan.index, tasks)
        with self.lock:
            fresh: dict[str, _Task] = {}
            for tid, kind, key in plan.index:
                before = self.tasks.get(tid)
                record = cached.get(tid)
                if record is not None:
                    outputs = {name: o["digest"] for name, o in record.outputs.items()}
                    task = _Task(tid, kind, key, "cached", outputs, dict(record.meta), self.rendered.get(key))
                else:
                    task = _Task(tid, kind, key, "stale", dict(before.outputs) if before else {},
                                 dict(before.meta) if before else {}, None, reasons.get(tid))
                self._allow(task)
                fresh[tid] = task
            self.tasks, self.shots, self.title, self.store = fresh, shots, plan.title, store
            self.diagnostics = _warnings(plan.diagnostics_json)
            self.build.update(state="building" if stale else "idle", done=0, total=len(stale), started=time.time(),
                              seconds=None)
            self._send({"type": "snapshot", "state": self._view()})

    def started(self, task: Task) -> None:
        with self.lock:
            t = self.tasks.get(task.id)
            if t is not None:
                t.status, t.progress = "running", 0.0
                self._changed(task.id)

    def step(self, task: Task, done: int, total: int) -> None:
        with self.lock:
            t = self.tasks.get(task.id)
            now = time.monotonic()
            if t is None or t.status != "running" or (now - t.stepped < _STEP_INTERVAL and done < total):
                return
            t.progress, t.stepped = (done / total if total else None), now
            self._changed(task.id)

    def finished(self, task: Task, status: str, seconds: float, message: str | None = None) -> None:
        record = self.store.read_record(task.key) if status == "executed" and self.store is not None else None
        with self.lock:
            t = self.tasks.get(task.id)
            if t is None:
                return
            t.status, t.seconds, t.message, t.progress = status, round(seconds, 3), message, None
            if record is not None:
                t.outputs = {name: o["digest"] for name, o in record.outputs.items()}
                t.meta = dict(record.meta)
                t.reason = None
                self.rendered[t.key] = t.seconds
                self._allow(t)
            self.build["done"] += 1
            self._changed(task.id)
            if self._shot_of(task.id) is not None:
                self._send({"type": "build", **self._build_view()})

    def done(self, code: int, out_dir: Path | None) -> None:
        with self.lock:
            started = self.build.get("started")
            state = {0: "idle", 130: "cancelled"}.get(code, "failed" if self.build["state"] != "errors" else "errors")
            self.build.update(state=state, seconds=round(time.time() - started, 2) if started else None)
            self._send({"type": "build", **self._build_view()})


def _gates(keyframe: _Task | None) -> dict[str, Any] | None:
    """A gated keyframe's tries as its picture was chosen (the image model's record, ``build/report.json``'s
    ``gates``): each try's seed, scores and pass or fail, the one kept, the thresholds, any warning.
    ``current`` is false while the keyframe is stale (the scores are those of the picture still shown).
    Seeds are strings: the tries' derived seeds run to 2**63, past what a JavaScript number holds exactly."""
    if keyframe is None:
        return None
    g = keyframe.meta.get("gates")
    if not isinstance(g, dict) or not isinstance(g.get("tries"), list):
        return None
    return {"tries": [{"seed": str(t.get("seed")), **{k: t.get(k) for k in ("identity", "prompt", "passed")}}
                      for t in g["tries"]],
            "kept": g.get("kept"), "passed": g.get("passed"), "thresholds": g.get("thresholds") or {},
            "warning": g.get("warning"), "current": keyframe.status in ("cached", "executed")}


def _warnings(diagnostics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in diagnostics if d.get("severity") != "error"]


def _shots(index: list[tuple[str, str, str]], tasks: Mapping[str, Task]) -> dict[str, _Shot]:
    """The shots in film order, with what the page shows of each (from their tasks' parameters)."""
    shots: dict[str, _Shot] = {}
    board = tasks.get("storyboard")  # the shots' words: the clips read only the speech, unless burned in
    said = {str(s.get("id")): s.get("dialogue", []) for s in (board.params.get("shots", []) if board else [])}
    for tid, kind, _ in index:
        if kind not in SHOT_KINDS:
            continue
        scene, _, rest = tid.partition(":")[2].partition("/")
        name = rest.split("/")[0]
        ident = f"{scene}/{name}"
        if ident not in shots:
            shots[ident] = _Shot(ident, scene, name, {}, [])
        shots[ident].tasks.append(tid)
    for ident, shot in shots.items():
        key = tasks.get(f"keyframe:{ident}")
        clip = tasks.get(f"shot:{ident}")
        motion = tasks.get(f"motion:{ident}")
        kp = key.params if key else {}
        cp = clip.params if clip else {}
        explicit = cp.get("duration")
        shot.info = {
            "type": kp.get("shot_type"), "action": kp.get("action", ""), "prompt": kp.get("prompt"),
            "negative": kp.get("negative"), "seed": str(kp["seed"]) if "seed" in kp else None,  # beyond 2**53
            "duration": explicit if isinstance(explicit, (int, float)) else None,
            "auto": not isinstance(explicit, (int, float)),
            "dialogue": [{"character": ln.get("character"), "text": ln.get("text")} for ln in said.get(ident, [])],
            "camera": (motion.params.get("camera") or {}).get("move") if motion else None,
            "models": {"image": key.model["name"] if key and key.model else None,
                       "video": motion.model["name"] if motion and motion.model else None},
        }
        if clip is not None and explicit == "auto":
            shot.length = (dict(cp), {line["input"]: clip.inputs[line["input"]] for line in cp.get("lines", [])
                                      if line.get("input") in clip.inputs})
    return shots
