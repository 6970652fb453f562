"""The ``transformers`` backend: neural speech with VITS/MMS and SpeechT5, and local language models.

Task kinds: ``speech`` (parameters in backends/README.md), and ``enhance`` for a model of kind llm
(a causal LM, run by ``backends.llm``: see backends/llm/README.md). The speech model is a repo id or a local
directory holding a ``VitsModel`` (MMS-TTS checkpoints are VITS) or a
``SpeechT5ForTextToSpeech`` with its processor; the architecture comes from its config.

Voice settings: ``rate`` (words per minute, 175 is the model's own pace) sets the duration to
the model's own times 175 / rate; ``pitch`` (50 is neutral, 0..100 spans -4..+4 semitones) moves
the pitch without moving the duration. One path per architecture, both through
:func:`._retime.retime` (ffmpeg's ``swr`` resampler for pitch, its ``atempo`` WSOLA stretcher for
tempo; see that module): VITS renders at ``speaking_rate`` = pace / pitch ratio (its own duration
model, the best quality) and the resampling by the pitch ratio brings the length back to the pace
(within a few %: VITS rounds each token to whole frames); SpeechT5, which has no speed control,
renders at its own pace, is resampled for the pitch and stretched by ``atempo`` to the pace.
``volume`` is a gain; an ``emotion`` adds the voice's deltas (or a small built-in table's).
``speaker``: a speaker index for multi-speaker VITS models; for SpeechT5 a row of the
``speaker_embeddings`` file (``.npy``, one 512-vector per row) when the model names one, else a
vector seeded from the speaker's name (a stable, made-up voice). SpeechT5 needs a HiFi-GAN
vocoder: ``params.vocoder`` (default ``microsoft/speecht5_hifigan``).

Output: ``audio``, mono 16-bit PCM WAV at the model's sampling rate, written by ``wave`` (no
metadata). Meta: ``duration`` (exactly samples / sample_rate), ``sample_rate``, ``samples``.
Determinism: sampling noise comes from a generator state seeded from the line's text and voice,
forked so that nothing else's randomness moves; torch threads fixed on CPU; ffmpeg on one thread
with its plain C code paths. The version of the bundled ffmpeg is part of the backend's version.
"""

from __future__ import annotations

import gc
import hashlib
import threading
import warnings
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.base import BackendError, Result, TaskRun
from backends.hub import hub_kwargs

__all__ = ["CONCURRENT", "KINDS", "NAME", "VERSION", "load", "memory_gb", "run", "unload"]

NAME = "transformers"
VERSION = "2"
KINDS = frozenset({"speech", "enhance"})
CONCURRENT = False

EMOTIONS: dict[str, dict[str, int]] = {
    "neutral": {}, "calm": {"pitch": -4, "rate": -20, "volume": -10}, "happy": {"pitch": 8, "rate": 15, "volume": 10},
    "playful": {"pitch": 12, "rate": 20}, "excited": {"pitch": 15, "rate": 45, "volume": 25},
    "surprised": {"pitch": 18, "rate": 10, "volume": 15}, "sad": {"pitch": -10, "rate": -40, "volume": -20},
    "tired": {"pitch": -8, "rate": -35, "volume": -20}, "angry": {"pitch": -6, "rate": 25, "volume": 40},
    "shouting": {"pitch": 10, "rate": 10, "volume": 60}, "determined": {"pitch": -5, "rate": -10, "volume": 20},
    "scared": {"pitch": 12, "rate": 35, "volume": -10}, "nervous": {"pitch": 8, "rate": 30, "volume": -10},
    "shy": {"pitch": 5, "rate": -20, "volume": -35}, "tender": {"pitch": 3, "rate": -25, "volume": -25},
    "curious": {"pitch": 6, "rate": -5}, "confident": {"pitch": -3, "rate": -5, "volume": 15},
    "whisper": {"rate": -15, "volume": -50},
}
"""Built-in emotion deltas (the voice's ``emotions`` override them), as for the espeak backend."""

