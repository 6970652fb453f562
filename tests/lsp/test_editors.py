"""The VS Code extension's files agree with the language: the grammar's words are the DSL's, its
patterns compile, the client starts `studio lsp` for both syntaxes."""

from __future__ import annotations

import json
import re
from typing import Any

from studio_lang.dsl.vocab import MOVES, SHOT_TYPES, TRANSITIONS
from tests.conftest import ROOT

VSCODE = ROOT / "editors" / "vscode"


def patterns(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        found += [v for k, v in node.items() if k in ("match", "begin", "end") and isinstance(v, str)]
        for value in node.values():
            found += patterns(value)
    elif isinstance(node, list):
        for value in node:
            found += patterns(value)
    return found


def test_the_grammar_knows_the_dsl_words() -> None:
    grammar = json.loads((VSCODE / "syntaxes" / "studio.tmLanguage.json").read_text())
    assert grammar["scopeName"] == "source.studio"
    every = patterns(grammar)
    for words in (SHOT_TYPES, MOVES, TRANSITIONS):
        assert any("|".join(words) in p for p in every), words
    for pattern in every:
        re.compile(pattern)  # Oniguruma reads these too; Python's engine agrees on what they use


def test_the_extension_starts_the_server_for_both_syntaxes() -> None:
    package = json.loads((VSCODE / "package.json").read_text())
    [language] = package["contributes"]["languages"]
    assert language["id"] == "studio" and language["extensions"] == [".studio"]
    assert package["contributes"]["configuration"]["properties"]["studio.server.command"]["default"] == \
        ["studio", "lsp"]
    assert "vscode-languageclient" in package["dependencies"]
    client = (VSCODE / "extension.js").read_text()
    assert '{ scheme: "file", language: "studio" }' in client and "**/*.studio.yaml" in client
    ignored = (VSCODE / ".gitignore").read_text().split()
    assert "node_modules/" in ignored and "*.vsix" in ignored


def test_the_editors_doc_covers_neovim_helix_and_emacs() -> None:
    doc = (ROOT / "docs" / "editors.md").read_text()
    for editor in ("## Neovim", "## Helix", "## Emacs (eglot", "## Visual Studio Code"):
        assert editor in doc
    assert doc.count('"studio", "lsp"') + doc.count("args = [\"lsp\"]") >= 3


def test_examples_keep_their_schema_line() -> None:
    for path in (ROOT / "examples").glob("*/*.studio.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema="), path


def test_every_key_of_a_settings_line_is_a_keyword() -> None:
    grammar = json.loads((VSCODE / "syntaxes" / "studio.tmLanguage.json").read_text())
    setting = grammar["repository"]["setting"]
    [keyword] = [p["match"] for p in setting["patterns"] if p.get("name", "").startswith("keyword.other.setting")]
    line = "fps 24  resolution 960x540  seed 42  style gouache"
    assert re.match(setting["begin"], line)
    assert [m.group(1) for m in re.finditer(keyword, line)] == ["fps", "resolution", "seed", "style"]
    assert not re.match(setting["begin"], "styles are not settings")
