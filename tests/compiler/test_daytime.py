"""The light a scene heading names reaches the renderer (one location serves every time of day), and
a speaker heard off screen is not drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.daytime import TIMES, time_of_day
from tests.compiler.helpers import compile_text

PROJECT = """\
studio: 1
project: {title: Light}
elements:
  Margit: {kind: character, description: an old woman}
  Tomas: {kind: character, description: a fisherman}
  Harbour: {kind: location, description: a fishing harbour}
scenes:
  - id: dawn
    heading: EXT. HARBOUR - DAWN
    location: Harbour
    shots:
      - {id: a, action: Fog on the water., duration: 2}
  - id: day
    heading: EXT. HARBOUR - DAY
    location: Harbour
    shots:
      - {id: a, action: Gulls., duration: 2}
  - id: night
    heading: EXT. HARBOUR - NIGHT
    location: Harbour
    shots:
      - id: a
        action: "@Margit waits."
        dialogue:
          - {character: Margit, line: "Is he back?"}
          - {character: Tomas, line: "Make room!", off_screen: O.S.}
      - id: b
        action: Lanterns bob.
        dialogue:
          - {character: Tomas, line: "Here!", off_screen: V.O.}
          - {character: Tomas, line: I am here.}
      - {id: end, card: THE END, duration: 2}
"""


@pytest.mark.parametrize("heading, light", [
    ("EXT. HARBOUR - NIGHT", "night"), ("INT. LAMP ROOM - LATER THAT NIGHT", "night"),
    ("EXT. PIER - NIGHT - FLASHBACK", "night"), ("EXT. BEACH NIGHT", "night"), ("EXT. BEACH LATE NIGHT", "night"),
    ("INT. NIGHTCLUB - DAY", None), ("INT. NIGHT MARKET", None), ("EXT. POINT - DUSK", "dusk"),
    ("EXT. ROAD – SUNSET", "dusk"), ("EXT. FIELD - DAWN (1985)", "dawn"), ("EXT. PIER - MORNING", None),
    ("INT. STAIRS - CONTINUOUS", None), ("EXT. STRASSE - NACHT", "night"), ("", None), (None, None),
    ("NIGHT", None),
])
def test_headings_name_their_light(heading: str | None, light: str | None) -> None:
    assert time_of_day(heading) == light


def test_the_heading_light_reaches_keyframes_and_prompts(tmp_path: Path) -> None:
    result = compile_text(tmp_path / "p", PROJECT)
    assert result.plan is not None, result.diagnostics
    tasks = {str(k): v for k, v in result.plan.tasks.items()}
    assert tasks["keyframe:night/a"].params["setting"]["time"] == "night"  # compiler.heading reads the light
    assert tasks["keyframe:dawn/a"].params["setting"]["time"] == "dawn"
    assert tasks["keyframe:day/a"].params["setting"]["time"] == "day"
    assert tasks["keyframe:night/end"].params["card"]  # a card: drawn the same at any hour
    prompts = {f"{shot.scene}/{shot.id}": shot.prompt for shot in result.plan.film.shots}
    assert prompts["night/b"].endswith(", at night")  # what a prompted (AI) model's keyframe task would carry
    assert "night" not in prompts["day/a"]


def test_a_speaker_heard_off_screen_is_not_drawn(tmp_path: Path) -> None:
    result = compile_text(tmp_path / "p", PROJECT)
    assert result.plan is not None, result.diagnostics
    tasks = {str(k): v for k, v in result.plan.tasks.items()}
    drawn = {shot: [c["name"] for c in tasks[f"keyframe:night/{shot}"].params["characters"]] for shot in "ab"}
    assert drawn == {"a": ["Margit"], "b": ["Tomas"]}  # in b Tomas also speaks on screen
    off = compile_text(tmp_path / "q", PROJECT.replace("          - {character: Tomas, line: I am here.}\n", ""))
    assert off.plan is not None
    assert [c["name"] for c in off.plan.tasks["keyframe:night/b"].params["characters"]] == []  # type: ignore[index]


def test_every_light_word_is_a_time_to_the_fountain_importer() -> None:
    # an imported 'EXT. HARBOUR - FIRST LIGHT' is the place HARBOUR (shared), lit by its heading
    from studio_lang.fountain.places import _TIMES, read_heading

    assert set(TIMES) <= _TIMES
    place = read_heading("EXT. HARBOUR - FIRST LIGHT")
    assert place is not None and place.key == "HARBOUR" and time_of_day("EXT. HARBOUR - FIRST LIGHT") == "dawn"
