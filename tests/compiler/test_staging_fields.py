"""The format's staging: scene headings read, off-screen speakers, ``blocking``, and what the plan hands on."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.heading import Setting, parse_heading
from tests.compiler.helpers import codes, compile_text


@pytest.mark.parametrize(("heading", "interior", "time", "place"), [
    ("EXT. HIDDEN COVE - DAY", False, "day", "HIDDEN COVE"),
    ("INT. KITCHEN - NIGHT", True, "night", "KITCHEN"),
    ("int kitchen -- night", True, "night", "kitchen"),
    ("INT./EXT. CAR - DUSK", None, "dusk", "CAR"),
    ("I/E. CAR - MORNING", None, "dawn", "CAR"),
    ("EST. LIGHTHOUSE POINT - SUNSET", False, "dusk", "LIGHTHOUSE POINT"),
    ("EXT. CLIFF ABOVE THE COVE - CONTINUOUS", False, None, "CLIFF ABOVE THE COVE"),
    ("INT. HOUSE - KITCHEN - EVENING", True, "dusk", "HOUSE - KITCHEN"),
    ("A DREAM", None, None, "A DREAM"),
    ("EXTERIOR OF THE WORLD", None, None, "EXTERIOR OF THE WORLD"),
])  # fmt: skip
def test_headings_are_read(heading: str, interior: bool | None, time: str | None, place: str) -> None:
    assert parse_heading(heading) == Setting(interior, time, place)


def test_continuous_keeps_the_time_of_the_scene_before() -> None:
    assert parse_heading("EXT. CLIFF - CONTINUOUS", "night").time == "night"
    assert parse_heading("INT. HALL - MOMENTS LATER", "dusk").time == "dusk"
    assert parse_heading(None) == Setting(None, None, "")


PROJECT = """\
studio: 1
project: {title: Staging}
elements:
  Luca: {kind: character, description: a boy}
  Mara: {kind: character, description: a girl}
  Lamp: {kind: prop, description: a lamp}
scenes:
  - id: one
    heading: EXT. BEACH - NIGHT
    shots:
      - id: a
        duration: 2
        action: "@Luca waits"
  - id: two
    heading: INT. HUT - CONTINUOUS
    shots:
      - id: b
        action: "@Luca listens"
        dialogue:
          - {character: Mara, line: "Over here!", off_screen: O.S.}
          - {character: Luca, line: "Where?"}
      - id: c
        duration: 2
        action: "@Luca waits"
        blocking:
          - {who: Mara, at: left, pose: sit, look_at: Luca}
          - {who: Luca, enter: right, to: 0.6}
"""


def params(result, task: str) -> dict:  # type: ignore[no-untyped-def]
    assert result.plan is not None, [d.render() for d in result.diagnostics]
    return result.plan.tasks[task].params


def test_the_plan_hands_the_setting_speakers_and_blocking_to_the_keyframe(tmp_path: Path) -> None:
    result = compile_text(tmp_path, PROJECT)
    a, b, c = (params(result, f"keyframe:{s}") for s in ("one/a", "two/b", "two/c"))
    assert a["setting"] == {"interior": False, "time": "night", "place": "BEACH"}
    assert b["setting"] == {"interior": True, "time": "night", "place": "HUT"}  # CONTINUOUS
    assert [ch["name"] for ch in b["characters"]] == ["Luca"]  # Mara is heard, not seen
    assert b["speakers"] == ["Luca"]
    assert "blocking" not in a and "blocking" not in b
    assert [ch["name"] for ch in c["characters"]] == ["Luca", "Mara"]  # the blocking puts Mara in the shot
    assert c["blocking"] == [{"who": "Mara", "at": "left", "pose": "sit", "look_at": "Luca"},
                             {"who": "Luca", "enter": "right", "to": 0.6}]


def test_procedural_motion_takes_the_speech_so_mouths_move_with_it(tmp_path: Path) -> None:
    result = compile_text(tmp_path, PROJECT)
    assert result.plan is not None
    motion = result.plan.tasks["motion:two/b"]
    assert motion.inputs == {"keyframe": "keyframe:two/b", "line1": "speech:two/b/1", "line2": "speech:two/b/2"}
    assert motion.params["lines"] == [{"input": "line1", "character": "Mara", "off_screen": "O.S."},
                                      {"input": "line2", "character": "Luca", "off_screen": None}]
    assert not result.plan.tasks["motion:one/a"].params.get("lines")


def test_a_speech_edit_rerenders_that_shots_motion(tmp_path: Path) -> None:
    before = compile_text(tmp_path / "a", PROJECT)
    after = compile_text(tmp_path / "b", PROJECT.replace("Where?", "Where are you?"))
    assert before.plan is not None and after.plan is not None
    changed = {t for t in before.plan.tasks if before.plan.tasks[t].key != after.plan.tasks[t].key}
    assert {"speech:two/b/2", "motion:two/b", "shot:two/b", "film"} <= changed
    assert "keyframe:two/b" not in changed and "motion:two/c" not in changed


def test_blocking_mistakes_are_reported_where_they_are(tmp_path: Path) -> None:
    text = PROJECT.replace("- {who: Mara, at: left, pose: sit, look_at: Luca}",
                           "- {who: Mara, at: lft, pose: sitt}\n          - {who: Lamp}\n          - {who: Mara}"
                           "\n          - {who: Nobody, look_at: Mara}")
    result = compile_text(tmp_path, text)
    assert sorted(c for c in codes(result) if c.startswith("E")) == ["E205", "E205", "E301", "E308", "E341"]
    messages = " | ".join(d.message + " " + (d.hint or "") for d in result.diagnostics)
    assert "invalid position 'lft': did you mean 'left'?" in messages
    assert "did you mean 'sit'?" in messages
    assert "'Lamp' is a prop, not a character" in messages and "'Mara' is blocked twice" in messages


def test_blocking_warnings(tmp_path: Path) -> None:
    warned = compile_text(tmp_path / "a", PROJECT.replace(
        "action: \"@Luca listens\"", "action: \"@Luca listens\"\n        blocking: [{who: Mara}]"))
    assert "W340" in codes(warned)
    lonely = compile_text(tmp_path / "b", PROJECT.replace(
        "{who: Mara, at: left, pose: sit, look_at: Luca}", "{who: Luca, look_at: Mara}").replace(
        "          - {who: Luca, enter: right, to: 0.6}\n", ""))
    assert "W341" in codes(lonely)

    crossing = compile_text(tmp_path / "c", PROJECT.replace(
        "{who: Luca, enter: right, to: 0.6}", "{who: Luca, enter: right, exit: left}"))
    assert "W342" not in codes(crossing)
    for n, odd in enumerate(("{who: Luca, enter: right, exit: right}", "{who: Luca, to: 0.6, exit: left}")):
        warned = compile_text(tmp_path / f"d{n}", PROJECT.replace("{who: Luca, enter: right, to: 0.6}", odd))
        assert codes(warned).count("W342") == 1, odd
