"""ctypes bindings to the eSpeak NG library that the ``espeakng-loader`` wheel ships.

Why a fresh library instance per synthesis: eSpeak NG keeps synthesis state in C statics that
no API call resets (the pitch-flutter phase, the automatic gain, resonator memories, a cycle
counter), so the same text synthesised twice in one process gives different samples. Setting
the voice and every parameter again is not enough. This module therefore copies the shared
library once per process to a private path and, for every synthesis, ``dlopen``s that copy,
initialises it, synthesises, terminates and ``dlclose``s it, so each synthesis starts from the
state of a freshly started process (about 5 ms). The private path also keeps our instance apart
from any other code in the process that loads the wheel's library (a phonemizer, say).

The library is process-global and not thread-safe (and it calls ``setlocale``), so every entry
point holds ``_LOCK``. Randomness: eSpeak NG's own generator is reseeded with
``espeak_ng_SetRandSeed`` and the C library's ``rand()`` (used for breath noise in whispery
variants) with ``srand`` before each synthesis.
"""

from __future__ import annotations

import atexit
import ctypes
import locale
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from backends.base import BackendError

__all__ = ["Catalogue", "catalogue", "synthesize"]

# espeak_AUDIO_OUTPUT, espeak_Synth flags, espeak_Initialize options (speak_lib.h)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_INITIALIZE_DONT_EXIT = 0x8000
_BUFFER_MS = 500  # audio handed to the callback per call; fixed so runs are comparable

# espeak_PARAMETER
RATE, VOLUME, PITCH, RANGE, WORDGAP = 1, 2, 3, 4, 7

# espeak_EVENT_TYPE
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_SENTENCE = 2

_SEED = 1  # for eSpeak NG's generator and the C library's rand()

_LOCK = threading.Lock()


class _Voice(ctypes.Structure):
    """``espeak_VOICE``."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, NUL-terminated code)*, 0
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT``."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))

_PROTOTYPES: dict[str, tuple[list[object], object]] = {
    "espeak_Initialize": (
        [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int],
        ctypes.c_int,
    ),
    "espeak_SetSynthCallback": ([_SynthCallback], None),
    "espeak_ListVoices": ([ctypes.POINTER(_Voice)], ctypes.POINTER(ctypes.POINTER(_Voice))),
    "espeak_SetVoiceByName": ([ctypes.c_char_p], ctypes.c_int),
    "espeak_SetParameter": ([ctypes.c_int, ctypes.c_int, ctypes.c_int], ctypes.c_int),
    "espeak_Synth": (
        [
            ctypes.c_void_p,  # text
            ctypes.c_size_t,  # size
            ctypes.c_uint,  # position
            ctypes.c_int,  # position_type
            ctypes.c_uint,  # end_position
            ctypes.c_uint,  # flags
            ctypes.POINTER(ctypes.c_uint),  # unique_identifier
            ctypes.c_void_p,  # user_data
        ],
        ctypes.c_int,
    ),
    "espeak_Synchronize": ([], ctypes.c_int),
    "espeak_Terminate": ([], ctypes.c_int),
    "espeak_Info": ([ctypes.POINTER(ctypes.c_char_p)], ctypes.c_char_p),
    "espeak_ng_SetRandSeed": ([ctypes.c_long], ctypes.c_int),
}


# --- the private copy of the shared library -----------------------------------------------------

_copy: Path | None = None
_copy_owner = 0


def _private_copy() -> Path:
    """The wheel's library copied to a per-process temporary directory (removed at exit)."""
    global _copy, _copy_owner
    if _copy is not None and _copy_owner == os.getpid() and _copy.exists():
        return _copy
    import espeakng_loader

    source = Path(espeakng_loader.get_library_path())
    _sweep()
    directory = Path(tempfile.mkdtemp(prefix=f"studio-espeak-{os.getpid()}-"))
    target = directory / ("studio-" + source.name)
    shutil.copyfile(source, target)
    _copy, _copy_owner = target, os.getpid()
    atexit.register(_remove_copy, directory, os.getpid())
    return target


def _sweep() -> None:
    """Remove the copies of processes that ended without removing theirs (killed: atexit never ran)."""
    for directory in Path(tempfile.gettempdir()).glob("studio-espeak-*-*"):
        pid = directory.name.split("-")[2]
        try:
            if not pid.isdigit() or directory.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(directory, ignore_errors=True)
        except OSError:
            pass  # alive, another user's


