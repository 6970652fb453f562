"""The ffmpeg backend's film and subtitles tasks: stream-copy assembly, soundtrack, subtitles."""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
import pytest

from backends.base import Artifact, BackendError
from backends.ffmpeg._bin import run_ffmpeg
from backends.ffmpeg.mp4 import read_video_track
from backends.ffmpeg.probe import decode_audio, frame_hashes
from tests.backends.test_ffmpeg_support import (
    FPS,
    SR,
    band_level,
    ebur128,
    film_params,
    motion,
    run_task,
    shot_params,
    speech,
    tone,
    transition_params,
)


@dataclass
class Reel:
    """Three shots: a -(0.5 s dissolve)-> b -(cut)-> c -(0.5 s fade to black)."""

    root: Path
    inputs: dict[str, Artifact]
    timeline: list[dict[str, Any]]
    theme: Path
    speech: dict[str, Artifact]
    """Speech artifacts by their roles, as the soundtrack task receives them."""
    shots: dict[str, dict[str, Any]]
    """Shot role -> its settled ``frames`` and ``lines`` (speech role, start)."""

    def soundtrack(self, tmp: Path, timeline: list[dict[str, Any]] | None = None,
                   audio: list[dict[str, Any]] | None = None, loudness: float = -16, theme: Path | None = None
                   ) -> Artifact:
        entries = [{**e, **self.shots[e["shot"]]} for e in timeline or self.timeline]
        params = {"fps": FPS, "sample_rate": SR, "loudness": loudness, "timeline": entries, "audio": audio or []}
        return run_task(tmp, "soundtrack", "soundtrack", params, self.speech, {"audio:theme": theme or self.theme})

    def subtitles(self, tmp: Path, timeline: list[dict[str, Any]] | None = None) -> Artifact:
        """The subtitles task on the settled timeline (the lines' text, start and end), from the speech alone."""
        entries = [{**e, **self.shots[e["shot"]]} for e in timeline or self.timeline]
        return run_task(tmp, "subtitles", "subtitles", {"fps": FPS, "timeline": entries}, self.speech)

    def film(
        self, tmp: Path, *, audio: list[dict[str, Any]] | None = None, subtitles: str = "soft",
        timeline: list[dict[str, Any]] | None = None, inputs: dict[str, Artifact] | None = None,
        loudness: float = -16, **extra: Any,
    ) -> Artifact:  # fmt: skip
        timeline = timeline or self.timeline
        inputs = dict(inputs if inputs is not None else self.inputs)
        inputs["soundtrack"] = self.soundtrack(tmp, timeline, audio, loudness)
        if subtitles != "none":
            inputs["subtitles"] = self.subtitles(tmp, timeline)
        return run_task(tmp, "film", "film", film_params(timeline, subtitles) | extra, inputs)


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> Reel:
    root = tmp_path_factory.mktemp("reel")

    voices: dict[str, Artifact] = {}
    shots: dict[str, dict[str, Any]] = {}

    def shot(
        name: str, frames: int, keys: tuple[int, ...], seed: int, line: tuple[float, float, float] | None
    ) -> Artifact:
        inputs = {"motion": motion(root, f"motion-{name}", frames, keys, seed)}
        lines = []
        shots[f"shot:{name}"] = {"frames": frames, "lines": []}
        if line is not None:
            start, length, freq = line
            inputs["line1"] = voices[f"speech:{name}/1"] = speech(root, f"speech-{name}", length, freq)
            lines = [{"input": "line1", "start": start, "character": name.upper(), "text": f"Line of {name}."}]
            shots[f"shot:{name}"]["lines"] = [{"input": f"speech:{name}/1", "start": start, "end": start + length,
                                               "text": f"Line of {name}."}]
        return run_task(root, "shot", f"shot:{name}", shot_params(frames, lines), inputs)

    a = shot("a", 30, (0, 24), 1, (0.5, 1.0, 440.0))  # film 0.0-2.5 s, speech 0.5-1.5 s
    b = shot("b", 24, (0, 6), 2, (0.5, 1.0, 660.0))  # film 2.0-4.0 s, speech 2.5-3.5 s
    c = shot("c", 18, (0, 12), 3, None)  # film 4.0-5.5 s
    dissolve = run_task(root, "transition", "transition:a", transition_params("dissolve", 0.5), {"from": a, "to": b})
    fade = run_task(root, "transition", "transition:c", transition_params("fade", 0.5), {"from": c})
    timeline: list[dict[str, Any]] = [
        {"shot": "shot:a", "transition": "transition:a", "cut_in": 0.0, "cut_out": 0.5},
        {"shot": "shot:b", "transition": None, "cut_in": 0.5, "cut_out": 0.0},
        {"shot": "shot:c", "transition": "transition:c", "cut_in": 0.0, "cut_out": 0.5},
    ]
    inputs = {"shot:a": a, "shot:b": b, "shot:c": c, "transition:a": dissolve, "transition:c": fade}
    theme = tone(root / "theme.wav", 2.0, 220.0, rate=44100, amp=0.3, channels=2)
    return Reel(root, inputs, timeline, theme, voices, shots)


