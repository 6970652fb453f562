"""Captions and burned subtitles are laid on after the camera and after the transitions: a built film.

A small film whose shots pan, zoom and dolly, with ``caption: true`` and burned subtitles, a wipe
under a line of dialogue and a dissolve: on every frame the caption is whole, where it belongs
(not cropped, moved or scaled by the camera), and the wipe never cuts the subtitle in two.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backends.ffmpeg.captions import render_action_caption, render_caption
from tests.runtime.helpers import build_json
from tests.runtime.test_film_luca import decoded

W, H = 640, 360
LINE = "Here we go, all along the bay and out to sea!"
PROJECT = f"""\
studio: 1
project: {{title: Captions, fps: 24, resolution: [{W}, {H}], seed: 1}}
elements:
  Luca: {{kind: character, description: a boy in a green shirt}}
  Bay: {{kind: location, description: a bay by the sea}}
scenes:
  - id: s
    heading: EXT. BAY - DAY
    location: Bay
    shots:
      - id: pan
        type: wide
        duration: 1.5
        action: "@Luca walks along the bay"
        camera: {{move: pan_right, amount: 0.4}}
        dialogue: [{{character: Luca, line: "{LINE}"}}]
        transition: {{type: wipe, duration: 0.5}}
      - id: zoom
        type: medium
        duration: 1.5
        action: "@Luca waves at the boats"
        camera: {{move: zoom_in, amount: 0.5}}
        transition: {{type: dissolve, duration: 0.5}}
      - id: dolly
        type: wide
        duration: 1.5
        action: "@Luca looks at the sea"
        camera: {{move: dolly_in, amount: 0.5}}
output: {{subtitles: burn, caption: true, storyboard: false}}
"""


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[np.ndarray], dict]:
    project = tmp_path_factory.mktemp("captions")
    (project / "film.studio.yaml").write_text(PROJECT)
    code, _, err = build_json(project)
    assert code == 0, err
    report = json.loads((project / "build" / "report.json").read_text())
    return list(decoded(project / "build" / "final.mp4")), {t["id"]: t["meta"] for t in report["tasks"]}


def picture(draw, text: str, tmp: Path) -> np.ndarray:  # type: ignore[no-untyped-def]
    with Image.open(draw(text, W, H, tmp / "c.png")) as im:
        return np.asarray(im.convert("RGBA")).astype(int)


def whole(frame: np.ndarray, overlay: np.ndarray) -> float:
    """The share of the overlay's solid white pixels that are white in ``frame`` and of its solid dark
    pixels that are dark: 1 where the overlay lies exactly where it was drawn."""
    solid = overlay[..., 3] >= 250
    white, dark = solid & (overlay[..., :3].min(axis=-1) > 240), solid & (overlay[..., :3].max(axis=-1) < 15)
    assert white.sum() > 50
    lum = frame.astype(int).sum(axis=-1)
    return min(float((lum[white] > 3 * 170).mean()), float((lum[dark] < 3 * 90).mean()) if dark.any() else 1.0)


def test_captions_are_whole_and_unmoved_on_every_frame_of_a_pan_a_zoom_and_a_dolly(film, tmp_path: Path) -> None:
    frames, metas = film
    captions = {name: picture(render_action_caption, text, tmp_path) for name, text in (
        ("pan", "Luca walks along the bay"), ("zoom", "Luca waves at the boats"), ("dolly", "Luca looks at the sea"))}
    shown = []
    for i, frame in enumerate(frames):
        scores = {name: whole(frame, caption) for name, caption in captions.items()}
        best = max(scores, key=lambda n: scores[n])
        assert scores[best] > 0.97, (i, scores)
        shown.append(best)
    assert shown == sorted(shown, key=["pan", "zoom", "dolly"].index)  # in order, each over its own shot
    assert {metas[f"motion:s/{n}"]["move"] for n in captions} == {"pan_right", "zoom_in", "dolly_in"}


def test_a_wipe_never_cuts_a_burned_subtitle(film, tmp_path: Path) -> None:
    frames, metas = film
    line = metas["shot:s/pan"]["lines"][0]
    shot_frames = metas["shot:s/pan"]["frames"]
    wipe = range(shot_frames - 12, shot_frames)  # the wipe's twelve frames, where the film holds them
    end = round(line["end"] * 24)
    assert end > wipe[-1]  # the line runs on through the wipe
    subtitle = picture(render_caption, LINE, tmp_path)
    for i in range(round(line["start"] * 24) + 1, shot_frames):
        assert whole(frames[i], subtitle) > 0.97, i
    # and the wipe happened under it: the picture changed from one shot to the other
    top = [f[H // 4 : H // 2].astype(int) for f in (frames[wipe[0]], frames[wipe[-1]])]
    assert np.abs(top[0] - top[1]).mean() > 10
