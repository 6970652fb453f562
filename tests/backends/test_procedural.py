"""The procedural backend's keyframes and storyboard: the real backend at tiny sizes, no mocks.

Motion and audio-reactive patterns are in ``test_procedural_motion.py``.
"""

from __future__ import annotations

import itertools
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import backends
from backends import procedural
from backends.base import Artifact, BackendError, Result, TaskRun

W, H = 160, 90
RED = "#d02020"


def element(
    name: str, description: str = "", color: str | None = None, references: list[str] | None = None
) -> dict[str, Any]:
    return {"name": name, "description": description, "color": color, "references": references or []}


COVE = element("Cove", "a hidden cove below white cliffs by the sea")
LUCA = element("Luca", "a shy boy", RED)
MIRA = element("Mira", "a tall girl", "#2040d0")


def keyframe_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "width": W, "height": H, "seed": 7, "prompt": "p", "negative": "", "action": "Luca waves at Mira",
        "shot_type": "wide", "palette": [], "caption": False, "location": COVE,
        "characters": [LUCA, MIRA], "props": [element("Lamp", "an old lantern", "#e0b020")],
    }  # fmt: skip
    params.update(overrides)
    return params


@pytest.fixture
def render(tmp_path: Path):
    counter = itertools.count()

    def render(
        kind: str = "keyframe",
        look: str = "flat",
        files: dict[str, Path] | None = None,
        inputs: dict[str, Artifact] | None = None,
        **params: Any,
    ) -> Result:
        workdir = tmp_path / f"task{next(counter)}"
        workdir.mkdir()
        task = TaskRun(
            id=f"{kind}:cove/peek",
            kind=kind,
            params=keyframe_params(**params) if kind == "keyframe" else params,
            inputs=inputs or {},
            files=files or {},
            workdir=workdir,
        )
        return procedural.run(task, procedural.load({"backend": "procedural", "params": {"look": look}}))

    return render


def pixels(path: Path, mode: str = "RGB") -> np.ndarray:
    with Image.open(path) as im:
        assert im.mode == mode
        return np.asarray(im)


def figures(result: Result) -> np.ndarray:
    """Where figures are drawn: the image differs from the backdrop."""
    return (pixels(result.outputs["image"]) != pixels(result.outputs["background"])).any(axis=-1)


def near(img: np.ndarray, hex_colour: str, tolerance: int = 40) -> np.ndarray:
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return np.abs(img[..., :3].astype(int) - target).sum(axis=-1) < tolerance


# --- the module contract ------------------------------------------------------------------------


def test_module_contract() -> None:
    assert procedural.NAME == "procedural"
    assert backends.CATALOG["procedural"].startswith(procedural.VERSION + "+imageio-ffmpeg-")
    assert procedural.KINDS == {"backdrop", "keyframe", "layout", "motion", "panel", "storyboard"}
    assert procedural.load({"backend": "procedural", "params": {}}) == {"look": "flat"}
    assert procedural.load({"backend": "procedural"}) == {"look": "flat"}
    procedural.unload({"look": "flat"})


def test_unknown_look_lists_the_known_ones() -> None:
    with pytest.raises(BackendError, match=r"unknown look 'oil'.*flat, paint, sketch"):
        procedural.load({"backend": "procedural", "params": {"look": "oil"}})


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    task = TaskRun(id="speech:x", kind="speech", params={}, inputs={}, files={}, workdir=tmp_path)
    with pytest.raises(BackendError, match="not 'speech'"):
        procedural.run(task, {"look": "flat"})


# --- keyframes ------------------------------------------------------------------------------------


def test_keyframe_outputs_and_sizes(render) -> None:
    result = render()
    assert set(result.outputs) == {"image", "background", "layout"}
    assert pixels(result.outputs["image"]).shape == (H, W, 3)
    assert pixels(result.outputs["background"]).shape == (H, W, 3)
    layout = json.loads(result.outputs["layout"].read_text())
    assert layout["size"] == [W, H] and layout["look"] == "flat" and layout["staging"]["shot_type"] == "wide"
    assert result.meta["figures"] == ["Luca", "Mira"]
    assert result.meta["verbs"] == {"Luca": ["wave"], "Mira": []}
    assert all(p.parent == result.outputs["image"].parent for p in result.outputs.values())