MUSIC = [
    {"file": "audio:theme", "start": 0.0, "volume": 1.0, "duck": True, "loop": True, "fade_in": 0.0, "fade_out": 0.0}
]


def test_film_is_the_sum_of_shots_minus_overlaps(reel: Reel, tmp_path: Path) -> None:
    film = reel.film(tmp_path)
    assert film.meta["frames"] == 30 + 24 + 18 - 6
    assert film.meta["duration"] == pytest.approx(5.5)
    assert read_video_track(film.outputs["film"]).frames == 66
    audio = decode_audio(film.outputs["film"], label="film", sample_rate=SR, channels=2)
    assert abs(len(audio) - round(5.5 * SR)) <= 1024


def test_shot_bodies_are_stream_copies(reel: Reel, tmp_path: Path) -> None:
    """The film's frames decode to exactly the shots' and transitions' frames: nothing re-encoded."""
    film = reel.film(tmp_path)

    def hashes(role: str, output: str = "clip") -> list[str]:
        return frame_hashes(reel.inputs[role].outputs[output])

    expected = hashes("shot:a")[:24] + hashes("transition:a", "video") + hashes("shot:b")[6:] + hashes("shot:c")[:12]
    expected += hashes("transition:c", "video")
    assert frame_hashes(film.outputs["film"]) == expected
    assert read_video_track(film.outputs["film"]).keyframes == (0, 24, 30, 48, 60)


def test_film_index_comes_first(reel: Reel, tmp_path: Path) -> None:
    """+faststart: a player can start before the whole file has arrived."""
    data = reel.film(tmp_path, audio=MUSIC).outputs["film"].read_bytes()
    boxes, at = [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, at)
        boxes.append(kind)
        at += size if size else len(data)
    assert boxes.index(b"moov") < boxes.index(b"mdat")


def test_cuts_only_film_is_a_cheap_copy(reel: Reel, tmp_path: Path) -> None:
    timeline: list[dict[str, Any]] = [
        {"shot": "shot:a", "transition": None, "cut_in": 0.0, "cut_out": 0.0},
        {"shot": "shot:b", "transition": None, "cut_in": 0.0, "cut_out": 0.0},
    ]
    started = time.perf_counter()
    film = reel.film(tmp_path, timeline=timeline, subtitles="none")
    assert time.perf_counter() - started < 5  # generous: a copy takes a fraction of a second
    a, b = (frame_hashes(reel.inputs[r].outputs["clip"]) for r in ("shot:a", "shot:b"))
    assert frame_hashes(film.outputs["film"]) == a + b


def test_shot_video_holds_the_clip_picture_alone(reel: Reel) -> None:
    """What the film cuts: the clip's frames, in a file with no other stream."""
    shot = reel.inputs["shot:b"]
    video, clip = read_video_track(shot.outputs["video"]), read_video_track(shot.outputs["clip"])
    assert (video.tracks, video.track_id, clip.tracks) == (1, 1, 2)
    assert frame_hashes(shot.outputs["video"]) == frame_hashes(shot.outputs["clip"])


