from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from backends import CATALOG
from compiler import compile_project
from tests.conftest import EXAMPLES, LUCA, ROOT

REFERENCE_SHA256 = {
    "film.studio.yaml": "b8a6c599cf752dfc5939e3580dc4e45d6d6b814a6ffb6558e181043f572dd819",
    "refs/luca.png": "93ae9d1824d03f4d205e3b6b1c30216a49d096d0dc62017cec48583b1a27457a",
    "audio/theme.wav": "19f3d693e986715175983c54ee8a68e060bb86492216a945947012b25dabe2fb",
}
"""The reference project (shared/reference/luca: the format must accept it exactly as written), by
content. examples/luca is its verbatim copy; pinning the digests here checks that in every clone,
not only where a copy of the reference happens to sit beside the checkout."""


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_checks_clean_and_plans(example: Path) -> None:
    result = compile_project(example, backends=CATALOG)
    errors = [d for d in result.diagnostics if d.is_error]
    assert not errors, errors
    assert result.plan is not None
    assert result.plan.schedule.loads == result.plan.schedule.lower_bound


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_declares_the_schema(example: Path) -> None:
    for path in example.glob("*.studio.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        schema = (path.parent / first.split("=", 1)[1]).resolve()
        assert schema == (ROOT / "schemas" / "project.schema.json").resolve()


def test_reference_is_copied_verbatim() -> None:
    found = {str(p.relative_to(LUCA)) for p in LUCA.rglob("*") if p.is_file()
             and not {".studio", "build"} & set(p.relative_to(LUCA).parts)}  # a local build's output is no change
    assert found == set(REFERENCE_SHA256), "examples/luca must hold the reference project's files, and only them"
    for name, digest in REFERENCE_SHA256.items():
        assert hashlib.sha256(_as_reference(LUCA, name)).hexdigest() == digest, \
            f"examples/luca/{name} is no longer the reference project's file"
    for shared in (ROOT.parent / "shared" / "reference" / "luca", ROOT.parent.parent / "shared" / "reference" / "luca"):
        for name in REFERENCE_SHA256 if shared.is_dir() else ():  # where a copy sits nearby, it agrees too
            assert _as_reference(LUCA, name) == (shared / name).read_bytes(), shared / name


LOOPED = ("loop: true", "fade_out: 2")
"""examples/luca is the reference plus two lines: its 10 s theme loops and fades out with the film
(issue 10, item 21); everything else is byte for byte the reference."""


def _as_reference(root: Path, name: str) -> bytes:
    data = (root / name).read_bytes()
    if name != "film.studio.yaml":
        return data
    lines = data.decode("utf-8").splitlines(keepends=True)
    added = [line for line in lines if line.strip().startswith(LOOPED)]
    assert len(added) == 2, added
    return "".join(line for line in lines if line not in added).encode("utf-8")


GOLDEN_IDS = [
    "backdrop:Cove/wide/6c11752d26",
    "keyframe:cove/establishing", "panel:cove/establishing", "motion:cove/establishing", "shot:cove/establishing",
    "backdrop:Cove/medium/e9e46afee4",
    "keyframe:cove/peek", "panel:cove/peek", "motion:cove/peek", "shot:cove/peek",
    "backdrop:Cove/close_up/c603dc4aa3",
    "keyframe:cove/dare", "panel:cove/dare", "speech:cove/dare/1", "speech:cove/dare/2", "motion:cove/dare",
    "shot:cove/dare",
    "backdrop:cliff-above-the-cove/wide/77c10afb74",  # no location: the heading's place
    "keyframe:jump/leap", "panel:jump/leap", "motion:jump/leap", "shot:jump/leap",
    "transition:cove/peek", "transition:jump/leap",
    "subtitles", "soundtrack", "film", "storyboard", "timeline", "storyboard_pdf",
]


def test_reference_plan_matches_golden_task_ids() -> None:
    result = compile_project(LUCA, backends=CATALOG)
    assert result.plan is not None
    assert list(result.plan.tasks) == GOLDEN_IDS
    plan = result.plan.to_json()
    by_id = {t["id"]: t for t in plan["tasks"]}
    assert by_id["shot:cove/dare"]["inputs"] == ["motion:cove/dare", "speech:cove/dare/1", "speech:cove/dare/2"]
    assert by_id["keyframe:jump/leap"]["model"] == "sketch"
    assert by_id["speech:cove/dare/1"]["model"] == "espeak"
    assert set(plan["schedule"]) == set(GOLDEN_IDS)
    assert plan["model_loads"] == plan["model_loads_lower_bound"] == 3


def test_reference_prompts_inject_descriptions() -> None:
    result = compile_project(LUCA, backends=CATALOG)
    assert result.plan is not None
    prompt = next(s.prompt for s in result.plan.film.shots if s.id == "peek")  # what a prompted model receives
    assert prompt.startswith("Luca (a shy sea-monster boy with curly brown hair and a green shirt) peeks over")
    assert prompt.endswith("medium shot, soft watercolor storybook style")
    dare = result.plan.tasks["keyframe:cove/dare"].params
    assert [c["name"] for c in dare["characters"]] == ["Alberto", "Luca"]
    assert dare["location"]["name"] == "Cove"
    assert dare["characters"][1]["references"] == ["ref:Luca/1"]
    assert "ref:Luca/1" in result.plan.tasks["keyframe:cove/dare"].files


def test_schedule_is_a_topological_order() -> None:
    for example in EXAMPLES:
        result = compile_project(example, backends=CATALOG)
        assert result.plan is not None
        seen: set[str] = set()
        for tid in result.plan.schedule.order:
            assert all(dep in seen for dep in result.plan.tasks[tid].inputs.values()), tid
            seen.add(tid)
        assert seen == set(result.plan.tasks)