@pytest.mark.parametrize("look", procedural.LOOKS)
def test_keyframe_is_the_same_bytes_every_time(render, look: str) -> None:
    first, second = render(look=look), render(look=look)
    for name in first.outputs:
        assert first.outputs[name].read_bytes() == second.outputs[name].read_bytes(), name


def test_tasks_on_parallel_threads_give_the_same_bytes(render) -> None:
    """The runtime runs CPU tasks on several threads: no shared state may leak between them."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [
        {"look": look, "shot_type": shot, "caption": True} for look in ("flat", "sketch") for shot in ("wide", "medium")
    ]
    alone = [render(**job).outputs["image"].read_bytes() for job in jobs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda job: render(**job).outputs["image"].read_bytes(), jobs))
    assert together == alone


def test_png_has_no_metadata_chunks(render) -> None:
    data = render().outputs["image"].read_bytes()
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunks.append(data[pos + 4 : pos + 8].decode())
        assert zlib.crc32(data[pos + 4 : pos + 8 + length]) == int.from_bytes(
            data[pos + 8 + length : pos + 12 + length], "big"
        )
        pos += 12 + length
    assert set(chunks) <= {"IHDR", "IDAT", "IEND"}


def test_the_layout_reads_back_as_the_same_staging(render) -> None:
    from backends.procedural.staging.layout import Staging

    for shot in ("wide", "close_up", "over_the_shoulder"):
        data = json.loads(render(shot_type=shot, speakers=["Luca", "Mira"]).outputs["layout"].read_text())
        staging = Staging.from_json(data["staging"])
        assert staging.to_json() == data["staging"]


def test_seed_changes_only_texture_not_the_layout(render) -> None:
    a = pixels(render(look="sketch", seed=1).outputs["image"]).astype(int)
    b = pixels(render(look="sketch", seed=2).outputs["image"]).astype(int)
    assert not np.array_equal(a, b)
    assert np.abs(a - b).mean() < 12


def test_wide_shot_puts_small_figures_on_the_ground_line(render) -> None:
    result = render(shot_type="wide", action="")
    image, drawn = pixels(result.outputs["image"]), figures(result)
    luca = near(image, RED) & drawn
    assert 0 < luca.mean() < 0.05
    ys, xs = np.nonzero(luca)
    assert ys.mean() > 0.5 * H and ys.max() < 0.9 * H
    assert xs.mean() < 0.5 * W  # the first of two figures stands on the left
    mira = near(image, "#2040d0") & drawn
    assert np.nonzero(mira)[1].mean() > 0.5 * W


def test_close_up_fills_the_centre_with_the_first_character(render) -> None:
    result = render(shot_type="close_up", action="")
    image, drawn = pixels(result.outputs["image"]), figures(result)
    assert drawn.mean() > 0.3
    assert drawn[H // 2, W // 2]
    luca = near(image, RED) & drawn
    assert luca.mean() > 0.08
    assert abs(np.nonzero(luca)[1].mean() - W / 2) < 0.1 * W
    assert not (near(image, "#2040d0") & drawn).any()


def test_medium_shot_shows_figures_waist_up(render) -> None:
    drawn = figures(render(shot_type="medium", action=""))
    assert drawn[-1].mean() > 0.3  # bodies run off the bottom of the frame
    assert 0.1 < drawn.mean() < 0.8


def test_over_the_shoulder_has_a_blurred_back_of_head_and_the_second_character(render) -> None:
    result = render(shot_type="over_the_shoulder", action="")
    drawn = figures(result)
    assert drawn[:, : W // 3].mean() > 0.2
    assert (near(pixels(result.outputs["image"]), "#2040d0") & drawn)[:, W // 2 :].mean() > 0.05
    from backends.procedural._compose import Cast
    from backends.procedural.staging.layout import Staging
    from backends.procedural.staging.timeline import frame_states

    staging = Staging.from_json(json.loads(result.outputs["layout"].read_text())["staging"])
    _, states = frame_states(staging, 1.0, 24, duration=2.0, fps=24, still=True)
    back = next(st for st in states if st.back)
    assert back.actor.name == "Luca" and back.actor.soft > 0
    cast = Cast(staging, look="flat", seed=1, stage_h=H, interior=False)
    front = next(st for st in states if not st.back)

    def steepest(st) -> int:  # type: ignore[no-untyped-def]
        alpha = cast.part(st, 1.0, "upper", None).alpha.astype(int)
        return int(np.abs(np.diff(alpha, axis=1)).max())

    assert steepest(back) < 150 < 200 < steepest(front)  # out of focus: soft edges


def test_pov_shows_what_the_first_character_sees_and_insert_no_one(render) -> None:
    pov = render(shot_type="pov", action="")
    assert pov.meta["figures"] == ["Mira"]
    insert = render(shot_type="insert")
    assert not figures(insert).any() and insert.meta["figures"] == []


def test_insert_shows_the_first_prop_large(render) -> None:
    image = pixels(render(shot_type="insert").outputs["image"])
    assert near(image, "#e0b020", 60).mean() > 0.05


def test_looks_differ(render) -> None:
    images = {look: pixels(render(look=look).outputs["image"]).astype(int) for look in procedural.LOOKS}
    for a, b in itertools.combinations(procedural.LOOKS, 2):
        assert np.abs(images[a] - images[b]).mean() > 4, (a, b)

    def saturation(img: np.ndarray) -> float:
        return float((img.max(axis=-1) - img.min(axis=-1)).mean())

    assert saturation(images["sketch"]) < 0.6 * saturation(images["flat"])  # grey paper and pencil


def test_location_words_choose_the_backdrop(render) -> None:
    sea = render(location=element("Beach", "a sandy beach by the sea"), characters=[], props=[])
    room = render(location=element("Kitchen", "a small kitchen"), characters=[], props=[])
    assert sea.meta["features"] == ["sea"] and sea.meta["scene"] == "exterior"
    assert room.meta["scene"] == "interior"
    a, b = pixels(sea.outputs["image"]).astype(int), pixels(room.outputs["image"]).astype(int)
    assert np.abs(a - b).mean() > 20


def test_palette_tints_the_backdrop(render) -> None:
    plain = pixels(render(characters=[], props=[]).outputs["image"]).astype(int)
    tinted = pixels(render(characters=[], props=[], palette=["#ff00ff", "#800080"]).outputs["image"]).astype(int)
    assert (tinted[..., 0] - tinted[..., 1]).mean() > (plain[..., 0] - plain[..., 1]).mean() + 20


def test_reference_image_colour_is_used_without_a_colour(render, tmp_path: Path) -> None:
    ref = np.empty((40, 40, 3), np.uint8)
    ref[:] = (40, 60, 110)  # a navy background, filling the border: not the character's colour
    ref[12:36, 14:26] = (30, 160, 40)  # a green character
    Image.fromarray(ref).save(tmp_path / "luca.png")
    luca = element("Luca", "a shy boy", references=["ref:Luca/1"])
    result = render(shot_type="close_up", characters=[luca], files={"ref:Luca/1": tmp_path / "luca.png"})
    assert result.meta["colors"]["Luca"] == "references"
    assert (near(pixels(result.outputs["image"]), "#1ea028", 50) & figures(result)).mean() > 0.08


def test_description_words_shape_the_hair() -> None:
    from backends.procedural._spec import Element
    from backends.procedural.staging.figure import figure_for

    def fig(description: str):  # type: ignore[no-untyped-def]
        return figure_for(Element("Anna", description, ((0.5, 0.5, 0.5),), "hash"))

    curly = fig("a boy with curly brown hair")
    assert (curly.hair_colour, curly.hair, curly.beard) == ((0.40, 0.25, 0.13), "tuft", False)
    keeper = fig("an old keeper with a white beard and a knitted cap")
    assert (keeper.hair_colour, keeper.hair, keeper.beard) == ((0.93, 0.92, 0.90), "cap", True)
    assert fig("an old woman").hair_colour == (0.62, 0.62, 0.64)
    assert fig("a girl in a red raincoat").source == "words"


def test_description_hash_colours_are_stable(render) -> None:
    boy = element("Luca", "a shy boy")
    a = render(characters=[boy], shot_type="close_up", action="")
    b = render(characters=[boy], shot_type="close_up", action="something else")
    assert a.meta["colors"]["Luca"] == "hash"
    assert a.outputs["image"].read_bytes() == b.outputs["image"].read_bytes()


def test_caption_draws_the_action_on_the_still_but_not_the_layers(render) -> None:
    plain = render(caption=False)
    captioned = render(caption=True)
    assert set(captioned.outputs) == {"image", "background", "layout"}
    assert captioned.outputs["background"].read_bytes() == plain.outputs["background"].read_bytes()
    a, b = pixels(plain.outputs["image"]).astype(int), pixels(captioned.outputs["image"]).astype(int)
    assert np.array_equal(a[: H // 2], b[: H // 2])
    assert np.abs(a[-10:] - b[-10:]).mean() > 10


def test_bad_reference_images_are_reported(render, tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"not a png at all")
    luca = element("Luca", "a shy boy", references=["ref:Luca/1"])
    with pytest.raises(BackendError, match=r"cannot read the reference image ref:Luca/1"):
        render(characters=[luca], files={"ref:Luca/1": tmp_path / "broken.png"})
    with pytest.raises(BackendError, match="'ref:Luca/1' of Luca was not provided"):
        render(characters=[luca])


def board(tmp_path: Path) -> Path:
    """A 4:3 gradient picture: fitting it to the 16:9 keyframe crops its top and bottom."""
    y, x = np.mgrid[0:120, 0:160]
    path = tmp_path / "board.png"
    Image.fromarray(np.stack([x * 255 // 160, y * 255 // 120, np.full_like(x, 90)], -1).astype(np.uint8)).save(path)
    return path


def test_start_picture_is_kept_at_strength_0_and_hidden_at_1(render, tmp_path: Path) -> None:
    files = {"start": board(tmp_path)}
    kept = render(files=files, start={"file": "start", "strength": 0.0})
    with Image.open(files["start"]) as im:
        fitted = np.asarray(im.convert("RGB").resize((W, H), Image.Resampling.LANCZOS, box=(0, 15, 160, 105)))
    assert np.abs(pixels(kept.outputs["image"]).astype(int) - fitted).max() <= 2
    assert kept.meta["start_strength"] == 0.0
    drawn = render()
    hidden = render(files=files, start={"file": "start", "strength": 1.0})
    assert pixels(hidden.outputs["image"]).tolist() == pixels(drawn.outputs["image"]).tolist()


def test_start_picture_blends_and_the_figures_fade_in(render, tmp_path: Path) -> None:
    files = {"start": board(tmp_path)}
    plain = render()
    drawn = pixels(plain.outputs["image"]).astype(int)
    empty = ~figures(plain)
    kept = pixels(render(files=files, start={"file": "start", "strength": 0}).outputs["image"]).astype(int)
    half = render(files=files, start={"file": "start", "strength": 0.5})
    image = pixels(half.outputs["image"]).astype(int)
    # the backdrop is a cross-fade; the figures fade in over it
    assert np.abs(image - (kept + drawn) / 2)[empty].max() <= 2
    assert (np.abs(image - kept)[~empty] > 8).any() and (np.abs(image - drawn)[~empty] > 8).any()
    assert json.loads(half.outputs["layout"].read_text())["staging"]["opacity"] == 0.5
    again = render(files=files, start={"file": "start", "strength": 0.5})
    assert again.outputs["image"].read_bytes() == half.outputs["image"].read_bytes()


@pytest.mark.parametrize(
    ("start", "files", "message"),
    [
        ({"file": "start", "strength": 1.5}, True, "strength must be a number from 0 to 1"),
        ("board.png", True, "start must be"),
        ({"file": "start", "strength": 0.5}, False, "starting image 'start' was not provided"),
    ],
)
def test_bad_start_is_reported(render, tmp_path: Path, start: Any, files: bool, message: str) -> None:
    with pytest.raises(BackendError, match=message):
        render(files={"start": board(tmp_path)} if files else None, start=start)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(BackendError, match="cannot read the starting image"):
        render(files={"start": tmp_path / "broken.png"}, start={"file": "start", "strength": 0.5})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"palette": ["teal"]}, r"palette colour 1: 'teal' is not a colour"),
        ({"characters": [element("Luca", color="red")]}, "colour of Luca: 'red' is not a colour"),
        ({"shot_type": "dutch_angle"}, "cannot frame shot type 'dutch_angle'; known shot types: establishing"),
        ({"width": 0}, "width must be a whole number of pixels"),
        ({"characters": [{"description": "nameless"}]}, "a character element needs a 'name'"),
    ],
)
def test_bad_keyframe_parameters_are_reported(render, override: dict[str, Any], message: str) -> None:
    with pytest.raises(BackendError, match=message):
        render(**override)


# --- storyboard -------------------------------------------------------------------------------------


def panel_of(render, keyframe: Result, move: str = "static", transition: dict[str, Any] | None = None,
             **params: Any) -> Artifact:
    """A shot's panel task, on the real backend, as the storyboard receives it."""
    result = render("panel", inputs={"keyframe": Artifact(keyframe.outputs, keyframe.meta)}, move=move,
                    transition=transition, **{"sheet": True, "print": None, **params})
    return Artifact(result.outputs, result.meta)


