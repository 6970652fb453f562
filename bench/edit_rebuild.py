"""``studio edit ... && studio build``: what an edit re-renders, on a copy of examples/luca.

Usage: python bench/edit_rebuild.py [--llm SPEC] [--resolution 1280x720]
(figures: the README's "Writing with a language model")

Builds the copy from an empty cache, then runs two edits through the CLI, each followed by a build:
one dialogue line changed, and a shot inserted before others. Without ``--llm`` the operations come
from a chat-completions server on loopback that answers them verbatim (the figure is about the
rebuild: which model wrote the operations does not change what they touch); with ``--llm SPEC`` a
real model answers the instructions, and prints what it chose to do.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EDITS: list[tuple[str, list[dict[str, Any]]]] = [
    ("let Luca say 'Silenzio!' twice", [{"op": "set_line", "shot": "cove/dare", "number": 2, "line": {
        "character": "Luca", "line": "Silenzio, Bruno! Silenzio!", "emotion": "determined"}}]),
    ("add a wide shot of gulls after Luca peeks", [{"op": "insert_shot", "after": "cove/peek", "shot": {
        "id": "gulls", "type": "wide", "camera": "pan_left", "action": "Gulls circle above @Luca", "dialogue": [],
        "duration": 3, "transition": "dissolve"}}]),
]


def studio(*args: str, env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env)
    return time.perf_counter() - start, done


def build(project: Path) -> tuple[float, dict[str, Any]]:
    seconds, done = studio("build", str(project), "--format", "json")
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def edit(project: Path, instruction: str, operations: list[dict[str, Any]], llm: str | None) -> tuple[float, str]:
    env = dict(os.environ)
    if llm is not None:
        seconds, done = studio("edit", str(project), instruction, "--llm", llm, env=env)
    else:
        from tests.llm.openai_server import Reply, serve

        answer = json.dumps({"operations": operations})
        with serve(lambda _body: Reply(answer)) as (url, _):
            env.update(OPENAI_BASE_URL=url, OPENAI_API_KEY="unused")
            seconds, done = studio("edit", str(project), instruction, "--llm", "openai:scripted", env=env)
    if done.returncode != 0:
        raise SystemExit(f"edit failed:\n{done.stderr[-2000:]}")
    changed = [ln for ln in done.stdout.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
    return seconds, "\n".join(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm", help="a model spec (hf:... or openai:...) to answer the instructions")
    parser.add_argument("--resolution", default="1280x720")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.machine import header

    print(header(), flush=True)
    width, height = (int(x) for x in args.resolution.split("x"))
    with tempfile.TemporaryDirectory(prefix="studio-bench-edit-") as scratch:
        project = Path(scratch) / "luca"
        shutil.copytree(ROOT / "examples" / "luca", project, ignore=shutil.ignore_patterns(".studio", "build"))
        path = project / "film.studio.yaml"
        path.write_text(re.sub(r"resolution: \[\d+, \d+\]", f"resolution: [{width}, {height}]",
                               path.read_text(encoding="utf-8")), encoding="utf-8")
        seconds, first = build(project)
        total = len(first["executed"])
        print(f"clean build: {total} tasks in {seconds:.1f} s")
        rows = [("clean build", total, total, seconds, "")]
        for instruction, operations in EDITS:
            edit_seconds, changed = edit(project, instruction, operations, args.llm)
            seconds, summary = build(project)
            ran = sorted(summary["executed"])
            print(f"\nstudio edit '{instruction}' ({edit_seconds:.1f} s):\n{changed}\n"
                  f"studio build: {len(ran)} of {len(ran) + len(summary['cached'])} tasks in {seconds:.1f} s: "
                  f"{', '.join(ran)}")
            rows.append((instruction, len(ran), len(ran) + len(summary["cached"]), seconds, ", ".join(ran)))
    print("\n| step | tasks run | of | seconds | re-rendered |\n|---|---:|---:|---:|---|")
    for step, ran_count, of, seconds, names in rows:
        print(f"| {step} | {ran_count} | {of} | {seconds:.1f} | {names} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