@pytest.mark.parametrize("layout", ["with audio", "video second"])
def test_video_holding_other_streams_is_re_encoded_to_the_frame(reel: Reel, tmp_path: Path, layout: str) -> None:
    """The concat demuxer ends a cut at the first packet of any stream past its out point, and reads
    track 1: a file with audio beside the picture, or the picture as track 2, is re-encoded, so the
    body still ends exactly where it should (a copy may end it a frame early, or read the audio)."""
    clip = Path(reel.inputs["shot:a"].outputs["clip"])
    video = clip
    if layout == "video second":
        video = tmp_path / "swapped.mp4"
        args = ["-y", "-i", str(clip), "-map", "0:a", "-map", "0:v", "-c", "copy", "-f", "mp4", str(video)]
        run_ffmpeg(args, what="swapping tracks")
        assert read_video_track(video).track_id == 2
    inputs = dict(reel.inputs) | {
        "shot:a": Artifact({**reel.inputs["shot:a"].outputs, "video": video}, reel.inputs["shot:a"].meta)
    }
    film = reel.film(tmp_path, inputs=inputs, subtitles="none")
    hashes = frame_hashes(film.outputs["film"])
    assert len(hashes) == 66
    assert hashes[:24] != frame_hashes(clip)[:24], "a was re-encoded"
    assert hashes[24:] == frame_hashes(reel.film(tmp_path / "plain", subtitles="none").outputs["film"])[24:]


def test_body_not_starting_on_a_key_frame_is_re_encoded(reel: Reel, tmp_path: Path) -> None:
    """A video model that ignored ``keyframes_at`` costs an encode, never a wrong frame."""
    timeline: list[dict[str, Any]] = [
        {"shot": "shot:a", "transition": "transition:a", "cut_in": 0.0, "cut_out": 0.25},  # b's frame 3: no key frame
        {"shot": "shot:b", "transition": None, "cut_in": 0.25, "cut_out": 0.0},
    ]
    seg = run_task(
        tmp_path,
        "transition",
        "transition:a",
        transition_params("wipe", 0.25),
        {"from": reel.inputs["shot:a"], "to": reel.inputs["shot:b"]},
    )
    inputs = {"shot:a": reel.inputs["shot:a"], "shot:b": reel.inputs["shot:b"], "transition:a": seg}
    film = reel.film(tmp_path, timeline=timeline, inputs=inputs, subtitles="none")
    assert film.meta["frames"] == 30 + 24 - 3
    hashes = frame_hashes(film.outputs["film"])
    assert len(hashes) == 51
    assert hashes[:27] == frame_hashes(reel.inputs["shot:a"].outputs["clip"])[:27], "a still copied"


def test_clip_from_another_encoder_is_re_encoded(reel: Reel, tmp_path: Path) -> None:
    """Parameter sets that differ from the studio encoder's would break the stream copy."""
    foreign = tmp_path / "foreign.mp4"
    source = ffmpeg.input(str(reel.inputs["shot:b"].outputs["video"]))
    args = source.output(str(foreign), **{"c:v": "libx264", "preset": "ultrafast"}).get_args()
    run_ffmpeg(["-y", *args], what="foreign encode")
    assert read_video_track(foreign).config != read_video_track(reel.inputs["shot:b"].outputs["video"]).config
    inputs = dict(reel.inputs) | {
        "shot:b": Artifact({**reel.inputs["shot:b"].outputs, "video": foreign}, reel.inputs["shot:b"].meta)
    }
    film = reel.film(tmp_path, inputs=inputs, subtitles="none")
    hashes = frame_hashes(film.outputs["film"])
    assert len(hashes) == 66
    assert hashes[:30] == frame_hashes(reel.inputs["shot:a"].outputs["clip"])[:24] + frame_hashes(
        reel.inputs["transition:a"].outputs["video"]
    )
    assert hashes[30:48] != frame_hashes(foreign)[6:], "b was re-encoded"
    assert hashes[48:60] == frame_hashes(reel.inputs["shot:c"].outputs["clip"])[:12]


