"""One source for performance figures (issue 18, item 7).

Every figure lives in bench/README.md as the output of the script that printed it, and that output
starts with the date and the machine (``bench.machine.header``). Other READMEs say what is measured
and the targets, and link there: a figure copied to a second place drifts (README and
bench/README.md once gave 3.8 % and 3.6 % for the same measurement). The claims the figures come
with (model loads equal the lower bound, batched keyframes bit-identical to unbatched) are checked
by the script that prints them, which exits 1 when one fails (tests/mutations/run.py shows it).
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "bench"
NOT_BENCHMARKS = {"__init__", "machine", "synthetic", "make_tiny_models"}
"""Modules of bench/ that measure nothing: helpers, and the tiny models' maker."""
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if p.stem not in NOT_BENCHMARKS)
AWAITING_A_RUN: dict[str, str] = {}
"""Scripts whose output block is not in bench/README.md yet, and why: each is a known gap, named here
rather than hidden (they still print the header, which the first test checks)."""
HEADER = re.compile(r"^measured \d{4}-\d\d-\d\d \d\d:\d\d UTC on .+, \d+ cores \(load average .+\)")
FIGURE = re.compile(r"\d(?:[\d,.]*\d)?\s?(?:ms|s|%|MiB|GiB|GB|frames/s|/s|x)(?![\w])")
TARGETS = re.compile(r"\(targets?:[^)]*\)")
"""A target is a promise, not a measurement: "(targets: 1,000 shots under 1 s)" may stand anywhere."""


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """(the paragraph just above: its command, the lines) of every fenced ``text`` block."""
    return [(text[: match.start()].rstrip().split("\n\n")[-1], match.group(1).splitlines())
            for match in re.finditer(r"```text\n(.*?)```", text, re.S)]


def test_every_benchmark_prints_its_date_and_machine() -> None:
    for name in SCRIPTS:
        source = (BENCH / f"{name}.py").read_text(encoding="utf-8")
        assert "from bench.machine import header" in source and "print(header(" in source, (
            f"bench/{name}.py: print bench.machine.header() first, so that its figures carry the date and machine")


def test_the_header_names_date_machine_and_load() -> None:
    from bench.machine import header

    line = header("numpy")
    assert HEADER.match(line), line
    assert "numpy " in line and "Python " in line


@pytest.mark.parametrize("name", SCRIPTS)
def test_bench_readme_holds_each_scripts_output_with_its_header(name: str) -> None:
    if name in AWAITING_A_RUN:
        pytest.xfail(AWAITING_A_RUN[name])
    outputs = [(command, lines) for command, lines in blocks((BENCH / "README.md").read_text(encoding="utf-8"))
               if f"python bench/{name}.py" in command]
    assert outputs, f"bench/README.md: no ```text block of `python bench/{name}.py` output under its command"
    for command, lines in outputs:
        assert lines and HEADER.match(lines[0]), (
            f"bench/README.md, {command}: the output must start with the line bench.machine.header() prints, "
            f"not {lines[:1]}")


def test_every_output_block_in_bench_readme_has_a_header() -> None:
    for command, lines in blocks((BENCH / "README.md").read_text(encoding="utf-8")):
        assert "python bench/" in command, f"bench/README.md: a ```text block not under its command: {lines[:1]}"
        assert lines and HEADER.match(lines[0]), f"bench/README.md, {command}: no date and machine: {lines[:1]}"


def test_no_other_readme_restates_a_figure() -> None:
    for readme in sorted(ROOT.glob("**/README.md")):
        if readme == BENCH / "README.md" or {"node_modules", ".venv", ".venv-ci"} & set(readme.parts):
            continue
        for paragraph in readme.read_text(encoding="utf-8").split("\n\n"):
            if "bench/" not in paragraph and "benchmark" not in paragraph.lower():
                continue
            figures = FIGURE.findall(TARGETS.sub("", paragraph.replace("\n", " ")))
            assert not figures, (
                f"{readme.relative_to(ROOT)}: a measured figure ({figures[0]!r}) beside a benchmark; keep figures "
                f"in bench/README.md, under the output of the script that printed them, and link there:\n{paragraph}")