def test_storyboard_is_a_contact_sheet_of_the_panels(render) -> None:
    shots, inputs = [], {}
    for n, shot_type in enumerate(["wide", "close_up", "insert"]):
        role = f"panel:cove/{n}"
        inputs[role] = panel_of(render, render(shot_type=shot_type))
        dialogue = [{"character": "Luca", "text": "The sea..."}] if n == 1 else []
        shots.append(
            {
                "input": role,
                "id": f"cove/{n}",
                "type": shot_type,
                "duration": 2.5,
                "auto": n == 1,
                "action": "Luca looks at the sea",
                "dialogue": dialogue,
            }
        )
    params = {"title": "Luca Sees the Sea", "shots": shots}
    first = render("storyboard", inputs=inputs, **params)
    second = render("storyboard", inputs=inputs, **params)
    assert first.outputs["image"].read_bytes() == second.outputs["image"].read_bytes()
    sheet = pixels(first.outputs["image"])
    assert sheet.shape[1] > 3 * 320 and sheet.shape[0] > 180
    assert first.meta == {"shots": 3, "durations": [2.5, 2.5, 2.5]}
    thumb = sheet[:, 32 + 2 * (320 + 24) : 32 + 2 * 320 + 2 * 24 + 320]
    assert near(thumb, "#e0b020", 60).any()  # the insert's lantern is in the third thumbnail


