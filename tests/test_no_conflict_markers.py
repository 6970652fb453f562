"""No merge-conflict markers in any tracked text file: a half-resolved merge of prose (a README, a
doc) breaks no other test, so this one reads every file git tracks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from tests.conftest import ROOT

NEWLINE = b"\n"
MARKER = re.compile(rb"^(?:<{7}|={7}|>{7})(?: |\r?$)", re.M)


SKIP_DIRS = {".git", ".venv", "venv", ".studio", "build", "node_modules", "__pycache__", ".hypothesis",
             ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def tracked() -> list[str]:
    """The files git tracks; in a copy without ``.git`` (CI runs on one), every file outside the
    directories that builds, caches and virtual environments make."""
    if shutil.which("git") is not None and (ROOT / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [name for name in out.decode().split("\0") if name]
    names = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".venv"))
        names += [os.path.relpath(os.path.join(folder, f), ROOT) for f in files]
    return names


def test_no_tracked_file_holds_a_conflict_marker() -> None:
    found = []
    for name in tracked():
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary (pictures, weights)
            continue
        found += [f"{name}:{data.count(NEWLINE, 0, m.start()) + 1}" for m in MARKER.finditer(data)]
    assert not found, "unresolved merge conflict at " + ", ".join(found)
