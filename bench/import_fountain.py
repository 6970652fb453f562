"""Time `studio import` on synthetic Fountain screenplays of growing size.

The scripts are generated here (deterministically, from a seed): a title page, scenes in a few
dozen places with INT/EXT and time-of-day variants, characters introduced in action lines, action
paragraphs with camera words, dialogue exchanges with parentheticals, (V.O.)/(O.S.) cues, lyrics,
transitions, centred text and notes.

For each size it runs the real command (`python -m runtime.cli import SCRIPT -o OUT --force`, Python
start-up included) and prints the best wall time and CPU time of N runs; `--stages` adds, in this
process, the seconds of each stage (decode and import, writing the YAML, reading it back to check).
`--code DIR` measures another checkout of studio (say, an older commit unpacked with `git archive`),
so before/after figures come from one script on one machine.

Usage: python bench/import_fountain.py [--sizes 152000 1000000 5800000] [--runs 3] [--stages] [--code DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PLACES = ["KITCHEN", "HARBOUR", "LIGHTHOUSE", "MARKET SQUARE", "TRAIN STATION", "OLD BARN", "ROOFTOP",
           "LIBRARY", "FOREST ROAD", "HOSPITAL CORRIDOR", "BEACH", "POLICE STATION", "DINER", "CHURCH",
           "SCHOOL GYM", "CAR", "BRIDGE", "CAVE", "ATTIC", "GARDEN", "OFFICE", "MOTEL ROOM", "FIELD", "PIER"]
_TIMES = ["DAY", "NIGHT", "MORNING", "DUSK", "CONTINUOUS", "LATER"]
_NAMES = ["MARTA", "JONAS", "ODILE", "BEN", "PRIYA", "OSCAR", "LENA", "TOMAS", "RUTH", "KOFI", "ISLA",
          "VIKTOR", "NADIA", "HUGO", "EMMA", "SAUL", "GRETA", "AMIR", "JUNE", "FELIX"]
_INTROS = ["(40s), a broad-shouldered fisherman with a grey beard", "(8), a small girl in a yellow coat",
           "(70s), an old woman with a cane", "(30s), a tired nurse in blue scrubs", "(16), a lanky teenage boy",
           "(50s), a stern man in a dark suit", "(20s), a young woman with red hair", "(60s), a gentle grandfather"]
_ACTION = ["rain taps on the window", "the kettle starts to whistle", "a dog barks somewhere far off",
           "the lights flicker", "waves slap against the stones", "a door creaks open", "the clock ticks",
           "a car passes, its headlights sweeping the wall", "the wind pulls at the curtains",
           "a phone buzzes on the table", "birds scatter from the roof", "the floor boards groan"]
_VERBS = ["looks at", "walks toward", "turns away from", "sits beside", "points at", "waits for", "hugs",
          "stares at", "runs after", "kneels next to"]
_CAMERA = ["The camera moves toward the window.", "We pan across the room.", "The camera pulls back.",
           "We tilt up to the sky.", ""]
_WORDS = ("we should go now before the light is gone and nobody will ever know what happened here I told you "
          "already that the boat is not ready you never listen to me why would I lie about this").split()
_PARENS = ["(quietly)", "(laughs)", "(angry)", "(confused)", "(beat)", "(turning to the door)", "(whispering)",
           "(sadly)", "(into the phone)"]


def synthetic_script(size: int, seed: int = 0) -> str:
    """A Fountain screenplay of about ``size`` bytes."""
    rng = random.Random(seed)
    out = ["Title: The Long Tide", "Credit: written by", "Author: Bench Mark", "Draft date: 2024-01-01", "", ""]
    length = sum(len(p) + 1 for p in out)
    introduced: set[str] = set()
    scene = 0
    while length < size:
        scene += 1
        place = rng.choice(_PLACES)
        prefix = rng.choice(["INT.", "EXT.", "INT.", "I/E."])
        paras = [f"{prefix} {place} - {rng.choice(_TIMES)}" + (f" #{scene}#" if scene % 7 == 0 else "")]
        cast = rng.sample(_NAMES, rng.randint(2, 3))
        for _ in range(rng.randint(2, 5)):
            who = rng.choice(cast)
            if who not in introduced:
                introduced.add(who)
                intro = f"{who} {rng.choice(_INTROS)}, {rng.choice(_VERBS)} {rng.choice(cast).title()}."
            else:
                intro = f"{who.title()} {rng.choice(_VERBS)} {rng.choice(cast).title()}."
            paras.append(f"{rng.choice(_ACTION).capitalize()}. {intro} {rng.choice(_CAMERA)}".strip())
            for _ in range(rng.randint(1, 6)):
                speaker = rng.choice(cast)
                cue = speaker + rng.choice(["", "", "", "", " (V.O.)", " (O.S.)", " (CONT'D)"])
                speech = [cue]
                if rng.random() < 0.4:
                    speech.append(rng.choice(_PARENS))
                speech.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 25))).capitalize() + ".")
                if rng.random() < 0.15:
                    speech += [rng.choice(_PARENS), " ".join(rng.choice(_WORDS) for _ in range(6)).capitalize() + "!"]
                paras.append("\n".join(speech))
            if rng.random() < 0.1:
                paras.append("[[shot: wide]]")
        if rng.random() < 0.3:
            paras.append(rng.choice(["CUT TO:", "DISSOLVE TO:", "SMASH CUT TO:", "> FADE TO BLACK."]))
        if rng.random() < 0.05:
            paras.append("> ONE YEAR LATER <")
        text = "\n\n".join(paras) + "\n\n"
        out.append(text)
        length += len(text)
    out.append("> THE END <\n")
    return "\n".join(out)


def command(script: Path, out: Path, code: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of one `studio import` in a fresh Python, and what it said."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "runtime.cli", "import", str(script), "-o", str(out), "--force"],
                          capture_output=True, text=True, cwd=code, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"studio import failed:\n{done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stderr.strip().splitlines()[-1]


def stages(text: str) -> dict[str, float]:
    """CPU seconds of each stage of the import in this process."""
    sys.path.insert(0, str(ROOT))
    from studio_lang.fountain.importer import decode_script, import_fountain
    from studio_lang.yaml.syntax import reads_as
    from studio_lang.yaml.write import emit_yaml_data

    t0 = time.process_time()
    source, _ = decode_script(text.encode("utf-8"), "bench.fountain")
    assert source is not None
    project, _ = import_fountain(source, title="bench")
    t1 = time.process_time()
    out = emit_yaml_data(project)
    t2 = time.process_time()
    assert reads_as(out, project)
    t3 = time.process_time()
    return {"import": t1 - t0, "write": t2 - t1, "read back": t3 - t2}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[152_000, 1_000_000, 5_800_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="also time each stage in this process (this checkout)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout of studio to run (default: this one)")
    opts = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.machine import header

    print(header(), flush=True)
    print(f"{'bytes':>9} {'wall s':>7} {'cpu s':>7}  result" + ("   stages (cpu s)" if opts.stages else ""))
    with tempfile.TemporaryDirectory() as tmp:
        for size in opts.sizes:
            text = synthetic_script(size)
            script = Path(tmp) / f"s{size}.fountain"
            script.write_text(text, encoding="utf-8")
            best_wall = best_cpu = float("inf")
            said = ""
            for _ in range(opts.runs):
                wall, cpu, said = command(script, Path(tmp) / f"s{size}.studio.yaml", opts.code.resolve())
                best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
            line = f"{len(text.encode()):>9} {best_wall:>7.2f} {best_cpu:>7.2f}  {said.split(': ', 1)[-1]}"
            if opts.stages:
                best = min((stages(text) for _ in range(opts.runs)), key=lambda s: sum(s.values()))
                line += "   " + ", ".join(f"{k} {v:.2f}" for k, v in best.items())
            print(line, flush=True)


if __name__ == "__main__":
    main()
