"""The staging: reading action text, the pose set, the skeleton, who stands where, and the timeline.

All pure data, no pixels: this is what motion animates and what pose or depth pictures can be made from.
"""

from __future__ import annotations

import math
import typing

import pytest

from backends.procedural._spec import Element
from backends.procedural.staging.figure import figure_for
from backends.procedural.staging.layout import Staging, stage
from backends.procedural.staging.lexicon import VERBS, Direction, read_action
from backends.procedural.staging.poses import ACTS, REST, compose
from backends.procedural.staging.skeleton import body
from backends.procedural.staging.timeline import Line, blink_times, frame_states, move_window
from backends.procedural.staging.trig import cos_deg, sin_deg
from compiler import spec


def fig(name: str, description: str = "a child", colour: tuple[float, float, float] = (0.5, 0.5, 0.5)):  # type: ignore[no-untyped-def]
    return figure_for(Element(name, description, (colour,), "color"))


LUCA, ALBERTO, MARA = fig("Luca"), fig("Alberto"), fig("Mara")


# --- the vocabulary -----------------------------------------------------------------------------


def test_the_vocabulary_is_the_formats_pose_list_and_every_verb_has_a_pose() -> None:
    assert tuple(VERBS) == spec.POSES == typing.get_args(spec.Pose)
    assert set(ACTS) == set(VERBS)
    assert len(VERBS) >= 20
    for verb, (channel, forms) in VERBS.items():
        assert channel in ("posture", "motion", "gesture", "head", "face") and verb in forms


def test_no_word_names_two_verbs() -> None:
    seen: dict[str, str] = {}
    for verb, (_, forms) in VERBS.items():
        for form in forms:
            assert seen.setdefault(form, verb) == verb, form


def read(text: str) -> dict[str, tuple[tuple[str, ...], str | None]]:
    found = read_action(text, ["Luca", "Alberto", "Mara"], ["Lamp"])
    return {k: (d.verbs, d.target) for k, d in found.items()}


def test_the_issues_example_poses_both_characters() -> None:
    assert read("Alberto points at the sea while Luca hesitates") == {
        "Alberto": (("point",), None), "Luca": (("hesitate",), None)}
    assert read("Alberto grins and points at the sea while Luca hesitates")["Alberto"] == (("smile", "point"), None)


@pytest.mark.parametrize(("text", "expected"), [
    ("Luca and Alberto leap off the cliff together", {"Luca": (("leap",), None), "Alberto": (("leap",), None)}),
    ("Luca peeks over a rock at the water", {"Luca": (("peek",), None)}),
    ("Cove glitters, Luca watches the waves", {"Luca": (("look",), None)}),  # waves: a noun here
    ("Small waves rolling in", {}),
    ("Alberto hugs Luca and Luca cries", {"Alberto": (("hug",), "Luca"), "Luca": (("cry",), None)}),
    ("Luca and Mara look at each other", {"Luca": (("look",), "Mara"), "Mara": (("look",), "Luca")}),
    ("Mara holds the finished Lamp up to the light", {"Mara": (("hold",), "Lamp")}),
    ("Luca, smiling, waves", {"Luca": (("smile", "wave"), None)}),
    ("Luca is sitting on a bench; Mara knocks on the door", {"Luca": (("sit",), None), "Mara": (("knock",), None)}),
    ("Luca points at the sea and Mara waves", {"Luca": (("point",), None), "Mara": (("wave",), None)}),
])  # fmt: skip
def test_reading_action_text(text: str, expected: dict) -> None:
    assert read(text) == expected


def test_directions_of_movement() -> None:
    d = read_action("Mara walks in from the left", ["Mara"])["Mara"]
    assert (d.motion, d.side, d.from_side) == ("enter", "left", True)
    d = read_action("Luca runs off to the right", ["Luca"])["Luca"]
    assert (d.motion, d.side) == ("exit", "right")
    assert read_action("Luca leaps off the cliff", ["Luca"])["Luca"].down
    assert read_action("Luca looks up at the stars", ["Luca"])["Luca"].gaze < 0


