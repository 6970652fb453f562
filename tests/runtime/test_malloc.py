"""runtime.malloc: glibc's thresholds raised once per process, by the local executor."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from runtime.malloc import tune

glibc = pytest.mark.skipif(not (hasattr(os, "confstr") and str(os.confstr("CS_GNU_LIBC_VERSION")).startswith("glibc")),
                           reason="glibc only")


@glibc
def test_tune_is_set_once_and_says_so() -> None:
    assert tune() is True and tune() is True


def test_importing_the_executor_does_not_import_ctypes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The executor tunes malloc only when it has tasks to run (importing ctypes costs 6 ms)."""
    code = ("import sys; from runtime import malloc; from runtime.executors import local; "
            "assert 'ctypes' not in sys.modules, 'imported at module level'")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
