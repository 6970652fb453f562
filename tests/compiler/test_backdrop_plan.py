"""Backdrop tasks in the plan: a procedural keyframe's painting, planned once per distinct backdrop.

Only what the painting reads enters a backdrop (``compiler.plan.BACKDROP_PARAMS``): the action, the
figures, the props and the seed never do, so an edit of them leaves it cached; shots that paint the same
backdrop share one task; its id and key hold no position, so moving shots changes neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from compiler.plan import BACKDROP_PARAMS, TaskSpec
from tests.compiler.helpers import compile_text

PROJECT = """\
studio: 1
project: {title: Backdrops, resolution: [320, 180], seed: 3}
models:
  sd: {backend: diffusers, kind: image, weights: org/sd, revision: main}
  sketch: {backend: procedural, kind: image, params: {look: sketch}}
styles:
  warm: {prompt: "{{ action }}", palette: ["#f4a261", "#e76f51"]}
elements:
  Luca: {kind: character, description: a shy boy, color: "#2a9d8f"}
  Alberto: {kind: character, description: a bold boy}
  Ball: {kind: prop, description: a red ball}
  Cove: {kind: location, description: a rocky cove with turquoise water}
scenes:
  - id: cove
    heading: EXT. HIDDEN COVE - DAY
    location: Cove
    shots:
      - {id: a, type: wide, duration: 1, action: "@Luca waves"}
      - {id: b, type: wide, duration: 1, action: "@Alberto runs with a @Ball", seed: 99}
      - {id: c, type: wide, duration: 1, action: "@Luca points", models: {image: sketch}}
      - {id: d, type: close_up, duration: 1, action: "@Luca smiles"}
      - {id: e, type: wide, duration: 1, action: "@Luca waves", style: warm}
      - {id: f, type: wide, duration: 1, action: "@Luca waves", models: {image: sd}}
      - {id: g, duration: 1, card: THE END}
  - id: night
    heading: EXT. HIDDEN COVE - NIGHT
    location: Cove
    shots:
      - {id: a, type: wide, duration: 1, action: "@Luca waves", end: {shot: cove/d}}
