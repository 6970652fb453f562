"""Model weights: what a ``weights:`` value names, and its identity in cache keys.

A value is either a Hugging Face repo id (``org/name``) or a local directory or file relative to
the project. Its identity is what changes outputs, never where it lies:

- a repo id -> the repo id and the commit hash its revision resolves to in the local Hugging Face
  cache (``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or ``~/.cache/huggingface/hub``; a 40-hex revision is
  a commit already). A revision is a ref name or a commit, never a path: its form is checked
  (``REVISION``, also in the format) and it is looked up among the ref names the repo's
  ``refs/`` folder lists, never joined onto a path, and the ref file is read as a regular file of
  at most 256 bytes. (huggingface_hub's own lookups join the revision onto the cache path, and its
  ``scan_cache_dir`` walks every file of every cached repo, 0.6 s for 30 small repos; it is also
  not installed without the ``ai`` extra, while ``check`` must work without it. The layout read
  here is the one huggingface_hub documents: ``models--org--name/refs/<name>`` holds a commit.)
  A repo that is not cached gets a warning and the revision text as written (keys change once it
  is downloaded).
- a local directory or file -> the digests of its files (through the project's digester, so the
  runtime's stat-keyed cache makes this cheap), confined like every referenced file.

Reads only the project's own files and the cache's small ref files: no ML library, no network.
``watched`` lists every path an identity was read from, so that a cached plan is trusted only
while they are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from studio_lang.diagnostics import Diagnostic, Span
from studio_lang.readfile import kind, name_problem, problem, read_regular

from .files import ProjectFiles

__all__ = ["REVISION", "Weights", "WeightsResolver", "cached_refs", "hub_cache", "is_repo_id"]

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
REVISION = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}){0,3}$"
"""A branch, tag or commit (``main``, ``v1.0``, ``refs/pr/1``, 40 hex digits): no component starts
with a dot, none is empty, nothing is absolute, so it can never name a path outside ``refs/``."""
_REVISION = re.compile(REVISION)
_MAX_REFS = 1000
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")
WEIGHT_SUFFIXES = (".safetensors", ".ckpt", ".bin", ".pt", ".pth", ".gguf", ".npy", ".npz")


def hub_cache() -> Path:
    """The Hugging Face hub cache directory, as huggingface_hub finds it."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.environ[var]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    base = Path(os.environ["XDG_CACHE_HOME"]).expanduser() if os.environ.get("XDG_CACHE_HOME") \
        else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def is_repo_id(written: str) -> bool:
    """Looks like ``org/name`` (or a bare legacy ``name``) rather than a path."""
    return bool(_REPO.match(written)) and ".." not in written and not written.lower().endswith(WEIGHT_SUFFIXES)


@dataclass(frozen=True)
class Weights:
    written: str
    """As the project wrote it (messages, the backend's repo id)."""
    path: Path | None
    """Absolute local file or directory; None for a repo id."""
    revision: str | None
    """For a repo id: the resolved commit, or the revision as written when it is not cached."""
    content: str | None
    """For a local path: ``sha256:`` digest of its files' names and digests."""
    watched: tuple[Path, ...]

    @property
    def is_local(self) -> bool:
        return self.path is not None

    def identity(self) -> dict[str, str | None]:
        """What enters cache keys: repo id + commit, or the content digest (never a local path)."""
        if self.path is not None:
            return {"weights": None, "revision": self.content}
        return {"weights": self.written, "revision": self.revision}


