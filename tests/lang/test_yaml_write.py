"""The fast YAML writer: the layout of ``emit_yaml``, and any plain data reads back equal, through our
reader (YAML 1.2) and through PyYAML (YAML 1.1: ``yes``, ``on``, ``1:30`` would be booleans and numbers)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml as pyyaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio_lang import ast
from studio_lang.dsl.emit import from_data
from studio_lang.source import SourceFile
from studio_lang.yaml.emit import emit_yaml
from studio_lang.yaml.syntax import parse_yaml, reads_as
from studio_lang.yaml.write import emit_yaml_data
from tests.lang.helpers import FOUNTAIN, YAML_EXAMPLES
from tests.lang.test_fountain import imported


def read(text: str) -> Any:
    tree, diagnostics = parse_yaml(SourceFile("x.studio.yaml", text))
    assert tree.root is not None and not diagnostics, diagnostics
    return ast.to_data(tree.root)


@pytest.mark.parametrize("path", YAML_EXAMPLES, ids=lambda p: p.parent.name)
def test_examples_come_out_as_emit_yaml_writes_them(path: Any) -> None:
    data = read(path.read_text(encoding="utf-8"))
    assert emit_yaml_data(data) == emit_yaml(from_data(data))


@pytest.mark.parametrize("script", sorted(FOUNTAIN.glob("*.fountain")), ids=lambda p: p.stem)
def test_imports_come_out_as_emit_yaml_writes_them(script: Any) -> None:
    data, _ = imported(script.name)
    text = emit_yaml_data(data, ["yaml-language-server: $schema=x.json"])
    assert read(text) == data and reads_as(text, data)
    assert text == emit_yaml(from_data(data), header=["yaml-language-server: $schema=x.json"])


def test_words_other_readers_take_for_booleans_numbers_or_null_are_quoted() -> None:
    words = ["yes", "no", "on", "off", "y", "N", "True", "null", "~", "1:30", "0o17", "0x1F", "1_000", ".5", "1e3",
             "2024-01-01", "<<", "=", ".inf"]
    data: dict[str, Any] = {"voices": {w: {"description": w} for w in words}, "list": words}
    text = emit_yaml_data(data)
    assert "\n  'yes':\n" in text and "\n  'on':\n" in text and "description: 'off'" in text
    assert pyyaml.safe_load(text) == data == read(text)
    assert pyyaml.safe_load(emit_yaml(from_data(data))) == data  # the ruamel path quotes them too


def test_reads_as_tells_any_difference() -> None:
    data: dict[str, Any] = {"a": [1, "1", 1.5, True, None, {"b": "x"}]}
    text = emit_yaml_data(data)
    assert reads_as(text, data)
    others: list[dict[str, Any]] = [
        {"a": [1, 1, 1.5, True, None, {"b": "x"}]}, {"a": [1, "1", 1.5, 1, None, {"b": "x"}]},
        {"a": [1, "1", 1.5, True, None, {"b": "y"}]}, {"a": [1, "1", 1.5, True, None]}, {"b": []}]
    for other in others:
        assert not reads_as(text, other)
    assert not reads_as("a: 1\nb: 2\n", {"b": 2, "a": 1})  # key order is part of the document
    assert not reads_as("a: &x 1\nb: *x\n", {"a": 1, "b": 1})  # aliases are never written
    assert not reads_as("a: !!binary aGk=\n", {"a": "aGk="})
    assert not reads_as("a: 1\n---\na: 1\n", {"a": 1})
    assert not reads_as("a: [\n", {"a": []})


_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12) | st.sampled_from([
    "", " lead", "trail ", "a: b", "a #b", "#c", "- x", "? q", "@Luca", "'q'", '"q"', "yes", "No", "on", "1.5",
    "0o7", "1:2", "x\ny", "tab\there", "\u2028", "\x85", "\ufeff", "\x07", "multi\n\nline\n", "{a}", "[b]", "&a",
    "*a", "!t", "|", ">", "%x", "`x", "a,b", "key:", "::", "-", "."])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                     st.floats(allow_nan=False, allow_infinity=False), _text)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
                       max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.dictionaries(_text, _values, min_size=1, max_size=5))
def test_any_plain_data_reads_back_equal(data: dict[str, Any]) -> None:
    text = emit_yaml_data(data)
    assert read(text) == data
    assert reads_as(text, data)
    assert pyyaml.safe_load(text) == data