"""


def plan(tmp_path: Path, text: str = PROJECT, name: str = "p") -> dict[str, TaskSpec]:
    result = compile_text(tmp_path / name, text)
    assert result.plan is not None and result.ok, [d.message for d in result.diagnostics]
    return {str(t): task for t, task in result.plan.tasks.items()}


def backdrop_of(tasks: dict[str, TaskSpec], shot: str) -> TaskSpec:
    return tasks[tasks[f"keyframe:{shot}"].inputs["backdrop"]]


def test_procedural_keyframes_read_a_backdrop_of_exactly_what_the_painting_reads(tmp_path: Path) -> None:
    tasks = plan(tmp_path)
    a = backdrop_of(tasks, "cove/a")
    assert a.id.startswith("backdrop:Cove/wide/")
    assert a.kind == "backdrop" and a.backend == "procedural" and a.model is None and not a.inputs
    keyframe = tasks["keyframe:cove/a"].params
    assert tuple(a.params) == BACKDROP_PARAMS
    assert a.params == {k: keyframe[k] for k in BACKDROP_PARAMS}
    assert a.params["setting"] == {"interior": False, "time": "day", "place": "HIDDEN COVE"}
    assert not a.files  # no reference pictures: nothing read from files
    # the keyframe keeps everything it read before: it still stages its figures on the place
    assert {"action", "characters", "props", "seed", "location", "setting"} <= set(keyframe)


def test_shots_that_paint_the_same_backdrop_share_one_task(tmp_path: Path) -> None:
    tasks = plan(tmp_path)
    shared = backdrop_of(tasks, "cove/a")
    # another action, other characters, a prop, another seed, another look: the same painting
    assert backdrop_of(tasks, "cove/b").id == shared.id == backdrop_of(tasks, "cove/c").id
    # another framing, another palette, another time of day: another painting
    others = [backdrop_of(tasks, s).id for s in ("cove/d", "cove/e", "night/a")]
    assert len({shared.id, *others}) == 4
    assert backdrop_of(tasks, "cove/d").id.startswith("backdrop:Cove/close_up/")
    assert sum(1 for t in tasks.values() if t.kind == "backdrop") == 4


def test_diffusers_keyframes_and_title_cards_paint_no_backdrop(tmp_path: Path) -> None:
    tasks = plan(tmp_path)
    assert tasks["keyframe:cove/f"].backend == "diffusers" and "backdrop" not in tasks["keyframe:cove/f"].inputs
    assert tasks["keyframe:cove/g"].params["card"] == "THE END" and not tasks["keyframe:cove/g"].inputs
    readers = {t.inputs["backdrop"] for t in tasks.values() if "backdrop" in t.inputs}
    assert readers == {t.id for t in tasks.values() if t.kind == "backdrop"}  # none planned for nobody
    assert all(t.kind == "keyframe" and t.backend == "procedural" for t in tasks.values() if "backdrop" in t.inputs)


def test_a_shot_ending_on_another_keyframe_keeps_that_keyframe_s_backdrop(tmp_path: Path) -> None:
    tasks = plan(tmp_path)
    assert tasks["motion:night/a"].inputs["end"] == "keyframe:cove/d"
    assert "backdrop" in tasks["keyframe:cove/d"].inputs
    order = list(tasks)
    assert order.index(tasks["keyframe:cove/d"].inputs["backdrop"]) < order.index("keyframe:cove/d")


def backdrops(tasks: dict[str, TaskSpec]) -> dict[str, str]:
    return {t.id: t.key for t in tasks.values() if t.kind == "backdrop"}


def test_ids_and_keys_hold_no_action_and_no_position(tmp_path: Path) -> None:
    before = plan(tmp_path)
    edited = plan(tmp_path, PROJECT.replace('action: "@Alberto runs with a @Ball", seed: 99',
                                            'action: "@Alberto jumps", seed: 5'), "edited")
    assert backdrops(edited) == backdrops(before)
    assert edited["keyframe:cove/b"].key != before["keyframe:cove/b"].key  # the keyframe re-runs
    lines = PROJECT.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if "{id: a, type: wide" in line)
    shots = lines[first:first + 7]
    moved = "".join(lines[:first] + shots[::-1] + lines[first + 7:])  # the scene's shots reversed
    reordered = plan(tmp_path, moved, "moved")
    assert backdrops(reordered) == backdrops(before)
    for shot in ("cove/a", "cove/b", "cove/d", "night/a"):
        assert reordered[f"keyframe:{shot}"].key == before[f"keyframe:{shot}"].key


def test_what_the_painting_reads_changes_the_backdrop(tmp_path: Path) -> None:
    before = backdrops(plan(tmp_path))
    for name, (old, new) in {"location description": ("turquoise water", "grey water"),
                             "heading time": ("HIDDEN COVE - DAY", "HIDDEN COVE - DUSK"),
                             "resolution": ("[320, 180]", "[320, 160]"),
                             "palette": ('"#e76f51"', '"#264653"')}.items():
        after = backdrops(plan(tmp_path, PROJECT.replace(old, new), name.replace(" ", "-")))
        assert after != before and set(after) != set(before), name


def reference(tmp_path: Path, colour: str | None, picture: tuple[int, int, int] = (10, 120, 200)) -> dict[str, Any]:
    """The backdrop of a shot of Cove with a reference picture (and a ``color`` or not)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), picture).save(tmp_path / "cove.png")
    line = "Cove: {kind: location, description: a rocky cove with turquoise water, references: [cove.png]"
    text = PROJECT.replace("Cove: {kind: location, description: a rocky cove with turquoise water",
                           line + (f", color: \"{colour}\"" if colour else ""))
    result = compile_text(tmp_path, text)
    assert result.plan is not None and result.ok, [d.message for d in result.diagnostics]
    tasks = {str(t): task for t, task in result.plan.tasks.items()}
    b = backdrop_of(tasks, "cove/a")
    return {"files": sorted(b.files), "references": b.params["location"]["references"], "key": b.key}


def test_location_pictures_enter_a_backdrop_only_where_its_colours_come_from_them(tmp_path: Path) -> None:
    read = reference(tmp_path / "read", None)
    assert read["files"] == ["ref:Cove/1"] and read["references"] == ["ref:Cove/1"]
    coloured = reference(tmp_path / "coloured", "#123456")  # its colour wins: the picture is not read
    assert coloured["files"] == [] and coloured["references"] == []
    assert reference(tmp_path / "read", None, (200, 20, 20))["key"] != read["key"]  # another picture
    assert reference(tmp_path / "coloured", "#123456", (200, 20, 20))["key"] == coloured["key"]  # not read