def _remove_copy(directory: Path, owner: int) -> None:
    if os.getpid() == owner:  # a forked child must not remove its parent's copy
        shutil.rmtree(directory, ignore_errors=True)


def _data_path() -> bytes:
    import espeakng_loader

    return os.fsencode(espeakng_loader.get_data_path())


def _unload(lib: ctypes.CDLL) -> None:
    import _ctypes

    if sys.platform == "win32":
        _ctypes.FreeLibrary(lib._handle)
    else:
        _ctypes.dlclose(lib._handle)


_libc: ctypes.CDLL | None = None


def _seed_c_rand() -> None:
    """Seed the C library's rand(), which eSpeak NG's breath noise draws from."""
    global _libc
    if sys.platform == "win32":
        return  # the DLL's C runtime is not reachable from here; breathy variants may vary
    if _libc is None:
        _libc = ctypes.CDLL(None)
        _libc.srand.argtypes = [ctypes.c_uint]
        _libc.srand.restype = None
    _libc.srand(_SEED)


class _Instance:
    """One fresh, initialised instance of the library; use as a context manager under _LOCK."""

    def __init__(self) -> None:
        self._saved_locale = locale.setlocale(locale.LC_CTYPE)
        self.lib = ctypes.CDLL(str(_private_copy()))
        for name, (argtypes, restype) in _PROTOTYPES.items():
            function = getattr(self.lib, name, None)
            if function is not None:
                function.argtypes = argtypes
                function.restype = restype
        rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, _data_path(), _INITIALIZE_DONT_EXIT)
        if rate <= 0:
            self.close()
            raise BackendError(
                "eSpeak NG failed to initialise from the espeakng-loader wheel's data; "
                "reinstall it with `pip install --force-reinstall espeakng-loader`"
            )
        self.sample_rate: int = rate

    def __enter__(self) -> _Instance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "lib", None) is None:
            return
        if hasattr(self, "sample_rate"):
            self.lib.espeak_Terminate()
        _unload(self.lib)
        self.lib = None  # type: ignore[assignment]
        locale.setlocale(locale.LC_CTYPE, self._saved_locale)

    def voices(self, spec: _Voice | None) -> list[_Voice]:
        array = self.lib.espeak_ListVoices(ctypes.byref(spec) if spec is not None else None)
        found: list[_Voice] = []
        index = 0
        while array[index]:
            found.append(array[index].contents)
            index += 1
        return found


# --- the voice catalogue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """What the installed eSpeak NG data offers; the same for the whole process."""

    version: str
    sample_rate: int
    languages: Mapping[str, str]
    """Language code (lower case, e.g. ``en-us``) -> voice identifier (e.g. ``gmw/en-US``)."""
    voice_names: Mapping[str, str]
    """Voice identifier -> its display name (e.g. ``English (America)``)."""
    variants: Mapping[str, str]
    """Variant name (lower case) -> the name eSpeak NG knows it by (e.g. ``Mr serious``)."""


_catalogue: Catalogue | None = None


def catalogue() -> Catalogue:
    """The voice catalogue, read from the library once per process."""
    global _catalogue
    with _LOCK:
        if _catalogue is None:
            with _Instance() as instance:
                _catalogue = _read_catalogue(instance)
        return _catalogue


def _language_codes(pointer: int | None) -> list[tuple[str, int]]:
    """Decode ``espeak_VOICE.languages``: (priority byte, NUL-terminated code)* then a 0 byte."""
    codes: list[tuple[str, int]] = []
    if not pointer:
        return codes
    while True:
        priority = ctypes.c_ubyte.from_address(pointer).value
        if priority == 0:
            return codes
        code = ctypes.string_at(pointer + 1)
        codes.append((code.decode("utf-8", "replace").lower(), priority))
        pointer += len(code) + 2


