"""Every example means the same in both syntaxes: identical documents, identical task keys."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from backends import CATALOG
from compiler import Compilation, compile_project, spec
from compiler.film import KNOWN_EMOTIONS
from studio_lang import ast
from studio_lang.comments import yaml_comments
from studio_lang.dsl import vocab as dsl_vocab
from studio_lang.dsl.emit import emit_dsl
from studio_lang.dsl.lexer import lex
from studio_lang.fountain import words as fountain_words
from studio_lang.loader import parse, read_source
from studio_lang.yaml.emit import emit_yaml, format_yaml
from tests.conftest import copy_example
from tests.lang.helpers import DSL_EXAMPLES, YAML_EXAMPLES


def keys(result: Compilation) -> dict[str, str]:
    assert result.plan is not None, [d.message for d in result.diagnostics]
    return {t.id: t.key for t in result.plan.tasks.values()}


def load(path: Path) -> ast.Project:
    source, diagnostics = read_source(path)
    assert source is not None, diagnostics
    tree, diagnostics = parse(source)
    assert tree.root is not None and not [d for d in diagnostics if d.is_error], diagnostics
    return tree


@pytest.mark.parametrize("example", YAML_EXAMPLES, ids=lambda p: p.parent.name)
def test_yaml_example_converts_to_the_dsl_and_back(example: Path, tmp_path: Path) -> None:
    project = copy_example(example.parent, tmp_path / example.parent.name)
    tree = load(project / example.name)
    text = emit_dsl(tree.root, tree.source, yaml_comments(tree.source, tree.root))
    dsl_path = project / "film.studio"
    dsl_path.write_text(text, encoding="utf-8")
    dsl_tree = load(dsl_path)
    assert ast.to_data(dsl_tree.root) == ast.to_data(tree.root)
    again = project / "again.studio.yaml"
    again.write_text(emit_yaml(dsl_tree.root, source=dsl_tree.source, comments=lex(dsl_tree.source).comments))
    assert ast.to_data(load(again).root) == ast.to_data(tree.root)
    from_yaml = compile_project(project / example.name, backends=CATALOG)
    from_dsl = compile_project(dsl_path, backends=CATALOG)
    assert [d.code for d in from_dsl.diagnostics] == [d.code for d in from_yaml.diagnostics]
    assert keys(from_dsl) == keys(from_yaml)


@pytest.mark.parametrize("example", YAML_EXAMPLES, ids=lambda p: p.parent.name)
def test_yaml_example_comments_survive_the_dsl(example: Path) -> None:
    tree = load(example)
    comments = [c.text.strip() for c in yaml_comments(tree.source, tree.root)]
    text = emit_dsl(tree.root, tree.source, yaml_comments(tree.source, tree.root))
    for comment in comments:
        assert comment in text


@pytest.mark.parametrize("example", DSL_EXAMPLES, ids=lambda p: p.parent.name)
def test_dsl_example_checks_clean_and_plans(example: Path) -> None:
    result = compile_project(example.parent, backends=CATALOG)  # the directory: .studio files are found too
    assert result.source is not None and result.source.name.endswith(".studio")
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    assert result.plan is not None
    assert result.plan.schedule.loads == result.plan.schedule.lower_bound


@pytest.mark.parametrize("example", DSL_EXAMPLES, ids=lambda p: p.parent.name)
def test_dsl_example_converts_to_yaml_with_the_same_keys(example: Path, tmp_path: Path) -> None:
    project = copy_example(example.parent, tmp_path / example.parent.name)
    tree = load(project / example.name)
    yaml_path = project / "film.studio.yaml"
    yaml_path.write_text(emit_yaml(tree.root, source=tree.source, comments=lex(tree.source).comments))
    assert ast.to_data(load(yaml_path).root) == ast.to_data(tree.root)
    assert keys(compile_project(yaml_path, backends=CATALOG)) == keys(compile_project(project / example.name,
                                                                                      backends=CATALOG))
    for comment in lex(tree.source).comments:
        assert comment.text.strip() in yaml_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("example", [*YAML_EXAMPLES, *DSL_EXAMPLES], ids=lambda p: p.name + ":" + p.parent.name)
def test_examples_are_formatted(example: Path) -> None:
    text = example.read_text(encoding="utf-8")
    tree = load(example)
    if example.name.endswith(".studio"):
        assert emit_dsl(tree.root, tree.source, lex(tree.source).comments) == text
    else:
        assert format_yaml(text) == text


def test_converting_twice_gives_the_same_text() -> None:
    for example in YAML_EXAMPLES:
        tree = load(example)
        once = emit_dsl(tree.root, tree.source, yaml_comments(tree.source, tree.root))
        from tests.lang.helpers import parse as parse_text

        again, _ = parse_text(once)
        assert emit_dsl(again.root, again.source, lex(again.source).comments) == once


def test_dsl_words_match_the_format() -> None:
    assert dsl_vocab.SHOT_TYPES == typing.get_args(spec.ShotType)
    assert dsl_vocab.MOVES == typing.get_args(spec.CameraMove)
    assert dsl_vocab.TRANSITIONS == typing.get_args(spec.Transition.model_fields["type"].annotation)
    assert dsl_vocab.ELEMENT_KINDS == typing.get_args(spec.Element.model_fields["kind"].annotation)
    assert dsl_vocab.AUDIO_KINDS == typing.get_args(spec.AudioTrack.model_fields["kind"].annotation)
    assert set(dsl_vocab.MODEL_FIELDS) == set(spec.ModelConfig.model_fields)
    assert fountain_words.KNOWN_EMOTIONS == KNOWN_EMOTIONS
    models = {"root": spec.Project, "project": spec.ProjectSettings, "model": spec.ModelConfig, "style": spec.Style,
              "voice": spec.Voice, "element": spec.Element, "audio": spec.AudioTrack, "scene": spec.Scene,
              "shot": spec.Shot, "dialogue": spec.DialogueLine, "camera": spec.Camera,
              "transition": spec.Transition, "models": spec.ModelOverrides, "lora": spec.Lora,
              "enhance": spec.Enhance}
    for name, model in models.items():
        assert dsl_vocab.FIELD_ORDER[name] == tuple(model.model_fields), name


def test_a_directory_with_both_syntaxes_is_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "film.studio.yaml").write_text("studio: 1\n")
    (tmp_path / "film.studio").write_text("studio 1\n")
    assert [d.code for d in compile_project(tmp_path).diagnostics] == ["E004"]
