"""``studio watch --serve`` end to end without a browser: the URL it prints, the events a page gets while
builds run, an edit replacing exactly the changed shot's picture, and a project with errors."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

from tests.conftest import LUCA, ROOT
from tests.preview.helpers import Watch
from tests.runtime.helpers import tiny_copy


def events(url: str) -> Iterator[dict[str, Any]]:
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=120)
    conn.request("GET", "/events")
    response = conn.getresponse()
    assert response.status == 200
    try:
        while True:
            line = response.fp.readline()
            if not line:
                return
            if line.startswith(b"data: "):
                yield json.loads(line[6:])
    finally:
        conn.close()


def until_idle(stream: Iterator[dict[str, Any]], seen: list[dict[str, Any]]) -> dict[str, Any]:
    """Messages up to a finished build (collected in ``seen``); the last build state."""
    for message in stream:
        seen.append(message)
        state = message["state"] if message["type"] == "snapshot" else message
        if message["type"] in ("snapshot", "build") and state["build"]["state"] in ("idle", "errors", "failed"):
            return state
    raise AssertionError("the event stream ended")


def keyframes(snapshot: dict[str, Any]) -> dict[str, str]:
    return {s["id"]: s["keyframe"] for scene in snapshot["scenes"] for s in scene["shots"]}


def test_an_edit_reaches_the_page_as_events(tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    watch = Watch(project)
    try:
        assert watch.url.startswith("http://127.0.0.1:") and watch.url.endswith("/")
        stream = events(watch.url)
        seen: list[dict[str, Any]] = []
        until_idle(stream, seen)  # the first build
        snapshot = json.loads(urlopen(watch.url + "state", timeout=30).read())
        assert snapshot["film"] and snapshot["build"]["state"] == "idle"
        before = keyframes(snapshot)
        assert len(before) == 4 and all(before.values())

        path = project / "film.studio.yaml"
        path.write_text(path.read_text().replace("@Luca peeks over a rock", "@Luca and @Alberto peek over a rock"))
        seen = []
        until_idle(stream, seen)
        kinds = [m["type"] for m in seen]
        assert kinds[0] == "build" and seen[0]["build"]["state"] == "changed"
        assert "snapshot" in kinds  # the new plan
        peek = [m["shot"] for m in seen if m["type"] == "shot" and m["shot"]["id"] == "cove/peek"]
        assert "running" in [s["status"] for s in peek]
        assert peek[-1]["status"] == "cached" and peek[-1]["keyframe"] != before["cove/peek"]
        assert peek[-1]["action"] == "Luca and Alberto peek over a rock at the water"
        others = {m["shot"]["id"] for m in seen if m["type"] == "shot"} - {"cove/peek"}
        assert not others, f"shots that did not change were sent: {others}"
        plan = [m["state"] for m in seen if m["type"] == "snapshot"][0]
        stale = {s["id"]: s for scene in plan["scenes"] for s in scene["shots"]}["cove/peek"]
        assert stale["keyframe"] == before["cove/peek"]  # the old picture stays until the new one lands
        [keyframe_task] = [t for t in stale["tasks"] if t["id"] == "keyframe:cove/peek"]
        assert keyframe_task["status"] == "stale" and keyframe_task["reason"].startswith("param action:")

        path.write_text(path.read_text().replace("type: close_up", "type: closeup"))
        seen = []
        state = until_idle(stream, seen)
        assert state["build"]["state"] == "errors"
        [error] = state["diagnostics"]
        assert error["code"] == "E205" and error["hint"] == "did you mean 'close_up'?"
    finally:
        watch.close()


def test_host_needs_serve() -> None:
    done = subprocess.run([sys.executable, "-m", "runtime.cli", "watch", str(LUCA), "--host", "0.0.0.0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--host needs --serve" in done.stderr


def test_with_json_output_the_url_is_an_event(tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "watch", str(project), "--serve", "0", "--format",
                             "json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        first = json.loads(proc.stderr.readline())
        assert first["event"] == "serving" and first["url"].startswith("http://127.0.0.1:")
        assert json.loads(urlopen(first["url"] + "state", timeout=30).read())["build"]["state"] in \
            ("starting", "building", "idle")
    finally:
        import signal

        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