_NEUTRAL_RATE = 175
_SEMITONES = 4.0


@dataclass
class Loaded:
    name: str
    arch: str
    """vits or speecht5."""
    model: Any
    tokenizer: Any
    device: str
    sample_rate: int
    params: dict[str, Any]
    vocoder: Any = None
    embeddings: Any = None
    """SpeechT5 speaker embeddings (N, D) from params.speaker_embeddings, or None."""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _source(model: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if model.get("path"):
        return model["path"], {}
    if not model.get("weights"):
        raise BackendError(f"model '{model.get('name')}' has no weights: set weights to a repo id or a local path")
    return model["weights"], hub_kwargs(model["weights"], model.get("revision"))


def _not_found(weights: str | None, local: bool, revision: str | None, exc: BaseException, what: str = "weights"
               ) -> BackendError:
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    if local:
        return BackendError(f"{what} not found or unreadable: '{weights}' ({detail}); rebuild the directory (tiny "
                            "example models: python bench/make_tiny_models.py DIR) or point weights elsewhere")
    rev = f" --revision {revision}" if revision else ""
    return BackendError(f"{what} not found: '{weights}' ({detail}); download with "
                        f"`huggingface-cli download {weights}{rev}` or set weights to a local directory")


def _quiet() -> None:
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def load(model: dict[str, Any]) -> Any:
    """Load a VITS or SpeechT5 model (and SpeechT5's vocoder and speaker embeddings), or a causal
    language model for a model of kind llm (``backends.llm.local``), or a CLIP-class model for a model of
    kind embed (``.embed``: the gates' scorer)."""
    if "embed" in (model.get("kinds") or ()):
        from .embed import load_embed

        return load_embed(model)
    if "llm" in (model.get("kinds") or ()):
        from backends.llm import LLMError, require
        from backends.llm.local import load_local

        try:
            require(model)
            return load_local(model)
        except LLMError as exc:
            raise BackendError(str(exc)) from None
    return _load_speech(model)


def _load_speech(model: dict[str, Any]) -> Loaded:
    import torch
    import transformers

    _quiet()
    source, kwargs = _source(model)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}.get(model.get("dtype") or "", torch.float32)
    params = dict(model.get("params") or {})
    local = bool(model.get("path"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            config = transformers.AutoConfig.from_pretrained(source, **kwargs)
            arch = config.model_type
            if arch == "vits":
                net = transformers.VitsModel.from_pretrained(source, dtype=dtype, **kwargs)
                tokenizer = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
                handle = Loaded(str(model.get("name")), arch, net, tokenizer, device, int(config.sampling_rate),
                                params)
            elif arch == "speecht5":
                net = transformers.SpeechT5ForTextToSpeech.from_pretrained(source, dtype=dtype, **kwargs)
                tokenizer = transformers.SpeechT5Processor.from_pretrained(source, **kwargs)
                handle = Loaded(str(model.get("name")), arch, net, tokenizer, device, 16000, params)
                _speecht5_extras(handle, model, dtype)
            else:
                raise BackendError(f"model '{model.get('name')}' ({model.get('weights')}) is a {arch} model; the "
                                   "transformers backend speaks with VITS/MMS-TTS and SpeechT5 models")
        except (BackendError, ImportError):
            raise
        except OSError as exc:
            raise _not_found(model.get("weights"), local, model.get("revision"), exc) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise BackendError(f"model '{model.get('name')}' ({model.get('weights')}) cannot be loaded: "
                               f"{type(exc).__name__}: {str(exc).strip()[:300]}") from None
    handle.model.to(device).eval()
    if handle.vocoder is not None:
        handle.vocoder.to(device).eval()
    return handle


def _speecht5_extras(handle: Loaded, model: dict[str, Any], dtype: Any) -> None:
    import numpy as np
    import transformers

    adapters = model.get("adapters") or {}
    ref = adapters.get("vocoder") or {"weights": "microsoft/speecht5_hifigan", "path": None, "revision": None}
    source = ref.get("path") or ref["weights"]
    kwargs = {} if ref.get("path") else hub_kwargs(ref["weights"], ref.get("revision"))
    try:
        handle.vocoder = transformers.SpeechT5HifiGan.from_pretrained(source, dtype=dtype, **kwargs)
    except OSError as exc:
        raise _not_found(ref["weights"], bool(ref.get("path")), ref.get("revision"), exc, "vocoder") from None
    table = adapters.get("speaker_embeddings")
    if table is not None:
        try:
            handle.embeddings = np.atleast_2d(np.load(table.get("path") or table["weights"], allow_pickle=False))
        except (OSError, ValueError) as exc:
            raise BackendError(f"speaker embeddings '{table['weights']}' cannot be read: {exc}; save a (speakers, "
                               "512) float array with numpy.save") from None


def memory_gb(handle: Any) -> float:
    if not isinstance(handle, Loaded):
        return float(handle.memory_gb())
    modules = [m for m in (handle.model, handle.vocoder) if m is not None]
    return sum(t.numel() * t.element_size() for m in modules for t in [*m.parameters(), *m.buffers()]) / 1e9


def unload(handle: Any) -> None:
    import torch

    if not isinstance(handle, Loaded):
        handle.close()
        return
    handle.model = handle.vocoder = handle.tokenizer = None
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _voice(p: dict[str, Any]) -> dict[str, int]:
    """pitch, rate and volume after the emotion's deltas, clamped to the voice ranges."""
    settings = {"pitch": int(p.get("pitch", 50)), "rate": int(p.get("rate", _NEUTRAL_RATE)),
                "volume": int(p.get("volume", 100))}
    emotion = p.get("emotion")
    deltas = (p.get("emotions") or {}).get(emotion) or EMOTIONS.get(emotion or "", {})
    limits = {"pitch": (0, 100), "rate": (80, 450), "volume": (0, 200)}
    for key, (lo, hi) in limits.items():
        settings[key] = min(hi, max(lo, settings[key] + int(deltas.get(key, 0))))
    return settings


def _seed(task: TaskRun, handle: Loaded) -> int:
    if isinstance(handle.params.get("seed"), int):
        return int(handle.params["seed"])
    text = repr((task.params.get("text"), task.params.get("speaker"), task.params.get("emotion")))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def _speaker_vector(handle: Loaded, speaker: Any, size: int) -> Any:
    import numpy as np

    if handle.embeddings is not None:
        index = int(speaker) if isinstance(speaker, str) and speaker.isdigit() else 0
        if not 0 <= index < len(handle.embeddings):
            raise BackendError(f"speaker {speaker!r} is out of range: the embeddings file holds "
                               f"{len(handle.embeddings)} speakers (0..{len(handle.embeddings) - 1})")
        return np.asarray(handle.embeddings[index], dtype=np.float32)
    seed = int.from_bytes(hashlib.sha256(f"studio-speaker\0{speaker or ''}".encode()).digest()[:8], "big")
    vector = np.random.default_rng(seed).standard_normal(size).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _synthesize(task: TaskRun, handle: Loaded, speaking_rate: float) -> Any:
    import numpy as np
    import torch

    text = str(task.params.get("text", "")).strip()
    if handle.arch == "vits":
        inputs = handle.tokenizer(text, return_tensors="pt")
        if inputs["input_ids"].shape[-1] == 0:
            raise BackendError(f"{task.id}: the model's vocabulary has nothing to speak in {text!r}; write the line in "
                               "words of the model's language")
        handle.model.speaking_rate = speaking_rate
        for key in ("noise_scale", "noise_scale_duration"):
            if key in handle.params:
                setattr(handle.model, key, float(handle.params[key]))
        extra: dict[str, Any] = {}
        speaker = task.params.get("speaker")
        if getattr(handle.model.config, "num_speakers", 1) > 1 and speaker is not None:
            if not str(speaker).isdigit() or int(speaker) >= handle.model.config.num_speakers:
                raise BackendError(f"{task.id}: speaker {speaker!r} must be an index below "
                                   f"{handle.model.config.num_speakers} for model '{handle.name}'")
            extra["speaker_id"] = int(speaker)
        with torch.no_grad():
            wave_ = handle.model(**{k: v.to(handle.device) for k, v in inputs.items()}, **extra).waveform[0]
    else:
        inputs = handle.tokenizer(text=text, return_tensors="pt")
        size = int(getattr(handle.model.config, "speaker_embedding_dim", 512))
        vector = torch.from_numpy(_speaker_vector(handle, task.params.get("speaker"), size))[None]
        with torch.no_grad():
            wave_ = handle.model.generate_speech(inputs["input_ids"].to(handle.device), vector.to(handle.device),
                                                 vocoder=handle.vocoder)
    return np.asarray(wave_.float().cpu().numpy(), dtype=np.float32).reshape(-1)


def run(task: TaskRun, handle: Any) -> Result:
    """Speak one dialogue line into ``audio.wav``; or, for a language model, rewrite a prompt."""
    if task.kind == "enhance" and not isinstance(handle, Loaded):
        from backends.llm.enhance import enhance

        return enhance(task, handle, handle.params)
    if not isinstance(handle, Loaded):
        raise BackendError(f"{task.id}: model '{handle.name}' is a language model; it cannot render {task.kind}")
    return _speak(task, handle)


def _speak(task: TaskRun, handle: Loaded) -> Result:
    import numpy as np
    import torch

    from backends.transformers._retime import retime

    # 1. check the parameters and settle the voice
    if task.kind != "speech":
        raise BackendError(f"{task.id}: the transformers backend renders speech tasks, not {task.kind}")
    if not str(task.params.get("text", "")).strip():
        raise BackendError(f"{task.id}: empty dialogue line")
    voice = _voice(dict(task.params))
    pitch = 2.0 ** ((voice["pitch"] - 50) / 50 * _SEMITONES / 12)
    pace = voice["rate"] / _NEUTRAL_RATE
    # VITS speaks at pace / pitch itself and the resampling by ``pitch`` brings it to ``pace``;
    # SpeechT5 speaks at its own pace and ffmpeg's atempo stretches it to ``pace``.
    speaking_rate, tempo = (pace / pitch, pitch) if handle.arch == "vits" else (1.0, pace)

    # 2. synthesise with a seeded, forked random state
    task.report(0, 1)
    with handle.lock, torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if handle.device == "cpu":
            torch.set_num_threads(max(1, task.threads))
        torch.manual_seed(_seed(task, handle))
        try:
            samples = _synthesize(task, handle, speaking_rate)
        except torch.OutOfMemoryError:
            raise BackendError(f"{task.id}: out of memory in model '{handle.name}'; shorten the line or run on "
                               "a device with more memory") from None
    if task.cancelled():
        raise BackendError("cancelled")

    # 3. pitch and tempo, volume, 16-bit samples
    samples = retime(samples, handle.sample_rate, pitch, tempo, what=f"{task.id}: pitch and tempo")
    samples = np.clip(samples * (voice["volume"] / 100.0), -1.0, 1.0)
    pcm = np.round(samples * 32767.0).astype("<i2")
    if pcm.size == 0:
        raise BackendError(f"{task.id}: model '{handle.name}' produced no audio for {task.params.get('text')!r}")

    # 4. write the WAV
    path = Path(task.workdir) / "audio.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(handle.sample_rate)
        out.writeframes(pcm.tobytes())
    task.report(1, 1)
    return Result(outputs={"audio": path}, meta={
        "duration": pcm.size / handle.sample_rate, "sample_rate": handle.sample_rate, "samples": int(pcm.size),
        "model": handle.arch})

