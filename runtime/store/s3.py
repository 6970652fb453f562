"""A remote cache in S3-compatible object storage (AWS S3, MinIO, Ceph, R2, ...) through fsspec/s3fs.

Credentials and the region come only from where boto looks for them (the environment,
``~/.aws/config`` and ``credentials``, an instance role); ``AWS_ENDPOINT_URL`` (or
``AWS_ENDPOINT_URL_S3``) points at another S3-compatible service. A PUT is atomic (multipart
uploads too: the object appears when the upload completes), so objects need nothing more; a
record is written with ``If-None-Match: *`` so that the first writer wins. A service that does
not know conditional writes gets a plain PUT (still atomic; records of one key are equivalent).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .remote import RemoteError, RemoteStore

__all__ = ["S3Store"]

T = TypeVar("T")


class S3Store(RemoteStore):
    def __init__(self, bucket: str, prefix: str) -> None:
        super().__init__()
        try:
            import s3fs
        except ImportError as exc:
            raise RemoteError("an s3:// remote cache needs the s3 extra: pip install 'studio[s3]'") from exc
        self.bucket = bucket
        self.prefix = prefix
        self.location = f"s3://{bucket}/{prefix}".rstrip("/")
        self._base = f"{bucket}/{prefix}".rstrip("/")
        self._conditional = True
        client: dict[str, Any] = {}
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            client["endpoint_url"] = endpoint
        config: dict[str, Any] = {"connect_timeout": 10, "read_timeout": 120}
        if "AWS_MAX_ATTEMPTS" not in os.environ and "AWS_RETRY_MODE" not in os.environ:
            config["retries"] = {"max_attempts": 4, "mode": "standard"}
        self._fs = s3fs.S3FileSystem(use_listings_cache=False, skip_instance_cache=True, client_kwargs=client,
                                     config_kwargs=config)

    def _path(self, rel: str) -> str:
        return f"{self._base}/{rel}"

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (FileNotFoundError, FileExistsError):
            raise
        except PermissionError as exc:
            raise RemoteError(f"remote cache {self.location}: access denied (check the credentials in the "
                              "environment or ~/.aws)") from exc
        except Exception as exc:  # botocore and aiohttp errors have no common base worth naming
            name = type(exc).__name__
            if name in ("NoCredentialsError", "PartialCredentialsError"):
                raise RemoteError(f"remote cache {self.location}: no credentials (set AWS_ACCESS_KEY_ID and "
                                  "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)") from exc
            raise RemoteError(f"remote cache {self.location}: {name}: {exc}") from exc

    def _get(self, rel: str) -> bytes | None:
        from fsspec.asyn import sync

        async def get() -> bytes:  # one GET (s3fs's cat_file adds a HEAD and a listing to a miss)
            response = await self._fs._call_s3("get_object", Bucket=self.bucket, Key=self._key(rel))
            body = response["Body"]
            try:
                return bytes(await body.read())
            finally:
                body.close()

        try:
            return self._call(lambda: sync(self._fs.loop, get))
        except FileNotFoundError:
            return None

    def _put(self, rel: str, data: bytes, *, exclusive: bool) -> bool:
        path = self._path(rel)
        if exclusive and self._conditional:
            try:
                self._call(lambda: self._fs.pipe_file(path, data, IfNoneMatch="*"))
                return True
            except FileExistsError:
                return False
            except RemoteError as exc:
                if "NotImplemented" not in str(exc) and "501" not in str(exc):
                    raise
                self._conditional = False  # an older service: plain (still atomic) PUTs from now on
        try:
            self._call(lambda: self._fs.pipe_file(path, data))
        except FileNotFoundError as exc:
            raise RemoteError(f"remote cache {self.location}: no such bucket") from exc
        return True

    def _upload(self, source: Path, rel: str) -> None:
        try:
            self._call(lambda: self._fs.put_file(str(source), self._path(rel)))
        except FileNotFoundError as exc:
            raise RemoteError(f"remote cache {self.location}: no such bucket") from exc

    def _download(self, rel: str, dest: Path) -> bool:
        try:
            self._call(lambda: self._fs.get_file(self._path(rel), str(dest)))
        except FileNotFoundError:
            return False
        return True

    def _stat(self, rel: str) -> tuple[int, float] | None:
        try:
            head = self._call(lambda: self._fs.call_s3("head_object", Bucket=self.bucket, Key=self._key(rel)))
        except FileNotFoundError:
            return None
        return int(head["ContentLength"]), head["LastModified"].timestamp()

    def _key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def _list(self, top: str) -> Iterator[tuple[str, int, float]]:
        base = self._path(top)
        try:
            found = self._call(lambda: self._fs.find(base, detail=True))
        except FileNotFoundError:
            return
        start = len(self._base) + 1
        for name, info in sorted(found.items()):
            if info.get("type") == "file":
                modified = info.get("LastModified")
                yield name[start:], int(info["size"]), modified.timestamp() if modified is not None else 0.0

    def _delete(self, rel: str) -> None:
        try:
            self._call(lambda: self._fs.rm_file(self._path(rel)))
        except FileNotFoundError:
            pass

    def check(self) -> None:
        try:
            self._call(lambda: self._fs.call_s3("head_bucket", Bucket=self.bucket))
        except FileNotFoundError as exc:
            raise RemoteError(f"remote cache {self.location}: no such bucket") from exc
