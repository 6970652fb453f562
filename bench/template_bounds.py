"""Hostile style-prompt templates: seconds and memory each takes to render or be refused.

Each template runs in its own process under a memory cap (``--cap-mb``, default 2048) and a time
limit (``--timeout``, default 20 s), so that measuring the unbounded sandbox of an older studio
(``--root`` names its checkout) cannot take the machine down. Prints, per template: the outcome
(the text's length, a diagnostic code, MemoryError, killed), wall seconds of compile + render, and
the peak memory the render added (max RSS growth, MB), the best of ``--repeat`` runs (other
processes share the machine: single runs vary, the minimum is stable). Target (issue 10): every
template renders or fails with E304 in under 0.5 s and under 50 MB.

Usage: python bench/template_bounds.py [--root CHECKOUT] [--cap-mb 2048] [--timeout 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TEMPLATES: dict[str, str] = {
    "ordinary": "{{ action }}, {{ shot.type | replace('_', ' ') }} shot, {% for c in characters %}{{ c.name }} "
                "{% endfor %}watercolor",
    "%-width": "{{ '%1000000000d' % 1 }}",
    "format width": "{{ '{:>1000000000}'.format('a') }}",
    "ljust": "{{ 'a'.ljust(1000000000) }}",
    "center filter": "{{ 'a' | center(1000000000) }}",
    "~ doubling x40": "{% set x = 'ab' %}" + "{% set x = x ~ x %}" * 40 + "{{ x | length }}",
    "3 loops of 1,000": "{% set a = 'x' * 1000 %}{% for i in a %}{% for j in a %}{% for k in a %}.{% endfor %}"
                        "{% endfor %}{% endfor %}",
    "list * in loops": "{% set a = [1] * 20000 %}{% for i in a %}{% for j in a %}{{ j }}{% endfor %}{% endfor %}",
    "nested list repr": "{% set x = ['a' * 1000] %}" + "{% set x = [x, x] %}" * 40 + "{{ x }}",
    "macro recursion": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(30) }}",
    "int squaring": "{% set n = 99999999 %}" + "{% set n = n * n %}" * 30 + "{{ n > 1 }}",
    "batch fill": "{{ [1] | batch(1000000000, 'x') | list | length }}",
    "prompt > 20,000": "{{ 'x' * 19999 }}{{ 'y' * 19999 }}",
}

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
cap = int(sys.argv[3]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from compiler.templates import TemplateProblem, compile_template
import compiler.validate  # imported by every compile before templates are
variables = {"action": "Luca (a shy boy) runs", "shot": {"id": "a", "type": "close_up", "duration": 3.0,
             "camera": {"move": "static", "amount": None}}, "scene": {"id": "s", "heading": "EXT. COVE"},
             "location": None, "characters": [{"name": "Luca", "description": "a shy boy"}],
             "project": {"title": "T"}, "style": {"name": "s"}}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    outcome = "%d chars" % len(compile_template(sys.argv[2]).render(variables))
except TemplateProblem as exc:
    outcome = exc.code
except MemoryError:
    outcome = "MemoryError"
seconds = time.perf_counter() - start
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"outcome": outcome, "seconds": seconds, "mb": grown}))
"""


def measure(root: Path, template: str, cap_mb: int, timeout: float) -> dict[str, object]:
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(root), template, str(cap_mb)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"outcome": f"killed after {timeout:g} s", "seconds": None, "mb": None}
    if done.returncode != 0 or not done.stdout.strip():
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"outcome": f"crashed: {last[:60]}", "seconds": time.perf_counter() - start, "mb": None}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="studio checkout to measure (default: this one)")
    parser.add_argument("--cap-mb", type=int, default=2048, help="address-space cap per template (MB)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds before a template is killed")
    parser.add_argument("--repeat", type=int, default=3, help="runs per template (the fastest is shown)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.machine import header

    print(header("jinja2"), flush=True)
    print(f"{'template':<18} {'outcome':<28} {'seconds':>8} {'MB':>8}")
    for name, template in TEMPLATES.items():
        runs = [measure(args.root, template, args.cap_mb, args.timeout) for _ in range(args.repeat)]
        timed = [(r["seconds"], i) for i, r in enumerate(runs) if isinstance(r["seconds"], float)]
        r = runs[min(timed)[1]] if timed else runs[0]
        seconds = f"{r['seconds']:.3f}" if isinstance(r["seconds"], float) else "-"
        mb = f"{r['mb']:.1f}" if isinstance(r["mb"], (int, float)) else "-"
        print(f"{name:<18} {str(r['outcome']):<28} {seconds:>8} {mb:>8}", flush=True)


if __name__ == "__main__":
    main()
