"""Key coverage by construction: every field of the format, edited alone, changes exactly the cache
keys of the tasks declared to depend on it (tests/compiler/dependents.py), and nothing else.

The fields come from the JSON Schema that the pydantic models generate (``tests.compiler.fields``),
so a field added to the format is tested the day it is added: until someone declares which task
kinds read it, its test fails and says what its edit changed. For each field the test takes the
base project (tests/compiler/every_field), makes one valid edit (generated from the field's schema)
and compiles both. Then, task by task:

- a task *reads* the edit when its own part of the key changed: kind, backend, model identity,
  parameters, input roles or file digests (not the keys of its inputs);
- the kinds of the tasks that read it must be exactly the declared kinds (both directions: a
  declared kind that did not change means the key ignores the field, an undeclared one means a
  dependency nobody wrote down);
- the tasks whose keys changed must be exactly those that read it and everything downstream of
  them (a task that reads the edit but keeps its key would serve a stale output);
- for a field of a shot or a scene, the tasks that read it belong to that shot or scene (or, where
  declared with ``next:``, to the next shot, which a transition overlaps), or are film-wide.

The hand-written ``EDITS`` of tests/compiler/test_keys.py stay: they check exact task *instances*
for common edits (an element's colour changes only the shots that show it).
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from backends import CATALOG
from compiler import Compilation, compile_project, spec
from compiler.deliverables import OPTIONAL
from compiler.plan import TaskSpec
from tests.compiler import fields
from tests.compiler.dependents import DEPENDENTS, EDITS
from tests.conftest import EXAMPLES, ROOT

BASE_DIR = Path(__file__).parent / "every_field"
FIELDS = fields.leaves(spec.Project.model_json_schema())
MAX_TRIES = 120
MISSING = {kind for kind, (backend, _, _) in OPTIONAL.items() if backend not in CATALOG}
"""The deliverables whose backend this installation lacks (the export extra's): they are left out of
the base project and their fields are skipped."""


@dataclass(frozen=True)
class Declared:
    kinds: frozenset[str]
    next_shot: frozenset[str]

    @staticmethod
    def parse(text: str) -> Declared:
        own, _, rest = text.partition(";")
        nxt = rest.strip().removeprefix("next:")
        return Declared(frozenset(own.split()), frozenset(nxt.split()))


def available(kinds: frozenset[str]) -> frozenset[str]:
    """Leave out the kinds whose backend this installation lacks (the export extra's)."""
    return frozenset(k for k in kinds if k not in MISSING)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base project beside the pictures, audio and tiny models it names."""
    root = tmp_path_factory.mktemp("every_field")
    luca = next(e for e in EXAMPLES if e.name == "luca")
    tiny = next(e for e in EXAMPLES if e.name == "tiny-ai")
    shutil.copytree(luca / "refs", root / "refs")
    shutil.copytree(luca / "audio", root / "audio")
    shutil.copytree(tiny / "models", root / "models")
    for picture in (tiny / "refs").iterdir():
        shutil.copy(picture, root / "refs" / picture.name)
    theme = (root / "audio" / "theme.wav").read_bytes()
    (root / "audio" / "other.wav").write_bytes(theme[:-2] + bytes([theme[-2] ^ 1, theme[-1]]))  # other bytes
    yaml = YAML(typ="rt")  # keeps the order of the maps: the first object that sets a field is edited
    doc = yaml.load((BASE_DIR / "film.studio.yaml").read_text(encoding="utf-8"))
    for kind in MISSING:  # not installed here: asking for it would be an error (E420)
        doc["output"].pop(kind, None)
    out = io.StringIO()
    yaml.dump(doc, out)
    (root / "film.studio.yaml").write_text(out.getvalue(), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def base(project: Path) -> tuple[dict[str, Any], Compilation]:
    text = (project / "film.studio.yaml").read_text(encoding="utf-8")
    doc = YAML(typ="safe", pure=True).load(text)
    result = compile_project(project / "film.studio.yaml", backends=CATALOG)
    assert result.plan is not None and result.ok, [str(d.message) for d in result.diagnostics]
    return doc, result


def compile_doc(project: Path, doc: dict[str, Any]) -> Compilation:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(doc, out)
    path = project / "edited.studio.yaml"
    path.write_text(out.getvalue(), encoding="utf-8")
    try:
        return compile_project(path, backends=CATALOG)
    finally:
        path.unlink()


def words(doc: dict[str, Any], project: Path) -> list[str]:
    """Texts the base project gives a meaning: its names, files, scene/shot ids, track ids."""
    names = [n for section in ("models", "styles", "voices", "elements") for n in doc.get(section, {})]
    shots = [f"{s['id']}/{shot['id']}" for s in doc["scenes"] for shot in s["shots"]]
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*")
                   if p.suffix in (".png", ".wav", ".safetensors") or p.name.startswith("tiny-"))
    return [*names, "procedural", "espeak", *shots, *(a["id"] for a in doc.get("audio", [])), *files,
            "@Luca", "@Lucas"]


@dataclass
class Edit:
    where: fields.Path
    value: Any
    doc: dict[str, Any]
    result: Compilation


def find_edit(field: str, doc: dict[str, Any], project: Path) -> Edit | None:
    """The first generated edit of ``field`` that compiles without errors."""
    special = EDITS.get(field)
    tries = 0
    for where, _ in fields.instances(doc, field):
        if special is not None:
            options: list[tuple[Any, dict[str, Any]]] = [special(doc, where)]
        else:
            current = fields.get(doc, where)
            options = [(v, fields.put(doc, where, v)) for v in fields.candidates(FIELDS[field], current,
                                                                                   words(doc, project))]
        for value, edited in options:
            tries += 1
            if tries > MAX_TRIES:
                return None
            result = compile_doc(project, edited)
            if result.plan is not None and result.ok:
                return Edit(where, value, edited, result)
    return None


def own(task: TaskSpec, ids: dict[str, str] | None = None) -> tuple[Any, ...]:
    """What a task's key holds besides its inputs' keys: which task each input role names counts (an
    end shot pointed at another shot reads another keyframe), through ``ids`` (after id -> before id)."""
    inputs = {role: (ids or {}).get(str(dep), str(dep)) for role, dep in task.inputs.items()}
    return (task.kind, task.backend, task.model.key_config() if task.model else None, task.params,
            sorted(inputs.items()), {role: f.digest for role, f in task.files.items()})


def pair(before: dict[str, TaskSpec], after: dict[str, TaskSpec]) -> dict[str, str]:
    """after id -> before id: by id, or by position when an edit renamed tasks (a shot's id)."""
    if set(before) != set(after) and len(before) == len(after) \
            and [t.kind for t in before.values()] == [t.kind for t in after.values()]:
        return dict(zip(after, before, strict=True))
    return {tid: tid for tid in after if tid in before}


def downstream(tasks: dict[str, TaskSpec], start: set[str]) -> set[str]:
    users: dict[str, set[str]] = {}
    for tid, task in tasks.items():
        for dep in task.inputs.values():
            users.setdefault(dep, set()).add(tid)
    out, todo = set(start), list(start)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in out:
                out.add(user)
                todo.append(user)
    return out


def scope(doc: dict[str, Any], where: fields.Path) -> tuple[str, str | None] | None:
    """For a field of a scene or a shot: (the ``scene`` or ``scene/shot`` it belongs to, the next
    shot in the film); None for other fields."""
    if len(where) < 3 or where[0] != "scenes":
        return None
    scene = doc["scenes"][where[1]]
    order = [f"{s['id']}/{shot['id']}" for s in doc["scenes"] for shot in s["shots"]]
    if len(where) < 5 or where[2] != "shots":
        return scene["id"], None
    me = f"{scene['id']}/{scene['shots'][where[3]]['id']}"
    i = order.index(me)
    return me, order[i + 1] if i + 1 < len(order) else None


def owner(tid: str) -> str | None:
    """``keyframe:cove/dare`` -> ``cove/dare``; film-wide tasks, and backdrops (shared by the shots that
    paint the same one: ``backdrop:<place>/<shot type>/<digest>``) -> None."""
    if ":" not in tid or tid.startswith("backdrop:"):
        return None
    parts = tid.split(":", 1)[1].split("/")
    return "/".join(parts[:2])


def describe(edit: Edit) -> str:
    return f"{'.'.join(map(str, edit.where))} = {edit.value!r}"


@pytest.mark.parametrize("field", list(FIELDS))
def test_field_edit_changes_exactly_its_dependents(field: str, project: Path,
                                                   base: tuple[dict[str, Any], Compilation]) -> None:
    doc, result = base
    assert result.plan is not None
    schema = FIELDS[field]
    if field.split(".")[:2] in [["output", kind] for kind in MISSING]:
        pytest.skip(f"{field}: its backend is not installed (pip install 'studio[export]')")
    if "const" in schema:  # one allowed value (``studio: 1``): there is no edit to make
        assert DEPENDENTS.get(field) == "", f"{field} has one allowed value: declare it as \"\""
        return
    edit = find_edit(field, doc, project)
    assert edit is not None, (
        f"no valid edit of {field} found in {MAX_TRIES} tries: set it in {BASE_DIR / 'film.studio.yaml'} where "
        f"a value other than its current one is valid, or give it an edit in EDITS (tests/compiler/dependents.py)")
    assert edit.result.plan is not None
    before: dict[str, TaskSpec] = {str(t): task for t, task in result.plan.tasks.items()}
    after: dict[str, TaskSpec] = {str(t): task for t, task in edit.result.plan.tasks.items()}
    paired = pair(before, after)
    reads = {tid for tid, task in after.items()
             if tid not in paired or own(task, paired) != own(before[paired[tid]])}
    removed = set(before) - set(paired.values())
    read_kinds = {after[t].kind for t in reads} | {before[t].kind for t in removed}
    if field not in DEPENDENTS:
        pytest.fail(f"field {field} is not declared in DEPENDENTS (tests/compiler/dependents.py). Its edit "
                    f"({describe(edit)}) changed what these tasks read: {sorted(reads | removed) or 'none'}. "
                    f"If that is right, declare it:\n    \"{field}\": \"{' '.join(sorted(read_kinds))}\",")
    declared = Declared.parse(DEPENDENTS[field])
    expected = available(declared.kinds | declared.next_shot)
    assert read_kinds == expected, (
        f"{field}: the edit {describe(edit)} changed what tasks of kinds {sorted(read_kinds)} read "
        f"({sorted(reads | removed)}), but DEPENDENTS declares {sorted(expected)}: missing "
        f"{sorted(expected - read_kinds)}, undeclared {sorted(read_kinds - expected)}")
    changed = {tid for tid in after if tid not in paired or after[tid].key != before[paired[tid]].key}
    assert changed == downstream(after, reads), (
        f"{field}: the edit {describe(edit)} must change the keys of exactly the tasks that read it and "
        f"their dependents; keys kept although the task changed: {sorted(downstream(after, reads) - changed)}, "
        f"keys changed for no reason: {sorted(changed - downstream(after, reads))}")
    where = scope(edit.doc, edit.where)
    if where is not None:
        mine, nxt = where
        for tid in reads:
            belongs = owner(tid)
            ok = belongs is None or belongs == mine or belongs.startswith(f"{mine}/") or \
                (belongs == nxt and after[tid].kind in declared.next_shot)
            assert ok, f"{field}: the edit {describe(edit)} of {mine} changed {tid}, a task of another shot"


def test_dependents_names_only_fields() -> None:
    stale = sorted(set(DEPENDENTS) - set(FIELDS))
    assert not stale, f"DEPENDENTS (tests/compiler/dependents.py) names fields the format no longer has: {stale}"
    assert not sorted(set(EDITS) - set(FIELDS)), "EDITS names fields the format no longer has"


def test_fields_reach_every_object_of_the_format() -> None:
    """The walk finds fields at every depth: a dict of objects, a list in a list, an optional object."""
    for path in ("project.seed", "project.models.image", "styles.*.lora.scale", "voices.*.emotions.*.pitch",
                 "scenes[].shots[].dialogue[].line", "scenes[].shots[].end.shot", "audio[].loop",
                 "output.storyboard_pdf.paper", "models.*.params", "styles.*.palette"):
        assert path in FIELDS, path
    assert "scenes" not in FIELDS and "scenes[].shots" not in FIELDS  # objects are walked into, not edited
    assert ROOT / "tests" / "compiler" / "every_field" == BASE_DIR
