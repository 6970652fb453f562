"""The transformers backend: speech with tiny random-weight VITS and SpeechT5 models."""

from __future__ import annotations

import dataclasses
import wave
from pathlib import Path
from typing import Any

import pytest

from backends.base import BackendError
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import model, speech

pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)


def _task(workdir: Path, text: str, **extra: Any) -> Any:
    """A speech task on one torch thread: the tiny models run many tiny operations, which a second
    thread only slows down (by far, when the machine is busy)."""
    return dataclasses.replace(speech(workdir, text, **extra), threads=1)


@pytest.fixture(scope="module")
def vits(tiny: dict[str, Path]) -> Any:
    import backends.transformers as backend

    handle = backend.load(model("tiny-vits", "speech", tiny["vits"]))
    yield handle
    backend.unload(handle)


def test_vits_is_deterministic_with_exact_duration(vits: Any, tmp_path: Path) -> None:
    import backends.transformers as backend

    a = backend.run(_task(tmp_path, "Good morning, the sea!"), vits)
    b = backend.run(_task(tmp_path, "Good morning, the sea!"), vits)
    assert a.outputs["audio"].read_bytes() == b.outputs["audio"].read_bytes()
    with wave.open(str(a.outputs["audio"])) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        assert a.meta["samples"] == w.getnframes() and a.meta["duration"] == w.getnframes() / 16000
    assert a.meta["sample_rate"] == 16000


def test_rate_sets_the_pace_and_pitch_keeps_it(vits: Any, tmp_path: Path) -> None:
    import backends.transformers as backend

    text = "the boy and the sea at dawn"
    normal = backend.run(_task(tmp_path, text), vits).meta["duration"]
    fast = backend.run(_task(tmp_path, text, rate=350), vits).meta["duration"]
    high = backend.run(_task(tmp_path, text, pitch=90), vits).meta["duration"]
    assert fast < 0.7 * normal
    assert abs(high - normal) < 0.25 * normal


def test_vits_pitch_keeps_the_pace_and_the_voice_is_stable(vits: Any, tmp_path: Path) -> None:
    import backends.transformers as backend

    text = "the boy and the sea at dawn"
    paced = backend.run(_task(tmp_path, text, rate=230), vits).meta["samples"]
    for pitch in (0, 100):
        a = backend.run(_task(tmp_path, text, pitch=pitch, rate=230), vits)
        b = backend.run(_task(tmp_path, text, pitch=pitch, rate=230), vits)
        assert a.outputs["audio"].read_bytes() == b.outputs["audio"].read_bytes()
        # VITS renders at rate / pitch ratio and rounds each token up to whole frames: about 10% here
        assert abs(a.meta["samples"] / paced - 1) < 0.12


# SpeechT5: no speed control of its own, so ffmpeg stretches and resamples what it says.

@pytest.fixture(scope="module")
def speecht5(tiny: dict[str, Path]) -> Any:
    import backends.transformers as backend

    vocoder = {"weights": "models/vocoder", "path": str(tiny["speecht5"] / "vocoder"), "revision": None}
    handle = backend.load(model("t5", "speech", tiny["speecht5"], adapters={"vocoder": vocoder}))
    yield handle
    backend.unload(handle)


def _samples(result: Any) -> Any:
    import numpy as np

    with wave.open(str(result.outputs["audio"])) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def _peak(samples: Any, lo: float = 0.0, hi: float = 8000.0, rate: int = 16000) -> float:
    """The strongest frequency in lo..hi Hz (Hann window, zero-padded FFT, parabolic interpolation)."""
    import numpy as np

    size = 1 << max(18, int(samples.size - 1).bit_length())
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size), size))
    freqs = np.fft.rfftfreq(size, 1 / rate)
    k = int(np.argmax(np.where((freqs > lo) & (freqs < hi), spectrum, 0)))
    a, b, c = np.log(spectrum[k - 1:k + 2])
    return float((k + 0.5 * (a - c) / (a - 2 * b + c)) * rate / size)


def test_speecht5_rate_stretches_without_moving_the_pitch(speecht5: Any, tmp_path: Path) -> None:
    import numpy as np

    import backends.transformers as backend

    text = "at sea"
    base = _samples(backend.run(_task(tmp_path, text), speecht5))
    tone = _peak(base, 600, 1400)  # the tiny vocoder buzzes at its 250 Hz frame rate; this is a harmonic
    for rate in (350, 100):
        fast_or_slow = _samples(backend.run(_task(tmp_path, text, rate=rate), speecht5))
        assert abs(fast_or_slow.size / base.size - 175 / rate) < 0.01 * 175 / rate
        assert abs(_peak(fast_or_slow, 0.7 * tone, 1.4 * tone) / tone - 1) < 0.01
        assert 0.8 < np.sqrt(np.mean(fast_or_slow**2) / np.mean(base**2)) < 1.25  # stretched sound, not padding


def test_speecht5_pitch_moves_the_pitch_not_the_duration(speecht5: Any, tmp_path: Path) -> None:
    import numpy as np

    import backends.transformers as backend

    text = "at sea"
    base = _samples(backend.run(_task(tmp_path, text), speecht5))
    tone = _peak(base, 600, 1400)
    for pitch, semitones in ((100, 4), (75, 2), (0, -4)):
        shifted = _samples(backend.run(_task(tmp_path, text, pitch=pitch), speecht5))
        assert shifted.size == base.size
        assert abs(_peak(shifted, 0.7 * tone, 1.4 * tone) / tone / 2 ** (semitones / 12) - 1) < 0.01
        tail = base.size // 5  # the end is sound moved in time, not padding
        assert np.sqrt(np.mean(shifted[-tail:] ** 2) / np.mean(base[-tail:] ** 2)) > 0.7