def test_channels_compose_and_the_first_verb_of_a_channel_wins() -> None:
    d = Direction().with_verb("sit").with_verb("wave").with_verb("smile").with_verb("kneel")
    assert (d.posture, d.gesture, d.face, d.verbs) == ("sit", "wave", "smile", ("sit", "wave", "smile", "kneel"))
    pose = compose(d)
    assert pose.seat and pose.mouth == "grin" and pose.la1 > 120  # seated, waving, smiling


def test_trig_is_accurate_and_exact_at_the_quarters() -> None:
    for a in range(-720, 721, 7):
        assert abs(sin_deg(a) - math.sin(math.radians(a))) < 1e-9
        assert abs(cos_deg(a) - math.cos(math.radians(a))) < 1e-9


def test_the_skeleton_stands_on_its_feet_and_mirrors() -> None:
    b = body(LUCA, REST, 100.0, 500.0, 300.0, 1)
    assert abs(b.joints["head"][0] - 100.0) < 1e-6 and b.joints["head"][1] < b.joints["pelvis"][1] < 500.0
    assert b.joints["lead_foot"][1] == pytest.approx(500.0, abs=0.02 * b.u)
    left = body(LUCA, REST, 100.0, 500.0, 300.0, -1)
    for name, (x, y) in b.joints.items():
        assert left.joints[name] == pytest.approx((200.0 - x, y))
    lying = body(LUCA, compose(Direction(posture="lie")), 100.0, 500.0, 300.0, 1)
    assert abs(lying.joints["head"][1] - lying.joints["lead_foot"][1]) < 0.15 * b.u  # horizontal


# --- who stands where -----------------------------------------------------------------------------


def staged(shot: str, figures: list, speakers: tuple[str, ...] = (), **kw):  # type: ignore[no-untyped-def]
    return stage(shot, figures, [], aspect=16 / 9, ground=0.86, speakers=speakers, **kw)


def test_two_speakers_cut_between_singles_in_close_ups_and_share_a_two_shot_otherwise() -> None:
    close = staged("close_up", [ALBERTO, LUCA], ("Alberto", "Luca", "Alberto"))
    assert close.cutting == "singles" and [s.speaker for s in close.setups] == ["Alberto", "Luca"]
    assert [a.name for a in close.setups[0].actors] == ["Alberto"]
    # screen direction: the one on the left in the two-shot faces right in their single
    assert close.setups[0].actors[0].facing > 0 > close.setups[1].actors[0].facing
    ots = staged("over_the_shoulder", [ALBERTO, LUCA], ("Alberto", "Luca"))
    assert ots.cutting == "singles"
    front, behind = ots.setups[1].actors
    assert (front.name, behind.name, behind.back) == ("Luca", "Alberto", True)
    for shot in ("medium", "wide", "establishing"):
        two = staged(shot, [ALBERTO, LUCA], ("Alberto", "Luca"))
        assert two.cutting == "two_shot" and len(two.setups) == 1
        assert {a.name for a in two.setups[0].actors} == {"Alberto", "Luca"}


def test_blocking_overrides_the_action_text() -> None:
    directions = {"Luca": Direction().with_verb("run")}
    s = staged("wide", [LUCA, MARA], directions=directions,
               blocking=[{"who": "Luca", "at": "far_right", "pose": "sit", "facing": "left"},
                         {"who": "Mara", "enter": "left", "to": 0.3}])
    luca, mara = sorted(s.setups[0].actors, key=lambda a: a.name)
    assert (luca.x, luca.direction.verbs, luca.move, luca.facing) == (0.88, ("sit",), None, -0.8)
    assert mara.move is not None and mara.move.kind == "enter" and mara.move.x0 < 0 and mara.move.x1 == 0.3


