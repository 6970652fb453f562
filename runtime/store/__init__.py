"""The content-addressed cache: one interface (``interface.CacheStore``), several implementations.

- ``Store`` (``local.py``): ``.studio/`` beside the project, the first level; the only one a build
  reads objects from, so backends always get local files;
- ``SharedDirStore`` (``shared_dir.py``) and ``S3Store`` (``s3.py``): remote second levels on a
  shared filesystem or S3-compatible object storage, on the logic of ``remote.RemoteStore``;
- ``TieredStore`` (``tiered.py``): the local store with a remote behind it, read through on a miss
  and written after each task is committed locally. ``open_remote(url)`` picks the implementation.
"""

from __future__ import annotations

from ._atomic import atomic_copy, atomic_write, fsync_dir, hash_file
from .interface import ActionRecord, CacheStore, ObjectInfo
from .local import Store
from .remote import RemoteError, RemoteStore, open_remote, remote_url_from_env
from .tiered import TieredStore

__all__ = [
    "ActionRecord", "CacheStore", "ObjectInfo", "RemoteError", "RemoteStore", "Store", "TieredStore", "atomic_copy",
    "atomic_write", "fsync_dir", "hash_file", "open_remote", "remote_url_from_env",
]
