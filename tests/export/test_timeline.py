"""timeline.otio: read back with OpenTimelineIO, every clip frame-exact against its real media."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from backends.ffmpeg.mp4 import read_video_track

SHOTS = ["cove/establishing", "cove/peek", "cove/dare", "jump/leap"]
LINES = [("Alberto", "Come on, Luca. The sea won't bite."), ("Luca", "Silenzio, Bruno!")]


@pytest.fixture(scope="module")
def timeline(built: Path) -> Any:
    import opentimelineio as otio

    return otio.adapters.read_from_file(str(built / "build" / "timeline.otio"))


def srt_starts(path: Path) -> list[float]:
    starts = []
    for h, m, s, ms in re.findall(r"(\d+):(\d+):(\d+),(\d+) -->", path.read_text(encoding="utf-8")):
        starts.append(int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000)
    return starts


def test_every_picture_clip_covers_its_media_frame_for_frame(built: Path, timeline: Any) -> None:
    import opentimelineio as otio

    build = built / "build"
    picture = timeline.video_tracks()[0]
    clips = list(picture.find_clips())
    assert [c.name for c in clips] == SHOTS
    for clip in clips:
        url = clip.media_reference.target_url
        assert "://" not in url and not Path(url).is_absolute(), url
        media = build / url
        assert media.is_file(), url
        frames = read_video_track(media).frames  # probed, not what studio believes
        available = clip.media_reference.available_range
        assert (available.start_time.value, available.duration.value) == (0, frames)
        assert available.duration.rate == 24
        # the clip with its transition handles shows every frame of the shot, once
        visible = clip.visible_range()
        assert (visible.start_time.value, visible.duration.value) == (0, frames), clip.name
    assert picture.duration().value == read_video_track(build / "final.mp4").frames
    transitions = [t for t in picture if isinstance(t, otio.schema.Transition)]
    assert [(t.name, t.in_offset.value + t.out_offset.value) for t in transitions] == [("dissolve", 12), ("fade", 12)]
    assert transitions[0].transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve


def test_dialogue_lines_are_clips_named_by_character_where_the_film_speaks_them(built: Path, timeline: Any) -> None:
    import soundfile

    build = built / "build"
    tracks = [t for t in timeline.audio_tracks() if t.name.startswith("Dialogue")]
    clips = [c for t in tracks for c in t.find_clips()]
    assert [(c.name, c.metadata["studio"]["line"]) for c in clips] == LINES
    starts = srt_starts(build / "subtitles.srt")
    for clip, start in zip(clips, starts, strict=True):
        media = build / clip.media_reference.target_url
        info = soundfile.info(str(media))
        assert clip.source_range.duration.value == info.frames and clip.source_range.duration.rate == info.samplerate
        assert clip.metadata["studio"]["shot"] == "cove/dare"
        placed = clip.range_in_parent().start_time.to_seconds()
        assert abs(placed - start) < 0.002, (clip.name, placed, start)


def test_music_is_placed_and_its_file_delivered_beside_the_timeline(built: Path, timeline: Any) -> None:
    music = [t for t in timeline.audio_tracks() if t.name == "Music"]
    assert len(music) == 1
    clip = next(iter(music[0].find_clips()))
    assert clip.name == "theme" and clip.metadata["studio"]["volume"] == 0.6 and clip.metadata["studio"]["duck"]
    media = built / "build" / clip.media_reference.target_url
    assert media.read_bytes() == (built / "audio" / "theme.wav").read_bytes()
    assert clip.range_in_parent().start_time.value == 0
    # not longer than the film
    film_seconds = timeline.video_tracks()[0].duration().to_seconds()
    assert clip.range_in_parent().end_time_exclusive().to_seconds() <= film_seconds + 1e-9


def test_markers_carry_shot_ids_actions_and_dialogue(timeline: Any) -> None:
    markers = [m for c in timeline.video_tracks()[0].find_clips() for m in c.markers]
    shots = {m.name: m for m in markers if m.metadata["studio"]["kind"] == "shot"}
    assert list(shots) == SHOTS
    assert shots["cove/peek"].comment == "Luca peeks over a rock at the water"
    assert shots["cove/peek"].metadata["studio"]["camera"] == {"move": "dolly_in", "amount": 0.15}
    lines = [(m.metadata["studio"]["character"], m.metadata["studio"]["line"]) for m in markers
             if m.metadata["studio"]["kind"] == "dialogue"]
    assert lines == LINES
