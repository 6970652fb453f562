"""The plan cache after an edit (issue 10, item 18): the build that follows an edit leaves a plan
cache that the very next build hits, and an edit its signature cannot see is still caught."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import LUCA, ROOT
from tests.runtime.build_probe import NOOP_PROBE
from tests.runtime.helpers import build_json, tiny_copy


def just_edited(project: Path) -> None:
    """Make the project file too recent for its signature to vouch for it, whatever the machine's speed:
    an mtime in the future stays 'modified just now' for the whole test."""
    future = time.time_ns() + 3600 * 10**9
    os.utime(project / "film.studio.yaml", ns=(future, future))


def probe(project: Path, cache: Path) -> dict[str, object]:
    env = dict(os.environ, STUDIO_CACHE=str(cache))
    done = subprocess.run([sys.executable, "-c", NOOP_PROBE, str(project)], capture_output=True, text=True,
                          cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_first_noop_build_after_an_edit_hits_the_plan_cache(tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    just_edited(project)
    cache = tmp_path / "cache"
    assert build_json(project, cache=cache)[0] == 0
    result = probe(project, cache)
    assert result["code"] == 0 and result["executed"] == []
    assert "pydantic" not in result["heavy"]  # the plan came from the plan cache: nothing was compiled


def test_an_edit_that_keeps_the_signature_is_still_seen(tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    just_edited(project)
    cache = tmp_path / "cache"
    assert build_json(project, cache=cache)[0] == 0
    path = project / "film.studio.yaml"
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("volume: 0.6", "volume: 0.5"), encoding="utf-8")  # same size, same inode
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same mtime: the signature cannot tell
    code, summary, err = build_json(project, cache=cache)
    assert code == 0, err
    assert sorted(summary["executed"]) == ["film", "soundtrack", "timeline"]  # the timeline carries the volume
