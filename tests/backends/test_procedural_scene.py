"""Place, time and colour: scene headings, backdrop words and colour words, on real keyframes."""

from __future__ import annotations

import colorsys
import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from backends import procedural
from backends.base import Result, TaskRun
from backends.procedural._compose import Cast, place
from backends.procedural.staging.layout import Staging
from backends.procedural.staging.timeline import frame_states

W, H = 192, 108


def element(name: str, description: str, color: str | None = None) -> dict[str, Any]:
    return {"name": name, "description": description, "color": color, "references": []}


@pytest.fixture
def render(tmp_path: Path):
    counter = itertools.count()

    def render(**overrides: Any) -> Result:
        params: dict[str, Any] = {
            "width": W, "height": H, "seed": 3, "prompt": "", "negative": "", "action": "", "shot_type": "wide",
            "palette": [], "caption": False, "location": None, "characters": [], "props": [], "setting": None,
        }  # fmt: skip
        params.update(overrides)
        workdir = tmp_path / f"k{next(counter)}"
        workdir.mkdir()
        task = TaskRun("keyframe:s/k", "keyframe", params, {}, {}, workdir)
        return procedural.run(task, procedural.load({"backend": "procedural", "params": {}}))

    return render


def image(result: Result, name: str = "image") -> np.ndarray:
    with Image.open(result.outputs[name]) as im:
        return np.asarray(im.convert("RGB")).astype(int)


def luma(img: np.ndarray) -> float:
    return float((img * [0.299, 0.587, 0.114]).sum(axis=-1).mean())


KEEPER = element("Keeper", "an old keeper with a white beard and a navy coat")


@pytest.mark.parametrize("place", ["HIDDEN COVE", "KITCHEN"])
def test_a_night_heading_is_darker_than_day(render, place: str) -> None:
    def shot(time: str) -> Result:
        return render(characters=[KEEPER], setting={"interior": place == "KITCHEN", "time": time, "place": place})

    day, night, dusk = shot("day"), shot("night"), shot("dusk")
    assert (day.meta["time"], night.meta["time"]) == ("day", "night")
    assert luma(image(night)) < 0.6 * luma(image(day))
    assert luma(image(night)) < luma(image(dusk)) < luma(image(day)) + 1
    # the figure is in the night light too, not only the backdrop
    drawn = (image(night) != image(night, "background")).any(axis=-1)
    assert luma(image(night)[drawn][:, None]) < 0.75 * luma(image(day)[(image(day) != image(day, "background"))
                                                                  .any(axis=-1)][:, None])


