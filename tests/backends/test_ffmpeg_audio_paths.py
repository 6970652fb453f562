"""The soundtrack's cheaper paths give what the ones they replaced gave (issue 12's speed work).

Ducking computes the compressor's gain alone and multiplies in numpy; every source is decoded in
one ffmpeg run; the limiter is applied only where its gain is not 1 and the loudness of a
limited mix is measured from the difference it made; AAC is coded up to the sources' band. Each
is compared here with the way it used to be done, with the real ffmpeg.
"""

from __future__ import annotations

from pathlib import Path

import ffmpeg
import numpy as np
import pytest
import soundfile as sf

from backends.base import Artifact, BackendError
from backends.ffmpeg import film_audio, loudness
from backends.ffmpeg._bin import decode_audio, decode_audios, run_ffmpeg
from backends.ffmpeg.aac import aac_args, bandwidth, source_rate
from backends.ffmpeg.film_audio import CHANNELS, DUCKING
from tests.backends.test_ffmpeg_loudness import film_like
from tests.backends.test_ffmpeg_support import SR, run_task, tone


def ducked_by_the_whole_graph(music: np.ndarray, key: np.ndarray, scratch: Path) -> np.ndarray:
    """The ducking as it was: music and key interleaved through sidechaincompress, float32 out."""
    source = scratch / "old.f32"
    both = np.empty((len(music), CHANNELS + 1), "<f4")
    both[:, :CHANNELS], both[:, CHANNELS] = music, key
    both.tofile(source)
    split = ffmpeg.input(str(source), f="f32le", ar=SR, ac=CHANNELS + 1).audio.asplit()
    out = ffmpeg.filter([split[0].filter("channelmap", map="0|1", channel_layout="stereo"),
                         split[1].filter("channelmap", map="2|2", channel_layout="stereo")],
                        "sidechaincompress", **DUCKING)
    args = ["-filter_complex_threads", "1", *out.output("pipe:1", f="f32le", **{"c:a": "pcm_f32le"}).get_args()]
    return np.frombuffer(run_ffmpeg(args, what="old ducking", stdout=True), "<f4").reshape(-1, CHANNELS)


