from __future__ import annotations

import importlib.util
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted({p.parent for pattern in ("*/*.studio.yaml", "*/*.studio")
                   for p in (ROOT / "examples").glob(pattern)})
"""Every example project, in YAML or in the screenplay DSL."""
LUCA = ROOT / "examples" / "luca"


def pytest_configure(config: pytest.Config) -> None:
    """No build servers for anything a test starts, module- and session-scoped fixtures included (they
    run before any function-scoped fixture): a command would leave one running for the next test.
    tests/runtime/test_server.py turns them on, in a directory of its own."""
    os.environ["STUDIO_SERVER"] = "0"
    for name in ("STUDIO_SERVER_DIR", "STUDIO_SERVER_IDLE"):
        os.environ.pop(name, None)


@pytest.fixture(autouse=True)
def _no_studio_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their own caches and servers: a ``STUDIO_CACHE`` (or remote cache, LLM server)
    exported in the shell that runs them would share one store between tests, and their expectations
    (what an edit executes) would fail for reasons of the shell. Subprocesses inherit the cleaned
    environment (build servers: ``pytest_configure``)."""
    for name in ("STUDIO_CACHE", "STUDIO_REMOTE_CACHE", "STUDIO_LLM", "STUDIO_WORKER_CACHE", "STUDIO_WORKER_STORE"):
        monkeypatch.delenv(name, raising=False)


def skip_without_ai(example: Path) -> None:
    """Skip a build of an example that uses the AI backends when the AI extra is not installed
    (checking it needs no extra: the compiler never imports an ML library)."""
    text = "".join(p.read_text(encoding="utf-8") for p in example.glob("*.studio.yaml"))
    if re.search(r"backend:\s*(diffusers|transformers)", text) and importlib.util.find_spec("torch") is None:
        pytest.skip(f"{example.name} needs the AI extra: pip install -e '.[ai]'")


def copy_example(example: Path, dest: Path) -> Path:
    """A private, writable copy of an example project at ``dest``: its sources only, never what a build
    in place left there (its store ``.studio``, ``build/``), so a test starts from what git holds. The
    one way tests copy a project."""
    shutil.copytree(example, dest, ignore=shutil.ignore_patterns(".studio", "build"))
    for path in [dest, *dest.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return dest


@pytest.fixture
def luca(tmp_path: Path) -> Path:
    """A private copy of the reference project."""
    return copy_example(LUCA, tmp_path / "luca")
