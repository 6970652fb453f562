"""Fuzzing: mutated examples never raise anything but diagnostics."""

from __future__ import annotations

import copy
import io
import os
import shutil
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from backends import CATALOG
from compiler import compile_project
from compiler.templates import MAX_OUTPUT, TemplateProblem, compile_template
from studio_lang.diagnostics import render_json, render_text
from tests.compiler.helpers import assert_diagnosed, fuzz_tiers
from tests.conftest import EXAMPLES, ROOT
from tests.watchdog import watchdog

TEXTS = [p.read_text(encoding="utf-8") for e in EXAMPLES for p in e.glob("*.studio.yaml")]
DATA = [YAML(typ="safe", pure=True).load(t) for t in TEXTS]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["auto", "@Luca", "Luca", "cut", "wide", "#ffffff", ""]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                            max_size=3), max_leaves=6)


def check(tmp_path: Path, text: str) -> None:
    path = tmp_path / "film.studio.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = compile_project(path, backends=CATALOG)
    render_text(result.diagnostics, result.sources)
    render_json(result.diagnostics)
    assert_diagnosed(result)


def text_mutations(tmp_path: Path, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(TEXTS))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["insert", "delete", "replace", "dup-line"]))
        chunk = data.draw(st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"#@ \n\t\\%0aZ,?")), max_size=4))
        if op == "insert":
            text = text[:pos] + chunk + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + len(chunk) + 1:]
        elif op == "replace":
            text = text[:pos] + chunk + text[pos + len(chunk):]
        else:
            lines = text.splitlines(keepends=True)
            i = pos % max(len(lines), 1)
            text = "".join(lines[: i + 1] + lines[i:])
    check(tmp_path, text)


test_text_mutations, test_text_mutations_slow = fuzz_tiers(text_mutations, given(data=st.data()))


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def structure_mutations(tmp_path: Path, data: st.DataObject) -> None:
    doc = copy.deepcopy(data.draw(st.sampled_from(DATA)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths(doc)[1:]))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        op = data.draw(st.sampled_from(["set", "delete", "add"]))
        if op == "set":
            parent[path[-1]] = data.draw(values)
        elif op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=8))] = data.draw(values)
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(doc, out)
    check(tmp_path, out.getvalue())


# --- templates with resource bounds (issue 10, item 2) ------------------------------------------------------
# A template is drawn from the operations that build text or lists, with numbers chosen to hurt
# (widths of a billion, repeats of 20,001) and loops, macros and sets that multiply them. Whatever
# comes out, the render ends within the budget: a text of at most 20,000 characters, or E303/E304.
# A watchdog turns a hang into a failure (it is no timing: the budget ends every render in well
# under a second; the alarm only stops a regression from blocking the suite).

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
TEMPLATE_VARS = {"action": "Luca runs", "shot": {"id": "a", "type": "wide", "duration": 2.0,
                                                 "camera": {"move": "static", "amount": None}},
                 "scene": {"id": "s", "heading": "EXT. COVE"}, "location": None,
                 "characters": [{"name": "Luca", "description": "a boy " * 300}], "project": {"title": "T"},
                 "style": {"name": "s"}}
NUMBERS = st.sampled_from(["0", "1", "3", "40", "1000", "19999", "20001", "1000000", "1000000000", "-1"])
ATOMS = st.sampled_from(["action", "shot.type", "characters", "characters[0].description", "'ab'", "'x' * 1000",
                         "[1, 2]", "v", "w", "7", "'%s'", "'{}'", "'a\\n'", "'\\t'"])
_OPS = [
    "(@A) * @N", "(@A) ~ (@B)", "(@A) + (@B)", "[@A, @B]", "'%@Ns' % (@A,)", "'{:>@N}'.format(@A)", "(@A) | center(@N)",
    "(@A) | string | ljust(@N)", "(@A) | join(', ')", "(@A) | batch(@N, 'x') | list", "(@A) | indent(@N, true)",
    "(@A) | replace('a', 'aaaaaaaa')", "(@A) | title", "(@A) | list | sort", "(@A) | unique | list", "(@A) | length",
    "(@A) | string | split", "(@A) | map('upper') | list", "(@A) in (@B)", "(@A) | format(@B)", "(@A) | sum(start=[])",
    "(@A) | string | zfill(@N)", "(@A) | int * (@B) | int",
]
"""Operations that build text or lists; @A and @B stand for expressions, @N for a number."""


def _apply(op: int, a: str, b: str, n: str) -> str:
    return _OPS[op].replace("@A", a).replace("@B", b).replace("@N", n)


EXPRESSIONS = st.recursive(ATOMS, lambda inner: st.builds(_apply, st.integers(0, len(_OPS) - 1), inner, inner, NUMBERS),
                           max_leaves=6)


