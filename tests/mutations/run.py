"""Break the product on purpose and show that the tests meant to catch each break do (issue 18).

Usage: python tests/mutations/run.py [--only NAME ...] [--baseline] [--list]

Each mutation is applied to a fresh copy of the working tree (tracked and untracked files, never
this checkout), then its targeted tests run there (or, for the bench's claims, item 7, the bench
script that checks them); a mutation is *caught* when they fail. The table
at the end gives, per mutation, the test that failed and its first assertion line. ``--baseline``
runs the same tests on the unmutated copy first: they must pass, or a catch proves nothing.
Not collected by pytest (no ``test_`` prefix): it runs the suite, it is not part of it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutation:
    name: str
    item: str
    """The issue 18 item whose tests must catch it."""
    file: str
    old: str
    new: str
    tests: tuple[str, ...]
    more: tuple[tuple[str, str], ...] = ()
    """Further (old, new) replacements in the same file."""
    command: tuple[str, ...] = ()
    """A script to run instead of pytest (``tests`` then names what it checks): a bench script that
    checks the claims bench/README.md makes and exits non-zero when one fails."""


KEYS = "tests/compiler/test_key_coverage.py::test_field_edit_changes_exactly_its_dependents"

MUTATIONS = [
    Mutation("palette-not-in-keyframe-params", "1", "compiler/plan.py",
             '"shot_type": shot.type, "palette": list(shot.palette),', '"shot_type": shot.type,',
             (f"{KEYS}[styles.*.palette]",)),
    Mutation("palette-not-in-keys", "1", "compiler/plan.py",
             '"params": params,\n',
             '"params": {k: v for k, v in params.items() if k != "palette"},\n',
             (f"{KEYS}[styles.*.palette]",)),
    Mutation("voice-variant-not-in-keys", "1", "compiler/plan.py",
             '"language": v.language, "variant": v.variant,', '"language": v.language,',
             (f"{KEYS}[voices.*.variant]",)),
    Mutation("audio-loop-not-in-soundtrack", "1", "compiler/plan.py",
             '"duck": a.duck, "loop": a.loop,\n                  "fade_in"',
             '"duck": a.duck,\n                  "fade_in"',
             (f"{KEYS}[audio[].loop]",)),
    Mutation("new-field-undeclared", "1", "compiler/spec.py",
             '    notes: str | None = Field(None, description="Free text for the crew; ignored by rendering.")\n',
             '    notes: str | None = Field(None, description="Free text for the crew; ignored by rendering.")\n'
             '    mood: str | None = Field(None, description="How the shot feels.")\n',
             (f"{KEYS}[scenes[].shots[].mood]",)),
    Mutation("atomic-write-direct", "2", "runtime/store.py",
             "def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:\n"
             "    _replace(path, lambda f: f.write(data), mode)\n",
             "def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:\n"
             "    path.parent.mkdir(parents=True, exist_ok=True)\n"
             "    with open(path, 'wb') as f:\n"
             "        f.write(data)\n",
             ("tests/runtime/test_atomic.py::test_atomic_write_killed_at_random_points_leaves_old_or_new",)),
    Mutation("deliver-direct-copy", "2", "runtime/deliver.py",
             "atomic_copy(store.object_path(digest), Path(dest))",
             "(Path(dest).parent.mkdir(parents=True, exist_ok=True),\n"
             "                 __import__('shutil').copyfile(store.object_path(digest), dest))",
             ("tests/runtime/test_atomic.py::test_deliver_killed_at_random_points_leaves_old_or_new",)),
    Mutation("deliver-direct-copy-seen-by-a-reader", "2", "runtime/deliver.py",
             "atomic_copy(store.object_path(digest), Path(dest))",
             "(Path(dest).parent.mkdir(parents=True, exist_ok=True),\n"
             "                 __import__('shutil').copyfile(store.object_path(digest), dest))",
             ("tests/runtime/test_atomic.py::test_a_reader_never_sees_a_partial_deliverable_many",)),
    Mutation("progress-events-held-to-the-end", "3", "runtime/progress.py",
             '        with self.lock:\n            self.stream.write(json.dumps(event) + "\\n")\n'
             '            self.stream.flush()\n\n    def started',
             '        with self.lock:\n'
             '            self.held = [*getattr(self, "held", []), json.dumps(event) + "\\n"]\n\n    def started',
             ("tests/runtime/test_crash.py::test_one_kill_then_a_clean_result",),
             more=(('    def close(self) -> None:\n        pass\n\n\nclass RichReporter',
                    '    def close(self) -> None:\n        self.stream.write("".join(getattr(self, "held", [])))\n'
                    '        self.stream.flush()\n\n\nclass RichReporter'),)),
    Mutation("lock-excludes-nobody", "3", "runtime/lock.py",
             "                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n",
             "                pass\n",
             ("tests/runtime/test_crash.py::test_two_concurrent_builds",)),
    Mutation("jobs-bound-off-by-one", "3", "runtime/executor.py",
             "while ready and len(running) - serial_inflight < self.jobs:",
             "while ready and len(running) - serial_inflight < self.jobs + 1:",
             ("tests/runtime/test_executor.py::test_cpu_tasks_overlap_model_work",)),
    Mutation("model-work-waits-for-cpu-work", "3", "runtime/executor.py",
             "if not serial_inflight and next_serial < len(serial)",
             "if not serial_inflight and len(running) == 0 and next_serial < len(serial)",
             ("tests/runtime/test_executor.py::test_cpu_tasks_overlap_model_work",)),
    Mutation("cancel-keeps-dispatching", "3", "runtime/executor.py",
             "                if self.cancel.is_set():\n                    out.cancelled = True\n"
             "                    break\n",
             "                if self.cancel.is_set():\n                    out.cancelled = True\n",
             ("tests/runtime/test_executor.py::test_cancel_stops_dispatching",)),
    Mutation("schedule-document-order-claims-bound", "4", "compiler/schedule.py",
             "    return Schedule(tuple(order), loads, lower_bound)",
             "    return Schedule(tuple(i[0] for i in items), loads, lower_bound)",
             ("tests/compiler/test_schedule.py",)),
    Mutation("model-manager-pure-lru", "4", "runtime/models.py",
             "            self._unload((spent or idle)[0])", "            self._unload(idle[0])",
             ("tests/runtime/test_executor.py::test_the_model_manager_loads_what_the_schedule_counted",
              "tests/runtime/test_executor.py::test_builds_load_as_scheduled")),
    Mutation("errors-without-a-position", "4", "compiler/pipeline.py",
             "    return sorted(dict.fromkeys(diagnostics), key=sort_key)",
             "    return sorted((d if not d.is_error else __import__('dataclasses').replace(d, span=None)"
             " for d in dict.fromkeys(diagnostics)), key=sort_key)",
             ("tests/compiler/test_fuzz.py::test_text_mutations",)),
    Mutation("reference-example-edited", "5", "examples/luca/film.studio.yaml",
             "# Reference project for format v1.", "# Reference project for format v1 (edited).",
             ("tests/compiler/test_examples.py::test_reference_is_copied_verbatim",)),
    Mutation("readme-restates-a-figure", "7", "README.md",
             "  a GPU): studio's overhead against a bare diffusers loop,",
             "  a GPU): studio's overhead against a bare diffusers loop (+3.8 %),",
             ("tests/test_bench_figures.py::test_no_other_readme_restates_a_figure",)),
    Mutation("bench-without-date-and-machine", "7", "bench/compile.py",
             "    print(header())\n", "",
             ("tests/test_bench_figures.py::test_every_benchmark_prints_its_date_and_machine",)),
    Mutation("batched-keyframes-differ", "7", "backends/diffusers/keyframe.py",
             '"generator": generator(p["seed"]),', '"generator": generator(p["seed"] + len(results)),',
             ("bench/ai_cpu.py: batched keyframes are bit-identical to unbatched",),
             command=("bench/ai_cpu.py", "--only", "keyframes", "--repeat", "1")),
    Mutation("models-unloaded-after-each-use", "7", "runtime/models.py",
             "                entry.users -= 1\n                self._lock.notify_all()\n",
             "                entry.users -= 1\n"
             "                if entry.users == 0 and self._resident.get(identity) is entry:\n"
             "                    self._unload(identity)\n                self._lock.notify_all()\n",
             ("bench/ai_cpu.py: model loads equal the lower bound",),
             command=("bench/ai_cpu.py", "--only", "build", "--builds", "1")),
]


def copy_tree(dest: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def apply(tree: Path, m: Mutation) -> None:
    path = tree / m.file
    text = path.read_text(encoding="utf-8")
    count = text.count(m.old)
    if count != 1:
        raise SystemExit(f"{m.name}: the text to mutate occurs {count} times in {m.file} (the code moved on: "
                         "update the mutation)")
    text = text.replace(m.old, m.new)
    for old, new in m.more:
        if text.count(old) != 1:
            raise SystemExit(f"{m.name}: the text to mutate occurs {text.count(old)} times in {m.file}")
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def run_tests(tree: Path, m: Mutation, timeout: float) -> tuple[int, str]:
    env = {**__import__("os").environ, "PYTHONPATH": str(tree)}
    env.pop("STUDIO_CACHE", None)
    argv = list(m.command) or ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "-m", "slow or not slow",
                               *m.tests]  # the slow tier too: pyproject's addopts deselect it
    try:
        done = subprocess.run([sys.executable, *argv], cwd=tree, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, "timed out"
    return done.returncode, done.stdout + done.stderr


def first_failure(output: str, m: Mutation) -> tuple[str, str]:
    if m.command:  # a bench script: the claim it found false
        claim = re.search(r"^claim: (.+): NO$", output, re.M)
        last = output.strip().splitlines()[-1:] or ["?"]
        return m.command[0], (f"claim: {claim.group(1)}: NO" if claim else last[0][:160])
    failed = re.search(r"^FAILED (\S+)", output, re.M)
    line = re.search(r"^E\s+(.+)$", output, re.M)
    return (failed.group(1) if failed else "?"), (line.group(1).strip()[:160] if line else "?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="mutation names")
    parser.add_argument("--baseline", action="store_true", help="run the targeted tests unmutated first")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.item:>2}  {m.name:<40} {m.file}")
        return 0
    rows = []
    for m in chosen:
        with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
            tree = Path(tmp)
            copy_tree(tree)
            if args.baseline:
                code, output = run_tests(tree, m, args.timeout)
                if code != 0:
                    rows.append((m, "BASELINE FAILS", *first_failure(output, m), 0.0))
                    continue
            apply(tree, m)
            start = time.perf_counter()
            code, output = run_tests(tree, m, args.timeout)
            seconds = time.perf_counter() - start
        verdict = "caught" if code not in (0, 5) else "SURVIVED" if code == 0 else "NO TESTS RAN"
        if code == -1:
            verdict = "TIMED OUT"
        elif m.command and code != 0:  # a script, not pytest: any failure is a catch
            verdict = "caught"
        test, line = first_failure(output, m) if verdict == "caught" else ("-", "-")
        rows.append((m, verdict, test, line, seconds))
        print(f"{m.name}: {verdict} ({seconds:.0f} s) {test}\n    {line}", flush=True)
    print("\n| item | mutation | verdict | failing test | first assertion line |")
    print("|---|---|---|---|---|")
    for m, verdict, test, line, _ in rows:
        print(f"| {m.item} | {m.name} (`{m.file}`) | {verdict} | `{test.split('::')[-1]}` | `{line}` |")
    return 0 if all(r[1] == "caught" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
