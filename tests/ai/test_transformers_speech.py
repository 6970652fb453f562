"""The transformers backend: speech with tiny random-weight VITS and SpeechT5 models."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest

from backends.base import BackendError
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import model, speech

pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)


@pytest.fixture(scope="module")
def vits(tiny: dict[str, Path]) -> Any:
    import backends.transformers as backend

    handle = backend.load(model("tiny-vits", "speech", tiny["vits"]))
    yield handle
    backend.unload(handle)


def test_vits_is_deterministic_with_exact_duration(vits: Any, tmp_path: Path) -> None:
    import backends.transformers as backend

    a = backend.run(speech(tmp_path, "Good morning, the sea!"), vits)
    b = backend.run(speech(tmp_path, "Good morning, the sea!"), vits)
    assert a.outputs["audio"].read_bytes() == b.outputs["audio"].read_bytes()
    with wave.open(str(a.outputs["audio"])) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        assert a.meta["samples"] == w.getnframes() and a.meta["duration"] == w.getnframes() / 16000
    assert a.meta["sample_rate"] == 16000


def test_rate_sets_the_pace_and_pitch_keeps_it(vits: Any, tmp_path: Path) -> None:
    import backends.transformers as backend

    text = "the boy and the sea at dawn"
    normal = backend.run(speech(tmp_path, text), vits).meta["duration"]
    fast = backend.run(speech(tmp_path, text, rate=350), vits).meta["duration"]
    high = backend.run(speech(tmp_path, text, pitch=90), vits).meta["duration"]
    assert fast < 0.7 * normal
    assert abs(high - normal) < 0.25 * normal


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
        result = backend.run(speech(tmp_path, "hello the sea", speaker="anna"), seeded)
        assert result.meta["model"] == "speecht5" and result.meta["samples"] > 0
        assert backend.run(speech(tmp_path, "hello", speaker="1"), indexed).meta["samples"] > 0
        with pytest.raises(BackendError, match="out of range: the embeddings file holds 2 speakers"):
            backend.run(speech(tmp_path, "hello", speaker="7"), indexed)
    finally:
        backend.unload(seeded)
        backend.unload(indexed)


def test_missing_and_wrong_models_are_clean_errors(tiny: dict[str, Path], tmp_path: Path) -> None:
    import backends.transformers as backend

    with pytest.raises(BackendError, match="not found or unreadable: 'models/nothing'"):
        backend.load(model("x", "speech", tmp_path / "nothing"))
    with pytest.raises(BackendError, match="speaks with VITS/MMS-TTS and SpeechT5"):
        backend.load(model("x", "speech", tiny["sd"] / "text_encoder"))