def test_speecht5_with_rate_and_pitch_is_deterministic(speecht5: Any, tmp_path: Path) -> None:
    import backends.transformers as backend

    a = backend.run(_task(tmp_path, "sea", rate=260, pitch=70, speaker="anna"), speecht5)
    b = backend.run(_task(tmp_path, "sea", rate=260, pitch=70, speaker="anna"), speecht5)
    assert a.outputs["audio"].read_bytes() == b.outputs["audio"].read_bytes()
    assert a.meta["duration"] == a.meta["samples"] / 16000 and a.meta["samples"] > 2000


# The pitch and tempo helper on pure sines.

def _sine(freq: float, count: int = 16000) -> Any:
    import numpy as np

    return (0.5 * np.sin(2 * np.pi * freq * np.arange(count) / 16000)).astype(np.float32)


def test_retime_pitch_moves_a_sine_and_keeps_its_length() -> None:
    import numpy as np

    from backends.transformers._retime import retime

    shifted = retime(_sine(440.0), 16000, pitch=2 ** (4 / 12))
    assert shifted.size == 16000 and shifted.dtype.name == "float32"
    assert abs(_peak(shifted) / 554.365 - 1) < 0.002
    assert abs(np.sqrt(np.mean(shifted[-4000:].astype(np.float64) ** 2)) / np.sqrt(0.125) - 1) < 0.03


@pytest.mark.parametrize("tempo", [0.45, 1.5, 2.6])
def test_retime_tempo_shortens_a_sine_and_keeps_its_frequency(tempo: float) -> None:
    import numpy as np

    from backends.transformers._retime import retime

    stretched = retime(_sine(440.0), 16000, tempo=tempo)
    assert stretched.size == round(16000 / tempo)
    assert abs(_peak(stretched) / 440 - 1) < 0.002
    assert abs(np.sqrt(np.mean(stretched.astype(np.float64) ** 2)) / np.sqrt(0.125) - 1) < 0.03


def test_retime_resamples_cleanly_as_vits_pitch_does() -> None:
    """pitch = tempo (VITS: rendered slower, then resampled) is one swr resampling: a 3 kHz sine comes out a
    clean 3.78 kHz sine (over 90 dB signal to error; the linear interpolation this replaced gave 24 dB)."""
    import numpy as np

    from backends.transformers._retime import retime

    ratio = 2 ** (4 / 12)
    out = retime(_sine(3000.0), 16000, pitch=ratio, tempo=ratio).astype(np.float64)
    assert out.size == round(16000 / ratio)
    freq = 3000.0 * round(16000 * ratio) / 16000  # the input is read at a whole sample rate
    t = np.arange(out.size) / 16000
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)[400:-400]
    fit = basis @ np.linalg.lstsq(basis, out[400:-400], rcond=None)[0]
    assert 10 * np.log10(np.sum(fit**2) / np.sum((out[400:-400] - fit) ** 2)) > 90


def test_retime_is_byte_stable_and_neutral_is_the_identity() -> None:
    import numpy as np

    from backends.transformers._retime import retime

    sine = _sine(440.0)
    assert retime(sine, 16000, 1.1, 1.3).tobytes() == retime(sine, 16000, 1.1, 1.3).tobytes()
    assert np.array_equal(retime(sine, 16000), sine)


def test_speecht5_with_seeded_and_indexed_speakers(tiny: dict[str, Path], tmp_path: Path) -> None:
    import numpy as np

    import backends.transformers as backend

    table = tmp_path / "speakers.npy"
    np.save(table, np.random.default_rng(0).standard_normal((2, 16)).astype(np.float32))
    vocoder = {"weights": "models/vocoder", "path": str(tiny["speecht5"] / "vocoder"), "revision": None}
    seeded = backend.load(model("t5", "speech", tiny["speecht5"], adapters={"vocoder": vocoder}))
    indexed = backend.load(model("t5", "speech", tiny["speecht5"], adapters={
        "vocoder": vocoder, "speaker_embeddings": {"weights": "speakers.npy", "path": str(table), "revision": None}}))
    try:
        result = backend.run(_task(tmp_path, "hello the sea", speaker="anna"), seeded)
        assert result.meta["model"] == "speecht5" and result.meta["samples"] > 0
        assert backend.run(_task(tmp_path, "hello", speaker="1"), indexed).meta["samples"] > 0
        with pytest.raises(BackendError, match="out of range: the embeddings file holds 2 speakers"):
            backend.run(_task(tmp_path, "hello", speaker="7"), indexed)
    finally:
        backend.unload(seeded)
        backend.unload(indexed)


def test_missing_and_wrong_models_are_clean_errors(tiny: dict[str, Path], tmp_path: Path) -> None:
    import backends.transformers as backend

    with pytest.raises(BackendError, match="not found or unreadable: 'models/nothing'"):
        backend.load(model("x", "speech", tmp_path / "nothing"))
    with pytest.raises(BackendError, match="speaks with VITS/MMS-TTS and SpeechT5"):
        backend.load(model("x", "speech", tiny["sd"] / "text_encoder"))