def test_an_int_heading_draws_an_interior_whatever_the_location_says(render) -> None:
    cove = element("Cove", "a rocky cove by the sea")
    inside = render(location=cove, setting={"interior": True, "time": "day", "place": "COVE"})
    outside = render(location=cove, setting={"interior": False, "time": "day", "place": "COVE"})
    unknown = render(location=cove, setting=None)
    assert (inside.meta["scene"], outside.meta["scene"], unknown.meta["scene"]) == ("interior", "exterior", "exterior")
    top_in, top_out = image(inside)[: H // 4], image(outside)[: H // 4]
    assert top_out[..., 2].mean() > top_out[..., 0].mean() + 30  # sky
    assert top_in[..., 0].mean() > top_in[..., 2].mean()  # a warm wall, no sky
    kitchen = render(setting={"interior": True, "time": "night", "place": "KITCHEN"})  # the heading alone
    assert kitchen.meta["scene"] == "interior" and "kitchen" in kitchen.meta["features"]


@pytest.mark.parametrize(("words", "feature"), [
    ("a sandy beach by the sea", "sea"), ("a deep pine forest", "forest"), ("a busy street in town", "city"),
    ("a cosy bedroom", "bedroom"), ("a snowy mountain pass", "snow"), ("the desert dunes at noon", "desert"),
])  # fmt: skip
def test_location_words_pick_the_backdrop(render, words: str, feature: str) -> None:
    result = render(location=element("Place", words))
    assert feature in result.meta["features"]


def test_location_colour_words_colour_the_surface(render) -> None:
    plain = render(location=element("Bay", "a bay with water under the sky"))
    red = render(location=element("Bay", "a bay with red water under the sky"))
    sea = image(red)[int(H * 0.6), :].mean(axis=0) - image(plain)[int(H * 0.6), :].mean(axis=0)
    assert sea[0] > 25 and sea[2] < 0


# --- colours from words: exactly the costume, in the right hue ---------------------------------------


def costume(result: Result) -> np.ndarray:
    """Where a figure's costume (torso and sleeves) shows: the same staging drawn with every colour
    black but the costume's white, over black."""
    import json

    staging = Staging.from_json(json.loads(result.outputs["layout"].read_text())["staging"])
    black = (0.0, 0.0, 0.0)
    setups = tuple(replace(s, actors=tuple(replace(a, figure=replace(
        a.figure, main=(1.0, 1.0, 1.0), skin=black, hair_colour=black, legs=black, shoes=black, hat=black))
        for a in s.actors)) for s in staging.setups)
    mask_staging = replace(staging, setups=setups, light=(1.0, 1.0, 1.0))
    frame = np.zeros((H, W, 3), np.uint8)
    cast = Cast(mask_staging, look="flat", seed=3, stage_h=H, interior=False)
    _, states = frame_states(mask_staging, 1.5, 36, duration=3.0, fps=24, seed=3, px=1 / H, still=True)
    for st in states:
        for p in cast.placed(st, 1.0, (st.x * W, st.ground * H), None):
            place(frame, p)
    return frame[..., 0]


def hue(rgb: np.ndarray) -> np.ndarray:
    return np.array([colorsys.rgb_to_hsv(*(c / 255.0))[0] * 360 for c in rgb])


@pytest.mark.parametrize("shot", ["wide", "medium", "close_up"])
def test_red_and_blue_raincoats_differ_exactly_in_the_costume_in_the_right_hue(render, shot: str) -> None:
    red = render(shot_type=shot, characters=[element("Mara", "a curious girl in a red raincoat")])
    blue = render(shot_type=shot, characters=[element("Mara", "a curious girl in a blue raincoat")])
    assert red.meta["colors"]["Mara"] == blue.meta["colors"]["Mara"] == "words"
    a, b = image(red), image(blue)
    differ = (a != b).any(axis=-1)
    mask = costume(red)
    assert differ.any()
    assert not (differ & (mask == 0)).any()  # nothing outside the costume changed
    full = mask == 255
    assert full.sum() > 20 and differ[full].all()  # all of the costume did
    reds, blues = hue(a[full]), hue(b[full])
    assert np.all((reds < 20) | (reds > 340)) and np.all((blues > 200) & (blues < 250))


def test_an_elements_colour_wins_over_its_words(render) -> None:
    words = render(shot_type="close_up", characters=[element("Mara", "a girl in a red raincoat")])
    coloured = render(shot_type="close_up", characters=[element("Mara", "a girl in a red raincoat", "#20a040")])
    assert coloured.meta["colors"]["Mara"] == "color"
    full = costume(coloured) == 255
    greens = image(coloured)[full]
    assert (greens[:, 1] > greens[:, 0] + 40).all() and not np.array_equal(image(words), image(coloured))


def test_a_props_colour_word_colours_it(render) -> None:
    ball = render(shot_type="insert", props=[element("Ball", "a bright blue ball")])
    assert ball.meta["colors"]["Ball"] == "words"
    middle = image(ball)[H // 2 - 5 : H // 2 + 5, W // 2 - 5 : W // 2 + 5].reshape(-1, 3)
    assert (middle[:, 2] > middle[:, 0] + 60).mean() > 0.8


def test_a_leap_off_the_cliff_stands_on_a_rock_that_is_drawn(render) -> None:
    luca = element("Luca", "a boy in a green shirt")
    off = render(action="Luca leaps off the cliff", characters=[luca], location=element("Cliff", "a cliff by the sea"))
    on = render(action="Luca leaps for joy", characters=[luca], location=element("Cliff", "a cliff by the sea"))
    layout = Staging.from_json(__import__("json").loads(off.outputs["layout"].read_text())["staging"])
    assert layout.ledge is not None
    x0, edge, top = layout.ledge
    a, b = image(off, "background"), image(on, "background")
    changed = np.abs(a - b).sum(axis=-1) > 30
    rows, cols = np.nonzero(changed)
    assert changed.mean() > 0.05  # a slab of rock, not a line
    assert abs(rows.min() / H - top) < 0.03 and rows.max() == H - 1  # from its top down out of the frame
    assert cols.max() / W < edge + 0.01  # and no further than its edge
