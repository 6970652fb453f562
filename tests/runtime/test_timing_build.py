"""Timing end to end (issue 10, items 15-17): transitions fit, subtitles never overlap, and once the
speech exists ``plan`` and the storyboard show the film's exact lengths."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.runtime.helpers import build_json, studio

PROJECT = """\
studio: 1
project: {title: Fit, fps: 24, resolution: [160, 90]}
voices:
  ana: {pitch: 60, rate: 170}
elements:
  Ana: {kind: character, description: a girl with a kite, voice: ana}
scenes:
  - id: s
    shots:
      - id: talk
        action: "@Ana explains"
        dialogue:
          - {character: Ana, line: "The wind is strong today, so hold the string with both hands."}
        transition: {type: dissolve, duration: 1.5}
      - id: quiet
        action: "@Ana watches the kite"
        transition: {type: dissolve, duration: 2}
      - id: answer
        action: "@Ana laughs"
        dialogue:
          - {character: Ana, line: "Look, it flies!"}
          - {character: Ana, line: "Higher and higher."}
        transition: {type: fade, duration: 1}
"""


def _srt_times(text: str) -> list[tuple[float, float]]:
    def seconds(stamp: str) -> float:
        h, m, rest = stamp.split(":")
        s, ms = rest.split(",")
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    return [(seconds(a), seconds(b)) for a, b in re.findall(r"(\S+) --> (\S+)", text)]


def test_auto_shots_hold_long_transitions_and_cues_never_overlap(tmp_path: Path) -> None:
    project = tmp_path / "fit"
    project.mkdir()
    (project / "film.studio.yaml").write_text(PROJECT, encoding="utf-8")
    before = json.loads(studio("plan", str(project), "--format", "json").stdout)["length"]
    assert before["exact"] is False
    code, summary, err = build_json(project)
    assert code == 0, err  # the quiet auto shot used to be 3 s under 3.5 s of dissolves: the build failed
    cues = _srt_times((project / "build" / "subtitles.srt").read_text(encoding="utf-8"))
    assert len(cues) == 3
    for (_, end), (start, _) in zip(cues, cues[1:]):
        assert end < start
    report = {t["id"]: t for t in json.loads((project / "build" / "report.json").read_text())["tasks"]}
    talk = report["shot:s/talk"]["meta"]
    assert talk["lines"][-1]["end"] <= talk["duration"] - 1.5  # the line ends before its dissolve starts
    # once the speech is in the store, plan and storyboard show the exact lengths the build settled
    done = studio("plan", str(project))
    film = report["film"]["meta"]["duration"]
    assert f"3 shots, {film:.2f} s at 24 fps" in done.stdout, done.stdout
    after = json.loads(studio("plan", str(project), "--format", "json").stdout)["length"]
    assert after["exact"] is True and abs(after["seconds"] - film) < 1e-6
    shots = [report[f"shot:s/{name}"]["meta"]["duration"] for name in ("talk", "quiet", "answer")]
    assert [s["seconds"] for s in after["shots"]] == [round(s, 6) for s in shots]
    assert report["storyboard"]["meta"]["durations"] == [round(s, 3) for s in shots]
    assert abs(before["seconds"] - film) / film < 0.10  # the estimate before any speech existed