def _statements(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    block = st.lists(inner, min_size=1, max_size=3).map("".join)
    return st.one_of(
        st.builds(lambda e, b: f"{{% for i in {e} %}}{b}{{% endfor %}}", EXPRESSIONS, block),
        st.builds(lambda e, b: f"{{% if {e} %}}{b}{{% endif %}}", EXPRESSIONS, block),
        st.builds(lambda b, e: f"{{% macro m(v) %}}{b}{{{{ m(v) if v else '' }}}}{{% endmacro %}}{{{{ m({e}) }}}}",
                  block, EXPRESSIONS),
        st.builds(lambda b, n: "{% macro c() %}{{ caller() }}{{ caller() }}{% endmacro %}"
                  + "{% call c() %}" * n + b + "{% endcall %}" * n, block, st.integers(1, 12)),
    )


STATEMENTS = st.recursive(
    st.one_of(EXPRESSIONS.map(lambda e: f"{{{{ {e} }}}}"), EXPRESSIONS.map(lambda e: f"{{% set v = {e} %}}"),
              EXPRESSIONS.map(lambda e: f"{{% set w = {e} %}}"), st.just("text ")),
    _statements, max_leaves=8)
TEMPLATES = st.lists(STATEMENTS, min_size=1, max_size=6).map(lambda parts: "{% set v = 'ab' %}{% set w = [1] %}"
                                                              + "".join(parts))


def render_bounded(source: str) -> None:
    tracemalloc.start()
    try:
        with watchdog():
            try:
                text = compile_template(source).render(TEMPLATE_VARS)
                assert len(text) <= MAX_OUTPUT
            except TemplateProblem as exc:
                assert exc.code in ("E303", "E304"), exc
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20, f"{peak / 2**20:.0f} MB for {source!r}"


@FAST
@given(TEMPLATES)
def test_any_template_renders_or_fails_within_bounds(source: str) -> None:
    render_bounded(source)


@pytest.mark.slow
@SLOW
@given(TEMPLATES)
def test_any_template_renders_or_fails_within_bounds_many(source: str) -> None:
    render_bounded(source)


# --- path components and special files (issue 10, items 1, 4, 7, 8) ------------------------------------------
# The paths a project names are drawn from components that are FIFOs, devices, directories, loops,
# links out of the project, names of 255 and 256 bytes, '..', NUL, and random text; they go where
# a project names files (references, a start picture, music, weights, a revision). Compiling gives
# diagnostics only, and never waits on a FIFO (the watchdog would fail the example).

SPECIAL = ["fifo", "dir", "zero", "loop", "outside", "dangling", "ok.png", "ok.wav", "..", ".", "", "a" * 255,
           "a" * 256, "é" * 128, "x\x00y", "refs", "/", "~", "~nobody0"]
COMPONENTS = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=12))
PATHS = st.lists(COMPONENTS, min_size=1, max_size=4).map("/".join)


def special_project(root: Path) -> Path:
    from PIL import Image

    project = root / "special"
    if project.exists():
        return project
    project.mkdir()
    os.mkfifo(project / "fifo")
    (project / "dir").mkdir()
    (project / "zero").symlink_to("/dev/zero")
    (project / "loop").symlink_to(project / "loop")
    (project / "outside").symlink_to(root)
    (project / "dangling").symlink_to(project / "nowhere")
    Image.new("RGB", (8, 8)).save(project / "ok.png")
    shutil.copy(ROOT / "examples" / "luca" / "audio" / "theme.wav", project / "ok.wav")
    return project


def paths_project(ref: str, start: str, music: str, weights: str, revision: str) -> str:
    doc = {"studio": 1, "project": {"title": "Paths", "models": {"image": "img"}},
           "models": {"img": {"backend": "diffusers", "kind": "image", "weights": weights, "revision": revision}},
           "elements": {"Ana": {"kind": "character", "description": "a girl", "references": [ref]}},
           "scenes": [{"id": "s", "shots": [{"id": "a", "duration": 1, "action": "@Ana", "start": {"image": start}}]}],
           "audio": [{"id": "m", "file": music}]}
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(doc, out)
    return out.getvalue()


def compile_paths(project: Path, text: str) -> None:
    path = project / "film.studio.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with watchdog():
        result = compile_project(path, backends=CATALOG)
    render_text(result.diagnostics, result.sources)
    assert result.ok == (result.plan is not None)
    for d in result.diagnostics:
        assert d.code and d.message and d.span is not None, d


FIFOS = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="POSIX special files")


@FIFOS
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_path_gives_diagnostics_and_never_blocks(tmp_path_factory: pytest.TempPathFactory,
                                                     data: st.DataObject) -> None:
    project = special_project(tmp_path_factory.getbasetemp())
    compile_paths(project, paths_project(*(data.draw(PATHS) for _ in range(5))))


@pytest.mark.slow
@FIFOS
@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_path_gives_diagnostics_and_never_blocks_many(tmp_path_factory: pytest.TempPathFactory,
                                                          data: st.DataObject) -> None:
    project = special_project(tmp_path_factory.getbasetemp())
    compile_paths(project, paths_project(*(data.draw(PATHS) for _ in range(5))))
test_structure_mutations, test_structure_mutations_slow = fuzz_tiers(structure_mutations, given(data=st.data()))
