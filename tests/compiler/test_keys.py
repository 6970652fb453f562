"""Cache keys change exactly when a task's output would: never for cosmetics, paths or positions."""

from __future__ import annotations

import copy
import io
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from backends import CATALOG
from compiler import Compilation, compile_project
from tests.compiler.helpers import keys
from tests.conftest import LUCA, copy_example

BASE = YAML(typ="safe", pure=True).load((LUCA / "film.studio.yaml").read_text())


def dump(data: Any, *, flow: bool | None = False, indent: int = 2) -> str:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = flow
    yaml.indent(mapping=indent, sequence=indent + 2, offset=indent)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def compile_data(directory: Path, text: str) -> dict[str, str]:
    if directory.exists():
        shutil.rmtree(directory)
    copy_example(LUCA, directory)
    (directory / "film.studio.yaml").write_text(text, encoding="utf-8")
    return keys(compile_project(directory, backends=CATALOG))


def reorder(node: Any, rng: random.Random) -> Any:
    if isinstance(node, dict):
        items = list(node.items())
        rng.shuffle(items)
        return {k: reorder(v, rng) for k, v in items}
    if isinstance(node, list):
        return [reorder(v, rng) for v in node]
    return node


def test_cosmetic_edits_change_no_key(tmp_path: Path) -> None:
    original = compile_data(tmp_path / "a", (LUCA / "film.studio.yaml").read_text())
    text = (LUCA / "film.studio.yaml").read_text()
    commented = "\n".join(line + ("   # note" if line.strip() and not line.rstrip().endswith("|") else "")
                          for line in text.splitlines()) + "\n# trailing comment\n"
    variants = {
        "comments": commented,
        "blank lines": text.replace("\n", "\n\n"),
        "key order": dump(reorder(BASE, random.Random(1))),
        "flow style": dump(BASE, flow=True),
        "wide indent": dump(BASE, indent=4),
        "ints as floats": text.replace("duration: 3\n", "duration: 3.0\n").replace("seed: 7", "seed: 0x7"),
    }
    for name, variant in variants.items():
        assert compile_data(tmp_path / "b", variant) == original, name


def test_project_path_and_file_name_change_no_key(tmp_path: Path) -> None:
    original = keys(compile_project(LUCA, backends=CATALOG))
    moved = tmp_path / "deep" / "elsewhere"
    copy_example(LUCA, moved)
    (moved / "film.studio.yaml").rename(moved / "renamed.studio.yaml")
    assert keys(compile_project(moved, backends=CATALOG)) == original


