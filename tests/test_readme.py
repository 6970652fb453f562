"""README's first commands (issue 10, item 28): each one self-contained (its own virtual environment),
and CI runs exactly them."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT


def try_it_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Try it\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.DOTALL)]


def test_each_command_creates_and_uses_a_virtual_environment() -> None:
    first, second = try_it_commands()
    for command in (first, second):
        assert "\n" not in command
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install ")
    assert first.endswith("&& studio build examples/luca")
    assert "'torch==2.13.0'" in second  # pinned: the CPU build CI tests with
    assert second.endswith("&& pytest -m 'not slow'")  # the fast tier, as CI runs it


def test_ci_runs_exactly_the_readme_commands() -> None:
    done = subprocess.run([str(ROOT / ".ci" / "run"), "--print"], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == try_it_commands()