def test_storyboard_without_shots_is_just_the_title(render) -> None:
    sheet = pixels(render("storyboard", title="Empty", shots=[]).outputs["image"])
    assert sheet.shape[0] < 200


def test_storyboard_names_a_missing_panel(render) -> None:
    shot = {"input": "panel:cove/x", "id": "cove/x", "type": "wide", "duration": 1.0, "action": "", "dialogue": []}
    with pytest.raises(BackendError, match="panel 'panel:cove/x' of shot 'cove/x' is missing"):
        render("storyboard", title="T", shots=[shot])


def test_storyboard_panels_mark_moves_and_transitions(render, tmp_path: Path) -> None:
    """(Exact lengths: the runtime settles an auto shot's length from its speech before the backend
    runs, ``compiler.settle``; tests/runtime checks the board's lengths against the clips'.)"""
    from backends.procedural.panel import MARK

    shots, inputs = [], {}
    keyframe = render(shot_type="wide")
    for n, move in enumerate(["static", "pan_right", "zoom_in"]):
        role = f"panel:cove/{n}"
        transition = {"type": "wipe", "duration": 0.5} if n == 1 else None
        inputs[role] = panel_of(render, keyframe, move, transition)
        shots.append({"input": role, "id": f"cove/{n}", "type": "wide", "duration": 2.0, "auto": n == 2,
                      "action": "", "dialogue": [], "camera": {"move": move, "amount": None},
                      "transition": transition})
    exact = render("storyboard", inputs=inputs, title="T", fps=24, shots=shots)
    assert exact.meta["durations"] == [2.0, 2.0, 2.0]
    sheet = pixels(exact.outputs["image"])
    top = 32 + round(30 * 1.6) + 24  # margin, title
    thumbs = [sheet[top : top + 180, 32 + k * 344 : 32 + k * 344 + 320] for k in range(3)]
    marked = [int((np.abs(t.astype(int) - MARK).sum(axis=-1) < 10).sum()) for t in thumbs]
    assert marked[0] == 0 and marked[1] > 50 and marked[2] > 50
    assert (thumbs[0] == pixels(inputs["panel:cove/0"].outputs["thumb"])).all()  # pasted as the panel made it