def test_entrances_and_exits_cross_the_frame_edge() -> None:
    s = staged("wide", [LUCA, MARA], directions={"Luca": Direction(motion="enter"), "Mara": Direction(motion="exit")})
    moves = {a.name: a.move for a in s.setups[0].actors}
    assert moves["Luca"].x0 < 0 < moves["Luca"].x1 < 1  # from beyond the left edge to his place
    assert 0 < moves["Mara"].x0 < 1 < moves["Mara"].x1
    luca = next(a for a in s.setups[0].actors if a.name == "Luca")
    t0, t1 = move_window(luca, 3.0, 16 / 9)
    assert t0 == 0.0 and t1 <= 0.8 * 3.0
    _, start = frame_states(s, 0.0, 0, duration=3.0, fps=24)
    _, end = frame_states(s, 2.99, 71, duration=3.0, fps=24)
    x = {a.actor.name: (a.x, b.x) for a, b in zip(start, end)}
    assert x["Luca"][0] < 0 < x["Luca"][1] and 0 < x["Mara"][0] < 1 < x["Mara"][1]


def test_entering_on_one_side_and_exiting_on_the_other_crosses_the_frame() -> None:
    s = staged("wide", [LUCA], blocking=[{"who": "Luca", "enter": "right", "exit": "left"}])
    luca = s.setups[0].actors[0]
    assert luca.move is not None and luca.move.x0 > 1 and luca.move.x1 < 0 and luca.facing < 0
    xs = [frame_states(s, t / 10, 0, duration=3.0, fps=24)[1][0].x for t in range(31)]
    assert xs[0] > 1 and xs[-1] < 0 and any(0.2 < x < 0.8 for x in xs)
    assert xs == sorted(xs, reverse=True)  # right to left, never back


def test_characters_making_one_move_together_go_the_same_way() -> None:
    both = {n: Direction(motion="leap") for n in ("Luca", "Alberto")}
    s = staged("wide", [LUCA, ALBERTO], directions=both)
    assert {a.move.x1 > a.move.x0 for a in s.setups[0].actors} == {True}


def test_leaping_off_something_starts_on_a_ledge_and_every_arc_clears_its_edge() -> None:
    off = read_action("Luca and Alberto leap off the cliff together", ["Luca", "Alberto"])
    s = staged("wide", [LUCA, ALBERTO], directions=off)
    assert s.ledge is not None
    x0, edge, top = s.ledge
    assert x0 < 0 < edge < 1 and top < 0.86 - 0.1  # from the left side, well above the ground line
    actors = s.setups[0].actors
    assert all(a.ground == top and (a.x - x0) * (edge - a.x) > 0 for a in actors)  # both stand on it
    for a in actors:  # in the air past the edge, then below the frame
        t0, t1 = move_window(a, 2.0, 16 / 9)
        path = [next(st for st in frame_states(s, t0 + (t1 - t0) * k / 40, 0, duration=2.0, fps=24)[1]
                     if st.actor.name == a.name) for k in range(41)]
        under = [st for st in path if st.ground > top + 0.005]
        assert under and all(st.x > edge for st in under), a.name
        assert path[-1].ground > 1.0
    back = Staging.from_json(s.to_json())
    assert back.ledge == tuple(round(v, 6) for v in s.ledge) and Staging.from_json(back.to_json()) == back
    joy = read_action("Luca and Alberto leap for joy", ["Luca", "Alberto"])
    plain = staged("wide", [LUCA, ALBERTO], directions=joy)
    assert plain.ledge is None and {a.ground for a in plain.setups[0].actors} == {0.86}
    assert staged("medium", [LUCA], directions={"Luca": off["Luca"]}).ledge is None
    watched = staged("establishing", [MARA, LUCA, ALBERTO],
                     directions={**off, "Mara": Direction().with_verb("look")})
    mara = next(a for a in watched.setups[0].actors if a.name == "Mara")
    assert watched.ledge is not None and mara.ground == watched.ledge[2]  # over the rock: on it


def test_the_staging_survives_json() -> None:
    s = staged("over_the_shoulder", [ALBERTO, LUCA], ("Alberto", "Luca"),
               directions={"Luca": Direction().with_verb("point")})
    back = Staging.from_json(s.to_json())
    assert back.to_json() == s.to_json()
    assert Staging.from_json(back.to_json()) == back  # rounded once (to 1e-6), then exactly kept


# --- the timeline -----------------------------------------------------------------------------------


