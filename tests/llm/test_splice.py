"""Edit operations written into the user's text: only the edited parts change, comments and layout
elsewhere stay byte for byte, and the text always reads back to the edited document."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.authoring.ops import OpError, apply_operations, operations_schema
from runtime.authoring.splice import same, splice
from studio_lang import ast
from studio_lang.comments import yaml_comments
from studio_lang.loader import is_dsl, parse, read_source
from tests.conftest import ROOT

LUCA = ROOT / "examples" / "luca" / "film.studio.yaml"
LIGHTHOUSE = ROOT / "examples" / "lighthouse" / "film.studio.yaml"
BOAT = ROOT / "examples" / "paper-boat" / "film.studio"


def load(path: Path) -> tuple[Any, Any, list[Any], bool]:
    source, _ = read_source(path)
    assert source is not None
    tree, _ = parse(source)
    if is_dsl(source):
        from studio_lang.dsl.lexer import lex

        return source, tree.root, lex(source).comments, True
    return source, tree.root, yaml_comments(source, tree.root), False


def edited(path: Path, operations: list[dict[str, Any]]) -> tuple[str, str, bool]:
    source, root, comments, dsl = load(path)
    data = apply_operations(ast.to_data(root), operations)  # type: ignore[arg-type]
    result = splice(source, root, comments, data, dsl)
    again, _ = parse(type(source)(source.name, result.text, source.path))
    assert again.root is not None and same(ast.to_data(again.root), data)
    return source.text, result.text, result.kept


def changed(old: str, new: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith("-") and not line.startswith("---"):
            removed.append(line[1:])
        elif line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:])
    return removed, added


def test_setting_a_value_changes_that_value_only_and_keeps_its_comment() -> None:
    old, new, kept = edited(LUCA, [{"op": "set", "path": "shot:cove/dare", "field": "duration", "value": 4}])
    assert kept
    assert changed(old, new) == (["        duration: auto            # as long as its dialogue, plus breathing room"],
                                 ["        duration: 4            # as long as its dialogue, plus breathing room"])


def test_text_that_needs_quotes_gets_them() -> None:
    old, new, _ = edited(LUCA, [{"op": "set", "path": "shot:cove/peek", "field": "action",
                                 "value": "@Luca peeks: #1, over [a] rock"}])
    assert changed(old, new)[1] == ['        action: "@Luca peeks: #1, over [a] rock"']


def test_inserting_deleting_and_moving_shots_touch_those_shots_only() -> None:
    shot = {"id": "wave", "type": "wide", "camera": "pan_left", "action": "A wave rolls in", "dialogue": [],
            "duration": 2, "transition": "cut"}
    old, new, kept = edited(LUCA, [{"op": "insert_shot", "after": "cove/establishing", "shot": shot}])
    assert kept and changed(old, new) == ([], ["      - id: wave", "        type: wide", "        duration: 2",
                                               "        action: A wave rolls in", "        camera: {move: pan_left}"])
    old, new, kept = edited(LUCA, [{"op": "delete_shot", "shot": "cove/peek"}])
    removed, added = changed(old, new)
    assert kept and added == [] and removed[0] == "      - id: peek" and len(removed) == 6
    old, new, kept = edited(LUCA, [{"op": "move_shot", "shot": "cove/dare", "after": "jump/leap"}])
    removed, added = changed(old, new)
    assert kept and sorted(removed) == sorted(added)
    dare = old[old.index("      - id: dare"):old.index("  - id: jump")].rstrip("\n")
    assert dare in new and new.index(dare) > new.index("      - id: leap")  # as written: quotes, comment


def test_renaming_an_element_follows_every_mention() -> None:
    old, new, kept = edited(LUCA, [{"op": "rename_element", "element": "Luca", "to": "Lucas"}])
    removed, added = changed(old, new)
    assert kept
    assert "  Lucas:" in added and '    trigger: "@Lucas"' in added
    assert '        action: "@Lucas peeks over a rock at the water"' in added
    assert "          - character: Lucas" in added
    assert len(removed) == len(added) == 6
    assert "@Luca " not in new and "title: Luca Sees the Sea" in new  # names in text are not references


def test_dialogue_lines_are_added_changed_and_removed_in_place() -> None:
    line = {"character": "Luca", "line": "Okay, okay!", "emotion": "nervous"}
    old, new, kept = edited(LUCA, [{"op": "add_line", "shot": "cove/dare", "line": line}])
    assert kept and changed(old, new) == ([], ["          - character: Luca", "            line: Okay, okay!",
                                               "            emotion: nervous"])
    old, new, kept = edited(LUCA, [{"op": "set_line", "shot": "cove/dare", "number": 2, "line": line}])
    assert kept and changed(old, new)[0] == ['            line: "Silenzio, Bruno!"', "            emotion: determined"]
    old, new, kept = edited(LUCA, [{"op": "delete_line", "shot": "cove/dare", "number": 1}])
    assert kept and len(changed(old, new)[0]) == 3


def test_the_dsl_is_spliced_by_shot_and_definition() -> None:
    old, new, kept = edited(BOAT, [{"op": "set", "path": "shot:kitchen/fold", "field": "camera", "value": "zoom_in"}])
    assert kept and changed(old, new) == (["[fold] close_up auto dolly_in"], ["[fold] close_up auto zoom_in"])
    old, new, kept = edited(BOAT, [{"op": "rename_element", "element": "Nina", "to": "Nora"}])
    removed, added = changed(old, new)
    assert kept and 'character Nora: @Nora "a seven-year-old girl in a yellow raincoat and red boots"' in added
    assert "    NORA (curious)" in added
    assert all("#" not in line or line.startswith(("palette", "  color", "  palette")) for line in removed)
    old, new, kept = edited(BOAT, [{"op": "add_element", "name": "Gull", "kind": "character",
                                    "description": "a grey gull"}])
    assert kept and changed(old, new) == ([], ["voice gull: espeak en", 'character Gull: "a grey gull"',
                                               "  voice gull"]) or changed(old, new)[0] == []


def test_operations_that_do_not_apply_say_why() -> None:
    source, root, _, _ = load(LUCA)
    data = ast.to_data(root)
    with pytest.raises(OpError) as info:
        apply_operations(data, [{"op": "delete_shot", "shot": "jump/leap"},  # type: ignore[arg-type]
                                {"op": "set_line", "shot": "cove/peek", "number": 1,
                                 "line": {"character": "Luca", "line": "Hi", "emotion": "happy"}},
                                {"op": "set", "path": "shot:cove/nope", "field": "type", "value": "wide"},
                                {"op": "explode"}])
    assert info.value.reasons == ["cannot delete jump/leap: it is the only shot of scene 'jump'",
                                  "cove/peek has 0 lines, no line 1", "no shot 'cove/nope' (shots are written "
                                  "scene/shot)", "unknown operation 'explode'"]


def _random_op(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    schema = operations_schema(data)
    variants = schema["properties"]["operations"]["items"]["anyOf"]
    variant = draw(st.sampled_from(variants))
    return {name: _value(draw, sub) for name, sub in variant["properties"].items()}


def _value(draw: st.DrawFn, schema: dict[str, Any]) -> Any:
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    if "anyOf" in schema:
        return _value(draw, draw(st.sampled_from(schema["anyOf"])))
    if schema.get("type") == "integer":
        low = schema.get("minimum", 0)
        return draw(st.integers(low, min(schema.get("maximum", low + 4), low + 4)))
    if schema.get("type") == "object":
        return {k: _value(draw, v) for k, v in schema["properties"].items()}
    if schema.get("type") == "array":
        n = draw(st.integers(schema.get("minItems", 0), min(schema.get("maxItems", 2), 2)))
        return [_value(draw, schema["items"]) for _ in range(n)] if n else []
    import re

    words = ["Gull", "Stormy", "A gull lands", "Waves, then quiet", "EXT. DOCK - NIGHT", "The End"]
    fitting = [w for w in words if re.fullmatch(schema.get("pattern", ".*"), w)]
    return draw(st.sampled_from(fitting or ["Quiet"]))


@pytest.mark.parametrize("path", [LUCA, LIGHTHOUSE, BOAT], ids=["luca", "lighthouse", "paper-boat"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_operations_read_back_and_keep_the_untouched_comments(path: Path, data: st.DataObject) -> None:
    source, root, comments, dsl = load(path)
    document = ast.to_data(root)
    assert isinstance(document, dict)
    operations = [data.draw(st.composite(lambda draw: _random_op(draw, document))()) for _ in range(2)]
    try:
        new = apply_operations(document, operations)  # type: ignore[arg-type]
    except OpError:
        return
    result = splice(source, root, comments, new, dsl)
    again, diagnostics = parse(type(source)(source.name, result.text, source.path))
    assert again.root is not None and same(ast.to_data(again.root), new)
    assert result.kept
    touched: list[tuple[int, int]] = []  # lines of the shots the operations change (their comments may go)
    for op in operations:
        ref = op.get("shot") if isinstance(op.get("shot"), str) else str(op.get("path", ""))[len("shot:"):]
        for i, scene in enumerate(document["scenes"]):  # type: ignore[index]
            for j, shot in enumerate(scene["shots"]):
                if ref == f"{scene['id']}/{shot['id']}":
                    node = root.get("scenes").items[i].get("shots").items[j]  # type: ignore[union-attr]
                    touched.append((node.span.line, node.span.end_line))
    for comment in comments:
        if not any(a <= comment.line <= b for a, b in touched) and "@" not in source.line(comment.line):
            assert comment.text in result.text
