"""README's main command on the reference project: a real, watchable film with the right shape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from backends.ffmpeg._bin import decode_audio
from backends.ffmpeg.mp4 import read_video_track
from tests.conftest import LUCA, copy_example
from tests.runtime.helpers import build_json


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("luca") / "luca"
    copy_example(LUCA, project)
    code, summary, err = build_json(project)
    assert code == 0, err
    return project


def report(project: Path) -> dict:
    return json.loads((project / "build" / "report.json").read_text())


def meta(project: Path, tid: str) -> dict:
    return next(t for t in report(project)["tasks"] if t["id"] == tid)["meta"]


def test_film_format_and_length(built: Path) -> None:
    film = built / "build" / "final.mp4"
    track = read_video_track(film)
    assert (track.width, track.height, track.codec) == (1280, 720, "avc1")
    shots = {s: meta(built, f"shot:{s}")["duration"] for s in ("cove/establishing", "cove/peek", "cove/dare",
                                                               "jump/leap")}
    assert shots["cove/establishing"] == 3 and shots["cove/peek"] == 2.5 and shots["jump/leap"] == 2
    expected = sum(shots.values()) - 0.5  # the dissolve overlaps peek and dare; the final fade does not
    frames = meta(built, "film")["frames"]
    assert track.frames == frames
    assert abs(frames - expected * 24) <= 1
    audio = decode_audio(film, label="final.mp4", sample_rate=48000)
    assert abs(len(audio) / 48000 - frames / 24) < 0.05


def test_subtitles_have_both_lines_at_the_right_times(built: Path) -> None:
    srt = (built / "build" / "subtitles.srt").read_text(encoding="utf-8")
    cues = re.findall(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)\n(.+)", srt)
    assert [c[8] for c in cues] == ["Come on, Luca. The sea won't bite.", "Silenzio, Bruno!"]
    dare_start = 3 + 2.5 - 0.5
    lines = meta(built, "shot:cove/dare")["lines"]
    for cue, line in zip(cues, lines):
        start = int(cue[0]) * 3600 + int(cue[1]) * 60 + int(cue[2]) + int(cue[3]) / 1000
        assert abs(start - (dare_start + line["start"])) < 0.05


def test_speech_is_audible_where_the_lines_are(built: Path) -> None:
    film = decode_audio(built / "build" / "final.mp4", label="film", sample_rate=48000).reshape(-1)
    lines = meta(built, "shot:cove/dare")["lines"]
    dare_start = 3 + 2.5 - 0.5
    for n, line in enumerate(lines, 1):
        speech, rate = soundfile.read(built / "build" / "audio" / f"cove-dare-{n}.wav")
        speech = np.interp(np.arange(0, len(speech) / rate, 1 / 48000), np.arange(len(speech)) / rate, speech)
        at = int((dare_start + line["start"]) * 48000)
        best = 0.0
        for lag in range(-2400, 2401, 48):  # within 50 ms of where the plan put it
            window = film[at + lag: at + lag + len(speech)]
            if len(window) < len(speech):
                continue
            corr = float(np.dot(window, speech) / (np.linalg.norm(window) * np.linalg.norm(speech) + 1e-9))
            best = max(best, corr)
        assert best > 0.5, (n, best)


def test_music_is_quieter_under_dialogue(built: Path) -> None:
    """Ducking: the music in the mix is lower while someone speaks than before it."""
    film = decode_audio(built / "build" / "final.mp4", label="film", sample_rate=48000).reshape(-1)
    dare_start = 3 + 2.5 - 0.5
    lines = meta(built, "shot:cove/dare")["lines"]
    speech, rate = soundfile.read(built / "build" / "audio" / "cove-dare-1.wav")
    speech = np.interp(np.arange(0, len(speech) / rate, 1 / 48000), np.arange(len(speech)) / rate, speech)
    at = int((dare_start + lines[0]["start"]) * 48000)
    window = film[at: at + len(speech)]
    gain = float(np.dot(window, speech) / np.dot(speech, speech))
    residual = window - gain * speech  # what is left under the line: the (ducked) music
    before = film[int(1.0 * 48000): int(2.5 * 48000)]  # music alone, in the establishing shot
    rms = lambda x: float(np.sqrt(np.mean(np.square(x))))  # noqa: E731
    assert rms(residual) < 0.7 * rms(before)


# --- the animatic tells the story --------------------------------------------------------------------


def decoded(video: Path) -> Iterator[np.ndarray]:
    """Every frame of ``video``, one at a time (a 720p film does not fit in memory whole)."""
    import subprocess

    import imageio_ffmpeg

    track = read_video_track(video)
    w, h = track.width, track.height
    proc = subprocess.Popen([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(video), "-f", "rawvideo",
                             "-pix_fmt", "rgb24", "-"], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        while len(raw := proc.stdout.read(w * h * 3)) == w * h * 3:
            yield np.frombuffer(raw, np.uint8).reshape(h, w, 3)
    finally:
        proc.stdout.close()
        proc.wait()


def test_the_film_never_freezes_for_more_than_12_frames(built: Path) -> None:
    longest = run = 1
    previous = None
    for frame in decoded(built / "build" / "final.mp4"):
        run = run + 1 if previous is not None and np.array_equal(frame, previous) else 1
        longest = max(longest, run)
        previous = frame
    assert longest <= 12


def test_both_speakers_are_on_screen_in_the_dare(built: Path) -> None:
    setups = meta(built, "motion:cove/dare")["setups"]
    lines = meta(built, "shot:cove/dare")["lines"]
    assert [s["speaker"] for s in setups] == ["Alberto", "Luca"]
    assert setups[1]["start"] == round(lines[1]["start"] * 24)  # the cut comes with Luca's line
    colours = {"Alberto": (0xE9, 0xC4, 0x6A), "Luca": (0x3A, 0x8F, 0x45)}  # his colour; his green shirt
    frames = list(decoded(built / "build" / "shots" / "cove-dare.mp4"))
    for s in setups:
        frame = frames[(s["start"] + s["end"]) // 2].astype(int)
        seen = {n for n, c in colours.items() if (np.abs(frame - c).sum(axis=-1) < 60).mean() > 0.05}
        assert seen == {s["speaker"]}, s


def test_the_mouth_moves_while_each_line_plays_and_rests_between_lines(built: Path) -> None:
    setups = meta(built, "motion:cove/dare")["setups"]
    lines = meta(built, "shot:cove/dare")["lines"]
    frames = list(decoded(built / "build" / "shots" / "cove-dare.mp4"))

    def dark(i: int) -> int:
        s = next(s for s in setups if s["start"] <= i < s["end"])
        x0, y0, x1, y1 = s["mouths"][s["speaker"]]
        return int((frames[i][y0:y1, x0:x1].astype(int).sum(axis=-1) < 200).sum())

    for line in lines:
        during = [dark(i) for i in range(round(line["start"] * 24) + 1, round(line["end"] * 24) - 1)]
        assert max(during) - min(during) > 200, line  # it opens and shuts
    rests = [range(0, round(lines[0]["start"] * 24)),
             range(round(lines[0]["end"] * 24) + 2, round(lines[1]["start"] * 24)),
             range(round(lines[1]["end"] * 24) + 2, len(frames))]
    for span in rests:
        still = [dark(i) for i in span]
        assert still and max(still) - min(still) < 40, span  # shut: only breathing and the encoder's noise


def test_they_leap_off_a_cliff_and_out_of_the_picture(built: Path) -> None:
    key = meta(built, "keyframe:jump/leap")
    assert key["verbs"] == {"Luca": ["leap"], "Alberto": ["leap"]}
    x0, edge, top = key["ledge"]  # they stand on a rock...
    assert all(m[0] * (1 if edge > x0 else -1) < edge * (1 if edge > x0 else -1) for m in key["moves"])
    assert all(m[3] > 1.0 for m in key["moves"])  # ...and end below the frame
    frames = list(decoded(built / "build" / "shots" / "jump-leap.mp4"))
    green = []
    for f in (frames[0], frames[-1]):
        r, g, b = (f[..., k].astype(np.int16) for k in range(3))
        green.append(int(((g > r + 25) & (g > b + 10)).sum()))
    assert green[0] > 2000 and green[1] == 0  # Luca's green shirt (in the sketch look) is there, then gone
