"""Reference and start images: what a huge-pixel PNG costs `check` and `build`, and what decoding
reduced saves on a large picture that is allowed.

1. `studio check` and `studio build` of examples/luca with refs/luca.png replaced by a 13000x13000
   PNG (about 500 KB on disk, 169 million pixels, just under twice Pillow's bomb limit);
2. the procedural backend reading a 4800x2700 start picture (JPEG and PNG, 13 million pixels,
   allowed for a 1280x720 film) for a 1280x720 keyframe, and the dominant colours of the same
   picture as a reference image.

Each measurement runs in its own process under an address-space cap (``--cap-mb``); prints wall
seconds, the peak memory of the process (max RSS, MB) and the outcome. ``--root`` measures another
checkout (an older studio) with the same inputs.

Usage: python bench/huge_image.py [--root CHECKOUT] [--cap-mb 6144] [--skip-build]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CLI = r"""
import resource, sys
cap = int(sys.argv[2]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
sys.path.insert(0, sys.argv[1])
from runtime.cli import main
code = main(sys.argv[3:])
sys.stderr.write("\nmaxrss_kb=%d\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""

_READ = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from backends.procedural._io import read_fitted
from backends.procedural._palette import read_pixels

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])

with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to what is resident now
    f.write("5")
before = rss("VmRSS:")
start = time.perf_counter()
if sys.argv[3] == "fit":
    read_fitted(Path(sys.argv[2]), 1280, 720, "the starting image")
else:
    read_pixels("ref:Luca/1", Path(sys.argv[2]))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "mb": (rss("VmHWM:") - before) / 1024}))
"""


def run_cli(root: Path, args: list[str], cap_mb: int, cwd: Path) -> tuple[str, float, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CLI, str(root), str(cap_mb), *args], capture_output=True, text=True,
                          cwd=cwd)
    seconds = time.perf_counter() - start
    rss = next((int(line.split("=")[1]) for line in done.stderr.splitlines() if line.startswith("maxrss_kb=")), 0)
    errors = [line for line in done.stderr.splitlines() if "error[" in line or "Error" in line]
    outcome = f"exit {done.returncode}" + (f": {errors[0].split(': ', 1)[-1][:70]}" if errors else "")
    return outcome, seconds, rss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="studio checkout to measure (default: this one)")
    parser.add_argument("--cap-mb", type=int, default=6144, help="address-space cap per process (MB)")
    parser.add_argument("--skip-build", action="store_true", help="measure check only")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.machine import header

    print(header("PIL"), flush=True)
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        project = work / "luca"
        shutil.copytree(ROOT / "examples" / "luca", project)
        Image.new("L", (13000, 13000), 128).save(project / "refs" / "luca.png")
        print(f"refs/luca.png: 13000x13000, {(project / 'refs' / 'luca.png').stat().st_size // 1024} KB")
        print(f"{'what':<34} {'outcome':<52} {'seconds':>8} {'max RSS MB':>11}")
        shutil.copytree(ROOT / "examples" / "luca", work / "plain")
        outcome, seconds, mb = run_cli(args.root, ["check", "plain"], args.cap_mb, work)
        print(f"{'studio check (the reference as is)':<34} {outcome:<52} {seconds:>8.2f} {mb:>11.0f}", flush=True)
        commands = [["check", "luca"]] + ([] if args.skip_build else [["build", "luca", "--jobs", "2"]])
        for command in commands:
            outcome, seconds, mb = run_cli(args.root, command, args.cap_mb, work)
            print(f"{'studio ' + command[0]:<34} {outcome:<52} {seconds:>8.2f} {mb:>11.0f}", flush=True)
        picture = Image.radial_gradient("L").resize((4800, 2700)).convert("RGB")
        for suffix in ("jpg", "png"):
            path = work / f"board.{suffix}"
            picture.save(path, quality=90) if suffix == "jpg" else picture.save(path)
            for what in ("fit", "colours"):
                done = subprocess.run([sys.executable, "-c", _READ, str(args.root), str(path), what],
                                      capture_output=True, text=True)
                if done.returncode:
                    print(f"{what} {suffix}: failed: {done.stderr.strip().splitlines()[-1][:80]}")
                    continue
                r = json.loads(done.stdout)
                label = f"{'start picture' if what == 'fit' else 'reference colours'} 4800x2700 {suffix.upper()}"
                print(f"{label:<34} {'ok':<52} {r['seconds']:>8.3f} {r['mb']:>11.0f} (peak growth)", flush=True)


if __name__ == "__main__":
    main()
