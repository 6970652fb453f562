"""Timeline arithmetic shared by film and subtitles, and the SRT writer (no media needed)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backends.base import BackendError
from backends.ffmpeg.subtitles import Cue, film_cues, format_srt
from backends.ffmpeg.timeline import place_shots

FPS = 24


@st.composite
def timelines(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Shots of 1-120 frames with transitions no longer than what the shots can give."""
    count = draw(st.integers(1, 8))
    lengths = {f"shot:{i}": draw(st.integers(1, 120)) for i in range(count)}
    timeline: list[dict[str, Any]] = []
    cut_in = 0
    for i, (role, frames) in enumerate(lengths.items()):
        room = frames - cut_in
        last = i == count - 1
        limit = room if last else min(room, lengths[f"shot:{i + 1}"])
        cut_out = draw(st.integers(0, max(0, limit)))
        timeline.append({
            "shot": role, "transition": f"transition:{i}" if cut_out else None,
            "cut_in": cut_in / FPS, "cut_out": cut_out / FPS,
        })  # fmt: skip
        cut_in = 0 if last else cut_out
    return timeline, lengths


@given(timelines())
def test_film_is_the_sum_of_shots_minus_overlaps(case: tuple[list[dict[str, Any]], dict[str, int]]) -> None:
    timeline, lengths = case
    placed, total = place_shots(timeline, lengths, FPS)
    overlaps = sum(round(e["cut_in"] * FPS) for e in timeline)
    assert total == sum(lengths.values()) - overlaps
    segments = sum(p.body[1] - p.body[0] + p.cut_out for p in placed)
    assert segments == total, "bodies and transitions tile the film"
    for before, after in itertools.pairwise(placed):
        assert after.start == before.start + before.frames - after.cut_in
        assert after.body_start == before.body_start + (before.body[1] - before.body[0]) + before.cut_out


def test_shot_start_is_inside_the_previous_transition() -> None:
    timeline: list[dict[str, Any]] = [
        {"shot": "a", "transition": "t", "cut_in": 0, "cut_out": 1.0},
        {"shot": "b", "transition": None, "cut_in": 1.0, "cut_out": 0},
        {"shot": "c", "transition": "f", "cut_in": 0, "cut_out": 0.5},
    ]
    placed, total = place_shots(timeline, {"a": 72, "b": 48, "c": 24}, FPS)
    assert [p.start for p in placed] == [0, 48, 96]
    assert [p.body for p in placed] == [(0, 48), (24, 48), (0, 12)]
    assert total == 120


@pytest.mark.parametrize(
    ("timeline", "message"),
    [
        ([], "no shots"),
        ([{"shot": "a", "transition": None, "cut_in": 0.5, "cut_out": 0}], "cannot start inside a transition"),
        ([{"shot": "a", "transition": None, "cut_in": 0, "cut_out": 0.5}], "without a transition"),
        ([{"shot": "a", "transition": "t", "cut_in": 0, "cut_out": 3.0}], "cover 72 frames but the shot has only 48"),
        ([{"shot": "x", "transition": None, "cut_in": 0, "cut_out": 0}], "no input shot 'x'"),
        (
            [
                {"shot": "a", "transition": "t", "cut_in": 0, "cut_out": 0.5},
                {"shot": "b", "transition": None, "cut_in": 0.25, "cut_out": 0},
            ],
            "b: cut_in \\(6 frames\\) differs",
        ),
    ],
)
def test_inconsistent_timelines_are_refused(timeline: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(BackendError, match=message):
        place_shots(timeline, {"a": 48, "b": 48}, FPS)


def test_cues_are_shifted_clipped_and_sorted() -> None:
    timeline: list[dict[str, Any]] = [
        {"shot": "a", "transition": "t", "cut_in": 0, "cut_out": 0.5, "frames": 48,
         "lines": [{"start": 1.8, "end": 2.6, "text": "Late line"}]},
        {"shot": "b", "transition": None, "cut_in": 0.5, "cut_out": 0, "frames": 24, "lines": [
            {"start": 0.1, "end": 0.9, "text": "Over the dissolve"},
            {"start": 0.5, "end": 0.5, "text": "empty span"},
            {"start": 0.6, "end": 0.8, "text": "   "},
        ]},
    ]  # fmt: skip
    cues = film_cues(timeline, FPS)
    assert cues == [Cue(1.6, 2.4, "Over the dissolve"), Cue(1.8, 2.0, "Late line")]


def test_cues_need_a_settled_timeline() -> None:
    with pytest.raises(BackendError, match="not settled"):
        film_cues([{"shot": "a", "transition": None, "cut_in": 0, "cut_out": 0, "lines": []}], FPS)


def test_srt_format() -> None:
    text = format_srt([Cue(0.0, 1.25, "One"), Cue(3661.5, 3662.0, "Two\n\nlines")])
    assert text == "1\n00:00:00,000 --> 00:00:01,250\nOne\n\n2\n01:01:01,500 --> 01:01:02,000\nTwo\nlines\n"
    assert format_srt([]) == ""
