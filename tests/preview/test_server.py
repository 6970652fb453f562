"""The preview server over real HTTP on loopback: what it serves, and everything it refuses (other
hosts, missing tokens, path traversal, symlinks out of the build, objects the page never showed,
writes of any kind)."""

from __future__ import annotations

import http.client
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.build import BuildOptions, build
from runtime.preview import PreviewServer, PreviewState
from runtime.store import Store
from tests.conftest import LUCA
from tests.runtime.helpers import tiny_copy


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PreviewState]:
    """A tiny Luca built once, with the state a preview heard during the build."""
    project = tiny_copy(LUCA, tmp_path_factory.mktemp("preview") / "luca")
    state = PreviewState(project / "build")
    assert build(BuildOptions(project, jobs=2, listener=state)) == 0
    return project, state


@pytest.fixture
def server(built: tuple[Path, PreviewState]) -> Iterator[PreviewServer]:
    project, state = built
    s = PreviewServer(state, project / ".studio" / "objects", project / "build")
    s.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def get(server: PreviewServer, path: str, method: str = "GET", headers: dict[str, str] | None = None
        ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request(method, path, headers={"Host": f"127.0.0.1:{server.port}", **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def state_of(server: PreviewServer) -> dict[str, Any]:
    status, _, body = get(server, "/state")
    assert status == 200
    return json.loads(body)


def test_the_page_and_the_state(server: PreviewServer) -> None:
    assert server.httpd.server_address[0] == "127.0.0.1" and server.url == f"http://127.0.0.1:{server.port}/"
    status, headers, body = get(server, "/")
    assert status == 200 and headers["content-type"].startswith("text/html") and b"app.js" in body
    assert "default-src 'none'" in headers["content-security-policy"]
    assert get(server, "/app.js")[0] == get(server, "/style.css")[0] == 200
    view = state_of(server)
    assert view["title"] == "Luca Sees the Sea" and view["build"]["state"] == "idle"
    shots = [s for scene in view["scenes"] for s in scene["shots"]]
    assert [s["id"] for s in shots] == ["cove/establishing", "cove/peek", "cove/dare", "jump/leap"]
    dare = shots[2]
    assert dare["type"] == "close_up" and dare["auto"] and dare["status"] == "cached"
    assert dare["dialogue"][0] == {"character": "Alberto", "text": "Come on, Luca. The sea won't bite."}
    assert dare["prompt"] is None and re.fullmatch(r"\d+", dare["seed"])  # the procedural model reads no prompt
    assert dare["models"] == {"image": "procedural", "video": "procedural"}
    assert [t["id"].split(":")[0] for t in dare["tasks"]] == ["keyframe", "speech", "speech", "motion", "shot"]
    assert all(t["status"] == "executed" and t["seconds"] > 0 for t in dare["tasks"])
    assert view["film"].endswith(".mp4") and view["soundtrack"].endswith(".m4a")


def test_objects_the_page_shows_are_served_with_ranges(server: PreviewServer, built: tuple[Path, PreviewState]) -> None:
    project, _ = built
    view = state_of(server)
    keyframe = view["scenes"][0]["shots"][0]["keyframe"]
    status, headers, body = get(server, keyframe)
    digest = keyframe.split("/")[-1].split(".")[0]
    assert status == 200 and headers["content-type"] == "image/png" and "immutable" in headers["cache-control"]
    assert body == Store(project / ".studio").object_path(digest).read_bytes()
    status, headers, part = get(server, view["film"], headers={"Range": "bytes=10-19"})
    assert status == 206 and part == (project / "build" / "final.mp4").read_bytes()[10:20]
    assert headers["content-range"].startswith("bytes 10-19/")
    assert get(server, view["film"], headers={"Range": "bytes=99999999-"})[0] == 416
    assert get(server, view["film"], method="HEAD")[2] == b""


def test_objects_the_page_never_showed_are_not_served(server: PreviewServer, built: tuple[Path, PreviewState]) -> None:
    project, _ = built
    store = Store(project / ".studio")
    shown = json.dumps(state_of(server))
    hidden = [d for d, _ in store.iter_objects() if d not in shown]  # e.g. a shot's dialogue track
    assert hidden
    assert get(server, f"/o/{hidden[0]}.wav")[0] == 404
    assert get(server, f"/o/{'0' * 64}.png")[0] == 404
    assert get(server, "/o/../../film.studio.yaml")[0] == 404


@pytest.mark.parametrize("path", [
    "/build/../film.studio.yaml", "/build/%2e%2e/film.studio.yaml", "/build/..%2ffilm.studio.yaml",
    "/build//etc/passwd",
    "/build/.studio-manifest.json", "/build/keyframes/../../film.studio.yaml", "/build/", "/../film.studio.yaml",
    "/build/nothing.mp4", "/build/%00final.mp4"])
def test_no_path_leaves_the_build_outputs(server: PreviewServer, path: str) -> None:
    assert get(server, path)[0] in (403, 404)


def test_build_outputs_are_served_and_symlinks_out_refused(server: PreviewServer, built: tuple[Path, PreviewState]
                                                         ) -> None:
    project, _ = built
    status, headers, body = get(server, "/build/final.mp4")
    assert status == 200 and headers["content-type"] == "video/mp4"
    assert body == (project / "build" / "final.mp4").read_bytes()
    assert json.loads(get(server, "/build/report.json")[2])["title"] == "Luca Sees the Sea"
    out = project / "build" / "escape.yaml"
    out.symlink_to(project / "film.studio.yaml")
    inside = project / "build" / "film.mp4"
    inside.symlink_to(project / "build" / "final.mp4")
    try:
        assert get(server, "/build/escape.yaml")[0] == 404
        assert get(server, "/build/film.mp4")[0] == 200  # a link that stays inside is fine
    finally:
        out.unlink()
        inside.unlink()


def test_read_only_and_loopback_only(server: PreviewServer, built: tuple[Path, PreviewState]) -> None:
    project, _ = built
    before = sorted((str(p), p.stat().st_mtime_ns) for p in project.rglob("*") if ".studio" not in p.parts)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        status, headers, _ = get(server, "/build/final.mp4", method=method)
        assert status == 405 and headers["allow"] == "GET, HEAD"
    assert sorted((str(p), p.stat().st_mtime_ns) for p in project.rglob("*") if ".studio" not in p.parts) == before
    assert get(server, "/", headers={"Host": "attacker.example"})[0] == 403  # DNS rebinding
    assert get(server, "/", headers={"Host": f"localhost:{server.port}"})[0] == 200


def test_another_host_needs_the_token(built: tuple[Path, PreviewState]) -> None:
    project, state = built
    s = PreviewServer(state, project / ".studio" / "objects", project / "build", host="127.0.0.2")
    s.start()
    try:
        assert s.token and len(s.token) >= 24 and s.url.endswith(f"/?token={s.token}")
        assert get(s, "/")[0] == 403
        assert get(s, "/?token=wrong")[0] == 403
        status, headers, _ = get(s, f"/?token={s.token}")
        assert status == 200 and "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
        cookie = headers["set-cookie"].split(";")[0]
        assert get(s, "/state", headers={"Cookie": cookie})[0] == 200
        assert get(s, "/state", headers={"Cookie": "studio_preview=nope"})[0] == 403
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()


def test_events_start_with_a_snapshot_then_follow(server: PreviewServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request("GET", "/events", headers={"Host": f"127.0.0.1:{server.port}"})
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"

        def message() -> dict[str, Any]:
            while True:
                line = response.fp.readline().decode()
                if line.startswith("data: "):
                    return json.loads(line[6:])

        first = message()
        assert first["type"] == "snapshot" and len(first["state"]["scenes"]) == 2
        server.state.changed(["film.studio.yaml"])
        news = message()
        assert news["type"] == "build" and news["build"]["state"] == "changed"
        assert news["build"]["changed"] == ["film.studio.yaml"]
    finally:
        conn.close()
    assert os.path.exists(server.out_dir / "final.mp4")
