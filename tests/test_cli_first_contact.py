"""The command line as a new user first meets it (issue 10, items 9, 27): Ctrl-C at start-up, --version,
which file names count as projects, and where `studio cache` looked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.compiler.helpers import MINIMAL
from tests.conftest import ROOT


def studio(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("STUDIO_CACHE", None)
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX signals")
def test_ctrl_c_while_the_command_is_still_starting_prints_no_traceback() -> None:
    """SIGINT lands while runtime.cli and its commands are being imported, before main() runs."""
    probe = ("import os, signal, runtime; os.kill(os.getpid(), signal.SIGINT); "
             "import runtime.cli, runtime.build, compiler.pipeline; runtime.cli.main(['check', '.'])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.stderr == ""
    assert done.returncode in (-signal.SIGINT, 128 + signal.SIGINT, 130)


def test_version(tmp_path: Path) -> None:
    done = studio("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("studio ") and done.stdout.strip().split()[1][0].isdigit()


def test_a_file_named_like_no_project_is_refused_the_same_way_it_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(MINIMAL, encoding="utf-8")
    named = studio("check", "film.yaml", cwd=tmp_path)
    assert (named.returncode, named.stderr) == (1, """\
film.yaml:1:1: error[E006]: 'film.yaml' is not named like a project file
  = hint: project files end in .studio.yaml, .studio.yml or .studio (the ending says the syntax): rename it to \
film.studio.yaml
""")
    found = studio("check", ".", cwd=tmp_path)
    assert (found.returncode, found.stderr) == (1, """\
.:1:1: error[E003]: no project file in '.'
  = hint: found film.yaml, but project files end in .studio.yaml, .studio.yml or .studio: rename it to \
film.studio.yaml
""")
    (tmp_path / "film.yaml").rename(tmp_path / "film.studio.yaml")
    assert studio("check", ".", cwd=tmp_path).returncode == 0


def test_cache_stats_without_a_project_says_where_it_looked(tmp_path: Path) -> None:
    done = studio("cache", "stats", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (f"studio: no cache at {tmp_path.resolve() / '.studio'}: looked beside the project in "
                           f"{tmp_path.resolve()}, which holds no project file (a name ending in .studio.yaml, "
                           ".studio.yml, .studio); pass a project or its directory, or --cache DIR\n")
    (tmp_path / "film.studio.yaml").write_text(MINIMAL, encoding="utf-8")
    done = studio("cache", "stats", cwd=tmp_path)
    assert done.stderr == (f"studio: no cache at {tmp_path.resolve() / '.studio'}: film.studio.yaml has not been "
                           "built yet (studio build .)\n")
