"""Fuzzing: mutated examples never raise anything but diagnostics."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from backends import CATALOG
from compiler import compile_project
from studio_lang.diagnostics import render_json, render_text
from tests.compiler.helpers import assert_diagnosed, fuzz_tiers
from tests.conftest import EXAMPLES

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


test_structure_mutations, test_structure_mutations_slow = fuzz_tiers(structure_mutations, given(data=st.data()))
