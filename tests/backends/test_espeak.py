"""The espeak backend: real eSpeak NG synthesis from the espeakng-loader wheel, no mocks."""

from __future__ import annotations

import hashlib
import itertools
import subprocess
import sys
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends import espeak
from backends.base import BackendError, Result, TaskRun

REPO = Path(__file__).resolve().parents[2]
LINE = "Hello there, how are you today?"
LONG = " ".join(["Luca ran down to the harbour, where the boats were waiting in the early light."] * 25)  # 350 words


@pytest.fixture(scope="module")
def handle() -> espeak.Handle:
    handle = espeak.load({"backend": "espeak", "kind": "speech", "params": {}})
    yield handle
    espeak.unload(handle)


@pytest.fixture
def speak(handle: espeak.Handle, tmp_path: Path):
    counter = itertools.count()

    def speak(text: str = LINE, progress: Any = None, **params: Any) -> Result:
        defaults: dict[str, Any] = {
            "text": text,
            "language": "en",
            "variant": None,
            "pitch": 50,
            "rate": 175,
            "volume": 100,
            "range": 50,
            "speaker": None,
            "emotion": None,
            "emotions": {},
        }
        workdir = tmp_path / f"task{next(counter)}"
        workdir.mkdir()
        task = TaskRun(
            id="speech:cove/1",
            kind="speech",
            params={**defaults, **params},
            inputs={},
            files={},
            workdir=workdir,
            progress=progress,
        )
        return espeak.run(task, handle)

    return speak


def read(result: Result) -> tuple[np.ndarray, int]:
    with wave.open(str(result.outputs["audio"])) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        frames = wav.readframes(wav.getnframes())
        return np.frombuffer(frames, "<i2").astype(np.float64), wav.getframerate()


def digest(result: Result) -> str:
    return hashlib.sha256(result.outputs["audio"].read_bytes()).hexdigest()


def fundamental(samples: np.ndarray, rate: int) -> float:
    """Median F0 over voiced 40 ms frames, by autocorrelation."""
    size = int(0.04 * rate)
    loudness = np.sqrt(np.mean(samples**2))
    found = []
    for start in range(0, samples.size - size, size):
        frame = samples[start : start + size] - samples[start : start + size].mean()
        if np.sqrt(np.mean(frame**2)) < 0.1 * loudness:
            continue
        corr = np.correlate(frame, frame, "full")[size - 1 :]
        low, high = rate // 500, rate // 60
        lag = low + int(np.argmax(corr[low:high]))
        if corr[lag] > 0.3 * corr[0]:
            found.append(rate / lag)
    return float(np.median(found))


def test_module_surface() -> None:
    assert espeak.NAME == "espeak"
    assert espeak.VERSION == "1"
    assert sorted(espeak.KINDS) == ["speech"]


def test_short_line_is_audible_speech_of_plausible_length(speak) -> None:
    result = speak()
    samples, rate = read(result)
    assert rate == 22050 == result.meta["sample_rate"]
    assert 0.5 < result.meta["duration"] < 5
    assert np.sqrt(np.mean(samples**2)) > 1000  # clearly not silence
    assert result.outputs["audio"].name == "audio.wav"


def test_meta_matches_the_file_exactly(speak) -> None:
    result = speak()
    samples, rate = read(result)
    assert result.meta == {
        "duration": samples.size / rate,
        "sample_rate": rate,
        "samples": samples.size,
    }
    # a bare RIFF/WAVE header and the samples: no chunk that could vary
    assert result.outputs["audio"].stat().st_size == 44 + 2 * samples.size


def test_same_bytes_every_time_even_after_other_lines(speak) -> None:
    first = digest(speak())
    speak("Something else entirely, in another voice.", variant="klatt", pitch=80)
    speak("Ciao, come stai?", language="it", variant="whisper")
    assert digest(speak()) == first
    assert digest(speak(variant="whisper")) == digest(speak(variant="whisper"))


