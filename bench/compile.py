"""Time `studio check` and `studio plan` on synthetic projects of 100, 1,000 and 10,000 shots.

Prints wall time (Python start-up included, best of N runs) and peak memory (max RSS) per size.
Usage: python bench/compile.py [--sizes 100 1000 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import header  # noqa: E402
from bench.synthetic import write_project  # noqa: E402

_RUN = """
import resource, sys
from runtime.cli import main
code = main(sys.argv[1:])
sys.stderr.write("maxrss_kb=%d\\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


def measure(args: list[str], runs: int) -> tuple[float, float]:
    best, peak = float("inf"), 0.0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"studio {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        best = min(best, elapsed)
        rss = [line for line in done.stderr.splitlines() if line.startswith("maxrss_kb=")]
        peak = max(peak, int(rss[-1].split("=")[1]) / 1024)
    return best, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    print(header())
    print(f"{'shots':>6} {'lines':>7} {'check s':>8} {'check MiB':>9} {'plan s':>7} {'plan MiB':>8} {'tasks':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for shots in opts.sizes:
            path = write_project(Path(tmp) / str(shots), shots)
            lines = path.read_text().count("\n")
            check_s, check_mb = measure(["check", str(path)], opts.runs)
            plan_s, plan_mb = measure(["plan", str(path), "--format", "json"], opts.runs)
            out = subprocess.run([sys.executable, "-c", _RUN, "plan", str(path), "--format", "json"],
                                 capture_output=True, text=True).stdout
            tasks = out.count('"key"')
            print(f"{shots:>6} {lines:>7} {check_s:>8.2f} {check_mb:>9.0f} {plan_s:>7.2f} {plan_mb:>8.0f} {tasks:>6}")


if __name__ == "__main__":
    main()