def test_ducking_by_the_gain_alone_equals_the_compressor(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 4 * SR
    t = np.arange(n) / SR
    music = (0.3 * np.sin(2 * np.pi * 220 * t)[:, None] * np.array([1.0, 0.6])
             + 0.01 * rng.standard_normal((n, 2))).astype(np.float32)
    key = np.zeros(n, np.float32)
    key[SR // 2 : SR + SR // 2] = 0.4 * np.sin(2 * np.pi * 440 * t[: SR])  # a line, then silence, then another
    key[int(2.5 * SR) : 3 * SR] = 0.2 * rng.standard_normal(SR // 2)
    new = film_audio._duck(music, key, SR, tmp_path)
    old = ducked_by_the_whole_graph(music, key, tmp_path)
    assert new.dtype == np.float32 and new.shape == music.shape
    np.testing.assert_array_equal(new, old)
    assert np.array_equal(new[: SR // 2], music[: SR // 2])  # nothing happens before the key's first sound
    assert np.abs(new[SR : SR + SR // 4]).max() < 0.5 * np.abs(music[SR : SR + SR // 4]).max()  # it ducks


def test_decoding_together_gives_each_files_own_samples(tmp_path: Path) -> None:
    files = [
        (tone(tmp_path / "a.wav", 0.7, 300, rate=22050), "a", 1),
        (tone(tmp_path / "b.wav", 1.3, 500, rate=44100, channels=2), "b", 2),
        (tone(tmp_path / "c.wav", 0.4, 700, rate=16000), "c", 2),
        (tone(tmp_path / "d.wav", 0.2, 900, rate=48000, channels=2), "d", 1),
    ]
    together = decode_audios(files, sample_rate=SR, scratch=tmp_path)
    for (path, label, channels), samples in zip(files, together, strict=True):
        alone = decode_audio(path, label=label, sample_rate=SR, channels=channels)
        assert samples.dtype == np.float32 and samples.shape == alone.shape
        np.testing.assert_array_equal(samples, alone)
    assert not list(tmp_path.glob("decoded*"))


def test_a_damaged_file_among_several_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + b"\x00" * 30)
    files = [(tone(tmp_path / "a.wav", 0.3, 300), "line one", 1), (broken, "line two", 1)]
    with pytest.raises(BackendError, match="^line two: cannot decode audio"):
        decode_audios(files, sample_rate=SR, scratch=tmp_path)


def old_limit(x: np.ndarray, ceiling: float) -> tuple[np.ndarray, np.ndarray]:
    """The limiter as it was applied: the whole signal times the whole gain, on every pass."""
    applied = np.ones(x.shape[1])
    for _ in range(4):
        gain = loudness.limiter_gain(x.T, ceiling * loudness._MARGIN, SR)
        if gain is None:
            break
        x = (x * gain).astype(np.float32)
        applied *= gain
        if loudness.true_peak(x.T) <= ceiling:
            break
    return x, applied


@pytest.mark.parametrize("boost", [3.0, 12.0])
def test_limiting_only_the_stretches_equals_limiting_everything(boost: float) -> None:
    planar = np.ascontiguousarray(film_like(8.0).T) * np.float32(10 ** (boost / 20))
    ceiling = 10 ** (loudness.CEILING / 20)
    new, applied = loudness._limit(planar.copy(), ceiling, SR)
    old, old_applied = old_limit(planar.copy(), ceiling)
    np.testing.assert_array_equal(new, old)
    np.testing.assert_array_equal(applied, old_applied)
    assert (applied < 1).any() and (applied == 1).any()


@pytest.mark.parametrize("target", [-12.0, -6.0])
def test_the_loudness_of_a_limited_mix_is_measured_exactly(target: float) -> None:
    result = loudness.normalise(film_like(10.0), SR, target)
    assert result.mode == "limited"
    measured = loudness.integrated_loudness(result.samples, SR)
    assert result.loudness == pytest.approx(measured, abs=1e-4)


def test_silent_stretches_are_weighted_as_zeros() -> None:
    x = np.zeros((2, 5 * SR), np.float32)
    x[:, 2 * SR : 2 * SR + 1000] = film_like(1.0)[:1000].T  # one short sound in a long silence
    weighted = loudness._k_weighted(x, SR)
    taps, size, _ = loudness._k_spectrum(SR)
    hop = size - taps
    assert not weighted[:, : 2 * SR // hop * hop].any()  # the segments before the sound's own
    assert not weighted[:, (2 * SR + 1000) // hop * hop + size :].any()  # and those after its reach
    assert np.abs(weighted[:, 2 * SR : 2 * SR + 1000 + taps]).max() > 0.01
    full = loudness._k_weighted(x + np.float32(1e-30), SR)  # nothing left out
    np.testing.assert_allclose(weighted, full, atol=1e-6)


def test_the_band_is_the_highest_nyquist_among_the_sources(tmp_path: Path) -> None:
    speech = tone(tmp_path / "speech.wav", 0.2, 300, rate=22050)
    music = tone(tmp_path / "music.wav", 0.2, 300, rate=16000)
    studio = tone(tmp_path / "studio.wav", 0.2, 300, rate=96000)
    unknown = tmp_path / "unknown.m4a"
    unknown.write_bytes(b"not audio at all")
    assert source_rate(speech) == 22050 and source_rate(unknown) is None
    assert bandwidth([speech, music], SR) == 11025
    assert bandwidth([music], SR) == 8000
    assert bandwidth([speech, studio], SR) == SR // 2  # resampled to 48 kHz: up to 24 kHz
    assert bandwidth([speech, unknown], SR) == SR // 2  # unknown: full band
    assert bandwidth([], SR) == 0
    assert aac_args(192_000, 2, SR, 11025)["cutoff"] == "11025"
    assert "cutoff" not in aac_args(192_000, 2, SR, SR // 2)  # the encoder's own, as before
    assert "cutoff" not in aac_args(192_000, 2, SR, 0)  # silence


def aac_error_by_band(tmp_path: Path, mix: np.ndarray, band: int) -> np.ndarray:
    """Energy of (decoded AAC - mix) in octave bands from 62.5 Hz to 8 kHz, and 8 to 11 kHz."""
    raw, out = tmp_path / "mix.f32", tmp_path / f"mix-{band}.m4a"
    mix.astype("<f4").tofile(raw)
    args = ffmpeg.output(ffmpeg.input(str(raw), f="f32le", ar=SR, ac=2).audio, str(out),
                         **aac_args(192_000, 2, SR, band), f="mp4").get_args()
    run_ffmpeg(["-y", *args], what="encoding")
    decoded = decode_audio(out, label="aac", sample_rate=SR, channels=2)
    error = np.fft.rfft((decoded[: len(mix)] - mix)[:, 0].astype(np.float64))
    freqs = np.fft.rfftfreq(len(mix), 1 / SR)
    edges = [62.5 * 2**k for k in range(8)] + [11000]
    return np.array([np.sum(np.abs(error[(freqs >= lo) & (freqs < hi)]) ** 2) for lo, hi in zip(edges, edges[1:])])


def test_coding_up_to_the_band_loses_nothing_inside_it(tmp_path: Path) -> None:
    """A mix of 16 and 22.05 kHz sources: coded up to 11,025 Hz it is no further from the mix in any
    band (the bits go where the sound is) than coded to the encoder's own 18 kHz."""
    music = tone(tmp_path / "music.wav", 3.0, 220, rate=16000, amp=0.3)
    voice = tone(tmp_path / "voice.wav", 3.0, 700, rate=22050, amp=0.2)
    rng = np.random.default_rng(5)
    decoded = decode_audios([(music, "music", 2), (voice, "voice", 2)], sample_rate=SR, scratch=tmp_path)
    noise = decode_audio(tone(tmp_path / "hiss.wav", 3.0, 5000, rate=22050, amp=0.05), label="hiss",
                         sample_rate=SR, channels=2)
    mix = decoded[0] + decoded[1] + noise * (rng.random((len(noise), 1)) > 0.5).astype(np.float32)
    band = bandwidth([music, voice], SR)
    assert band == 11025
    limited, default = aac_error_by_band(tmp_path, mix, band), aac_error_by_band(tmp_path, mix, SR // 2)
    assert (limited <= default * 1.25).all(), (limited / default).round(2)


def test_a_soundtrack_is_the_same_bytes_twice(tmp_path: Path) -> None:
    """Dialogue, a ducked looped track, the limiter and a band-limited AAC: deterministic."""
    line = Artifact({"audio": tone(tmp_path / "line.wav", 1.0, 440, rate=22050, amp=0.6)})
    music = tmp_path / "music.wav"
    sf.write(str(music), film_like(0.7)[::3], 16000)  # peaky: the limiter works
    entry = {"shot": "shot:a", "transition": None, "cut_in": 0.0, "cut_out": 0.0, "frames": 72,
             "lines": [{"input": "speech:a/1", "start": 0.5}]}
    track = {"file": "audio:m", "start": 0.0, "volume": 1.0, "duck": True, "loop": True, "fade_in": 0.2,
             "fade_out": 0.5}
    params = {"fps": 24, "sample_rate": SR, "loudness": -9.0, "timeline": [entry], "audio": [track]}
    made = [run_task(tmp_path / str(i), "soundtrack", "soundtrack", params, {"speech:a/1": line},
                     {"audio:m": music}) for i in range(2)]
    assert made[0].meta == made[1].meta and made[0].meta["normalisation"] == "limited"
    assert made[0].outputs["audio"].read_bytes() == made[1].outputs["audio"].read_bytes()
