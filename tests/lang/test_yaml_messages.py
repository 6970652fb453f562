"""YAML syntax errors in words, with a hint (issue 10, item 25): golden diagnostics, for libyaml
(the default when ruamel.yaml.clibz is installed) and for ruamel's pure-Python parser."""

from __future__ import annotations

import pytest

import studio_lang.yaml.syntax as yaml_syntax
from studio_lang.diagnostics import render_text
from studio_lang.source import SourceFile

CASES = {
    "tab": ("studio: 1\nproject:\n\ttitle: Tabs\n", """\
f.studio.yaml:3:1: error[E101]: a tab is used for indentation: YAML indents with spaces only
  |
3 |  title: Tabs
  | ^ replace the tab with spaces (your editor can insert spaces when you press Tab)
"""),
    "at": ("scenes:\n  - id: a\n    shots:\n      - id: b\n        action: @Luca runs\n", """\
f.studio.yaml:5:17: error[E101]: a value starting with '@' must be quoted (YAML reserves '@')
  |
5 |         action: @Luca runs
  |                 ^ put it in quotes: action: "@Luca runs"
"""),
    "colon": ("scenes:\n  - id: a\n    shots:\n      - id: b\n        action: Luca: runs\n", """\
f.studio.yaml:5:21: error[E101]: ': ' inside a value that is not quoted
  |
5 |         action: Luca: runs
  |                     ^ quote the value: action: "Luca: runs"
"""),
    "list item indented": ("scenes:\n  - id: a\n  - id: b\n   - id: c\n", """\
f.studio.yaml:4:4: error[E101]: this line is indented differently from the list items above it
  |
4 |    - id: c
  |    ^ items of one list start in the same column as its first item (line 2, column 3)
"""),
    "key indented deeper": ("project:\n  title: x\n    fps: 3\n", """\
f.studio.yaml:3:8: error[E101]: YAML reads this line as the continuation of the one above it
  |
3 |     fps: 3
  |        ^ if the line above is 'key: value' it needs ': ' (a space after the colon); if this line is a key \
of its own, indent it like the keys around it
"""),
    "quote never closed": ("project:\n  title: \"Luca\nscenes: []\n", """\
f.studio.yaml:2:10: error[E101]: a quoted value is never closed
  |
2 |   title: "Luca
  |          ^ close the quote opened on line 2
"""),
    "flow mapping": ("project: {title: x\nscenes: []\n", """\
f.studio.yaml:2:7: error[E101]: a '}' or a ',' is missing in the mapping opened on line 1
  |
2 | scenes: []
  |       ^ separate its entries with ',' and close it with '}'
"""),
    "list on the key's line": ("shots: - id: a\n", """\
f.studio.yaml:1:8: error[E101]: a list item ('- ') cannot start on the line of its key
  |
1 | shots: - id: a
  |        ^ start the list on the next line, indented, or write it in brackets: [a, b]
"""),
    "colon without space": ("a: 1\nb:#x\n", """\
f.studio.yaml:2:1: error[E101]: a ':' needs a space after it
  |
2 | b:#x
  | ^ write 'key: value', with a space after the colon
"""),
}
SAME_IN_BOTH = ("tab", "at", "colon", "key indented deeper", "quote never closed", "flow mapping",
                "colon without space")


def render(text: str) -> str:
    source = SourceFile("f.studio.yaml", text)
    _, diagnostics = yaml_syntax.parse_yaml(source)
    return render_text(diagnostics, {source.name: source})


@pytest.mark.parametrize("name", CASES)
def test_yaml_errors_are_explained(name: str) -> None:
    if yaml_syntax.CSafeLoader is None:
        pytest.skip("libyaml (ruamel.yaml.clibz) is not installed")
    text, golden = CASES[name]
    assert render(text) == golden


@pytest.mark.parametrize("name", SAME_IN_BOTH)
def test_the_pure_python_parser_gets_the_same_words(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_syntax, "CSafeLoader", None)
    text, golden = CASES[name]
    assert render(text) == golden


def test_no_error_keeps_the_parsers_jargon() -> None:
    for text, _ in CASES.values():
        out = render(text)
        for jargon in ("cannot start any token", "indicator", "in this context", "while scanning", "block end"):
            assert jargon not in out
