"""A remote cache in a directory that several machines mount (NFS, SMB, a cluster filesystem).

Every write goes to a hidden temporary file in the target's own directory, is fsynced, then
renamed into place: POSIX rename is atomic on one filesystem (NFS included), so a reader sees a
whole file or none. A record is written exclusively with ``link()``, which fails when the name
exists (atomic on NFS v3+ too); filesystems without hard links fall back to a check and a rename.
The directory must exist: a cache that silently appeared on a local disk because a mount was
missing would not be shared.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

from ._atomic import fsync_dir
from .remote import RemoteError, RemoteStore

__all__ = ["SharedDirStore"]

T = TypeVar("T")


class SharedDirStore(RemoteStore):
    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.location = str(root)
        if not root.is_dir():
            raise RemoteError(f"remote cache {root}: no such directory (create it on the shared filesystem first)")

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except OSError as exc:
            raise RemoteError(f"remote cache {self.location}: {exc.strerror or exc}"
                              f"{': ' + exc.filename if isinstance(exc.filename, str) else ''}") from exc

    def _temp(self, path: Path, write: Callable[[BinaryIO], object]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
        try:
            with open(tmp, "xb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return tmp

    def _get(self, rel: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                return (self.root / rel).read_bytes()
            except (FileNotFoundError, NotADirectoryError):
                return None

        return self._call(read)

    def _put(self, rel: str, data: bytes, *, exclusive: bool) -> bool:
        path = self.root / rel

        def put() -> bool:
            tmp = self._temp(path, lambda f: f.write(data))
            try:
                if not exclusive:
                    os.replace(tmp, path)
                    return True
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    return False
                except OSError as exc:  # no hard links here: check, then rename (the content stays atomic)
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                        raise
                    if path.exists():
                        return False
                    os.replace(tmp, path)
                return True
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                fsync_dir(path.parent)

        return self._call(put)

    def _upload(self, source: Path, rel: str) -> None:
        path = self.root / rel

        def upload() -> None:
            def copy(out: BinaryIO) -> None:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)

            tmp = self._temp(path, copy)
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)
            fsync_dir(path.parent)

        self._call(upload)

    def _download(self, rel: str, dest: Path) -> bool:
        def download() -> bool:
            try:
                shutil.copyfile(self.root / rel, dest)
            except (FileNotFoundError, NotADirectoryError):
                return False
            return True

        return self._call(download)

    def _stat(self, rel: str) -> tuple[int, float] | None:
        def stat() -> tuple[int, float] | None:
            try:
                st = os.stat(self.root / rel)
            except (FileNotFoundError, NotADirectoryError):
                return None
            return st.st_size, st.st_mtime

        return self._call(stat)

    def _list(self, top: str) -> Iterator[tuple[str, int, float]]:
        yield from self._walk(top, hidden=False)

    def _walk(self, top: str, hidden: bool) -> Iterator[tuple[str, int, float]]:
        base = self.root / top
        try:
            subs = sorted(os.scandir(base), key=lambda e: e.name)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise RemoteError(f"remote cache {self.location}: {exc.strerror or exc}") from exc
        for entry in subs:
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False):
                    yield from self._walk(f"{top}/{entry.name}", hidden)
                elif entry.name.startswith(".") == hidden:
                    st = entry.stat(follow_symlinks=False)
                    yield f"{top}/{entry.name}", st.st_size, st.st_mtime

    def _delete(self, rel: str) -> None:
        def delete() -> None:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                os.unlink(self.root / rel)

        self._call(delete)

    def check(self) -> None:
        if not self.root.is_dir():
            raise RemoteError(f"remote cache {self.location}: no such directory")
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise RemoteError(f"remote cache {self.location}: not writable")

    def _leftovers(self, older_than: float) -> list[str]:
        now = time.time()
        return [rel for top in ("objects", "actions", "builds") for rel, _, mtime in self._walk(top, hidden=True)
                if rel.endswith(".tmp") and now - mtime >= older_than]
