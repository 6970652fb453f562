"""Bad input of every kind becomes a coded diagnostic at the right place, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends import CATALOG
from compiler import compile_project
from tests.compiler.helpers import MINIMAL, codes, compile_text


def only(result, code: str):
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [(d.code, d.message) for d in result.diagnostics]
    return found[0]


@pytest.mark.parametrize(("text", "code", "line"), [
    ("studio: 1\nproject: {title: x\n", "E101", 2),
    ("studio: 1\nproject:\n\ttitle: x\n", "E101", 3),
    ("studio: 1\nstudio: 1\n", "E102", 2),
    ("a: &a [*a]\n", "E103", 1),
    ("studio: 1\nx: !!binary aGVsbG8=\n", "E105", 2),
    ("studio: 1\n? [a, b]\n: 1\n", "E105", 2),
    ("---\nstudio: 1\n---\nstudio: 1\n", "E106", 4),
    ("", "E107", 1),
    ("# only a comment\n", "E107", 1),
    ("studio: 2\n", "E206", 1),
    ("- just\n- a list\n", "E202", 1),
])
def test_syntax_problems(tmp_path: Path, text: str, code: str, line: int) -> None:
    d = only(compile_text(tmp_path, text), code)
    assert d.span is not None and d.span.line == line


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    only(compile_text(tmp_path, "\n".join(lines) + "\n"), "E103")


def test_deep_nesting(tmp_path: Path) -> None:
    only(compile_text(tmp_path, "studio: " + "[" * 5000 + "]" * 5000 + "\n"), "E104")
    deep = "studio: 1\nproject:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200))
    only(compile_text(tmp_path, deep), "E104")


def test_merge_keys_work(tmp_path: Path) -> None:
    text = MINIMAL.replace("voices:\n  ana: {pitch: 60}", "voices:\n  base: &base {pitch: 60, rate: 150}\n"
                           "  ana: {<<: *base, pitch: 70}")
    result = compile_text(tmp_path, text)
    assert result.ok, result.diagnostics
    assert result.plan is not None
    assert result.plan.tasks["speech:s1/b/1"].params["pitch"] == 70
    assert result.plan.tasks["speech:s1/b/1"].params["rate"] == 150


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "film.studio.yaml"
    path.write_bytes(b"studio: 1\nproject: {title: caf\xe9}\n")
    d = only(compile_project(path), "E002")
    assert (d.span.line, d.span.column) == (2, 21)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "film.studio.yaml"
    path.write_bytes(b"\x00\x01\x02PNG")
    only(compile_project(path), "E002")


def test_directory_with_zero_or_two_projects(tmp_path: Path) -> None:
    only(compile_project(tmp_path), "E003")
    (tmp_path / "a.studio.yaml").write_text(MINIMAL)
    (tmp_path / "b.studio.yaml").write_text(MINIMAL)
    only(compile_project(tmp_path), "E004")
    only(compile_project(tmp_path / "missing.studio.yaml"), "E005")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "film.studio.yaml"
    path.mkdir()
    assert "E001" in codes(compile_project(path)) or "E003" in codes(compile_project(path))


def test_crlf_and_bom_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "film.studio.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.replace("\n", "\r\n").encode())
    result = compile_project(path, backends=CATALOG)
    assert result.ok, result.diagnostics


def test_yaml_12_booleans(tmp_path: Path) -> None:
    """'yes' and 'on' are strings in YAML 1.2, so they are wrong types for booleans, not silently true."""
    text = MINIMAL + "output: {storyboard: yes}\n"
    d = only(compile_text(tmp_path, text), "E202")
    assert "true or false" in d.message


def test_a_misspelt_key_stands_for_its_missing_key_only_where_it_is(tmp_path: Path) -> None:
    text = MINIMAL.replace("elements:\n", "elements:\n  Bo: {kind: prop, descripton: a kite}\n  Cy: {kind: prop}\n")
    result = compile_text(tmp_path, text)
    found = [(d.code, d.span.line) for d in result.diagnostics]
    assert found == [("E201", 4), ("E203", 5)]  # Bo: the typo says it all; Cy: description is missing
    assert result.diagnostics[0].hint == "did you mean 'description'?"