class WeightsResolver:
    """Resolves ``weights`` values of one project; each value once per compile."""

    def __init__(self, files: ProjectFiles, hub: Path | None = None) -> None:
        self.files = files
        self.hub = hub if hub is not None else hub_cache()
        self._seen: dict[tuple[str, str | None], tuple[Weights | None, list[Diagnostic]]] = {}

    def resolve(self, written: str, revision: str | None, span: Span, *, file_only: bool = False
                ) -> tuple[Weights | None, list[Diagnostic]]:
        """The weights' identity, or None with an error; warnings come with a result."""
        key = (written, revision)
        if key not in self._seen:
            self._seen[key] = self._resolve(written, revision, span, file_only)
        found, diagnostics = self._seen[key]
        return found, [Diagnostic(d.severity, d.code, d.message, span, d.hint) for d in diagnostics]

    def _resolve(self, written: str, revision: str | None, span: Span, file_only: bool
                 ) -> tuple[Weights | None, list[Diagnostic]]:
        if "\x00" in written:
            return None, [Diagnostic.error("E305", "weights name contains a NUL character", span)]
        named = name_problem(written)
        if named:
            return None, [Diagnostic.error("E305", f"weights '{written[:60]}' {named}", span,
                                           "shorten the file or folder name")]
        local = self._local_candidate(written)
        if local is not None and (local.exists() or not is_repo_id(written)):
            return self._local(written, local, span, file_only)
        if not is_repo_id(written):
            return None, [Diagnostic.error("E305", f"weights not found: '{written}'", span,
                                           "a local file or directory (relative to the project) or a Hugging "
                                           "Face repo id such as 'org/name'")]
        return self._repo(written, revision, span)

    def _local_candidate(self, written: str) -> Path | None:
        pure = PurePosixPath(written.replace("\\", "/"))
        try:  # '~nobody' has no home: RuntimeError
            candidate = Path(written).expanduser() if pure.is_absolute() or written.startswith("~") \
                else self.files.root / Path(*pure.parts)
            return candidate.resolve()
        except (OSError, RuntimeError):
            return None

    def _local(self, written: str, real: Path, span: Span, file_only: bool
               ) -> tuple[Weights | None, list[Diagnostic]]:
        if not self.files.inside(real):
            return None, [Diagnostic.error(
                "E306", f"'{written}' is outside the project directory", span,
                "keep weights inside the project, allow the directory with --allow-path, or use a repo id")]
        if not real.exists():
            return None, [Diagnostic.error(
                "E305", f"weights not found: '{written}'", span,
                "paths are relative to the project file's directory; build the tiny example models with "
                "`python bench/make_tiny_models.py DIR`, or name a Hugging Face repo id")]
        mode = real.stat().st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            return None, [Diagnostic.error("E305", f"weights '{written}' is {kind(mode)}, not a file or directory",
                                           span, "name a weights file (.safetensors) or a model directory")]
        if file_only and not real.is_file():
            return None, [Diagnostic.error("E305", f"'{written}' is not a file", span,
                                           "name the weights file itself (.safetensors)")]
        try:
            if real.is_file():
                names = [(real.name, self.files.digester(real))]
                watched: tuple[Path, ...] = (real,)
            else:
                names, watched = self._directory(real)
        except OSError as exc:
            return None, [Diagnostic.error("E307", f"cannot read '{written}': {exc.strerror or exc}", span)]
        if not names:
            return None, [Diagnostic.error("E305", f"weights directory '{written}' holds no files", span)]
        h = hashlib.sha256(b"studio-weights-1\0")
        for name, digest in names:
            h.update(f"{name}\0{digest}\n".encode())
        return Weights(written, real, None, f"sha256:{h.hexdigest()}", watched), []

    def _directory(self, root: Path) -> tuple[list[tuple[str, str]], tuple[Path, ...]]:
        """(relative name, digest) of every file under ``root``, hidden ones skipped, and the
        directories and files read (a file added to a directory changes the directory's mtime)."""
        names: list[tuple[str, str]] = []
        watched: list[Path] = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            base = Path(folder)
            watched.append(base)
            for name in sorted(f for f in files if not f.startswith(".")):
                path = base / name
                real = path.resolve()
                if not self.files.inside(real):
                    raise OSError(f"'{path.relative_to(root)}' links outside the project")
                why = problem(real)
                if why:
                    raise OSError(f"'{path.relative_to(root)}' {why}")
                names.append((path.relative_to(root).as_posix(), self.files.digester(real)))
                watched.append(path)
        return names, tuple(watched)

    def _repo(self, repo: str, revision: str | None, span: Span) -> tuple[Weights | None, list[Diagnostic]]:
        if revision is not None and _COMMIT.match(revision):
            return Weights(repo, None, revision, None, ()), []
        if revision is not None and not _REVISION.match(revision):  # the format refuses these too (E205)
            return None, [Diagnostic.error("E205", f"invalid revision {revision[:60]!r}", span,
                                           "a branch, tag or commit of the repo, e.g. 'main', 'v1.0' or 40 hex digits")]
        folder = self.hub / ("models--" + repo.replace("/", "--"))
        ref = cached_refs(folder).get(revision or "main")
        commit = ""
        if ref is not None:
            try:
                commit = read_regular(ref, 256).decode("ascii", errors="replace").strip()
            except OSError:
                commit = ""
        if ref is not None and _COMMIT.match(commit):
            return Weights(repo, None, commit, None, (ref,)), []
        watch = next((p for p in (folder / "refs", folder, self.hub, self.hub.parent) if p.is_dir()), None)
        warning = Diagnostic.warning(
            "W311", f"'{repo}'{f' revision {revision!r}' if revision else ''} is not in the local Hugging Face "
            f"cache ({self.hub}); cache keys use the revision as written until it is",
            span, f"download it with `huggingface-cli download {repo}`"
            + (f" --revision {revision}" if revision else "") + ", or set weights to a local directory")
        return Weights(repo, None, revision, None, (watch,) if watch else ()), [warning]


def cached_refs(folder: Path) -> dict[str, Path]:
    """Ref name (``main``, ``refs/pr/1``) -> its file, as the cached repo's ``refs/`` folder lists
    them (at most ``_MAX_REFS``; symlinks are not followed)."""
    found: dict[str, Path] = {}
    root = folder / "refs"
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if len(found) >= _MAX_REFS:
                return found
            found[(base / name).relative_to(root).as_posix()] = base / name
    return found
