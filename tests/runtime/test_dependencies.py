"""An edit re-runs exactly the tasks whose output it changes (issue 10, item 19), end to end.

Each task kind reads only what its output depends on: subtitles the words and their timing (never a
picture), the soundtrack the speech and the tracks, transitions the pictures (the motion), a shot's
storyboard panel its keyframe, camera move and transition (it marks them), the storyboard the panels,
the words and the lengths, a shot's clip its motion and speech (the words only when they are burned in),
the OpenTimelineIO timeline the shots and the lines, the PDF storyboard the panels, the words, the
lengths, the camera, transitions and title. tests/compiler/test_keys.py checks the same at the level of
keys, field by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LUCA
from tests.runtime.helpers import build_json, tiny_copy


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("deps-cache")
    project = tiny_copy(LUCA, tmp_path_factory.mktemp("deps-base") / "luca")
    code, _, err = build_json(project, cache=cache)
    assert code == 0, err
    return cache


EDITS = {
    "camera move": (("move: pan_right", "move: pan_left"),
                    {"motion:cove/establishing", "shot:cove/establishing", "panel:cove/establishing", "film",
                     "timeline", "storyboard_pdf", "storyboard"}),
    "transition type": (("type: dissolve", "type: wipe"),
                        {"transition:cove/peek", "panel:cove/peek", "film", "timeline", "storyboard_pdf",
                         "storyboard"}),
    # one shot's action: its keyframe and its panel alone among the pictures; the boards re-assemble
    "action": (("peeks over a rock", "peeks over a stone"),
               {"keyframe:cove/peek", "panel:cove/peek", "motion:cove/peek", "shot:cove/peek",
                "transition:cove/peek", "film", "timeline", "storyboard_pdf", "storyboard"}),
    "title": (("title: Luca Sees the Sea", "title: Luca and the Sea"),
              {"film", "storyboard", "timeline", "storyboard_pdf"}),
    "loudness": (("subtitles: soft", "subtitles: soft\n  loudness: -20"), {"soundtrack", "film"}),
    "subtitles off": (("subtitles: soft", "subtitles: none"), {"film"}),
    "burned subtitles": (("subtitles: soft", "subtitles: burn"),
                         {"shot:cove/establishing", "shot:cove/peek", "shot:cove/dare", "shot:jump/leap",
                          "transition:cove/peek", "transition:jump/leap", "film", "timeline"}),
    "voice pitch": (("pitch: 40", "pitch: 45"),  # Alberto's line in the auto shot dare: its length may change
                    {"speech:cove/dare/1", "motion:cove/dare", "shot:cove/dare", "transition:cove/peek", "subtitles",
                     "soundtrack", "film", "storyboard", "timeline", "storyboard_pdf"}),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_edit_reruns_exactly_its_dependents(name: str, tmp_path: Path, shared_cache: Path) -> None:
    (old, new), expected = EDITS[name]
    project = tiny_copy(LUCA, tmp_path / "luca")
    path = project / "film.studio.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    code, summary, err = build_json(project, cache=shared_cache)
    assert code == 0, err
    assert set(summary["executed"]) == expected