def test_segments_that_all_agree_join_without_probing_the_encoder(reel: Reel, tmp_path: Path) -> None:
    """Every clip and transition from one encoder: their parameter sets are the film's, and no frame
    is encoded to learn the studio encoder's (0.05 s of a one-shot edit in a new process)."""
    from backends.ffmpeg.film_video import studio_config

    before = studio_config.cache_info()
    film = reel.film(tmp_path, subtitles="none")
    after = studio_config.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)
    assert read_video_track(film.outputs["film"]).frames == 66


def test_a_film_of_one_foreign_clip_is_copied_as_it_is(reel: Reel, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.mp4"
    source = ffmpeg.input(str(reel.inputs["shot:b"].outputs["video"]))
    args = source.output(str(foreign), **{"c:v": "libx264", "preset": "ultrafast"}).get_args()
    run_ffmpeg(["-y", *args], what="foreign encode")
    timeline = [{"shot": "shot:b", "transition": None, "cut_in": 0.0, "cut_out": 0.0}]
    inputs = {"shot:b": Artifact({**reel.inputs["shot:b"].outputs, "video": foreign}, reel.inputs["shot:b"].meta)}
    film = reel.film(tmp_path, timeline=timeline, inputs=inputs, subtitles="none")
    assert frame_hashes(film.outputs["film"]) == frame_hashes(foreign)  # not re-encoded: nothing to agree with


def test_music_ducks_under_dialogue(reel: Reel, tmp_path: Path) -> None:
    film = reel.film(tmp_path, audio=MUSIC)
    audio = decode_audio(film.outputs["film"], label="film", sample_rate=SR, channels=2)[:, 0]

    def music(a: float, b: float) -> float:
        return band_level(audio[round(a * SR) : round(b * SR)], 220.0)

    assert band_level(audio[round(0.7 * SR) : round(1.3 * SR)], 440.0) > 0.05, "a's line is heard"
    assert band_level(audio[round(2.7 * SR) : round(3.3 * SR)], 660.0) > 0.05, "b's line is heard at 2.5 s"
    during = max(music(0.7, 1.3), music(2.7, 3.3))
    outside = min(music(1.9, 2.4), music(4.0, 5.0))
    assert during < outside / 2


def test_music_without_ducking_is_not_ducked(reel: Reel, tmp_path: Path) -> None:
    film = reel.film(tmp_path, audio=[MUSIC[0] | {"duck": False}], subtitles="none")
    audio = decode_audio(film.outputs["film"], label="film", sample_rate=SR, channels=2)[:, 0]
    during, outside = (
        band_level(audio[round(0.7 * SR) : round(1.3 * SR)], 220.0),
        band_level(audio[round(4 * SR) : round(5 * SR)], 220.0),
    )
    assert during == pytest.approx(outside, rel=0.1)


def test_a_track_anchored_at_a_shot_starts_from_that_shot(reel: Reel, tmp_path: Path) -> None:
    """``at: shot:b`` with ``start: 0.25``: shot b starts 2.0 s into the film, so the effect plays
    from 2.25 s (not from 0.25 s)."""
    effect = {"file": "audio:theme", "start": 0.25, "at": "shot:b", "volume": 1.0, "duck": False, "loop": False,
              "fade_in": 0.0, "fade_out": 0.0}
    film = reel.film(tmp_path, audio=[effect], subtitles="none", loudness=-30)
    audio = decode_audio(film.outputs["film"], label="film", sample_rate=SR, channels=2)[:, 0]

    def music(a: float, b: float) -> float:
        return band_level(audio[round(a * SR) : round(b * SR)], 220.0)

    assert music(0.3, 2.2) < 0.01 * music(2.35, 4.0), "nothing before the anchored start"
    assert music(4.3, 5.4) < 0.01 * music(2.35, 4.0), "the 2 s track ends 2 s after it starts"
    with pytest.raises(BackendError, match="'at' names 'shot:nope'"):
        reel.film(tmp_path / "bad", audio=[effect | {"at": "shot:nope"}], subtitles="none")


def test_track_placement_fades_and_volume(reel: Reel, tmp_path: Path) -> None:
    track = {
        "file": "audio:theme",
        "start": 1.0,
        "volume": "-6dB",
        "duck": False,
        "loop": False,
        "fade_in": 0.5,
        "fade_out": 0.5,
    }
    film = reel.film(tmp_path, audio=[track], subtitles="none", loudness=-30)
    audio = decode_audio(film.outputs["film"], label="film", sample_rate=SR, channels=2)[:, 0]

    def music(a: float, b: float) -> float:
        return band_level(audio[round(a * SR) : round(b * SR)], 220.0)

    assert music(0.0, 0.45) < 0.01 * music(1.7, 2.3), "nothing before the track starts"
    assert music(1.0, 1.25) < music(1.7, 2.3), "fading in"
    assert music(3.1, 4.0) < 0.01 * music(1.7, 2.3), "a 2 s track without loop ends at 3 s"


def test_a_looped_track_plays_to_the_film_end_and_fades_out_with_it(reel: Reel, tmp_path: Path) -> None:
    """The 2 s theme under the 5.5 s film: looped, it is heard to the end (no silence after 2 s),
    fading in over its first second and out over the film's last one."""
    track = {"file": "audio:theme", "start": 0.0, "volume": 1.0, "duck": False, "loop": True, "fade_in": 1.0,
             "fade_out": 1.0}
    soundtrack = reel.soundtrack(tmp_path, audio=[track], loudness=-30)
    audio = decode_audio(soundtrack.outputs["audio"], label="soundtrack", sample_rate=SR, channels=2)[:, 0]
    assert len(audio) == round(5.5 * SR)

    def music(a: float, b: float) -> float:
        return band_level(audio[round(a * SR) : round(b * SR)], 220.0)

    full = music(2.1, 2.4)
    assert music(3.7, 4.2) == pytest.approx(full, rel=0.1), "past its 2 s the loop plays on"
    assert music(0.0, 0.2) < 0.3 * full and music(0.0, 0.2) < music(0.4, 0.6) < music(0.8, 1.0), "fading in"
    tail = [music(4.5 + 0.2 * k, 4.7 + 0.2 * k) for k in range(5)]
    assert all(a > b for a, b in zip(tail, tail[1:])) and tail[-1] < 0.25 * full, "fading out to the end"
    plain = reel.soundtrack(tmp_path / "plain", audio=[track | {"loop": False, "fade_in": 0, "fade_out": 0}],
                            loudness=-30)
    unlooped = decode_audio(plain.outputs["audio"], label="soundtrack", sample_rate=SR, channels=2)[:, 0]
    assert np.abs(unlooped[round(4.0 * SR) :]).max() < 1e-3, "without loop the theme ends at 2 s"


@pytest.mark.parametrize(("target", "mode"), [(-16.0, "linear"), (-3.0, "limited")])
def test_loudness_is_normalised(reel: Reel, tmp_path: Path, target: float, mode: str) -> None:
    """ffmpeg's own EBU R128 meter reads the target off the decoded film; at -3 LUFS the one gain
    would put the peaks over -1 dBTP and the limiter holds them."""
    film = reel.film(tmp_path, audio=MUSIC, subtitles="none", loudness=target)
    audio = decode_audio(film.outputs["film"], label="film", sample_rate=SR, channels=2)
    loudness, peak = ebur128(audio, SR)
    assert loudness == pytest.approx(target, abs=0.3)
    assert film.meta["loudness"] == pytest.approx(target, abs=0.15)
    assert film.meta["input_loudness"] == pytest.approx(-9.1, abs=0.3)
    assert film.meta["normalisation"] == mode
    assert peak < -0.5  # -1 dBTP before AAC, whose own error adds a little


def test_silent_film_is_not_normalised(reel: Reel, tmp_path: Path) -> None:
    timeline: list[dict[str, Any]] = [{"shot": "shot:c", "transition": None, "cut_in": 0.0, "cut_out": 0.0}]
    film = reel.film(tmp_path, timeline=timeline, subtitles="none")
    assert film.meta | {"loudness": None} == {
        "frames": 18, "duration": 1.5, "input_loudness": None, "loudness": None, "normalisation": "none"
    }  # fmt: skip
    assert not decode_audio(film.outputs["film"], label="film", sample_rate=SR, channels=2).any()


def test_soft_subtitles_carry_the_film_times(reel: Reel, tmp_path: Path) -> None:
    film = reel.film(tmp_path, subtitles="soft")
    srt = run_ffmpeg(
        ["-i", str(film.outputs["film"]), "-map", "0:s:0", "-f", "srt", "pipe:1"], what="subs", stdout=True
    ).decode()
    assert "00:00:00,500 --> 00:00:01,500\nLine of a." in srt
    assert "00:00:02,500 --> 00:00:03,500\nLine of b." in srt


def test_no_subtitle_track_when_none(reel: Reel, tmp_path: Path) -> None:
    film = reel.film(tmp_path, subtitles="none")
    with pytest.raises(BackendError, match="matches no streams"):
        run_ffmpeg(["-i", str(film.outputs["film"]), "-map", "0:s:0", "-f", "srt", "pipe:1"], what="subs", stdout=True)


@pytest.mark.parametrize("target", [-16.0, -3.0])  # one gain; gain and limiter
def test_film_is_deterministic(reel: Reel, tmp_path: Path, target: float) -> None:
    first = reel.film(tmp_path / "one", audio=MUSIC, loudness=target)
    second = reel.film(tmp_path / "two", audio=MUSIC, loudness=target)
    assert first.outputs["film"].read_bytes() == second.outputs["film"].read_bytes()
    assert first.meta == second.meta


def test_damaged_music_is_a_backend_error(reel: Reel, tmp_path: Path) -> None:
    bad = tmp_path / "theme.wav"
    bad.write_bytes(b"RIFF$\x00\x00\x00WAVEfmt " + bytes(range(200)))
    with pytest.raises(BackendError, match=r"theme\.wav: cannot decode audio \(.+\)"):
        reel.soundtrack(tmp_path, audio=MUSIC, theme=bad)


def test_inconsistent_timeline_is_refused(reel: Reel, tmp_path: Path) -> None:
    timeline = [dict(e) for e in reel.timeline]
    timeline[1]["cut_in"] = 0.25
    with pytest.raises(BackendError, match="shot:b: cut_in"):
        reel.soundtrack(tmp_path, timeline)
    good = reel.soundtrack(tmp_path / "good")
    with pytest.raises(BackendError, match="shot:b: cut_in"):
        run_task(tmp_path, "film", "film", film_params(timeline, subtitles="none"), reel.inputs | {"soundtrack": good})


def test_a_soundtrack_of_another_length_is_refused(reel: Reel, tmp_path: Path) -> None:
    short = reel.soundtrack(tmp_path, [{"shot": "shot:c", "transition": None, "cut_in": 0.0, "cut_out": 0.0}])
    needs = r"the soundtrack has 72000 samples but the picture needs 264000 \(66 frames at 12 fps\)"
    with pytest.raises(BackendError, match=needs):
        run_task(tmp_path, "film", "film", film_params(reel.timeline, subtitles="none"),
                 reel.inputs | {"soundtrack": short})


def test_the_film_copies_the_soundtrack(reel: Reel, tmp_path: Path) -> None:
    """No second encode: the film's AAC packets are the soundtrack's."""
    film = reel.film(tmp_path, audio=MUSIC, subtitles="none")
    soundtrack = reel.soundtrack(tmp_path / "again", audio=MUSIC)

    def packets(path: Path) -> bytes:
        return run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-c", "copy", "-f", "adts", "pipe:1"], what="packets",
                          stdout=True)

    assert packets(film.outputs["film"]) == packets(soundtrack.outputs["audio"])
    assert {k: film.meta[k] for k in ("input_loudness", "loudness", "normalisation")} == {
        k: soundtrack.meta[k] for k in ("input_loudness", "loudness", "normalisation")}


def test_subtitles_task_shifts_lines_by_shot_start(reel: Reel, tmp_path: Path) -> None:
    subs = reel.subtitles(tmp_path)
    assert subs.meta == {"cues": 2}
    assert subs.outputs["srt"].read_text() == (
        "1\n00:00:00,500 --> 00:00:01,500\nLine of a.\n\n2\n00:00:02,500 --> 00:00:03,500\nLine of b.\n"
    )