def test_idle_life_breathes_a_few_pixels_and_blinks_at_seeded_times() -> None:
    s = staged("close_up", [LUCA])
    states = [frame_states(s, i / 24, i, duration=10.0, fps=24, seed=3, px=1 / 720)[1][0] for i in range(240)]
    breaths = [st.breathe for st in states]
    assert 0 < max(breaths) <= 2.2 / 720 and len(set(breaths)) > 100  # moves all the time, by at most ~2 pixels
    blinks = [i for i, st in enumerate(states) if st.blink == 2]
    assert blinks and len(blinks) < 40
    assert blink_times("Luca", 3, 11.0) == blink_times("Luca", 3, 11.0) != blink_times("Luca", 4, 11.0)
    gaps = [b - a for a, b in zip(blink_times("Luca", 3, 60.0), blink_times("Luca", 3, 60.0)[1:])]
    assert min(gaps) >= 2.2 and max(gaps) <= 5.0


def test_the_speaker_leans_in_and_the_mouth_follows_the_levels() -> None:
    s = staged("medium", [LUCA, MARA], ("Luca",))
    line = Line("Luca", 1.0, 2.0, (1, 3, 2, 0, 2), first=24)
    def state(i: int):  # type: ignore[no-untyped-def]
        return next(st for st in frame_states(s, i / 24, i, duration=3.0, fps=24, lines=[line])[1]
                    if st.actor.name == "Luca")
    assert state(12).speak == 0 and state(12).mouth == 0
    assert state(30).speak == 1 and state(30).lean > 0
    assert [state(i).mouth for i in range(24, 30)] == [1, 3, 2, 0, 2, 0]
    assert state(70).mouth == 0


def test_a_singles_shot_shows_the_current_or_last_speaker() -> None:
    s = staged("close_up", [ALBERTO, LUCA], ("Alberto", "Luca"))
    lines = [Line("Alberto", 0.25, 1.5), Line("Luca", 1.8, 2.6)]
    setups = [frame_states(s, t, 0, duration=3.0, fps=24, lines=lines)[0] for t in (0.0, 1.0, 1.6, 1.9, 2.9)]
    assert setups == [0, 0, 0, 1, 1]


def test_a_still_has_no_idle_life() -> None:
    s = staged("medium", [LUCA], ("Luca",))
    a = frame_states(s, 0.5, 12, duration=3.0, fps=24, still=True)[1][0]
    b = frame_states(s, 2.5, 60, duration=3.0, fps=24, still=True)[1][0]
    assert a.breathe == a.sway == a.blink == 0 and (a.x, a.pose) == (b.x, b.pose)


# --- the vocabulary is versioned ----------------------------------------------------------------------

PINNED = ("4", "0e75be22a417236da6b0c9942602c38bbc5065ee443c534960348567abc1bcdb")
"""(backends.procedural.VERSION, digest of the vocabulary) as they were last changed together."""


def vocabulary_digest() -> str:
    import dataclasses
    import hashlib
    import json

    from backends.procedural._props import SHAPE_WORDS
    from backends.procedural._scene import FEATURE_WORDS, TIME_WORDS
    from backends.procedural.staging import colours

    tables = {
        "verbs": VERBS, "acts": {k: dataclasses.asdict(v) for k, v in ACTS.items()}, "features": FEATURE_WORDS,
        "times": TIME_WORDS, "colours": colours.COLOURS, "parts": colours.FIGURE_PARTS,
        "surfaces": colours.SURFACES, "shapes": SHAPE_WORDS,
    }
    return hashlib.sha256(json.dumps(tables, sort_keys=True, default=list).encode()).hexdigest()


def test_the_vocabulary_changes_only_with_the_backend_version() -> None:
    """Lexicons and poses decide pictures, so they are part of the backend version (and of every key):
    after changing one, bump ``backends.procedural.VERSION`` and pin the pair here."""
    from backends import procedural

    assert (procedural.VERSION, vocabulary_digest()) == PINNED, (
        "the vocabulary or the version changed: if the vocabulary did, bump VERSION; "
        f"then set PINNED = ({procedural.VERSION!r}, {vocabulary_digest()!r})")
