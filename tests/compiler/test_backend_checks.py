"""What `check` knows about backends without importing them: each backend's parameter schema, and
whether the libraries a used model's backend needs are installed (E401)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import get_args

import pytest

from backends import CATALOG, procedural
from compiler import spec
from compiler.deliverables import OPTIONAL
from compiler.modelcheck import BACKEND_KINDS, EXTRAS, LOOKS, PARAMS, REQUIRES
from tests.compiler.helpers import codes, compile_text
from tests.conftest import ROOT


def project(models: str, image: str = "procedural") -> str:
    return f"""\
studio: 1
project:
  title: Backends
  models: {{image: {image}}}
models:
{models}
scenes:
  - id: s
    shots:
      - {{id: a, duration: 1, action: the sea}}
"""


def test_an_unknown_procedural_look_is_refused_at_check_time(tmp_path: Path) -> None:
    result = compile_text(tmp_path, project("  ink: {backend: procedural, kind: image, params: {look: skecth}}", "ink"))
    assert codes(result) == ["E313"]
    d = result.diagnostics[0]
    assert d.message == "parameter 'look' must be one of flat, paint, sketch (did you mean 'sketch'?)"
    assert d.span is not None and (d.span.line, d.span.column) == (6, 58)  # at skecth


def test_a_parameter_no_backend_takes_is_reported(tmp_path: Path) -> None:
    result = compile_text(tmp_path, project("  ink: {backend: procedural, kind: image, params: {lok: sketch}}\n"
                                            "  voice: {backend: espeak, kind: speech, params: {speed: 2}}", "ink"))
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("W313", "unknown parameter 'lok' of a procedural image model; it is ignored"),
        ("W313", "unknown parameter 'speed' of an espeak speech model; it is ignored"),
    ]
    assert result.diagnostics[0].hint == "did you mean 'look'?"


def test_every_backend_declares_a_schema_for_every_kind_it_makes() -> None:
    backends = set(get_args(spec.ModelConfig.model_fields["backend"].annotation))
    deliverables = {backend for backend, _, _ in OPTIONAL.values()}  # otio, pdf, exr: no models of theirs
    assert backends == set(BACKEND_KINDS) == set(CATALOG) - {"ffmpeg"} - deliverables
    assert {(b, k) for b, kinds in BACKEND_KINDS.items() for k in kinds} == set(PARAMS)


def test_the_procedural_backend_and_check_accept_the_same_looks() -> None:
    assert tuple(procedural.LOOKS) == LOOKS
    for look in LOOKS:
        procedural.load({"params": {"look": look}})


# --- E401: a used model whose backend's libraries are not installed ------------------------------------

HIDDEN = {"torch", "diffusers", "transformers"}


def without_ai(tmp_path: Path, hidden: set[str] = HIDDEN) -> Path:
    """A site-packages of this interpreter's packages minus ``hidden`` (by default the ones the ai extra
    brings; links to the real ones): an interpreter pointed at it really cannot import them."""
    site = Path(sysconfig.get_paths()["purelib"])
    farm = tmp_path / "site-packages"
    farm.mkdir()
    for entry in site.iterdir():
        top = entry.name.split("-")[0].split(".")[0].lower()
        if top not in hidden and not entry.name.endswith(".pth"):
            (farm / entry.name).symlink_to(entry)
    return farm


CHECK = """
import importlib.util, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from compiler import compile_project
from backends import CATALOG
assert all(importlib.util.find_spec(m) is None for m in sys.argv[5].split(","))
result = compile_project(__import__("pathlib").Path(sys.argv[3]), backends=CATALOG if sys.argv[4] == "plan" else None)
print(json.dumps([[d.code, d.message, d.span.line if d.span else 0] for d in result.diagnostics]))
print(json.dumps([d.hint for d in result.diagnostics if d.code == "E401"]))
print(json.dumps(sorted(m for m in ("torch", "diffusers", "transformers") if m in sys.modules)))
"""


def check_without_ai(tmp_path: Path, text: str, command: str = "check", hidden: set[str] = HIDDEN
                     ) -> list[list[object]]:
    farm = without_ai(tmp_path, hidden)
    path = tmp_path / "p" / "film.studio.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-S", "-c", CHECK, str(ROOT), str(farm), str(path), command,
                          ",".join(sorted(hidden))],
                         capture_output=True, text=True, check=True, env={"HF_HUB_CACHE": str(tmp_path / "hub")})
    found, hints, imported = (json.loads(line) for line in out.stdout.splitlines())
    assert imported == []
    extras = {EXTRAS[b] for b in REQUIRES if set(REQUIRES[b]) & hidden}
    assert all(any(f"pip install 'studio[{x}]'" in h for x in extras) for h in hints), hints  # what to install
    return found


AI = "  painter: {backend: diffusers, kind: image, weights: org/painter}"


@pytest.mark.parametrize("command", ["check", "plan"])
def test_a_used_ai_model_without_the_ai_extra_is_e401_at_the_model(tmp_path: Path, command: str) -> None:
    found = check_without_ai(tmp_path, project(AI, "painter"), command)
    assert [d for d in found if d[0] != "W311"] == [
        ["E401", "model 'painter' runs on the diffusers backend, which needs torch, diffusers, transformers: "
                 "not installed here", 6]]


def test_an_unused_ai_model_is_no_error_without_the_ai_extra(tmp_path: Path) -> None:
    found = check_without_ai(tmp_path, project(AI))
    assert [d[0] for d in found] == ["W311"]


OPENAI = """\
studio: 1
project: {title: Remote, style: told}
models:
  writer: {backend: openai, kind: llm, weights: gpt-4o-mini}
styles:
  told: {prompt: "{{ action }}", enhance: {model: writer}}
scenes:
  - id: s
    shots:
      - {id: a, duration: 1, action: the sea}
"""


def test_an_openai_model_without_the_llm_extra_says_to_install_it(tmp_path: Path) -> None:
    """The openai backend needs the openai library, which the llm extra brings: a style's enhancement
    runs on the model, so check names the extra to install (W335: the procedural keyframe reads no prompt)."""
    found = check_without_ai(tmp_path, OPENAI, hidden={"openai"})
    assert [d for d in found if d[0] != "W335"] == [
        ["E401", "model 'writer' runs on the openai backend, which needs openai: not installed here", 4]]
    if __import__("importlib").util.find_spec("openai") is not None:  # here it is: no E401
        assert "E401" not in codes(compile_text(tmp_path / "installed", OPENAI))


def test_every_backend_that_needs_libraries_names_an_extra_that_installs_them() -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(EXTRAS) == set(REQUIRES)
    for backend, modules in REQUIRES.items():
        listed = {re.split(r"[<>=\[ ;]", dep)[0].lower() for dep in extras[EXTRAS[backend]]}
        assert set(modules) <= listed, (backend, EXTRAS[backend])


def test_with_the_libraries_installed_there_is_no_e401(tmp_path: Path) -> None:
    if any(__import__("importlib").util.find_spec(m) is None for m in REQUIRES["diffusers"]):
        pytest.skip("the ai extra is not installed")
    assert "E401" not in codes(compile_text(tmp_path, project(AI, "painter")))
