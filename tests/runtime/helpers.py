"""Helpers for runtime tests: tiny copies of the examples, and the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, copy_example

TINY = (320, 180)


def tiny_copy(example: Path, dest: Path, size: tuple[int, int] = TINY) -> Path:
    """A copy of ``example`` rendered at a small resolution (same structure, fast to build)."""
    copy_example(example, dest)
    for project in [*dest.glob("*.studio.yaml"), *dest.glob("*.studio")]:
        text = project.read_text(encoding="utf-8")
        text = re.sub(r"resolution: \[\d+, \d+\]", f"resolution: [{size[0]}, {size[1]}]", text)
        text = re.sub(r"resolution \d+x\d+", f"resolution {size[0]}x{size[1]}", text)
        project.write_text(text, encoding="utf-8")
    return dest


def studio(*args: str, cache: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("STUDIO_CACHE", None)
    if cache is not None:
        env["STUDIO_CACHE"] = str(cache)
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)


def build_json(project: Path, *extra: str, cache: Path | None = None) -> tuple[int, dict[str, Any], str]:
    done = studio("build", str(project), "--format", "json", *extra, cache=cache)
    try:
        summary = json.loads(done.stdout)
    except ValueError:
        raise AssertionError(f"no JSON summary (exit {done.returncode}):\n{done.stdout}\n{done.stderr}") from None
    return done.returncode, summary, done.stderr


def outputs_bytes(build_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(build_dir)): p.read_bytes() for p in sorted(build_dir.rglob("*"))
            if p.is_file() and p.name not in ("report.json", ".studio-manifest.json")}
