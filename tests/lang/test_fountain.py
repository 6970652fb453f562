"""Fountain import: a corpus of edge cases, each giving a project that checks clean in both syntaxes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler import compile_project
from studio_lang.dsl.emit import emit_dsl, from_data
from studio_lang.fountain.importer import import_fountain
from studio_lang.source import SourceFile
from studio_lang.yaml.emit import emit_yaml
from tests.lang.helpers import FOUNTAIN

CORPUS = sorted(FOUNTAIN.glob("*.fountain"))


def imported(name: str) -> tuple[dict[str, Any], list[str]]:
    path = FOUNTAIN / name
    data, diagnostics = import_fountain(SourceFile(path.name, path.read_text(encoding="utf-8")), title=path.stem)
    return data, [d.code for d in diagnostics]


def shots(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [shot for scene in data["scenes"] for shot in scene["shots"]]


@pytest.mark.parametrize("script", CORPUS, ids=lambda p: p.stem)
def test_every_script_imports_and_checks_clean(script: Path, tmp_path: Path) -> None:
    data, _ = imported(script.name)
    for name, text in (("film.studio.yaml", emit_yaml(from_data(data))), ("film.studio", emit_dsl(from_data(data)))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = compile_project(path)
        assert result.ok, [f"{d.code} {d.message}" for d in result.diagnostics]
        assert not [d for d in result.diagnostics if d.code != "W302"], result.diagnostics
        path.unlink()


def test_title_page() -> None:
    data, codes = imported("title_page.fountain")
    assert codes == []
    assert data["project"] == {
        "title": "BRICK & STEEL FULL RETIRED",
        "description": "Credit: Written by; Author: Stu Maschwitz; Source: Story by KTM; Draft date: 1/20/2012; "
                       "Contact: Next Level Productions 1588 Mission Dr. Solvang, CA 93463"}
    (shot,) = shots(data)
    assert shot["action"].startswith("A gorgeous day. The sun is shining. But @Brick BRADDOCK")
    assert data["elements"]["Brick"] == {"kind": "character", "description": "Brick", "voice": "brick"}


def test_forced_elements() -> None:
    data, _ = imported("forced.fountain")
    assert [s["heading"] for s in data["scenes"]] == ["SNIPER SCOPE POV", "OPENING TITLES", "INT. VAN - LATER"]
    assert [s["id"] for s in data["scenes"]] == ["sniper-scope-pov", "opening-titles", "int-van-later"]
    actions = [s["action"] for s in shots(data)]
    assert "SCANNING THE AISLES... Where is that pit boss?" in actions  # forced action, not a cue
    assert "SAVANNAH Quietly she walks away." in actions
    assert "Willy Wonka! Willy Wonka! The amazing chocolatier!" in actions  # lyrics
    assert data["elements"]["Mcclane"]["kind"] == "character"  # forced @ cue with lower case letters
    assert shots(data)[1]["dialogue"] == [{"character": "Mcclane", "line": "Yippie ki-yay!"}]


def test_dual_dialogue_extensions_and_parentheticals() -> None:
    data, _ = imported("dual_dialogue.fountain")
    (shot,) = shots(data)
    assert shot["dialogue"] == [
        {"character": "Brick", "line": "Screw retirement."},
        {"character": "Steel", "line": "Screw retirement."},
        {"character": "Brick", "line": "I said it first.", "emotion": "whisper"},
        {"character": "Steel", "line": "You always do.", "emotion": "wistful"},
        {"character": "Steel", "line": "Every time."},
        {"character": "Brick", "line": "Fine!", "emotion": "shouting"},
        {"character": "DrNobody", "line": "Keep it down.", "emotion": "to_brick_into_the_phone"},
    ]
    voices = data["voices"]
    assert voices["steel"]["emotions"] == {"wistful": {}}  # kept, and known to its voice: no warning
    assert len({v["pitch"] for v in voices.values()}) == len(voices)


def test_boneyard_is_never_imported_even_across_scenes() -> None:
    data, codes = imported("boneyard.fountain")
    assert codes == []
    assert [s["heading"] for s in data["scenes"]] == ["EXT. BEACH - DAY", "EXT. CLIFF - DUSK"]
    assert shots(data)[0]["action"] == "Waves roll in. A gull cries."
    assert "elements" not in data  # GHOST spoke only inside the boneyard


def test_unclosed_boneyard_warns() -> None:
    data, codes = imported("unclosed.fountain")
    assert codes == ["W120"]
    assert [s["heading"] for s in data["scenes"]] == ["INT. ROOM - DAY"]


def test_notes_become_directives_or_notes() -> None:
    data, _ = imported("notes.fountain")
    first, second, third = shots(data)
    assert first == {"id": "shot-1", "action": "Sparks fly as @Anna welds a metal frame.", "type": "close_up",
                     "camera": {"move": "dolly_in"}, "duration": 2.5}
    assert second["action"] == "The frame glows. @Anna lifts her mask."  # a note mid-line leaves no trace
    assert second["notes"] == "This is where the music should swell."
    assert second["transition"] == {"type": "dissolve"} and second["type"] == "wide"
    assert third["notes"] == "A note that spans two lines and reads like prose."


def test_markup_sections_synopses_centred_text_and_page_breaks() -> None:
    data, _ = imported("markup.fountain")
    assert data["project"]["title"] == "Markup and Layout"
    rooftop, stairwell = data["scenes"]
    assert rooftop["description"] == "Act One; Where the night begins."
    assert stairwell["description"] == "Act Two; The chase."
    assert stairwell["heading"] == "INT. STAIRWELL - NIGHT"  # scene number dropped
    assert [s["action"] for s in rooftop["shots"]] == [
        "The city hums below. Italic words, bold words, both and underlined ones. A price of *5 stays.",
        "THE END OF ACT ONE"]
    assert stairwell["shots"][0]["dialogue"] == [{"character": "Mia", "line": "Wait for me!"}]


def test_transitions() -> None:
    data, _ = imported("transitions.fountain")
    assert [s["id"] for s in data["scenes"]] == [
        "ext-field-day", "ext-river-day", "int-cave-night", "ext-forest-night", "ext-forest-night-2"]
    assert [s.get("transition") for s in shots(data)] == [
        {"type": "dissolve"}, None, {"type": "wipe"}, None, {"type": "fade"}]


def test_scripts_without_headings_or_content() -> None:
    data, _ = imported("no_headings.fountain")
    (scene,) = data["scenes"]
    assert scene["id"] == "opening" and "heading" not in scene
    assert scene["shots"][1]["action"] == ("EMAIL at EXAMPLE.COM is written on the wall; the @Luca tag and a "
                                           "stray at sign too.")
    data, codes = imported("empty.fountain")
    assert codes == ["W121"]
    assert data["project"]["title"] == "empty" and len(shots(data)) == 1
