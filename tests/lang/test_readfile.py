"""studio_lang.readfile: untrusted paths are read as regular files only, never waited on, bounded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio_lang.readfile import Unreadable, name_problem, open_regular, problem, read_regular
from tests.watchdog import watchdog


def test_regular_files_are_read_within_their_bound(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello")
    assert read_regular(path, 5) == b"hello"
    with pytest.raises(Unreadable, match=r"is too large \(5 bytes; at most 4\)"):
        read_regular(path, 4)
    assert problem(tmp_path / "missing") == "does not exist"


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="POSIX special files")
def test_fifos_devices_and_directories_are_named_never_opened_for_long(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "zero").symlink_to("/dev/zero")
    with watchdog():
        for name, what in (("pipe", "a FIFO (named pipe)"), ("zero", "a character device"), (".", "a directory")):
            assert problem(tmp_path / name) == f"is {what}, not a file"
            with pytest.raises(Unreadable, match=f"is {what.replace('(', '.').replace(')', '.')}"):
                open_regular(tmp_path / name)
            with pytest.raises(OSError):  # an Unreadable is an OSError: code that reports OSErrors reports it
                read_regular(tmp_path / name, 100)


def test_names_no_file_system_accepts() -> None:
    assert name_problem("a/" + "b" * 255) is None
    assert name_problem("a/" + "b" * 256) == f"has a name component longer than 255 bytes ('{'b' * 24}...', 256 bytes)"
    assert name_problem("é" * 128) is not None  # 256 bytes in UTF-8
    assert name_problem("x\x00y") == "has a NUL character in its name"
    assert problem(Path("x" * 300)) is not None  # no ENAMETOOLONG from the stat behind it