def test_same_bytes_in_a_fresh_process(speak, tmp_path: Path) -> None:
    script = (
        "import sys, tempfile, hashlib, pathlib\n"
        "from backends import espeak\n"
        "from backends.base import TaskRun\n"
        "params = dict(text=sys.argv[1], language='en', variant=None, pitch=50, rate=175,\n"
        "              volume=100, range=50, speaker=None, emotion=None, emotions={})\n"
        "task = TaskRun(id='s', kind='speech', params=params, inputs={}, files={},\n"
        "               workdir=pathlib.Path(tempfile.mkdtemp()))\n"
        "result = espeak.run(task, espeak.load({}))\n"
        "print(hashlib.sha256(result.outputs['audio'].read_bytes()).hexdigest())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, LINE],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == digest(speak())


def test_higher_rate_is_shorter(speak) -> None:
    slow, fast = speak(rate=120), speak(rate=300)
    assert fast.meta["duration"] < 0.6 * slow.meta["duration"]


def test_higher_pitch_raises_the_fundamental(speak) -> None:
    low, high = speak(pitch=20), speak(pitch=80)
    assert fundamental(*read(high)) > 1.2 * fundamental(*read(low))


def test_volume_and_range_change_the_output(speak) -> None:
    neutral = digest(speak())
    assert digest(speak(volume=150)) != neutral
    assert digest(speak(range=90)) != neutral
    loud, quiet = read(speak(volume=180))[0], read(speak(volume=40))[0]
    assert np.abs(loud).max() > np.abs(quiet).max()


def test_emotion_changes_the_output(speak) -> None:
    neutral = speak()
    excited, sad = speak(emotion="excited"), speak(emotion="sad")
    assert excited.meta["duration"] < neutral.meta["duration"] < sad.meta["duration"]
    assert digest(speak(emotion="Excited")) == digest(excited)  # names ignore case


def test_unknown_emotion_is_neutral(speak) -> None:
    assert digest(speak(emotion="grumpy-ish")) == digest(speak())


def test_voice_emotions_override_the_built_in_table(speak) -> None:
    neutral = digest(speak())
    assert digest(speak(emotion="sad", emotions={"sad": {}})) == neutral
    own = speak(emotion="sad", emotions={"sad": {"rate": 100}})
    assert own.meta["duration"] < speak().meta["duration"]
    assert digest(speak(emotion="gleeful", emotions={"gleeful": {"pitch": 30}})) != neutral


def test_emotion_deltas_are_clamped(speak) -> None:
    assert digest(speak(rate=440, emotion="excited")) == digest(
        speak(rate=450, pitch=65, range=80, volume=125)  # rate 440 + 45 is clamped to 450
    )
    hushed = {"hushed": {"pitch": -80, "volume": -300}}
    assert digest(speak(emotion="hushed", emotions=hushed)) == digest(speak(pitch=0, volume=0))


def test_variant_and_speaker(speak) -> None:
    plain, female = digest(speak()), digest(speak(variant="f1"))
    assert female != plain
    assert digest(speak(variant="F1")) == female
    assert digest(speak(speaker="f1")) == female  # a speaker that names a variant
    assert digest(speak(speaker="p225")) == plain  # any other speaker is ignored
    assert digest(speak(variant="f1", speaker="m3")) == female  # variant wins


@pytest.mark.parametrize(
    "text",
    [
        "Café, naïve, façade, Ångström — déjà vu!",
        "“Curly quotes,” she said, ‘and apostrophes’ aren’t a problem…",
        "I love pizza 🍕 so much 😀!",
        "你好，世界",
        "Привет! Luca said <hello> & [waved] {twice}",
    ],
)
def test_unicode_text(speak, text: str) -> None:
    samples, _ = read(speak(text))
    assert samples.size > 0.3 * 22050 and np.abs(samples).max() > 1000


def test_other_languages(speak) -> None:
    for language in ("it", "fr", "EN_us", "de", "zh"):
        assert speak("Luca, bonjour, ciao!", language=language).meta["duration"] > 0.5


def test_long_line_collects_all_audio(speak) -> None:
    steps: list[tuple[int, int]] = []
    result = speak(LONG, progress=lambda done, total: steps.append((done, total)))
    # 350 words at 175 words per minute: about two minutes, whatever the clause splitting
    assert 90 < result.meta["duration"] < 160
    assert steps[-1] == (len(LONG), len(LONG))
    assert [done for done, _ in steps] == sorted(done for done, _ in steps)
    assert len(steps) > 10


def test_silence_is_trimmed(speak) -> None:
    samples, rate = read(speak("Wait... "))
    audible = np.flatnonzero(np.abs(samples) > 0.01 * np.abs(samples).max())
    assert audible[0] <= espeak.LEAD_SECONDS * rate
    assert samples.size - 1 - audible[-1] <= espeak.TAIL_SECONDS * rate


def test_volume_zero_is_silence_not_an_error(speak) -> None:
    samples, _ = read(speak(volume=0))
    assert samples.size > 0.5 * 22050 and not samples.any()


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x01", "\ud800"])
def test_empty_line_is_refused(speak, text: str) -> None:
    with pytest.raises(BackendError, match="empty"):
        speak(text)


def test_nothing_speakable_is_refused(speak) -> None:
    with pytest.raises(BackendError, match="nothing to speak"):
        speak("...")


@pytest.mark.parametrize(
    ("language", "suggested"),
    [("en-au", "'en'"), ("italian", "'it' (Italian)"), ("fr_ca", "'fr'"), ("xx", "did you mean")],
)
def test_unknown_language_names_close_ones(speak, language: str, suggested: str) -> None:
    with pytest.raises(BackendError, match=f"no language '{language}'") as raised:
        speak(language=language)
    assert suggested in str(raised.value)


def test_unknown_variant_is_refused(speak) -> None:
    with pytest.raises(BackendError, match="no voice variant 'klat'.*'klatt'"):
        speak(variant="klat")


def test_every_bad_parameter_is_reported_at_once(speak) -> None:
    with pytest.raises(BackendError) as raised:
        speak(pitch=150, rate=10, volume=True, range="wide", emotion=3)
    message = str(raised.value)
    for name in ("pitch", "rate", "volume", "range", "emotion"):
        assert name in message


def test_cancel_event_stops_synthesis(speak) -> None:
    def cancel_midway(done: int, total: int) -> None:
        if done > total // 4:
            espeak.cancel_event.set()

    try:
        with pytest.raises(BackendError, match="cancelled"):
            speak(LONG, progress=cancel_midway)
        with pytest.raises(BackendError, match="cancelled"):
            speak()
    finally:
        espeak.cancel_event.clear()
    assert speak().meta["duration"] > 0.5


def test_keyboard_interrupt_stops_and_propagates(speak) -> None:
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    expected = digest(speak())
    with pytest.raises(KeyboardInterrupt):
        speak(LONG, progress=interrupt)
    assert digest(speak()) == expected  # the library was left in a clean state


def test_threads_share_the_library_safely(speak) -> None:
    expected = {i: digest(speak(f"Line number {i}.")) for i in range(3)}
    found: dict[int, str] = {}

    def work(i: int) -> None:
        found[i] = digest(speak(f"Line number {i % 3}."))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == {i: expected[i % 3] for i in range(9)}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
def test_any_text_gives_audio_or_a_clear_error(speak, text: str) -> None:
    try:
        result = speak(text)
    except BackendError as error:
        assert "empty" in str(error) or "nothing to speak" in str(error)
    else:
        assert result.meta["samples"] > 0


def test_library_copies_of_killed_processes_are_removed(tmp_path: Path) -> None:
    """Each process loads eSpeak from a private copy that it removes at exit; a killed process cannot, so
    the next process that loads one removes those of processes that are gone (and no one else's)."""
    import os
    import shutil
    import tempfile

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    tmp = Path(tempfile.gettempdir())
    dead = tmp / f"studio-espeak-{ended.pid}-test"
    alive = tmp / f"studio-espeak-{os.getpid()}-test"
    for directory in (dead, alive):
        directory.mkdir(exist_ok=True)
        (directory / "studio-libespeak-ng.so").write_bytes(b"copy")
    try:
        subprocess.run([sys.executable, "-c", "from backends.espeak import _lib; _lib._private_copy()"], cwd=REPO,
                       check=True, timeout=60)
        assert not dead.exists()
        assert alive.exists()
    finally:
        for directory in (dead, alive):
            shutil.rmtree(directory, ignore_errors=True)