def _read_catalogue(instance: _Instance) -> Catalogue:
    best: dict[str, tuple[tuple[int, int, int], str]] = {}
    names: dict[str, str] = {}
    for order, voice in enumerate(instance.voices(None)):
        identifier = (voice.identifier or b"").decode("utf-8", "replace")
        names[identifier] = (voice.name or b"").decode("utf-8", "replace").strip()
        basename = identifier.rsplit("/", 1)[-1].lower()
        for code, priority in _language_codes(voice.languages):
            # eSpeak NG's own preference: the voice file named like the code, then the lowest
            # priority number, then the library's listing order.
            rank = (0 if basename == code else 1, priority, order)
            if code not in best or rank < best[code][0]:
                best[code] = (rank, identifier)
    spec = _Voice()
    key = ctypes.create_string_buffer(b"variant")  # ListVoices' selector for variants
    spec.languages = ctypes.addressof(key)
    variants: dict[str, str] = {}
    for voice in instance.voices(spec):
        identifier = (voice.identifier or b"").decode("utf-8", "replace")
        variant = identifier.split("/", 1)[-1]
        variants.setdefault(variant.lower(), variant)
    version = instance.lib.espeak_Info(None)
    return Catalogue(
        version=(version or b"").decode("ascii", "replace"),
        sample_rate=instance.sample_rate,
        languages=MappingProxyType({code: best[code][1] for code in sorted(best)}),
        voice_names=MappingProxyType(dict(sorted(names.items()))),
        variants=MappingProxyType(dict(sorted(variants.items()))),
    )


# --- synthesis ----------------------------------------------------------------------------------


class _Collector:
    """State of one synthesis, filled by the library's callback."""

    def __init__(self, cancel: threading.Event, progress: Callable[[int], None] | None) -> None:
        self.chunks: list[bytes] = []
        self.cancel = cancel
        self.progress = progress
        self.position = 0
        self.cancelled = False
        self.error: BaseException | None = None

    def __call__(self, wav: Any, count: int, events: Any) -> int:
        """Return 0 to go on, 1 to make the library stop."""
        try:
            if self.cancel.is_set():
                self.cancelled = True
                return 1
            if count > 0 and wav:
                self.chunks.append(ctypes.string_at(wav, 2 * count))
            if self.progress is not None and events:
                self._report(events)
            return 0
        except BaseException as exc:  # KeyboardInterrupt lands here: stop, re-raise after
            self.error = exc
            return 1

    def _report(self, events: Any) -> None:
        position = self.position
        index = 0
        while True:
            event = events[index]
            if event.type == _EVENT_LIST_TERMINATED:
                break
            if event.type in (_EVENT_WORD, _EVENT_SENTENCE):
                position = max(position, event.text_position)
            index += 1
        if position > self.position:
            self.position = position
            assert self.progress is not None
            self.progress(position)


def synthesize(
    text: str,
    voice: str,
    parameters: Mapping[int, int],
    *,
    cancel: threading.Event,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Speak ``text`` with ``voice`` (``identifier[+variant]``) -> (int16 samples, sample rate).

    ``parameters`` maps espeak_PARAMETER numbers to absolute values. ``progress`` receives the
    character position in ``text`` reached so far. Setting ``cancel`` stops the synthesis at the
    next audio buffer (BackendError); a KeyboardInterrupt raised in the callback stops it too and
    is re-raised once the library is unloaded.
    """
    encoded = text.encode("utf-8") + b"\0"
    collector = _Collector(cancel, progress)
    callback = _SynthCallback(collector)
    with _LOCK, _Instance() as instance:
        instance.lib.espeak_SetSynthCallback(callback)
        if instance.lib.espeak_SetVoiceByName(voice.encode("utf-8")) != 0:
            raise BackendError(f"eSpeak NG cannot load the voice '{voice}'")
        for parameter, value in parameters.items():
            if instance.lib.espeak_SetParameter(parameter, value, 0) != 0:
                raise BackendError(f"eSpeak NG refused parameter {parameter} = {value}")
        if hasattr(instance.lib, "espeak_ng_SetRandSeed"):
            instance.lib.espeak_ng_SetRandSeed(_SEED)
        _seed_c_rand()
        status = instance.lib.espeak_Synth(encoded, len(encoded), 0, 0, 0, _CHARS_UTF8, None, None)
        instance.lib.espeak_Synchronize()
        sample_rate = instance.sample_rate
    if collector.error is not None:
        raise collector.error
    if collector.cancelled:
        raise BackendError("speech synthesis cancelled")
    if status != 0:
        raise BackendError(f"eSpeak NG failed to synthesise the line (error {status})")
    samples = np.frombuffer(b"".join(collector.chunks), dtype="<i2")
    return samples.astype(np.int16), sample_rate
