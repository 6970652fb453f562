"""How close `studio plan`'s lengths come before any speech exists (issue 10, item 17).

For every example (at a tiny resolution): the film's length and each ``auto`` shot's as `studio plan`
estimates them from the text, against the lengths the build settles from the real speech; then the
same plan once the speech is in the store (exact). Python start-up is not what this measures.
Usage: python bench/duration_estimates.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backends import CATALOG  # noqa: E402
from compiler import compile_project  # noqa: E402
from tests.conftest import EXAMPLES, skip_without_ai  # noqa: E402
from tests.runtime.helpers import tiny_copy  # noqa: E402


def studio(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, STUDIO_CACHE=str(cache))
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT)


def planned_length(project: Path, cache: Path) -> str:
    """The film's length as `studio plan` prints it ("about 12.9 s" or "12.42 s")."""
    head = studio("plan", str(project), cache=cache).stdout.splitlines()[0]
    match = re.search(r"shots, ((?:about )?[\d.]+ s) at", head)
    return match.group(1) if match else "?"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.machine import header

    print(header(), flush=True)
    print(f"{'example':<12} {'auto shot':<22} {'estimate s':>10} {'actual s':>9} {'error':>7}")
    worst_shot = worst_film = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for example in EXAMPLES:
            try:
                skip_without_ai(example)
            except BaseException:  # pytest's Skipped
                continue
            project = tiny_copy(example, Path(tmp) / example.name)
            cache = Path(tmp) / f"cache-{example.name}"
            result = compile_project(project, backends=CATALOG)
            assert result.plan is not None
            before = planned_length(project, cache)
            done = studio("build", str(project), "--format", "json", cache=cache)
            if done.returncode != 0:
                raise SystemExit(done.stderr[-1500:])
            report = {t["id"]: t for t in json.loads((project / "build" / "report.json").read_text())["tasks"]}
            for shot in result.plan.film.shots:
                if shot.duration is not None:
                    continue
                actual = report[f"shot:{shot.scene}/{shot.id}"]["meta"]["duration"]
                error = (shot.estimate - actual) / actual
                worst_shot = max(worst_shot, abs(error))
                print(f"{example.name:<12} {shot.scene + '/' + shot.id:<22} {shot.estimate:>10.2f} {actual:>9.2f} "
                      f"{error:>+7.1%}")
            film = report["film"]["meta"]["duration"]
            estimate = float(re.sub(r"[^\d.]", "", before))
            worst_film = max(worst_film, abs(estimate - film) / film)
            print(f"{example.name:<12} {'(film) plan before:':<22} {before:>10} {film:>9.2f} "
                  f"{(estimate - film) / film:>+7.1%}   plan after the build: {planned_length(project, cache)}")
    print(f"largest error before speech exists: auto shot {worst_shot:.1%}, film {worst_film:.1%}")


if __name__ == "__main__":
    main()