def test_a_storyboard_panel_of_singles_names_the_cuts(render) -> None:
    from backends.procedural.panel import MARK

    shots, inputs = [], {}
    for n, shot_type in enumerate(["close_up", "medium"]):
        keyframe = render(shot_type=shot_type, speakers=["Luca", "Mira"])
        role = f"panel:cove/{n}"
        inputs[role] = panel_of(render, keyframe)
        shots.append({"input": role, "id": f"cove/{n}", "type": shot_type, "duration": 2.0, "auto": False,
                      "action": "", "dialogue": [], "camera": {"move": "static", "amount": None},
                      "transition": None})
        if n == 0:
            assert keyframe.meta["setups"] == ["Luca", "Mira"]
    sheet = pixels(render("storyboard", inputs=inputs, title="T", fps=24, shots=shots).outputs["image"])
    top = 32 + round(30 * 1.6) + 24
    corners = [sheet[top : top + 24, 32 + k * 344 : 32 + k * 344 + 120] for k in range(2)]
    marked = [int((np.abs(c.astype(int) - MARK).sum(axis=-1) < 10).sum()) for c in corners]
    assert marked[0] > 50 and marked[1] == 0  # "CUTS Luca > Mira" on the close-up; the two-shot has one setup


def test_a_panel_makes_the_pictures_asked_for_the_same_bytes_each_time(render) -> None:
    keyframe = render(shot_type="wide")
    both = [panel_of(render, keyframe, "pan_left", print={"width": 100}) for _ in range(2)]
    assert set(both[0].outputs) == {"thumb", "print"}
    for name in ("thumb", "print"):
        assert both[0].outputs[name].read_bytes() == both[1].outputs[name].read_bytes()
    with Image.open(both[0].outputs["print"]) as im:  # scaled to the printed width, the keyframe's aspect
        assert im.format == "JPEG" and im.size == (100, round(100 * H / W))
    with Image.open(both[0].outputs["thumb"]) as im:
        assert im.size == (320, 180)
    printed = panel_of(render, keyframe, sheet=False, print={"width": 10_000})  # never scaled up
    assert set(printed.outputs) == {"print"}
    with Image.open(printed.outputs["print"]) as im:
        assert im.size == (W, H)
    with pytest.raises(BackendError, match="makes the contact sheet's picture"):
        panel_of(render, keyframe, sheet=False)
    with pytest.raises(BackendError, match="no keyframe input"):
        render("panel", move="static", transition=None, sheet=True, print=None)