def test_inserting_a_shot_changes_no_other_shot(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["scenes"][0]["shots"].insert(0, {"id": "new", "duration": 1, "action": "gulls"})
    before = keys(compile_project(LUCA, backends=CATALOG))
    after = compile_data(tmp_path / "x", dump(data))
    for tid, key in before.items():
        if tid.startswith(("backdrop:", "keyframe:", "motion:", "speech:", "shot:", "panel:")):  # a panel: its shot's
            assert after[tid] == key, tid


def test_a_panel_key_holds_its_shot_alone(tmp_path: Path) -> None:
    """A shot's storyboard panel reads its keyframe, its camera move and its transition out, never its
    place: a shot inserted before it with a dissolve into it (which changes that shot's motion, now cut
    in by the dissolve) and the board's new numbering leave every panel's key as it was."""
    data = copy.deepcopy(BASE)
    data["scenes"][0]["shots"].insert(0, {"id": "new", "duration": 1, "action": "gulls",
                                          "transition": {"type": "dissolve", "duration": 0.5}})
    before = keys(compile_project(LUCA, backends=CATALOG))
    after = compile_data(tmp_path / "x", dump(data))
    panels = [t for t in before if t.startswith("panel:")]
    assert len(panels) == 4 and all(after[t] == before[t] for t in panels)
    assert after["motion:cove/establishing"] != before["motion:cove/establishing"]  # the dissolve cuts into it
    assert after["storyboard"] != before["storyboard"] and after["storyboard_pdf"] != before["storyboard_pdf"]


def test_inserting_a_dialogue_line_keeps_speech_keys(tmp_path: Path) -> None:
    """Speech ids are positional (the n-th line) but their keys are not: content alone decides."""
    data = copy.deepcopy(BASE)
    dare = data["scenes"][0]["shots"][2]
    dare["dialogue"].insert(0, {"character": "Luca", "line": "Wait!"})
    before = keys(compile_project(LUCA, backends=CATALOG))
    after = compile_data(tmp_path / "x", dump(data))
    assert after["speech:cove/dare/2"] == before["speech:cove/dare/1"]
    assert after["speech:cove/dare/3"] == before["speech:cove/dare/2"]


def dependents(plan_inputs: dict[str, list[str]], direct: set[str]) -> set[str]:
    users: dict[str, set[str]] = {}
    for tid, inputs in plan_inputs.items():
        for i in inputs:
            users.setdefault(i, set()).add(tid)
    out, todo = set(direct), list(direct)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in out:
                out.add(user)
                todo.append(user)
    return out


Edit = Callable[[dict[str, Any], Any], None]

# Each edit: how to apply it, the values to try, and the tasks that read the field directly.
# These check exact task instances for common edits; every field of the format, found from the
# schema, is covered by tests/compiler/test_key_coverage.py.
# The expected change is those tasks plus everything downstream of them in the DAG.
EDITS: dict[str, tuple[Edit, st.SearchStrategy[Any], set[str]]] = {
    "dialogue line": (lambda d, v: d["scenes"][0]["shots"][2]["dialogue"][1].__setitem__("line", v),
                      st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=30)
                      .filter(lambda s: s.strip() and s != "Silenzio, Bruno!"),
                      {"speech:cove/dare/2", "storyboard", "subtitles", "storyboard_pdf", "timeline"}),
    "emotion": (lambda d, v: d["scenes"][0]["shots"][2]["dialogue"][0].__setitem__("emotion", v),
                st.sampled_from(["sad", "angry", "calm", "excited"]),
                {"speech:cove/dare/1", "storyboard_pdf", "timeline"}),
    "action": (lambda d, v: d["scenes"][0]["shots"][1].__setitem__("action", f"@Luca {v}"),
               st.text("abcdefgh ", min_size=1, max_size=20).filter(lambda s: s.strip()),
               {"keyframe:cove/peek", "storyboard", "storyboard_pdf", "timeline"}),
    "camera move": (lambda d, v: d["scenes"][0]["shots"][0]["camera"].__setitem__("move", v),
                    st.sampled_from(["static", "pan_left", "tilt_up", "zoom_in", "shake"]),
                    {"motion:cove/establishing", "panel:cove/establishing", "storyboard", "storyboard_pdf",
                     "timeline"}),
    "duration": (lambda d, v: d["scenes"][1]["shots"][0].__setitem__("duration", v),
                 st.sampled_from([1, 1.5, 2.25, 4, 7]),
                 {"motion:jump/leap", "shot:jump/leap", "soundtrack", "storyboard", "subtitles", "storyboard_pdf"}),
    "shot type": (lambda d, v: d["scenes"][0]["shots"][0].__setitem__("type", v),
                  st.sampled_from(["medium", "close_up", "establishing", "pov"]),
                  {"keyframe:cove/establishing", "motion:cove/establishing", "storyboard", "storyboard_pdf",
                   "timeline", "backdrop@keyframe:cove/establishing"}),
    "voice pitch": (lambda d, v: d["voices"]["alberto"].__setitem__("pitch", v),
                    st.integers(0, 100).filter(lambda v: v != 40),  # 40 is the pitch it has
                    {"speech:cove/dare/1"}),
    "element colour": (lambda d, v: d["elements"]["Alberto"].__setitem__("color", v),
                       st.sampled_from(["#000000", "#ffffff", "#123abc"]),
                       {"keyframe:cove/dare", "keyframe:jump/leap"}),
    "description": (lambda d, v: d["elements"]["Cove"].__setitem__("description", v),
                    st.text("abcdefgh ", min_size=1, max_size=20).filter(lambda s: s.strip()),
                    {"keyframe:cove/establishing", "keyframe:cove/peek", "keyframe:cove/dare",
                     "backdrop@keyframe:cove/establishing", "backdrop@keyframe:cove/peek",
                     "backdrop@keyframe:cove/dare"}),
    "transition": (lambda d, v: d["scenes"][0]["shots"][1]["transition"].__setitem__("duration", v),
                   st.sampled_from([0.25, 1.0, 1.5]),
                   {"motion:cove/peek", "shot:cove/peek", "motion:cove/dare", "shot:cove/dare",
                    "transition:cove/peek", "panel:cove/peek", "soundtrack", "film", "subtitles", "storyboard",
                    "storyboard_pdf", "timeline"}),
    # a voice's own emotion entry re-speaks only the lines in that emotion
    "used emotion": (lambda d, v: d["voices"]["alberto"].__setitem__("emotions", {"playful": {"rate": v}}),
                     st.integers(-50, 50), {"speech:cove/dare/1"}),
    "unused emotion": (lambda d, v: d["voices"]["alberto"].__setitem__("emotions", {"sad": {"rate": v}}),
                       st.integers(-50, 50), set()),
    # the procedural backend draws no prompt: a style's template and negative change no procedural keyframe
    "style prompt": (lambda d, v: d["styles"]["storybook"].__setitem__("prompt", "{{ action }}, " + v),
                     st.text("abcdefgh ", min_size=1, max_size=20).filter(lambda s: s.strip()), set()),
    "music volume": (lambda d, v: d["audio"][0].__setitem__("volume", v), st.sampled_from([0.1, 1.0, 2.0]),
                     {"soundtrack", "timeline"}),
    "model params": (lambda d, v: d["models"]["sketch"]["params"].__setitem__("look", v),
                     st.sampled_from(["paint", "flat"]), {"keyframe:jump/leap"}),
    "seed": (lambda d, v: d["project"].__setitem__("seed", v), st.integers(8, 2**40),
             {"keyframe:cove/establishing", "keyframe:cove/peek", "keyframe:cove/dare", "keyframe:jump/leap",
              "motion:cove/establishing", "motion:cove/peek", "motion:cove/dare", "motion:jump/leap"}),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_single_field_edit_changes_exactly_its_dependents(tmp_path: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(EDITS)), label="field")
    apply, values, direct = EDITS[name]
    value = data.draw(values, label="value")
    base = compile_project(LUCA, backends=CATALOG)
    edited = copy.deepcopy(BASE)
    apply(edited, value)
    directory = tmp_path / "p"
    compile_data(directory, dump(edited))
    before, inputs = named_by_reader(base)
    after, _ = named_by_reader(compile_project(directory, backends=CATALOG))
    changed = {t for t in before if before[t] != after[t]}
    assert changed == dependents(inputs, direct), name


def named_by_reader(result: Compilation) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The plan's keys and inputs with each keyframe's backdrop named by that keyframe
    (``backdrop@keyframe:cove/peek``): a backdrop's id holds a digest of its parameters, so an edit of
    them renames it, and shots that paint the same backdrop share one task."""
    assert result.plan is not None
    tasks = result.plan.tasks
    keys: dict[str, str] = {t.id: t.key for t in tasks.values() if t.kind != "backdrop"}
    inputs: dict[str, list[str]] = {
        t.id: [f"backdrop@{t.id}" if role == "backdrop" else i for role, i in t.inputs.items()]
        for t in tasks.values() if t.kind != "backdrop"}
    for t in tasks.values():
        if "backdrop" in t.inputs:
            keys[f"backdrop@{t.id}"] = tasks[t.inputs["backdrop"]].key
            inputs[f"backdrop@{t.id}"] = []
    return keys, inputs
